// One direction of a TCP connection turned back into a byte stream, the way a receiver would
// (RFC 9293 §3.10.7.4: segments are accepted in sequence order; data beyond RCV.NXT waits), but
// for a passive observer: nothing can be asked for again, so bytes that never show up are
// reported as gaps instead of waited for forever.
//
// Decisions, in one place:
//
// Stream offsets. Offset 0 is the first byte after the SYN (ISN + 1, RFC 9293 §3.4). When the
// SYN was not captured, the first segment carrying data (or a FIN) fixes offset 0 at its sequence
// number; bytes that later turn out to lie before it (a reordered earlier segment) cannot be
// placed and are classified 'old'. Raw sequence numbers are unwrapped against the next expected
// one (`seqDiff`, so anything within ±2^31 of it is placed correctly), which keeps offsets
// increasing across 32-bit wraps: a 5 GiB transfer ends near offset 5·2^30. Offsets are exact up
// to 2^53.
//
// SYN and FIN occupy a sequence number each (RFC 9293 §3.4). Data on a SYN (TCP Fast Open,
// RFC 7413) starts at ISN + 1 = offset 0. A FIN sits at the offset after its segment's data;
// `finOffset` is where the stream ends. The payload of an RST is not stream data (RFC 9293
// §3.5.3 SHLD-2, RFC 1122 §4.2.2.12: it may carry diagnostic text) and is ignored; the segment
// does not end the direction by itself: the caller decides when to `finish('rst')`.
//
// Hot path. A complete segment that starts exactly at the next expected offset, while nothing
// waits in the out-of-order buffer or lies beyond, is handed on at once: the chunk's bytes are the
// caller's payload view (no copy); one chunk object and one frames array are allocated. New bytes
// on the slow path that turn out to be contiguous (a trimmed retransmission, a hole filler) are
// handed on as views too; only bytes that must wait are copied.
//
// Out-of-order buffer. Bytes beyond a hole are copied (the caller's view dies after the call)
// into a sorted array of disjoint pieces. Each piece is charged its length plus
// BUFFERED_PIECE_OVERHEAD bytes, so a flood of tiny segments is bounded as well. Two limits
// apply: `maxBufferedBytesPerDirection`, and a ReassemblyBudget shared by all connections. When
// a new piece does not fit, the oldest hole is given up: a 'buffer-limit' gap for it, then
// everything contiguous after it is delivered; repeated until the new piece fits (or is itself
// delivered). No byte is ever invented. Memory per direction: the buffer limit, plus the
// history (below), allocated as bytes wait for their acknowledgement and freed by `finish()`.
//
// Flushing. Buffered pieces are delivered one chunk per piece (one frame each), not merged:
// merging would mean concatenating copies for no gain to a streaming consumer.
//
// Overlaps. Bytes already received are never delivered twice; overlapping segments are trimmed
// to their new part. Where the bytes of a retransmission differ from the first copy, the first
// copy is kept (what Wireshark shows by default) and the difference is reported
// in the segment's result. Differences are detected against buffered pieces (always) and against
// delivered bytes the peer has not acknowledged yet (DeliveredHistory: by default up to the last
// 64 KiB / 256 deliveries of them); bytes already acknowledged are settled — the receiver drops
// any later copy unread — and their retransmissions are trimmed without a check. A 1-byte segment just below the next expected offset is a keep-alive (RFC 9293 §3.8.4,
// RFC 1122 §4.2.3.6: its byte is garbage) and is not compared.
//
// Gaps. Each gap names the frame where it was noticed: the first frame beyond it when one is
// buffered, otherwise the frame that revealed it (the truncated segment, the ACK, the FIN).
// - 'snaplen': the capture kept fewer bytes than the segment carried; the captured part is
//   delivered and the rest reported, and the stream goes on after it.
// - 'not-captured': the peer acknowledged bytes that never appeared (`acknowledged()`; the
//   sender will not retransmit what was acknowledged, so waiting is pointless), or a hole was
//   still open when the direction ended with a FIN or an RST.
// - 'end-of-capture': a hole still open when the capture ended; its retransmission, if any, came
//   after the capture stopped.
// - 'buffer-limit': given up to stay within the memory limits.
// An ACK beyond everything seen holds back its last sequence number: it may be a FIN the capture
// missed rather than a data byte. It resolves by itself with the next segment or ACK beyond it.
// Giving holes up on ACKs assumes the capture saw each segment no later than its ACK; where a
// capture merges interfaces and an ACK overtakes its data, that data arrives 'old' and is lost
// to the consumer (the gap says so).
//
// Classification (the `kind` of a segment's result), counting SYN and FIN as one unit each:
// - 'new': everything new, starting where the highest data seen so far ends (also: segments
//   carrying nothing, such as pure ACKs);
// - 'out-of-order': everything new, but starting below the highest data seen (it fills a hole)
//   or above it (it leaves one); timing (retransmission vs. reordering) is the analyser's call;
// - 'retransmission': nothing new, everything received before (delivered, buffered, or cut by
//   the snaplen);
// - 'partial-overlap': some new units, some received before (or too late, see 'old');
// - 'old': nothing new and some of it too late to use: before offset 0, in a range already
//   given up as a gap (the last LOST_RANGES_KEPT such ranges are remembered), a SYN with another
//   ISN, or a second FIN at another offset. After `finish()` nothing is delivered any more; a
//   segment is then a 'retransmission' when it lies wholly before the end reached, else 'old'.
//
// Not re-entrant: the sink must not call back into the reassembler that is delivering to it.

