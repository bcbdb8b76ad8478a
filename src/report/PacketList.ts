import type { Packet, TcpInfo } from '../decode/Packet.js';
import { TcpFlag } from '../decode/Packet.js';
import { TcpConversationTracker, type TcpSegmentView } from '../tcp/TcpConversationTracker.js';
import {
  parseClientAnnouncement,
  parseServerAnnouncement,
} from '../ftp/dataPortAnnouncement.js';
import { bytesToSafeText, escapeControls } from './text.js';
import { formatDelta, formatEpoch } from './time.js';

/** One row of the packet list, as Wireshark's packet list shows it. Plain data, JSON as is. */
export interface PacketRow {
  frame: number;
  /** Epoch seconds with nine decimals (Wireshark's frame.time_epoch); null when the record has no timestamp (pcapng simple packet block). */
  time: string | null;
  /** Seconds since the first frame, nine decimals (frame.time_relative); null when the record has no timestamp. */
  relTime: string | null;
  /** Bytes on the wire (frame.len). */
  length: number;
  /** Bytes captured (frame.cap_len). */
  capturedLength: number;
  linkType: number;
  src: string;
  dst: string;
  protocol: string;
  info: string;
  warnings: string[];
  tcp?: {
    stream: number;
    srcPort: number;
    dstPort: number;
    flags: number;
    /** Relative to each side's initial sequence number, as Wireshark shows by default. */
    seq: number;
    ack: number;
    seqRaw: number;
    ackRaw: number;
    len: number;
    /** Window after scaling (Wireshark's calculated window), and the raw header field. */
    window: number;
    windowRaw: number;
    /** Which part of a three-way handshake this segment is, if any. */
    handshake?: 'SYN' | 'SYN/ACK' | 'ACK';
  };
  udp?: { srcPort: number; dstPort: number; len: number };
}

export type PacketFilter = 'tcp' | 'ftp' | 'ftp-data' | 'dns' | 'handshake';
export const PACKET_FILTERS: readonly PacketFilter[] = ['tcp', 'ftp', 'ftp-data', 'dns', 'handshake'];

export interface PacketListOptions {
  /** TCP ports on which FTP control traffic is expected (default 21). */
  ftpPorts?: number[];
}

const FLAG_NAMES: Array<[number, string]> = [
  [TcpFlag.FIN, 'FIN'],
  [TcpFlag.SYN, 'SYN'],
  [TcpFlag.RST, 'RST'],
  [TcpFlag.PSH, 'PSH'],
  [TcpFlag.ACK, 'ACK'],
  [TcpFlag.URG, 'URG'],
  [TcpFlag.ECE, 'ECE'],
  [TcpFlag.CWR, 'CWR'],
  [TcpFlag.AE, 'AE'],
];

/** Wireshark's flag summary, lowest bit first: `[SYN, ACK]`, `[FIN, PSH, ACK]`, `[<None>]`. */
export function tcpFlagsText(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  return `[${names.length ? names.join(', ') : '<None>'}]`;
}

interface DataLabel {
  /** How the endpoint was announced; undefined when only port 20 marks the connection. */
  kind: string | undefined;
  controlStream: number;
}

const TRANSFER_COMMAND = /^(RETR|STOR|STOU|APPE|LIST|NLST|MLSD)\b/i;

interface HandshakeState {
  clientIsn?: number;
  serverIsn?: number;
  clientDirection?: 0 | 1;
  done: boolean;
}

/**
 * Builds packet-list rows from decoded packets, in frame order. Stateful: it follows TCP
 * conversations (relative numbers, handshakes) and the data ports FTP announces, so an
 * FTP-DATA connection is labelled as Wireshark labels it.
 */
export class PacketList {
  readonly #tracker = new TcpConversationTracker();
  readonly #ftpPorts: Set<number>;
  /** Announced data endpoints ("addr/port"), from PORT/EPRT/PASV/EPSV, with the control stream that announced them. */
  readonly #dataEndpoints = new Map<string, DataLabel>();
  /** Conversations recognised as FTP data, by stream index. */
  readonly #dataStreams = new Map<number, DataLabel>();
  /** Last transfer command (RETR, STOR, LIST, …) per control stream, to name what a data connection carries. */
  readonly #transferCommands = new Map<number, string>();
  readonly #handshakes = new Map<number, HandshakeState>();
  #first?: { sec: number; nsec: number };

