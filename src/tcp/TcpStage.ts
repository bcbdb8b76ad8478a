// The TCP stage of the pipeline: decoded packets in, per-segment analysis and per-connection
// byte streams out.
//
//   const tcp = new TcpStage({ consumers: ftp.factory, onConnection: (c) => summaries.push(c) });
//   for each decoded packet, in frame order:  const view = tcp.process(packet);
//   at the end of the capture:                tcp.finish();
//
// `process` returns what Wireshark's TCP dissector shows for the segment (stream index, relative
// numbers, analysis flags, acks_frame, …) and, for connections a consumer took, feeds the
// reassemblers, which call the consumer synchronously: deliveries of both directions therefore
// come in frame order, so an FTP consumer sees a reply after the command it answers.
// Connection summaries (TcpConnection) are handed to `onConnection` once a connection is done
// with: closed and quiet for the linger time, replaced by a new connection on the same ports,
// dropped as the quietest of more than `maxSilent` open connections that never carried payload
// or of more than `maxOpen` that did, or at `finish()`.
//
// A consumer's direction ends ('end') with reason 'fin' once everything before the FIN was
// delivered or reported as a gap (a hole before the FIN is given up when the peer ACKs the
// FIN), 'rst' for both directions at an RST, 'connection-limit' when dropped beyond `maxOpen`,
// and 'end-of-capture' at `finish()` — also when a SYN on the same ports replaces the
// connection (StreamEnd has no reason of its own for that).
// 'closed' follows the second 'end'; the reassemblers are released then.

import type { Packet, TcpInfo } from '../decode/Packet.js';
import { TcpFlag } from '../decode/Packet.js';
import { verifyTcpChecksums } from './checksum.js';
import {
  ConnectionTable, DEFAULT_LINGER_NS, DEFAULT_MAX_LINGERING, DEFAULT_MAX_OPEN, DEFAULT_MAX_SILENT, DEFAULT_REMEMBERED_TUPLES, type DroppedConnection,
} from './ConnectionTable.js';
import { WINDOW_SCALE_NONE, WINDOW_SCALE_UNKNOWN } from './FlowState.js';
import { ViewRegistry } from './DeliveredHistory.js';
import { ReassemblyBudget } from './ReassemblyBudget.js';
import { SegmentAnalysis } from './SequenceAnalyzer.js';
import { seq32, seqAdd, seqDiff, seqRelative } from './sequence.js';
import type { ConnectionStart, Direction, StreamConsumerFactory, StreamEnd } from './StreamEvents.js';
import { StreamReassembler, type ReassemblyLimits } from './StreamReassembler.js';
import { CountingSink, MAX_LISTED_FRAMES, RefSlot, TcpConnectionState, type ConnectionStreams } from './TcpConnectionState.js';
import type { ChecksumStatus, HandshakeRole, TcpConnection, TcpSegmentView, TcpSideOptions } from './TcpModel.js';
import { TcpAnalysis } from './TcpModel.js';

const SYN = TcpFlag.SYN;
const ACK = TcpFlag.ACK;
const FIN = TcpFlag.FIN;
const RST = TcpFlag.RST;

const DIRECTIONS: readonly Direction[] = [0, 1];

/** Checksums of a direction verified in full before sampling starts (see `process`). */
export const CHECKSUM_ALL_SEGMENTS = 4096;
export const CHECKSUM_ALL_BYTES = 4 * 1024 * 1024;
export const CHECKSUM_SAMPLE = 32;

/** RFC 7323 §2.3: a shift above 14 is taken as 14. */
const MAX_WINDOW_SHIFT = 14;

