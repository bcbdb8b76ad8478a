// The statistics part of the report model (`report.statistics`): plain data, JSON as is.
// Figures that Wireshark also shows carry its rounding, so the JSON reads as tshark prints them.

/** Frame or TCP endpoint. */
export interface StatsEndpoint {
  ip: string;
  port: number;
}

/**
 * One row of Wireshark's Statistics ▸ Packet Lengths (`tshark -q -z plen,tree`). The first row
 * of every table is tshark's root row, `range: "Packet Lengths"`; the ten bucket rows follow.
 * Lengths are frame.len (bytes on the wire). Values tshark prints as "-" or leaves empty are null.
 */
export interface PacketLengthRow {
  /** "Packet Lengths" for the root row, else the bucket as Wireshark writes it: "40-79", "5120 and greater". */
  range: string;
  count: number;
  /** Mean frame length, computed in single precision as Wireshark does, rounded to 2 decimals. */
  average: number | null;
  min: number | null;
  max: number | null;
  /** tshark's "Rate (ms)": frames per millisecond between the first and the last frame counted (4 decimals); null when that span is 0. */
  rate: number | null;
  /** Share of the root row's count, in percent (2 decimals); 100 for the root row; null when the root count is 0. */
  percent: number | null;
}

export interface PacketLengthStatistics {
  /** Every frame of the capture. */
  all: PacketLengthRow[];
  /** Frames of the TCP connections classified as FTP control connections (`ftpControlStreams`). */
  ftpControl: PacketLengthRow[];
  /** Frames of the TCP connections classified as FTP data connections (`ftpDataStreams`). */
  ftpData: PacketLengthRow[];
  /** The tcp.stream numbers behind `ftpControl` and `ftpData` (tshark: `-z plen,tree,"tcp.stream in {…}"`). */
  ftpControlStreams: number[];
  ftpDataStreams: number[];
}

/** One side's sending, as tshark's conversation table counts it. */
export interface ConversationDirection {
  frames: number;
  /** Sum of frame.len. */
  bytes: number;
  /**
   * bytes × 8 / duration, as Wireshark's Conversations dialog computes "Bits/s"; null when the
   * conversation lasted 5 ms or less (Wireshark shows N/A then).
   */
  bitsPerSecond: number | null;
}

/** One row of `tshark -q -z conv,tcp`: A is the side that sent the first frame seen. */
export interface TcpConversation {
  /** Wireshark's tcp.stream. */
  stream: number;
  a: StatsEndpoint;
  b: StatsEndpoint;
  aToB: ConversationDirection;
  bToA: ConversationDirection;
  frames: number;
  bytes: number;
  /** Seconds from the capture's first frame to the conversation's first frame (tshark: Relative Start). */
  relativeStart: number;
  /** Seconds from first to last frame (tshark: Duration). */
  duration: number;
  /** The conversation's first and last frame (not in tshark's table; the frames `relativeStart` and `duration` come from). */
  firstFrame: number;
  lastFrame: number;
}

/** Frame sizes (frame.len) of one direction of a connection. */
export interface FrameSizes {
  frames: number;
  /** Mean frame.len, 2 decimals; null (with min and max) when the side sent nothing. */
  average: number | null;
  min: number | null;
  max: number | null;
}

export interface ConnectionDirection {
  frames: number;
  /** Sum of frame.len. */
  bytes: number;
  /** Sum of tcp.len (TCP payload), retransmitted bytes included. */
  payloadBytes: number;
  frameSizes: FrameSizes;
  /** payloadBytes × 8 / duration: the throughput of this direction over the connection's life; null when the duration is 0. */
  payloadBitsPerSecond: number | null;
  /** Frames Wireshark marks tcp.analysis.retransmission (fast and spurious ones included). */
  retransmissions: number;
}

/** Per TCP connection: sizes, throughput and retransmissions each way. */
export interface ConnectionStatistics {
  stream: number;
  /** What the FTP stage made of the connection, when anything. */
  role: 'ftp-control' | 'ftp-data' | null;
  /** FtpSession.id of the session a control or data connection belongs to, when known. */
  session: number | null;
  client: StatsEndpoint;
  server: StatsEndpoint;
  firstFrame: number;
  lastFrame: number;
  /** Seconds from first to last frame. */
  duration: number;
  fromClient: ConnectionDirection;
  fromServer: ConnectionDirection;
  /** Retransmitted frames, both directions. */
  retransmissions: number;
}

/** One transfer of a session: its duration and throughput as the FTP stage measured them, and its retransmissions. */
export interface TransferStatistics {
  /** FtpTransfer.id within the session. */
  transfer: number;
  command: string | null;
  arg: string;
  status: string;
  /** tcp.stream of its data connection, null when none was found. */
  stream: number | null;
  /** Bytes of the file in this transfer (FtpTransfer.bytes). */
  bytes: number;
  /** The data connection's duration, seconds (FTP stage: SYN or first frame to last frame). */
  duration: number | null;
  /** The FTP stage's throughput: transferred bytes / (last data frame − first frame). */
  bytesPerSecond: number | null;
  bitsPerSecond: number | null;
  /** Frames of the data connection Wireshark marks tcp.analysis.retransmission. */
  retransmissions: number | null;
}

/** One FTP session, for question 18: how long it lasted, and how its transfers went. */
export interface SessionStatistics {
  session: number;
  controlStream: number;
  /** First and last frame of the control connection (null if the TCP stage gave no summary). */
  firstFrame: number | null;
  lastFrame: number | null;
  /** FtpSession.duration as a number of seconds. */
  duration: number;
  /** tcp.stream numbers of the session's data connections (see `connections` for sizes each way). */
  dataStreams: number[];
  transfers: TransferStatistics[];
}

export interface Statistics {
  packetLengths: PacketLengthStatistics;
  /** TCP conversations in tcp.stream order (tshark sorts its table by frames instead). */
  conversations: TcpConversation[];
  /** TCP connections in tcp.stream order. */
  connections: ConnectionStatistics[];
  sessions: SessionStatistics[];
  /**
   * Present when the TCP stage set open connections aside at its limit (TcpStageOptions.maxOpen):
   * how many, the limit, and the frame being read at the first. A connection's frames after that
   * count in the packet lengths but not in its conversation or connection figures.
   */
  connectionsSetAside?: ConnectionsSetAside;
}

export interface ConnectionsSetAside {
  count: number;
  limit: number;
  firstFrame: number;
}
