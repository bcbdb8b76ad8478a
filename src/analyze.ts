// The whole pipeline for one capture: read → decode → TCP → FTP, into one report model.
// Stages hand data forward only (see ARCHITECTURE): the FTP stage sees reassembled streams
// and connection summaries, never raw segments.

import type { CaptureSummary } from './capture/CaptureInfo.js';
import type { CaptureWarning } from './capture/Frame.js';
import { readCaptures } from './capture/mergeCaptures.js';
import type { CaptureSource, ReadCaptureOptions } from './capture/readCapture.js';
import { PacketDecoder, type DecoderOptions } from './decode/PacketDecoder.js';
import { createFtpAnalyzer, CredentialsBySession, mergeFtpReports, type FtpAnalyzerOptions } from './ftp/FtpAnalyzer.js';
import type { ControlConnectionFacts, FtpReport, FtpSession } from './ftp/model.js';
import { connectionDuration, connectionEndTime, controlConnectionFacts, sessionEndAfterTcp } from './ftp/tcpFacts.js';
import { TcpStage, type TcpStageOptions } from './tcp/TcpStage.js';
import type { TcpConnection } from './tcp/TcpModel.js';
import { ftpStreamRoles } from './stats/ftpStreams.js';
import type { Statistics } from './stats/model.js';
import { StatsCollector, type SessionInput } from './stats/StatsCollector.js';

/** Version of the JSON report's shape; raised when a key changes meaning or goes away. */
export const REPORT_SCHEMA_VERSION = 1;

/** What the report says about each capture file it was built from. */
export interface CaptureFacts {
  /** The name the user gave ('-' for standard input). */
  name: string;
  format: CaptureSummary['format'];
  gzip: boolean;
  frames: number;
  /** Damage found while reading (cut-off records, impossible lengths), with the file's own frame numbers. */
  warnings: CaptureWarning[];
  /**
   * When several captures were merged into one trace: the trace's numbers of this file's first
   * and last frame (absent when the file has no frames, or when it was read alone).
   */
  firstFrame?: number;
  lastFrame?: number;
}

/** The report model every renderer reads: plain data, JSON as is. */
export interface Report extends FtpReport {
  schemaVersion: number;
  captures: CaptureFacts[];
  /** Packet lengths, TCP conversations, per-connection figures (stats/model.ts) of the whole trace; absent from `analyzeSeparately`'s report. */
  statistics?: Statistics;
}

export interface AnalyzeOptions {
  ftp?: FtpAnalyzerOptions;
  tcp?: Omit<TcpStageOptions, 'consumers' | 'onConnection'>;
  decoder?: DecoderOptions;
  capture?: ReadCaptureOptions;
  /** Collect the statistics (default true); `extract` does without: they grow with the connections. */
  statistics?: boolean;
  /** Each TCP connection's summary as the TCP stage hands it on (after the FTP stage and the statistics had it). */
  onConnection?: (connection: TcpConnection) => void;
}

/**
 * Reads a capture through every stage and returns its report. Several captures are read as one
 * trace, merged by time as mergecap merges them (capture/mergeCaptures.ts): frame numbers are
 * those of mergecap's output, and a session split over several files is one session.
 */
