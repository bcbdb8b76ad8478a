// Finds the FTP data connections among the TCP connections and ties each to its session:
// by an expectation (DataChannelExpectations), else by timing (a connection from port 20, or
// one between the hosts of a session that has a transfer command waiting), else — when it
// still looks like FTP data (port 20) — as an orphan whose control connection is not in the
// capture. Any other TCP connection is left alone. When extracting, each transfer's bytes go
// through the data decoders (MODE, TYPE) into a file of the FileSink.

import type { ExtractedFile, FileSink, TransferInfo } from '../extract/FileSink.js';
import type { ManifestEntry } from '../extract/Manifest.js';
import type { ConnectionStart, Direction, StreamConsumer } from '../tcp/StreamEvents.js';
import { TeeSink, type DataSink } from './data/DataDecoder.js';
import { TransferDecoder, type DataDecodeOptions, type FileStructure, type RepresentationType, type TransferMode } from './data/TransferDecoder.js';
import { DataChannelExpectations, type Expectation, type ExpectationLimits } from './DataChannelExpectations.js';
import { DataConnectionConsumer, DEFAULT_HOLD_BUDGET, DEFAULT_HOLD_LIMIT } from './DataConnectionConsumer.js';
import { ReassemblyBudget } from '../tcp/ReassemblyBudget.js';
import type {
  BindingRule, ControlConnectionSummary, DataChannelAnnouncement, DataConnectionFacts, FtpTransfer, OrphanDataConnection, UnusedExpectation,
} from './model.js';
import { SessionTransfers, representationOf, type BoundConnection } from './TransferBuilder.js';
import type { ListingsOption } from './ListingParser.js';
import { epochText } from './time.js';
import { connectionDuration } from './tcpFacts.js';
import { SlotMap } from '../util/SlotMap.js';

export interface DataExtraction {
  sink: FileSink;
  decode?: DataDecodeOptions;
}

export interface LinkerOptions {
  /**
   * Sessions are handed back with release() once over and then forgotten, with their data
   * connections, files and expectations: nothing is kept for the report at the end (unused
   * expectations are not listed, data connections' TCP summaries not read). Default false.
   */
  releasing?: boolean;
  /**
   * With `releasing`, what ends a data connection for its session: its TCP summary (default;
   * the session gets its handshake and teardown facts) or its close (both directions ended:
   * sooner, so fewer sessions are held, without those facts).
   */
  releaseOn?: 'summary' | 'close';
  /** With `releasing`: a data connection of `owner` is done with (see releaseOn; the session may be over now). */
  dataDone?: (owner: SessionTransfers) => void;
  /** Parse directory listings into FtpTransfer.listing (default true; 'summary': the first entries and counts). */
  listings?: ListingsOption;
}

/** The FTP-DATA port of active mode (RFC 959 §3.2: L-1 of the control port 21). */
const FTP_DATA_PORT = 20;

/**
 * Sessions the timing rule looks at for a connection no announcement names: the newest this
 * many held between the same two hosts (see DataConnectionLinker.claim). An older session still
 * waiting for its data connection behind as many newer ones between the same hosts is not
 * found; the connection is then reported without a transfer.
 */
export const MAX_TIMING_CANDIDATES = 256;

