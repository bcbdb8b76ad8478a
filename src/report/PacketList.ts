import type { Packet, TcpInfo } from '../decode/Packet.js';
import { TcpFlag } from '../decode/Packet.js';
import { analysisNames, TcpAnalysis, type TcpSegmentView } from '../tcp/TcpModel.js';
import { TcpStage } from '../tcp/TcpStage.js';
import {
  parseClientAnnouncement,
  parseServerAnnouncement,
} from '../ftp/dataPortAnnouncement.js';
import { bytesToSafeText, escapeControls } from './text.js';
import { formatDelta, formatEpoch } from './time.js';

/** One row of the packet list, as Wireshark's packet list shows it. Plain data, JSON as is. */
export interface PacketRow {
  frame: number;
  /** When several captures are listed as one trace: the index of the capture (in the order given) and the frame's number in that file. */
  capture?: number;
  captureFrame?: number;
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
    /** Wireshark's TCP analysis flags (tcp.analysis.<name>), when any: 'retransmission', 'duplicate_ack', … */
    analysis?: string[];
    /** For a duplicate ACK: its number in the run, and the frame it repeats (tcp.analysis.duplicate_ack_num/_frame). */
    dupAckNum?: number;
    dupAckFrame?: number;
    /** The segment this ACK acknowledges (tcp.analysis.acks_frame). */
    acksFrame?: number;
  };
  udp?: { srcPort: number; dstPort: number; len: number };
}

export type PacketFilter = 'tcp' | 'ftp' | 'ftp-data' | 'dns' | 'handshake' | 'analysis';
export const PACKET_FILTERS: readonly PacketFilter[] = ['tcp', 'ftp', 'ftp-data', 'dns', 'handshake', 'analysis'];

export interface PacketListOptions {
  /** TCP ports on which FTP control traffic is expected (default 21). */
  ftpPorts?: number[];
  /**
   * 'own' (default): the list runs a TCP stage of its own over the packets it is given.
   * 'external': the caller runs the TCP stage and passes each TCP packet's view to `row`.
   */
  tcpStage?: 'own' | 'external';
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

/**
 * Info-column labels of the analysis flags, in the order Wireshark prints them when several
 * apply (it prepends each to the column, so the last it checks comes first).
 */
const ANALYSIS_LABELS: Array<[number, string]> = [
  [TcpAnalysis.SPURIOUS_RETRANSMISSION, 'TCP Spurious Retransmission'],
  [TcpAnalysis.ZERO_WINDOW_PROBE_ACK, 'TCP ZeroWindowProbeAck'],
  [TcpAnalysis.ZERO_WINDOW, 'TCP ZeroWindow'],
  [TcpAnalysis.ZERO_WINDOW_PROBE, 'TCP ZeroWindowProbe'],
  [TcpAnalysis.DUPLICATE_ACK, 'TCP Dup ACK'],
  [TcpAnalysis.KEEP_ALIVE_ACK, 'TCP Keep-Alive ACK'],
  [TcpAnalysis.WINDOW_FULL, 'TCP Window Full'],
  [TcpAnalysis.WINDOW_UPDATE, 'TCP Window Update'],
  [TcpAnalysis.KEEP_ALIVE, 'TCP Keep-Alive'],
  [TcpAnalysis.ACK_LOST_SEGMENT, 'TCP ACKed unseen segment'],
  [TcpAnalysis.LOST_SEGMENT, 'TCP Previous segment not captured'],
  [TcpAnalysis.OUT_OF_ORDER, 'TCP Out-Of-Order'],
  [TcpAnalysis.FAST_RETRANSMISSION, 'TCP Fast Retransmission'],
  [TcpAnalysis.RETRANSMISSION, 'TCP Retransmission'],
  [TcpAnalysis.REUSED_PORTS, 'TCP Port numbers reused'],
];

/**
 * Wireshark does not hand a retransmitted or out-of-order segment to the protocol above TCP
 * (tcp.no_subdissector_on_error, on by default), so such a frame is listed as TCP.
 */
const NOT_DISSECTED = TcpAnalysis.RETRANSMISSION | TcpAnalysis.SPURIOUS_RETRANSMISSION | TcpAnalysis.OUT_OF_ORDER;

/** The analysis labels Wireshark puts in front of the Info column, e.g. "[TCP Dup ACK 12#1] ". */
export function analysisPrefix(view: Pick<TcpSegmentView, 'analysis' | 'dupAckFrame' | 'dupAckNum'>): string {
  if (view.analysis === 0) return '';
  let out = '';
  for (const [bit, label] of ANALYSIS_LABELS) {
    if ((view.analysis & bit) === 0) continue;
    out += bit === TcpAnalysis.DUPLICATE_ACK ? `[${label} ${view.dupAckFrame}#${view.dupAckNum}] ` : `[${label}] `;
  }
  return out;
}

/**
 * Builds packet-list rows from decoded packets, in frame order. Stateful: it follows TCP
 * conversations (relative numbers, handshakes) and the data ports FTP announces, so an
 * FTP-DATA connection is labelled as Wireshark labels it.
 */
export class PacketList {
  /** The list's own TCP stage, unless the caller runs one. */
  readonly #ownStage: TcpStage | undefined;
  readonly #ftpPorts: Set<number>;
  /** Announced data endpoints ("addr/port"), from PORT/EPRT/PASV/EPSV, with the control stream that announced them. */
  readonly #dataEndpoints = new Map<string, DataLabel>();
  /** Conversations recognised as FTP data, by stream index. */
  readonly #dataStreams = new Map<number, DataLabel>();
  /** Last transfer command (RETR, STOR, LIST, …) per control stream, to name what a data connection carries. */
  readonly #transferCommands = new Map<number, string>();
  #first?: { sec: number; nsec: number };

