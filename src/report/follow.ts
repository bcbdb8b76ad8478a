// `ftp-inspect follow` renderers: the turns of one TCP connection (src/follow.ts) as text (the
// conversation as Wireshark's Follow TCP Stream shows it, escaped for a terminal), as a hex
// dump (Wireshark's "Hex Dump" view) for binary data, or as JSON. Each works turn by turn, so
// a followed 1 GB transfer is printed without being held.

import type { FollowSide, FollowTurn } from '../follow.js';
import type { ConnectionStart } from '../tcp/StreamEvents.js';
import { paint } from './terminal.js';
import { bytesToSafeText, escapeControls } from './text.js';

export type FollowShow = 'auto' | 'text' | 'hex';

export interface FollowTitle {
  stream: number;
  /** What the connection is to FTP, when known: "FTP session 1, control connection". */
  role?: string;
}

const endpoint = (e: { ip: string; port: number }): string => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);

export function followTextHeader(title: FollowTitle, c: ConnectionStart, color: boolean): string {
  const role = title.role ? ` (${escapeControls(title.role)})` : '';
  const guessed = c.rolesFrom === 'heuristic' ? ' (no handshake in the capture: roles guessed)' : '';
  return [
    paint(`Follow TCP stream ${title.stream}${role}`, 'bold', color),
    `  client ${endpoint(c.client)}, server ${endpoint(c.server)}${guessed}`,
    '  client turns are indented by 2, server turns by 4; line ends CR LF are not shown, other control bytes are escaped',
    '',
    '',
  ].join('\n');
}

function frameList(frames: readonly number[]): string {
  if (frames.length === 1) return `frame ${frames[0]}`;
  const shown = frames.length > 12 ? `${frames.slice(0, 10).join(', ')}, …, ${frames.at(-1)} (${frames.length} frames)` : frames.join(', ');
  return `frames ${shown}`;
}

/**
 * True when the bytes read as text: no NUL, and at least three quarters of them printable
 * ASCII, tab, CR or LF (all bytes count when they are valid UTF-8). A control line with an
 * escape sequence in it stays text (escaped); a binary file or TLS record gets a hex dump.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  let printable = 0;
  let high = 0;
  for (const b of bytes) {
    if (b === 0) return false;
    if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
    else if (b >= 0x80) high++;
  }
  if (high > 0 && printable + high >= bytes.length * 0.75) {
    try {
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
      return true;
    } catch {
      // not UTF-8: only the ASCII counts
    }
  }
  return printable >= bytes.length * 0.75;
}

/** One turn as text: a header line with side, frames and byte range, then its lines or hex dump. */
export function followTextTurn(turn: FollowTurn, show: FollowShow, color: boolean): string {
  const indent = turn.from === 'client' ? '  ' : '    ';
  if (turn.kind === 'gap') {
    const why = turn.reason === 'snaplen' ? 'cut by the snap length' : turn.reason === 'buffer-limit' ? 'dropped by the reassembly limit' : 'not in the capture';
    return `${paint(`${turn.from}: [${turn.length} bytes missing]`, 'yellow', color)} bytes ${turn.offset}-${turn.offset + turn.length - 1}, ${why} (noticed at frame ${turn.frame})\n`;
  }
  if (turn.kind === 'end') {
    const how = turn.reason === 'fin' ? 'FIN' : turn.reason === 'rst' ? 'RST' : turn.reason === 'connection-limit' ? 'open-connection limit' : 'end of the capture';
    return `${turn.from} done: ${how}${turn.frame !== null ? ` in frame ${turn.frame}` : ''}\n`;
  }
  const last = turn.offset + turn.bytes.length - 1;
  const head = `${turn.from}${turn.continued ? ' (continued)' : ''}, ${frameList(turn.frames)}, bytes ${turn.offset}-${last} (${turn.bytes.length})`;
  const asText = show === 'text' || (show === 'auto' && looksLikeText(turn.bytes));
  const body = asText ? textLines(turn.bytes, indent) : hexDump(turn.bytes, turn.offset, indent);
  return `${paint(head, turn.from === 'client' ? 'red' : 'cyan', color)}\n${body}`;
}

