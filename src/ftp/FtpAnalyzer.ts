// The FTP stage's entry point: a consumer factory for the TCP stage, a packet hook for DNS
// answers (to name servers), and `finish()`, which hands back the report model once the
// capture is read. Which connections are FTP is decided here: the control port (21 and any
// extra ones), implicit FTPS on 990 (recorded as encrypted, not parsed), and — unless turned
// off — content detection on every other port.

import type { Packet } from '../decode/Packet.js';
import type { ConnectionStart, StreamConsumer, StreamConsumerFactory } from '../tcp/StreamEvents.js';
import type { ControlChannelParserOptions } from './ControlChannelParser.js';
import { DnsNameBook } from './DnsNameBook.js';
import { FtpContentProbe } from './FtpContentProbe.js';
import { FtpControlConsumer } from './FtpControlConsumer.js';
import { FtpSessionBuilder } from './FtpSessionBuilder.js';
import type { ExpectationLimits } from './DataChannelExpectations.js';
import { DataConnectionLinker, type DataExtraction } from './DataConnectionLinker.js';
import type { SessionTransfers } from './TransferBuilder.js';
import type {
  ControlConnectionFacts, ControlConnectionSummary, DataConnectionFacts, DetectionReason, FtpCredential, FtpReport, FtpSession, FtpTransfer, SegmentHeader, UnusedExpectation,
} from './model.js';
import { redactReport } from './redact.js';
import type { ListingsOption } from './ListingParser.js';
import { SeqPlotCollector, type PlotSegmentView } from './SeqPlotCollector.js';
import { controlConnectionFacts, sessionEndAfterTcp, tcpFlagNames } from './tcpFacts.js';
import { epochText } from './time.js';
import { SlotMap } from '../util/SlotMap.js';

export interface FtpAnalyzerOptions {
  /** TCP ports of FTP control connections (default [21]); `--ftp-port` adds to these. */
  ports?: number[];
  /** Ports of implicit FTPS (default [990]): reported as encrypted, never parsed. */
  implicitTlsPorts?: number[];
  /** Look for FTP on every other port by content (default true). */
  contentDetection?: boolean;
  /** Mask every password in the report (default false). */
  redact?: boolean;
  /** Limits of the control-channel parser (line length, reply lines). */
  parser?: ControlChannelParserOptions;
  /** Write every transfer's bytes to files (decoded: MODE Z/B/C, TYPE A/E as asked). */
  extract?: DataExtraction;
  /** Collect each data connection's time-sequence graph points (`DataConnectionFacts.plot`; default false). */
  plots?: boolean;
  /**
   * Data connections announced (PORT/PASV/EPRT/EPSV…) and not yet seen, kept per session
   * (default 16) and over all sessions (default 4096); the oldest beyond that is reported as
   * expired in `unusedExpectations`.
   */
  expectations?: ExpectationLimits;
  /**
   * false: each session is finished once it is over — its control connection's TCP summary
   * came (the connection closed and stopped lingering, or the capture ended) and so did its
   * data connections' —, handed to `onSession` and dropped, so memory does not grow with the
   * number of sessions (`ftp-inspect extract`). Its number is then the order its control
   * connection was seen in (the report's order too, for one capture), no later connection is
   * tied to it, and `finish()` returns no sessions or credentials (orphans and unused
   * expectations are still listed). Default true: everything is kept for the report.
   */
  keepSessions?: boolean;
  /**
   * With `keepSessions: false`: each session once it is finished (masked with `redact`), and the
   * capture's start as the report will give it (`FtpReport.captureStart`: the first frame with a
   * time; undefined while none had one).
   */
  onSession?: (session: FtpSession, context: { captureStart: string | undefined }) => void;
  /**
   * With `keepSessions: false`, when a session is over: 'summary' (default, as above) or
   * 'close': once its control and data connections closed (FIN or RST both ways), without
   * waiting for the TCP stage to stop lingering over them — far fewer sessions held at once,
   * but the session handed on has no TCP handshake and teardown facts (session.tcp, the data
   * connections' handshake, teardown and duration). Extraction is the same either way.
   */
  releaseOn?: 'summary' | 'close';
  /**
   * Parse directory listings into FtpTransfer.listing (default true; the listing's file is
   * extracted either way); 'summary': the first SUMMARY_ENTRIES entries, the others only counted
   * (FtpListing.entriesNotKept, entryTypes), for reports that show no more.
   */
  listings?: ListingsOption;
}

