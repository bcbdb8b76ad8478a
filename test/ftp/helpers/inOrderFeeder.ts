// TEST-ONLY. A stand-in for the TCP stage (src/tcp, written in parallel) so the FTP consumer
// can be driven from real captures before that stage lands. It is deliberately small: per
// direction it delivers bytes in sequence order, trims retransmitted bytes, holds segments that
// arrive early until the hole is filled (reporting a gap at the end of the capture when it never
// is), and gives rough handshake/teardown facts. It is NOT the project's TCP reassembler and
// must not be used outside test/.

import { readCapture } from '../../../src/capture/readCapture.js';
import { PacketDecoder } from '../../../src/decode/PacketDecoder.js';
import { TcpFlag, type Packet } from '../../../src/decode/Packet.js';
import type { ControlConnectionFacts, TcpSegmentFact } from '../../../src/ftp/model.js';
import { epochText } from '../../../src/ftp/time.js';
import { TcpConversationTracker } from '../../../src/tcp/TcpConversationTracker.js';
import { seqDiff } from '../../../src/tcp/sequence.js';
import type { ConnectionStart, Direction, StreamConsumer, StreamConsumerFactory } from '../../../src/tcp/StreamEvents.js';

interface Held {
  seq: number;
  bytes: Uint8Array;
  frame: number;
  tsSec: number;
  tsNsec: number;
}

interface Side {
  /** Raw sequence number of stream offset 0 (set by the SYN or the first segment). */
  base?: number;
  next?: number;
  held: Held[];
  ended: boolean;
  finSeen: boolean;
  /** Raw ISN for relative numbers (SYN's seq, or first seq − 1). */
  isn?: number;
  /** Highest raw sequence number the other side acknowledged. */
  acked?: number;
}

interface Conn {
  stream: number;
  clientKey: string;
  consumer: StreamConsumer | undefined;
  sides: [Side, Side];
  facts: ControlConnectionFacts;
  startSec: number;
  startNsec: number;
  synSec?: number;
  synNsec?: number;
  synAckSec?: number;
  synAckNsec?: number;
  closed: boolean;
}

export interface FeedResult {
  /** TCP facts per tcp.stream, for FtpAnalyzer.finish({ tcpFacts }). */
  facts: Map<number, ControlConnectionFacts>;
  frames: number;
}

const key = (ip: string, port: number) => `${ip}/${port}`;

function flagText(flags: number): string {
  const names: string[] = [];
  if (flags & TcpFlag.FIN) names.push('FIN');
  if (flags & TcpFlag.SYN) names.push('SYN');
  if (flags & TcpFlag.RST) names.push('RST');
  if (flags & TcpFlag.PSH) names.push('PSH');
  if (flags & TcpFlag.ACK) names.push('ACK');
  return names.join(', ');
}

function seconds(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return bSec - aSec + (bNsec - aNsec) / 1e9;
}

