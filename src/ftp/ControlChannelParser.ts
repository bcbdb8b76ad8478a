// The FTP control-channel parser: the mechanism half of FTP analysis. It takes the in-order
// bytes of both directions of one control connection and hands on events — a command, a
// reply, a server line that is no reply, a switch to or from TLS, a warning — and decides
// nothing about what they mean for the session (FtpSessionBuilder does that, one level up).
//
// The one protocol decision made here is when to stop reading text: after a 234 reply to
// AUTH TLS / AUTH SSL (RFC 4217 §4; 334 for AUTH SSL in the pre-RFC drafts) the bytes are TLS
// records, and reading them as lines would report garbage as commands. TLS records are then
// only followed (TlsRecordTracker) to notice a return to cleartext (CCC, RFC 4217 §12).

import type { Direction, StreamChunk, StreamEnd, StreamGap } from '../tcp/StreamEvents.js';
import { commandInfo } from './commands.js';
import { ReplyAssembler, type AssembledReply } from './ReplyAssembler.js';
import { TelnetLineReader, type ControlLine, type TelnetLineReaderOptions } from './TelnetLineReader.js';
import { TlsRecordTracker, startsTlsHandshake } from './TlsRecordTracker.js';

export interface ParsedCommand {
  line: ControlLine;
  /** Verb upper-cased when it is letters only, otherwise as sent. */
  command: string;
  /** Everything after the first space, as sent. */
  arg: string;
  known: boolean;
}

export interface ParsedReply extends AssembledReply {
  /** Frame that completed the reply. */
  endFrame: number;
  tsSec: number;
  tsNsec: number;
}

export type TlsStartReason =
  | { kind: 'auth'; mechanism: string; replyCode: number }
  /** A TLS handshake record where a line should have started (AUTH reply missed, or implicit TLS). */
  | { kind: 'handshake-seen'; direction: Direction };

export interface ControlChannelHandler {
  command(command: ParsedCommand): void;
  reply(reply: ParsedReply): void;
  /** A server line outside any reply that has no three-digit code. */
  nonReply(line: ControlLine): void;
  /** From now on both directions carry TLS; `frame` is the frame where it was decided. */
  tlsStarted(reason: TlsStartReason, frame: number): void;
  /** Bytes that were not parsed as text (TLS records, or bytes after lost record boundaries). */
  encrypted(direction: Direction, bytes: number, frames: readonly number[], records: number): void;
  /** One direction carries text again after TLS; `frame` is the first frame with text. */
  cleartextAgain(direction: Direction, frame: number): void;
  warning(frame: number, message: string): void;
  /** Bytes of one direction will never be seen (reported before the bytes that follow them). */
  gap?(direction: Direction, frame: number): void;
  /** Bytes read as text (commands, replies, Telnet commands, line ends). */
  textBytes?(direction: Direction, count: number): void;
}

export interface ControlChannelParserOptions extends TelnetLineReaderOptions {
  /** Lines one multi-line reply may have (default 10000). */
  maxReplyLines?: number;
  /** Start in TLS (implicit FTPS, port 990): nothing is read as text unless it turns out to be text. */
  startEncrypted?: boolean;
}

type Mode = 'text' | 'tls' | 'lost';

/** AUTH mechanisms that start TLS (RFC 4217 §4 names TLS; SSL, TLS-C and TLS-P are older names in use). */
const TLS_MECHANISMS = new Set(['TLS', 'SSL', 'TLS-C', 'TLS-P']);

export class ControlChannelParser {
  readonly #handler: ControlChannelHandler;
  readonly #readers: [TelnetLineReader, TelnetLineReader];
  readonly #replies: ReplyAssembler;
  /** Made at the first TLS record (most control connections never carry one). */
  #tls: [TlsRecordTracker, TlsRecordTracker] | undefined;
  readonly #mode: [Mode, Mode] = ['text', 'text'];
  /** Mechanism of the last AUTH the client sent, until a 234/334 answered it. */
  #lastAuth: string | undefined;
  readonly #ended: [boolean, boolean] = [false, false];
  /** A gap came last in this direction: the next line may be the tail of one whose start was lost. */
  readonly #afterGap: [boolean, boolean] = [false, false];

  constructor(handler: ControlChannelHandler, options: ControlChannelParserOptions = {}, startEncrypted = options.startEncrypted === true) {
    this.#handler = handler;
    this.#readers = [new TelnetLineReader(options), new TelnetLineReader(options)];
    this.#replies = new ReplyAssembler(options.maxReplyLines !== undefined ? { maxLines: options.maxReplyLines } : {});
    if (startEncrypted) this.#mode.fill('tls');
  }

  /** How each direction is being read: 0 client, 1 server. */
  mode(direction: Direction): Mode {
    return this.#mode[direction];
  }