import { TcpFlag } from '../decode/Packet.js';
import { DeliveredHistory, differingSpan, type ConflictCollector, type ViewRegistry } from './DeliveredHistory.js';
import type { ReassemblyBudget } from './ReassemblyBudget.js';
import { seqAdd, seqDiff } from './sequence.js';
import type { Direction, StreamConsumer, StreamEnd, StreamGap } from './StreamEvents.js';

export const DEFAULT_MAX_BUFFERED_BYTES_PER_DIRECTION = 4 * 1024 * 1024;
export const DEFAULT_HISTORY_BYTES = 64 * 1024;
export const DEFAULT_HISTORY_SEGMENTS = 256;
/** Bytes charged per buffered piece on top of its payload: object, array slot, ArrayBuffer header. */
export const BUFFERED_PIECE_OVERHEAD = 64;
/** How many given-up ranges a direction remembers, to call late arrivals in them 'old'. */
export const LOST_RANGES_KEPT = 16;

export interface ReassemblyLimits {
  /** Out-of-order bytes (plus per-piece overhead) one direction may buffer. Default 4 MiB. */
  maxBufferedBytesPerDirection?: number;
  /**
   * Delivered but not yet acknowledged bytes kept to check retransmissions against (the newest
   * of them). Default 64 KiB; 0 turns the check off.
   */
  historyBytes?: number;
  /** Deliveries the history holds at most. Default 256. */
  historySegments?: number;
}

export type SegmentKind = 'new' | 'retransmission' | 'partial-overlap' | 'out-of-order' | 'old';

/** A retransmission whose bytes differ from the copy kept. */
export interface SegmentConflict {
  /** Frames that carried the kept copy of the differing bytes, in stream order, then the new frame. */
  frames: number[];
  /** Stream offsets [start, end) spanning the differing bytes (first to last difference). */
  start: number;
  end: number;
}

export interface SegmentResult {
  readonly kind: SegmentKind;
  readonly conflict?: SegmentConflict;
}

/** Where a reassembler hands its bytes and gaps; a StreamConsumer is one. */
export type ReassemblySink = Pick<StreamConsumer, 'data' | 'gap'>;

export type FinishReason = StreamEnd['reason'];

