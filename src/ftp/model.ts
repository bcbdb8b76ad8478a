// The FTP report model: plain data, serialisable to JSON as is, read by every renderer.
//
// One `FtpSession` per control connection (Zeek's "one record per session"): the parser
// turns bytes into commands and replies, the session builder decides what they mean, and
// renderers only read what ends up here. Every fact carries the frame numbers it came from.
//
// Text from the capture (commands, arguments, reply text, banners) is kept as sent when it
// is valid UTF-8; bytes that are not are written as \xNN (see `decodeLine`). Renderers must
// still escape before printing (report/text.ts escapeControls): nothing here is terminal-safe.

import type { DataPortAnnouncement } from './dataPortAnnouncement.js';

export interface FtpEndpoint {
  ip: string;
  port: number;
}

/** A point in the capture: Wireshark's frame number and its capture time (epoch seconds, nine decimals). */
export interface FrameTime {
  frame: number;
  time: string;
}

/** Everything `ftp-inspect` found about FTP in one or more captures. */
export interface FtpReport {
  sessions: FtpSession[];
  /** Every cleartext login attempt across all sessions, in order. */
  credentials: FtpCredential[];
  /** Time of the first frame the analyzer saw (for relative times), when known. */
  captureStart?: string;
  /** True when the report was built with `redact`: every password is masked. */
  redacted: boolean;
  /** Data connections that look like FTP data but belong to no session in the capture. */
  orphans?: OrphanDataConnection[];
  /** Announcements (PASV, PORT, …) no connection was seen for. */
  unusedExpectations?: UnusedExpectation[];
}

export type LoginOutcome = 'accepted' | 'rejected' | 'unknown';

/** One row of the credentials table. */
export interface FtpCredential {
  /** `FtpSession.id` of the session the login happened in. */
  session: number;
  /** The capture file, when several were analysed each alone (`--separate`, mergeFtpReports); absent when merged into one trace. */
  capture?: string;
  user: string | null;
  password: string | null;
  /** ACCT argument, when one was given (RFC 959 §4.1.1). */
  account?: string;
  outcome: LoginOutcome;
  /** Frames of the USER, PASS, ACCT commands and of the deciding reply. */
  frames: number[];
  server: FtpEndpoint;
  serverName: string | null;
  anonymous: boolean;
  /** Code and frame of the reply that decided the outcome. */
  replyCode?: number;
  replyFrame?: number;
}

/** How a control connection was recognised. */
export type DetectionReason =
  | 'port' // server port is 21 or one of --ftp-port
  | 'content' // server spoke first with 220, client answered with FTP commands
  | 'implicit-tls-port'; // port 990: FTPS with TLS from the first byte, not parsed

export interface FtpSession {
  /** 1-based, in the order the control connections were first seen. */
  id: number;
  /** The capture file, when several were analysed each alone (`--separate`, mergeFtpReports); absent when merged into one trace. */
  capture?: string;
  client: FtpEndpoint;
  server: FtpEndpoint;
  /** Wireshark's tcp.stream index of the control connection. */
  controlStream: number;
  detectedBy: DetectionReason;
  /** How the TCP stage decided which side is the client. */
  rolesFrom: 'syn' | 'syn-ack' | 'heuristic';
  start: FrameTime;
  end: FrameTime;
  /** end − start in seconds (nine decimals). */
  duration: string;

  /** Greeting text (every line, joined with \n); null when the greeting was not seen. */
  banner: string | null;
  greeting: FtpGreeting | null;
  serverSoftware: ServerSoftware | null;
  /** SYST answer (RFC 959 §4.1.3), e.g. "UNIX Type: L8". */
  systemType: { text: string; frame: number } | null;
  /** Host name of the server from a DNS answer seen before the session, or null. */
  serverName: string | null;
  serverNameSource: DnsNameSource | null;

