// Wireshark's TCP sequence analysis (the tcp.analysis.* flags, acks_frame, initial_rtt) for one
// connection: the rules of Wireshark 4.0's TCP dissector, rewritten after studying it, and
// checked frame by frame against tshark 4.0 on every fixture and public capture
// (test/tcp/analysis.tshark.test.ts). The rules are heuristics; where they look odd they are kept
// odd on purpose, because a student compares our output with Wireshark's.
//
// Per segment, in this order (each check sees the state the previous segments left):
//   zero-window probe → zero window → previous segment not captured → keep-alive →
//   window update → window full → keep-alive ACK → zero-window-probe ACK → duplicate ACK
//   (a zero-window probe, keep-alive ACK or zero-window-probe ACK skips the rest of this group)
//   → ACKed unseen segment → spurious retransmission / fast retransmission / out-of-order /
//   retransmission (at most one) → state updates → acknowledged segments (acks_frame).

import { TcpFlag } from '../decode/Packet.js';
import { FlowState, MAX_UNACKED_SEGMENTS, WINDOW_SCALE_NONE, WINDOW_SCALE_UNKNOWN } from './FlowState.js';
import { seqAdd32, seqDiff } from './sequence.js';
import type { Direction } from './StreamEvents.js';
import { TcpAnalysis } from './TcpModel.js';
import type { AckedSink } from './UnackedSegments.js';

const SYN = TcpFlag.SYN;
const ACK = TcpFlag.ACK;
const FIN = TcpFlag.FIN;
const RST = TcpFlag.RST;
const SYN_FIN_RST = SYN | FIN | RST;

/** A retransmission this soon after the peer's second duplicate ACK is a fast retransmission. */
const FAST_RETRANSMISSION_NS = 20_000_000;
/** Out-of-order window when the initial RTT is not known: 3 ms. */
const DEFAULT_OUT_OF_ORDER_NS = 3_000_000;
/** Marks a direction whose pure ACKs already drew one "ACKed unseen segment" for the same hole. */
const ACK_LOST_REPORTED = -1;

/** Called when an ACK covers a whole segment of the other direction. */
export type AckedSegmentHandler = (dataDirection: Direction, dataFrame: number, ackFrame: number) => void;

/** The per-segment results of `analyze`, written into a reused object. */
export class SegmentAnalysis {
  flags = 0;
  dupAckNum = 0;
  dupAckFrame = 0;
  acksFrame = 0;
  ackRttNs = -1;
}

export class SequenceAnalyzer implements AckedSink {
  /** [from client, from server]. */
  readonly flows: [FlowState, FlowState] = [new FlowState(), new FlowState()];
  /** Time of the most recent SYN (without ACK), -1 before one. */
  mruSynTime = -1;
  /** tcp.analysis.initial_rtt, 0 while unknown (Wireshark's "zero means unset"). */
  firstRttNs = 0;
  /** Told about each segment an ACK covers; optional. */
  onAcked: AckedSegmentHandler | undefined;
  // The ACK being processed, for `covered`.
  #ackOut: SegmentAnalysis | undefined;
  #ackFrame = 0;
  #ackTime = 0;
  #ackDirection: Direction = 0;