  constructor(options: PacketListOptions = {}) {
    this.#ftpPorts = new Set(options.ftpPorts ?? [21]);
    // Wireshark does not verify checksums by default; neither does the packet list.
    this.#ownStage = options.tcpStage === 'external' ? undefined : new TcpStage({ checksums: false });
  }

  /**
   * The row for `packet`; call for every packet, in frame order. With an external TCP stage,
   * `tcp` is what that stage returned for the packet.
   */
  row(packet: Packet, tcp?: TcpSegmentView): PacketRow {
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
    const view = this.#ownStage ? this.#ownStage.process(packet) : tcp;
    if (packet.tcp && view) {
      this.#tcpRow(packet, packet.tcp, view, row);
    } else if (packet.udp) {
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
      case 'analysis':
        return row.tcp?.analysis !== undefined;
    }
  }

  #tcpRow(packet: Packet, tcp: TcpInfo, view: TcpSegmentView, row: PacketRow): void {
    const handshake = view.handshake;
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
    const prefix = analysisPrefix(view);
    if (view.analysis !== 0) row.tcp.analysis = analysisNames(view.analysis);
    if (view.dupAckNum !== 0) {
      row.tcp.dupAckNum = view.dupAckNum;
      row.tcp.dupAckFrame = view.dupAckFrame;
    }
    if (view.acksFrame !== 0) row.tcp.acksFrame = view.acksFrame;
    if ((view.analysis & NOT_DISSECTED) !== 0) {
      row.info = prefix + tcpInfo(tcp, view);
      return;
    }
    const ip = packet.ip!;
    const toServer = this.#ftpPorts.has(tcp.dstPort);
    const fromServer = this.#ftpPorts.has(tcp.srcPort);
    if ((toServer || fromServer) && tcp.payload.length > 0) {
      row.protocol = 'FTP';
      const line = firstLine(tcp.payload);
      row.info = `${prefix}${toServer ? 'Request' : 'Response'}: ${bytesToSafeText(line)}`;
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
      row.info = `${prefix}FTP Data: ${tcp.length} bytes${label.kind ? ` (${label.kind})` : ''}${command ? ` (${command})` : ''}`;
      return;
    }
    row.info = prefix + tcpInfo(tcp, view);
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