export async function analyze(source: CaptureSource | readonly CaptureSource[], options: AnalyzeOptions = {}): Promise<Report> {
  const sources: readonly CaptureSource[] = Array.isArray(source) ? source : [source as CaptureSource];
  const stats = options.statistics === false ? undefined : new StatsCollector();
  // Sessions not kept: the statistics still need a little of each (its streams, duration and transfers).
  const handed: HandedSession[] | undefined = stats && options.ftp?.keepSessions === false ? [] : undefined;
  const onSession = options.ftp?.onSession;
  const ftp = createFtpAnalyzer(handed === undefined ? options.ftp : {
    ...options.ftp,
    onSession: (s, context) => {
      handed.push(sessionInput(s));
      onSession?.(s, context);
    },
  });
  const tcp = new TcpStage({
    // The reader keeps each chunk's bytes until its onChunkEnd (below): the TCP stage may hold
    // views of payloads until then instead of copying them.
    frameData: 'chunk',
    ...options.tcp,
    consumers: ftp.factory,
    onConnection: (c) => {
      ftp.onConnection(c);
      stats?.connection(c);
      options.onConnection?.(c);
    },
  });
  const decoder = new PacketDecoder(options.decoder);
  const extractSink = options.ftp?.extract?.sink;
  const ranges = sources.map(() => ({ first: 0, last: 0 }));
  const several = sources.length > 1;
  const summaries = await readCaptures(
    sources,
    (frame) => {
      if (several) {
        const range = ranges[frame.capture!]!;
        if (range.first === 0) range.first = frame.no;
        range.last = frame.no;
      }
      const packet = decoder.decode(frame);
      ftp.onPacket(packet);
      const view = tcp.process(packet);
      // acks_frame of control-connection ACKs: one ACK covering both 150 and 226 (lab question 13).
      // With `plots`, also each data connection's time-sequence graph points.
      if (view) ftp.onSegment(frame.no, view, packet);
      stats?.frame(frame, view);
    },
    {
      ...options.capture,
      onChunkEnd: () => {
        tcp.chunkEnd();
        // While extracting, the reader waits for the file writers between chunks (bounded memory).
        return extractSink ? bothChunkEnds(extractSink.onChunkEnd(), options.capture?.onChunkEnd) : options.capture?.onChunkEnd?.();
      },
    },
  );
  // The TCP stage hands its last connection summaries to the FTP stage as it finishes.
  tcp.finish();
  await ftp.settled();
  const report = ftp.finish();
  // Sessions not kept that wait for their extracted files are handed on once those are written:
  // every file's input is ended first (one whose data connection never ended would be waited for
  // until the caller finished the sink).
  await extractSink?.endInputs();
  await ftp.handed();
  const captures = sources.map((s, i) => {
    const facts = captureFacts(s, summaries[i]!);
    if (several && ranges[i]!.first > 0) Object.assign(facts, { firstFrame: ranges[i]!.first, lastFrame: ranges[i]!.last });
    return facts;
  });
  if (!stats) return { schemaVersion: REPORT_SCHEMA_VERSION, captures, ...report };
  const sessions = handed ? handed.sort((a, b) => a.id - b.id).map((h) => withTcpFigures(h, stats)) : report.sessions;
  const roles = ftpStreamRoles({ sessions, orphans: report.orphans });
  const statistics = stats.finish(roles.classify, sessions, roles.dataStreams);
  const setAside = tcp.openDropped;
  if (setAside.count > 0) statistics.connectionsSetAside = setAside;
  return { schemaVersion: REPORT_SCHEMA_VERSION, captures, ...report, statistics };
}

/** A session's SessionInput as handed on, with what `withTcpFigures` needs if its TCP facts had not come yet. */
interface HandedSession extends SessionInput {
  start: { time: string };
  end: { frame: number; time: string };
  tcpKnown: boolean;
}

/** What the statistics read of a session (StatsCollector's SessionInput), copied so the session can go. */
function sessionInput(s: FtpSession): HandedSession {
  return {
    id: s.id,
    controlStream: s.controlStream,
    start: { time: s.start.time },
    end: { frame: s.end.frame, time: s.end.time },
    tcpKnown: s.tcp !== null,
    duration: s.duration,
    transfers: s.transfers.map((t) => ({
      id: t.id,
      command: t.command,
      arg: t.arg,
      bytes: t.bytes,
      status: t.status,
      connection: t.connection ? { stream: t.connection.stream, duration: t.connection.duration, throughput: t.connection.throughput } : null,
    })),
  };
}