  logins: LoginAttempt[];
  /** True when (part of) the control channel is encrypted: AUTH TLS accepted, or implicit FTPS. */
  encrypted: boolean;
  tls: TlsInfo | null;

  /** Every command in the order sent, with its replies. */
  commands: FtpCommand[];
  /** Replies no command was waiting for (other than the greeting), e.g. an unsolicited 421. */
  unmatchedReplies: FtpReply[];
  /** Server lines that are not replies (no three-digit code), kept for the timeline. */
  nonReplyLines: Array<{ frame: number; text: string }>;

  state: SessionState;
  stateChanges: StateChange[];
  /** FEAT answer (RFC 2389 §3.2): one entry per feature line. */
  features: { frame: number; list: string[] } | null;
  /** PORT/EPRT/LPRT commands and 227/228/229 replies, for matching data connections. */
  dataChannels: DataChannelAnnouncement[];
  /** Every transfer command (RETR, STOR, LIST, …) with its data connection, in order. */
  transfers: FtpTransfer[];
  quit: QuitInfo | null;
  /** Telnet commands (IAC …) found in the channel, each with its frame. */
  telnet: Array<{ frame: number; direction: 'client' | 'server'; what: string }>;
  /** Bytes seen per direction while parsing as text, and while encrypted. */
  bytes: { client: number; server: number; encryptedClient: number; encryptedServer: number };
  warnings: FtpWarning[];
  /** TCP facts of the control connection (handshake, RTT, teardown), when the TCP stage gave them. */
  tcp: ControlConnectionFacts | null;
}

export interface FtpWarning {
  frame: number;
  message: string;
}

export interface FtpGreeting {
  /** The final greeting reply (220, or 421 when the server turned the client away). */
  reply: FtpReply;
  /** A 120 "ready in nnn minutes" that came before it (RFC 959 §5.4, connection establishment). */
  preliminary?: FtpReply;
}

export interface ServerSoftware {
  /** Product name, e.g. "vsFTPd", "Pure-FTPd", "ProFTPD", "FileZilla Server", "Microsoft FTP Service". */
  name: string;
  version?: string;
  from: 'banner' | 'SYST' | 'HELP' | 'STAT';
  frame: number;
  /** The text it was recognised in. */
  evidence: string;
}

export interface DnsNameSource {
  /** Frame of the DNS response. */
  frame: number;
  /** The name the client asked for (the question), which may differ from the A/AAAA owner after CNAMEs. */
  query: string;
  /** Record type that carried the address. */
  type: 'A' | 'AAAA';
}

export interface FtpCommand {
  /** First frame that carried part of the line. */
  frame: number;
  /** Every frame that carried part of the line (bounded; see `framesOmitted`). */
  frames: number[];
  /** Frames not listed in `frames` because the line came in too many segments. */
  framesOmitted?: number;
  /** True when the whole line (with its CRLF) came in a single TCP segment. */
  oneSegment: boolean;
  /** Capture time of the frame that completed the line. */
  time: string;
  /** The command verb, upper-cased when it is letters only (RFC 959 §5.3: case does not matter); otherwise as sent. */
  command: string;
  /** Everything after the first space, as sent (may have trailing spaces); '' when none. */
  arg: string;
  /** False when the verb is not in the catalogue (commands.ts); the line is kept verbatim. */
  known: boolean;
  replies: FtpReply[];
  /** Telnet commands (IAC IP, IAC DM, …) removed from this line. */
  telnet?: string[];
  /** Things worth knowing about this line: truncated, not UTF-8, no reply seen, … */
  notes?: string[];
}

export interface FtpReply {
  /** Frame that completed the reply (the last line's end). */
  frame: number;
  /** Every frame that carried part of the reply. */
  frames: number[];
  framesOmitted?: number;
  time: string;
  code: number;
  /** Text of the first line after the code and its separator (what tshark calls ftp.response.arg). */
  text: string;
  /** Every line as sent, the code included; one entry for a single-line reply. */
  lines: string[];
  /** RFC 959 §4.2: 1yz is preliminary; the command then waits for a final reply. */
  preliminary: boolean;
  notes?: string[];
}