export interface TcpStageOptions {
  /** Makes a consumer per connection for its reassembled bytes; without one nothing is reassembled. */
  consumers?: StreamConsumerFactory;
  /** Called once per connection with its summary, when the stage is done with it. */
  onConnection?: (connection: TcpConnection) => void;
  /**
   * Verify IPv4 header and TCP checksums (default true): every segment of a direction up to
   * 4096 segments or 4 MiB of payload, then one segment in 32 (a full pass over a 1 GB transfer
   * would cost about as much as reading it). The packet list turns it off: Wireshark does not
   * check by default either.
   */
  checksums?: boolean;
  /**
   * Wireshark's per-segment sequence analysis (default true): the tcp.analysis.* flags,
   * acks_frame, duplicate-ACK numbers, `onSegmentAcked`, and the summaries' analysis counts.
   * Off, a segment costs only connection tracking, relative numbers, handshake and teardown
   * facts and reassembly: for pipelines that read bytes and summaries but no flags. The report
   * needs them (retransmission counts, which ACK covered which reply), so analyze() keeps it on.
   */
  analysis?: boolean;
  /** Out-of-order buffering and the retransmission check's history per direction (see StreamReassembler). */
  limits?: ReassemblyLimits;
  /**
   * How long the frame data of a processed packet stays valid (default 'call'): 'call', only
   * during `process`; 'chunk', until the caller calls `chunkEnd()`, which it must do before
   * that memory is reused (readCapture's onChunkEnd is the place). With 'chunk' the stage keeps
   * views of delivered payloads for the retransmission check instead of copying each one, and
   * at `chunkEnd()` copies only the bytes still unacknowledged (a few percent of a transfer).
   */
  frameData?: 'call' | 'chunk';
  /** Out-of-order bytes all connections together may buffer (default 64 MiB). */
  budget?: ReassemblyBudget;
  /**
   * How long a closed connection (FINs both ways) stays findable after its last segment, in ns
   * of capture time (default 60 s, TIME_WAIT), so late segments still count towards it.
   */
  lingerNs?: number;
  /**
   * The same for a connection whose teardown completed: both FINs acknowledged, or an RST
   * (default: lingerNs). A segment after it on the same ports keeps the stream number but starts
   * a fresh analysis (Wireshark would still have the old one).
   */
  doneLingerNs?: number;
  /**
   * Closed connections held lingering at most (default 4096, about 2 KB each); beyond it the
   * oldest go first, completed teardowns before the others. Open connections are not counted.
   */
  maxLingering?: number;
  /**
   * Open connections that have carried no payload either way (a SYN flood, connections opened
   * and left idle) held at most (default 8,192, 4-12 KB each). Beyond it the one quiet longest
   * is handed on as at the end of the capture (its streams end with 'end-of-capture', its
   * summary goes to `onConnection`) and its tuple is remembered: a later segment keeps its
   * stream number but starts a fresh analysis, as after lingering.
   */
  maxSilent?: number;
  /**
   * Open connections that have carried payload held at most (default 8,192): about 2 KB each
   * when no consumer follows them, 8-9 KB for an FTP control connection with its session.
   * Beyond it the one quiet longest is handed on, those no consumer follows first: its streams
   * end with 'connection-limit' (holes still open in them are 'end-of-capture' gaps), its
   * summary goes to `onConnection`, its tuple is remembered as for `maxSilent`. `openDropped`
   * counts them.
   */
  maxOpen?: number;
  /**
   * Told when an ACK first covers a whole segment (data, SYN or FIN) of the other side: which
   * frame acknowledged which, e.g. to show that one client ACK covered a 150 and a 226 reply.
   * Per segment, so only set it when you use it.
   */
  onSegmentAcked?: (ack: TcpSegmentAck) => void;
}

/** One segment and the frame whose ACK first covered it whole. */
export interface TcpSegmentAck {
  stream: number;
  /** Who sent the segment. */
  from: 'client' | 'server';
  frame: number;
  ackFrame: number;
}

/** Adds a frame to a list of repeats, up to MAX_LISTED_FRAMES. */
function listFrame(list: number[], frame: number): void {
  if (list.length < MAX_LISTED_FRAMES) list.push(frame);
}