/**
 * A session handed on before the TCP stage's summaries of its connections came (released on
 * 'close'): its end and duration, and its data connections' durations, from the summaries the
 * statistics kept — as the FTP stage would have set them (applyTcpFacts, DataConnectionLinker).
 */
function withTcpFigures(h: HandedSession, stats: StatsCollector): SessionInput {
  let duration = h.duration;
  if (!h.tcpKnown) {
    const c = stats.figures(h.controlStream);
    const later = c && sessionEndAfterTcp(h.start, h.end, c.lastFrame, connectionEndTime(c.startTsSec, c.startTsNsec, c.durationNs));
    if (later?.duration !== undefined) duration = later.duration;
  }
  const transfers = h.transfers.map((t) => {
    const conn = t.connection;
    if (conn === null || conn.duration !== null) return t;
    const c = stats.figures(conn.stream);
    return c === undefined ? t : { ...t, connection: { ...conn, duration: connectionDuration(c.durationNs) } };
  });
  return { id: h.id, controlStream: h.controlStream, duration, transfers };
}

/** The file writers' wait and the caller's own chunk hook, one after the other. */
async function bothChunkEnds(writers: Promise<void> | undefined, callers: (() => void | Promise<void>) | undefined): Promise<void> {
  await writers;
  await callers?.();
}

/** Several captures as one trace merged by time: the same as `analyze(sources)`. */
export async function analyzeAll(sources: readonly CaptureSource[], options: AnalyzeOptions = {}): Promise<Report> {
  return analyze(sources, options);
}

/**
 * Each capture analysed alone, one after another, and the reports joined (`--separate`): frame
 * numbers are each file's own, sessions are numbered across all and name their capture, and
 * there are no statistics (they would mix unrelated traces).
 */
export async function analyzeSeparately(sources: readonly CaptureSource[], options: AnalyzeOptions = {}): Promise<Report> {
  if (sources.length === 1) return analyze(sources[0]!, options);
  const parts: Array<{ capture: string; report: Report }> = [];
  for (const source of sources) parts.push({ capture: sourceName(source), report: await analyze(source, options) });
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    captures: parts.flatMap((p) => p.report.captures),
    ...mergeFtpReports(parts),
  };
}

/** How `analyzeSessionBySession` runs the pipeline. */
export interface SessionBySessionOptions {
  /** Each capture alone, sessions numbered across them and naming their capture (as `analyzeSeparately`). */
  separately?: boolean;
  /** When a session is over (FtpAnalyzerOptions.releaseOn): 'summary' (default: with its TCP facts) or 'close'. */
  releaseOn?: 'summary' | 'close';
  /** Make the statistics of the trace (default false: they grow with the connections; never with `separately`). */
  statistics?: boolean;
  /** Each session once it is over, numbered (and with `separately` labelled) as the full report numbers it; sessions end in any order. */
  onSession?: FtpAnalyzerOptions['onSession'];
  /** Parse directory listings into the transfers (default false; 'summary': the first entries and counts, FtpAnalyzerOptions.listings). */
  listings?: boolean | 'summary';
  /**
   * With releaseOn 'close': the TCP facts of a session's control connection that came after the
   * session was handed on without them (its `tcp` null), by the session's id as handed on. A
   * session whose facts came in time has them in `tcp` and is not named here.
   */
  onLateTcpFacts?: (sessionId: number, facts: ControlConnectionFacts) => void;
}

/**
 * The pipeline in memory that does not grow with the sessions, for commands that need a little
 * of each (creds, sessions, stats, follow N, the text, JSON and Markdown reports): every session
 * is handed to `onSession` once it is over and then dropped, and listings are parsed only when
 * asked. The report returned has no sessions or credentials; its orphans and unused data-port
 * announcements are there.
 */