  data(chunk: StreamChunk): void {
    const dir = chunk.direction;
    if (this.#ended[dir] || chunk.bytes.length === 0) return;
    let at = 0;
    // Each pass reads the chunk in the direction's current mode until it is used up or the mode changes.
    while (at < chunk.bytes.length) {
      const mode = this.#mode[dir];
      if (mode === 'text') {
        const next = this.#readText(chunk, at);
        if (next > at) this.#handler.textBytes?.(dir, next - at);
        at = next;
      } else {
        at = this.#readEncrypted(chunk, at, mode);
      }
    }
  }

  gap(gap: StreamGap): void {
    const dir = gap.direction;
    const side = dir === 0 ? 'client' : 'server';
    this.#handler.warning(gap.frame, `${gap.end - gap.start} bytes missing from the ${side} side (${gap.reason}) at stream offset ${gap.start}`);
    this.#handler.gap?.(dir, gap.frame);
    if (this.#mode[dir] !== 'text') {
      // Record boundaries are lost with the bytes; pick them up again at the next chunk.
      this.#tracker(dir).resync();
      this.#mode[dir] = 'lost';
      return;
    }
    const dropped = this.#readers[dir].discard();
    if (dropped > 0) this.#handler.warning(gap.frame, `a partial ${side} line of ${dropped} bytes before the gap was dropped`);
    this.#afterGap[dir] = true;
    if (dir === 1) {
      const partial = this.#replies.flush('bytes missing (gap)');
      if (partial) this.#emitReply(partial);
    }
  }

  end(end: StreamEnd): void {
    const dir = end.direction;
    if (this.#ended[dir]) return;
    this.#ended[dir] = true;
    if (end.reason === 'connection-limit' && dir === 0) {
      this.#handler.warning(end.frame ?? 0, 'the TCP stage stopped following this connection here: more connections were open than it holds (maxOpen) and this one had been quiet longest; nothing after this frame is analysed');
    }
    if (this.#mode[dir] !== 'text') return;
    const line = this.#readers[dir].flush();
    if (line && (line.bytes.length > 0 || line.truncated > 0)) {
      this.#handler.warning(line.endFrame, `the ${dir === 0 ? 'client' : 'server'} side ended inside a line (no CRLF)`);
      this.#line(dir, line);
    }
    if (dir === 1) {
      const partial = this.#replies.flush('the server side ended');
      if (partial) this.#emitReply(partial);
    }
  }

  /** Called when the connection is over: flushes whatever is still open. */
  close(): void {
    this.end({ direction: 0, reason: 'end-of-capture' });
    this.end({ direction: 1, reason: 'end-of-capture' });
  }

  #readText(chunk: StreamChunk, start: number): number {
    const dir = chunk.direction;
    const reader = this.#readers[dir];
    // A TLS handshake where a line should start: the AUTH exchange was not seen (or never
    // happened). Reading it as text would invent commands, so switch now.
    if (!reader.inLine && startsTlsHandshake(chunk.bytes, start)) {
      const frame = chunk.frames[0] ?? -1;
      this.#startTls({ kind: 'handshake-seen', direction: dir }, frame);
      return start;
    }
    reader.begin(chunk, start);
    for (let line = reader.nextLine(); line; line = reader.nextLine()) {
      this.#line(dir, line);
      if (this.#mode[dir] !== 'text') return reader.position;
    }
    return chunk.bytes.length;
  }

  #tracker(dir: Direction): TlsRecordTracker {
    return (this.#tls ??= [new TlsRecordTracker(), new TlsRecordTracker()])[dir];
  }

  #readEncrypted(chunk: StreamChunk, start: number, mode: Mode): number {
    const dir = chunk.direction;
    const bytes = chunk.bytes;
    const tracker = this.#tracker(dir);
    if (mode === 'lost') {
      // Only the start of a delivery can be trusted as a boundary after a gap or garbage.
      if (start === 0 && startsTlsRecord(bytes)) {
        tracker.resync();
        this.#mode[dir] = 'tls';
        return 0;
      }
      if (start === 0 && looksLikeFtpLine(bytes, dir)) {
        this.#backToText(dir, chunk, 0);
        return 0;
      }
      this.#handler.encrypted(dir, bytes.length - start, chunk.frames, 0);
      return bytes.length;
    }
    const result = tracker.feed(bytes, start);
    const end = result.kind === 'tls' ? bytes.length : result.at;
    if (end > start) this.#handler.encrypted(dir, end - start, chunk.frames, result.records);
    if (result.kind === 'cleartext') {
      this.#backToText(dir, chunk, result.at);
      return result.at;
    }
    if (result.kind === 'lost') {
      this.#handler.warning(chunk.frames[chunk.frames.length - 1] ?? -1, `${dir === 0 ? 'client' : 'server'} bytes after TLS are neither TLS records nor text; not parsed`);
      this.#mode[dir] = 'lost';
      this.#handler.encrypted(dir, bytes.length - result.at, chunk.frames, 0);
      return bytes.length;
    }
    return bytes.length;
  }

  #backToText(dir: Direction, chunk: StreamChunk, at: number): void {
    this.#mode[dir] = 'text';
    this.#tracker(dir).resync();
    // Text from the start of a delivery came in its first frame; later in it, in (at most) its last.
    const frame = at === 0 ? chunk.frames[0] : chunk.frames[chunk.frames.length - 1];
    this.#handler.cleartextAgain(dir, frame ?? -1);
  }

  #line(dir: Direction, line: ControlLine): void {
    if (this.#afterGap[dir]) {
      this.#afterGap[dir] = false;
      // The first line after a gap is kept only when it starts the way a whole line does (a
      // known command, a reply code); otherwise it is the tail of a line begun in the gap.
      const whole = dir === 0 ? commandInfo(/^\S*/.exec(line.text)?.[0] ?? '') !== undefined : /^[1-6][0-9]{2}([ -]|$)/.test(line.text);
      if (!whole) {
        const shown = line.text.length > 60 ? `${line.text.slice(0, 60)}…` : line.text;
        this.#handler.warning(line.endFrame, `${dir === 0 ? 'client' : 'server'} line after the gap dropped as the tail of a lost line: "${shown}"`);
        return;
      }
    }
    if (line.truncated > 0) {
      this.#handler.warning(line.endFrame, `${dir === 0 ? 'client' : 'server'} line longer than kept: ${line.truncated} bytes dropped`);
    }
    if (dir === 0) {
      this.#command(line);
      return;
    }
    const item = this.#replies.push(line);
    if (!item) return;
    if (item.kind === 'non-reply') this.#handler.nonReply(item.line);
    else this.#emitReply(item.reply);
  }

