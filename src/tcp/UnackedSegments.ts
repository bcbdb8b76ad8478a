// The segments one direction has sent that the other has not yet acknowledged (data, SYN or
// FIN): what Wireshark keeps to say which frame an ACK acknowledges (tcp.analysis.acks_frame).
//
// Stored as four numbers per segment (seq, nextSeq, frame, time) in one plain array of doubles
// (V8 keeps them unboxed): no object per segment, and a new connection costs one small array,
// not a typed array's backing store. Live entries are [head, end); acknowledged ones at the
// front are dropped by moving `head`.
//
// Wireshark walks its whole list on every ACK. The common case is cheaper here: while the
// segments were sent in order without overlap (`#ordered`), an ACK can only cover a prefix, so
// the walk stops at the first segment it does not cover; the outcome is the same.

import { seqDiff } from './sequence.js';

const FIELDS = 4;
/** Shared until the first push: a connection that sends nothing costs no array. */
const NONE: number[] = [];
// The store is kept while the connection is open, even when everything in it is acknowledged:
// giving it back then (as this did once) made a bulk transfer, whose segments are all
// acknowledged whenever the sender pauses, grow a new array from nothing again and again —
// 57 bytes of garbage per segment on the bench's bulk capture. So an open direction holds
// 32 bytes per segment of the most it ever had in flight (at most MAX_UNACKED_SEGMENTS), and
// gives it back when its connection's teardown completes (`releaseIfEmpty`).

/** Receives the segments an ACK covers, oldest first. */
export interface AckedSink {
  /** `exact`: the ACK ends right after this segment (Wireshark's acks_frame). */
  covered(frame: number, sentAt: number, exact: boolean): void;
}

export class UnackedSegments {
  #store: number[] = NONE;
  #head = 0;
  #end = 0;
  /** Each segment starts at or after the previous one's end. */
  #ordered = true;
  #lastNext = 0;
  /** Smallest seq held (wrap-aware): an ACK not beyond it covers nothing. */
  #minSeq = 0;

  get count(): number {
    return (this.#end - this.#head) / FIELDS;
  }

  push(seq: number, nextSeq: number, frame: number, time: number): void {
    if (this.#end === this.#head) {
      this.#head = this.#end = 0;
      this.#ordered = true;
      this.#minSeq = seq;
    } else {
      if (seqDiff(seq, this.#lastNext) < 0) this.#ordered = false;
      if (seqDiff(seq, this.#minSeq) < 0) this.#minSeq = seq;
    }
    // Reclaim the acknowledged front before the array grows further.
    if (this.#head >= 64 && this.#head * 2 >= this.#end) this.#compact();
    if (this.#store === NONE) this.#store = [];
    const s = this.#store;
    const at = this.#end;
    if (at === s.length) {
      s.push(seq, nextSeq, frame, time);
    } else {
      s[at] = seq;
      s[at + 1] = nextSeq;
      s[at + 2] = frame;
      s[at + 3] = time;
    }
    this.#end = at + FIELDS;
    this.#lastNext = nextSeq;
  }

  /**
   * Removes what `ack` covers (nextSeq ≤ ack), telling `sink` about each removed segment, and
   * trims a segment it covers in part. Wireshark reads the field whatever the flags say.
   */
  acknowledge(ack: number, sink: AckedSink): void {
    if (this.#end === this.#head || seqDiff(ack, this.#minSeq) <= 0) return;
    const s = this.#store;
    if (this.#ordered) {
      let i = this.#head;
      for (; i < this.#end; i += FIELDS) {
        const next = s[i + 1]!;
        if (seqDiff(next, ack) > 0) break;
        sink.covered(s[i + 2]!, s[i + 3]!, next === ack);
      }
      this.#head = i;
      if (i < this.#end && seqDiff(ack, s[i]!) > 0) s[i] = ack; // partly acknowledged
      if (i < this.#end) this.#minSeq = s[i]!;
      return;
    }
    // Out of order (retransmissions behind newer data): look at every segment, keep the rest in order.
    let to = this.#head;
    let ordered = true;
    let lastNext = 0;
    let minSeq = 0;
    for (let i = this.#head; i < this.#end; i += FIELDS) {
      let seq = s[i]!;
      const next = s[i + 1]!;
      if (seqDiff(next, ack) <= 0) {
        sink.covered(s[i + 2]!, s[i + 3]!, next === ack);
        continue;
      }
      if (seqDiff(ack, seq) > 0) seq = ack;
      if (to !== this.#head) {
        if (seqDiff(seq, lastNext) < 0) ordered = false;
        if (seqDiff(seq, minSeq) < 0) minSeq = seq;
      } else {
        minSeq = seq;
      }
      s[to] = seq;
      s[to + 1] = next;
      s[to + 2] = s[i + 2]!;
      s[to + 3] = s[i + 3]!;
      lastNext = next;
      to += FIELDS;
    }
    this.#end = to;
    this.#ordered = ordered;
    this.#minSeq = minSeq;
    if (to !== this.#head) this.#lastNext = lastNext;
  }

  /**
   * Gives the store back when nothing is waiting for an ACK: for a connection that is done
   * (its teardown complete), which lingers in the table for a while with nothing to track.
   */
  releaseIfEmpty(): void {
    if (this.#end === this.#head && this.#store !== NONE) this.#release();
  }

  #release(): void {
    this.#store = NONE;
    this.#head = this.#end = 0;
  }

  #compact(): void {
    // A plain loop (Array.prototype.copyWithin is a slow generic builtin on number arrays), and
    // the array keeps its length: shortening it made V8 shrink the store, to grow it again on
    // the next pushes (on a bulk transfer that was most of the stage's allocation per segment).
    // Slots beyond #end are stale and overwritten by `push`.
    const s = this.#store;
    const head = this.#head;
    const end = this.#end;
    for (let from = head, to = 0; from < end; from++, to++) s[to] = s[from]!;
    this.#end = end - head;
    this.#head = 0;
  }
}
