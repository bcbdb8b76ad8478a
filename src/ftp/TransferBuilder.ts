// One session's transfers: listens to the session builder (announcements, commands, replies)
// and to the linker (data connections claimed for this session), ties each data connection
// to the command that used it, and at the end states how complete each transfer is.
//
// Passive mode (RFC 959 §3.2, PASV/EPSV): the client connects first, then sends the command,
// so a connection may wait here for its command. Active mode (PORT/EPRT): the command comes
// first and the server connects after it, so a command may wait for its connection. Either
// way the pairing is first come, first served within the session, which is what the protocol
// allows: one data connection per transfer command, in order.

import type { DataSink } from './data/DataDecoder.js';
import { TransferDecoder, type FileStructure, type RepresentationType, type TransferMode as WireMode } from './data/TransferDecoder.js';
import { ListingCollector, type ListingCommand, type ListingsOption } from './ListingParser.js';
import type { DataConnectionConsumer } from './DataConnectionConsumer.js';
import type { Expectation } from './DataChannelExpectations.js';
import type { SessionObserver } from './FtpSessionBuilder.js';
import type {
  DataChannelAnnouncement, FtpCommand, FtpEndpoint, FtpReply, FtpSession, FtpTransfer, TransferDirection, TransferMode,
} from './model.js';
import { changeDirectory } from './paths.js';
import { TlsDataGate, isTlsRecordHeader } from './TlsDataGate.js';
import type { Direction } from '../tcp/StreamEvents.js';

export const TRANSFER_VERBS = new Set(['RETR', 'STOR', 'STOU', 'APPE', 'LIST', 'NLST', 'MLSD']);

/** What the linker offers a session to write a transfer's bytes somewhere (extraction). */
export interface TransferSinkFactory {
  /** `tap`, when given, also gets the decoded bytes (a listing's parser). */
  open(session: SessionTransfers, transfer: FtpTransfer, tap?: DataSink): { sink: DataSink & { settled(): Promise<void> }; setExpectedSize(n: number): void } | undefined;
}

export interface BoundConnection {
  consumer: DataConnectionConsumer;
  /** The data connection's TCP direction that carries bytes from the FTP server. */
  fromFtpServer: Direction;
  expectation: Expectation<SessionTransfers> | undefined;
  transfer: FtpTransfer | undefined;
}

interface OpenTransfer {
  transfer: FtpTransfer;
  bound: BoundConnection | undefined;
  /** A final reply came (the transfer will not get a connection any more if it failed). */
  finished: boolean;
  aborted: number | null;
  setExpectedSize?: (n: number) => void;
}

export class SessionTransfers implements SessionObserver {
  #controlOpen = true;
  #session: FtpSession | undefined;
  readonly #register: (owner: SessionTransfers, a: DataChannelAnnouncement) => Expectation<SessionTransfers>;
  readonly #withdraw: (e: Expectation<SessionTransfers>, reason: 'refused') => void;
  readonly #sinks: TransferSinkFactory | undefined;
  /** Transfers waiting for their final reply, in command order (a Set: a client pipelining thousands of commands made splice quadratic). */
  readonly #open = new Set<OpenTransfer>();
  /**
   * Transfers by the announcement in force when their command came, in command order: a data
   * connection claimed by an announcement looks there for its transfer (it searched every
   * transfer of the session, which made a session of many transfers quadratic).
   */
  #byAnnouncement: Map<DataChannelAnnouncement, OpenTransfer[]> | undefined;
  /**
   * Data connections claimed for this session that no command has used yet, oldest first, and
   * the same by the announcement that claimed them: a command looks for its connection there
   * (walking them all per command made a session of thousands of unused connections quadratic).
   */
  readonly #unassigned = new Set<BoundConnection>();
  #unassignedByAnnouncement: Map<DataChannelAnnouncement, Set<BoundConnection>> | undefined;
  /** Open transfers still waiting for their data connection, in command order (see #oldestWaiting). */
  readonly #waiting = new Set<OpenTransfer>();
  // The maps are made when first needed: every control connection has a SessionTransfers, and
  // most (a port scan, a login that fails) never transfer anything.
  #byCommand: Map<FtpCommand, OpenTransfer> | undefined;
  #portExpectations: Map<FtpCommand, Expectation<SessionTransfers>> | undefined;
  #lastAnnouncement: DataChannelAnnouncement | null = null;
  /** SIZE answers by argument, latest first (RFC 3659 §4). */
  #sizes: Map<string, { frame: number; value: number }> | undefined;
  readonly all: OpenTransfer[] = [];
  /** Decoder chains feeding listing parsers (MODE Z inflates asynchronously: see settled()). */
  readonly #listingDecoders: Array<{ settled(): Promise<void> }> = [];
  readonly #listings: ListingsOption;
  /** 1 for the first session the linker made, 2 for the next…: the session's number until the report numbers them. */
  readonly ordinal: number;
  /** Data connections bound to this session whose TCP summary has not come yet. */
  #openConnections = 0;
  /** What waits for finish() (undefined once it ran). */
  #afterJudging: Array<() => void> | undefined = [];
  /** Extracted files of this session whose manifest facts have not reached their transfers yet. */
  #filesWriting: Array<Promise<void>> | undefined;

