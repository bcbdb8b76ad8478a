// The policy half of FTP analysis: turns the parser's events for one control connection into
// the session record a person asks about (Zeek's "one record per session"). Here replies are
// paired with commands, logins get their outcome, TYPE/MODE/STRU/CWD/REST are followed as the
// server accepts them, AUTH TLS is judged, and data-port announcements are kept for the data
// channel matcher. Nothing here reads bytes.

import type { ConnectionStart, Direction } from '../tcp/StreamEvents.js';
import type { ControlChannelHandler, ParsedCommand, ParsedReply, TlsStartReason } from './ControlChannelParser.js';
import { commandInfo, expectsReply } from './commands.js';
import { explainAnnouncement, parseClientAnnouncement, parseServerAnnouncement, type DataPortAnnouncement } from './dataPortAnnouncement.js';
import type {
  DataChannelAnnouncement, DetectionReason, FtpCommand, FtpReply, FtpSession, LoginAttempt, SegmentHeader, StateChange,
} from './model.js';
import { changeDirectory, parentDirectory, quotedPath } from './paths.js';
import { recogniseServerSoftware } from './serverSoftware.js';
import type { ControlLine } from './TelnetLineReader.js';
import { epochText, secondsBetween } from './time.js';

export interface SessionBuilderInit {
  start: ConnectionStart;
  detectedBy: DetectionReason;
  /** Implicit FTPS: the channel is TLS from its first byte. */
  implicitTls?: boolean;
  /** Asks for the TCP header of a frame (QUIT and its 221); `use` is called when it is known. */
  segmentHeader?: (frame: number, use: (header: SegmentHeader) => void) => void;
  /** Told of announcements, commands and replies as they happen (the data-connection linker listens). */
  observer?: SessionObserver;
}

/**
 * What the data-connection linker needs to hear from a session, in capture order. Announcements
 * come at the PORT/EPRT/LPRT command (the server may connect before its 200 is captured) and at
 * the 227/228/229 reply.
 */
export interface SessionObserver {
  announcement(a: DataChannelAnnouncement): void;
  /** Every command, with the session state in force when it was sent. */
  command(command: FtpCommand, state: Readonly<FtpSession['state']>): void;
  /** Every reply paired with the command it answers. */
  reply(command: FtpCommand, reply: FtpReply): void;
}

interface Pending {
  command: FtpCommand;
  /** A preliminary (1xx) reply arrived; the command waits for its final reply. */
  preliminary: boolean;
  /** Login attempt the command belongs to (USER, PASS, ACCT). */
  login?: LoginAttempt;
  /** REST marker in force when the command was sent. */
  rest?: string | null;
  announcement?: DataChannelAnnouncement;
}

/**
 * Commands waiting for their reply, oldest first: an array read from a moving head. Replies
 * nearly always answer the oldest, and removing it by splice moved every later one: a client
 * that pipelines 100,000 commands before the first reply made the pairing quadratic (3.9 s of
 * a 9 s run). Removal elsewhere (a reply that skips commands) still splices.
 *
 * A 1xx reply goes to the oldest command that has had none, so the queue also keeps where the
 * run of commands already answered with a 1xx ends (`firstOpen`): 50,000 pipelined RETRs each
 * answered by a 150 walked that whole run for every 150 (59 s). A command without a 1xx
 * inside the run (a NOOP among RETRs) still ends it there. It also counts the verbs in that run,
 * so a final reply none of them can take (a NOOP's 200 behind 20,000 RETRs that had their 150)
 * passes over the whole run at once (`runMayTake`).
 */
class PendingQueue {
  #items: Array<Pending | undefined> = [];
  #head = 0;
  /** Every command in [head, #firstOpen) has had its 1xx. */
  #firstOpen = 0;
  /** Commands in [head, #firstOpen) by verb (UNKNOWN_VERB for every verb not in the catalogue). */
  #runVerbs: Map<string, number> | undefined;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The `i`-th oldest (0 ≤ i < length). */
  at(i: number): Pending {
    return this.#items[this.#head + i]!;
  }

  push(p: Pending): void {
    this.#items.push(p);
  }

  /** Index of the first command after those at the front that have had their 1xx. */
  get firstOpen(): number {
    return this.#firstOpen - this.#head;
  }