export interface FinishOptions {
  /**
   * TCP facts (handshake, RTT, teardown) of a control connection, by Wireshark's tcp.stream
   * index. Not needed when the TCP stage's summaries went to `onConnection`.
   */
  tcpFacts?: (stream: number) => ControlConnectionFacts | undefined;
}

export interface FtpAnalyzer {
  /** Give this to the TCP stage: it returns a consumer for FTP control connections, undefined for others. */
  factory: StreamConsumerFactory;
  /** Call for every decoded packet, in frame order (DNS answers name servers; the first packet's time is the capture start). */
  onPacket(packet: Packet): void;
  /**
   * Give this the TCP stage's connection summaries (TcpStage's `onConnection`): those of FTP
   * control connections become the sessions' handshake and teardown facts; others are ignored.
   */
  onConnection(summary: ControlConnectionSummary): void;
  /**
   * Resolves once the decoders feeding listing parsers have handed on every byte (MODE Z
   * inflates in zlib's thread pool). Await it after the TCP stage finished, before finish().
   */
  settled(): Promise<void>;
  /** Ends every session still open and returns the report. Call once, after the capture was read. */
  finish(options?: FinishOptions): FtpReport;
  /**
   * Sessions not kept, with extraction: a session is handed to `onSession` only once its files
   * were written (a transfer names its file then). Resolves when every session was handed on;
   * await it after finish().
   */
  handed(): Promise<void>;
  /**
   * The TCP stage's view of each segment (after `process`): on control connections, which
   * frame each client ACK acknowledges (tcp.analysis.acks_frame), to explain one ACK covering
   * both the 150 and the 226.
   */
  onSegment(frame: number, view: SegmentView, packet?: Packet): void;
}

/** The TCP stage's view of a segment, as far as the FTP stage reads it (TcpSegmentView fits). */
export type SegmentView = PlotSegmentView & { acksFrame: number };

interface Entry {
  consumer: FtpControlConsumer;
  builder: FtpSessionBuilder;
  transfers: SessionTransfers;
  /** With keepSessions false: the control connection's TCP summary came. */
  controlDone?: boolean;
}

/** Client ACK frames on a control connection and the frame each acknowledges (bounded). */
const MAX_CONTROL_ACKS = 100_000;