  #command(line: ControlLine): void {
    const text = line.text;
    const space = text.indexOf(' ');
    const verb = space < 0 ? text : text.slice(0, space);
    const arg = space < 0 ? '' : text.slice(space + 1);
    const command = /^[A-Za-z]+$/.test(verb) ? verb.toUpperCase() : verb;
    const known = commandInfo(command) !== undefined;
    if (command === 'AUTH') this.#lastAuth = arg.trim().toUpperCase();
    this.#handler.command({ line, command, arg, known });
  }

  #emitReply(reply: AssembledReply): void {
    const last = reply.lines[reply.lines.length - 1];
    // A literal, not `{ ...reply, endFrame, … }`: V8 (Node 20) takes a slow path, several µs,
    // for a spread followed by more properties — a tenth of the FTP stage on many short sessions.
    const parsed: ParsedReply = {
      code: reply.code, text: reply.text, lines: reply.lines, notes: reply.notes,
      endFrame: last?.endFrame ?? -1, tsSec: last?.tsSec ?? 0, tsNsec: last?.tsNsec ?? 0,
    };
    this.#handler.reply(parsed);
    // 234 and 334 answer AUTH only (RFC 2228 §4), so the last AUTH sent is the one answered,
    // whatever other replies a pipelining client has pending.
    const mechanism = this.#lastAuth;
    if (mechanism === undefined || (reply.code !== 234 && reply.code !== 334)) return;
    this.#lastAuth = undefined;
    if (TLS_MECHANISMS.has(mechanism) && (reply.code === 234 || mechanism === 'SSL')) {
      this.#startTls({ kind: 'auth', mechanism, replyCode: reply.code }, parsed.endFrame);
    }
  }

  #startTls(reason: TlsStartReason, frame: number): void {
    this.#handler.tlsStarted(reason, frame);
    for (const dir of [0, 1] as const) {
      if (this.#mode[dir] !== 'text') continue;
      this.#mode[dir] = 'tls';
      this.#tracker(dir).resync();
      // Bytes already gathered into a line on the other side are TLS too (a client that sent
      // its ClientHello in the same segment as nothing else would not have any).
      const pending = this.#readers[dir].takePending();
      if (pending.bytes.length > 0) {
        const result = this.#tracker(dir).feed(pending.bytes);
        this.#handler.encrypted(dir, pending.bytes.length, pending.frames, result.records);
      }
    }
    this.#replies.flush('TLS started');
  }
}

/** True when the bytes begin with a TLS record header (any content type, SSL 3.0 to TLS 1.3 version). */
function startsTlsRecord(bytes: Uint8Array): boolean {
  const type = bytes[0] ?? 0;
  return bytes.length >= 3 && type >= 20 && type <= 24 && bytes[1] === 3 && (bytes[2] as number) <= 4;
}

/** True when a delivery starts the way an FTP line does: a command verb, or a reply code. */
export function looksLikeFtpLine(bytes: Uint8Array, dir: Direction): boolean {
  const head = String.fromCharCode(...bytes.subarray(0, Math.min(bytes.length, 8)));
  return dir === 0 ? /^[A-Za-z]{3,4}( |\r?\n)/.test(head) : /^[1-5][0-9]{2}[ -]/.test(head);
}
