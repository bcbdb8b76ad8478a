// Turns the TCP stage's connection summary into the facts the FTP report prints for a control
// connection: the three handshake segments and the RTT, and the FIN/RST segments with the ACKs
// that answered them — each with relative and raw sequence numbers, as a lab report asks.

import { TcpFlag } from '../decode/Packet.js';
import type { ControlConnectionFacts, ControlConnectionSummary, SummarySegment, TcpSegmentFact } from './model.js';
import { epochText, parseEpochText, secondsBetween } from './time.js';

/** TCP flags in the order Wireshark lists them ("FIN, PSH, ACK"). */
export function tcpFlagNames(flags: number): string {
  const names: Array<[number, string]> = [
    [TcpFlag.FIN, 'FIN'], [TcpFlag.SYN, 'SYN'], [TcpFlag.RST, 'RST'], [TcpFlag.PSH, 'PSH'], [TcpFlag.ACK, 'ACK'],
    [TcpFlag.URG, 'URG'], [TcpFlag.ECE, 'ECE'], [TcpFlag.CWR, 'CWR'], [TcpFlag.AE, 'AE'],
  ];
  return names.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n).join(', ');
}

function fact(s: SummarySegment | undefined): TcpSegmentFact | undefined {
  if (!s) return undefined;
  return {
    frame: s.frame, time: epochText(s.tsSec, s.tsNsec), from: s.from, flags: tcpFlagNames(s.flags),
    seq: s.seq, ack: s.ack, seqRaw: s.seqRaw, ackRaw: s.ackRaw, len: s.len,
  };
}

const seconds = (ns: number | undefined): number | undefined => (ns === undefined || ns < 0 ? undefined : ns / 1e9);

export function controlConnectionFacts(c: ControlConnectionSummary): ControlConnectionFacts {
  const hs = c.handshake;
  const handshake: NonNullable<ControlConnectionFacts['handshake']> = {};
  const syn = fact(hs.syn);
  const synAck = fact(hs.synAck);
  const ack = fact(hs.ack);
  if (syn) handshake.syn = syn;
  if (synAck) handshake.synAck = synAck;
  if (ack) handshake.ack = ack;
  const rtt = seconds(hs.initialRttNs);
  const a = seconds(hs.synToSynAckNs);
  const b = seconds(hs.synAckToAckNs);
  if (rtt !== undefined) handshake.initialRtt = rtt;
  if (a !== undefined) handshake.synToSynAck = a;
  if (b !== undefined) handshake.synAckToAck = b;

  // FINs, the ACKs that answered them, and RSTs, once each, in frame order.
  const td = c.teardown;
  const seen = new Map<number, TcpSegmentFact>();
  for (const s of [td.client.fin, td.client.fin?.ackedBy, td.server.fin, td.server.fin?.ackedBy, td.client.rst, td.server.rst]) {
    const f = fact(s);
    if (f && !seen.has(f.frame)) seen.set(f.frame, f);
  }
  const segments = [...seen.values()].sort((x, y) => x.frame - y.frame);
  const out: ControlConnectionFacts = {
    stream: c.stream,
    handshake,
    teardown: { segments, reset: td.client.rst !== undefined || td.server.rst !== undefined },
    packets: c.fromClient.frames + c.fromServer.frames,
    bytes: c.fromClient.bytes + c.fromServer.bytes,
    lastFrame: c.lastFrame,
  };
  if (td.activeCloser) out.teardown!.firstCloser = td.activeCloser;
  out.endTime = connectionEndTime(c.startTsSec, c.startTsNsec, c.durationNs);
  return out;
}

/** A connection's end as epoch text: its first frame's time plus its duration (TcpConnection's fields). */
export function connectionEndTime(startTsSec: number, startTsNsec: number, durationNs: number): string {
  const endNs = startTsNsec + durationNs;
  return epochText(startTsSec + Math.floor(endNs / 1e9), endNs % 1e9);
}

/** A data connection's duration as the report gives it (DataConnectionFacts.duration): seconds, nine decimals. */
export function connectionDuration(durationNs: number): string {
  return (durationNs / 1e9).toFixed(9);
}

/**
 * A session's end and duration once its control connection's last frame is known: the TCP
 * stage sees every frame (pure ACKs, the last FIN), the FTP stage only those with bytes, so
 * the connection may end later than the last command or reply. Undefined when it does not.
 */
export function sessionEndAfterTcp(
  start: { time: string },
  end: { frame: number; time: string },
  lastFrame: number | undefined,
  endTime: string | undefined,
): { end: { frame: number; time: string }; duration: string | undefined } | undefined {
  if (lastFrame === undefined || lastFrame <= end.frame) return undefined;
  const later = { frame: lastFrame, time: endTime ?? end.time };
  const from = parseEpochText(start.time);
  const to = parseEpochText(later.time);
  return { end: later, duration: from && to ? secondsBetween(from.sec, from.nsec, to.sec, to.nsec) : undefined };
}