export function createFtpAnalyzer(options: FtpAnalyzerOptions = {}): FtpAnalyzer {
  const ports = new Set(options.ports ?? [21]);
  const tlsPorts = new Set(options.implicitTlsPorts ?? [990]);
  const contentDetection = options.contentDetection ?? true;
  const parserOptions = options.parser ?? {};
  const names = new DnsNameBook();
  const keep = options.keepSessions ?? true;
  /** Every session (keepSessions), or the sessions not finished yet (by control stream). */
  const entries: Entry[] = [];
  // Entries of sessions and of control connections come and go by the thousand: SlotMaps (see
  // util/SlotMap.ts), so that a finished session is not kept alive by a Map's old hash tables.
  const live = new SlotMap<number, Entry>();
  /** Every session not finished yet, by its ordinal (a stream number taken again by a new connection leaves its old one here only). */
  const unfinished = new SlotMap<number, Entry>();
  const headers = new SegmentHeaderWatch();
  const controlStreams = new Set<number>();
  const summaries = new SlotMap<number, ControlConnectionFacts>();
  let captureStart: string | undefined;
  let finished = false;
  const linker = new DataConnectionLinker(options.extract, options.expectations, {
    releasing: !keep,
    releaseOn: options.releaseOn ?? 'summary',
    listings: options.listings ?? true,
    dataDone: keep ? undefined : (owner) => {
      const e = unfinished.get(owner.ordinal);
      if (e?.controlDone && owner.openConnections === 0) release(e);
    },
  });
  const controlAcks = new SlotMap<number, Array<[number, number]>>();
  const plots = options.plots ? new SeqPlotCollector() : undefined;
  /** With `plots`: a data connection's sequence plot goes into its facts. */
  const withPlot = (c: DataConnectionFacts | null): void => {
    const plot = c && plots ? plots.plotOf(c) : undefined;
    if (c && plot !== undefined) c.plot = plot;
  };

  const open = (start: ConnectionStart, detectedBy: DetectionReason, swap: boolean): FtpControlConsumer => {
    // Swapped: the side the TCP stage called the client is the FTP server.
    const roles = swap ? { ...start, client: start.server, server: start.client } : start;
    const implicitTls = detectedBy === 'implicit-tls-port';
    const transfers = linker.newSession();
    const builder = new FtpSessionBuilder({
      start: roles, detectedBy, implicitTls, segmentHeader: (frame, use) => headers.want(frame, use), observer: transfers,
    });
    transfers.attach(builder.session);
    const onClosed = !keep && options.releaseOn === 'close'
      ? () => {
        const e = entry;
        e.controlDone = true;
        if (e.transfers.openConnections === 0) release(e);
      }
      : undefined;
    const consumer = new FtpControlConsumer(builder, parserOptions, { swapDirections: swap, startEncrypted: implicitTls, onClosed, onEnd: () => transfers.controlEnded() });
    const entry: Entry = { consumer, builder, transfers };
    if (keep) entries.push(entry);
    else {
      live.set(start.stream, entry);
      unfinished.set(transfers.ordinal, entry);
    }
    controlStreams.add(start.stream);
    return consumer;
  };

  /** Sessions released but waiting for their extracted files before they are handed on. */
  let waitingForFiles = 0;
  let handedWaiters: Array<() => void> = [];
  /** keepSessions false: the session is over; finish it, hand it on and forget it. */
  const release = (e: Entry): void => {
    const s = e.builder.session;
    if (!unfinished.delete(e.transfers.ordinal)) return;
    if (live.get(s.controlStream) === e) live.delete(s.controlStream);
    e.consumer.closed();
    linker.release(e.transfers);
    s.id = e.transfers.ordinal;
    nameServer(s);
    const facts = summaries.get(s.controlStream);
    if (facts) applyTcpFacts(s, facts);
    relativeNumbers(s);
    explainAcks(s, controlAcks.get(s.controlStream) ?? []);
    if (plots) {
      // Its data connections are closed: their plots are whole but for stray segments after
      // that (the whole report would draw a final ACK that came after the session ended).
      for (const t of s.transfers) {
        if (!t.connection) continue;
        withPlot(t.connection);
        plots.forget(t.connection.stream);
      }
    }
    if (!live.has(s.controlStream)) {
      controlStreams.delete(s.controlStream);
      summaries.delete(s.controlStream);
      controlAcks.delete(s.controlStream);
    }
    const onSession = options.onSession;
    if (!onSession) return;
    const hand = (): void => {
      const report: FtpReport = { sessions: [s], credentials: [], redacted: false };
      onSession(options.redact ? redactReport(report).sessions[0]! : s, { captureStart });
    };
    // With extraction, its transfers learn their files' names, hashes and missing bytes once the
    // files are written: the session waits for that (its data connections are closed already).
    const files = e.transfers.filesWritten();
    if (files === undefined) return hand();
    waitingForFiles++;
    void files.then(() => {
      hand();
      if (--waitingForFiles === 0) {
        const waiters = handedWaiters;
        handedWaiters = [];
        for (const w of waiters) w();
      }
    });
  };

  const nameServer = (s: FtpSession): void => {
    const named = names.nameBefore(s.server.ip, s.start.frame);
    if (named) {
      s.serverName = named.name;
      s.serverNameSource = { frame: named.frame, query: named.query, type: named.type };
    }
  };

  const factory: StreamConsumerFactory = (start: ConnectionStart): StreamConsumer | undefined => {
    if (finished) return undefined;
    if (ports.has(start.server.port)) return open(start, 'port', false);
    if (tlsPorts.has(start.server.port)) return open(start, 'implicit-tls-port', false);
    // The TCP stage may guess roles the wrong way when the capture starts mid-connection.
    if (start.rolesFrom === 'heuristic' && ports.has(start.client.port)) return open(start, 'port', true);
    if (start.rolesFrom === 'heuristic' && tlsPorts.has(start.client.port)) return open(start, 'implicit-tls-port', true);
    // A connection some session announced (or that looks like its data) is data, not a new control channel.
    const data = linker.claim(start);
    if (data) {
      plots?.watch(start.stream, start.tsSec, start.tsNsec);
      return data;
    }
    if (!contentDetection) return undefined;
    return new FtpContentProbe(() => open(start, 'content', false));
  };

  return {
    factory,
    onPacket(packet: Packet): void {
      if (captureStart === undefined && !packet.frame.timestampMissing) captureStart = epochText(packet.frame.tsSec, packet.frame.tsNsec);
      if (packet.dns) names.add(packet.dns, packet.frame.no);
      if (packet.tcp) headers.saw(packet);
    },
    onConnection(summary: ControlConnectionSummary): void {
      if (controlStreams.has(summary.stream)) {
        summaries.set(summary.stream, controlConnectionFacts(summary));
        const e = keep ? undefined : live.get(summary.stream);
        if (e) {
          e.controlDone = true;
          if (e.transfers.openConnections === 0) release(e);
        }
      } else linker.onSummary(summary);
    },
    onSegment(frame: number, view: SegmentView, packet?: Packet): void {
      if (plots && packet) plots.segment(frame, view, packet);
      if (view.direction !== 0 || view.acksFrame === 0 || !controlStreams.has(view.stream)) return;
      const list = controlAcks.get(view.stream) ?? [];
      if (list.length < MAX_CONTROL_ACKS) list.push([frame, view.acksFrame]);
      controlAcks.set(view.stream, list);
    },
    settled(): Promise<void> {
      return linker.settled();
    },
    handed(): Promise<void> {
      return waitingForFiles === 0 ? Promise.resolve() : new Promise((resolve) => handedWaiters.push(resolve));
    },
    finish(finishOptions: FinishOptions = {}): FtpReport {
      finished = true;
      if (!keep) {
        // Sessions still open at the end of the capture, in the order they were seen.
        for (const e of [...unfinished.values()].sort((a, b) => a.transfers.ordinal - b.transfers.ordinal)) release(e);
        const { orphans, unusedExpectations } = linker.finish(() => 0);
        for (const o of orphans) withPlot(o.connection);
        const report: FtpReport = { sessions: [], credentials: [], redacted: options.redact === true, orphans, unusedExpectations };
        if (captureStart !== undefined) report.captureStart = captureStart;
        return report;
      }
      const sessions: FtpSession[] = [];
      for (const { consumer, builder } of entries) {
        consumer.closed();
        sessions.push(builder.session);
      }
      sessions.sort((a, b) => a.start.frame - b.start.frame || a.controlStream - b.controlStream);
      sessions.forEach((s, i) => {
        s.id = i + 1;
        nameServer(s);
        const facts = finishOptions.tcpFacts?.(s.controlStream) ?? summaries.get(s.controlStream);
        if (facts) applyTcpFacts(s, facts);
        relativeNumbers(s);
      });
      const ids = new Map(entries.map((e) => [e.transfers, e.builder.session] as const));
      const { orphans, unusedExpectations } = linker.finish((t) => ids.get(t)?.id ?? 0);
      for (const s of sessions) for (const t of s.transfers) withPlot(t.connection);
      for (const o of orphans) withPlot(o.connection);
      for (const s of sessions) explainAcks(s, controlAcks.get(s.controlStream) ?? []);
      const report: FtpReport = { sessions, credentials: credentialsOf(sessions), redacted: false, orphans, unusedExpectations };
      if (captureStart !== undefined) report.captureStart = captureStart;
      return options.redact ? redactReport(report) : report;
    },
  };
}

