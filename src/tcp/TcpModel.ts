// What the TCP stage knows about connections and segments, as plain data (JSON as is). Every
// fact names the frames it came from, numbered as Wireshark numbers them. Field names follow
// Wireshark's display filters where one exists (tcp.stream, tcp.analysis.acks_frame, …), so a
// reader can check any of them in Wireshark.

import type { Direction, Endpoint } from './StreamEvents.js';

/**
 * Wireshark's TCP analysis flags (tcp.analysis.*), one bit each. Retransmission, fast
 * retransmission and spurious retransmission exclude each other here; Wireshark's
 * `tcp.analysis.retransmission` field is present for all three (see `analysisFieldNames`).
 */
export const TcpAnalysis = {
  RETRANSMISSION: 1 << 0,
  FAST_RETRANSMISSION: 1 << 1,
  SPURIOUS_RETRANSMISSION: 1 << 2,
  OUT_OF_ORDER: 1 << 3,
  /** "Previous segment not captured": the segment starts beyond the highest sequence number seen. */
  LOST_SEGMENT: 1 << 4,
  /** "ACKed unseen segment": the ACK covers bytes the capture never showed. */
  ACK_LOST_SEGMENT: 1 << 5,
  DUPLICATE_ACK: 1 << 6,
  ZERO_WINDOW: 1 << 7,
  WINDOW_FULL: 1 << 8,
  KEEP_ALIVE: 1 << 9,
  KEEP_ALIVE_ACK: 1 << 10,
  WINDOW_UPDATE: 1 << 11,
  ZERO_WINDOW_PROBE: 1 << 12,
  ZERO_WINDOW_PROBE_ACK: 1 << 13,
  /** A SYN with a new initial sequence number on a tuple seen before: a new connection. */
  REUSED_PORTS: 1 << 14,
} as const;

/** Wireshark's field name (after `tcp.analysis.`) for each flag, in bit order. */
export const TCP_ANALYSIS_NAMES: ReadonlyArray<[number, string]> = [
  [TcpAnalysis.RETRANSMISSION, 'retransmission'],
  [TcpAnalysis.FAST_RETRANSMISSION, 'fast_retransmission'],
  [TcpAnalysis.SPURIOUS_RETRANSMISSION, 'spurious_retransmission'],
  [TcpAnalysis.OUT_OF_ORDER, 'out_of_order'],
  [TcpAnalysis.LOST_SEGMENT, 'lost_segment'],
  [TcpAnalysis.ACK_LOST_SEGMENT, 'ack_lost_segment'],
  [TcpAnalysis.DUPLICATE_ACK, 'duplicate_ack'],
  [TcpAnalysis.ZERO_WINDOW, 'zero_window'],
  [TcpAnalysis.WINDOW_FULL, 'window_full'],
  [TcpAnalysis.KEEP_ALIVE, 'keep_alive'],
  [TcpAnalysis.KEEP_ALIVE_ACK, 'keep_alive_ack'],
  [TcpAnalysis.WINDOW_UPDATE, 'window_update'],
  [TcpAnalysis.ZERO_WINDOW_PROBE, 'zero_window_probe'],
  [TcpAnalysis.ZERO_WINDOW_PROBE_ACK, 'zero_window_probe_ack'],
  [TcpAnalysis.REUSED_PORTS, 'reused_ports'],
];

/** Our flag names, in bit order: ['retransmission', 'duplicate_ack', …]. */
export function analysisNames(flags: number): string[] {
  const out: string[] = [];
  for (const [bit, name] of TCP_ANALYSIS_NAMES) if ((flags & bit) !== 0) out.push(name);
  return out;
}

/**
 * The tcp.analysis.* fields Wireshark puts in a frame with these flags: as `analysisNames`, but
 * a fast or spurious retransmission also carries `retransmission`.
 */
