// The bytes a reassembler delivered that the receiver has not acknowledged yet, kept so a
// retransmission of them can be checked.
//
// Once bytes are handed on they are gone (the chunk is a view of the capture buffer), so a
// retransmission carrying *different* bytes for an already-delivered range — a broken
// middlebox, a TCP implementation bug, or an insertion attack — could not be noticed at all.
//
// What needs keeping. Bytes the receiver has acknowledged are settled: the receiver took the
// first copy it got, and any later copy lies below its RCV.NXT and is dropped unread (RFC 9293
// §3.10.7.4). A retransmission that matters is one of bytes still in flight, so the history
// holds delivered bytes only until the peer's ACK covers them (`acknowledged`), and at most
// `maxBytes` / `maxSegments` deliveries of them, the newest. Acknowledged bytes that are
// retransmitted later (a spurious retransmission) are trimmed without a check.
//
// Copies. Copying every delivered byte costs as much as a quarter of reading the capture, and
// nearly all of it is acknowledged within a few segments. So a history can keep *views* of the
// delivered payloads instead (`ViewRegistry`), for as long as the caller guarantees the frame
// data lives (a reader chunk); before that data goes, `ViewRegistry.materialize()` copies into
// each history's own ring only what is still unacknowledged by then. Without a registry every
// delivery is copied at once. Either way the outcome is the same: which retransmissions are
// checked depends only on the packets, not on where the reader's chunks end.

import { Buffer } from 'node:buffer';

/** Receives ranges where a retransmission disagrees with the bytes kept. */
export interface ConflictCollector {
  /** Stream offsets [start, end) that differ, and the frames that delivered the first copy. */
  add(start: number, end: number, frames: readonly number[]): void;
}

/**
 * Histories holding views of frame data that lives only until the caller's next
 * `materialize()` (see the file comment). One per TcpStage.
 */
export class ViewRegistry {
  #histories: DeliveredHistory[] = [];

  /** A history took its first view since the last `materialize`. */
  register(history: DeliveredHistory): void {
    this.#histories.push(history);
  }

  /** Copies every view still held into its history's ring: the frame data is about to go. */
  materialize(): void {
    const list = this.#histories;
    if (list.length === 0) return;
    this.#histories = [];
    for (let i = 0; i < list.length; i++) list[i]!.materialize();
  }
}

const NO_NUMBERS: number[] = [];
/** Numbers per delivery in DeliveredHistory's #meta, and their places. */
const META = 4;
const META_START = 0;
const META_LENGTH = 1;
const META_FRAME = 2;
const META_RING_AT = 3;
const NO_VIEWS: Array<Uint8Array | null> = [];
const EMPTY = new Uint8Array(0);
/** The smallest ring, in bytes (it doubles as needed). */
const MIN_RING = 64;

/**
 * The unacknowledged tail of one direction's delivered bytes (see the file comment): one
 * contiguous range of stream offsets ending at the last byte delivered; a delivery that does not
 * continue it (after a gap) starts it over, so bytes from before a gap are never compared.
 * Memory grows only while bytes wait for their ACK: a direction whose data is acknowledged
 * before the caller's chunk ends never allocates a ring.
 */
export class DeliveredHistory {
  readonly #maxBytes: number;
  readonly #maxSegments: number;
  readonly #registry: ViewRegistry | undefined;
  #registered = false;
  // Deliveries, oldest first, live from #head: in #meta, four numbers each (META_* fields:
  // stream offset, length, frame, ring position), and where the bytes are in #views — a view
  // (until materialised) or, when null, the ring from the ring position. Two arrays, not one
  // per field: a history is made per direction, and most directions see a few deliveries.
  #meta: number[] = NO_NUMBERS;
  #views: Array<Uint8Array | null> = NO_VIEWS;
  #head = 0;
  /** End of the live deliveries in the arrays (slots beyond it are stale; lengths never shrink but in #compact). */
  #tail = 0;
  /** Bytes in live deliveries. */
  #held = 0;
  /** Offset after the last byte delivered; −1 before the first. */
  #end = -1;
  // Ring of copied bytes: the materialised deliveries, in order, end at #ringPos (mod size).
  #ring: Uint8Array = EMPTY;
  #ringPos = 0;
  /** Bytes of live deliveries in the ring. */
  #materialised = 0;

