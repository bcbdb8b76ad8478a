// The FTP report as JSON: the model as it is (scripts depend on `sessions` and `credentials`,
// see FtpReport in ftp/model.ts), with the characters JSON.stringify leaves raw but a terminal
// would act on (DEL, C1 controls such as CSI, bidirectional overrides, line separators)
// written as \u escapes. The result is still valid JSON and parses to the same strings.

import type { FtpReport, FtpSession } from '../ftp/model.js';
import { TextSpool } from '../util/TextSpool.js';
import { asText, SessionSpool } from './SessionSpool.js';

const UNSAFE = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `json` with the characters above written as \u escapes. */
export function escapeUnsafe(json: string): string {
  return json.replace(UNSAFE, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** The whole report (`ftp-inspect <capture> --format json`). */
export function renderReportJson(report: FtpReport): string {
  return `${escapeUnsafe(JSON.stringify(report, null, 2))}\n`;
}

/**
 * The same text as renderReportJson, in pieces: a report of many thousand sessions is larger
 * than the longest string V8 can make (about 512 MB), so JSON.stringify of the whole fails
 * ("Invalid string length"). The outer levels — the report, its arrays, their elements, their
 * arrays — are written member by member, anything deeper with JSON.stringify, indented to its
 * place; joined, the pieces are byte for byte what JSON.stringify(report, null, 2) gives.
 */
export function* reportJsonChunks(report: FtpReport): Generator<string> {
  // A report of the caller's own holds no spooled sessions: every piece is text.
  yield* asText(jsonChunks(report));
}

/**
 * Any JSON value's text as `${escapeUnsafe(JSON.stringify(value, null, 2))}\n`, in pieces of
 * about 64 KiB: its `levels` outer levels member by member, anything deeper with one
 * JSON.stringify (the statistics of 100,000 connections: `levels` 3 writes each connection whole).
 */
export function* jsonTextChunks(value: object, levels = STREAMED_LEVELS): Generator<string> {
  let pending = '';
  for (const piece of asText(jsonChunks(value, levels))) {
    pending += piece;
    if (pending.length >= 65_536) {
      yield pending;
      pending = '';
    }
  }
  yield pending;
}

/** reportJsonChunks, with the texts of spooled sessions as their bytes (already made safe when spooled). */
function* jsonChunks(value: object, levels = STREAMED_LEVELS): Generator<string | Buffer> {
  for (const piece of jsonPieces(value, '', 0, levels)) yield typeof piece === 'string' ? escapeUnsafe(piece) : piece;
  yield '\n';
}

/** Levels written member by member (0 is the report itself). */
const STREAMED_LEVELS = 4;

/**
 * The report's sessions as ReportJsonStream keeps them: each one's JSON text by session number,
 * or, for a session too long for one string, a reference to its parts in order (see
 * ReportJsonStream.add).
 */
class SpooledSessions {
  constructor(readonly spool: TextSpool, readonly parts: TextSpool | undefined, readonly lastId: number) {}
}

/** First character of a session's slot that refers to its parts: "\0first,count" (a session's JSON begins with "{"). */
const PARTS_MARK = 0;

function* jsonPieces(value: unknown, pad: string, level: number, levels = STREAMED_LEVELS): Generator<string | Buffer> {
  if (value instanceof SpooledSessions) {
    let first = true;
    for (let id = 1; id <= value.lastId; id++) {
      const bytes = value.spool.takeBytes(id);
      if (bytes === undefined) continue;
      yield `${first ? '[' : ','}\n${pad}  `;
      first = false;
      if (bytes[0] !== PARTS_MARK) {
        yield bytes;
        continue;
      }
      const [from, count] = bytes.toString('latin1', 1).split(',').map(Number) as [number, number];
      for (let k = from; k < from + count; k++) yield value.parts!.takeBytes(k)!;
    }
    return yield first ? '[]' : `\n${pad}]`;
  }
  if (level >= levels || value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    yield stringifyAt(value, pad.length >> 1);
    return;
  }
  const inner = `${pad}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return yield '[]';
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield `${i === 0 ? '' : ','}\n${inner}`;
      const v: unknown = value[i];
      // As JSON.stringify: undefined, functions and symbols in arrays are null.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') yield 'null';
      else yield* jsonPieces(v, inner, level + 1, levels);
    }
    return yield `\n${pad}]`;
  }
  const record = value as Record<string, unknown>;
  let first = true;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      // As JSON.stringify: a member's toJSON is asked (with its key); what it gives stands for
      // the member (which is left out when that is nothing) and is written as it is, its own
      // toJSON not asked again (hence the wrapper, whose toJSON JSON.stringify asks instead).
      const given: unknown = (v as { toJSON(key: string): unknown }).toJSON(key);
      if (given === undefined || typeof given === 'function' || typeof given === 'symbol') continue;
      yield `${first ? '{' : ','}\n${inner}${JSON.stringify(key)}: `;
      first = false;
      yield stringifyAt({ toJSON: () => given }, inner.length >> 1);
      continue;
    }
    // As JSON.stringify: such members are left out.
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    yield `${first ? '{' : ','}\n${inner}${JSON.stringify(key)}: `;
    first = false;
    yield* jsonPieces(v, inner, level + 1, levels);
  }
  yield first ? '{}' : `\n${pad}}`;
}

/**
 * JSON.stringify(value, null, 2) as it reads `depth` levels in (each line after the first
 * indented by 2 × depth more spaces), 'null' where JSON.stringify gives nothing. Made by
 * JSON.stringify itself, in `depth` arrays that are cut away again: re-indenting its text line by
 * line (a replace over every report's every line) cost as much as making it.
 */
function stringifyAt(value: unknown, depth: number): string {
  if (depth === 0) return JSON.stringify(value, null, 2) ?? 'null';
  let wrapped: unknown = value;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  // In an array, what JSON.stringify gives nothing for is null, as wanted.
  const text = JSON.stringify(wrapped, null, 2);
  const cut = (WRAPPINGS[depth] ??= wrapping(depth));
  return text.slice(cut.before, text.length - cut.after);
}

/** What the arrays of stringifyAt add before and after the value, by depth. */
const WRAPPINGS: Array<{ before: number; after: number }> = [];

function wrapping(depth: number): { before: number; after: number } {
  let wrapped: unknown = 0;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  const at = text.indexOf('0');
  return { before: at, after: text.length - at - 1 };
}

/**
 * The JSON report made session by session, for a capture too large to hold every session
 * (analyzeSessionBySession, with listings and statistics): `add` each session as it ends — its
 * JSON is made then and kept in a spool file (util/TextSpool) — and `chunks(report)` gives, for
 * the analysis's report (its sessions not kept), byte for byte what reportJsonChunks gives for
 * the whole report.
 */
export class ReportJsonStream {
  readonly #sessions: SessionSpool;
  readonly #spoolDir: string | undefined;
  /** Parts of the sessions too long for one string, made at the first such session. */
  #parts: TextSpool | undefined;
  #partCount = 0;
  readonly #maxSessionText: number;

  /**
   * `spoolDir`: where the spool files go (the output's folder, or the system's temporary one).
   * `maxSessionText`: a session whose JSON is longer is spooled in parts, as one too long for a
   * string is (for tests; default: only those).
   */
  constructor(spoolDir?: string, options: { maxSessionText?: number } = {}) {
    this.#sessions = new SessionSpool(spoolDir);
    this.#spoolDir = spoolDir;
    this.#maxSessionText = options.maxSessionText ?? Infinity;
  }

  /** A session as it ends (FtpAnalyzerOptions.onSession). */
  add(s: FtpSession): void {
    this.#sessions.note(s);
    // Its place in the report: an element of `sessions` (level 2), indented by four spaces; made
    // safe now, so its bytes can be written as they come back.
    let text: string | undefined;
    try {
      text = stringifyAt(s, 2);
    } catch (error) {
      // Longer than V8's longest string (about 512 MB: a mirroring client's session can list
      // millions of entries): made member by member below, as the whole report is.
      if (!(error instanceof RangeError)) throw error;
    }
    if (text !== undefined && text.length <= this.#maxSessionText) this.#sessions.spool.put(s.id, escapeUnsafe(text));
    else this.#putInParts(s);
  }

  /** Spools `s` as parts of about PART_CHARS in the parts spool, and a reference to them in its slot. */
  #putInParts(s: FtpSession): void {
    const parts = (this.#parts ??= new TextSpool(this.#spoolDir));
    const from = this.#partCount;
    let part = '';
    for (const piece of jsonPieces(s, '    ', 2)) {
      // A session's own pieces are text (only SpooledSessions gives bytes).
      part += piece as string;
      if (part.length >= PART_CHARS) {
        parts.put(this.#partCount++, escapeUnsafe(part));
        part = '';
      }
    }
    if (part !== '') parts.put(this.#partCount++, escapeUnsafe(part));
    this.#sessions.spool.put(s.id, `${String.fromCharCode(PARTS_MARK)}${from},${this.#partCount - from}`);
  }

  /** The report's text in pieces (as reportJsonChunks gives the whole report's). */
  *chunks(report: FtpReport): Generator<string> {
    yield* asText(this.output(report));
  }

  /**
   * The same pieces, each session's as the UTF-8 bytes kept in the spool (a Buffer of the
   * caller's own), for writing without decoding and encoding them again.
   */
  *output(report: FtpReport): Generator<string | Buffer> {
    const sessions = this.#sessions;
    try {
      // The report's own keys in their order, its sessions read back from the spool in order.
      yield* jsonChunks({ ...report, sessions: new SpooledSessions(sessions.spool, this.#parts, sessions.lastId) as unknown as FtpSession[], credentials: sessions.credentials() });
    } finally {
      sessions.close();
      this.#parts?.close();
    }
  }
}

/** Length of the parts a session too long for one string is spooled in. */
const PART_CHARS = 1 << 20;

/** The credentials only (`ftp-inspect creds --format json`): { credentials, redacted }. */
export function renderCredentialsJson(report: FtpReport): string {
  return `${escapeUnsafe(JSON.stringify({ credentials: report.credentials, redacted: report.redacted }, null, 2))}\n`;
}
