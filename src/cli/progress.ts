// A progress line on standard error while captures are read: bytes read of the total, MB/s and
// the time left. Only on a terminal, never with --quiet, and never while a report streams to
// the same terminal (it would tear the report's lines apart).

import { fstatSync, statSync, type Stats } from 'node:fs';

/** How often the line is redrawn at most. */
const REDRAW_MS = 250;
/** Nothing is drawn for a run shorter than this (a small capture should not flicker a line). */
const DEFAULT_DELAY_MS = 500;

export interface ProgressTarget {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** Milliseconds before the first line; FTP_INSPECT_PROGRESS_DELAY_MS overrides it (tests use 0). */
  delayMs?: number;
  now?: () => number;
}

/**
 * Counts bytes taken from the inputs (`add`, fed by readCapture's `onInputBytes`) and redraws
 * one line in place. `total` is the sum of the inputs' sizes on disk (gzip inputs are counted
 * as stored, before decompression, so the total is right for them too); standard input or a
 * pipe has no known size, and then the line shows bytes read and speed only (standard input
 * redirected from a file has one).
 */
export class Progress {
  readonly #target: ProgressTarget;
  readonly #total: number | undefined;
  readonly #delay: number;
  readonly #now: () => number;
  readonly #start: number;
  #read = 0;
  #lastDraw = 0;
  #shown = false;

  constructor(target: ProgressTarget, total: number | undefined, options: ProgressOptions = {}) {
    this.#target = target;
    this.#total = total;
    this.#now = options.now ?? Date.now;
    const fromEnv = Number(process.env.FTP_INSPECT_PROGRESS_DELAY_MS);
    this.#delay = options.delayMs ?? (process.env.FTP_INSPECT_PROGRESS_DELAY_MS !== undefined && Number.isFinite(fromEnv) ? fromEnv : DEFAULT_DELAY_MS);
    this.#start = this.#now();
  }

  /** Bytes just read from an input. */
  add = (bytes: number): void => {
    this.#read += bytes;
    const now = this.#now();
    if (now - this.#start < this.#delay || (this.#shown && now - this.#lastDraw < REDRAW_MS)) return;
    this.#lastDraw = now;
    this.#shown = true;
    this.#target.write(`\r${fit(this.line(now), this.#target.columns)}\u001b[K`);
  };

  /** The text of the line at time `now`. */
  line(now: number): string {
    const seconds = Math.max((now - this.#start) / 1000, 0.001);
    const rate = this.#read / seconds;
    const speed = `${(rate / 1e6).toFixed(1)} MB/s`;
    if (this.#total === undefined || this.#total <= 0) return `ftp-inspect: read ${size(this.#read)} (size not known), ${speed}`;
    const read = Math.min(this.#read, this.#total);
    const percent = Math.floor((100 * read) / this.#total);
    const left = rate > 0 ? (this.#total - read) / rate : Infinity;
    return `ftp-inspect: read ${size(read)} of ${size(this.#total)} (${percent} %), ${speed}, ${duration(left)} left`;
  }

  /** Takes the line away (before a report or a warning is written, and at the end). */
  clear(): void {
    if (!this.#shown) return;
    this.#shown = false;
    this.#target.write('\r\u001b[K');
  }
}

/**
 * A progress line for these captures, or undefined when none should be drawn: standard error
 * is not a terminal, `--quiet`, or the command writes to standard output while reading and
 * standard output is that terminal too (`streamsToStdout` and no -o FILE).
 */
export function progressFor(captures: readonly string[], opts: { quiet?: boolean; output?: string }, streamsToStdout: boolean): Progress | undefined {
  const stderr = process.stderr;
  if (opts.quiet === true || stderr.isTTY !== true) return undefined;
  if (streamsToStdout && (opts.output === undefined || opts.output === '-') && process.stdout.isTTY === true) return undefined;
  let total: number | undefined = 0;
  for (const c of captures) {
    // Standard input redirected from a file (< capture.pcap) has a size; a pipe has none.
    const stat = c === '-' ? safeStat(0) : safeStat(c);
    if (stat === undefined || !stat.isFile()) {
      total = undefined;
      break;
    }
    total += Number(stat.size);
  }
  return new Progress(stderr, total);
}

function safeStat(path: string | number): Stats | undefined {
  try {
    return typeof path === 'number' ? fstatSync(path) : statSync(path);
  } catch {
    return undefined; // reading it will say why
  }
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(0)} kB`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Cut to the terminal's width (minus one column, so the cursor never wraps onto a new line). */
function fit(text: string, columns: number | undefined): string {
  return columns !== undefined && columns > 1 && text.length > columns - 1 ? text.slice(0, columns - 1) : text;
}