  /**
   * Analyses one segment sent in direction `d`. `seq` and `ack` are the raw header fields,
   * unsigned or as signed 32-bit values (kept signed from here on, see `seq32`); `window` is the
   * raw window field; `time` is nanoseconds since the capture's first frame. Results go into `out`.
   */
  analyze(d: Direction, rawSeq: number, rawAck: number, seglen: number, flags: number, window: number, frame: number, time: number, out: SegmentAnalysis): void {
    const seq = rawSeq | 0;
    const ack = rawAck | 0;
    const fwd = this.flows[d];
    const rev = this.flows[d === 0 ? 1 : 0];
    let ta = 0;
    out.dupAckNum = 0;
    out.dupAckFrame = 0;
    out.acksFrame = 0;
    out.ackRttNs = -1;

    this.bases(d, seq, ack, flags);
    // An ACK from the peer makes this side's bytes-in-flight figure meaningful again.
    if ((flags & ACK) !== 0) rev.validBif = true;

    const noSfr = (flags & SYN_FIN_RST) === 0;
    firstGroup: {
      // Zero-window probe (RFC 9293 §3.8.6.1): one byte at the next sequence number while the
      // peer's window is closed.
      if (seglen === 1 && seq === fwd.nextSeq && rev.window === 0) {
        ta |= TcpAnalysis.ZERO_WINDOW_PROBE;
        break firstGroup;
      }
      if (window === 0 && noSfr) ta |= TcpAnalysis.ZERO_WINDOW;
      // Beyond everything seen so far: something in between was not captured.
      if (fwd.nextSeq !== 0 && seqDiff(seq, fwd.nextSeq) > 0 && (flags & RST) === 0) {
        ta |= TcpAnalysis.LOST_SEGMENT;
        fwd.validBif = false;
      }
      // Keep-alive (RFC 1122 §4.2.3.6): SND.NXT − 1, with no data or one garbage byte.
      if (seglen <= 1 && seq === seqAdd32(fwd.nextSeq, -1) && noSfr) ta |= TcpAnalysis.KEEP_ALIVE;
      const repeat = seglen === 0 && seq === fwd.nextSeq && ack === fwd.lastAck && noSfr;
      if (repeat && window !== 0 && window !== fwd.window) ta |= TcpAnalysis.WINDOW_UPDATE;
      // Window full: the data reaches exactly the right edge the peer last advertised. The
      // peer's window is scaled unless it came in its SYN (no ACK from it since).
      if (seglen > 0 && rev.winScale !== WINDOW_SCALE_UNKNOWN && noSfr) {
        const shift = rev.isFirstAck || rev.winScale === WINDOW_SCALE_NONE ? 0 : rev.winScale;
        if (seqAdd32(seq, seglen) === seqAdd32(rev.lastAck, rev.window << shift)) ta |= TcpAnalysis.WINDOW_FULL;
      }
      if (repeat && window !== 0 && window === fwd.window && (rev.lastSegmentFlags & TcpAnalysis.KEEP_ALIVE) !== 0) {
        ta |= TcpAnalysis.KEEP_ALIVE_ACK;
        break firstGroup;
      }
      if (repeat && window === 0 && fwd.window === 0 && (rev.lastSegmentFlags & TcpAnalysis.ZERO_WINDOW_PROBE) !== 0) {
        ta |= TcpAnalysis.ZERO_WINDOW_PROBE_ACK;
        break firstGroup;
      }
      if (repeat && window !== 0 && window === fwd.window) {
        // After an "ACKed unseen segment" answered by this side's pure ACKs, restart at 1.
        fwd.dupAckCount = fwd.dupAckCount === ACK_LOST_REPORTED ? 1 : fwd.dupAckCount + 1;
        ta |= TcpAnalysis.DUPLICATE_ACK;
        out.dupAckNum = fwd.dupAckCount;
        out.dupAckFrame = fwd.lastNonDupAck;
      }
    }
    // A new acknowledgement number starts a new run of duplicates.
    if (ack !== fwd.lastAck) {
      fwd.lastNonDupAck = frame;
      fwd.dupAckCount = 0;
    }

    // An ACK beyond the contiguous data seen the other way: that data was not captured. Said
    // once per hole: the boundary jumps to the highest data seen; when it is already there, a
    // run of such ACKs is reported once (the peer's duplicate-ACK counter remembers).
    if (rev.maxSeqToBeAcked !== 0 && seqDiff(ack, rev.maxSeqToBeAcked) > 0 && (flags & ACK) !== 0) {
      if (seqDiff(rev.maxSeqToBeAcked, rev.nextSeq) < 0) {
        rev.maxSeqToBeAcked = rev.nextSeq;
        ta |= TcpAnalysis.ACK_LOST_SEGMENT;
      } else {
        if (rev.dupAckCount === 0) ta |= TcpAnalysis.ACK_LOST_SEGMENT;
        rev.dupAckCount = ACK_LOST_REPORTED;
      }
    }

    if ((seglen > 0 || (flags & (SYN | FIN)) !== 0) && (ta & TcpAnalysis.KEEP_ALIVE) === 0) {
      let notAdvanced = fwd.nextSeq !== 0 && seqDiff(seq, fwd.nextSeq) < 0;
      // New data starting one byte early follows a zero-window probe: not a retransmission.
      if (seglen > 1 && seqAdd32(fwd.nextSeq, -1) === seq) notAdvanced = false;
      // Times are compared as Wireshark's unsigned differences: a clock going backwards
      // (captures merged out of order) never counts as "soon".
      const sinceAck = time - rev.lastAckTime;
      const sinceNext = time - fwd.nextSeqTime;
      const end = seqAdd32(seq, seglen);
      if (seglen > 0 && rev.lastAck !== 0 && seqDiff(end, rev.lastAck) <= 0) {
        // Everything in it was acknowledged already.
        ta |= TcpAnalysis.SPURIOUS_RETRANSMISSION;
      } else if (notAdvanced && rev.dupAckCount >= 2 && rev.lastAck === seq && sinceAck >= 0 && sinceAck < FAST_RETRANSMISSION_NS) {
        ta |= TcpAnalysis.FAST_RETRANSMISSION;
      } else if (notAdvanced && sinceNext >= 0 && sinceNext < (this.firstRttNs !== 0 ? this.firstRttNs : DEFAULT_OUT_OF_ORDER_NS) &&
          fwd.nextSeq !== ((flags & (SYN | FIN)) !== 0 ? seqAdd32(end, 1) : end)) {
        ta |= TcpAnalysis.OUT_OF_ORDER;
      } else if (notAdvanced) {
        ta |= TcpAnalysis.RETRANSMISSION;
      }
    }

    let nextSeq = seqAdd32(seq, seglen);
    if ((seglen > 0 || (flags & (SYN | FIN)) !== 0) && fwd.unacked.count < MAX_UNACKED_SEGMENTS) {
      // SYN and FIN take a sequence number each (RFC 9293 §3.4). Wireshark counts it only
      // here, so a FIN beyond its unacked-segment limit does not advance nextSeq: kept.
      if ((flags & (SYN | FIN)) !== 0) nextSeq = seqAdd32(nextSeq, 1);
      fwd.unacked.push(seq, nextSeq, frame, time);
    }
    // A zero-window probe's byte does not count as sent.
    const probe = (ta & TcpAnalysis.ZERO_WINDOW_PROBE) !== 0;
    if ((fwd.nextSeq === 0 || seqDiff(nextSeq, fwd.nextSeq) > 0) && !probe) {
      fwd.nextSeq = nextSeq;
      fwd.nextSeqFrame = frame;
      fwd.nextSeqTime = time;
    }
    if ((fwd.maxSeqToBeAcked === 0 || seq === fwd.maxSeqToBeAcked) && !probe) fwd.maxSeqToBeAcked = fwd.nextSeq;

    fwd.window = window;
    fwd.lastAck = ack;
    fwd.lastAckTime = time;
    fwd.lastSegmentFlags = ta;

    // Segments of the peer this acknowledges; Wireshark reads the field whatever the flags say.
    this.#ackOut = out;
    this.#ackFrame = frame;
    this.#ackTime = time;
    this.#ackDirection = d;
    rev.unacked.acknowledge(ack, this);
    out.flags = ta;
  }

