// Per data connection, the points of a tcptrace-style time-sequence graph (Wireshark's
// Statistics ▸ TCP Stream Graphs ▸ tcptrace / Stevens), collected during the one pass over the
// capture from the TCP stage's per-segment view (relative seq/ack, window, analysis flags) and
// the decoded header (length, flags, time). Nothing here reads TCP internals or the capture
// again, and every series stays bounded however long the transfer is:
//
// - data segments and ACKs are kept one point per segment until a series holds MAX_POINTS;
//   then they are merged per time bucket (lowest seq and highest seq+len per bucket for data,
//   the highest ACK per bucket), and the bucket width doubles whenever the series fills up
//   again, so the buckets stay equal in width over the whole transfer and the graph keeps its
//   shape (every bucket still shows the range of bytes sent in it);
// - retransmitted segments are also kept one by one, up to MAX_RETRANSMISSIONS.
//
// Only connections the FTP stage took for data are watched (MAX_CONNECTIONS of them at most).

import type { Packet } from '../decode/Packet.js';
import { TcpAnalysis } from '../tcp/TcpModel.js';
import type { DataConnectionFacts, SeqPlot, SeqPlotAckPoint, SeqPlotDataPoint, SeqPlotRetransmission } from './model.js';
import { SlotMap } from '../util/SlotMap.js';

/** Points per series (data or ACKs) at most. */
export const MAX_POINTS = 2000;
/** Retransmitted segments kept one by one per connection, at most. */
export const MAX_RETRANSMISSIONS = 500;
/**
 * Data connections given a plot per report, at most (the first ones in the capture). With both
 * directions' series full, one connection holds about 9,000 small points; 200 of them keep the
 * collector under about 150 MB however the capture is built (a real transfer, data one way and
 * ACKs the other, uses under half that).
 */
export const MAX_CONNECTIONS = 200;

const RETRANSMITTED = TcpAnalysis.RETRANSMISSION | TcpAnalysis.FAST_RETRANSMISSION | TcpAnalysis.SPURIOUS_RETRANSMISSION;
const ACK_FLAG = 0x010;
const SYN_FLAG = 0x002;
const TWO32 = 2 ** 32;

/** The TCP stage's view of a segment, as far as the plot needs it (TcpSegmentView fits). */
export interface PlotSegmentView {
  stream: number;
  direction: 0 | 1;
  seq: number;
  ack: number;
  window: number;
  analysis: number;
}

/** A point kept while collecting: times in nanoseconds since the connection's first frame. */
interface DataAcc { frame: number; lastFrame: number; t: number; seq: number; end: number; segments: number; retransmissions: number }
interface AckAcc { frame: number; t: number; ack: number; window: number }

/** Points in equal-width time buckets; the width doubles whenever there are more than `cap`. */
class TimeBuckets<P extends { t: number }> {
  readonly points: P[] = [];
  #index: number[] = [];
  /** Bucket width in nanoseconds; 0 while every point is kept. */
  width = 0;
  constructor(private readonly cap: number, private readonly merge: (into: P, from: P) => void) {}

  add(p: P): void {
    const pts = this.points;
    if (this.width === 0) {
      pts.push(p);
      if (pts.length > this.cap) {
        const span = pts[pts.length - 1]!.t - pts[0]!.t;
        this.#regroup(Math.max(1, Math.ceil(span / (this.cap / 2))), true);
      }
      return;
    }
    const last = this.#index[this.#index.length - 1]!;
    const i = Math.max(last, Math.floor(p.t / this.width));
    if (i === last) this.merge(pts[pts.length - 1]!, p);
    else {
      pts.push(p);
      this.#index.push(i);
      if (pts.length > this.cap) while (pts.length > this.cap / 2) this.#regroup(this.width * 2, false);
    }
  }

  /** Merges neighbours that fall into the same bucket of the new width (time only moves forward). */
  #regroup(width: number, fromRaw: boolean): void {
    const old = this.points.splice(0);
    const oldIndex = this.#index;
    this.#index = [];
    let last = -1;
    old.forEach((p, k) => {
      const i = Math.max(last, fromRaw ? Math.floor(p.t / width) : Math.floor(oldIndex[k]! / 2));
      if (i === last) this.merge(this.points[this.points.length - 1]!, p);
      else {
        this.points.push(p);
        this.#index.push(i);
        last = i;
      }
    });
    this.width = width;
  }
}

/** One direction of a watched connection. */
class Side {
  payloadBytes = 0;
  dataSegments = 0;
  ackSegments = 0;
  retransmittedSegments = 0;
  readonly retransmissions: Array<{ frame: number; t: number; seq: number; len: number }> = [];
  readonly data = new TimeBuckets<DataAcc>(MAX_POINTS, (a, b) => {
    a.seq = Math.min(a.seq, b.seq);
    a.end = Math.max(a.end, b.end);
    a.lastFrame = b.lastFrame;
    a.segments += b.segments;
    a.retransmissions += b.retransmissions;
  });
  readonly acks = new TimeBuckets<AckAcc>(MAX_POINTS, (a, b) => {
    if (b.ack >= a.ack) {
      a.ack = b.ack;
      a.frame = b.frame;
      a.t = b.t;
      a.window = b.window;
    }
  });
  /** Highest unwrapped sequence and acknowledgement number so far (past 4 GiB they keep rising). */
  #seqHigh = 0;
  #ackHigh = 0;