/** Every login attempt that put a user name or password on the wire, across sessions. */
export function credentialsOf(sessions: readonly FtpSession[]): FtpCredential[] {
  const out: FtpCredential[] = [];
  for (const s of sessions) {
    for (const l of s.logins) {
      if (l.user === null && l.password === null && l.account === null) continue;
      const frames = [...l.userFrames, ...l.passwordFrames, ...l.accountFrames];
      if (l.replyFrame !== null) frames.push(l.replyFrame);
      const credential: FtpCredential = {
        session: s.id,
        user: l.user,
        password: l.password,
        outcome: l.outcome,
        frames: [...new Set(frames)].sort((a, b) => a - b),
        server: { ...s.server },
        serverName: s.serverName,
        anonymous: l.anonymous,
      };
      if (l.account !== null) credential.account = l.account;
      if (l.replyCode !== null) credential.replyCode = l.replyCode;
      if (l.replyFrame !== null) credential.replyFrame = l.replyFrame;
      if (s.capture !== undefined) credential.capture = s.capture;
      out.push(credential);
    }
  }
  return out;
}

/**
 * The credentials of sessions handed over one by one as they end (in any order), listed at the
 * end in the order of the sessions' numbers, as credentialsOf lists a whole report's.
 */
export class CredentialsBySession {
  readonly #found: Array<{ id: number; credentials: FtpCredential[] }> = [];