export interface LoginAttempt {
  user: string | null;
  /** Frames of the USER line. */
  userFrames: number[];
  /** Whether the USER line came in one segment (a user typed one character per packet shows false). */
  userOneSegment: boolean | null;
  password: string | null;
  passwordFrames: number[];
  passwordOneSegment: boolean | null;
  account: string | null;
  accountFrames: number[];
  outcome: LoginOutcome;
  /** The reply that decided the outcome (230, 530, …), or the last one seen. */
  replyCode: number | null;
  replyFrame: number | null;
  replyText: string | null;
  /** User name anonymous or ftp (RFC 1635); the password is then by convention an e-mail address. */
  anonymous: boolean;
  email: string | null;
  /** REIN (RFC 959 §4.1.1) ended this login. */
  endedByRein?: number;
}

export interface TlsInfo {
  /** AUTH TLS / AUTH SSL (RFC 4217 §4), or null for implicit FTPS. */
  request: { frame: number; mechanism: string } | null;
  reply: { frame: number; code: number; text: string } | null;
  accepted: boolean;
  implicit: boolean;
  /** First frame of encrypted bytes. */
  encryptedFrom: number | null;
  /** Last frame of encrypted bytes. */
  encryptedUntil: number | null;
  /** TLS records seen while encrypted, per direction, when they could be followed. */
  records: { client: number; server: number };
  /** The channel went back to cleartext (after CCC, RFC 4217 §12), with the first cleartext frame. */
  cleartextAgain: { frame: number; direction: 'client' | 'server'; after: string } | null;
  /** Encrypted bytes appeared without an accepted AUTH (the reply was missed or never sent). */
  withoutAuth?: { frame: number; direction: 'client' | 'server' };
}

export interface SessionState {
  /** RFC 959 §3.1.1 representation type, as the last accepted TYPE set it ("A" by default). */
  type: string;
  /** RFC 959 §3.4 transmission mode ("S" by default). */
  mode: string;
  /** RFC 959 §3.1.2 file structure ("F" by default). */
  stru: string;
  /** Working directory as far as the session showed it (257 replies, CWD/CDUP), or null. */
  cwd: string | null;
  /** Restart marker set by REST and not yet used by a transfer. */
  rest: string | null;
  /** Logged in (a 230/232 seen and no REIN since). */
  loggedIn: boolean;
  /** User of the last accepted login. */
  user: string | null;
  /** EPSV ALL was accepted (RFC 2428 §4): only EPSV may be used for data connections. */
  epsvAll: boolean;
  /** RFC 4217 §9 data channel protection level (PROT C/S/E/P), when set in cleartext. */
  prot: string | null;
}

export interface StateChange {
  /** Frame of the command. */
  frame: number;
  /** Frame of the reply that accepted (or refused) it. */
  replyFrame: number | null;
  what: 'TYPE' | 'MODE' | 'STRU' | 'CWD' | 'REST' | 'PROT' | 'PBSZ' | 'OPTS' | 'EPSV ALL' | 'REIN' | 'LANG';
  value: string;
  accepted: boolean;
  /** For CWD: the directory after the change, when it could be worked out. */
  result?: string;
}

/** A data-port announcement as seen on the control channel (dataPortAnnouncement.ts), with its context. */
export interface DataChannelAnnouncement extends DataPortAnnouncement {
  /** Frame of the PORT/EPRT/LPRT command, or of the 227/228/229 reply. */
  frame: number;
  /** Frame of the command that asked for it (PASV/EPSV/LPSV, or the PORT itself). */
  commandFrame: number;
  /** Who announced: the client (active mode) or the server (passive mode). */
  by: 'client' | 'server';
  /** For EPSV, which gives only a port: the address to connect to (the control connection's server). */
  impliedAddress?: string;
  /** Reply code to the PORT/EPRT/LPRT (200 accepted), or the 227/228/229 itself. */
  replyCode: number | null;
  accepted: boolean | null;
  /** p1 × 256 + p2 written out, for PORT/PASV/LPRT/LPSV. */
  explanation?: string;
}