// Results without a conflict are shared constants: the hot path allocates no result object.
const RESULT: { readonly [K in SegmentKind]: SegmentResult } = {
  new: Object.freeze({ kind: 'new' }),
  retransmission: Object.freeze({ kind: 'retransmission' }),
  'partial-overlap': Object.freeze({ kind: 'partial-overlap' }),
  'out-of-order': Object.freeze({ kind: 'out-of-order' }),
  old: Object.freeze({ kind: 'old' }),
};

/** A run of stream bytes from one frame; `bytes` null: known to exist but cut by the snaplen. */
interface Piece {
  start: number;
  end: number;
  bytes: Uint8Array | null;
  frame: number;
  tsSec: number;
  tsNsec: number;
}

/** Left in a delivered slot of the buffer so the piece's bytes can be collected at once. */
const DELIVERED: Piece = Object.freeze({ start: -1, end: -1, bytes: null, frame: 0, tsSec: 0, tsNsec: 0 });
/** Shared, never written: no new pieces, or an empty buffer before the first piece waits. */
const NO_PIECES: Piece[] = [];
const NO_LOST: number[] = [];
/** Segments with any of these flags take the slow path. */
const FLAGS_SYN_FIN_RST = TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST;

function charge(piece: Piece): number {
  return (piece.bytes === null ? 0 : piece.bytes.length) + BUFFERED_PIECE_OVERHEAD;
}

/** Gathers the differing ranges found while one segment is placed. */
class ConflictAccumulator implements ConflictCollector {
  start = 0;
  end = 0;
  frames: number[] = [];
  found = false;

  reset(): void {
    this.found = false;
  }

  add(start: number, end: number, frames: readonly number[]): void {
    if (!this.found) {
      this.found = true;
      this.start = start;
      this.end = end;
      this.frames = [];
    } else {
      if (start < this.start) this.start = start;
      if (end > this.end) this.end = end;
    }
    for (const f of frames) if (!this.frames.includes(f)) this.frames.push(f);
  }

  result(kind: SegmentKind, frame: number): SegmentResult {
    const frames = this.frames.filter((f) => f !== frame);
    frames.push(frame);
    return { kind, conflict: { frames, start: this.start, end: this.end } };
  }
}

/**
 * Reassembles one direction of one TCP connection. Feed it every segment of that direction in
 * capture order (`segment`), the peer's acknowledgement numbers (`acknowledged`), and end it
 * once (`finish`); it calls the sink with in-order chunks and explicit gaps that together cover
 * the stream from offset 0 without overlap.
 */
export class StreamReassembler {
  readonly direction: Direction;
  readonly #sink: ReassemblySink;
  readonly #budget: ReassemblyBudget;
  readonly #maxBuffered: number;
  /**
   * Made at the first delivery of a byte (see #recordDelivered): a direction that only ever
   * acknowledges — half of nearly every data connection — never needs one. Until then it is
   * empty, and an empty history compares, settles and clears nothing.
   */
  #history: DeliveredHistory | undefined;
  readonly #historyBytes: number;
  readonly #historySegments: number;
  readonly #views: ViewRegistry | undefined;

  #baseKnown = false;
  /** Raw sequence number of offset 0. */
  #base = 0;
  #synSegmentSeen = false;
  /** Next offset to hand on; everything before it was delivered or reported as a gap. */
  #next = 0;
  /** Raw sequence number of #next. */
  #nextSeq = 0;
  /** End of the highest range seen (data, FIN, or given up); never below #next. */
  #highest = 0;
  /** Buffered pieces, sorted and disjoint, all beyond #next; live from #head on. */
  #entries: Piece[] = NO_PIECES;
  #head = 0;
  #charged = 0;
  #finOffset = -1;
  #finFrame = 0;
  /** Given-up ranges, flat [start, end, start, end, …], the last LOST_RANGES_KEPT. */
  #lost: number[] = NO_LOST;
  #finished = false;
  /** Made the first time a segment takes the slow path. */
  #conflicts: ConflictAccumulator | undefined;