export function analysisFieldNames(flags: number): string[] {
  const names = analysisNames(flags);
  if ((flags & (TcpAnalysis.FAST_RETRANSMISSION | TcpAnalysis.SPURIOUS_RETRANSMISSION)) !== 0 && !names.includes('retransmission')) {
    names.unshift('retransmission');
  }
  return names;
}

/** Checksum verdict of one segment: the IPv4 header checksum and the TCP checksum together. */
export type ChecksumStatus = 'good' | 'bad' | 'unchecked';

/** Which part of a three-way handshake a segment is (RFC 9293 §3.5). */
export type HandshakeRole = 'SYN' | 'SYN/ACK' | 'ACK';

/**
 * What the TCP stage adds to one segment: what Wireshark's TCP dissector shows for it. Numbers
 * that do not apply are 0 (frames are numbered from 1), times that are unknown are -1.
 */
export interface TcpSegmentView {
  /** Wireshark's tcp.stream. */
  stream: number;
  /** 0: sent by the client, 1: sent by the server (see TcpConnection.rolesFrom). */
  direction: Direction;
  /** Sequence and acknowledgement numbers relative to each side's base (tcp.seq, tcp.ack). */
  seq: number;
  ack: number;
  /** Window after scaling (tcp.window_size); the raw field when the scale is unknown or unused. */
  window: number;
  /** Window scale multiplier in force (tcp.window_size_scalefactor): -1 unknown, -2 no scaling. */
  windowScale: number;
  /** TcpAnalysis bits. */
  analysis: number;
  /** tcp.analysis.duplicate_ack_num and duplicate_ack_frame; 0 when not a duplicate ACK. */
  dupAckNum: number;
  dupAckFrame: number;
  /** tcp.analysis.acks_frame: the data (or SYN/FIN) segment this ACK acknowledges exactly; 0 if none. */
  acksFrame: number;
  /** tcp.analysis.ack_rtt in nanoseconds, -1 when acksFrame is 0. */
  ackRttNs: number;
  /** tcp.analysis.initial_rtt in nanoseconds once the handshake's last ACK was seen, else -1. */
  initialRttNs: number;
  handshake: HandshakeRole | undefined;
  checksum: ChecksumStatus;
}

/** One segment a summary points at (a handshake segment, a FIN, an RST, the ACK of a FIN). */
export interface TcpSegmentRef {
  frame: number;
  from: 'client' | 'server';
  /** TCP flags field (TcpFlag bits). */
  flags: number;
  /** Relative (as Wireshark shows by default) and raw sequence and acknowledgement numbers. */
  seq: number;
  ack: number;
  seqRaw: number;
  ackRaw: number;
  /** TCP payload length (tcp.len). */
  len: number;
  tsSec: number;
  tsNsec: number;
}

/** TCP options one side offered in its SYN (or SYN/ACK). */
export interface TcpSideOptions {
  mss?: number;
  /** Window-scale shift count (RFC 7323 §2.3); the multiplier is 2^shift. */
  windowScale?: number;
  sackPermitted: boolean;
  timestamps: boolean;
}

export interface TcpHandshake {
  /** The first SYN, and the frames of SYNs repeating it (same ISN). */
  syn?: TcpSegmentRef;
  synRetransmissions: number[];
  /** The first SYN/ACK answering the SYN, and its repeats. */
  synAck?: TcpSegmentRef;
  synAckRetransmissions: number[];
  /** The client's first ACK of the server's SYN (completes the handshake). */
  ack?: TcpSegmentRef;
  /** Most recent SYN → first SYN/ACK, nanoseconds (the server-side share of the RTT at the capture point). */
  synToSynAckNs?: number;
  /** SYN/ACK → ACK, nanoseconds (the client-side share). */
  synAckToAckNs?: number;
  /** Wireshark's tcp.analysis.initial_rtt: most recent SYN → first non-SYN ACK, nanoseconds. */
  initialRttNs?: number;
  /** Options each side offered, and what both agreed on (RFC 7323, RFC 2018). */
  clientOptions?: TcpSideOptions;
  serverOptions?: TcpSideOptions;
  windowScaling: boolean;
  sackPermitted: boolean;
  timestamps: boolean;
}