export interface QuitInfo {
  frame: number;
  replyFrame: number | null;
  replyCode: number | null;
  replyText: string | null;
  /** TCP header of the segment that carried QUIT (lab question: which flags does it have?). */
  commandSegment?: SegmentHeader;
  /** TCP header of the segment that carried the 221. */
  replySegment?: SegmentHeader;
}

/** The TCP header fields of one segment, as the FTP stage saw them in the decoded packet. */
export interface SegmentHeader {
  frame: number;
  /** "PSH, ACK", "FIN, PSH, ACK", … */
  flags: string;
  seqRaw: number;
  ackRaw: number;
  len: number;
  /** Relative numbers, when the handshake (and so each side's initial sequence number) was seen. */
  seq?: number;
  ack?: number;
}

// ---------------------------------------------------------------------------------------------
// TCP facts the FTP report shows, supplied by the TCP stage (which maps its connection summary
// onto these). Kept minimal: only what the report prints.

export interface TcpSegmentFact {
  frame: number;
  time: string;
  from: 'client' | 'server';
  /** Flags as Wireshark lists them, e.g. "SYN", "SYN, ACK", "FIN, PSH, ACK", "RST". */
  flags: string;
  /** Relative sequence and acknowledgement numbers (Wireshark's default view). */
  seq: number;
  ack: number;
  /** Raw 32-bit numbers from the header. */
  seqRaw: number;
  ackRaw: number;
  /** TCP payload length. */
  len: number;
}

export interface ControlConnectionFacts {
  /** Wireshark's tcp.stream index. */
  stream: number;
  handshake?: {
    syn?: TcpSegmentFact;
    synAck?: TcpSegmentFact;
    ack?: TcpSegmentFact;
    /** Wireshark's tcp.analysis.initial_rtt (SYN to the ACK completing the handshake), seconds. */
    initialRtt?: number;
    /** SYN to SYN/ACK, seconds (the server-side share of the RTT as seen at the capture point). */
    synToSynAck?: number;
    /** SYN/ACK to ACK, seconds. */
    synAckToAck?: number;
  };
  teardown?: {
    /** Who sent the first FIN or RST. */
    firstCloser?: 'client' | 'server';
    /** FIN, RST and the ACKs that answered them, in frame order. */
    segments: TcpSegmentFact[];
    reset: boolean;
  };
  /** Frames and bytes of the whole connection (both directions). */
  packets?: number;
  bytes?: number;
  firstFrame?: number;
  lastFrame?: number;
  /** Time of the last frame of the connection. */
  endTime?: string;
}

// ---------------------------------------------------------------------------------------------
// The part of the TCP stage's connection summary the FTP stage reads (structurally: the TCP
// stage's own summary type fits it as it is, so nothing here depends on that stage's internals).

/** A segment a connection summary points at. */
export interface SummarySegment {
  frame: number;
  from: 'client' | 'server';
  /** TCP flags field (TcpFlag bits). */
  flags: number;
  seq: number;
  ack: number;
  seqRaw: number;
  ackRaw: number;
  len: number;
  tsSec: number;
  tsNsec: number;
}

export interface ControlConnectionSummary {
  stream: number;
  lastFrame: number;
  startTsSec: number;
  startTsNsec: number;
  /** Last frame − first frame, nanoseconds. */
  durationNs: number;
  fromClient: { frames: number; bytes: number };
  fromServer: { frames: number; bytes: number };
  handshake: {
    syn?: SummarySegment;
    synAck?: SummarySegment;
    ack?: SummarySegment;
    initialRttNs?: number;
    synToSynAckNs?: number;
    synAckToAckNs?: number;
  };
  teardown: {
    client: { fin?: SummarySegment & { ackedBy?: SummarySegment }; rst?: SummarySegment };
    server: { fin?: SummarySegment & { ackedBy?: SummarySegment }; rst?: SummarySegment };
    activeCloser?: 'client' | 'server';
  };
}