/** Reads `file`, feeding every TCP connection to `factory` and every packet to `onPacket`. */
export async function feedCapture(
  file: string,
  factory: StreamConsumerFactory,
  onPacket?: (packet: Packet) => void,
): Promise<FeedResult> {
  const decoder = new PacketDecoder();
  const tracker = new TcpConversationTracker();
  const conns = new Map<number, Conn>();
  let frames = 0;

  const deliver = (conn: Conn, dir: Direction, h: Held) => {
    const side = conn.sides[dir];
    if (side.base === undefined || side.next === undefined) return;
    let bytes = h.bytes;
    let seq = h.seq;
    const behind = seqDiff(side.next, seq);
    if (behind > 0) {
      if (behind >= bytes.length) return; // all retransmitted
      bytes = bytes.subarray(behind);
      seq = side.next;
    }
    conn.consumer?.data({
      direction: dir,
      offset: seqDiff(seq, side.base),
      bytes,
      frames: [h.frame],
      tsSec: h.tsSec,
      tsNsec: h.tsNsec,
    });
    side.next = (seq + bytes.length) >>> 0;
  };

  const drainHeld = (conn: Conn, dir: Direction) => {
    const side = conn.sides[dir];
    for (;;) {
      if (side.next === undefined) return;
      const next = side.next;
      const i = side.held.findIndex((h) => seqDiff(h.seq, next) <= 0);
      if (i < 0) return;
      const [h] = side.held.splice(i, 1);
      if (h) deliver(conn, dir, h);
    }
  };

  // The other side acknowledged bytes this capture never had (Wireshark: "ACKed unseen
  // segment"): stop waiting for them and say so, before the acknowledging segment's own bytes
  // are handed on — its reply may answer a command that was in the missing bytes.
  const giveUpHole = (conn: Conn, dir: Direction, frame: number) => {
    const side = conn.sides[dir];
    if (side.next === undefined || side.base === undefined || side.acked === undefined) return;
    if (seqDiff(side.acked, side.next) <= 0) return;
    side.held.sort((a, b) => seqDiff(a.seq, b.seq));
    const first = side.held[0];
    const end = first && seqDiff(first.seq, side.acked) < 0 ? first.seq : side.acked;
    // A FIN is acknowledged too (one sequence number beyond the data): not a hole.
    if (side.finSeen && seqDiff(end, side.next) <= 1) return;
    if (seqDiff(end, side.next) > 0) {
      conn.consumer?.gap({ direction: dir, start: seqDiff(side.next, side.base), end: seqDiff(end, side.base), reason: 'not-captured', frame });
      side.next = end;
    }
    drainHeld(conn, dir);
  };

  const endSide = (conn: Conn, dir: Direction, reason: 'fin' | 'rst' | 'end-of-capture', frame?: number) => {
    const side = conn.sides[dir];
    if (side.ended) return;
    side.ended = true;
    conn.consumer?.end(frame === undefined ? { direction: dir, reason } : { direction: dir, reason, frame });
  };

  const summary = await readCapture(file, (frame) => {
    frames++;
    const packet = decoder.decode(frame);
    onPacket?.(packet);
    const view = tracker.track(packet);
    const ip = packet.ip;
    const tcp = packet.tcp;
    if (!view || !ip || !tcp) return;
    const from = key(ip.src, tcp.srcPort);
    const syn = (tcp.flags & TcpFlag.SYN) !== 0;
    const ackFlag = (tcp.flags & TcpFlag.ACK) !== 0;
    let conn = conns.get(view.stream);
    if (!conn) {
      // Roles: the SYN's sender is the client; a SYN/ACK's receiver; otherwise the higher port.
      let clientIsSender: boolean;
      let rolesFrom: ConnectionStart['rolesFrom'];
      if (syn && !ackFlag) [clientIsSender, rolesFrom] = [true, 'syn'];
      else if (syn && ackFlag) [clientIsSender, rolesFrom] = [false, 'syn-ack'];
      else [clientIsSender, rolesFrom] = [tcp.srcPort > tcp.dstPort, 'heuristic'];
      const client = clientIsSender ? { ip: ip.src, port: tcp.srcPort } : { ip: ip.dst, port: tcp.dstPort };
      const server = clientIsSender ? { ip: ip.dst, port: tcp.dstPort } : { ip: ip.src, port: tcp.srcPort };
      const start: ConnectionStart = { stream: view.stream, client, server, rolesFrom, firstFrame: frame.no, tsSec: frame.tsSec, tsNsec: frame.tsNsec };
      conn = {
        stream: view.stream,
        clientKey: key(client.ip, client.port),
        consumer: factory(start),
        sides: [{ held: [], ended: false, finSeen: false }, { held: [], ended: false, finSeen: false }],
        facts: { stream: view.stream, packets: 0, bytes: 0, firstFrame: frame.no },
        startSec: frame.tsSec,
        startNsec: frame.tsNsec,
        closed: false,
      };
      conns.set(view.stream, conn);
    }
    const dir: Direction = from === conn.clientKey ? 0 : 1;
    const side = conn.sides[dir];
    const other = conn.sides[dir === 0 ? 1 : 0];
    const facts = conn.facts;
    facts.packets = (facts.packets ?? 0) + 1;
    facts.bytes = (facts.bytes ?? 0) + frame.originalLength;
    facts.lastFrame = frame.no;
    facts.endTime = epochText(frame.tsSec, frame.tsNsec);

    if (side.isn === undefined) side.isn = syn ? tcp.seq : (tcp.seq - 1) >>> 0;
    if (ackFlag && other.isn === undefined) other.isn = (tcp.ack - 1) >>> 0;
    const fact = (): TcpSegmentFact => ({
      frame: frame.no,
      time: epochText(frame.tsSec, frame.tsNsec),
      from: dir === 0 ? 'client' : 'server',
      flags: flagText(tcp.flags),
      seq: (tcp.seq - (side.isn ?? 0)) >>> 0,
      ack: ackFlag ? (tcp.ack - (other.isn ?? 0)) >>> 0 : 0,
      seqRaw: tcp.seq,
      ackRaw: tcp.ack,
      len: tcp.length,
    });
    const hs = (facts.handshake ??= {});
    if (syn && !ackFlag && !hs.syn) {
      hs.syn = fact();
      conn.synSec = frame.tsSec;
      conn.synNsec = frame.tsNsec;
    } else if (syn && ackFlag && !hs.synAck) {
      hs.synAck = fact();
      conn.synAckSec = frame.tsSec;
      conn.synAckNsec = frame.tsNsec;
      if (conn.synSec !== undefined) hs.synToSynAck = seconds(conn.synSec, conn.synNsec ?? 0, frame.tsSec, frame.tsNsec);
    } else if (!syn && ackFlag && hs.synAck && !hs.ack && dir === 0) {
      hs.ack = fact();
      if (conn.synSec !== undefined) hs.initialRtt = seconds(conn.synSec, conn.synNsec ?? 0, frame.tsSec, frame.tsNsec);
      if (conn.synAckSec !== undefined) hs.synAckToAck = seconds(conn.synAckSec, conn.synAckNsec ?? 0, frame.tsSec, frame.tsNsec);
    }
    const fin = (tcp.flags & TcpFlag.FIN) !== 0;
    const rst = (tcp.flags & TcpFlag.RST) !== 0;
    const td = facts.teardown;
    if (fin || rst) {
      const t = (facts.teardown ??= { segments: [], reset: false });
      t.firstCloser ??= dir === 0 ? 'client' : 'server';
      t.segments.push(fact());
      if (rst) t.reset = true;
    } else if (td && ackFlag && tcp.length === 0 && td.segments.length > 0 && td.segments.length < 4) {
      td.segments.push(fact());
    }

    if (fin) side.finSeen = true;
    if (ackFlag && !syn && (other.acked === undefined || seqDiff(tcp.ack, other.acked) > 0)) other.acked = tcp.ack;
    giveUpHole(conn, dir === 0 ? 1 : 0, frame.no);

    if (syn) {
      side.base = (tcp.seq + 1) >>> 0;
      side.next ??= side.base;
    } else if (side.base === undefined) {
      side.base = tcp.seq;
      side.next = tcp.seq;
    }
    const payload = tcp.payload.subarray(0, Math.min(tcp.payload.length, tcp.length));
    if (payload.length > 0 && !syn) {
      const held: Held = { seq: tcp.seq, bytes: payload.slice(), frame: frame.no, tsSec: frame.tsSec, tsNsec: frame.tsNsec };
      if (side.next !== undefined && seqDiff(tcp.seq, side.next) > 0) side.held.push(held);
      else deliver(conn, dir, held);
      drainHeld(conn, dir);
    }
    giveUpHole(conn, dir, frame.no);
    if (fin && side.next !== undefined && seqDiff((tcp.seq + tcp.length) >>> 0, side.next) <= 0 && side.held.length === 0) {
      endSide(conn, dir, 'fin', frame.no);
    }
    if (rst) {
      endSide(conn, 0, 'rst', frame.no);
      endSide(conn, 1, 'rst', frame.no);
    }
    if (conn.sides[0].ended && conn.sides[1].ended && !conn.closed) {
      conn.closed = true;
      conn.consumer?.closed();
    }
  });

  for (const conn of conns.values()) {
    if (conn.closed) continue;
    for (const dir of [0, 1] as const) {
      const side = conn.sides[dir];
      // Segments still held: the bytes before them never came.
      while (side.held.length > 0 && side.next !== undefined && side.base !== undefined) {
        side.held.sort((a, b) => seqDiff(a.seq, b.seq));
        const h = side.held[0] as Held;
        if (seqDiff(h.seq, side.next) > 0) {
          conn.consumer?.gap({ direction: dir, start: seqDiff(side.next, side.base), end: seqDiff(h.seq, side.base), reason: 'not-captured', frame: h.frame });
          side.next = h.seq;
        }
        drainHeld(conn, dir);
      }
      endSide(conn, dir, 'end-of-capture');
    }
    conn.closed = true;
    conn.consumer?.closed();
  }
  void summary;
  const facts = new Map<number, ControlConnectionFacts>();
  for (const c of conns.values()) facts.set(c.stream, c.facts);
  return { facts, frames };
}