  unwrapSeq(seq: number): number {
    const u = unwrap(seq, this.#seqHigh);
    this.#seqHigh = Math.max(this.#seqHigh, u);
    return u;
  }

  unwrapAck(ack: number): number {
    const u = unwrap(ack, this.#ackHigh);
    this.#ackHigh = Math.max(this.#ackHigh, u);
    return u;
  }
}

/** The 64-bit value nearest to `near` whose low 32 bits are `v`. */
function unwrap(v: number, near: number): number {
  const base = Math.floor(near / TWO32) * TWO32;
  let u = base + v;
  if (u < near - TWO32 / 2) u += TWO32;
  else if (u > near + TWO32 / 2 && u >= TWO32) u -= TWO32;
  return u;
}

interface Watched {
  startSec: number;
  startNsec: number;
  sides: [Side, Side];
}

export class SeqPlotCollector {
  /** A SlotMap: data connections come and go by the thousand (see util/SlotMap.ts). */
  readonly #watched = new SlotMap<number, Watched>();
  /** Streams that were data connections but came after MAX_CONNECTIONS. */
  readonly #skipped = new Set<number>();
  /** Connections watched so far, forgotten ones included: the first MAX_CONNECTIONS get plots. */
  #started = 0;

  /** Starts watching a data connection (the FTP stage just claimed it). */
  watch(stream: number, tsSec: number, tsNsec: number): void {
    if (this.#watched.has(stream)) return;
    if (this.#started >= MAX_CONNECTIONS) {
      this.#skipped.add(stream);
      return;
    }
    this.#started++;
    this.#watched.set(stream, { startSec: tsSec, startNsec: tsNsec, sides: [new Side(), new Side()] });
  }

  /** Drops what was kept of a connection whose plot was taken (its session was handed on). */
  forget(stream: number): void {
    this.#watched.delete(stream);
    this.#skipped.delete(stream);
  }

  /** Every TCP segment, after the TCP stage's `process`; ignored unless its connection is watched. */
  segment(frame: number, view: PlotSegmentView, packet: Packet): void {
    const w = this.#watched.get(view.stream);
    const tcp = packet.tcp;
    if (!w || !tcp || packet.frame.timestampMissing) return;
    const t = (packet.frame.tsSec - w.startSec) * 1e9 + (packet.frame.tsNsec - w.startNsec);
    const side = w.sides[view.direction];
    const len = tcp.length;
    if (len > 0 && (tcp.flags & SYN_FLAG) === 0) {
      const seq = side.unwrapSeq(view.seq);
      const retransmitted = (view.analysis & RETRANSMITTED) !== 0;
      side.payloadBytes += len;
      side.dataSegments++;
      side.data.add({ frame, lastFrame: frame, t, seq, end: seq + len, segments: 1, retransmissions: retransmitted ? 1 : 0 });
      if (retransmitted) {
        side.retransmittedSegments++;
        if (side.retransmissions.length < MAX_RETRANSMISSIONS) side.retransmissions.push({ frame, t, seq, len });
      }
    }
    if ((tcp.flags & ACK_FLAG) !== 0 && (tcp.flags & SYN_FLAG) === 0) {
      side.ackSegments++;
      side.acks.add({ frame, t, ack: side.unwrapAck(view.ack), window: view.window });
    }
  }

  /**
   * The plot of one data connection: the data its busier side sent and the other side's ACKs.
   * Undefined when the connection was never watched; null when it came after MAX_CONNECTIONS.
   */
  plotOf(c: DataConnectionFacts): SeqPlot | null | undefined {
    if (this.#skipped.has(c.stream)) return null;
    const w = this.#watched.get(c.stream);
    if (!w) return undefined;
    const from: 0 | 1 = w.sides[1].payloadBytes > w.sides[0].payloadBytes ? 1 : 0;
    const s = w.sides[from];
    const r = w.sides[from === 0 ? 1 : 0];
    const sec = (ns: number) => Math.round(ns) / 1e9;
    return {
      sender: from === 0 ? 'opener' : 'listener',
      data: {
        segments: s.dataSegments,
        bucketSeconds: sec(s.data.width),
        points: s.data.points.map((p): SeqPlotDataPoint => ({
          frame: p.frame, lastFrame: p.lastFrame, time: sec(p.t), seq: p.seq, end: p.end, segments: p.segments, retransmissions: p.retransmissions,
        })),
      },
      acks: {
        segments: r.ackSegments,
        bucketSeconds: sec(r.acks.width),
        points: r.acks.points.map((p): SeqPlotAckPoint => ({ frame: p.frame, time: sec(p.t), ack: p.ack, window: p.window })),
      },
      retransmissions: {
        segments: s.retransmittedSegments,
        points: s.retransmissions.map((p): SeqPlotRetransmission => ({ frame: p.frame, time: sec(p.t), seq: p.seq, len: p.len })),
      },
    };
  }
}