// ---------------------------------------------------------------------------------------------
// Data connections and transfers (Zeek's "expected connection" idea: every PORT/EPRT/LPRT and
// every 227/228/229 registers an expectation; a new TCP connection that matches one is that
// session's data connection, and the match says why it matched).

/** Why a data connection was tied to a session. */
export type BindingRule =
  | 'address+port' // the announced address and port are the connection's listening side
  | 'port-only' // the port matches and the other side is the control connection's peer, but the announced address is not the one captured (NAT, a private address in a 227, rewritten traces)
  | 'timing'; // no announcement matched; port 20 or a transfer command waiting between the same hosts

export type TransferDirection = 'download' | 'upload' | 'listing' | 'unknown';

/** RFC 959 (PORT/PASV), RFC 2428 (EPRT/EPSV), RFC 1639 (LPRT/LPSV). */
export type TransferMode = 'active' | 'passive' | 'extended-active' | 'extended-passive' | 'long-active' | 'long-passive' | 'unknown';

export type TransferStatus =
  | 'complete' // every byte of the data connection was captured and the server reported success
  | 'incomplete' // bytes are missing (see `missing`), or the transfer never finished in the capture
  | 'aborted' // ABOR, a 426/451 final reply, or an RST on the data connection
  | 'truncated' // frames were cut by the snaplen: the packets were there, their bytes were not captured
  | 'size-mismatch' // every byte arrived but not as many as the server announced (150 "(N bytes)" or SIZE)
  | 'encrypted' // the data connection carried TLS (PROT P after AUTH TLS, RFC 4217 §9): the bytes are not the file, nothing is extracted
  | 'refused' // the command failed before any data connection was used (425, 450, 550, …)
  | 'no-data-connection'; // a final reply came but no data connection was found in the capture

/** A data connection as the TCP stage showed it, with how it was tied to its session. */
export interface DataConnectionFacts {
  /** Wireshark's tcp.stream. */
  stream: number;
  /** The side that sent the SYN (the connector) and the side that listened. */
  opener: FtpEndpoint;
  listener: FtpEndpoint;
  /** Which FTP role opened it: the client (passive mode) or the server (active mode, often from port 20). */
  openedBy: 'client' | 'server' | 'unknown';
  rolesFrom: 'syn' | 'syn-ack' | 'heuristic';
  binding: { rule: BindingRule; expectationFrame: number | null; note: string | null };
  /** Handshake frames, when captured. */
  handshake: { syn: number | null; synAck: number | null; ack: number | null };
  firstFrame: number;
  lastFrame: number | null;
  /** First and last frame that carried transferred bytes (the FTP-DATA frames). */
  firstDataFrame: number | null;
  lastDataFrame: number | null;
  /** Frames that carried transferred bytes (Wireshark's FTP-DATA), counted. */
  dataFrames: number;
  /** TCP payload bytes delivered in order, per direction (retransmissions counted once). */
  bytesFromOpener: number;
  bytesFromListener: number;
  start: string;
  /** Time of the last frame that carried transferred bytes, when any did. */
  lastDataTime: string | null;
  /** SYN (or first frame) to the last frame of the connection, seconds. */
  duration: string | null;
  /** Transferred bytes / (last data frame − first frame), bytes per second. */
  throughput: number | null;
  /** Bytes of the transferring direction that were never seen, as TCP stream offsets [start, end). */
  missing: Array<{ start: number; end: number; reason: string; frame: number }>;
  /**
   * Retransmissions of the transferring direction whose bytes differed from the copy already
   * received (stream offsets [start, end); frames: the kept copy's, then the differing one). The
   * first copy is the one delivered and extracted. Present only when there were any; the first
   * 100 are listed, `conflictCount` counts them all.
   */
  conflicts?: Array<{ start: number; end: number; frames: number[] }>;
  conflictCount?: number;
  /** FIN/RST frames of the connection. */
  teardown: { reset: boolean; rstFrame: number | null; finFrames: number[] };
  /**
   * Points of a tcptrace-style sequence-number-over-time graph (SeqPlotCollector.ts), present
   * only when the report was built with `plots` (the HTML report, or `--plots`); null when the
   * report already held plots for MAX_CONNECTIONS data connections.
   */
  plot?: SeqPlot | null;
}

