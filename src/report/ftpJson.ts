// The FTP report as JSON: the model as it is (scripts depend on `sessions` and `credentials`,
// see FtpReport in ftp/model.ts), with the characters JSON.stringify leaves raw but a terminal
// would act on (DEL, C1 controls such as CSI, bidirectional overrides, line separators)
// written as \u escapes. The result is still valid JSON and parses to the same strings.

import type { FtpReport, FtpSession } from '../ftp/model.js';
import type { TextSpool } from '../util/TextSpool.js';
import { SessionSpool } from './SessionSpool.js';

const UNSAFE = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeUnsafe(json: string): string {
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
  for (const piece of jsonPieces(report, '', 0)) yield escapeUnsafe(piece);
  yield '\n';
}

/** Levels written member by member (0 is the report itself). */
const STREAMED_LEVELS = 4;

/** The report's sessions as ReportJsonStream keeps them: each one's JSON text, by session number. */
class SpooledSessions {
  constructor(readonly spool: TextSpool, readonly lastId: number) {}
}

function* jsonPieces(value: unknown, pad: string, level: number): Generator<string> {
  if (value instanceof SpooledSessions) {
    let first = true;
    for (let id = 1; id <= value.lastId; id++) {
      const text = value.spool.get(id);
      if (text === undefined) continue;
      yield `${first ? '[' : ','}\n${pad}  `;
      first = false;
      yield text;
    }
    return yield first ? '[]' : `\n${pad}]`;
  }
  if (level >= STREAMED_LEVELS || value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    // Strings hold no raw line breaks (JSON escapes them), so every \n is one of the layout's.
    yield (JSON.stringify(value, null, 2) ?? 'null').replace(/\n/g, `\n${pad}`);
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
      else yield* jsonPieces(v, inner, level + 1);
    }
    return yield `\n${pad}]`;
  }
  const record = value as Record<string, unknown>;
  let first = true;
  for (const key of Object.keys(record)) {
    const v = record[key];
    // As JSON.stringify: such members are left out.
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    yield `${first ? '{' : ','}\n${inner}${JSON.stringify(key)}: `;
    first = false;
    yield* jsonPieces(v, inner, level + 1);
  }
  yield first ? '{}' : `\n${pad}}`;
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

  /** `spoolDir`: where the spool file goes (the output's folder, or the system's temporary one). */
  constructor(spoolDir?: string) {
    this.#sessions = new SessionSpool(spoolDir);
  }

  /** A session as it ends (FtpAnalyzerOptions.onSession). */
  add(s: FtpSession): void {
    this.#sessions.note(s);
    // Its place in the report: an element of `sessions` (level 2), indented by four spaces.
    this.#sessions.spool.put(s.id, [...jsonPieces(s, '    ', 2)].join(''));
  }

  *chunks(report: FtpReport): Generator<string> {
    const sessions = this.#sessions;
    try {
      // The report's own keys in their order, its sessions read back from the spool in order.
      yield* reportJsonChunks({ ...report, sessions: new SpooledSessions(sessions.spool, sessions.lastId) as unknown as FtpSession[], credentials: sessions.credentials() });
    } finally {
      sessions.close();
    }
  }
}

/** The credentials only (`ftp-inspect creds --format json`): { credentials, redacted }. */
export function renderCredentialsJson(report: FtpReport): string {
  return `${escapeUnsafe(JSON.stringify({ credentials: report.credentials, redacted: report.redacted }, null, 2))}\n`;
}
