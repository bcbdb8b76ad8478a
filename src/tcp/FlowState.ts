// What the TCP stage remembers about one direction of a connection: Wireshark's per-flow
// analysis state (its tcp_flow_t and tcp_analyze_seq_flow_info_t, under our own names), and the
// direction's share of the connection summary (figures, FIN, RST). One object per direction, so
// a connection costs few allocations. Raw 32-bit sequence numbers throughout; times in
// nanoseconds since the first frame of the capture.

import type { TcpSideOptions } from './TcpModel.js';
import { UnackedSegments } from './UnackedSegments.js';

/** Wireshark keeps at most this many unacknowledged segments per direction (TCP_MAX_UNACKED_SEGMENTS). */
export const MAX_UNACKED_SEGMENTS = 10_000;

/** Window scale: not known yet (no SYN seen for the connection). */
export const WINDOW_SCALE_UNKNOWN = -1;
/** Window scale: known not to be used (a SYN lacked the option, RFC 7323 §2.2). */
export const WINDOW_SCALE_NONE = -2;

/**
 * Sequence and acknowledgement numbers here are signed 32-bit values (`seq32`): the same bits
 * as the header fields, never boxed by V8. Compare them with `seqDiff`, or with === against
 * other seq32 values.
 */
export class FlowState {
  /** Base of relative sequence numbers: the ISN, or seq − 1 / ack − 1 when the SYN was not seen. */
  baseSet = false;
  base = 0;
  /** The SYN (or SYN/ACK) of this direction was seen, with this ISN. */
  synSeen = false;
  isn = 0;
  /** Shift from this direction's SYN, or WINDOW_SCALE_UNKNOWN / WINDOW_SCALE_NONE. */
  winScale = WINDOW_SCALE_UNKNOWN;
  /** Last window field sent, raw; −1 (Wireshark: 2^32 − 1) until the first segment. */
  window = -1;
  /**
   * This side sent a SYN and no ACK without SYN since: its last window is a SYN's, which is
   * never scaled (RFC 7323 §2.2).
   */
  isFirstAck = false;
  /** Bytes in flight are meaningful (false from a lost segment until the peer ACKs again). */
  validBif = true;

  /** Highest sequence number expected next (0: none yet, as in Wireshark), with its frame and time. */
  nextSeq = 0;
  nextSeqFrame = 0;
  nextSeqTime = 0;
  /** End of the contiguous bytes seen from the start: what an ACK may cover without revealing loss. */
  maxSeqToBeAcked = 0;
  /** Last acknowledgement number sent, and when. */
  lastAck = 0;
  lastAckTime = 0;
  /** Duplicate ACKs sent in a row, and the last frame that was not one. */
  dupAckCount = 0;
  lastNonDupAck = 0;
  /** Analysis flags of the last segment sent (a keep-alive or zero-window probe expects an answer). */
  lastSegmentFlags = 0;

  /** Segments sent and not yet acknowledged (data, SYN or FIN). */
  readonly unacked = new UnackedSegments();

  // For the summary.
  /** Frames sent, their bytes on the wire (frame.len), and TCP payload bytes. */
  frames = 0;
  bytes = 0;
  payloadBytes = 0;
  /** Options of this side's SYN (or SYN/ACK). */
  options: TcpSideOptions | undefined;
  /**
   * The raw sequence number this side's first FIN occupies (once TcpConnectionState records
   * that FIN, RefSlot.FIN + direction), and repeats of it.
   */
  finSeq = 0;
  finRetransmissions: number[] | undefined;
  /** RSTs sent (the first: RefSlot.RST + direction). */
  rstCount = 0;
  /** Payload bytes whose checksums were verified. */
  checksumBytes = 0;
}