  add(s: FtpSession): void {
    const credentials = credentialsOf([s]);
    if (credentials.length > 0) this.#found.push({ id: s.id, credentials });
  }

  list(): FtpCredential[] {
    return this.#found.sort((a, b) => a.id - b.id).flatMap((f) => f.credentials);
  }
}

/**
 * True when a report shows a credential worth an auditor's attention: a login that is not
 * anonymous and put a user name or password on the wire in cleartext (`ftp-inspect creds`
 * exits 1 then).
 */
export function hasCleartextCredentials(report: FtpReport): boolean {
  return report.credentials.some((c) => !c.anonymous);
}

/**
 * One report from several captures (`ftp-inspect creds a.pcap b.pcap`): sessions are numbered
 * again across all of them and each session and credential names its capture.
 */
export function mergeFtpReports(parts: ReadonlyArray<{ capture: string; report: FtpReport; sessionCount?: number }>): FtpReport {
  const sessions: FtpSession[] = [];
  const unusedExpectations: UnusedExpectation[] = [];
  let before = 0;
  for (const { capture, report, sessionCount } of parts) {
    for (const s of report.sessions) sessions.push({ ...s, capture, id: sessions.length + 1 });
    // Their session numbers follow the sessions' (a report whose sessions were not kept says how many it had).
    for (const u of report.unusedExpectations ?? []) unusedExpectations.push({ ...u, session: before + u.session });
    before += sessionCount ?? report.sessions.length;
  }
  const merged: FtpReport = {
    sessions,
    credentials: credentialsOf(sessions),
    redacted: parts.length > 0 && parts.every((p) => p.report.redacted),
    orphans: parts.flatMap((p) => p.report.orphans ?? []),
    unusedExpectations,
  };
  const first = parts[0]?.report.captureStart;
  if (first !== undefined && parts.length === 1) merged.captureStart = first;
  return merged;
}

/**
 * TCP headers of the few segments the report names (QUIT and its 221), taken from the decoded
 * packets. The parser learns that a frame carried QUIT only after the TCP stage delivered it,
 * which may be before or after `onPacket` saw that frame, so recent headers are kept (a small
 * ring) and frames asked for in advance are remembered. The ring holds the raw numbers in typed
 * arrays: this runs for every TCP packet, and a header object (with its flag names) is only
 * made for the rare frame someone asks for.
 */
export class SegmentHeaderWatch {
  static readonly RING = 256;
  readonly #frame = new Float64Array(SegmentHeaderWatch.RING).fill(-1);
  readonly #flags = new Uint16Array(SegmentHeaderWatch.RING);
  readonly #seq = new Uint32Array(SegmentHeaderWatch.RING);
  readonly #ack = new Uint32Array(SegmentHeaderWatch.RING);
  readonly #len = new Float64Array(SegmentHeaderWatch.RING);
  #next = 0;
  /** The highest frame seen: frames come in increasing order, so an older one not in the ring never comes. */
  #last = -1;
  /** Callbacks by frame (they hold their sessions: a SlotMap, see util/SlotMap.ts). */
  readonly #wanted = new SlotMap<number, Array<(h: SegmentHeader) => void>>();

  /** @internal Frames asked for and not seen yet. */
  get waiting(): number {
    return this.#wanted.size;
  }