  /** Whether a command in the front run (those that have had their 1xx) may get final reply `code`. */
  runMayTake(code: number): boolean {
    if (this.#runVerbs === undefined) return false;
    for (const [verb, n] of this.#runVerbs) {
      if (n > 0 && (verb === UNKNOWN_VERB || expectsReply(verb, code))) return true;
    }
    return false;
  }

  /** The `i`-th oldest has had its 1xx. */
  markPreliminary(i: number): void {
    const items = this.#items;
    items[this.#head + i]!.preliminary = true;
    while (this.#firstOpen < items.length && items[this.#firstOpen]!.preliminary) this.#countRun(items[this.#firstOpen++]!, 1);
  }

  /** Index of the oldest from the `from`-th on (looking at `limit` at most) for which `test` holds, or -1. */
  findIndex(test: (p: Pending) => boolean, from = 0, limit = Infinity): number {
    const items = this.#items;
    const end = Math.min(items.length, this.#head + from + limit);
    for (let i = this.#head + from; i < end; i++) if (test(items[i]!)) return i - this.#head;
    return -1;
  }

  some(test: (p: Pending) => boolean): boolean {
    return this.findIndex(test) >= 0;
  }

  removeAt(i: number): void {
    const at = this.#head + i;
    if (at < this.#firstOpen) this.#countRun(this.#items[at]!, -1);
    if (i !== 0) {
      this.#items.splice(at, 1);
      if (at < this.#firstOpen) this.#firstOpen--;
      return;
    }
    this.#items[this.#head++] = undefined;
    if (this.#firstOpen < this.#head) this.#firstOpen = this.#head;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#firstOpen -= this.#head;
      this.#head = 0;
    }
  }

  /** Removes every one, returning them oldest first. */
  takeAll(): Pending[] {
    const all = this.#items.slice(this.#head) as Pending[];
    this.clear();
    return all;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#firstOpen = 0;
    this.#runVerbs = undefined;
  }

  #countRun(p: Pending, by: 1 | -1): void {
    const verb = p.command.command;
    const key = commandInfo(verb) ? verb : UNKNOWN_VERB;
    const counts = (this.#runVerbs ??= new Map());
    counts.set(key, (counts.get(key) ?? 0) + by);
  }
}

/** PendingQueue's key for every verb not in the catalogue (any reply code may answer one). */
const UNKNOWN_VERB = '';

/**
 * Waiting commands a reply's pairing looks at, at most, from where its search starts (after the
 * front run of commands that had their 1xx, or the oldest). A client pipelines a few; walking
 * all of them for every reply let a hostile order of replies make the pairing quadratic.
 */
export const MAX_PAIRING_SEARCH = 1024;

/** User names that mean an anonymous login (RFC 1635 §2; "ftp" is the common alias). */
const ANONYMOUS_USERS = new Set(['anonymous', 'ftp']);

const PREFIX = /^[0-9]{3}[ -]?/;

/** Frame numbers listed per reply (the first ones and the last; the rest are counted). */
const MAX_REPLY_FRAMES = 64;

export class FtpSessionBuilder implements ControlChannelHandler {
  readonly session: FtpSession;
  readonly #pending = new PendingQueue();
  #greetingDone = false;
  /** The login attempt USER/PASS/ACCT currently add to. */
  #login: LoginAttempt | undefined;
  #endSec: number;
  #endNsec: number;
  #startSec: number;
  #startNsec: number;
  #closed = false;
  /** The end time moved since session.end.time and duration were written (they are text: written at close). */
  #endMoved = false;
  /** Frame of the last gap in the client's bytes: commands may have been lost there. */
  #clientGapFrame: number | undefined;
  readonly #segmentHeader: SessionBuilderInit['segmentHeader'];
  readonly #observer: SessionObserver | undefined;

  constructor(init: SessionBuilderInit) {
    this.#segmentHeader = init.segmentHeader;
    this.#observer = init.observer;
    const { start } = init;
    this.#startSec = this.#endSec = start.tsSec;
    this.#startNsec = this.#endNsec = start.tsNsec;
    const startTime = { frame: start.firstFrame, time: epochText(start.tsSec, start.tsNsec) };
    this.session = {
      id: 0,
      client: { ...start.client },
      server: { ...start.server },
      controlStream: start.stream,
      detectedBy: init.detectedBy,
      rolesFrom: start.rolesFrom,
      start: startTime,
      end: { ...startTime },
      duration: '0.000000000',
      banner: null,
      greeting: null,
      serverSoftware: null,
      systemType: null,
      serverName: null,
      serverNameSource: null,
      logins: [],
      encrypted: false,
      tls: null,
      commands: [],
      unmatchedReplies: [],
      nonReplyLines: [],
      state: { type: 'A', mode: 'S', stru: 'F', cwd: null, rest: null, loggedIn: false, user: null, epsvAll: false, prot: null },
      stateChanges: [],
      features: null,
      dataChannels: [],
      transfers: [],
      quit: null,
      telnet: [],
      bytes: { client: 0, server: 0, encryptedClient: 0, encryptedServer: 0 },
      warnings: [],
      tcp: null,
    };
    if (init.implicitTls) {
      this.session.encrypted = true;
      this.session.tls = this.#newTls(true);
    }
    // A connection picked up mid-way has no greeting to wait for.
    if (start.rolesFrom === 'heuristic') this.#greetingDone = true;
  }

  /** Notes that a frame of this connection was seen (for the session's end time). */
  touch(frame: number, tsSec: number, tsNsec: number): void {
    if (frame > this.session.end.frame) this.session.end.frame = frame;
    if (tsSec > this.#endSec || (tsSec === this.#endSec && tsNsec > this.#endNsec)) {
      this.#endSec = tsSec;
      this.#endNsec = tsNsec;
      // Formatted once when the connection closes, not at every segment (a late touch after it: at once).
      this.#endMoved = true;
      if (this.#closed) this.#writeEnd();
    }
  }

  #writeEnd(): void {
    if (!this.#endMoved) return;
    this.#endMoved = false;
    this.session.end.time = epochText(this.#endSec, this.#endNsec);
    this.session.duration = secondsBetween(this.#startSec, this.#startNsec, this.#endSec, this.#endNsec);
  }

  textBytes(direction: Direction, bytes: number): void {
    if (direction === 0) this.session.bytes.client += bytes;
    else this.session.bytes.server += bytes;
  }

  /** The connection is over: whatever still waits for a reply never got one. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writeEnd();
    for (const p of this.#pending.takeAll()) this.#noReply(p, 'no reply seen before the connection ended');
  }

  // ---------------------------------------------------------------------------------------------
  // Parser events

  command(parsed: ParsedCommand): void {
    const line = parsed.line;
    const command: FtpCommand = {
      frame: line.frames[0] ?? line.endFrame,
      frames: line.frames,
      oneSegment: line.oneSegment,
      time: epochText(line.tsSec, line.tsNsec),
      command: parsed.command,
      arg: parsed.arg,
      known: parsed.known,
      replies: [],
    };
    if (line.framesOmitted > 0) command.framesOmitted = line.framesOmitted;
    this.#lineNotes(line, command, 'client');
    this.session.commands.push(command);
    const pending: Pending = { command, preliminary: false };
    // The state before the command changes it: a transfer uses the TYPE/MODE/REST already in force.
    this.#observer?.command(command, { ...this.session.state });
    this.#onCommand(parsed.command.toUpperCase(), parsed.arg, command, pending);
    this.#pending.push(pending);
  }

  reply(parsed: ParsedReply): void {
    // Every frame of every line, bounded like a line's own list: the first ones and the last.
    // One line (most replies): its list, which has no repeats and is the line's own.
    const first = parsed.lines[0];
    let omitted = 0;
    let frames: number[];
    if (parsed.lines.length === 1 && first !== undefined) {
      omitted = first.framesOmitted;
      frames = first.frames;
    } else {
      const all = new Set<number>();
      for (const l of parsed.lines) {
        omitted += l.framesOmitted;
        for (const f of l.frames) all.add(f);
      }
      frames = [...all];
    }
    if (frames.length > MAX_REPLY_FRAMES) {
      omitted += frames.length - MAX_REPLY_FRAMES;
      frames = [...frames.slice(0, MAX_REPLY_FRAMES - 1), frames[frames.length - 1] as number];
    }
    const reply: FtpReply = {
      frame: parsed.endFrame,
      frames,
      time: epochText(parsed.tsSec, parsed.tsNsec),
      code: parsed.code,
      text: parsed.text,
      lines: parsed.lines.map((l) => l.text),
      preliminary: parsed.code < 200,
    };
    if (omitted > 0) reply.framesOmitted = omitted;
    let notes: string[] | undefined = parsed.notes.length > 0 ? [...parsed.notes] : undefined;
    for (const l of parsed.lines) {
      if (!l.utf8) (notes ??= []).push('not valid UTF-8: other bytes shown as \\xNN');
      if (l.truncated > 0) (notes ??= []).push(`a line was cut: ${l.truncated} bytes dropped`);
      for (const t of l.telnet) this.session.telnet.push({ frame: t.frame, direction: 'server', what: t.what });
    }
    if (notes !== undefined) reply.notes = [...new Set(notes)];

    if (!this.#greetingDone && this.#isGreeting(reply)) {
      this.#greeting(reply);
      return;
    }
    this.#greetingDone = true;
    const pending = this.#pair(reply);
    if (!pending) {
      this.session.unmatchedReplies.push(reply);
      if (reply.code === 421) this.#warn(reply.frame, `unsolicited 421: the server is closing the control connection (${reply.text})`);
      return;
    }
    pending.command.replies.push(reply);
    this.#onReply(pending, reply);
  }

  nonReply(line: ControlLine): void {
    this.session.nonReplyLines.push({ frame: line.endFrame, text: line.text });
    for (const t of line.telnet) this.session.telnet.push({ frame: t.frame, direction: 'server', what: t.what });
  }

  tlsStarted(reason: TlsStartReason, frame: number): void {
    this.session.encrypted = true;
    const tls = (this.session.tls ??= this.#newTls(false));
    if (reason.kind === 'auth') {
      tls.accepted = true;
    } else {
      tls.withoutAuth = { frame, direction: reason.direction === 0 ? 'client' : 'server' };
      this.#warn(frame, `TLS handshake from the ${reason.direction === 0 ? 'client' : 'server'} without an accepted AUTH TLS in the capture: not parsed as text`);
    }
    // Commands still waiting are answered inside TLS, where replies cannot be seen.
    for (const p of this.#pending.takeAll()) {
      if (p.command.command === 'AUTH') continue;
      this.#noReply(p, 'reply not visible: the channel turned to TLS');
    }
  }

  encrypted(direction: Direction, bytes: number, frames: readonly number[], records: number): void {
    const tls = (this.session.tls ??= this.#newTls(false));
    if (direction === 0) {
      this.session.bytes.encryptedClient += bytes;
      tls.records.client += records;
    } else {
      this.session.bytes.encryptedServer += bytes;
      tls.records.server += records;
    }
    for (const f of frames) {
      if (tls.encryptedFrom === null || f < tls.encryptedFrom) tls.encryptedFrom = f;
      if (tls.encryptedUntil === null || f > tls.encryptedUntil) tls.encryptedUntil = f;
    }
  }

  cleartextAgain(direction: Direction, frame: number): void {
    const tls = (this.session.tls ??= this.#newTls(false));
    if (!tls.cleartextAgain) {
      tls.cleartextAgain = {
        frame,
        direction: direction === 0 ? 'client' : 'server',
        after: 'TLS records ended and text followed, as after CCC (RFC 4217 §12): commands sent inside TLS are not visible',
      };
    }
    // Whatever was asked inside TLS was answered there too.
    this.#pending.clear();
  }

  warning(frame: number, message: string): void {
    this.#warn(frame, message);
  }

  gap(direction: Direction, frame: number): void {
    if (direction === 0) this.#clientGapFrame = frame;
  }

  // ---------------------------------------------------------------------------------------------
  // Pairing

  /**
   * The command a reply answers. Replies come in order (RFC 959 §4.2), so normally it is the
   * oldest command waiting. When a client pipelines and the server skipped one, the code tells:
   * the oldest waiting command whose specification allows this code gets it, and commands
   * older than that (which never got a final reply) are closed as unanswered — except one
   * whose transfer is still under way after a 1xx.
   */
  #pair(reply: FtpReply): Pending | undefined {
    const pending = this.#pending;
    if (pending.length === 0) return undefined;
    // A command that has had its 1xx takes only a final reply; those at the front are passed over at once.
    const code = reply.code;
    // A 1xx, or a final reply no command of the front run may take, starts after that run.
    const from = code < 200 || !pending.runMayTake(code) ? pending.firstOpen : 0;
    let index = pending.findIndex((p) => (!p.preliminary || code >= 200) && expectsReply(p.command.command, code), from, MAX_PAIRING_SEARCH);
    if (index < 0 && pending.length - from > MAX_PAIRING_SEARCH) {
      // Thousands of commands waiting, none of the oldest able to take this code: a hostile
      // order of replies (walking them all for every reply was quadratic). Left unpaired.
      (reply.notes ??= []).push(`not paired: none of the ${MAX_PAIRING_SEARCH} waiting commands looked at (of ${pending.length}) may take a ${code} reply, and the search stops there`);
      return undefined;
    }
    if (index < 0) {
      // No waiting command may get this code. If client bytes went missing since the oldest was
      // sent, the reply most likely answers a command lost in that gap: do not force it on one.
      if (this.#clientGapFrame !== undefined && this.#clientGapFrame > pending.at(0).command.frame) {
        (reply.notes ??= []).push(`probably answers a command lost in the gap before frame ${this.#clientGapFrame}`);
        return undefined;
      }
      index = 0;
    }
    const chosen = pending.at(index);
    if (reply.preliminary) {
      pending.markPreliminary(index);
      return chosen;
    }
    pending.removeAt(index);
    // Older ones that never got a reply are closed; those of the front run had their 1xx and
    // stay (not looked at: walking that run for every reply past it was quadratic too).
    for (let i = index - 1; i >= pending.firstOpen; i--) {
      const older = pending.at(i);
      if (older.preliminary) continue;
      pending.removeAt(i);
      this.#noReply(older, `no reply seen (the server answered a later command, frame ${chosen.command.frame}, first)`);
    }
    return chosen;
  }

  #noReply(p: Pending, why: string): void {
    if (p.command.replies.some((r) => !r.preliminary)) return;
    // After a 1xx the command did get an answer, only not the final one.
    (p.command.notes ??= []).push(p.preliminary ? why.replace('no reply', 'no final reply') : why);
    const verb = p.command.command;
    if (verb === 'CWD' || verb === 'XCWD' || verb === 'CDUP' || verb === 'XCUP') {
      p.command.notes.push('whether the directory changed is not known: the working directory shown after this may be wrong');
    }
  }

  #isGreeting(reply: FtpReply): boolean {
    // RFC 959 §5.4, connection establishment: 120 (then 220), 220, or 421. REIN and HOST get the
    // same codes; a 220 while one of those waits answers it.
    if (reply.code !== 120 && reply.code !== 220 && reply.code !== 421) return false;
    if (this.session.greeting && this.session.greeting.reply.code !== 120) return false;
    return !this.#pending.some((p) => p.command.command === 'REIN' || p.command.command === 'HOST');
  }

  #greeting(reply: FtpReply): void {
    if (reply.code === 120) {
      this.session.greeting = { reply, preliminary: reply };
      return;
    }
    const preliminary = this.session.greeting?.preliminary;
    this.session.greeting = preliminary ? { reply, preliminary } : { reply };
    this.#greetingDone = true;
    this.session.banner = bannerText(reply.lines);
    if (reply.code === 421) this.#warn(reply.frame, `the server refused the connection in its greeting: ${reply.text}`);
    this.#software(this.session.banner, 'banner', reply.frame);
  }

  // ---------------------------------------------------------------------------------------------
  // What commands and replies mean

  #onCommand(verb: string, arg: string, command: FtpCommand, pending: Pending): void {
    const s = this.session;
    switch (verb) {
      case 'USER': {
        const user = arg;
        const anonymous = ANONYMOUS_USERS.has(user.trim().toLowerCase());
        const login: LoginAttempt = {
          user,
          userFrames: command.frames,
          userOneSegment: command.oneSegment,
          password: null,
          passwordFrames: [],
          passwordOneSegment: null,
          account: null,
          accountFrames: [],
          outcome: 'unknown',
          replyCode: null,
          replyFrame: null,
          replyText: null,
          anonymous,
          email: null,
        };
        s.logins.push(login);
        this.#login = login;
        pending.login = login;
        break;
      }
      case 'PASS': {
        const login = this.#openLogin();
        login.password = arg;
        login.passwordFrames = command.frames;
        login.passwordOneSegment = command.oneSegment;
        if (login.anonymous) login.email = arg;
        pending.login = login;
        break;
      }
      case 'ACCT': {
        const login = this.#openLogin();
        login.account = arg;
        login.accountFrames = command.frames;
        pending.login = login;
        break;
      }
      case 'AUTH': {
        const tls = (s.tls ??= this.#newTls(false));
        tls.request = { frame: command.frame, mechanism: arg.trim() };
        break;
      }
      case 'QUIT': {
        const quit = (s.quit = { frame: command.frame, replyFrame: null, replyCode: null, replyText: null } as NonNullable<FtpSession['quit']>);
        // The segment that ended the line carries the flags a lab asks about.
        const last = command.frames[command.frames.length - 1] ?? command.frame;
        this.#segmentHeader?.(last, (h) => (quit.commandSegment = h));
        break;
      }
      case 'PORT':
      case 'EPRT':
      case 'LPRT': {
        const a = parseClientAnnouncement(`${verb} ${arg}`);
        if (a) {
          const announcement = this.#announcement(a, command.frame, command.frame, 'client');
          pending.announcement = announcement;
        } else {
          (command.notes ??= []).push(`${verb} argument not understood as an address and port`);
        }
        break;
      }
      case 'RETR': case 'STOR': case 'STOU': case 'APPE': case 'LIST': case 'NLST': case 'MLSD':
        pending.rest = s.state.rest;
        if (s.state.rest !== null) (command.notes ??= []).push(`restart at ${s.state.rest} (REST)`);
        break;
    }
  }

  #openLogin(): LoginAttempt {
    const open = this.#login;
    // PASS/ACCT after a finished attempt (or with no USER at all) start an attempt of their own.
    if (open && open.outcome === 'unknown') return open;
    const login: LoginAttempt = {
      user: null, userFrames: [], userOneSegment: null, password: null, passwordFrames: [], passwordOneSegment: null,
      account: null, accountFrames: [], outcome: 'unknown', replyCode: null, replyFrame: null, replyText: null,
      anonymous: false, email: null,
    };
    this.session.logins.push(login);
    this.#login = login;
    return login;
  }

  #onReply(p: Pending, reply: FtpReply): void {
    const s = this.session;
    const verb = p.command.command;
    const code = reply.code;
    const ok = code >= 200 && code < 300;
    if (code === 421) this.#warn(reply.frame, `421: the server is closing the control connection (${reply.text})`);
    if (p.login) this.#loginReply(p.login, verb, reply);
    this.#observer?.reply(p.command, reply);
    if (p.announcement) {
      p.announcement.replyCode = code;
      if (!reply.preliminary) p.announcement.accepted = ok;
    }
    if (reply.preliminary) return;
    switch (verb) {
      case 'AUTH': {
        const tls = (s.tls ??= this.#newTls(false));
        tls.reply = { frame: reply.frame, code, text: reply.text };
        // The parser switched to TLS on 234 (or 334 for AUTH SSL); anything else is a refusal.
        if (code !== 234 && code !== 334) tls.accepted = false;
        break;
      }
      case 'TYPE': this.#change(p, reply, 'TYPE', p.command.arg.trim().toUpperCase(), () => (s.state.type = p.command.arg.trim().toUpperCase())); break;
      case 'MODE': this.#change(p, reply, 'MODE', p.command.arg.trim().toUpperCase(), () => (s.state.mode = p.command.arg.trim().toUpperCase())); break;
      case 'STRU': this.#change(p, reply, 'STRU', p.command.arg.trim().toUpperCase(), () => (s.state.stru = p.command.arg.trim().toUpperCase())); break;
      case 'PROT': this.#change(p, reply, 'PROT', p.command.arg.trim().toUpperCase(), () => (s.state.prot = p.command.arg.trim().toUpperCase())); break;
      case 'PBSZ': this.#change(p, reply, 'PBSZ', p.command.arg.trim(), () => undefined); break;
      case 'LANG': this.#change(p, reply, 'LANG', p.command.arg.trim(), () => undefined); break;
      case 'OPTS': this.#change(p, reply, 'OPTS', p.command.arg, () => undefined); break;
      case 'EPSV':
        if (p.command.arg.trim().toUpperCase() === 'ALL') this.#change(p, reply, 'EPSV ALL', 'ALL', () => (s.state.epsvAll = true));
        else this.#passive(p, reply);
        break;
      case 'PASV': case 'LPSV': case 'SPSV':
        this.#passive(p, reply);
        break;
      case 'CWD': case 'XCWD': {
        const target = changeDirectory(s.state.cwd, p.command.arg);
        this.#change(p, reply, 'CWD', p.command.arg, () => (s.state.cwd = target), target ?? undefined);
        break;
      }
      case 'CDUP': case 'XCUP': {
        const target = parentDirectory(s.state.cwd);
        this.#change(p, reply, 'CWD', '..', () => (s.state.cwd = target), target ?? undefined);
        break;
      }
      case 'PWD': case 'XPWD':
        if (code === 257) {
          const path = quotedPath(reply.text);
          if (path !== undefined) s.state.cwd = path;
        }
        break;
      case 'REST':
        if (code === 350) {
          s.state.rest = p.command.arg.trim();
          s.stateChanges.push({ frame: p.command.frame, replyFrame: reply.frame, what: 'REST', value: s.state.rest, accepted: true });
        } else {
          s.stateChanges.push({ frame: p.command.frame, replyFrame: reply.frame, what: 'REST', value: p.command.arg.trim(), accepted: false });
        }
        break;
      case 'RETR': case 'STOR': case 'STOU': case 'APPE': case 'LIST': case 'NLST': case 'MLSD':
        // RFC 3659 §5.3: a REST marker applies to the next transfer command only.
        s.state.rest = null;
        break;
      case 'FEAT':
        if (code === 211) s.features = { frame: reply.frame, list: featureList(reply.lines) };
        break;
      case 'SYST':
        if (code === 215) {
          s.systemType = { text: reply.text, frame: reply.frame };
          this.#software(reply.text, 'SYST', reply.frame);
        }
        break;
      case 'HELP': case 'STAT':
        if (ok) this.#software(reply.lines.join('\n'), verb, reply.frame);
        break;
      case 'QUIT':
        if (s.quit && s.quit.frame === p.command.frame) {
          const quit = s.quit;
          quit.replyFrame = reply.frame;
          quit.replyCode = code;
          quit.replyText = reply.text;
          this.#segmentHeader?.(reply.frames[0] ?? reply.frame, (h) => (quit.replySegment = h));
        }
        break;
      case 'REIN':
        if (code === 220) {
          s.stateChanges.push({ frame: p.command.frame, replyFrame: reply.frame, what: 'REIN', value: '', accepted: true });
          if (this.#login) this.#login.endedByRein = p.command.frame;
          s.state = { ...s.state, type: 'A', mode: 'S', stru: 'F', rest: null, loggedIn: false, user: null };
          this.#login = undefined;
        }
        break;
    }
  }

  #loginReply(login: LoginAttempt, verb: string, reply: FtpReply): void {
    const code = reply.code;
    if (reply.preliminary) return;
    login.replyCode = code;
    login.replyFrame = reply.frame;
    login.replyText = reply.text;
    // RFC 959 §5.4 (login sequence) and RFC 2228 (232): 230/232 logged in; 202 to PASS/ACCT means
    // "superfluous", i.e. already in; 331/332 ask for more; anything 4xx/5xx ends the attempt.
    if (code === 230 || code === 232 || (code === 202 && verb !== 'USER')) {
      login.outcome = 'accepted';
      this.session.state.loggedIn = true;
      this.session.state.user = login.user;
    } else if (code === 331 || code === 332) {
      login.outcome = 'unknown';
    } else if (code >= 400) {
      login.outcome = 'rejected';
    }
  }

  #passive(p: Pending, reply: FtpReply): void {
    const first = reply.lines[0] ?? '';
    // Some servers put the address on a later line of a multi-line reply.
    const a = parseServerAnnouncement(first) ?? parseServerAnnouncement(`${reply.code} ${reply.lines.join(' ')}`);
    if (!a) {
      if (reply.code >= 227 && reply.code <= 229) (p.command.notes ??= []).push('passive reply without an address and port that could be read');
      return;
    }
    const announcement = this.#announcement(a, reply.frame, p.command.frame, 'server');
    announcement.replyCode = reply.code;
    announcement.accepted = true;
    // A passive reply sends the client to the server's data port; naming the client itself
    // (with the two ends on different hosts) is a forged or broken reply worth showing.
    const { client, server } = this.session;
    if (a.address !== undefined && a.address === client.ip && client.ip !== server.ip) {
      this.#warn(reply.frame, `the ${reply.code} reply names the client's own address ${a.address} (port ${a.port}) as the server's data port: the client would connect to itself — a spoofed or broken reply`);
    }
  }

  #announcement(a: DataPortAnnouncement, frame: number, commandFrame: number, by: 'client' | 'server'): DataChannelAnnouncement {
    // Literals (see ControlChannelParser#emitReply on spreads with more properties).
    const announcement: DataChannelAnnouncement = a.address !== undefined
      ? { kind: a.kind, address: a.address, port: a.port, frame, commandFrame, by, replyCode: null, accepted: null }
      : { kind: a.kind, port: a.port, frame, commandFrame, by, replyCode: null, accepted: null };
    if (a.portBytes !== undefined) announcement.portBytes = a.portBytes;
    if (a.address === undefined) announcement.impliedAddress = this.session.server.ip;
    const explanation = explainAnnouncement(a);
    if (explanation) announcement.explanation = explanation;
    this.session.dataChannels.push(announcement);
    this.#observer?.announcement(announcement);
    return announcement;
  }

  #change(p: Pending, reply: FtpReply, what: StateChange['what'], value: string, apply: () => unknown, result?: string): void {
    const accepted = reply.code >= 200 && reply.code < 300;
    if (accepted) apply();
    const change: StateChange = { frame: p.command.frame, replyFrame: reply.frame, what, value, accepted };
    if (result !== undefined && accepted) change.result = result;
    this.session.stateChanges.push(change);
  }

  #software(text: string, from: 'banner' | 'SYST' | 'HELP' | 'STAT', frame: number): void {
    if (this.session.serverSoftware) return;
    const match = recogniseServerSoftware(text);
    // A literal (a spread with more properties is slow in V8: see ControlChannelParser#emitReply).
    if (match) {
      this.session.serverSoftware = match.version !== undefined
        ? { name: match.name, version: match.version, evidence: match.evidence, from, frame }
        : { name: match.name, evidence: match.evidence, from, frame };
    }
  }

  #lineNotes(line: ControlLine, command: FtpCommand, side: 'client' | 'server'): void {
    const notes: string[] = [];
    if (line.truncated > 0) notes.push(`line cut: ${line.truncated} more bytes not kept`);
    if (!line.utf8) notes.push('not valid UTF-8: other bytes shown as \\xNN');
    if (line.terminator === 'lf') notes.push('ended by a bare LF, not CRLF');
    if (line.terminator === 'none') notes.push('no line end: the stream ended or broke off');
    if (command.command === '') notes.push('empty line');
    else if (!command.known) notes.push('command not in the catalogue; kept as sent');
    if (line.telnet.length > 0) {
      command.telnet = line.telnet.map((t) => t.what);
      for (const t of line.telnet) this.session.telnet.push({ frame: t.frame, direction: side, what: t.what });
    }
    if (notes.length > 0) command.notes = notes;
  }

  #newTls(implicit: boolean) {
    return {
      request: null,
      reply: null,
      accepted: implicit,
      implicit,
      encryptedFrom: null,
      encryptedUntil: null,
      records: { client: 0, server: 0 },
      cleartextAgain: null,
    } satisfies NonNullable<FtpSession['tls']> as NonNullable<FtpSession['tls']>;
  }

  #warn(frame: number, message: string): void {
    this.session.warnings.push({ frame, message });
  }
}

/** The greeting as text: each line without its "220-"/"220 " prefix. */
function bannerText(lines: string[]): string {
  return lines.map((l) => l.replace(PREFIX, '')).join('\n');
}

/** RFC 2389 §3.2: the lines between "211-" and "211 End", each a feature with a leading space. */
function featureList(lines: string[]): string[] {
  if (lines.length < 2) return [];
  return lines.slice(1, -1).map((l) => l.trim()).filter((l) => l !== '');
}