/** A data connection's time-sequence graph: the sender's segments, the receiver's ACKs, the retransmissions. */
export interface SeqPlot {
  /** Whose data is plotted: the side that sent more TCP payload (the opener or the listener). */
  sender: 'opener' | 'listener';
  data: {
    /** Data segments the sender sent (before any merging). */
    segments: number;
    /** Width of the time buckets points were merged into, seconds; 0 when every segment is its own point. */
    bucketSeconds: number;
    points: SeqPlotDataPoint[];
  };
  acks: {
    /** ACK segments the receiver sent. */
    segments: number;
    bucketSeconds: number;
    points: SeqPlotAckPoint[];
  };
  retransmissions: {
    /** Data segments Wireshark marks tcp.analysis.retransmission (fast and spurious ones included). */
    segments: number;
    /** The first MAX_RETRANSMISSIONS of them, one point each. */
    points: SeqPlotRetransmission[];
  };
}

/** One data segment, or the segments of one time bucket merged. */
export interface SeqPlotDataPoint {
  /** First and last frame in the point (the same frame for a single segment). */
  frame: number;
  lastFrame: number;
  /** Seconds from the connection's first frame (`start`) to the point's first frame. */
  time: number;
  /** Lowest relative sequence number in the point, and highest seq + len (unwrapped past 4 GiB). */
  seq: number;
  end: number;
  /** Segments merged into the point, and how many of them were retransmissions. */
  segments: number;
  retransmissions: number;
}

/** One ACK of the receiver, or the highest ACK of one time bucket. */
export interface SeqPlotAckPoint {
  frame: number;
  time: number;
  /** Relative acknowledgement number (unwrapped past 4 GiB). */
  ack: number;
  /** Receive window the ACK advertised, bytes (scaled as Wireshark's tcp.window_size). */
  window: number;
}

/** One retransmitted data segment. */
export interface SeqPlotRetransmission {
  frame: number;
  time: number;
  seq: number;
  len: number;
}

export interface FtpTransfer {
  /** 1-based within the session. */
  id: number;
  /** RETR, STOR, STOU, APPE, LIST, NLST, MLSD (null for a data connection of an encrypted session). */
  command: string | null;
  arg: string;
  /** Frame of the command. */
  frame: number | null;
  /** Working directory + argument, when the directory is known; the argument otherwise. */
  path: string | null;
  direction: TransferDirection;
  mode: TransferMode;
  /** The announcement the data connection was made for (with the p1 × 256 + p2 arithmetic). */
  announcement: DataChannelAnnouncement | null;
  connection: DataConnectionFacts | null;
  /** 125/150 reply, and the size it announced ("(N bytes)"). */
  preliminary: { frame: number; code: number; text: string; announcedSize: number | null } | null;
  /** 226/250, or 425/426/451/5xx. */
  final: { frame: number; code: number; text: string } | null;
  /** Answer to a SIZE for the same file before the transfer (RFC 3659 §4). */
  size: { frame: number; value: number } | null;
  /** REST offset (RFC 3659 §5) the transfer started at. */
  rest: number | null;
  /** TYPE, MODE, STRU in force when the command was sent. */
  type: string;
  transmissionMode: string;
  stru: string;
  /** Bytes of the file in this transfer (wire bytes for MODE S; decoded bytes once extracted). */
  bytes: number;
  status: TransferStatus;
  /** Missing ranges in file offsets [start, end) (end null: unknown to the end). */
  missing: Array<[number, number | null]>;
  /** Why the status is what it is, each with frames. */
  notes: string[];
  /** One ACK of the client acknowledged both the 150 and the 226 (see `ackExplanation`). */
  ackExplanation?: string;
  /** Where the bytes went when extracting. */
  extracted?: { name: string; size: number; sha256: string; complete: boolean };
  /** LIST, NLST, MLSD: the listing read into entries (ListingParser.ts). */
  listing?: FtpListing;
}