/** Lines split at LF; a CR right before the LF is dropped, every other control byte escaped. */
function textLines(bytes: Uint8Array, indent: string): string {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    if (i === bytes.length && start === bytes.length) break;
    let end = i;
    if (i < bytes.length && end > start && bytes[end - 1] === 0x0d) end--;
    const bareLf = i < bytes.length && end === i;
    out.push(`${indent}${bytesToSafeText(bytes.subarray(start, end))}${bareLf ? '\\x0a' : ''}`);
    start = i + 1;
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** Wireshark's hex dump: offset, 16 bytes in two groups of eight, then the bytes as ASCII ('.' for the rest). */
export function hexDump(bytes: Uint8Array, offset: number, indent = ''): string {
  const out: string[] = [];
  for (let row = 0; row < bytes.length; row += 16) {
    const slice = bytes.subarray(row, row + 16);
    let hex = '';
    let ascii = '';
    for (let k = 0; k < 16; k++) {
      if (k === 8) {
        hex += ' ';
        ascii += ' ';
      }
      const b = slice[k];
      hex += b === undefined ? '   ' : `${b.toString(16).padStart(2, '0')} `;
      if (b !== undefined) ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    out.push(`${indent}${(offset + row).toString(16).padStart(8, '0')}  ${hex} ${ascii.trimEnd()}`);
  }
  return `${out.join('\n')}\n`;
}

/** Summary after the last turn. */
export function followTextFooter(bytes: Record<FollowSide, number>, missing: Record<FollowSide, number>): string {
  const side = (s: FollowSide) => `${s} ${bytes[s]} bytes${missing[s] > 0 ? ` (${missing[s]} missing)` : ''}`;
  return `\n${side('client')}, ${side('server')}\n`;
}

// ---------------------------------------------------------------- JSON

const UNSAFE_JSON = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON.stringify, with the characters a terminal would act on written as \u escapes (as ftpJson does). */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_JSON, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

export function followJsonHeader(schemaVersion: number, capture: string, title: FollowTitle & { session?: number; transfer?: number }, c: ConnectionStart | null): string {
  const head = {
    schemaVersion,
    capture,
    stream: title.stream,
    ...(title.session !== undefined ? { session: title.session } : {}),
    ...(title.transfer !== undefined ? { transfer: title.transfer } : {}),
    ...(title.role ? { role: title.role } : {}),
    client: c?.client ?? null,
    server: c?.server ?? null,
    rolesFrom: c?.rolesFrom ?? null,
  };
  return `${safeJson(head).slice(0, -1)},"turns":[`;
}

/**
 * One turn as JSON. Data turns carry `text` when the bytes are valid UTF-8, otherwise
 * `base64`; both give back the exact bytes.
 */
export function followJsonTurn(turn: FollowTurn): Record<string, unknown> {
  if (turn.kind === 'gap') return { from: turn.from, offset: turn.offset, missing: turn.length, reason: turn.reason, frame: turn.frame };
  if (turn.kind === 'end') return { from: turn.from, end: turn.reason, frame: turn.frame };
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(turn.bytes);
  } catch {
    text = undefined;
  }
  return {
    from: turn.from,
    offset: turn.offset,
    length: turn.bytes.length,
    frames: turn.frames,
    ...(turn.continued ? { continued: true } : {}),
    ...(text !== undefined ? { text } : { base64: Buffer.from(turn.bytes.buffer, turn.bytes.byteOffset, turn.bytes.byteLength).toString('base64') }),
  };
}

export function followJsonFooter(bytes: Record<FollowSide, number>, missing: Record<FollowSide, number>): string {
  return `],"bytes":${safeJson(bytes)},"missing":${safeJson(missing)}}\n`;
}
