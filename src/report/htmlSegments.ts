// Per-segment points for the HTML report's tcptrace-style plots (sequence number over time).
//
// The report model keeps, per data connection, only summaries (first/last frames, bytes,
// times). The points come from a second pass over the capture through the public packet
// list (packets.ts: relative time, tcp.stream, relative seq/ack and payload length per
// frame), so neither the TCP stage nor the model has to grow for a plot. Points are
// decimated while reading, so memory stays bounded on a capture with millions of segments.

import type { Report } from '../analyze.js';
import type { DataConnectionFacts, FtpEndpoint } from '../ftp/model.js';
import { listPackets } from '../packets.js';

/** One stream's plot data, in seconds since the first frame and relative sequence numbers. */
export interface SeqSeries {
  stream: number;
  /** Data segments of the sending side: [time, seq, len]; decimated bins keep [time, lowest seq, highest seq+len − lowest seq]. */
  data: Array<[number, number, number]>;
  /** ACK numbers of the receiving side: [time, ack]. */
  acks: Array<[number, number]>;
  /** Segments seen before decimation (data, acks). */
  seen: { data: number; acks: number };
  /** True when `data` or `acks` were thinned to fit the display. */
  decimated: boolean;
}

/** Above this many points per series, points are merged per time bin (min/max kept, as a plot shows them). */
export const MAX_POINTS = 2000;

/** The sending and receiving side of a data connection (the side that sent the bytes is the sender). */
export function dataSides(c: DataConnectionFacts): { sender: FtpEndpoint; receiver: FtpEndpoint } {
  return c.bytesFromListener > c.bytesFromOpener ? { sender: c.listener, receiver: c.opener } : { sender: c.opener, receiver: c.listener };
}

/** Reads the capture again and collects, for every data connection of the report, its segments. */
export async function collectSeqSeries(capture: string, report: Report, ftpPorts?: number[]): Promise<Map<number, SeqSeries>> {
  const wanted = new Map<number, { sender: FtpEndpoint; receiver: FtpEndpoint; series: SeqSeries; raw: { data: Array<[number, number, number]>; acks: Array<[number, number]> } }>();
  for (const s of report.sessions) {
    for (const t of s.transfers) {
      if (!t.connection) continue;
      const sides = dataSides(t.connection);
      wanted.set(t.connection.stream, {
        ...sides,
        series: { stream: t.connection.stream, data: [], acks: [], seen: { data: 0, acks: 0 }, decimated: false },
        raw: { data: [], acks: [] },
      });
    }
  }
  if (wanted.size === 0) return new Map();
  await listPackets(capture, (row) => {
    const tcp = row.tcp;
    if (!tcp || row.relTime === null) return;
    const w = wanted.get(tcp.stream);
    if (!w) return;
    const t = Number(row.relTime);
    if (tcp.srcPort === w.sender.port && tcp.dstPort === w.receiver.port) {
      if (tcp.len > 0) {
        w.raw.data.push([t, tcp.seq, tcp.len]);
        w.series.seen.data++;
        if (w.raw.data.length >= 4 * MAX_POINTS) w.raw.data = decimateData(w.raw.data, MAX_POINTS / 2);
      }
    } else if (tcp.srcPort === w.receiver.port && tcp.dstPort === w.sender.port && (tcp.flags & 0x10) !== 0) {
      w.raw.acks.push([t, tcp.ack]);
      w.series.seen.acks++;
      if (w.raw.acks.length >= 4 * MAX_POINTS) w.raw.acks = decimateAcks(w.raw.acks, MAX_POINTS / 2);
    }
  }, ftpPorts ? { ftpPorts } : {});
  const out = new Map<number, SeqSeries>();
  for (const [stream, w] of wanted) {
    const data = w.raw.data.length > MAX_POINTS ? decimateData(w.raw.data, MAX_POINTS / 2) : w.raw.data;
    const acks = w.raw.acks.length > MAX_POINTS ? decimateAcks(w.raw.acks, MAX_POINTS / 2) : w.raw.acks;
    out.set(stream, { ...w.series, data, acks, decimated: data.length < w.series.seen.data || acks.length < w.series.seen.acks });
  }
  return out;
}

/** Merges data points into `bins` time bins, keeping per bin the lowest seq and the highest seq+len. */
export function decimateData(points: Array<[number, number, number]>, bins: number): Array<[number, number, number]> {
  if (points.length <= bins) return points;
  const t0 = points[0]![0];
  const t1 = points[points.length - 1]![0];
  const width = (t1 - t0) / bins || 1;
  const out: Array<[number, number, number]> = [];
  let cur: [number, number, number] | undefined;
  let curBin = -1;
  for (const [t, seq, len] of points) {
    const bin = Math.min(bins - 1, Math.floor((t - t0) / width));
    if (cur && bin === curBin) {
      const top = Math.max(cur[1] + cur[2], seq + len);
      cur[1] = Math.min(cur[1], seq);
      cur[2] = top - cur[1];
    } else {
      if (cur) out.push(cur);
      cur = [t, seq, len];
      curBin = bin;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Keeps the highest ACK per time bin (the ACK line only grows, bar wrap-around). */
export function decimateAcks(points: Array<[number, number]>, bins: number): Array<[number, number]> {
  if (points.length <= bins) return points;
  const t0 = points[0]![0];
  const t1 = points[points.length - 1]![0];
  const width = (t1 - t0) / bins || 1;
  const out: Array<[number, number]> = [];
  let cur: [number, number] | undefined;
  let curBin = -1;
  for (const [t, ack] of points) {
    const bin = Math.min(bins - 1, Math.floor((t - t0) / width));
    if (cur && bin === curBin) {
      cur[0] = t;
      cur[1] = Math.max(cur[1], ack);
    } else {
      if (cur) out.push(cur);
      cur = [t, ack];
      curBin = bin;
    }
  }
  if (cur) out.push(cur);
  return out;
}
