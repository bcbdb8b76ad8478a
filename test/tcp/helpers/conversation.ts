// Builds TCP conversations frame by frame for tests: each side keeps its own next sequence
// number, so a test writes what happens ("client sends 'USER x'", "server's segment is lost",
// "the capture repeats frame 5") instead of computing sequence numbers. The result is a real
// capture file, so tshark can judge the very same bytes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpFlag } from '../../../src/decode/Packet.js';
import { writePcap, type PcapRecord } from '../../helpers/captureWriter.js';
import { ETH_IPV4, ETH_IPV6, PROTO_TCP, ethernet, ipv4, ipv6, tcp, tcpOption } from '../../helpers/packetBuilder.js';

export type Side = 'client' | 'server';

export interface SegmentSpec {
  flags?: number;
  payload?: Uint8Array | string;
  /** Sequence number to use instead of the side's next one (retransmissions, reordering). */
  seq?: number;
  /** Acknowledgement number instead of the peer's next one. */
  ack?: number;
  window?: number;
  options?: number[];
  /** Seconds after the previous frame (default 0.001). */
  after?: number;
  /** Keep only this many bytes of the frame (snap length). */
  snap?: number;
  /** Store a wrong TCP checksum (offload on the capturing host). */
  badChecksum?: boolean;
  /** Do not advance the side's next sequence number (a segment the capture will repeat or has lost). */
  noAdvance?: boolean;
}

const SYN = TcpFlag.SYN;
const ACK = TcpFlag.ACK;
const FIN = TcpFlag.FIN;
const RST = TcpFlag.RST;
const PSH = TcpFlag.PSH;

const bytesOf = (p: Uint8Array | string | undefined): Uint8Array =>
  p === undefined ? new Uint8Array(0) : typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0) & 255) : p;

export class Conversation {
  readonly records: PcapRecord[] = [];
  /** Next sequence number each side will send. */
  readonly next: Record<Side, number>;
  time: number;

  constructor(
    readonly client = { ip: '198.51.100.2', port: 40000 },
    readonly server = { ip: '198.51.100.1', port: 21 },
    isn: Record<Side, number> = { client: 1000, server: 5000 },
    start = 1_700_000_000,
  ) {
    this.next = { ...isn };
    this.time = start;
  }

  /** Frame number the next segment will get. */
  get frameNo(): number {
    return this.records.length + 1;
  }

  /** One segment from `from`; returns its frame number. */
  send(from: Side, spec: SegmentSpec = {}): number {
    const to: Side = from === 'client' ? 'server' : 'client';
    const a = this[from];
    const b = this[to];
    const flags = spec.flags ?? (ACK | (spec.payload !== undefined ? PSH : 0));
    const payload = bytesOf(spec.payload);
    const seq = (spec.seq ?? this.next[from]) >>> 0;
    const ack = (flags & ACK) !== 0 ? (spec.ack ?? this.next[to]) >>> 0 : (spec.ack ?? 0);
    const v6 = a.ip.includes(':');
    const segment = tcp({
      srcPort: a.port, dstPort: b.port, seq, ack, flags, window: spec.window ?? 64240, options: spec.options ?? [], payload,
      pseudo: { src: a.ip, dst: b.ip },
    });
    if (spec.badChecksum) segment[16] = segment[16]! ^ 0x5a;
    const data = v6
      ? ethernet({ etherType: ETH_IPV6, payload: ipv6({ src: a.ip, dst: b.ip, nextHeader: PROTO_TCP, payload: segment }) })
      : ethernet({ etherType: ETH_IPV4, payload: ipv4({ src: a.ip, dst: b.ip, protocol: PROTO_TCP, payload: segment }) });
    this.time += spec.after ?? 0.001;
    const sec = Math.floor(this.time);
    const nsec = Math.round((this.time - sec) * 1e6) * 1000;
    const kept = spec.snap !== undefined ? data.subarray(0, spec.snap) : data;
    this.records.push({ tsSec: sec, tsNsec: nsec, data: kept, originalLength: data.length });
    if (!spec.noAdvance && spec.seq === undefined) {
      this.next[from] = (seq + payload.length + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0;
    }
    return this.frameNo - 1;
  }

  /** SYN, SYN/ACK, ACK with the usual options. */
  handshake(): [number, number, number] {
    const opts = [...tcpOption.mss(1460), ...tcpOption.sackPermitted(), ...tcpOption.nop(), ...tcpOption.windowScale(7)];
    return [
      this.send('client', { flags: SYN, options: opts }),
      this.send('server', { flags: SYN | ACK, options: opts }),
      this.send('client', { flags: ACK, window: 502 }),
    ];
  }

  data(from: Side, payload: Uint8Array | string, spec: SegmentSpec = {}): number {
    return this.send(from, { window: 502, ...spec, payload });
  }

  ack(from: Side, spec: SegmentSpec = {}): number {
    return this.send(from, { window: 502, ...spec, flags: ACK });
  }

  fin(from: Side, spec: SegmentSpec = {}): number {
    return this.send(from, { window: 502, ...spec, flags: FIN | ACK });
  }

  rst(from: Side, spec: SegmentSpec = {}): number {
    return this.send(from, { ...spec, flags: RST | ACK, window: 0 });
  }

  /** Both FINs and the last ACK, client first. */
  close(): [number, number, number] {
    return [this.fin('client'), this.fin('server'), this.ack('client')];
  }

  /** The capture as a pcap file (nanosecond timestamps) in a fresh temporary directory. */
  write(name = 'conversation.pcap'): string {
    const file = join(mkdtempSync(join(tmpdir(), 'ftp-inspect-tcp-')), name);
    writeFileSync(file, writePcap({ nanos: true }, this.records));
    return file;
  }
}

/** Several conversations' frames merged in time order into one capture file. */
export function writeMerged(conversations: Conversation[], name = 'merged.pcap'): string {
  const all = conversations.flatMap((c) => c.records).sort((x, y) => x.tsSec - y.tsSec || (x.tsNsec ?? 0) - (y.tsNsec ?? 0));
  const file = join(mkdtempSync(join(tmpdir(), 'ftp-inspect-tcp-')), name);
  writeFileSync(file, writePcap({ nanos: true }, all));
  return file;
}
