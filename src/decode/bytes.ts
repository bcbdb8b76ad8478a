// Big-endian field readers for the hot path.
//
// Why plain functions over a DataView: a DataView per frame is an allocation, and V8 inlines
// these small readers into straight byte loads. Callers check bounds first; an out-of-range
// index reads `undefined`, which the bit operators turn into 0, so a missed check yields a
// wrong number, never a throw.

/** Unsigned 16-bit big-endian value at `o`. */
export function u16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

/** Unsigned 32-bit big-endian value at `o`. */
export function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

/** Unsigned 32-bit little-endian value at `o`. */
export function u32le(d: Uint8Array, o: number): number {
  return ((d[o + 3]! << 24) | (d[o + 2]! << 16) | (d[o + 1]! << 8) | d[o]!) >>> 0;
}