  saw(packet: Packet): void {
    const tcp = packet.tcp;
    if (!tcp) return;
    const frame = packet.frame.no;
    const i = this.#next;
    this.#next = i + 1 === SegmentHeaderWatch.RING ? 0 : i + 1;
    this.#frame[i] = frame;
    this.#flags[i] = tcp.flags;
    this.#seq[i] = tcp.seq;
    this.#ack[i] = tcp.ack;
    this.#len[i] = tcp.length;
    if (frame > this.#last) this.#last = frame;
    if (this.#wanted.size === 0) return;
    const waiting = this.#wanted.get(frame);
    if (waiting) {
      this.#wanted.delete(frame);
      for (const use of waiting) use(this.#header(i));
    }
  }

  want(frame: number, use: (h: SegmentHeader) => void): void {
    // Newest first: a frame number is in the ring at most once.
    for (let k = 1; k <= SegmentHeaderWatch.RING; k++) {
      const i = (this.#next - k + SegmentHeaderWatch.RING) % SegmentHeaderWatch.RING;
      if (this.#frame[i] === frame) return use(this.#header(i));
    }
    // Already past and out of the ring (delivered late: bytes held behind a gap while more than
    // RING segments went by): it will not come again, and a wish kept for it would keep its
    // session alive to the end. The report then lacks that segment's header.
    if (frame <= this.#last) return;
    const list = this.#wanted.get(frame) ?? [];
    list.push(use);
    this.#wanted.set(frame, list);
  }

  #header(i: number): SegmentHeader {
    return { frame: this.#frame[i]!, flags: tcpFlagNames(this.#flags[i]!), seqRaw: this.#seq[i]!, ackRaw: this.#ack[i]!, len: this.#len[i]! };
  }
}

/** Relative seq/ack of the QUIT and 221 segments, from the handshake's initial sequence numbers. */
function relativeNumbers(s: FtpSession): void {
  const hs = s.tcp?.handshake;
  const clientIsn = hs?.syn?.seqRaw;
  const serverIsn = hs?.synAck?.seqRaw;
  if (clientIsn === undefined || serverIsn === undefined || !s.quit) return;
  const fill = (h: SegmentHeader | undefined, ownIsn: number, peerIsn: number) => {
    if (!h) return;
    h.seq = (h.seqRaw - ownIsn) >>> 0;
    if (h.flags.includes('ACK')) h.ack = (h.ackRaw - peerIsn) >>> 0;
  };
  fill(s.quit.commandSegment, clientIsn, serverIsn);
  fill(s.quit.replySegment, serverIsn, clientIsn);
}

function applyTcpFacts(s: FtpSession, facts: ControlConnectionFacts): void {
  s.tcp = facts;
  const later = sessionEndAfterTcp(s.start, s.end, facts.lastFrame, facts.endTime);
  if (later === undefined) return;
  s.end = later.end;
  if (later.duration !== undefined) s.duration = later.duration;
}

/**
 * Why one client ACK can acknowledge both the 150 and the 226 (lab question 13): TCP
 * acknowledgements are cumulative (RFC 9293 §3.4) and receivers delay ACKs (RFC 1122
 * §4.2.3.2, RFC 9293 §3.8.6.3), so when the server sends the 226 before the client has
 * acknowledged the 150 — a short transfer — the client's next ACK covers both. Read from the
 * TCP stage's tcp.analysis.acks_frame of the client's segments. Exported for its test.
 * @internal
 */
export function explainAcks(s: FtpSession, acks: ReadonlyArray<[number, number]>): void {
  if (s.transfers.length === 0 || acks.length === 0) return;
  // The first ACK that acknowledges frame x or a later one is the first whose running highest
  // acknowledged frame reaches x, and that running highest only grows: found by halving, not
  // by a walk over every ACK of the control connection for every transfer (a session of 10,000
  // transfers spent 4 of its 5.5 s there).
  const highest = new Float64Array(acks.length);
  let top = -Infinity;
  for (let i = 0; i < acks.length; i++) highest[i] = top = Math.max(top, acks[i]![1]);
  const firstReaching = (frame: number): [number, number] | undefined => {
    let lo = 0;
    let hi = acks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (highest[mid]! >= frame) hi = mid;
      else lo = mid + 1;
    }
    return acks[lo];
  };
  for (const t of s.transfers) {
    const p = t.preliminary;
    const f = t.final;
    if (!p || !f || f.frame <= p.frame) continue;
    // The first client segment that acknowledges the 150 (or anything after it).
    const first = firstReaching(p.frame);
    if (!first || first[1] < f.frame) continue;
    t.ackExplanation =
      `frame ${first[0]} acknowledges both the ${p.code} (frame ${p.frame}) and the ${f.code} (frame ${f.frame}): ` +
      `the client had not acknowledged the ${p.code} yet when the ${f.code} arrived, and a TCP ACK is cumulative ` +
      `(RFC 9293 §3.4) — it acknowledges every byte up to its number, so one delayed ACK (RFC 1122 §4.2.3.2) covers both replies`;
    keepKeyOrder(t);
  }
}

/**
 * The JSON of a transfer lists `ackExplanation` before `extracted` whatever came first: a file
 * is named once it is written, which may be before or after its session is judged, and the
 * report must not depend on that timing.
 */
function keepKeyOrder(t: FtpTransfer): void {
  const extracted = t.extracted;
  if (extracted === undefined) return;
  delete t.extracted;
  t.extracted = extracted;
}
