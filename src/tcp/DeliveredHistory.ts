// The last bytes a reassembler delivered, kept so a retransmission of them can be checked.
//
// Once bytes are handed on they are gone (the chunk is a view of the capture buffer), so a
// retransmission carrying *different* bytes for an already-delivered range — a broken
// middlebox, a TCP implementation bug, or an insertion attack — could not be noticed at all.
// Keeping every delivered byte is impossible in constant memory; retransmissions almost always
// concern the last window or so of data, so a small ring of the most recent bytes catches the
// cases that matter at the cost of one memcpy per delivered segment.

import { Buffer } from 'node:buffer';

/** Receives ranges where a retransmission disagrees with the bytes kept. */
export interface ConflictCollector {
  /** Stream offsets [start, end) that differ, and the frames that delivered the first copy. */
  add(start: number, end: number, frames: readonly number[]): void;
}

/**
 * A ring of the last `maxBytes` delivered bytes of one direction, plus which frame delivered
 * them (the last `maxSegments` deliveries). Covers one contiguous range of stream offsets that
 * ends at the last byte delivered; a delivery that does not continue it (after a gap) starts the
 * history over, so stale bytes from before a gap are never compared.
 *
 * Memory grows with what was delivered, up to the limits: a control connection that carried
 * 300 bytes holds a 4 KiB ring, not `maxBytes`.
 */
export class DeliveredHistory {
  readonly #maxBytes: number;
  readonly #maxSegments: number;
  #ring = new Uint8Array(0);
  /** Index in #ring where the byte at offset #end would go. */
  #pos = 0;
  /** Valid bytes: stream offsets [#end − #length, #end). */
  #length = 0;
  /** Offset after the last byte appended; −1 before the first append. */
  #end = -1;
  // Deliveries as a ring of (start offset, frame); a delivery ends where the next one starts.
  #recStart = new Float64Array(0);
  #recFrame = new Float64Array(0);
  #recOldest = 0;
  #recCount = 0;

  constructor(maxBytes: number, maxSegments: number) {
    this.#maxBytes = maxBytes;
    this.#maxSegments = Math.max(1, maxSegments);
  }