  constructor(options: PacketListOptions = {}) {
    this.#ftpPorts = new Set(options.ftpPorts ?? [21]);
  }

  row(packet: Packet): PacketRow {
    const frame = packet.frame;
    if (!frame.timestampMissing) this.#first ??= { sec: frame.tsSec, nsec: frame.tsNsec };
    const first = this.#first;
    const ip = packet.ip;
    const row: PacketRow = {
      frame: frame.no,
      time: first && !frame.timestampMissing ? formatEpoch(frame.tsSec, frame.tsNsec) : null,
      relTime: first && !frame.timestampMissing ? formatDelta(frame.tsSec, frame.tsNsec, first.sec, first.nsec) : null,
      length: frame.originalLength,
      capturedLength: frame.capturedLength,
      linkType: frame.linkType,
      src: ip?.src ?? packet.link?.srcMac ?? '',
      dst: ip?.dst ?? packet.link?.dstMac ?? '',
      protocol: packet.protocol,
      info: '',
      warnings: packet.warnings,
    };
    if (packet.tcp) this.#tcpRow(packet, packet.tcp, row);
    else if (packet.udp) {
      row.udp = { srcPort: packet.udp.srcPort, dstPort: packet.udp.dstPort, len: packet.udp.payload.length };
      row.info = packet.dns ? dnsInfo(packet) : `${packet.udp.srcPort} → ${packet.udp.dstPort} Len=${packet.udp.length - 8}`;
    } else if (ip?.fragment) {
      row.info = `Fragmented IP protocol (proto=${ip.protocol}, off=${ip.fragment.offset}, ID=${ip.fragment.id.toString(16).padStart(4, '0')})`;
    } else {
      row.info = packet.warnings[0] ?? '';
    }
    return row;
  }

  /** Whether a row passes a --filter value. */
  static matches(row: PacketRow, filter: PacketFilter): boolean {
    switch (filter) {
      case 'tcp':
        return row.tcp !== undefined;
      case 'ftp':
        return row.protocol === 'FTP';
      case 'ftp-data':
        return row.protocol === 'FTP-DATA';
      case 'dns':
        return row.protocol === 'DNS';
      case 'handshake':
        return row.tcp?.handshake !== undefined;
    }
  }

