// `ftp-inspect sessions`: one line per FTP session, for finding the interesting one in a big
// capture before asking for its report or following it. Reads the report model only; rows are
// rendered in blocks of fixed column widths, so the table for a hundred thousand sessions is
// written block by block rather than built as one string.

import Table from 'cli-table3';
import type { ControlConnectionFacts, FtpSession, FtpTransfer } from '../ftp/model.js';
import { sessionEndAfterTcp } from '../ftp/tcpFacts.js';
import { escapeControls } from './text.js';
import { widthOf } from './textTable.js';

/** One row, also the JSON shape (`sessions --format json`). */
export interface SessionLine {
  id: number;
  capture?: string;
  /** Capture time of the first frame, epoch seconds (nine decimals), and as UTC text. */
  start: string;
  startUtc: string;
  duration: string;
  client: string;
  server: string;
  controlStream: number;
  /** User of the accepted login, else of the last attempt; null when no USER was seen. */
  user: string | null;
  login: 'accepted' | 'rejected' | 'unknown' | 'none' | 'encrypted';
  commands: number;
  transfers: number;
  downloads: number;
  uploads: number;
  listings: number;
  failedTransfers: number;
  /** Bytes moved by the session's transfers (file bytes as the transfers count them). */
  bytes: number;
  closedBy: 'client' | 'server' | null;
  reset: boolean;
  /** Everything above in a few words: "logged in as student, 2 downloads, closed by client". */
  outcome: string;
}

const endpoint = (e: { ip: string; port: number }): string => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);