export async function analyzeSessionBySession(sources: readonly CaptureSource[], options: AnalyzeOptions, how: SessionBySessionOptions): Promise<Report> {
  const separate = how.separately === true && sources.length > 1;
  // Separate captures make a report without a capture start (mergeFtpReports): its times count
  // from session 1's start, which the sessions handed on after it are told instead.
  let firstStart: string | undefined;
  const onLate = how.onLateTcpFacts;
  // A session is handed on as it is released only without extraction (with it, once its files
  // are written): facts that come between the two would be missed.
  if (onLate !== undefined && options.ftp?.extract !== undefined) throw new Error('onLateTcpFacts cannot be used with extraction');
  const one = async (source: CaptureSource | readonly CaptureSource[], relabel?: (s: FtpSession) => void) => {
    let sessions = 0;
    /** Control stream → id of the session handed on without its TCP facts (per capture: streams restart). */
    const awaiting = new Map<number, number>();
    const report = await analyze(source, {
      ...options,
      onConnection: onLate === undefined ? options.onConnection : (c) => {
        const id = awaiting.get(c.stream);
        if (id !== undefined) {
          awaiting.delete(c.stream);
          onLate(id, controlConnectionFacts(c));
        }
        options.onConnection?.(c);
      },
      // Statistics of separate captures would mix unrelated traces (as analyzeSeparately, none).
      statistics: !separate && how.statistics === true,
      ftp: {
        ...options.ftp,
        keepSessions: false,
        releaseOn: how.releaseOn ?? 'summary',
        listings: how.listings ?? false,
        onSession: (s, context) => {
          sessions++;
          relabel?.(s);
          if (separate) {
            if (s.id === 1) firstStart = s.start.time;
            context = { ...context, captureStart: firstStart };
          }
          if (onLate !== undefined && s.tcp === null) awaiting.set(s.controlStream, s.id);
          how.onSession?.(s, context);
          options.ftp?.onSession?.(s, context);
        },
      },
    });
    return { report, sessions };
  };
  if (!separate) return (await one(sources.length === 1 ? sources[0]! : sources)).report;
  const parts: Array<{ capture: string; report: Report; sessionCount: number }> = [];
  let before = 0;
  for (const source of sources) {
    const capture = sourceName(source);
    const offset = before;
    // As mergeFtpReports numbers sessions: across the captures, each naming its capture.
    const { report, sessions } = await one(source, (s) => {
      s.capture = capture;
      s.id += offset;
    });
    parts.push({ capture, report, sessionCount: sessions });
    before += sessions;
  }
  return { schemaVersion: REPORT_SCHEMA_VERSION, captures: parts.flatMap((p) => p.report.captures), ...mergeFtpReports(parts) };
}

/**
 * The report `ftp-inspect creds` prints, in memory that does not grow with the sessions (see
 * analyzeSessionBySession; released when their connections closed, no TCP sequence analysis or
 * checksums: a credential uses neither). The report has no sessions; its credentials are the
 * full analysis's, in the same order and numbering.
 */
export async function analyzeCredentials(sources: readonly CaptureSource[], options: AnalyzeOptions = {}, separately = false): Promise<Report> {
  const credentials = new CredentialsBySession();
  // No TCP figures are shown, so a connection whose teardown completed need not linger in full
  // for stray segments to count: handed on at once, it frees its session (released when the
  // control connection's summary comes) instead of holding it for the linger time.
  const report = await analyzeSessionBySession(sources, { ...options, tcp: { ...options.tcp, analysis: false, checksums: false, doneLingerNs: 0 } }, {
    separately,
    releaseOn: 'close',
    onSession: (s) => credentials.add(s),
  });
  return { ...report, credentials: credentials.list() };
}

function captureFacts(source: CaptureSource, summary: CaptureSummary): CaptureFacts {
  return { name: sourceName(source), format: summary.format, gzip: summary.gzip, frames: summary.frames, warnings: summary.warnings };
}

function sourceName(source: CaptureSource): string {
  return typeof source === 'string' ? source : 'stream';
}