  /**
   * @param views when given, delivered bytes are kept for the retransmission check as views of
   *   the caller's payloads until `views.materialize()` (see DeliveredHistory); the caller must
   *   call it before those payloads' memory is reused. Without it they are copied at once.
   */
  constructor(direction: Direction, sink: ReassemblySink, budget: ReassemblyBudget, limits: ReassemblyLimits = {}, views?: ViewRegistry) {
    this.direction = direction;
    this.#sink = sink;
    this.#budget = budget;
    this.#maxBuffered = checkLimit('maxBufferedBytesPerDirection', limits.maxBufferedBytesPerDirection, DEFAULT_MAX_BUFFERED_BYTES_PER_DIRECTION);
    const historyBytes = checkLimit('historyBytes', limits.historyBytes, DEFAULT_HISTORY_BYTES);
    const historySegments = checkLimit('historySegments', limits.historySegments, DEFAULT_HISTORY_SEGMENTS);
    // 0 in either turns the history off: it is then never made.
    this.#historyBytes = historySegments > 0 ? historyBytes : 0;
    this.#historySegments = historySegments;
    this.#views = views;
  }

  /** Keeps delivered bytes for the retransmission check, making the history at the first. */
  #recordDelivered(offset: number, bytes: Uint8Array, frame: number): void {
    let history = this.#history;
    if (history === undefined) {
      if (this.#historyBytes === 0 || bytes.length === 0) return;
      history = this.#history = new DeliveredHistory(this.#historyBytes, this.#historySegments, this.#views);
    }
    history.append(offset, bytes, frame);
  }

  /** Next stream offset to be handed on. */
  get nextOffset(): number {
    return this.#next;
  }

  /** Out-of-order memory held, as charged against the limits (payload + per-piece overhead). */
  get bufferedBytes(): number {
    return this.#charged;
  }

  /** Pieces waiting in the out-of-order buffer. */
  get bufferedSegments(): number {
    return this.#entries.length - this.#head;
  }

  /** Offset of the FIN (= length of the stream), once a FIN was seen. */
  get finOffset(): number | undefined {
    return this.#finOffset < 0 ? undefined : this.#finOffset;
  }

