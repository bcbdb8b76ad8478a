// The contract between the TCP stage and everything above it (FTP control and data
// channels, extraction, statistics). Consumers see in-order bytes per direction, told
// explicitly where bytes are missing; they never look at raw segments.

/** 0: from the client (the side that sent the SYN, or the heuristic client); 1: from the server. */
export type Direction = 0 | 1;

export interface Endpoint {
  ip: string;
  port: number;
}

/** One delivery of in-order bytes. */
export interface StreamChunk {
  direction: Direction;
  /** Offset of `bytes[0]` in this direction's byte stream (0 = first byte after the SYN). */
  offset: number;
  /**
   * The bytes. A view that stays valid only during the call: copy what you keep.
   */
  bytes: Uint8Array;
  /** Frame numbers of the segments these bytes came from, in stream order, without repeats. */
  frames: number[];
  /** Capture time of the last frame contributing, seconds and nanoseconds. */
  tsSec: number;
  tsNsec: number;
}

/** Bytes of one direction that will never be delivered: lost, not captured, or dropped by a limit. */
export interface StreamGap {
  direction: Direction;
  /** Stream offsets [start, end). */
  start: number;
  end: number;
  reason: 'not-captured' | 'snaplen' | 'buffer-limit' | 'end-of-capture';
  /** Frame after which the gap was noticed (the first frame beyond it, when known). */
  frame: number;
}

/**
 * A retransmission whose bytes differ from the copy already received (an IDS-evasion trick, or a
 * broken middlebox). The first copy is what was delivered and stays; this only tells.
 */
export interface StreamConflict {
  direction: Direction;
  /** Stream offsets [start, end) spanning the differing bytes. */
  start: number;
  end: number;
  /** Frames that carried the kept copy, then the frame with the different bytes. */
  frames: number[];
}

/**
 * Why a direction or the connection ended: a FIN, an RST, the end of the capture, or the TCP
 * stage's limit on open connections ('connection-limit': more were open than it holds and this
 * one had been quiet longest; nothing after `frame` is followed).
 */
export interface StreamEnd {
  direction: Direction;
  reason: 'fin' | 'rst' | 'end-of-capture' | 'connection-limit';
  frame?: number;
}

/**
 * Receives one connection's reassembled traffic. Made by a factory when the TCP stage
 * first sees a connection, so each protocol decides per connection whether it cares.
 */
export interface StreamConsumer {
  data(chunk: StreamChunk): void;
  gap(gap: StreamGap): void;
  /** Optional: told when a retransmission carried different bytes (the first copy was kept). */
  conflict?(conflict: StreamConflict): void;
  /** Each direction ends once; `closed` follows when both have (or the capture ended). */
  end(end: StreamEnd): void;
  closed(): void;
  /**
   * Optional: true once the consumer wants nothing more of the connection (a probe that found it
   * is not its protocol). The stage looks after each segment it reassembled: from then on it
   * reassembles nothing more of the connection and tells the consumer nothing more, not even
   * `end` or `closed`, and frees what it held for it.
   */
  readonly detached?: boolean;
}

/** Facts known when a connection is first seen, for the factory to decide on a consumer. */
export interface ConnectionStart {
  /** Wireshark's tcp.stream index. */
  stream: number;
  client: Endpoint;
  server: Endpoint;
  /** How the roles were decided: by the SYN, or guessed (capture started mid-connection). */
  rolesFrom: 'syn' | 'syn-ack' | 'heuristic';
  /** Frame number of the first segment seen, and its time. */
  firstFrame: number;
  tsSec: number;
  tsNsec: number;
}

export type StreamConsumerFactory = (start: ConnectionStart) => StreamConsumer | undefined;