  #tcpRow(packet: Packet, tcp: TcpInfo, row: PacketRow): void {
    const view = this.#tracker.track(packet) as TcpSegmentView;
    const handshake = this.#handshakeRole(view, tcp);
    row.tcp = {
      stream: view.stream,
      srcPort: tcp.srcPort,
      dstPort: tcp.dstPort,
      flags: tcp.flags,
      seq: view.seq,
      ack: view.ack,
      seqRaw: tcp.seq,
      ackRaw: tcp.ack,
      len: tcp.length,
      window: view.window,
      windowRaw: tcp.window,
      ...(handshake ? { handshake } : {}),
    };
    const ip = packet.ip!;
    const toServer = this.#ftpPorts.has(tcp.dstPort);
    const fromServer = this.#ftpPorts.has(tcp.srcPort);
    if ((toServer || fromServer) && tcp.payload.length > 0) {
      row.protocol = 'FTP';
      const line = firstLine(tcp.payload);
      row.info = `${toServer ? 'Request' : 'Response'}: ${bytesToSafeText(line)}`;
      this.#learnFromControl(tcp.payload, view.stream, toServer ? ip.src : ip.dst, toServer ? ip.dst : ip.src, toServer);
      return;
    }
    let label = this.#dataStreams.get(view.stream);
    if (label === undefined) {
      label =
        this.#dataEndpoints.get(`${ip.dst}/${tcp.dstPort}`) ??
        this.#dataEndpoints.get(`${ip.src}/${tcp.srcPort}`) ??
        (tcp.srcPort === 20 || tcp.dstPort === 20 ? { kind: undefined, controlStream: -1 } : undefined);
      if (label !== undefined) this.#dataStreams.set(view.stream, label);
    }
    if (label !== undefined && tcp.length > 0) {
      row.protocol = 'FTP-DATA';
      const command = this.#transferCommands.get(label.controlStream);
      row.info = `FTP Data: ${tcp.length} bytes${label.kind ? ` (${label.kind})` : ''}${command ? ` (${command})` : ''}`;
      return;
    }
    row.info = tcpInfo(tcp, view);
  }

  #handshakeRole(view: TcpSegmentView, tcp: TcpInfo): 'SYN' | 'SYN/ACK' | 'ACK' | undefined {
    const syn = (tcp.flags & TcpFlag.SYN) !== 0;
    const ack = (tcp.flags & TcpFlag.ACK) !== 0;
    let hs = this.#handshakes.get(view.stream);
    if (syn && !ack) {
      hs = { clientIsn: tcp.seq, clientDirection: view.direction, done: false };
      this.#handshakes.set(view.stream, hs);
      return 'SYN';
    }
    if (!hs || hs.done) return undefined;
    if (syn && ack && view.direction !== hs.clientDirection && tcp.ack === ((hs.clientIsn ?? 0) + 1) >>> 0) {
      hs.serverIsn = tcp.seq;
      return 'SYN/ACK';
    }
    if (!syn && ack && hs.serverIsn !== undefined && view.direction === hs.clientDirection &&
        tcp.ack === (hs.serverIsn + 1) >>> 0) {
      hs.done = true;
      return 'ACK';
    }
    return undefined;
  }

  /**
   * Remembers the data endpoint a PORT/EPRT/LPRT command or a 227/228/229 reply announces, and
   * the last transfer command, so data segments can be labelled as Wireshark labels them.
   * Works per segment: enough for labels; the FTP stage proper parses the reassembled stream.
   */
  #learnFromControl(payload: Uint8Array, stream: number, client: string, server: string, fromClient: boolean): void {
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('latin1');
    for (const line of text.split(/\r?\n/)) {
      if (fromClient && TRANSFER_COMMAND.test(line)) this.#transferCommands.set(stream, bytesToSafeText(Buffer.from(line.slice(0, 200), 'latin1')));
      const a = fromClient ? parseClientAnnouncement(line) : parseServerAnnouncement(line);
      if (!a) continue;
      const address = a.address ?? (fromClient ? client : server);
      // Wireshark calls an EPSV connection "EPASV"; we keep its label so the columns agree.
      this.#dataEndpoints.set(`${address}/${a.port}`, { kind: a.kind === 'EPSV' ? 'EPASV' : a.kind, controlStream: stream });
    }
  }
}

function firstLine(payload: Uint8Array): Uint8Array {
  const limit = Math.min(payload.length, 512);
  let end = 0;
  while (end < limit && payload[end] !== 0x0d && payload[end] !== 0x0a) end++;
  return payload.subarray(0, end);
}

function tcpInfo(tcp: TcpInfo, view: TcpSegmentView): string {
  const parts = [`${tcp.srcPort} → ${tcp.dstPort} ${tcpFlagsText(tcp.flags)} Seq=${view.seq}`];
  if ((tcp.flags & TcpFlag.ACK) !== 0) parts.push(`Ack=${view.ack}`);
  parts.push(`Win=${view.window}`, `Len=${tcp.length}`);
  if ((tcp.flags & TcpFlag.URG) !== 0) parts.push(`Urg=${tcp.urgentPointer}`);
  const o = tcp.options;
  if (o.mss !== undefined) parts.push(`MSS=${o.mss}`);
  if (o.sackPermitted) parts.push('SACK_PERM');
  if (o.sack) {
    // SACK edges acknowledge the other side's bytes, so they are relative to its base.
    const base = (tcp.ack - view.ack) >>> 0;
    for (const [l, r] of o.sack) parts.push(`SLE=${(l - base) >>> 0}`, `SRE=${(r - base) >>> 0}`);
  }
  if (o.timestamp) parts.push(`TSval=${o.timestamp.value}`, `TSecr=${o.timestamp.echo}`);
  if (o.windowScale !== undefined) parts.push(`WS=${2 ** Math.min(o.windowScale, 14)}`);
  return parts.join(' ');
}

function dnsInfo(packet: Packet): string {
  const dns = packet.dns!;
  const q = dns.questions.map((x) => `${x.type} ${x.name}`).join(' ');
  const id = `0x${dns.id.toString(16).padStart(4, '0')}`;
  if (!dns.response) return escapeControls(`Standard query ${id} ${q}`);
  const a = dns.answers.map((x) => `${x.type} ${x.data}`).join(' ');
  return escapeControls(`Standard query response ${id} ${q}${a ? ` ${a}` : ''}`);
}