  /** True once everything before the FIN was delivered or reported: `finish('fin')` loses nothing. */
  get finReached(): boolean {
    return this.#finOffset >= 0 && this.#next >= this.#finOffset;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /**
   * The SYN of this direction was seen with `isn`: offset 0 is isn + 1. Only the first call (or
   * the first SYN or data segment) fixes offset 0; returns whether `isn` agrees with it.
   */
  setInitialSequence(isn: number): boolean {
    const base = seqAdd(isn, 1);
    if (!this.#baseKnown) this.#begin(base);
    return base === this.#base;
  }

  /**
   * One TCP segment of this direction.
   * @param seq raw 32-bit sequence number
   * @param payload the captured payload; only read during the call
   * @param wireLength the segment's data length on the wire (tcp.len); more than
   *   `payload.length` when the snaplen cut the frame
   * @param flags the TCP flags field (TcpFlag bits); SYN, FIN and RST matter here
   */
  segment(seq: number, payload: Uint8Array, wireLength: number, frame: number, tsSec: number, tsNsec: number, flags = 0): SegmentResult {
    const len = wireLength > payload.length ? wireLength : payload.length;
    if ((flags & FLAGS_SYN_FIN_RST) === 0 && this.#baseKnown && !this.#finished) {
      const start = this.#next + seqDiff(seq, this.#nextSeq);
      if (start === this.#next && start === this.#highest && len === payload.length && len !== 0 && this.#head === this.#entries.length) {
        // The hot path: in order, complete, nothing waiting, nothing seen beyond it.
        const end = start + len;
        this.#next = this.#highest = end;
        this.#nextSeq = seqAdd(this.#nextSeq, len);
        this.#recordDelivered(start, payload, frame);
        this.#sink.data({ direction: this.direction, offset: start, bytes: payload, frames: [frame], tsSec, tsNsec });
        return RESULT.new;
      }
    }
    return this.#segment(seq, payload, len, frame, tsSec, tsNsec, flags);
  }

  /**
   * The peer acknowledged up to raw sequence number `ack` (its ACK field, from a segment with the
   * ACK flag, in `frame`). A hole it covers will never be retransmitted, so it is given up as
   * 'not-captured' now and the stream flows on. Acknowledgements before this direction's offset 0
   * is known (no SYN, no data yet) are ignored.
   */
  acknowledged(ack: number, frame: number): void {
    if (this.#finished || !this.#baseKnown) return;
    let to = this.#next + seqDiff(ack, this.#nextSeq);
    // Delivered bytes it covers are settled: the receiver will not take another copy of them.
    this.#history?.acknowledged(to);
    if (to <= this.#next) return;
    if (this.#finOffset >= 0) {
      if (to > this.#finOffset) to = this.#finOffset; // the FIN's own sequence number is no byte
    } else if (to > this.#highest) {
      to--; // the last unit acknowledged may be a FIN the capture missed
    }
    while (this.#next < to) {
      const first = this.#head < this.#entries.length ? this.#entries[this.#head]! : undefined;
      if (first !== undefined && first.start < to) this.#skipTo(first.start, 'not-captured', first.frame);
      else this.#skipTo(to, 'not-captured', frame);
      this.#drain(NO_PIECES, 0);
    }
  }

  /**
   * Ends this direction: delivers what can still be delivered, reports every remaining hole (and
   * missing bytes before a known FIN) as a gap, and frees the buffers. Later calls do nothing;
   * later segments are only classified.
   */
  finish(reason: FinishReason): void {
    if (this.#finished) return;
    // Holes still open when the stage stopped following the connection are end-of-capture ones.
    const gapReason = reason === 'end-of-capture' || reason === 'connection-limit' ? 'end-of-capture' : 'not-captured';
    while (this.#head < this.#entries.length) {
      const first = this.#entries[this.#head]!;
      this.#skipTo(first.start, gapReason, first.frame);
      this.#drain(NO_PIECES, 0);
    }
    if (this.#finOffset > this.#next) this.#skipTo(this.#finOffset, gapReason, this.#finFrame);
    this.release();
  }

  /**
   * Ends this direction without telling the sink anything (its consumer let go of the
   * connection; `finish` ends here after its gaps): frees the buffers and the budget they held.
   * Later segments are only classified.
   */
  release(): void {
    this.#finished = true;
    this.#budget.release(this.#charged);
    this.#charged = 0;
    this.#entries = NO_PIECES;
    this.#head = 0;
    this.#history?.clear();
  }

  #begin(base: number): void {
    this.#baseKnown = true;
    this.#base = base;
    this.#nextSeq = base;
  }

  /** Everything but the hot path. `len` is the length on the wire, at least payload.length. */
  #segment(seq: number, payload: Uint8Array, len: number, frame: number, tsSec: number, tsNsec: number, flags: number): SegmentResult {
    const syn = (flags & TcpFlag.SYN) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    if ((flags & TcpFlag.RST) !== 0) return RESULT.new;
    const dataSeq = syn ? seqAdd(seq, 1) : seq;
    if (!this.#baseKnown) {
      if (!syn && !fin && len === 0) return RESULT.new;
      this.#begin(dataSeq);
    }
    const start = this.#next + seqDiff(dataSeq, this.#nextSeq);
    const end = start + len;
    if (this.#finished) return end <= this.#next ? RESULT.retransmission : RESULT.old;
    if (syn && start !== 0) return RESULT.old; // another ISN: another incarnation of the connection

    const highestBefore = this.#highest;
    const conflicts = (this.#conflicts ??= new ConflictAccumulator());
    conflicts.reset();
    let fresh = 0;
    let seen = 0;
    let late = 0;
    if (syn) {
      if (this.#synSegmentSeen) seen++;
      else fresh++;
      this.#synSegmentSeen = true;
    }

    // Data before offset 0 or before #next: already handed on (or given up); check, then trim.
    const capEnd = start + payload.length;
    let s = start;
    if (s < 0 && len > 0) {
      const cut = Math.min(end, 0);
      late += cut - s;
      s = cut;
    }
    if (s < this.#next && s < end) {
      const cut = Math.min(end, this.#next);
      const lost = this.#lostWithin(s, cut);
      late += lost;
      seen += cut - s - lost;
      const keepAlive = len === 1 && start === this.#next - 1 && !syn && !fin;
      const cmpEnd = Math.min(cut, capEnd);
      if (this.#history !== undefined && !keepAlive && s < cmpEnd) {
        this.#history.compare(s, payload.subarray(s - start, cmpEnd - start), conflicts);
      }
      s = cut;
    }

    // The rest lies beyond #next: split it into what the buffer already holds (compared) and
    // new pieces, which are views of the payload until they have to be buffered.
    let pieces = NO_PIECES;
    if (s < end) {
      pieces = [];
      const entries = this.#entries;
      let i = this.#firstEndingAfter(s);
      let cursor = s;
      while (cursor < end) {
        const e = i < entries.length ? entries[i]! : undefined;
        if (e !== undefined && e.start <= cursor) {
          const to = Math.min(e.end, end);
          seen += to - cursor;
          const cmpEnd = Math.min(to, capEnd);
          if (e.bytes !== null && cursor < cmpEnd) {
            const span = differingSpan(e.bytes.subarray(cursor - e.start, cmpEnd - e.start), payload.subarray(cursor - start, cmpEnd - start));
            if (span !== undefined) conflicts.add(cursor + span[0], cursor + span[1], [e.frame]);
          }
          cursor = to;
          i++;
          continue;
        }
        const to = e !== undefined && e.start < end ? e.start : end;
        if (cursor < capEnd) {
          const capTo = Math.min(to, capEnd);
          pieces.push({ start: cursor, end: capTo, bytes: payload.subarray(cursor - start, capTo - start), frame, tsSec, tsNsec });
        }
        if (to > capEnd) pieces.push({ start: Math.max(cursor, capEnd), end: to, bytes: null, frame, tsSec, tsNsec });
        fresh += to - cursor;
        cursor = to;
      }
    }

    if (fin) {
      if (this.#finOffset < 0 && end >= this.#next) {
        this.#finOffset = end;
        this.#finFrame = frame;
        fresh++;
      } else if (this.#finOffset === end) {
        seen++;
      } else {
        late++; // a FIN at another place than the first one: the first is kept
      }
    }

    if (end > this.#highest) this.#highest = end;
    if (pieces.length > 0) this.#place(pieces);

    let kind: SegmentKind;
    if (fresh === 0) kind = late > 0 ? 'old' : seen > 0 ? 'retransmission' : 'new';
    else if (seen + late > 0) kind = 'partial-overlap';
    else kind = start === highestBefore ? 'new' : 'out-of-order';
    return conflicts.found ? conflicts.result(kind, frame) : RESULT[kind];
  }

  /**
   * Hands on whatever the new pieces make contiguous and buffers the rest, giving up the oldest
   * holes while the rest does not fit.
   */
  #place(pieces: Piece[]): void {
    let p = 0;
    for (;;) {
      p = this.#drain(pieces, p);
      if (p === pieces.length) return;
      let need = 0;
      for (let k = p; k < pieces.length; k++) need += charge(pieces[k]!);
      if (this.#charged + need <= this.#maxBuffered && this.#budget.tryReserve(need)) {
        this.#charged += need;
        for (let k = p; k < pieces.length; k++) {
          const piece = pieces[k]!;
          if (piece.bytes !== null) piece.bytes = piece.bytes.slice();
          this.#insert(piece);
        }
        return;
      }
      // No room: give up the oldest hole, whether a buffered piece or the new one ends it.
      const first = this.#head < this.#entries.length ? this.#entries[this.#head]! : undefined;
      const beyond = first !== undefined && first.start < pieces[p]!.start ? first : pieces[p]!;
      this.#skipTo(beyond.start, 'buffer-limit', beyond.frame);
    }
  }

  /**
   * Delivers buffered pieces and the new `pieces` (from index `p`) while they continue at #next;
   * returns the index of the first new piece not delivered.
   */
  #drain(pieces: Piece[], p: number): number {
    const entries = this.#entries;
    for (;;) {
      if (this.#head < entries.length && entries[this.#head]!.start === this.#next) {
        const e = entries[this.#head]!;
        entries[this.#head++] = DELIVERED;
        const c = charge(e);
        this.#charged -= c;
        this.#budget.release(c);
        this.#deliver(e);
      } else if (p < pieces.length && pieces[p]!.start === this.#next) {
        this.#deliver(pieces[p++]!);
      } else {
        break;
      }
    }
    if (this.#head === entries.length) {
      entries.length = 0;
      this.#head = 0;
    } else if (this.#head >= 64 && this.#head * 2 >= entries.length) {
      entries.splice(0, this.#head);
      this.#head = 0;
    }
    return p;
  }

  #deliver(piece: Piece): void {
    const start = this.#next;
    this.#advance(piece.end);
    if (piece.bytes === null) {
      this.#sink.gap({ direction: this.direction, start, end: piece.end, reason: 'snaplen', frame: piece.frame });
    } else {
      this.#recordDelivered(start, piece.bytes, piece.frame);
      this.#sink.data({ direction: this.direction, offset: start, bytes: piece.bytes, frames: [piece.frame], tsSec: piece.tsSec, tsNsec: piece.tsNsec });
    }
  }

  /** Gives up [#next, to) with `reason`. */
  #skipTo(to: number, reason: StreamGap['reason'], frame: number): void {
    const start = this.#next;
    if (to <= start) return;
    this.#advance(to);
    if (this.#lost === NO_LOST) this.#lost = [];
    const lost = this.#lost;
    if (lost.length > 0 && lost[lost.length - 1] === start) lost[lost.length - 1] = to;
    else {
      if (lost.length === 2 * LOST_RANGES_KEPT) lost.splice(0, 2);
      lost.push(start, to);
    }
    this.#sink.gap({ direction: this.direction, start, end: to, reason, frame });
  }

  #advance(to: number): void {
    this.#nextSeq = seqAdd(this.#nextSeq, to - this.#next);
    this.#next = to;
    if (to > this.#highest) this.#highest = to;
  }

  /** Bytes of [from, to) inside the remembered given-up ranges. */
  #lostWithin(from: number, to: number): number {
    const lost = this.#lost;
    let n = 0;
    for (let i = 0; i < lost.length; i += 2) {
      const a = Math.max(from, lost[i]!);
      const b = Math.min(to, lost[i + 1]!);
      if (b > a) n += b - a;
    }
    return n;
  }

  /** Index of the first live buffered piece ending after `offset` (binary search). */
  #firstEndingAfter(offset: number): number {
    const entries = this.#entries;
    let lo = this.#head;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid]!.end > offset) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  #insert(piece: Piece): void {
    if (this.#entries === NO_PIECES) this.#entries = [];
    const at = this.#firstEndingAfter(piece.start);
    if (at === this.#entries.length) this.#entries.push(piece);
    else this.#entries.splice(at, 0, piece);
  }
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`reassembly limits: ${name} must be a non-negative whole number, got ${value}`);
  }
  return value;
}
