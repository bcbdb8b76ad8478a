// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4). Every comparison of raw
// sequence numbers in the project goes through here, so wrap-around is handled once.

/** a − b as a signed 32-bit distance: positive when a is after b. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a + n, wrapped to an unsigned 32-bit sequence number. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** True when a comes strictly before b in sequence space. */
export function seqBefore(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

/** The relative value of `raw` against `base`, as Wireshark shows it: unsigned, wrapped. */
export function seqRelative(raw: number, base: number): number {
  return (raw - base) >>> 0;
}

/**
 * A sequence number as a signed 32-bit value (same bits). The analysis keeps its state this
 * way: V8 stores such numbers as small integers, so they are never boxed on the heap.
 */
export function seq32(a: number): number {
  return a | 0;
}

/** a + n for sequence numbers kept as signed 32-bit values (see `seq32`). */
export function seqAdd32(a: number, n: number): number {
  return (a + n) | 0;
}