  /**
   * Only the relative-number bases (all `analyze` does when the analysis is switched off):
   * the SYN's ISN; otherwise the first segment counts as relative 1, and an ACK of a side not
   * yet seen fixes that side at ack − 1.
   */
  bases(d: Direction, rawSeq: number, rawAck: number, flags: number): void {
    const fwd = this.flows[d];
    if (!fwd.baseSet) {
      fwd.base = (flags & SYN) !== 0 ? rawSeq | 0 : seqAdd32(rawSeq | 0, -1);
      fwd.baseSet = true;
    }
    const rev = this.flows[d === 0 ? 1 : 0];
    if (!rev.baseSet && (flags & ACK) !== 0) {
      rev.base = seqAdd32(rawAck | 0, -1);
      rev.baseSet = true;
    }
  }

  /**
   * AckedSink: a segment of the peer the current ACK covers. An exact match (the ACK ends right
   * after it) is what the ACK acknowledges (tcp.analysis.acks_frame); Wireshark walks newest
   * first and keeps the last match, so the oldest exact match wins.
   */
  covered(dataFrame: number, sentAt: number, exact: boolean): void {
    const out = this.#ackOut!;
    if (exact && out.acksFrame === 0) {
      out.acksFrame = dataFrame;
      out.ackRttNs = this.#ackTime - sentAt;
    }
    this.onAcked?.(this.#ackDirection === 0 ? 1 : 0, dataFrame, this.#ackFrame);
  }

  /**
   * A SYN repeating this side's ISN: its earlier SYN (or an RST sent with the peer's ACK as its
   * sequence number, RFC 9293 §3.10.7) may have moved nextSeq; go back to the contiguous end.
   */
  synRepeated(d: Direction): void {
    const fwd = this.flows[d];
    fwd.nextSeq = fwd.maxSeqToBeAcked;
  }
}