export class TcpStage {
  readonly #table: ConnectionTable;
  readonly #factory: StreamConsumerFactory | undefined;
  readonly #onConnection: ((connection: TcpConnection) => void) | undefined;
  readonly #onSegmentAcked: ((ack: TcpSegmentAck) => void) | undefined;
  readonly #checksums: boolean;
  readonly #analysis: boolean;
  readonly #limits: ReassemblyLimits;
  readonly #budget: ReassemblyBudget;
  readonly #views: ViewRegistry | undefined;
  readonly #scratch = new SegmentAnalysis();
  /** Returned by `process`, filled anew for each segment (see there). */
  readonly #view: TcpSegmentView = {
    stream: 0, direction: 0, seq: 0, ack: 0, window: 0, windowScale: -1, analysis: 0, dupAckNum: 0, dupAckFrame: 0,
    acksFrame: 0, ackRttNs: -1, initialRttNs: -1, handshake: undefined, checksum: 'unchecked',
  };
  /** Bound once: expire() runs per packet, and a closure per packet is garbage per packet. */
  readonly #retireExpired = (c: TcpConnectionState): void => this.#retire(c, 'end-of-capture');
  readonly #retireOpen = (c: TcpConnectionState): void => this.#retire(c, 'connection-limit', this.#frameNo);
  /** The frame being processed. */
  #frameNo = 0;
  #startSec = 0;
  #startNsec = 0;
  #started = false;
  #finished = false;

  constructor(options: TcpStageOptions = {}) {
    const linger = options.lingerNs ?? DEFAULT_LINGER_NS;
    this.#table = new ConnectionTable(
      linger, DEFAULT_REMEMBERED_TUPLES, options.doneLingerNs ?? linger, options.maxLingering ?? DEFAULT_MAX_LINGERING, options.maxSilent ?? DEFAULT_MAX_SILENT,
      options.maxOpen ?? DEFAULT_MAX_OPEN,
    );
    this.#factory = options.consumers;
    this.#onConnection = options.onConnection;
    this.#onSegmentAcked = options.onSegmentAcked;
    this.#checksums = options.checksums ?? true;
    this.#analysis = options.analysis ?? true;
    this.#limits = options.limits ?? {};
    this.#budget = options.budget ?? new ReassemblyBudget();
    this.#views = options.frameData === 'chunk' ? new ViewRegistry() : undefined;
  }

  /**
   * With `frameData: 'chunk'`: the frame data of every packet processed so far is about to be
   * reused; the stage copies what it still needs of it. Does nothing otherwise.
   */
  chunkEnd(): void {
    this.#views?.materialize();
  }

  /** Connections (tcp.stream numbers) seen so far. */
  get streamCount(): number {
    return this.#table.streamCount;
  }

  /** Connections currently held in memory. */
  get connectionsHeld(): number {
    return this.#table.size;
  }

  /**
   * Open connections that had carried payload handed on early at `maxOpen` (`limit`) so far, and
   * the frame being processed at the first (0 when none was).
   */
  get openDropped(): { count: number; limit: number; firstFrame: number } {
    return this.#table.openDropped;
  }

  /** Out-of-order bytes buffered across all connections. */
  get bufferedBytes(): number {
    return this.#budget.used;
  }

  /**
   * One decoded packet, in frame order. Call it for every packet, TCP or not: the first one
   * fixes the capture start that conversation times are relative to. Returns the segment's
   * analysis for TCP packets, undefined for others. The returned object is reused: it is valid
   * until the next call (like a Frame's bytes); copy what you keep.
   */
  process(packet: Packet): TcpSegmentView | undefined {
    const frame = packet.frame;
    if (!this.#started) {
      this.#started = true;
      this.#startSec = frame.tsSec;
      this.#startNsec = frame.tsNsec;
    }
    const tcp = packet.tcp;
    const ip = packet.ip;
    if (tcp === undefined || ip === undefined || this.#finished) return undefined;
    const now = (frame.tsSec - this.#startSec) * 1e9 + (frame.tsNsec - this.#startNsec);
    this.#frameNo = frame.no;
    this.#table.expire(now, this.#retireExpired, this.#retireOpen, frame.no);

    const src = ip.src;
    const dst = ip.dst;
    const sport = tcp.srcPort;
    const dport = tcp.dstPort;
    const flags = tcp.flags;
    const synOnly = (flags & (SYN | ACK)) === SYN;

    let reused = false;
    let conn = this.#table.find(src, sport, dst, dport);
    if (conn !== undefined && synOnly) {
      // A SYN with another ISN than the one this side's numbers are based on opens a new
      // connection on the same ports (Wireshark: "TCP Port numbers reused"); with the same ISN
      // it is a repeated SYN.
      const side = conn.analyzer.flows[conn.directionOf(src, sport)];
      if (side.baseSet && side.base !== seq32(tcp.seq)) {
        this.#table.remove(conn);
        this.#retire(conn, 'end-of-capture');
        conn = undefined;
        reused = true;
      } else if (side.baseSet) {
        conn.analyzer.synRepeated(conn.directionOf(src, sport));
      }
    }
    if (conn === undefined) {
      const dropped = reused ? undefined : this.#table.dropped(src, sport, dst, dport);
      if (dropped !== undefined) {
        const from = dropped.client.port === sport && dropped.client.ip === src ? 0 : 1;
        const base = dropped.bases[from];
        if (synOnly && base !== undefined && base !== seq32(tcp.seq)) reused = true;
        else conn = this.#continuation(dropped, packet, now);
      }
      conn ??= this.#open(packet, tcp, now);
      this.#table.add(conn);
    }

    const d = conn.directionOf(src, sport);
    const analyzer = conn.analyzer;
    const fwd = analyzer.flows[d];
    const rev = analyzer.flows[d === 0 ? 1 : 0];
    // The first segment of a direction whose SYN was not seen, even a pure ACK, tells where its
    // stream stood: offset 0 there (Wireshark's relative 1), so data lost after it is a gap.
    if (!fwd.baseSet && (flags & SYN) === 0 && conn.streams !== undefined) {
      conn.streams.reassemblers[d].setInitialSequence(seqAdd(tcp.seq, -1));
    }
    // A SYN/ACK whose ISN is not this side's base: Wireshark rebases the side and marks it,
    // keeping the conversation.
    if ((flags & (SYN | ACK)) === (SYN | ACK) && fwd.baseSet && fwd.base !== seq32(tcp.seq)) {
      fwd.base = seq32(tcp.seq);
      reused = true;
    }
    const out = this.#scratch;
    if (this.#analysis) analyzer.analyze(d, tcp.seq, tcp.ack, tcp.length, flags, tcp.window, frame.no, now, out);
    else analyzer.bases(d, tcp.seq, tcp.ack, flags); // `out` stays all zeros / -1
    const analysis = reused ? out.flags | TcpAnalysis.REUSED_PORTS : out.flags;

    // The SYN's options are read after the analysis, as in Wireshark: they govern what follows.
    if ((flags & SYN) !== 0) this.#synOptions(conn, d, tcp, now);
    if ((flags & (SYN | ACK)) === ACK) {
      // Wireshark's initial RTT: most recent SYN to the first ACK without SYN, either way.
      if (analyzer.mruSynTime >= 0 && analyzer.firstRttNs === 0) analyzer.firstRttNs = now - analyzer.mruSynTime;
      fwd.isFirstAck = false;
    }

    const ackFlag = (flags & ACK) !== 0;
    const view = this.#view;
    view.stream = conn.stream;
    view.direction = d;
    view.seq = seqRelative(tcp.seq, fwd.base);
    // Without the ACK flag the field means nothing; Wireshark then shows it unconverted.
    view.ack = ackFlag ? seqRelative(tcp.ack, rev.base) : tcp.ack;
    view.analysis = analysis;
    view.dupAckNum = out.dupAckNum;
    view.dupAckFrame = out.dupAckFrame;
    view.acksFrame = out.acksFrame;
    view.ackRttNs = out.ackRttNs;
    view.initialRttNs = analyzer.firstRttNs !== 0 ? analyzer.firstRttNs : -1;
    view.handshake = undefined;
    view.checksum = 'unchecked';
    // RFC 7323 §2.2: the window of a SYN is never scaled.
    if (fwd.winScale >= 0) {
      view.windowScale = 1 << fwd.winScale;
      view.window = (flags & SYN) === 0 ? tcp.window * view.windowScale : tcp.window;
    } else {
      view.windowScale = fwd.winScale;
      view.window = tcp.window;
    }

    // Figures.
    conn.lastFrame = frame.no;
    conn.lastTime = now;
    if (now > conn.maxTime) conn.maxTime = now;
    else if (now < conn.minTime) conn.minTime = now;
    // Open connections are queued in order of their last segment (the one quiet longest goes first beyond a limit).
    if (conn.lingerQueue >= 3) this.#table.touch(conn, tcp.length > 0);
    fwd.frames++;
    fwd.bytes += frame.originalLength;
    fwd.payloadBytes += tcp.length;
    if (analysis !== 0) conn.countAnalysis(analysis);
    // Checksums: every segment of a direction until CHECKSUM_ALL_SEGMENTS segments or
    // CHECKSUM_ALL_BYTES payload bytes were verified, then one in CHECKSUM_SAMPLE. Offload on
    // the capturing host spoils every segment it sends, so a sample finds it as surely, and a
    // bulk transfer does not pay a pass over every payload byte: measured, the sum costs
    // 520–750 ns per 1,460-byte segment here, so a full pass over the bench's 1 GB `bulk`
    // capture would add 35–45 % to its read + decode time — more than the stage's whole
    // budget of a third (README, "The TCP stage"). A lone corrupted segment late in a long
    // transfer may go unflagged.
    if (this.#checksums && (fwd.checksumBytes < CHECKSUM_ALL_BYTES && fwd.frames <= CHECKSUM_ALL_SEGMENTS || fwd.frames % CHECKSUM_SAMPLE === 0)) {
      const status: ChecksumStatus = verifyTcpChecksums(packet);
      view.checksum = status;
      if (status !== 'unchecked') {
        conn.checksumsChecked++;
        fwd.checksumBytes += tcp.length;
        if (status === 'bad') {
          conn.badChecksums++;
          const listed = (conn.badChecksumFrames ??= []);
          if (listed.length < MAX_LISTED_FRAMES) listed.push(frame.no);
        }
      }
    }

    if ((flags & (SYN | ACK)) !== ACK || !conn.hasRef(RefSlot.HANDSHAKE_ACK)) view.handshake = this.#handshake(conn, d, packet, tcp, view, now);
    // Teardown bookkeeping only once a FIN or RST has been seen (`finOrRst`): off the hot path.
    if ((flags & (FIN | RST)) !== 0 || conn.finOrRst) this.#teardown(conn, d, packet, tcp, view);

    if (conn.streams !== undefined) this.#reassemble(conn, d, packet, tcp);
    return view;
  }

  /**
   * Ends the capture: every stream still open ends ('end-of-capture'), every consumer is
   * closed, and every connection's summary goes to `onConnection`, in stream order.
   */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const conn of this.#table.drain()) this.#retire(conn, 'end-of-capture');
  }

  #open(packet: Packet, tcp: TcpInfo, now: number): TcpConnectionState {
    const ip = packet.ip!;
    const from = { ip: ip.src, port: tcp.srcPort };
    const to = { ip: ip.dst, port: tcp.dstPort };
    const flags = tcp.flags;
    let rolesFrom: ConnectionStart['rolesFrom'];
    let clientIsSender: boolean;
    if ((flags & (SYN | ACK)) === SYN) {
      rolesFrom = 'syn';
      clientIsSender = true;
    } else if ((flags & (SYN | ACK)) === (SYN | ACK)) {
      rolesFrom = 'syn-ack';
      clientIsSender = false;
    } else {
      // Started before the capture: the lower port (well-known ports are low) is the server's.
      rolesFrom = 'heuristic';
      clientIsSender = tcp.srcPort > tcp.dstPort || (tcp.srcPort === tcp.dstPort);
    }
    const client = clientIsSender ? from : to;
    const server = clientIsSender ? to : from;
    const frame = packet.frame;
    const conn = new TcpConnectionState(this.#table.allocateStream(), ip.version, client, server, rolesFrom, frame.no, frame.tsSec, frame.tsNsec, now);
    conn.firstSender = clientIsSender ? 0 : 1;
    const onAcked = this.#onSegmentAcked;
    if (onAcked !== undefined) {
      // One closure per connection (not per segment).
      const stream = conn.stream;
      conn.analyzer.onAcked = (from, frameNo, ackFrame) => onAcked({ stream, from: from === 0 ? 'client' : 'server', frame: frameNo, ackFrame });
    }
    const consumer = this.#factory?.({
      stream: conn.stream,
      client: { ...client },
      server: { ...server },
      rolesFrom,
      firstFrame: frame.no,
      tsSec: frame.tsSec,
      tsNsec: frame.tsNsec,
    });
    if (consumer !== undefined) {
      const sinks: [CountingSink, CountingSink] = [new CountingSink(consumer), new CountingSink(consumer)];
      conn.streams = {
        consumer,
        sinks,
        reassemblers: [
          new StreamReassembler(0, sinks[0], this.#budget, this.#limits, this.#views),
          new StreamReassembler(1, sinks[1], this.#budget, this.#limits, this.#views),
        ],
        ended: [false, false],
      };
    }
    return conn;
  }

  /**
   * A segment on the tuple of a connection already dropped from the table (quiet for the linger
   * time after closing): it keeps that connection's stream number and bases, as in Wireshark,
   * but starts a fresh analysis, gets no consumer and no second summary.
   */
  #continuation(dropped: DroppedConnection, packet: Packet, now: number): TcpConnectionState {
    const frame = packet.frame;
    const conn = new TcpConnectionState(dropped.stream, dropped.ipVersion, dropped.client, dropped.server, dropped.rolesFrom, frame.no, frame.tsSec, frame.tsNsec, now);
    conn.continuation = true;
    conn.closed = true;
    this.#table.done(conn);
    for (const d of DIRECTIONS) {
      const base = dropped.bases[d];
      if (base === undefined) continue;
      const flow = conn.analyzer.flows[d];
      flow.base = base;
      flow.baseSet = true;
    }
    return conn;
  }

  /** Window scaling and options from a SYN or SYN/ACK (RFC 7323 §2.2, RFC 2018). */
  #synOptions(conn: TcpConnectionState, d: Direction, tcp: TcpInfo, now: number): void {
    const analyzer = conn.analyzer;
    const fwd = analyzer.flows[d];
    const rev = analyzer.flows[d === 0 ? 1 : 0];
    const synAck = (tcp.flags & ACK) !== 0;
    const o = tcp.options;
    if (!fwd.synSeen) {
      fwd.synSeen = true;
      fwd.isn = seq32(tcp.seq);
    }
    if (!synAck) analyzer.mruSynTime = now;
    fwd.isFirstAck = true;
    if (o.windowScale !== undefined) fwd.winScale = Math.min(o.windowScale, MAX_WINDOW_SHIFT);
    if (fwd.winScale === WINDOW_SCALE_UNKNOWN) {
      // No option: scaling is off both ways (set for the peer too, in case its SYN is missing).
      fwd.winScale = WINDOW_SCALE_NONE;
      rev.winScale = WINDOW_SCALE_NONE;
    } else if (synAck && rev.winScale === WINDOW_SCALE_NONE) {
      // The SYN had no option: the SYN/ACK's offer is void.
      fwd.winScale = WINDOW_SCALE_NONE;
    }
    if (fwd.options !== undefined) return;
    const options: TcpSideOptions = { sackPermitted: o.sackPermitted === true, timestamps: o.timestamp !== undefined };
    if (o.mss !== undefined) options.mss = o.mss;
    if (o.windowScale !== undefined) options.windowScale = o.windowScale;
    fwd.options = options;
  }

  /** Which handshake segment this is, if any, and the handshake facts it brings. */
  #handshake(conn: TcpConnectionState, d: Direction, packet: Packet, tcp: TcpInfo, view: TcpSegmentView, now: number): HandshakeRole | undefined {
    const flags = tcp.flags;
    const syn = (flags & SYN) !== 0;
    const ack = (flags & ACK) !== 0;
    if (syn && !ack) {
      if (!conn.hasRef(RefSlot.SYN)) this.#ref(conn, RefSlot.SYN, d, packet, tcp, view);
      else if (conn.refSeqRaw(RefSlot.SYN) === tcp.seq) listFrame((conn.synRetransmissions ??= []), packet.frame.no);
      conn.synTime = now;
      return 'SYN';
    }
    if (!conn.hasRef(RefSlot.SYN) || conn.hasRef(RefSlot.HANDSHAKE_ACK)) return undefined;
    const synDirection = conn.refDirection(RefSlot.SYN);
    if (syn && ack && d !== synDirection && tcp.ack === seqAdd(conn.refSeqRaw(RefSlot.SYN), 1)) {
      if (!conn.hasRef(RefSlot.SYN_ACK)) {
        this.#ref(conn, RefSlot.SYN_ACK, d, packet, tcp, view);
        conn.synToSynAckNs = now - conn.synTime;
      } else if (conn.refSeqRaw(RefSlot.SYN_ACK) === tcp.seq) {
        listFrame((conn.synAckRetransmissions ??= []), packet.frame.no);
      }
      conn.synAckTime = now;
      return 'SYN/ACK';
    }
    if (!syn && ack && conn.hasRef(RefSlot.SYN_ACK) && d === synDirection && tcp.ack === seqAdd(conn.refSeqRaw(RefSlot.SYN_ACK), 1)) {
      this.#ref(conn, RefSlot.HANDSHAKE_ACK, d, packet, tcp, view);
      conn.synAckToAckNs = now - conn.synAckTime;
      return 'ACK';
    }
    return undefined;
  }

  /** FIN and RST frames of each side, and the ACK that completes each FIN. */
  #teardown(conn: TcpConnectionState, d: Direction, packet: Packet, tcp: TcpInfo, view: TcpSegmentView): void {
    const flags = tcp.flags;
    const other: Direction = d === 0 ? 1 : 0;
    const mine = conn.analyzer.flows[d];
    const peer = conn.analyzer.flows[other];
    conn.finOrRst = true;
    const myFin = conn.hasRef(RefSlot.FIN + d);
    const peerFin = conn.hasRef(RefSlot.FIN + other);
    // Data after the peer's FIN: this side still uses its half of a half-closed connection.
    if (tcp.length > 0 && peerFin && !myFin) conn.halfClose = true;
    if ((flags & ACK) !== 0 && peerFin && !conn.hasRef(RefSlot.FIN_ACKED_BY + other) && seqDiff(tcp.ack, peer.finSeq) > 0) {
      this.#ref(conn, RefSlot.FIN_ACKED_BY + other, d, packet, tcp, view);
    }
    if ((flags & FIN) !== 0) {
      const finSeq = seqAdd(tcp.seq, tcp.length);
      if (!myFin) {
        this.#ref(conn, RefSlot.FIN + d, d, packet, tcp, view);
        mine.finSeq = finSeq;
        conn.activeCloser ??= d;
      } else if (finSeq === mine.finSeq) {
        listFrame((mine.finRetransmissions ??= []), packet.frame.no);
      }
    }
    if ((flags & RST) !== 0) {
      if (!conn.hasRef(RefSlot.RST + d)) this.#ref(conn, RefSlot.RST + d, d, packet, tcp, view);
      mine.rstCount++;
      if (conn.hasRef(RefSlot.FIN + d) || peerFin) conn.rstAfterFin = true;
      conn.activeCloser ??= d;
    }
    // FINs both ways or an RST: the table may drop it once it has been quiet for a while; once
    // both FINs were acknowledged or after an RST (nothing more is expected) it is among the
    // first to go when too many linger.
    if (conn.lingerQueue !== 2) {
      if (mine.rstCount + peer.rstCount > 0 || (conn.hasRef(RefSlot.FIN_ACKED_BY) && conn.hasRef(RefSlot.FIN_ACKED_BY + 1))) {
        conn.closed = true;
        this.#table.done(conn);
        // It lingers with (nearly always) nothing in flight: no need to hold the stores.
        mine.unacked.releaseIfEmpty();
        peer.unacked.releaseIfEmpty();
      } else if (!conn.closed && conn.hasRef(RefSlot.FIN) && conn.hasRef(RefSlot.FIN + 1)) {
        conn.closed = true;
        this.#table.closing(conn);
      }
    }
  }

  /** Records the segment in `slot` of the connection's refs. */
  #ref(conn: TcpConnectionState, slot: number, d: Direction, packet: Packet, tcp: TcpInfo, view: TcpSegmentView): void {
    const frame = packet.frame;
    conn.setRef(slot, frame.no, d, tcp.flags, view.seq, view.ack, tcp.seq, tcp.ack, tcp.length, frame.tsSec, frame.tsNsec);
  }

  /** Feeds the reassemblers of a connection a consumer follows, and ends its streams. */
  #reassemble(conn: TcpConnectionState, d: Direction, packet: Packet, tcp: TcpInfo): void {
    const streams = conn.streams!;
    const flags = tcp.flags;
    const other: Direction = d === 0 ? 1 : 0;
    const frame = packet.frame;
    // The acknowledgement first: bytes it reveals as missing the other way were sent before this segment.
    if ((flags & ACK) !== 0 && !streams.ended[other]) streams.reassemblers[other].acknowledged(tcp.ack, frame.no);
    if ((flags & RST) !== 0) {
      // RFC 9293 §3.10.7.3: an acceptable RST aborts the connection, both ways.
      this.#end(conn, d, 'rst', frame.no);
      this.#end(conn, other, 'rst', frame.no);
      return;
    }
    if (!streams.ended[d]) {
      const r = streams.reassemblers[d];
      if ((flags & SYN) !== 0) r.setInitialSequence(tcp.seq);
      if (tcp.length > 0 || (flags & (SYN | FIN)) !== 0) {
        const result = r.segment(tcp.seq, tcp.payload, tcp.length, frame.no, frame.tsSec, frame.tsNsec, flags);
        if (result.conflict !== undefined) {
          streams.sinks[d].figures.conflicts++;
          streams.consumer.conflict?.({ direction: d, ...result.conflict });
        }
      }
      if (r.finReached) this.#end(conn, d, 'fin', conn.refFrame(RefSlot.FIN + d) || frame.no);
    }
    if (!streams.ended[other] && streams.reassemblers[other].finReached) {
      this.#end(conn, other, 'fin', conn.refFrame(RefSlot.FIN + other) || frame.no);
    }
    if (streams.consumer.detached === true && conn.streams === streams) this.#detach(conn, streams);
  }

  /** The consumer let go of the connection: nothing more is reassembled or told (see StreamConsumer). */
  #detach(conn: TcpConnectionState, streams: ConnectionStreams): void {
    streams.reassemblers[0].release();
    streams.reassemblers[1].release();
    conn.streamFigures = [streams.sinks[0].figures, streams.sinks[1].figures];
    conn.streams = undefined;
    this.#table.detached(conn);
  }

  /** Ends one direction's stream (once), and the connection's when both have ended. */
  #end(conn: TcpConnectionState, d: Direction, reason: StreamEnd['reason'], frame: number | undefined): void {
    const streams = conn.streams;
    if (streams === undefined || streams.ended[d]) return;
    streams.ended[d] = true;
    const r = streams.reassemblers[d];
    // A FIN seen but never reached by the end of the capture: its holes are end-of-capture gaps.
    r.finish(reason === 'fin' && !r.finReached ? 'end-of-capture' : reason);
    const end: StreamEnd = frame === undefined ? { direction: d, reason } : { direction: d, reason, frame };
    streams.consumer.end(end);
    if (streams.ended[0] && streams.ended[1]) {
      conn.streamFigures = [streams.sinks[0].figures, streams.sinks[1].figures];
      conn.streams = undefined;
      streams.consumer.closed();
    }
  }

  /** The stage is done with a connection: end what is open, hand on its summary. */
  #retire(conn: TcpConnectionState, reason: 'end-of-capture' | 'connection-limit', frame?: number): void {
    conn.retired = true;
    if (conn.streams !== undefined) {
      for (const d of DIRECTIONS) {
        const fin = conn.streams?.reassemblers[d].finOffset !== undefined ? conn.refFrame(RefSlot.FIN + d) || undefined : undefined;
        if (fin !== undefined) this.#end(conn, d, 'fin', fin);
        else this.#end(conn, d, reason, frame);
      }
    }
    if (!conn.continuation) this.#onConnection?.(conn.summary());
  }
}