  constructor(maxBytes: number, maxSegments: number, registry?: ViewRegistry) {
    this.#maxBytes = maxBytes;
    this.#maxSegments = Math.max(1, maxSegments);
    this.#registry = registry;
  }

  /** First stream offset still held (= end when nothing is). */
  get start(): number {
    return this.#head < this.#tail ? this.#meta[this.#head * META + META_START]! : Math.max(0, this.#end);
  }

  /** Bytes held. */
  get length(): number {
    return this.#held;
  }

  /** Memory held by the ring (views of frame data are not counted). */
  get capacityBytes(): number {
    return this.#ring.byteLength;
  }

  /** Records `bytes` as delivered at `offset` by `frame`. */
  append(offset: number, bytes: Uint8Array, frame: number): void {
    let n = bytes.length;
    if (n === 0 || this.#maxBytes === 0) return;
    if (offset !== this.#end) this.#reset(); // not a continuation: a gap came between
    this.#end = offset + n;
    if (n > this.#maxBytes) {
      // Only the newest maxBytes can be kept.
      bytes = bytes.subarray(n - this.#maxBytes);
      offset += n - this.#maxBytes;
      n = this.#maxBytes;
    }
    // Make room: the oldest deliveries go.
    while (this.#head < this.#tail && (this.#held + n > this.#maxBytes || this.#tail - this.#head >= this.#maxSegments)) {
      this.#dropOldest();
    }
    if (this.#meta === NO_NUMBERS) {
      this.#meta = [];
      this.#views = [];
    } else if (this.#head >= 32 && this.#head * 2 >= this.#tail) {
      this.#compact();
    }
    const registry = this.#registry;
    // Copied before the delivery is listed: #copyIn may grow the ring, moving what is listed.
    const at = registry === undefined ? this.#copyIn(bytes) : 0;
    const t = this.#tail++;
    const meta = this.#meta;
    if (t === this.#views.length) {
      meta.push(offset, n, frame, at);
      this.#views.push(registry !== undefined ? bytes : null);
    } else {
      const m = t * META;
      meta[m + META_START] = offset;
      meta[m + META_LENGTH] = n;
      meta[m + META_FRAME] = frame;
      meta[m + META_RING_AT] = at;
      this.#views[t] = registry !== undefined ? bytes : null;
    }
    this.#held += n;
    if (registry !== undefined && !this.#registered) {
      this.#registered = true;
      registry.register(this);
    }
  }

  /** The peer acknowledged everything before stream offset `offset`: those bytes are settled. */
  acknowledged(offset: number): void {
    const meta = this.#meta;
    while (this.#head < this.#tail && meta[this.#head * META + META_START]! + meta[this.#head * META + META_LENGTH]! <= offset) this.#dropOldest();
  }

  /**
   * Compares `bytes`, claimed to sit at stream offset `offset`, with what was delivered there,
   * over the part of it the history still holds; reports differing ranges to `out`.
   */
  compare(offset: number, bytes: Uint8Array, out: ConflictCollector): void {
    const meta = this.#meta;
    const end = offset + bytes.length;
    for (let i = this.#head; i < this.#tail; i++) {
      const s = meta[i * META + META_START]!;
      if (s >= end) break;
      const e = s + meta[i * META + META_LENGTH]!;
      if (e <= offset) continue;
      const from = s > offset ? s : offset;
      const to = e < end ? e : end;
      const claimed = bytes.subarray(from - offset, to - offset);
      const view = this.#views[i]!;
      let span: [number, number] | undefined;
      if (view !== null) {
        span = differingSpan(view.subarray(from - s, to - s), claimed);
      } else {
        // In the ring, perhaps wrapped round its end.
        const ring = this.#ring;
        let at = meta[i * META + META_RING_AT]! + (from - s);
        if (at >= ring.length) at -= ring.length;
        const first = Math.min(to - from, ring.length - at);
        span = differingSpan(ring.subarray(at, at + first), claimed.subarray(0, first));
        if (first < to - from) {
          const rest = differingSpan(ring.subarray(0, to - from - first), claimed.subarray(first));
          if (rest !== undefined) span = [span === undefined ? first + rest[0] : span[0], first + rest[1]];
        }
      }
      if (span !== undefined) out.add(from + span[0], from + span[1], [meta[i * META + META_FRAME]!]);
    }
  }

  /** Copies the views still held into the ring (the frame data they point into is going). */
  materialize(): void {
    this.#registered = false;
    const views = this.#views;
    for (let i = this.#head; i < this.#tail; i++) {
      const view = views[i]!;
      if (view === null) continue;
      // Copied first: #copyIn may grow the ring, moving the deliveries already in it (not this one).
      this.#meta[i * META + META_RING_AT] = this.#copyIn(view);
      views[i] = null;
    }
  }

  /** Drops everything (the direction finished). */
  clear(): void {
    this.#reset();
    this.#meta = NO_NUMBERS;
    this.#views = NO_VIEWS;
    this.#ring = EMPTY;
    this.#end = -1;
  }

  #reset(): void {
    // Stale views beyond the live ones would keep frame data alive: clear them.
    const views = this.#views;
    for (let i = this.#head; i < this.#tail; i++) views[i] = null;
    this.#head = 0;
    this.#tail = 0;
    this.#held = 0;
    this.#ringPos = 0;
    this.#materialised = 0;
  }

  #dropOldest(): void {
    const i = this.#head++;
    const n = this.#meta[i * META + META_LENGTH]!;
    this.#held -= n;
    if (this.#views[i] === null) this.#materialised -= n;
    else this.#views[i] = null;
    if (this.#head === this.#tail) this.#reset();
  }

  #compact(): void {
    const h = this.#head;
    const n = this.#tail - h;
    const meta = this.#meta;
    const views = this.#views;
    // A plain loop: Array.prototype.copyWithin is a slow generic builtin on number arrays.
    for (let i = 0, from = h * META, to = this.#tail * META; from < to; i++, from++) meta[i] = meta[from]!;
    for (let i = 0; i < n; i++) views[i] = views[h + i]!;
    for (let i = n; i < this.#tail; i++) views[i] = null;
    this.#head = 0;
    this.#tail = n;
  }

  /**
   * Copies `bytes` in after the materialised bytes; returns where they start. The ring grows
   * (up to maxBytes) when the bytes held would not fit: everything held fits by construction.
   */
  #copyIn(bytes: Uint8Array): number {
    const n = bytes.length;
    if (this.#materialised + n > this.#ring.length) this.#grow(this.#materialised + n);
    this.#materialised += n;
    const ring = this.#ring;
    const at = this.#ringPos;
    const room = ring.length - at;
    if (n <= room) {
      ring.set(bytes, at);
      this.#ringPos = n === room ? 0 : at + n;
    } else {
      ring.set(bytes.subarray(0, room), at);
      ring.set(bytes.subarray(room), 0);
      this.#ringPos = n - room;
    }
    return at;
  }

  /**
   * Grows the ring to hold `need` bytes (up to the limit), keeping the materialised bytes in
   * order. It starts small: most directions hold a few unacknowledged bytes at a chunk's end (a
   * command, a reply), and a connection left open keeps its ring to the end of the capture.
   */
  #grow(need: number): void {
    let size = Math.max(MIN_RING, this.#ring.length);
    while (size < need) size *= 2;
    size = Math.min(size, this.#maxBytes);
    const old = this.#ring;
    const ring = new Uint8Array(size);
    let w = 0;
    const views = this.#views;
    for (let i = this.#head; i < this.#tail && views[i] === null; i++) {
      const len = this.#meta[i * META + META_LENGTH]!;
      const at = this.#meta[i * META + META_RING_AT]!;
      const first = Math.min(len, old.length - at);
      ring.set(old.subarray(at, at + first), w);
      if (first < len) ring.set(old.subarray(0, len - first), w + first);
      this.#meta[i * META + META_RING_AT] = w;
      w += len;
    }
    this.#ring = ring;
    this.#ringPos = w === size ? 0 : w;
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