const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`;

const FAILED: ReadonlySet<FtpTransfer['status']> = new Set(['aborted', 'refused', 'no-data-connection', 'incomplete', 'truncated', 'size-mismatch']);

export function sessionLine(s: FtpSession): SessionLine {
  const accepted = s.logins.filter((l) => l.outcome === 'accepted').at(-1);
  const lastLogin = accepted ?? s.logins.at(-1);
  const login: SessionLine['login'] = lastLogin ? lastLogin.outcome : s.encrypted ? 'encrypted' : 'none';
  const count = (d: FtpTransfer['direction']) => s.transfers.filter((t) => t.direction === d && t.status === 'complete').length;
  const failedTransfers = s.transfers.filter((t) => FAILED.has(t.status)).length;
  const teardown = s.tcp?.teardown;
  const row: SessionLine = {
    id: s.id,
    ...(s.capture !== undefined ? { capture: s.capture } : {}),
    start: s.start.time,
    startUtc: utcText(s.start.time),
    duration: s.duration,
    client: endpoint(s.client),
    server: endpoint(s.server),
    controlStream: s.controlStream,
    user: lastLogin?.user ?? null,
    login,
    commands: s.commands.length,
    transfers: s.transfers.length,
    downloads: count('download'),
    uploads: count('upload'),
    listings: count('listing'),
    failedTransfers,
    bytes: s.transfers.reduce((sum, t) => sum + t.bytes, 0),
    closedBy: teardown?.firstCloser ?? null,
    reset: teardown?.reset ?? false,
    outcome: '',
  };
  row.outcome = outcomeText(row, s);
  return row;
}

/**
 * A row made from a session handed on before its control connection's TCP facts came (released
 * on 'close'), brought to what `sessionLine` gives for the session with them: the end and
 * duration move to the connection's last frame, and who closed it and how (the outcome's last
 * words) come from its teardown. `end` is the session's end as it was handed on.
 */
export function withLateTcpFacts(row: SessionLine, end: { frame: number; time: string }, facts: ControlConnectionFacts): void {
  const later = sessionEndAfterTcp({ time: row.start }, end, facts.lastFrame, facts.endTime);
  if (later?.duration !== undefined) row.duration = later.duration;
  const closing = closingText(row);
  row.closedBy = facts.teardown?.firstCloser ?? null;
  row.reset = facts.teardown?.reset ?? false;
  row.outcome = row.outcome.slice(0, row.outcome.length - closing.length) + closingText(row);
}

/** The outcome's last words: how the control connection ended. */
function closingText(r: SessionLine): string {
  return r.closedBy ? `${r.reset ? 'reset' : 'closed'} by ${r.closedBy}` : 'open at end of capture';
}

function outcomeText(r: SessionLine, s: FtpSession): string {
  const parts: string[] = [];
  const refused = s.logins.filter((l) => l.outcome === 'rejected').length;
  if (r.login === 'accepted') parts.push(`logged in as ${r.user ?? '?'}${refused > 0 ? ` (after ${plural(refused, 'refused login')})` : ''}`);
  else if (r.login === 'rejected') parts.push('login refused');
  else if (r.login === 'unknown') parts.push('login not answered');
  else if (r.login === 'encrypted') parts.push(s.tls?.implicit ? 'implicit TLS' : 'TLS');
  else parts.push('no login');
  if (r.login !== 'encrypted' && s.encrypted) parts.push('then TLS');
  if (r.downloads > 0) parts.push(plural(r.downloads, 'download'));
  if (r.uploads > 0) parts.push(plural(r.uploads, 'upload'));
  if (r.listings > 0) parts.push(plural(r.listings, 'listing'));
  // TLS data (PROT P): the direction is known from who sent the bytes, the contents are not.
  for (const d of ['download', 'upload', 'listing'] as const) {
    const n = s.transfers.filter((t) => t.status === 'encrypted' && t.direction === d).length;
    if (n > 0) parts.push(plural(n, `encrypted ${d}`));
  }
  if (r.failedTransfers > 0) parts.push(`${r.failedTransfers} failed or incomplete`);
  // Last, so that withLateTcpFacts can replace it.
  parts.push(closingText(r));
  return parts.join(', ');
}

/** "2026-01-15 05:01:02.123" (UTC, milliseconds) from epoch text. */
function utcText(epoch: string): string {
  const [sec, frac = '0'] = epoch.split('.');
  const ms = Number(sec) * 1000 + Number(frac.padEnd(3, '0').slice(0, 3));
  if (!Number.isFinite(ms)) return epoch;
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

const HEAD = ['#', 'Start (UTC)', 'Client', 'Server', 'User', 'Cmds', 'Xfers', 'Bytes', 'Outcome'];
const RIGHT = new Set([0, 5, 6, 7]);

const PLAIN = {
  chars: {
    top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
  },
  style: { head: [] as string[], border: [] as string[], 'padding-left': 0, 'padding-right': 0 },
};

function cells(r: SessionLine): string[] {
  const user = r.user === null ? '-' : escapeControls(r.user);
  const id = String(r.id);
  return [id, r.startUtc, r.client, r.server, user, String(r.commands), String(r.transfers), String(r.bytes), escapeControls(r.outcome)];
}

/**
 * Rows per cli-table3 table. Its layout costs the square of a table's rows (a span-conflict
 * search per cell), so blocks are kept small; the widths are fixed, so the blocks line up.
 */
const BLOCK = 100;
const MIN_OUTCOME = 16;

/**
 * The table, in blocks of BLOCK rows: `emit` is called per block. Column widths are those of
 * the widest cell over all rows (one pass over the rows before rendering), so blocks line up.
 * With `width`, the Outcome column wraps to keep each row within it.
 */
export function renderSessionsTable(
  rows: readonly SessionLine[],
  emit: (text: string) => void,
  options: { width?: number; heading?: (s: string) => string; /** Every row through cli-table3 (the test's oracle). */ cliTable3?: boolean } = {},
): void {
  if (rows.length === 0) {
    emit('No FTP control connection found.\n');
    return;
  }
  const multi = rows.some((r) => r.capture !== undefined);
  const all = rows.map((r) => cells(r));
  const widthsOf = (keep: number[]) => keep.map((i) => Math.max(HEAD[i]!.length, ...all.map((c) => [...c[i]!].length)));
  let keep = HEAD.map((_, i) => i);
  let widths = widthsOf(keep);
  const fixedWidth = (w: number[]) => w.slice(0, -1).reduce((a, b) => a + b, 0) + 2 * (w.length - 1);
  // On a narrow terminal the start time goes first (it is in the JSON); then Outcome wraps.
  if (options.width !== undefined && fixedWidth(widths) + MIN_OUTCOME > options.width) {
    keep = keep.filter((i) => i !== 1);
    widths = widthsOf(keep);
  }
  if (options.width !== undefined) widths[widths.length - 1] = Math.max(MIN_OUTCOME, Math.min(widths.at(-1)!, options.width - fixedWidth(widths)));
  const pick = (c: string[]) => keep.map((i) => c[i]!);
  const make = () => new Table({
    ...PLAIN,
    colWidths: widths,
    colAligns: keep.map((i) => (RIGHT.has(i) ? 'right' : 'left')),
    wordWrap: true,
    wrapOnWordBoundary: true,
  });
  const heading = options.heading ?? ((s: string) => s);
  const head = make();
  head.push(pick(HEAD));
  emit(`${heading(trimLines(head.toString()))}\n`);
  const right = keep.map((i) => RIGHT.has(i));
  let captureShown: string | undefined;
  for (let i = 0; i < rows.length; i += BLOCK) {
    const block = rows.slice(i, i + BLOCK);
    const picked = all.slice(i, i + BLOCK).map(pick);
    // A block whose cells all fit their columns on one line is drawn here, as cli-table3 draws
    // it (cells padded to the column widths, two spaces between); only a block with a row that
    // wraps goes through cli-table3, whose per-cell option merging and ANSI stripping cost some
    // 25 µs a cell (3.5 s of `sessions` on 9,781 sessions). Without a width, every row fits.
    // Whole blocks, not rows: how cli-table3 wraps a row with wide or combining characters
    // depends on the other rows of its table.
    const fitted = options.cliTable3 === true ? undefined : fittedLines(picked, widths, right);
    const t = fitted === undefined ? make() : undefined;
    const lines: string[] = [];
    block.forEach((r, k) => {
      if (multi && r.capture !== captureShown) {
        if (t !== undefined && t.length > 0) {
          lines.push(trimLines(t.toString()));
          t.splice(0, t.length);
        }
        captureShown = r.capture;
        lines.push(`${escapeControls(r.capture ?? '')}:`);
      }
      if (t !== undefined) t.push(picked[k]!);
      else lines.push(fitted![k]!);
    });
    if (t !== undefined && t.length > 0) lines.push(trimLines(t.toString()));
    emit(`${lines.join('\n')}\n`);
  }
}

/** Each row as one line when every cell of every row fits its column without wrapping; undefined otherwise. */
function fittedLines(rows: ReadonlyArray<readonly string[]>, widths: readonly number[], right: readonly boolean[]): string[] | undefined {
  const out: string[] = [];
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length; i++) {
      const text = row[i]!;
      if (text.includes('\n')) return undefined;
      const fill = widths[i]! - widthOf(text);
      if (fill < 0) return undefined;
      if (i > 0) line += '  ';
      line += right[i] ? ' '.repeat(fill) + text : text + ' '.repeat(fill);
    }
    out.push(line.trimEnd());
  }
  return out;
}

function trimLines(text: string): string {
  return text.split('\n').map((l) => l.trimEnd()).join('\n');
}

/** `sessions --format json`: { schemaVersion, sessions: [SessionLine…] }, written session by session. */
export function renderSessionsJson(schemaVersion: number, rows: readonly SessionLine[], emit: (text: string) => void, safeJson: (v: unknown) => string): void {
  emit(`{"schemaVersion":${schemaVersion},"sessions":[`);
  rows.forEach((r, i) => emit(`${i === 0 ? '\n' : ',\n'}${safeJson(r)}`));
  emit(rows.length === 0 ? ']}\n' : '\n]}\n');
}
