// Collects the statistics of one capture as its frames go by (ARCHITECTURE: stats/ reads the
// decoded packets and the TCP stage's views and summaries, and hands on plain numbers).
//
//   const stats = new StatsCollector();
//   per frame, in order:   stats.frame(packet.frame, tcp.process(packet));
//   per TCP summary:       stats.connection(summary);          (TcpStage's onConnection)
//   at the end:            stats.finish(classify, sessions);   → Statistics
//
// Which connections are FTP control or data connections is only known once the FTP stage is
// done, so per-connection figures are kept per tcp.stream (typed arrays, no allocation per
// frame) and merged into the FTP tables by the `classify` function given to `finish`.

import type { Frame } from '../capture/Frame.js';
import { TcpAnalysis, type TcpConnection, type TcpSegmentView } from '../tcp/TcpModel.js';
import type {
  ConnectionDirection, ConnectionStatistics, FrameSizes, SessionStatistics, Statistics, TcpConversation, TransferStatistics,
} from './model.js';
import { BucketArrays, LengthTable, relativeMs } from './packetLengths.js';
import { printfFixed } from './printf.js';

export type StreamRole = 'ftp-control' | 'ftp-data';
/** What the FTP stage made of a tcp.stream. */
export type StreamClassifier = (stream: number) => StreamRole | undefined;

/** What `finish` reads of an FTP session (FtpSession fits as it is). */
export interface SessionInput {
  id: number;
  controlStream: number;
  /** end − start, seconds (nine decimals). */
  duration: string;
  transfers: ReadonlyArray<{
    id: number;
    command: string | null;
    arg: string;
    bytes: number;
    status: string;
    connection: { stream: number; duration: string | null; throughput: number | null } | null;
  }>;
}

/** What the statistics read of a TCP connection summary. */
export interface ConnectionFigures {
  stream: number;
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  firstSender: TcpConnection['firstSender'];
  firstFrame: number;
  lastFrame: number;
  /** Capture time of the first frame (TcpConnection.startTsSec / startTsNsec). */
  startTsSec: number;
  startTsNsec: number;
  relativeStartNs: number;
  durationNs: number;
  fromClient: { frames: number; bytes: number; payloadBytes: number };
  fromServer: { frames: number; bytes: number; payloadBytes: number };
}

/** Frames Wireshark marks tcp.analysis.retransmission: plain, fast and spurious retransmissions. */
const RETRANSMISSION = TcpAnalysis.RETRANSMISSION | TcpAnalysis.FAST_RETRANSMISSION | TcpAnalysis.SPURIOUS_RETRANSMISSION;

/** Wireshark's Conversations dialog gives no bits/s for a conversation of 5 ms or less. */
const MIN_BPS_DURATION_S = 5 / 1000;

export class StatsCollector {
  readonly #all = new BucketArrays(1);
  readonly #streams = new BucketArrays(64);
  #allFirstMs = NaN;
  #allLastMs = 0;
  #started = false;
  #startSec = 0;
  #startNsec = 0;
  // Per stream × direction (slot = stream × 2 + direction): frame count, sum, min, max of frame.len.
  #dirCount = new Float64Array(128);
  #dirTotal = new Float64Array(128);
  #dirMin = new Float64Array(128).fill(Infinity);
  #dirMax = new Float64Array(128).fill(-Infinity);
  #dirRetransmissions = new Float64Array(128);
  // Per stream: frame number and stats_tree time (ms) of its first and last frame.
  #firstFrame = new Float64Array(64);
  #firstMs = new Float64Array(64);
  #lastFrame = new Float64Array(64);
  #lastMs = new Float64Array(64);
  #streamCount = 0;
  /** What the tables read of each connection summary (the summaries themselves are large: not kept). */
  readonly #connections: ConnectionFigures[] = [];
  /** `figures`' index: the first `#indexed` of `#connections` by stream. */
  readonly #byStream = new Map<number, ConnectionFigures>();
  #indexed = 0;