  constructor(
    hooks: {
      register: (owner: SessionTransfers, a: DataChannelAnnouncement) => Expectation<SessionTransfers>;
      withdraw: (e: Expectation<SessionTransfers>, reason: 'refused') => void;
      sinks?: TransferSinkFactory;
      /** Parse directory listings into FtpTransfer.listing (default true; 'summary': the first entries and counts). */
      listings?: ListingsOption;
    },
    ordinal = 0,
  ) {
    this.#register = hooks.register;
    this.#withdraw = hooks.withdraw;
    this.#sinks = hooks.sinks;
    this.#listings = hooks.listings ?? true;
    this.ordinal = ordinal;
  }

  /** Data connections bound to this session whose TCP summary has not come yet. */
  get openConnections(): number {
    return this.#openConnections;
  }

  /** @internal The linker: the TCP summary of a data connection bound to this session came. */
  dataConnectionDone(): void {
    if (this.#openConnections > 0) this.#openConnections--;
  }

  /** The session record this listens for (set once the builder made it). */
  attach(session: FtpSession): void {
    this.#session = session;
  }

  get session(): FtpSession {
    if (!this.#session) throw new Error('SessionTransfers used before attach()');
    return this.#session;
  }

  get client(): FtpEndpoint {
    return this.session.client;
  }

  get server(): FtpEndpoint {
    return this.session.server;
  }

  /**
   * The control connection's FIN or RST came (either side): no command can start a transfer
   * any more, so the timing rule for an encrypted session, which cannot see its commands, stops
   * taking new connections between the same hosts as its data connections.
   */
  controlEnded(): void {
    this.#controlOpen = false;
  }

  get controlOpen(): boolean {
    return this.#controlOpen;
  }

  /** A transfer command is waiting for its connection (the timing rule asks). */
  get waitingForConnection(): boolean {
    return this.#oldestWaiting() !== undefined;
  }

  /** The oldest transfer still waiting for its data connection. */
  #oldestWaiting(): OpenTransfer | undefined {
    return firstOf(this.#waiting);
  }

  // --- SessionObserver ---------------------------------------------------------------------

  announcement(a: DataChannelAnnouncement): void {
    this.#lastAnnouncement = a;
    const e = this.#register(this, a);
    if (a.by === 'client') {
      for (const c of this.session.commands.slice(-1)) if (c.frame === a.commandFrame) (this.#portExpectations ??= new Map()).set(c, e);
    }
  }

  command(command: FtpCommand, state: Readonly<FtpSession['state']>): void {
    const verb = command.command.toUpperCase();
    if (verb === 'SIZE') return;
    if (verb === 'ABOR') {
      // RFC 959 §4.1.3: ABOR ends the transfer in progress; its data connection is closed.
      for (const o of this.#open) if (o.aborted === null) o.aborted = command.frame;
      return;
    }
    if (!TRANSFER_VERBS.has(verb)) return;
    const a = this.#lastAnnouncement;
    const direction: TransferDirection =
      verb === 'RETR' ? 'download' : verb === 'LIST' || verb === 'NLST' || verb === 'MLSD' ? 'listing' : 'upload';
    const arg = command.arg;
    const target = arg.trim() === '' || direction === 'listing' && arg.trim().startsWith('-') ? null : arg;
    const path = target === null ? null : state.cwd === null ? target : (changeDirectory(state.cwd, target) ?? target);
    const restNum = state.rest !== null && /^\d+$/.test(state.rest.trim()) ? Number(state.rest.trim()) : null;
    const transfer: FtpTransfer = {
      id: this.session.transfers.length + 1,
      command: verb,
      arg,
      frame: command.frame,
      path,
      direction,
      mode: modeOf(a),
      announcement: a,
      connection: null,
      preliminary: null,
      final: null,
      size: target !== null ? (this.#sizes?.get(target) ?? null) : null,
      rest: restNum,
      type: state.type,
      transmissionMode: state.mode,
      stru: state.stru,
      bytes: 0,
      status: 'incomplete',
      missing: [],
      notes: [],
    };
    this.session.transfers.push(transfer);
    const o: OpenTransfer = { transfer, bound: undefined, finished: false, aborted: null };
    this.#open.add(o);
    this.#waiting.add(o);
    this.all.push(o);
    if (a !== null) {
      const byAnnouncement = (this.#byAnnouncement ??= new Map());
      const same = byAnnouncement.get(a);
      if (same === undefined) byAnnouncement.set(a, [o]);
      else same.push(o);
    }
    (this.#byCommand ??= new Map()).set(command, o);
    // Passive: the connection was made before the command and is waiting here: the oldest the
    // same announcement claimed, else the oldest of all.
    const claimed = a !== null ? this.#unassignedByAnnouncement?.get(a) : undefined;
    const waiting = (claimed && firstOf(claimed)) ?? firstOf(this.#unassigned);
    if (waiting) {
      this.#removeUnassigned(waiting);
      this.#assign(o, waiting);
    }
  }

  reply(command: FtpCommand, reply: FtpReply): void {
    const verb = command.command.toUpperCase();
    if (verb === 'SIZE' && reply.code === 213) {
      const value = Number(reply.text.trim());
      if (Number.isSafeInteger(value)) (this.#sizes ??= new Map()).set(command.arg, { frame: reply.frame, value });
      return;
    }
    const port = this.#portExpectations?.get(command);
    if (port && !reply.preliminary) {
      this.#portExpectations!.delete(command);
      if (reply.code >= 400) this.#withdraw(port, 'refused');
    }
    const o = this.#byCommand?.get(command);
    if (!o) return;
    const t = o.transfer;
    if (reply.preliminary) {
      // vsftpd/proftpd: "150 Opening BINARY mode data connection for f (24576 bytes)".
      const m = /\((\d+)\s+bytes?\)/i.exec(reply.text);
      const announcedSize = m ? Number(m[1]) : null;
      t.preliminary = { frame: reply.frame, code: reply.code, text: reply.text, announcedSize };
      if (announcedSize !== null && o.setExpectedSize && t.transmissionMode === 'S' && t.type !== 'A' && t.type !== 'E') {
        o.setExpectedSize(announcedSize);
      }
      return;
    }
    t.final = { frame: reply.frame, code: reply.code, text: reply.text };
    o.finished = true;
    this.#open.delete(o);
    this.#waiting.delete(o);
  }

  // --- from the linker -----------------------------------------------------------------------

  /** A data connection was claimed for this session (by an expectation or by timing). */
  bind(consumer: DataConnectionConsumer, expectation: Expectation<SessionTransfers> | undefined, fromFtpServer: Direction): BoundConnection {
    const bound: BoundConnection = { consumer, fromFtpServer, expectation, transfer: undefined };
    this.#openConnections++;
    // Active: the command came first and waits. Commands refused before any connection are skipped.
    // The command sent with this very announcement first (a 226 can even come before a late
    // connection is seen), else the oldest command still waiting.
    const ann = expectation?.announcement;
    const o =
      (ann ? this.#byAnnouncement?.get(ann)?.find((x) => x.bound === undefined && !(x.transfer.final && x.transfer.final.code >= 400)) : undefined) ??
      this.#oldestWaiting();
    if (o) this.#assign(o, bound);
    else this.#addUnassigned(bound);
    return bound;
  }

  #addUnassigned(b: BoundConnection): void {
    this.#unassigned.add(b);
    const a = b.expectation?.announcement;
    if (a === undefined) return;
    const index = (this.#unassignedByAnnouncement ??= new Map());
    const same = index.get(a);
    if (same === undefined) index.set(a, new Set([b]));
    else same.add(b);
  }

  /** Takes `b` out of the unassigned connections; false if it was not among them. */
  #removeUnassigned(b: BoundConnection): boolean {
    if (!this.#unassigned.delete(b)) return false;
    const a = b.expectation?.announcement;
    const same = a === undefined ? undefined : this.#unassignedByAnnouncement?.get(a);
    if (same !== undefined) {
      same.delete(b);
      if (same.size === 0) this.#unassignedByAnnouncement!.delete(a!);
    }
    return true;
  }

  /**
   * A claimed connection ended before any command used it (or the commands were encrypted):
   * it becomes a transfer without a command, so it is reported, never dropped.
   */
  adopt(bound: BoundConnection, why: string): FtpTransfer | undefined {
    if (!this.#removeUnassigned(bound)) return undefined;
    const c = bound.consumer;
    const dir: Direction = c.bytes[0] > c.bytes[1] ? 0 : 1;
    const transfer: FtpTransfer = {
      id: this.session.transfers.length + 1,
      command: null, arg: '', frame: null, path: null,
      direction: c.bytes[0] + c.bytes[1] === 0 ? 'unknown' : dir === bound.fromFtpServer ? 'download' : 'upload',
      mode: modeOf(bound.expectation?.announcement ?? null),
      announcement: bound.expectation?.announcement ?? null,
      connection: c.facts, preliminary: null, final: null, size: null, rest: null,
      type: this.session.state.type, transmissionMode: this.session.state.mode, stru: this.session.state.stru,
      bytes: 0, status: 'incomplete', missing: [], notes: [why],
    };
    this.session.transfers.push(transfer);
    const o: OpenTransfer = { transfer, bound, finished: true, aborted: null };
    bound.transfer = transfer;
    this.all.push(o);
    const open = () => this.#sinks?.open(this, transfer)?.sink;
    c.route(dir, this.#mayCarryTls() ? new TlsDataGate(open) : open());
    return transfer;
  }

  /** Every claimed connection no command has used (the session is over): each becomes a transfer without a command. */
  adoptUnassigned(): void {
    for (const b of [...this.#unassigned]) this.adopt(b, 'no transfer command was seen for this data connection');
  }

  #assign(o: OpenTransfer, bound: BoundConnection): void {
    o.bound = bound;
    this.#waiting.delete(o);
    bound.transfer = o.transfer;
    const t = o.transfer;
    t.connection = bound.consumer.facts;
    if (bound.expectation && bound.expectation.announcement !== t.announcement) {
      t.announcement = bound.expectation.announcement;
      t.mode = modeOf(t.announcement);
    }
    const dir: Direction = t.direction === 'upload' ? (bound.fromFtpServer === 0 ? 1 : 0) : bound.fromFtpServer;
    const makeSink = (): DataSink | undefined => {
      let tap: ListingCollector | undefined;
      if (this.#listings && t.direction === 'listing' && (t.command === 'LIST' || t.command === 'NLST' || t.command === 'MLSD')) {
        // The year of "Mon DD HH:MM" dates is judged against the time the listing was sent.
        const connection = t.connection;
        tap = new ListingCollector(t.command as ListingCommand, () => {
          const at = Number(connection?.start);
          return Number.isFinite(at) ? at * 1000 : null;
        }, this.#listings === 'summary');
        t.listing = tap.listing;
      }
      const opened = this.#sinks?.open(this, t, tap);
      let sink: DataSink | undefined = opened?.sink;
      if (tap) {
        // Not extracting: the listing is still decoded (MODE B/C/Z, TYPE A) to be read.
        const decoder = opened?.sink ?? new TransferDecoder(representationOf(t), tap);
        this.#listingDecoders.push(decoder);
        sink = decoder;
      }
      if (opened) {
        o.setExpectedSize = opened.setExpectedSize;
        const size = t.preliminary?.announcedSize ?? t.size?.value;
        if (size !== null && size !== undefined && t.transmissionMode === 'S' && t.type !== 'A' && t.type !== 'E') opened.setExpectedSize(size);
      }
      return sink;
    };
    // After AUTH TLS the data connection may carry TLS (PROT P): the sink opens only once the
    // first bytes show they are not TLS records (TlsDataGate).
    const sink = this.#mayCarryTls() ? new TlsDataGate(makeSink) : makeSink();
    bound.consumer.route(dir, sink);
  }

  /** AUTH TLS was accepted (or the session is implicit FTPS) and PROT C was not asked for in cleartext. */
  #mayCarryTls(): boolean {
    const s = this.session;
    return (s.tls?.accepted === true || s.encrypted) && s.state.prot !== 'C';
  }

  /** Resolves once every listing's decoder has handed on all it was given (MODE Z is asynchronous). */
  async settled(): Promise<void> {
    for (const d of this.#listingDecoders) await d.settled();
  }

  /** Completeness of every transfer, once the capture is read (RFC 959 §4.2 reply codes). */
  finish(): void {
    for (const o of this.all) judge(o, this.session);
    const waiting = this.#afterJudging;
    this.#afterJudging = undefined;
    for (const f of waiting ?? []) f();
  }

  /** Runs `f` once the transfers are judged (finish()): at once if they are. */
  afterJudging(f: () => void): void {
    if (this.#afterJudging) this.#afterJudging.push(f);
    else f();
  }

  /** @internal The linker: a file extracted for this session is done once `written` resolves (its facts given to its transfer). */
  fileWriting(written: Promise<void>): void {
    (this.#filesWriting ??= []).push(written);
  }

  /**
   * Resolves once every file extracted for this session was written and its facts (name, size,
   * hash, missing bytes) reached its transfer — after finish(), which they may wait for.
   * Undefined when the session extracted nothing.
   */
  filesWritten(): Promise<void> | undefined {
    const files = this.#filesWriting;
    return files === undefined ? undefined : Promise.all(files).then(() => undefined);
  }
}

/** MODE, TYPE and STRU of a transfer as the data decoders take them. */
export function representationOf(t: FtpTransfer): { mode: WireMode; type: RepresentationType; structure?: FileStructure; byteSize?: number } {
  const mode = (['S', 'B', 'C', 'Z'].includes(t.transmissionMode) ? t.transmissionMode : 'S') as WireMode;
  const [typeLetter, size] = t.type.split(/\s+/);
  const type = (['A', 'E', 'I', 'L'].includes(typeLetter ?? '') ? typeLetter : 'I') as RepresentationType;
  const rep: { mode: WireMode; type: RepresentationType; structure?: FileStructure; byteSize?: number } = { mode, type };
  if (type === 'L' && size !== undefined && /^\d+$/.test(size)) rep.byteSize = Number(size);
  if (t.stru === 'R' || t.stru === 'P') rep.structure = t.stru;
  return rep;
}

function modeOf(a: DataChannelAnnouncement | null): TransferMode {
  switch (a?.kind) {
    case 'PORT': return 'active';
    case 'PASV': return 'passive';
    case 'EPRT': return 'extended-active';
    case 'EPSV': return 'extended-passive';
    case 'LPRT': return 'long-active';
    case 'LPSV': return 'long-passive';
    default: return 'unknown';
  }
}

/** The first of `items` (a Set's oldest), if any. */
function firstOf<T>(items: Iterable<T>): T | undefined {
  for (const item of items) return item;
  return undefined;
}

function judge(o: OpenTransfer, session: FtpSession): void {
  const t = o.transfer;
  const c = o.bound?.consumer;
  const notes = t.notes;
  const final = t.final;
  if (!c) {
    if (final && final.code >= 400) {
      t.status = 'refused';
      notes.push(`${final.code} in frame ${final.frame}: no data was transferred`);
    } else if (final) {
      t.status = 'no-data-connection';
      notes.push(`${final.code} in frame ${final.frame}, but no data connection for this command was found in the capture`);
    } else {
      t.status = 'incomplete';
      notes.push('no data connection and no final reply in the capture');
    }
    return;
  }
  const f = c.refresh();
  const dir = c.dataDirection ?? 1;
  t.bytes = c.bytes[dir];
  const missingWire = f.missing;
  // A size the server announced is the download's; before an upload a SIZE reply is what the
  // remote file held (APPE appends after it), not what this transfer carries.
  const announced = t.direction === 'download' ? (t.preliminary?.announcedSize ?? t.size?.value ?? null) : null;
  if (t.command === 'APPE' && t.size !== null && t.size.value > 0 && t.rest === null) {
    notes.push(`appends at offset ${t.size.value}: the remote file's size in the SIZE reply (frame ${t.size.frame})`);
  }
  const rest = t.rest ?? 0;
  const byteExact = t.transmissionMode === 'S' && t.type !== 'A' && t.type !== 'E';
  t.missing = mergeRanges(missingWire.map((m) => [m.start + (byteExact ? rest : 0), m.end + (byteExact ? rest : 0)]));
  const missingBytes = missingWire.reduce((n, m) => n + (m.end - m.start), 0);
  const aborted: string[] = [];
  if (o.aborted !== null) aborted.push(`ABOR in frame ${o.aborted}`);
  if (final && (final.code === 426 || final.code === 451 || final.code === 425)) aborted.push(`${final.code} in frame ${final.frame}`);
  if (f.teardown.reset && !(final && final.code < 300)) aborted.push(`RST in frame ${f.teardown.rstFrame}`);
  else if (c.dataEndReason === 'rst') {
    // The sender never closed its side: the connection was reset with the transfer still open.
    // A success reply does not undo that — a server may answer 226 once the file is in its
    // socket buffer (pure-ftpd does), and what was still queued there never reached the wire.
    // (From the stream's own end, so also where the connection's TCP summary is not waited for.)
    const why = final ? ` (the ${final.code} in frame ${final.frame} only says the server handed the data to its TCP stack)` : '';
    aborted.push(`RST in frame ${c.dataEndFrame ?? f.teardown.rstFrame ?? '?'} before the sender's FIN${why}`);
  }
  // RFC 4217 §9 (PROT P): the data connection carried TLS records. The file is in there,
  // encrypted: nothing of it can be recovered from the capture, and nothing was extracted.
  const tls = (session.tls?.accepted === true || session.encrypted) && isTlsRecordHeader(c.firstBytes(dir));
  if (tls) {
    t.status = 'encrypted';
    notes.push(`the data connection carried TLS (first data frame ${f.firstDataFrame ?? '?'} starts with a TLS record header): PROT P after AUTH TLS (RFC 4217 §9); its ${t.bytes} bytes are TLS records, not the file, and were not extracted`);
    if (missingWire.length > 0) notes.push(`${missingBytes} bytes of the data connection were not captured either`);
  } else if (missingWire.length > 0) {
    const snap = missingWire.some((m) => m.reason === 'snaplen');
    notes.push(`${missingBytes} bytes of the data connection were not captured (${missingWire.length} range${missingWire.length === 1 ? '' : 's'}, first noticed at frame ${missingWire[0]!.frame})`);
    if (snap) notes.push('frames were cut by the capture snaplen');
    t.status = aborted.length > 0 ? 'aborted' : snap ? 'truncated' : 'incomplete';
  } else if (aborted.length > 0) {
    t.status = 'aborted';
  } else if (c.dataEndReason === 'connection-limit') {
    t.status = 'incomplete';
    notes.push(`the TCP stage stopped following the data connection at frame ${c.dataEndFrame ?? '?'} (more connections were open than it holds, maxOpen): bytes after it were not seen`);
  } else if (byteExact && announced !== null && rest + t.bytes !== announced) {
    t.status = 'size-mismatch';
    notes.push(`${rest + t.bytes} bytes seen but ${announced} announced (${t.preliminary?.announcedSize != null ? `150 in frame ${t.preliminary.frame}` : `SIZE reply in frame ${t.size?.frame}`})`);
  } else if (!final) {
    t.status = c.dataEnded ? 'complete' : 'incomplete';
    notes.push(c.dataEnded ? 'no final reply seen, but the data connection closed normally' : 'neither a final reply nor the end of the data connection was seen');
  } else if (final.code >= 400) {
    t.status = 'incomplete';
    notes.push(`the server reported failure: ${final.code} in frame ${final.frame}`);
  } else {
    t.status = 'complete';
  }
  if (aborted.length > 0) notes.push(`aborted: ${aborted.join(', ')}`);
  if (!tls && announced !== null && byteExact && missingWire.length > 0 && rest + t.bytes + missingBytes < announced) {
    const short = announced - (rest + t.bytes + missingBytes);
    t.missing.push([announced - short, announced]);
    notes.push(`${short} bytes at the end never appeared (announced ${announced})`);
  }
}

/** Adjacent ranges (a gap, then the FIN's place) are one range to a reader. */
function mergeRanges(ranges: Array<[number, number]>): Array<[number, number | null]> {
  const out: Array<[number, number | null]> = [];
  for (const [a, b] of ranges) {
    const last = out[out.length - 1];
    if (last && last[1] === a) last[1] = b;
    else out.push([a, b]);
  }
  return out;
}