/** How one side closed its direction. */
export interface TcpSideClose {
  /** Its first FIN; `ackedBy`: the peer's first frame acknowledging it (ack ≥ FIN + 1). */
  fin?: TcpSegmentRef & { ackedBy?: TcpSegmentRef };
  /** Frames repeating that FIN. */
  finRetransmissions: number[];
  /** Its first RST. */
  rst?: TcpSegmentRef;
  /** RSTs it sent, counted. */
  rstCount: number;
}

export interface TcpTeardown {
  client: TcpSideClose;
  server: TcpSideClose;
  /** Who sent the first FIN, or the first RST when no FIN came first (the active closer). */
  activeCloser?: 'client' | 'server';
  /** Data flowed from one side after the other had sent its FIN (a used half-close). */
  halfClose: boolean;
  /** An RST came after a FIN. */
  rstAfterFin: boolean;
  /** At the end of the capture (or when the connection was left behind). */
  state: 'open' | 'half-closed' | 'closed' | 'reset';
}

/** One direction's share of a conversation, as `tshark -z conv,tcp` counts it. */
export interface TcpDirectionFigures {
  /** Frames sent. */
  frames: number;
  /** Bytes on the wire of those frames (frame.len), which tshark's conversation table sums. */
  bytes: number;
  /** TCP payload bytes (sum of tcp.len), retransmissions included. */
  payloadBytes: number;
}

export interface TcpAnalysisCounts {
  retransmission: number;
  fast_retransmission: number;
  spurious_retransmission: number;
  out_of_order: number;
  lost_segment: number;
  ack_lost_segment: number;
  duplicate_ack: number;
  zero_window: number;
  window_full: number;
  keep_alive: number;
  keep_alive_ack: number;
  window_update: number;
  zero_window_probe: number;
  zero_window_probe_ack: number;
  reused_ports: number;
}

/** Reassembly of one direction (present only when a consumer took the connection). */
export interface TcpStreamFigures {
  /** Bytes handed on in order. */
  deliveredBytes: number;
  /** Bytes reported missing, and in how many gaps. */
  missingBytes: number;
  gaps: number;
  /** Retransmissions whose bytes differed from the copy kept (the first copy is kept). */
  conflicts: number;
}

/** Everything the TCP stage knows about one connection. */
export interface TcpConnection {
  /** Wireshark's tcp.stream index. */
  stream: number;
  ipVersion: 4 | 6;
  client: Endpoint;
  server: Endpoint;
  /** How client and server were told apart: by the SYN, by the SYN/ACK, or guessed. */
  rolesFrom: 'syn' | 'syn-ack' | 'heuristic';
  firstFrame: number;
  lastFrame: number;
  /** Who sent the first frame seen (tshark's conversation table calls that side "A"). */
  firstSender: 'client' | 'server';
  /** Capture time of the first frame. */
  startTsSec: number;
  startTsNsec: number;
  /**
   * Earliest frame time relative to the capture's first frame, and latest − earliest, in
   * nanoseconds: tshark's conversation "Relative Start" and "Duration" (min and max, so a clock
   * stepping back within the connection counts as tshark counts it).
   */
  relativeStartNs: number;
  durationNs: number;
  fromClient: TcpDirectionFigures;
  fromServer: TcpDirectionFigures;
  handshake: TcpHandshake;
  teardown: TcpTeardown;
  /** Frames carrying each analysis flag. */
  analysis: TcpAnalysisCounts;
  /** Segments whose checksums were verified, and those that failed (offload on the capturing host, usually). */
  checksumsChecked: number;
  badChecksums: number;
  /** First frames with a bad checksum (at most 16). */
  badChecksumFrames: number[];
  /**
   * Present when the connection's bytes were reassembled for a consumer: what was handed to it,
   * up to where it let go of the connection (StreamConsumer's `detached`).
   */
  reassembly?: { client: TcpStreamFigures; server: TcpStreamFigures };
}