  /**
   * One frame, in capture order; `tcp` is what TcpStage.process returned for it (undefined for
   * frames that are not TCP segments).
   */
  frame(frame: Frame, tcp: TcpSegmentView | undefined): void {
    if (!this.#started) {
      this.#started = true;
      this.#startSec = frame.tsSec;
      this.#startNsec = frame.tsNsec;
    }
    const length = frame.originalLength;
    const ms = relativeMs(frame.tsSec, frame.tsNsec, this.#startSec, this.#startNsec);
    this.#all.add(0, length);
    if (Number.isNaN(this.#allFirstMs)) this.#allFirstMs = ms;
    this.#allLastMs = ms;
    if (tcp === undefined) return;

    const s = tcp.stream;
    if (s >= this.#streamCount) this.#grow(s);
    this.#streams.add(s, length);
    const slot = s * 2 + tcp.direction;
    this.#dirCount[slot]!++;
    this.#dirTotal[slot]! += length;
    if (length < this.#dirMin[slot]!) this.#dirMin[slot] = length;
    if (length > this.#dirMax[slot]!) this.#dirMax[slot] = length;
    if ((tcp.analysis & RETRANSMISSION) !== 0) this.#dirRetransmissions[slot]!++;
    if (this.#firstFrame[s] === 0) {
      this.#firstFrame[s] = frame.no;
      this.#firstMs[s] = ms;
    }
    this.#lastFrame[s] = frame.no;
    this.#lastMs[s] = ms;
  }

  /** A connection summary from the TCP stage (its `onConnection`). */
  connection(c: TcpConnection): void {
    // Each summary carries its handshake, teardown and analysis facts too, some kilobytes: a
    // capture of many thousand connections kept hundreds of MB of them for these few numbers.
    this.#connections.push({
      stream: c.stream,
      client: { ip: c.client.ip, port: c.client.port },
      server: { ip: c.server.ip, port: c.server.port },
      firstSender: c.firstSender,
      firstFrame: c.firstFrame,
      lastFrame: c.lastFrame,
      startTsSec: c.startTsSec,
      startTsNsec: c.startTsNsec,
      relativeStartNs: c.relativeStartNs,
      durationNs: c.durationNs,
      fromClient: { frames: c.fromClient.frames, bytes: c.fromClient.bytes, payloadBytes: c.fromClient.payloadBytes },
      fromServer: { frames: c.fromServer.frames, bytes: c.fromServer.bytes, payloadBytes: c.fromServer.payloadBytes },
    });
  }

  /** The figures of connection `stream`'s summary, once it came (looked up by stream from the first call on). */
  figures(stream: number): Readonly<ConnectionFigures> | undefined {
    const connections = this.#connections;
    for (; this.#indexed < connections.length; this.#indexed++) this.#byStream.set(connections[this.#indexed]!.stream, connections[this.#indexed]!);
    return this.#byStream.get(stream);
  }

  /**
   * The statistics. `classify` says which tcp.streams the FTP stage found to be control or data
   * connections; `sessions` ties control connections to session ids, `dataStreams` data
   * connections to sessions (by session id).
   */
  finish(classify: StreamClassifier = () => undefined, sessions: readonly SessionInput[] = [], dataStreams: ReadonlyMap<number, number | null> = new Map()): Statistics {
    const all = new LengthTable();
    all.merge(this.#all, 0);
    all.elapsedMs = this.#started ? this.#allLastMs - this.#allFirstMs : 0;

    const control = new TimedTable();
    const data = new TimedTable();
    const controlStreams: number[] = [];
    const dataStreamList: number[] = [];
    for (let s = 0; s < this.#streamCount; s++) {
      if (this.#firstFrame[s] === 0) continue;
      const role = classify(s);
      if (role === undefined) continue;
      const table = role === 'ftp-control' ? control : data;
      (role === 'ftp-control' ? controlStreams : dataStreamList).push(s);
      table.lengths.merge(this.#streams, s);
      table.span(this.#firstFrame[s]!, this.#firstMs[s]!, this.#lastFrame[s]!, this.#lastMs[s]!);
    }

    const connections = [...this.#connections].sort((x, y) => x.stream - y.stream);
    const sessionOfControl = new Map(sessions.map((s) => [s.controlStream, s.id]));
    const connectionStats = connections.map((c) => {
      const role = classify(c.stream) ?? null;
      const session = role === 'ftp-control' ? sessionOfControl.get(c.stream) : role === 'ftp-data' ? dataStreams.get(c.stream) : undefined;
      return this.#connection(c, role, session ?? null);
    });
    const statsByStream = new Map(connectionStats.map((c) => [c.stream, c]));
    // Data streams per session id, grouped once (a scan of every data stream per session was
    // quadratic: 15 s of a 45 s run on 9,786 sessions).
    const dataStreamsOf = new Map<number, number[]>();
    for (const [stream, id] of dataStreams) {
      if (id === null) continue;
      const list = dataStreamsOf.get(id);
      if (list) list.push(stream);
      else dataStreamsOf.set(id, [stream]);
    }
    return {
      packetLengths: {
        all: all.rows(),
        ftpControl: control.rows(),
        ftpData: data.rows(),
        ftpControlStreams: controlStreams,
        ftpDataStreams: dataStreamList,
      },
      conversations: connections.map(conversation),
      connections: connectionStats,
      sessions: sessions.map((s): SessionStatistics => {
        const c = this.figures(s.controlStream);
        const mine = (dataStreamsOf.get(s.id) ?? []).sort((x, y) => x - y);
        return {
          session: s.id,
          controlStream: s.controlStream,
          firstFrame: c?.firstFrame ?? null,
          lastFrame: c?.lastFrame ?? null,
          duration: Number(s.duration),
          dataStreams: mine,
          transfers: s.transfers.map((t): TransferStatistics => {
            const conn = t.connection;
            const throughput = conn?.throughput ?? null;
            return {
              transfer: t.id,
              command: t.command,
              arg: t.arg,
              status: t.status,
              stream: conn?.stream ?? null,
              bytes: t.bytes,
              duration: conn?.duration != null ? Number(conn.duration) : null,
              bytesPerSecond: throughput,
              bitsPerSecond: throughput === null ? null : throughput * 8,
              retransmissions: conn ? (statsByStream.get(conn.stream)?.retransmissions ?? null) : null,
            };
          }),
        };
      }),
    };
  }

  #connection(c: ConnectionFigures, role: ConnectionStatistics['role'], session: number | null): ConnectionStatistics {
    const seconds = c.durationNs / 1e9;
    const side = (d: 0 | 1): ConnectionDirection => {
      const figures = d === 0 ? c.fromClient : c.fromServer;
      const slot = c.stream * 2 + d;
      const known = c.stream < this.#streamCount;
      return {
        frames: figures.frames,
        bytes: figures.bytes,
        payloadBytes: figures.payloadBytes,
        frameSizes: known ? sizes(this.#dirCount[slot]!, this.#dirTotal[slot]!, this.#dirMin[slot]!, this.#dirMax[slot]!) : sizes(0, 0, 0, 0),
        payloadBitsPerSecond: seconds > 0 ? (figures.payloadBytes * 8) / seconds : null,
        retransmissions: known ? this.#dirRetransmissions[slot]! : 0,
      };
    };
    const fromClient = side(0);
    const fromServer = side(1);
    return {
      stream: c.stream,
      role,
      session,
      client: { ...c.client },
      server: { ...c.server },
      firstFrame: c.firstFrame,
      lastFrame: c.lastFrame,
      duration: seconds,
      fromClient,
      fromServer,
      retransmissions: fromClient.retransmissions + fromServer.retransmissions,
    };
  }

  #grow(stream: number): void {
    this.#streams.ensure(stream);
    let n = this.#firstFrame.length;
    if (stream >= n) {
      while (n <= stream) n *= 2;
      const grow = (old: Float64Array<ArrayBuffer>, size: number, fill?: number): Float64Array<ArrayBuffer> => {
        const fresh = new Float64Array(size);
        if (fill !== undefined) fresh.fill(fill, old.length);
        fresh.set(old);
        return fresh;
      };
      this.#firstFrame = grow(this.#firstFrame, n);
      this.#firstMs = grow(this.#firstMs, n);
      this.#lastFrame = grow(this.#lastFrame, n);
      this.#lastMs = grow(this.#lastMs, n);
      this.#dirCount = grow(this.#dirCount, n * 2);
      this.#dirTotal = grow(this.#dirTotal, n * 2);
      this.#dirMin = grow(this.#dirMin, n * 2, Infinity);
      this.#dirMax = grow(this.#dirMax, n * 2, -Infinity);
      this.#dirRetransmissions = grow(this.#dirRetransmissions, n * 2);
    }
    this.#streamCount = stream + 1;
  }
}

/** A packet-length table over several connections, with stats_tree's elapsed time over them. */
class TimedTable {
  readonly lengths = new LengthTable();
  #firstFrame = Infinity;
  #firstMs = 0;
  #lastFrame = -Infinity;
  #lastMs = 0;

  /** stats_tree's start is the first frame counted, its `now` the last one (in frame order). */
  span(firstFrame: number, firstMs: number, lastFrame: number, lastMs: number): void {
    if (firstFrame < this.#firstFrame) {
      this.#firstFrame = firstFrame;
      this.#firstMs = firstMs;
    }
    if (lastFrame > this.#lastFrame) {
      this.#lastFrame = lastFrame;
      this.#lastMs = lastMs;
    }
  }

  rows() {
    this.lengths.elapsedMs = Number.isFinite(this.#firstFrame) ? this.#lastMs - this.#firstMs : 0;
    return this.lengths.rows();
  }
}

function sizes(count: number, total: number, min: number, max: number): FrameSizes {
  if (count === 0) return { frames: 0, average: null, min: null, max: null };
  return { frames: count, average: Number(printfFixed(total / count, 2)), min, max };
}

/** nstime_to_sec: whole seconds plus nanoseconds / 1e9, as a double. */
function seconds(ns: number): number {
  const whole = Math.trunc(ns / 1e9);
  return whole + (ns - whole * 1e9) / 1e9;
}

/** tshark's conversation row from the TCP stage's summary: A is the side that sent first. */
function conversation(c: ConnectionFigures): TcpConversation {
  const aIsClient = c.firstSender === 'client';
  const a = aIsClient ? c.fromClient : c.fromServer;
  const b = aIsClient ? c.fromServer : c.fromClient;
  // Wireshark divides by nstime_to_sec(stop) − nstime_to_sec(start), a difference of doubles;
  // the report gives the duration from the nanoseconds, which differs from it by an ulp at most.
  const wiresharkDuration = seconds(c.relativeStartNs + c.durationNs) - seconds(c.relativeStartNs);
  const duration = c.durationNs / 1e9;
  const bps = (bytes: number): number | null => (wiresharkDuration > MIN_BPS_DURATION_S ? (bytes * 8) / wiresharkDuration : null);
  return {
    stream: c.stream,
    a: { ...(aIsClient ? c.client : c.server) },
    b: { ...(aIsClient ? c.server : c.client) },
    aToB: { frames: a.frames, bytes: a.bytes, bitsPerSecond: bps(a.bytes) },
    bToA: { frames: b.frames, bytes: b.bytes, bitsPerSecond: bps(b.bytes) },
    frames: a.frames + b.frames,
    bytes: a.bytes + b.bytes,
    relativeStart: c.relativeStartNs / 1e9,
    duration,
    firstFrame: c.firstFrame,
    lastFrame: c.lastFrame,
  };
}