/** The two addresses of a connection or session, in either order, as one key. */
function hostsKey(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

/**
 * Sessions in the order they were made. A removed one leaves undefined in its place until the
 * removed outnumber the rest, then the list is compacted once: splice moved every later entry
 * on each removal (1,382 sessions are held at once on the bench's many), with a write barrier
 * for each. Sessions end roughly in the order they began, so the one removed is near the front,
 * behind at most as many holes as there are sessions held.
 */
class HeldSessions {
  readonly list: Array<SessionTransfers | undefined> = [];
  #removed = 0;

  get size(): number {
    return this.list.length - this.#removed;
  }

  push(s: SessionTransfers): void {
    this.list.push(s);
  }

  remove(s: SessionTransfers): boolean {
    const list = this.list;
    const i = list.indexOf(s);
    if (i < 0) return false;
    list[i] = undefined;
    if (++this.#removed * 2 > list.length) {
      let to = 0;
      for (const held of list) if (held !== undefined) list[to++] = held;
      list.length = to;
      this.#removed = 0;
    }
    return true;
  }
}

export class DataConnectionLinker {
  /** What the data connections together hold before their commands are known (DataConnectionConsumer). */
  readonly #held = new ReassemblyBudget(DEFAULT_HOLD_BUDGET);
  /** Sessions held, in the order they were made. */
  readonly #sessions = new HeldSessions();
  /** The same by the pair of hosts they join (for the timing rule in claim), filed when first needed (#indexNew). */
  readonly #byHosts = new SlotMap<string, HeldSessions>();
  /** Sessions made since the last #indexNew: their addresses are known only once attached. */
  #unindexed: SessionTransfers[] = [];
  readonly #expectations: DataChannelExpectations<SessionTransfers>;
  readonly #unused: Array<{ e: Expectation<SessionTransfers>; reason: UnusedExpectation['reason'] }> = [];
  /**
   * Releasing sessions: their unused expectations, made at once (the session's number is its
   * ordinal, and nothing of the session is kept): expired and refused ones as they happen, and
   * those still pending when the session was released, with their order of announcement.
   */
  readonly #unusedReleased: UnusedExpectation[] = [];
  readonly #pendingAtRelease: Array<{ seq: number; unused: UnusedExpectation }> = [];
  /** Data connections by stream, with their sessions (a SlotMap: they come and go by the thousand, see util/SlotMap.ts). */
  readonly #byStream = new SlotMap<number, { consumer: DataConnectionConsumer; bound?: BoundConnection; session?: SessionTransfers; orphan?: OrphanDataConnection }>();
  readonly #orphans: OrphanDataConnection[] = [];
  readonly #extraction: DataExtraction | undefined;
  readonly #files: Array<{ file: ExtractedFile; target: FtpTransfer | OrphanDataConnection; owner?: SessionTransfers }> = [];
  readonly #releasing: boolean;
  readonly #releaseOnClose: boolean;
  readonly #dataDone: ((owner: SessionTransfers) => void) | undefined;
  readonly #listings: ListingsOption;
  /** Sessions made so far (the next one's ordinal is this plus one). */
  #made = 0;

  constructor(extraction?: DataExtraction, limits: ExpectationLimits = {}, options: LinkerOptions = {}) {
    this.#extraction = extraction;
    this.#releasing = options.releasing === true;
    this.#releaseOnClose = this.#releasing && options.releaseOn === 'close';
    this.#dataDone = options.dataDone;
    this.#listings = options.listings ?? true;
    this.#expectations = new DataChannelExpectations((e) => this.#unusedExpectation(e, 'expired'), limits);
  }

  /** Makes the observer for a new session (attach the session record to it once built). */
  newSession(): SessionTransfers {
    const s = new SessionTransfers({
      register: (owner, a) => this.#expectations.register(owner, a),
      withdraw: (e, reason) => {
        this.#expectations.remove(e);
        this.#unusedExpectation(e, reason);
      },
      sinks: this.#extraction ? { open: (session, t, tap) => this.#openFile(session, t, tap) } : undefined,
      listings: this.#listings,
    }, ++this.#made);
    this.#sessions.push(s);
    this.#unindexed.push(s);
    return s;
  }

  /**
   * With `releasing`: the session is over (its control connection is done and its data
   * connections closed). Judges its transfers as finish() would and forgets it: no later
   * connection is tied to it, its expectations are dropped.
   */
  release(s: SessionTransfers): void {
    s.adoptUnassigned();
    s.finish();
    this.#indexNew();
    if (this.#sessions.remove(s)) {
      const key = hostsKey(s.client.ip, s.server.ip);
      const between = this.#byHosts.get(key)!;
      between.remove(s);
      if (between.size === 0) this.#byHosts.delete(key);
    }
    // Never connected, as far as this session goes (a full analysis would still tie a later
    // connection to it, the one difference of releasing sessions).
    for (const e of this.#expectations.pendingOf(s)) {
      this.#expectations.remove(e);
      this.#pendingAtRelease.push({ seq: e.seq, unused: unusedOf(e.announcement, s.ordinal, 'never-connected') });
    }
  }

  #connectionDone(owner: SessionTransfers): void {
    owner.dataConnectionDone();
    this.#dataDone?.(owner);
  }

  #unusedExpectation(e: Expectation<SessionTransfers>, reason: UnusedExpectation['reason']): void {
    if (this.#releasing) this.#unusedReleased.push(unusedOf(e.announcement, e.owner.ordinal, reason));
    else this.#unused.push({ e, reason });
  }

  /** For the TCP stage's factory: a consumer when the connection is FTP data, else undefined. */
  claim(start: ConnectionStart): StreamConsumer | undefined {
    const match = this.#expectations.claim(start);
    if (match) {
      const passive = match.expectation.listener === 'server';
      // Passive: the FTP server listens (TCP direction 1 unless the roles were guessed the other way).
      const fromFtpServer: Direction = passive !== match.swapped ? 1 : 0;
      return this.#bind(start, match.expectation.owner, match.expectation, match.rule, match.note, fromFtpServer);
    }
    const port20 = start.client.port === FTP_DATA_PORT || start.server.port === FTP_DATA_PORT;
    // Candidates: the sessions between the same hosts whose control connection has started,
    // newest first. The newest one waiting for a connection takes it; an encrypted session's
    // commands cannot be read, so any new connection between its hosts may be its data
    // connection — but only while its control connection is open: after it, a connection
    // between the same hosts is another session's (or nobody's). Failing that, a connection
    // from port 20 goes to the newest candidate.
    //
    // This runs for every connection no announcement claimed (every control connection among
    // them), so it looks only at the sessions between the same two hosts, and at the newest
    // MAX_TIMING_CANDIDATES of those: walking every session held made a capture of 20,000
    // control connections left open (and as many other connections) take 26 s, growing with
    // the square of its size. Sessions are held while open and, in the reports, for the linger
    // time after (1,382 at once on the bench's `many`, between two hosts).
    this.#indexNew();
    let newest: SessionTransfers | undefined;
    let waiting: SessionTransfers | undefined;
    const list = this.#byHosts.get(hostsKey(start.client.ip, start.server.ip))?.list;
    if (list !== undefined) {
      let examined = 0;
      for (let i = list.length - 1; i >= 0 && examined < MAX_TIMING_CANDIDATES; i--) {
        const s = list[i];
        if (s === undefined) continue;
        examined++;
        if (s.session.end.frame < 0) continue;
        newest ??= s;
        if (s.waitingForConnection || (s.session.encrypted && s.controlOpen)) {
          waiting = s;
          break;
        }
      }
    }
    const chosen = waiting ?? (port20 ? newest : undefined);
    if (chosen) {
      const fromFtpServer = this.#ftpServerSide(start, chosen);
      const why = chosen.session.encrypted
        ? `no announcement could be read (the control channel is encrypted); taken as this session's data connection because it joins the same hosts`
        : port20
          ? `no announcement matched; taken as this session's data connection because it comes from port ${FTP_DATA_PORT} between the same hosts`
          : `no announcement matched; taken as this session's data connection because it starts while a transfer command waits, between the same hosts`;
      return this.#bind(start, chosen, undefined, 'timing', why, fromFtpServer);
    }
    if (port20) return this.#orphan(start, `a connection from port ${FTP_DATA_PORT} (FTP-DATA) with no control session in the capture`);
    return undefined;
  }

  /** Files the sessions made since the last call under their pair of hosts (they are attached by now). */
  #indexNew(): void {
    if (this.#unindexed.length === 0) return;
    for (const s of this.#unindexed) {
      const key = hostsKey(s.client.ip, s.server.ip);
      let between = this.#byHosts.get(key);
      if (between === undefined) this.#byHosts.set(key, (between = new HeldSessions()));
      between.push(s);
    }
    this.#unindexed = [];
  }

  /** TCP summaries of data connections: handshake, teardown, duration. */
  onSummary(summary: ControlConnectionSummary): void {
    const entry = this.#byStream.get(summary.stream);
    if (!entry) return;
    const f = entry.consumer.facts;
    const h = summary.handshake;
    f.handshake = { syn: h.syn?.frame ?? null, synAck: h.synAck?.frame ?? null, ack: h.ack?.frame ?? null };
    const t = summary.teardown;
    const rst = [t.client.rst, t.server.rst].filter((x) => x !== undefined).sort((a, b) => a.frame - b.frame)[0];
    f.teardown = {
      reset: rst !== undefined,
      rstFrame: rst?.frame ?? null,
      finFrames: [t.client.fin?.frame, t.server.fin?.frame].filter((x): x is number => x !== undefined).sort((a, b) => a - b),
    };
    f.lastFrame = Math.max(f.lastFrame ?? 0, summary.lastFrame);
    f.duration = connectionDuration(summary.durationNs);
    if (this.#releasing) {
      // The connection is done with: its session may be over now — judged with the teardown
      // facts above (a reset data connection is an aborted transfer).
      this.#byStream.delete(summary.stream);
      if (entry.session) this.#connectionDone(entry.session);
    }
  }

  /** Ends the linking: judges every transfer and returns what belongs to no session. */
  finish(sessionId: (s: SessionTransfers) => number): { orphans: OrphanDataConnection[]; unusedExpectations: UnusedExpectation[] } {
    for (const s of this.#sessions.list) {
      if (s === undefined) continue;
      s.adoptUnassigned();
      s.finish();
    }
    // Session numbers are given at the end; the files opened earlier learn theirs now.
    for (const f of this.#files) if (f.owner) f.file.info.session = sessionId(f.owner);
    for (const e of this.#expectations.drain()) this.#unusedExpectation(e, 'never-connected');
    // As a full analysis lists them: expired and refused ones as they happened, then the never
    // connected ones in the order they were announced.
    const unusedExpectations = this.#releasing
      ? [...this.#unusedReleased, ...this.#pendingAtRelease.sort((a, b) => a.seq - b.seq).map((p) => p.unused)]
      : this.#unused.map(({ e, reason }) => unusedOf(e.announcement, sessionId(e.owner), reason));
    for (const o of this.#orphans) o.connection = this.#byStream.get(o.connection.stream)?.consumer.refresh() ?? o.connection;
    return { orphans: this.#orphans, unusedExpectations };
  }

  /** Resolves once the listings' decoders have handed on everything (call after the TCP stage finished, before finish()). */
  async settled(): Promise<void> {
    for (const s of this.#sessions.list) if (s !== undefined) await s.settled();
  }

  /** Promises for every extracted file's manifest entry (resolved when the sink closes). */
  get extracted(): Array<Promise<ManifestEntry>> {
    return this.#files.map((f) => f.file.closed);
  }

  #bind(
    start: ConnectionStart, owner: SessionTransfers, expectation: Expectation<SessionTransfers> | undefined,
    rule: BindingRule, note: string | null, fromFtpServer: Direction,
  ): StreamConsumer {
    const facts = newFacts(start, fromFtpServer, rule, expectation?.announcement.frame ?? null, note);
    let bound: BoundConnection | undefined;
    const consumer = new DataConnectionConsumer(start, facts, {
      overflow: (c) => {
        // Too much arrived before any command: report it without one rather than hold more.
        if (bound && bound.transfer === undefined) owner.adopt(bound, 'more data arrived than is held while waiting for a transfer command');
        else if (c.dataDirection === undefined) c.route(c.firstByteDirection ?? 1, undefined);
      },
      closed: (c) => {
        if (bound && bound.transfer === undefined && owner.session.encrypted) owner.adopt(bound, 'the control channel is encrypted: the command that used this connection cannot be read');
        if (this.#releaseOnClose && this.#byStream.delete(c.start.stream)) this.#connectionDone(owner);
      },
    }, DEFAULT_HOLD_LIMIT, this.#held);
    this.#byStream.set(start.stream, { consumer, session: owner });
    bound = owner.bind(consumer, expectation, fromFtpServer);
    return consumer;
  }

  #orphan(start: ConnectionStart, reason: string): StreamConsumer {
    const fromFtpServer: Direction = start.client.port === FTP_DATA_PORT ? 0 : 1;
    const facts = newFacts(start, fromFtpServer, 'timing', null, null);
    const orphan: OrphanDataConnection = { connection: facts, reason };
    this.#orphans.push(orphan);
    const route = (c: DataConnectionConsumer) => {
      if (c.dataDirection !== undefined) return;
      const dir: Direction = c.bytes[0] > c.bytes[1] ? 0 : 1;
      let sink;
      if (this.#extraction && c.bytes[dir] > 0) {
        const server = dir === 1 ? start.server : start.client;
        const info: TransferInfo = { kind: 'orphan', session: null, stream: start.stream, server, direction: 'unknown' };
        sink = this.#fileFor(info, { mode: 'S', type: 'I' }, orphan);
      }
      c.route(dir, sink);
    };
    const consumer = new DataConnectionConsumer(start, facts, { overflow: route, closed: route }, DEFAULT_HOLD_LIMIT, this.#held);
    this.#byStream.set(start.stream, { consumer, orphan });
    return consumer;
  }

  #ftpServerSide(start: ConnectionStart, s: SessionTransfers): Direction {
    if (start.client.ip !== start.server.ip) return start.server.ip === s.server.ip ? 1 : 0;
    return start.client.port === FTP_DATA_PORT ? 0 : 1;
  }

  #openFile(session: SessionTransfers, t: FtpTransfer, tap?: DataSink): { sink: TransferDecoder; setExpectedSize(n: number): void } | undefined {
    const kind = t.direction === 'listing' ? 'listing' : t.command === null ? 'orphan' : 'file';
    const c = t.connection;
    const info: TransferInfo = {
      kind,
      remotePath: t.path,
      // Ids are given when the report is finished; until then the order sessions were seen in, which is the same for one capture.
      session: session.session.id || session.ordinal,
      command: t.command,
      argument: t.arg,
      direction: t.direction,
      stream: c?.stream ?? null,
      server: c ? c.listener : undefined,
    };
    if (t.frame !== null) info.commandFrame = t.frame;
    if (t.rest !== null && t.rest > 0) info.restOffset = t.rest;
    // APPE writes after what the remote file holds; a SIZE reply for it just before tells how much.
    else if (t.command === 'APPE' && t.size !== null && t.size.value > 0) info.restOffset = t.size.value;
    // Pieces of one remote file (REST/APPE) on one server are put together when extraction ends.
    if (kind === 'file' && t.path !== null && (t.direction === 'download' || t.direction === 'upload')) {
      info.pieceKey = `${session.server.ip}|${t.direction}|${t.path}`;
    }
    const rep = representationOf(t);
    let file: ExtractedFile | undefined;
    const sink = this.#fileFor(info, rep, t, (f) => (file = f), session, tap);
    return { sink, setExpectedSize: (n) => { if (file && !file.ended) file.info.expectedSize = n; } };
  }

  #fileFor(
    info: TransferInfo, rep: { mode: TransferMode; type: RepresentationType; structure?: FileStructure; byteSize?: number },
    target: FtpTransfer | OrphanDataConnection, seen?: (f: ExtractedFile) => void, owner?: SessionTransfers, tap?: DataSink,
  ): TransferDecoder {
    const x = this.#extraction!;
    // `info` is this linker's own: set on it, not spread into a copy (slow in V8 with more properties).
    info.representation = rep;
    const file = x.sink.open(info);
    const decoder = new TransferDecoder(rep, tap ? new TeeSink(file, tap) : file, x.decode);
    file.attach(decoder);
    seen?.(file);
    // Released sessions' files have their final session number already (their ordinal).
    if (!this.#releasing) this.#files.push(owner ? { file, target, owner } : { file, target });
    // The transfer's own account (bytes, status, missing) is made when its session is judged; a
    // file that closes before that waits for it, so the result does not depend on timing. Each
    // side waits for the other through flags here, not through a reference to the session held
    // until the file closes: a file still being written would keep its whole session alive (on
    // bench `many`, into V8's old generation, where dead sessions then waited for a full
    // collection).
    let judged = owner === undefined;
    let entry: ManifestEntry | undefined;
    let done!: () => void;
    const written = new Promise<void>((resolve) => (done = resolve));
    const account = (): void => {
      if (entry === undefined || !judged) return;
      if ('status' in target) {
        fileFacts(target, entry);
        // What a reassembly of REST/APPE pieces needs (FileSink.close): did this piece end where the file ends?
        file.judged(target.status === 'complete', target.status === 'aborted');
      }
      done();
    };
    owner?.afterJudging(() => {
      judged = true;
      account();
    });
    void file.closed.then((e) => {
      target.extracted = { name: e.name, size: e.size, sha256: e.sha256, complete: e.complete };
      entry = e;
      account();
    });
    owner?.fileWriting(written);
    return decoder;
  }

  /** The session a data connection was bound to, for session ids given late. */
  sessionOfStream(stream: number): SessionTransfers | undefined {
    return this.#byStream.get(stream)?.session;
  }
}

/** What the extracted file tells about its transfer, after the transfer was judged. */
function fileFacts(target: FtpTransfer, e: ManifestEntry): void {
  // The file's own account (decoded offsets, the announced size) is the more exact one.
  if (e.missing.length > 0) target.missing = e.missing.filter((_, i) => e.missingDetail[i]?.reason !== 'before-rest');
  if (e.dataBytes !== target.bytes) target.notes.push(`${e.dataBytes} bytes after decoding (${e.wire.decoding ?? 'as on the wire'})`);
  // Bytes before a REST/APPE offset were never part of this transfer: they do not make it incomplete.
  const incomplete = e.error !== undefined || e.missingDetail.some((m) => m.reason !== 'before-rest');
  if (incomplete && target.status === 'complete') {
    target.status = 'incomplete';
    target.notes.push('extraction found bytes missing: see missing');
  }
  for (const w of e.warnings.slice(0, 5)) target.notes.push(`extract: ${w}`);
  // An aborted transfer's file has every byte that came, but not the file (FileSink.close lists the rest as missing).
  if (target.status === 'aborted' && target.extracted) target.extracted.complete = false;
}

function newFacts(start: ConnectionStart, fromFtpServer: Direction, rule: BindingRule, expectationFrame: number | null, note: string | null): DataConnectionFacts {
  return {
    stream: start.stream,
    opener: { ...start.client },
    listener: { ...start.server },
    openedBy: fromFtpServer === 0 ? 'server' : 'client',
    rolesFrom: start.rolesFrom,
    binding: { rule, expectationFrame, note },
    handshake: { syn: null, synAck: null, ack: null },
    firstFrame: start.firstFrame,
    lastFrame: null,
    firstDataFrame: null,
    lastDataFrame: null,
    dataFrames: 0,
    bytesFromOpener: 0,
    bytesFromListener: 0,
    start: epochText(start.tsSec, start.tsNsec),
    lastDataTime: null,
    duration: null,
    throughput: null,
    missing: [],
    teardown: { reset: false, rstFrame: null, finFrames: [] },
  };
}

function unusedOf(a: DataChannelAnnouncement, session: number, reason: UnusedExpectation['reason']): UnusedExpectation {
  return { session, kind: a.kind, address: a.address ?? a.impliedAddress ?? null, port: a.port, frame: a.frame, reason };
}