  /** First stream offset still held. */
  get start(): number {
    return this.#end - this.#length;
  }

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }

  /** Memory held by the ring and the delivery records. */
  get capacityBytes(): number {
    return this.#ring.byteLength + this.#recStart.byteLength + this.#recFrame.byteLength;
  }

  /** Records `bytes` as delivered at `offset` by `frame`. */
  append(offset: number, bytes: Uint8Array, frame: number): void {
    const n = bytes.length;
    if (n === 0 || this.#maxBytes === 0) return;
    if (offset !== this.#end) {
      // Not a continuation (a gap came between): what is held belongs to another range.
      this.#length = this.#pos = this.#recOldest = this.#recCount = 0;
      this.#end = offset;
    }
    if (this.#length + n > this.#ring.length && this.#ring.length < this.#maxBytes) this.#grow(this.#length + n);
    this.#end = offset + n;

    const ring = this.#ring;
    const size = ring.length;
    if (n >= size) {
      ring.set(n === size ? bytes : bytes.subarray(n - size));
      this.#pos = 0;
      this.#length = size;
    } else {
      const room = size - this.#pos;
      if (n < room) {
        ring.set(bytes, this.#pos);
        this.#pos += n;
      } else {
        ring.set(n === room ? bytes : bytes.subarray(0, room), this.#pos);
        if (n > room) ring.set(bytes.subarray(room), 0);
        this.#pos = n - room;
      }
      this.#length = Math.min(size, this.#length + n);
    }
    this.#record(offset, frame);
  }

  /**
   * Compares `bytes`, claimed to sit at stream offset `offset`, with what was delivered there,
   * over the part of it the history still holds; reports differing ranges to `out`.
   */
  compare(offset: number, bytes: Uint8Array, out: ConflictCollector): void {
    const from = Math.max(offset, this.start);
    const to = Math.min(offset + bytes.length, this.#end);
    const ring = this.#ring;
    let o = from;
    while (o < to) {
      const idx = this.#index(o);
      const run = Math.min(to - o, ring.length - idx);
      const kept = ring.subarray(idx, idx + run);
      const claimed = bytes.subarray(o - offset, o - offset + run);
      const span = differingSpan(kept, claimed);
      if (span !== undefined) out.add(o + span[0], o + span[1], this.#framesFor(o + span[0], o + span[1]));
      o += run;
    }
  }

  /** Drops everything (the direction finished). */
  clear(): void {
    this.#ring = new Uint8Array(0);
    this.#recStart = new Float64Array(0);
    this.#recFrame = new Float64Array(0);
    this.#pos = this.#length = this.#recOldest = this.#recCount = 0;
    this.#end = -1;
  }

  #index(offset: number): number {
    const i = this.#pos - (this.#end - offset);
    return i < 0 ? i + this.#ring.length : i;
  }

  /** Grows the ring to hold `need` bytes (up to the limit), keeping what it holds, oldest first. */
  #grow(need: number): void {
    let size = Math.max(4096, this.#ring.length);
    while (size < need) size *= 2;
    size = Math.min(size, this.#maxBytes);
    const old = this.#ring;
    const ring = new Uint8Array(size);
    const keep = this.#length; // size ≥ old.length ≥ #length
    let o = this.#end - keep;
    let w = 0;
    while (w < keep) {
      const idx = this.#index(o);
      const run = Math.min(keep - w, old.length - idx);
      ring.set(old.subarray(idx, idx + run), w);
      w += run;
      o += run;
    }
    this.#ring = ring;
    this.#pos = keep === size ? 0 : keep;
  }

  #record(offset: number, frame: number): void {
    if (this.#recStart.length === 0) {
      const cap = Math.min(this.#maxSegments, 16);
      this.#recStart = new Float64Array(cap);
      this.#recFrame = new Float64Array(cap);
    }
    let cap = this.#recStart.length;
    if (this.#recCount === cap && cap < this.#maxSegments) {
      this.#growRecords(Math.min(this.#maxSegments, cap * 2));
      cap = this.#recStart.length;
    }
    const full = this.#recCount === cap;
    if (full) {
      this.#recOldest = this.#recOldest + 1 === cap ? 0 : this.#recOldest + 1;
      this.#recCount--;
    }
    let slot = this.#recOldest + this.#recCount;
    if (slot >= cap) slot -= cap;
    this.#recStart[slot] = offset;
    this.#recFrame[slot] = frame;
    this.#recCount++;
    if (full) {
      // The oldest delivery was forgotten: forget its bytes too, so every byte held can be
      // attributed to a frame.
      const held = this.#end - this.#recStart[this.#recOldest]!;
      if (held < this.#length) this.#length = held;
    }
  }

  #growRecords(cap: number): void {
    const starts = new Float64Array(cap);
    const frames = new Float64Array(cap);
    const old = this.#recStart.length;
    for (let i = 0; i < this.#recCount; i++) {
      let j = this.#recOldest + i;
      if (j >= old) j -= old;
      starts[i] = this.#recStart[j]!;
      frames[i] = this.#recFrame[j]!;
    }
    this.#recStart = starts;
    this.#recFrame = frames;
    this.#recOldest = 0;
  }

  /** Frames that delivered any byte of [from, to), in stream order, without repeats. */
  #framesFor(from: number, to: number): number[] {
    const cap = this.#recStart.length;
    const found: number[] = [];
    let end = this.#end;
    for (let i = this.#recCount - 1; i >= 0; i--) {
      let j = this.#recOldest + i;
      if (j >= cap) j -= cap;
      const start = this.#recStart[j]!;
      if (start < to && end > from) {
        const frame = this.#recFrame[j]!;
        if (found[found.length - 1] !== frame) found.push(frame);
      }
      if (start <= from) break;
      end = start;
    }
    return found.reverse();
  }
}

/**
 * For two arrays of equal length: undefined when they are equal, otherwise the first differing
 * index and one past the last. The equality test is a memcmp; only a real difference (rare)
 * pays for the byte loops that narrow it down.
 */
export function differingSpan(a: Uint8Array, b: Uint8Array): [number, number] | undefined {
  if (Buffer.compare(a, b) === 0) return undefined;
  let first = 0;
  while (first < a.length && a[first] === b[first]) first++;
  let last = a.length;
  while (last > first && a[last - 1] === b[last - 1]) last--;
  return [first, last];
}