/** How a listing's lines were written: `ls -l`, DOS/IIS, MLSD facts, NLST names. */
export type ListingFormat = 'unix' | 'dos' | 'mlsd' | 'nlst' | 'mixed' | 'unknown' | 'empty';

export type ListingEntryType =
  | 'file' | 'dir' | 'link' | 'block-device' | 'char-device' | 'fifo' | 'socket'
  | 'cdir' | 'pdir' // MLSD: the listed directory itself and its parent (RFC 3659 §7.5.1)
  | 'other' | 'unknown'; // 'unknown': NLST gives names only

export interface ListingEntry {
  name: string;
  type: ListingEntryType;
  size: number | null;
  /**
   * LIST: server local time, zone unknown ("2026-01-15T12:00", or "2026-01-15" when ls gave the
   * year instead of the time). MLSD: UTC ("2026-01-15T12:00:00Z"). Null when not given.
   */
  modified: string | null;
  /** The line as sent (UTF-8, or \xNN for other bytes), without its line end. */
  raw: string;
  /** 1-based line number within the listing. */
  line: number;
  /** Symbolic link target (`name -> target`, MLSD OS.unix=slink:target). */
  target?: string;
  /** ls -l: the mode string, link count, owner, group (absent in 8-column listings). */
  permissions?: string;
  links?: number;
  owner?: string;
  group?: string;
  /** ls -l of a device: "major, minor" instead of a size. */
  device?: { major: number; minor: number };
  /** "Mon DD HH:MM": the year was inferred (the one putting the time within the six months before the capture, as ls shows it). */
  yearInferred?: boolean;
  /** MLSD facts, names lower-cased (RFC 3659 §7.5: case-insensitive), values as sent. */
  facts?: Record<string, string>;
}

export interface ListingUnparsed {
  line: number;
  raw: string;
  reason: string;
}

export interface FtpListing {
  format: ListingFormat;
  /** Lines seen (empty ones included). */
  lines: number;
  entries: ListingEntry[];
  /** Lines that are not entries, with why. */
  unparsed: ListingUnparsed[];
  /** The "total N" line of ls -l, when sent. */
  total?: number;
  /** Entries / unparsed lines past the caps, counted only. */
  entriesOmitted?: number;
  unparsedOmitted?: number;
  /**
   * Listings parsed for a summary (FtpAnalyzerOptions.listings 'summary': the text and Markdown
   * reports, which show the first few entries and the counts): entries within the cap that
   * were parsed but not kept past the first SUMMARY_ENTRIES, and how many entries within the cap,
   * kept or not, are of each type.
   */
  entriesNotKept?: number;
  entryTypes?: Partial<Record<ListingEntryType, number>>;
  /** Missing bytes, lines that are not UTF-8, a last line without its end. */
  notes: string[];
}

/** A data connection no session could claim (its control connection is not in the capture). */
export interface OrphanDataConnection {
  connection: DataConnectionFacts;
  /** Why it was taken for FTP data. */
  reason: string;
  extracted?: { name: string; size: number; sha256: string; complete: boolean };
}

/** An announcement nobody connected to, or one dropped because too many were pending. */
export interface UnusedExpectation {
  session: number;
  kind: string;
  address: string | null;
  port: number;
  frame: number;
  reason: 'never-connected' | 'expired' | 'refused';
}
