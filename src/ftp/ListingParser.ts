// Directory listings (LIST, NLST, MLSD data connections) read into entries.
//
// RFC 959 leaves LIST's format to the server ("the information on a file may vary widely
// from system to system"); in practice servers send one of two shapes:
//  - Unix `ls -l` lines (pure-ftpd, vsftpd, proftpd, wu-ftpd, most embedded servers):
//      -rw-r--r--    1 owner    group       32768 Jan 15  2026 name
//      drwxr-xr-x    2 owner    group        4096 Jan 15 12:00 name
//      lrwxrwxrwx    1 owner    group           7 Jan 15 12:00 link -> target
//      crw-rw-rw-    1 root     root       1,   3 Jan 15 12:00 null     (device: major, minor)
//    sometimes without the group column (8 columns) or without the link count, sometimes
//    with ISO dates (`ls --time-style=long-iso`). The name is everything after the single
//    space that follows the date, so names with spaces, and leading spaces, are kept whole.
//  - DOS / IIS lines: `01-15-26  12:00PM       <DIR>          uploads`,
//    `01-15-26  12:00PM                32768 active-32k.bin` (also 4-digit years, 24 h times).
// MLSD (RFC 3659 §7) is specified: `fact=value;fact=value; name`, fact names without regard
// to case (§7.5), the pathname after the first "; " (a value cannot contain ';'), times in
// UTC as YYYYMMDDHHMMSS[.sss] (§2.3). NLST (RFC 959 §4.1.3) is one name per line.
//
// The year of an `ls -l` time: ls prints "Mon DD HH:MM" only for files changed within the
// six months before it ran, and "Mon DD  YYYY" otherwise. So a time without a year is put in
// the year that makes it no later than the capture time (plus one day of slack for time zones
// and clocks): the capture year, or the year before when that would be in the future. Such
// entries say `yearInferred: true` (with no capture time to go by, the ISO 8601 form without a
// year, `--01-15T12:00`, is written). LIST times are the server's local time, zone unknown, and
// are written without one (`2026-01-15T12:00`); MLSD times are UTC (`…Z`).
//
// The collector takes the decoded data stream in pieces (a line may be cut anywhere),
// keeps at most one line (MAX_LINE_BYTES) and a capped number of entries, and never throws.

import type { DataPosition, DataSink } from './data/DataDecoder.js';
import type { FtpListing, ListingEntry, ListingEntryType, ListingFormat, ListingUnparsed } from './model.js';
import { decodeLine } from './TelnetLineReader.js';

/** Longest line kept; longer ones are cut and reported as unparsed. */
export const MAX_LINE_BYTES = 4096;
/** Entries kept per listing; more are counted (`entriesOmitted`). */
export const MAX_ENTRIES = 10_000;
/**
 * Entries kept per listing parsed for a summary (listings 'summary'): the most the text and
 * Markdown reports show. The others are parsed, counted by type and let go.
 */
export const SUMMARY_ENTRIES = 10;
/** Whether directory listings are parsed into FtpTransfer.listing: every entry (true), the first few and counts ('summary'), or not at all. */
export type ListingsOption = boolean | 'summary';
/** Unparsed lines kept per listing; more are counted. */
export const MAX_UNPARSED = 200;
const MAX_NOTES = 20;
/** Slack allowed past the capture time when a year is inferred (time zones, skewed clocks). */
const YEAR_SLACK_MS = 24 * 3600 * 1000;

export type ListingCommand = 'LIST' | 'NLST' | 'MLSD';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// type, 9 permission characters, optional ACL/SELinux mark; link count (optional); owner;
// group (optional); size or "major, minor"; date; one space; name.
const UNIX_HEAD = /^([-bcdlpsDn?])([-rwxsStTlL?]{9})([.+@]?)\s+(?:(\d+)\s+)?(\S+)\s+(?:(\S+)\s+)?(?:(\d+),\s*(\d+)|(\d+))\s+/;
const UNIX_DATE = /^([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})\s(.+)$|^([A-Za-z]{3})\s+(\d{1,2})(\s+)(\d{4})\s(.+)$/s;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})\s+(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s+[+-]\d{4})?\s(.+)$/s;
const DOS_LINE = /^(\d{1,2})-(\d{1,2})-(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})(?:\s*([AaPp][Mm]))?\s+(<DIR>|<JUNCTION>|\d+)\s+(.+)$/s;
const MLSD_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{1,9})?$/;

/** One line read, or why not. */
export type LineResult =
  | { kind: 'entry'; format: Exclude<ListingFormat, 'mixed' | 'unknown' | 'empty'>; entry: Omit<ListingEntry, 'raw' | 'line'> }
  | { kind: 'total'; value: number }
  | { kind: 'unparsed'; reason: string };

/**
 * Reads one line (no line end) of a listing sent for `command`. `referenceMs` is the capture
 * time (epoch ms) used to give "Mon DD HH:MM" dates their year. `typeOnly`: only the kind, format
 * and entry type are wanted (an entry counted, not kept): an `ls -l` line is then checked as
 * fully as ever but its entry not built, and the result is shared, not the caller's.
 */
export function parseListingLine(command: ListingCommand, text: string, referenceMs: number | null, typeOnly = false): LineResult {
  if (command === 'NLST') return { kind: 'entry', format: 'nlst', entry: { name: text, type: 'unknown', size: null, modified: null } };
  if (command === 'MLSD') return parseMlsd(text);
  // Only a line that begins with a t can be one ("total 42").
  const first = text.charCodeAt(0);
  const total = first === 0x74 || first === 0x54 ? /^total\s+(\d+)\s*$/i.exec(text) : null;
  if (total) return { kind: 'total', value: Number(total[1]) };
  return (typeOnly ? unixTypeOnlyOf(text) : parseUnix(text, referenceMs)) ?? parseDos(text) ?? (/^[^ ;]*=[^;]*;.* ./.test(text) ? parseMlsd(text) : null) ?? {
    kind: 'unparsed',
    reason: 'neither an ls -l, a DOS/IIS nor an MLSD line',
  };
}

/**
 * For parseListingLine's `typeOnly`: UNIX_HEAD as it matches, to learn where it ends without
 * making its match; then, from there, UNIX_DATE with parseUnix's checks of month, day, hour and
 * minute written into it (each alternative splits a line one way only, so a line that passes
 * these checks is one UNIX_DATE matches and the checks pass, and the other way round), and
 * ISO_DATE. Equal to parseUnix's verdict on every line (tested on thousands of nearly right
 * ones); no match arrays or substrings are made for a line counted by type.
 */
const UNIX_HEAD_END = new RegExp(UNIX_HEAD.source, 'g');
const MONTH = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const DAY = '(?:0?[1-9]|[12]\\d|3[01])';
const UNIX_DATE_CHECKED = new RegExp(`${MONTH}\\s+${DAY}\\s+(?:[01]?\\d|2[0-3]):[0-5]\\d\\s.+$|${MONTH}\\s+${DAY}\\s+\\d{4}\\s.+$`, 'iys');
const ISO_DATE_AT = new RegExp(ISO_DATE.source.slice(1), 'ys');

/** parseUnix's verdict on `text`, and its type, for a line only counted. */
function unixTypeOnlyOf(text: string): LineResult | null {
  UNIX_HEAD_END.lastIndex = 0;
  if (!UNIX_HEAD_END.test(text)) return null;
  const end = UNIX_HEAD_END.lastIndex;
  UNIX_DATE_CHECKED.lastIndex = end;
  if (!UNIX_DATE_CHECKED.test(text)) {
    // UNIX_DATE's lines begin with three letters, ISO_DATE's with four digits: one test is enough.
    ISO_DATE_AT.lastIndex = end;
    if (!ISO_DATE_AT.test(text)) return null;
  }
  return unixTypeOnly(text[0]!);
}

function parseUnix(text: string, referenceMs: number | null): LineResult | null {
  const h = UNIX_HEAD.exec(text);
  if (!h) return null;
  const rest = text.slice(h[0].length);
  let modified: string | null;
  let yearInferred = false;
  let name: string;
  const d = UNIX_DATE.exec(rest);
  if (d) {
    const month = MONTHS.indexOf((d[1] ?? d[6]!).toLowerCase());
    const day = Number(d[2] ?? d[7]);
    if (month < 0 || day < 1 || day > 31) return null;
    if (d[1] !== undefined) {
      const hour = Number(d[3]);
      const minute = Number(d[4]);
      if (hour > 23 || minute > 59) return null;
      name = d[5]!;
      const year = inferYear(month, day, hour, minute, referenceMs);
      modified = `${year === null ? '-' : year}-${pad(month + 1)}-${pad(day)}T${pad(hour)}:${pad(minute)}`;
      yearInferred = true;
    } else {
      name = d[10]!;
      // ls right-aligns the year in the time column (" 2026": two spaces after the day). A
      // server that left-aligns it ("Nov 30 2000  adv001.zip", BisonWare) pads after the
      // year instead: that padding is not part of the name.
      if (d[8] === ' ' && name.startsWith(' ') && name.trim() !== '') name = name.slice(1);
      modified = `${d[9]}-${pad(month + 1)}-${pad(day)}`;
    }
  } else {
    const iso = ISO_DATE.exec(rest);
    if (!iso) return null;
    name = iso[7]!;
    modified = `${iso[1]}-${iso[2]}-${iso[3]}T${iso[4]}:${iso[5]}${iso[6] !== undefined ? `:${iso[6]}` : ''}`;
  }
  const typeChar = h[1]!;
  const type = UNIX_TYPES[typeChar] ?? 'other';
  const entry: Omit<ListingEntry, 'raw' | 'line'> = { name, type, size: null, modified };
  if (h[9] !== undefined) entry.size = safeNumber(h[9]);
  else entry.device = { major: Number(h[7]), minor: Number(h[8]) };
  if (type === 'link') {
    const arrow = name.indexOf(' -> ');
    if (arrow > 0) {
      entry.name = name.slice(0, arrow);
      entry.target = name.slice(arrow + 4);
    }
  }
  entry.permissions = `${typeChar}${h[2]}${h[3]}`;
  if (h[4] !== undefined) entry.links = Number(h[4]);
  entry.owner = h[5]!;
  if (h[6] !== undefined) entry.group = h[6];
  if (yearInferred) entry.yearInferred = true;
  return { kind: 'entry', format: 'unix', entry };
}

const UNIX_TYPES: Record<string, ListingEntryType> = {
  '-': 'file', d: 'dir', l: 'link', b: 'block-device', c: 'char-device', p: 'fifo', s: 'socket', D: 'other', n: 'other', '?': 'other',
};

/** Results for parseListingLine's `typeOnly`, one per type, shared (see there). */
const UNIX_TYPE_ONLY = new Map<ListingEntryType, LineResult>();

function unixTypeOnly(typeChar: string): LineResult {
  const type = UNIX_TYPES[typeChar] ?? 'other';
  let r = UNIX_TYPE_ONLY.get(type);
  if (r === undefined) {
    r = { kind: 'entry', format: 'unix', entry: { name: '', type, size: null, modified: null } };
    UNIX_TYPE_ONLY.set(type, r);
  }
  return r;
}

function parseDos(text: string): LineResult | null {
  const m = DOS_LINE.exec(text);
  if (!m) return null;
  const month = Number(m[1]);
  const day = Number(m[2]);
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 70 ? 2000 : 1900; // the DIR pivot: 70-99 are 19xx
  let hour = Number(m[4]);
  const minute = Number(m[5]);
  const ampm = m[6]?.toUpperCase();
  if (ampm !== undefined) {
    if (hour < 1 || hour > 12) return null;
    if (ampm === 'AM' && hour === 12) hour = 0;
    if (ampm === 'PM' && hour !== 12) hour += 12;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return null;
  const dir = m[7] === '<DIR>' || m[7] === '<JUNCTION>';
  return {
    kind: 'entry',
    format: 'dos',
    entry: {
      name: m[8]!,
      type: m[7] === '<JUNCTION>' ? 'link' : dir ? 'dir' : 'file',
      size: dir ? null : safeNumber(m[7]!),
      modified: `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}`,
    },
  };
}

function parseMlsd(text: string): LineResult {
  // RFC 3659 §7.2: facts, each ending in ';', then one SP, then the pathname.
  let factsText: string;
  let name: string;
  if (text.startsWith(' ')) {
    factsText = '';
    name = text.slice(1);
  } else {
    const sep = text.indexOf('; ');
    if (sep < 0) return { kind: 'unparsed', reason: 'MLSD line without "; " before the name' };
    factsText = text.slice(0, sep + 1);
    name = text.slice(sep + 2);
  }
  if (name === '') return { kind: 'unparsed', reason: 'MLSD line without a name' };
  const facts: Record<string, string> = {};
  for (const f of factsText.split(';')) {
    if (f === '') continue;
    const eq = f.indexOf('=');
    if (eq <= 0) return { kind: 'unparsed', reason: `MLSD fact without a name or "=": ${JSON.stringify(f.slice(0, 40))}` };
    // §7.5: fact names are case-insensitive; values are kept as sent.
    facts[f.slice(0, eq).toLowerCase()] = f.slice(eq + 1);
  }
  const t = (facts.type ?? '').toLowerCase();
  let type: ListingEntryType;
  let target: string | undefined;
  if (t === 'file') type = 'file';
  else if (t === 'dir') type = 'dir';
  else if (t === 'cdir') type = 'cdir';
  else if (t === 'pdir') type = 'pdir';
  else if (t.startsWith('os.unix=slink') || t.startsWith('os.unix=symlink')) {
    type = 'link';
    const colon = (facts.type ?? '').indexOf(':');
    if (colon >= 0) target = (facts.type ?? '').slice(colon + 1);
  } else if (t === '') type = 'unknown';
  else type = 'other';
  const sizeText = facts.size ?? facts.sizd;
  const size = sizeText !== undefined && /^\d+$/.test(sizeText) ? safeNumber(sizeText) : null;
  let modified: string | null = null;
  const mt = facts.modify !== undefined ? MLSD_TIME.exec(facts.modify) : null;
  if (mt) modified = `${mt[1]}-${mt[2]}-${mt[3]}T${mt[4]}:${mt[5]}:${mt[6]}${mt[7] ?? ''}Z`;
  const entry: Omit<ListingEntry, 'raw' | 'line'> = { name, type, size, modified, facts };
  if (target !== undefined) entry.target = target;
  return { kind: 'entry', format: 'mlsd', entry };
}

/** The year that puts month/day/time no later than the reference (+ a day): ls's six-month rule read backwards. */
function inferYear(month: number, day: number, hour: number, minute: number, referenceMs: number | null): number | null {
  if (referenceMs === null || !Number.isFinite(referenceMs)) return null;
  const year = new Date(referenceMs).getUTCFullYear();
  return Date.UTC(year, month, day, hour, minute) > referenceMs + YEAR_SLACK_MS ? year - 1 : year;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function safeNumber(digits: string): number | null {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * A DataSink that reads a listing's decoded bytes line by line into `listing` (which it
 * fills in place: the model object the transfer carries).
 */
export class ListingCollector implements DataSink {
  readonly listing: FtpListing;
  readonly #command: ListingCommand;
  readonly #referenceMs: () => number | null;
  #line = new Uint8Array(256);
  #len = 0;
  #cut = false;
  #lineNo = 0;
  #afterGap = false;
  #formats = new Set<string>();
  #ended = false;
  /** Entries kept (MAX_ENTRIES, or SUMMARY_ENTRIES for a summary). */
  readonly #keep: number;

  constructor(command: ListingCommand, referenceMs: () => number | null, summary = false) {
    this.#command = command;
    this.#referenceMs = referenceMs;
    this.#keep = summary ? SUMMARY_ENTRIES : MAX_ENTRIES;
    this.listing = { format: 'empty', lines: 0, entries: [], unparsed: [], notes: [] };
    if (summary) {
      this.listing.entriesNotKept = 0;
      this.listing.entryTypes = {};
    }
  }

  data(bytes: Uint8Array, _at: DataPosition): void {
    if (this.#ended) return;
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== 0x0a) continue;
      this.#append(bytes.subarray(start, i));
      this.#endLine();
      start = i + 1;
    }
    this.#append(bytes.subarray(start));
  }

  gap(length: number | null, at: DataPosition): void {
    if (this.#ended) return;
    this.#note(`${length === null ? 'an unknown number of' : length} bytes of the listing are missing at offset ${at.offset}${at.frames?.length ? ` (frame ${at.frames[0]})` : ''}: the lines there are incomplete`);
    if (this.#len > 0 || this.#cut) this.#endLine('cut by missing bytes');
    // What follows a hole starts in the middle of a line.
    this.#afterGap = true;
  }

  end(): void {
    if (this.#ended) return;
    if (this.#len > 0 || this.#cut) {
      this.#note('the listing does not end with a line end');
      this.#endLine();
    }
    this.#ended = true;
    this.#finishFormat();
  }

  /** Brings `format` up to date (also while the listing is still open). */
  #finishFormat(): void {
    const l = this.listing;
    l.format = this.#formats.size === 1 ? ([...this.#formats][0] as ListingFormat) : this.#formats.size > 1 ? 'mixed' : l.lines > 0 && (l.unparsed.length > 0 || (l.unparsedOmitted ?? 0) > 0) ? 'unknown' : 'empty';
  }

  #append(part: Uint8Array): void {
    if (part.length === 0) return;
    const room = MAX_LINE_BYTES - this.#len;
    if (part.length > room) {
      this.#cut = true;
      part = part.subarray(0, Math.max(0, room));
    }
    if (this.#len + part.length > this.#line.length) {
      const bigger = new Uint8Array(Math.min(MAX_LINE_BYTES, Math.max(this.#line.length * 2, this.#len + part.length)));
      bigger.set(this.#line.subarray(0, this.#len));
      this.#line = bigger;
    }
    this.#line.set(part, this.#len);
    this.#len += part.length;
  }

  #endLine(forcedReason?: string): void {
    // Without its CR (one view made, not two).
    const len = this.#len > 0 && this.#line[this.#len - 1] === 0x0d ? this.#len - 1 : this.#len;
    const bytes = this.#line.subarray(0, len);
    const cut = this.#cut;
    this.#len = 0;
    this.#cut = false;
    this.#lineNo++;
    const l = this.listing;
    l.lines = this.#lineNo;
    const afterGap = this.#afterGap;
    this.#afterGap = false;
    if (bytes.length === 0 && !cut) return;
    const { text, utf8 } = decodeLine(bytes);
    if (!utf8) this.#note(`line ${this.#lineNo} is not UTF-8: its bytes outside printable ASCII are shown as \\xNN`);
    const reason = forcedReason ?? (afterGap ? 'begins after missing bytes' : cut ? `longer than ${MAX_LINE_BYTES} bytes (cut)` : undefined);
    if (reason !== undefined) {
      this.#unparsed({ line: this.#lineNo, raw: text, reason });
      this.#finishFormat();
      return;
    }
    // Past the entries a summary keeps, only the entry's type is counted.
    const typeOnly = l.entryTypes !== undefined && l.entries.length >= this.#keep;
    const r = parseListingLine(this.#command, text, this.#referenceMs(), typeOnly);
    if (r.kind === 'total') l.total = r.value;
    else if (r.kind === 'unparsed') this.#unparsed({ line: this.#lineNo, raw: text, reason: r.reason });
    else {
      this.#formats.add(r.format);
      const types = l.entryTypes;
      if (types === undefined ? l.entries.length < MAX_ENTRIES : l.entries.length + l.entriesNotKept! < MAX_ENTRIES) {
        if (types !== undefined) types[r.entry.type] = (types[r.entry.type] ?? 0) + 1;
        if (l.entries.length < this.#keep) {
          // The parsed entry is new and ours: completed in place (a spread into a copy with more
          // properties takes a slow path in V8, several µs per entry).
          const entry = r.entry as ListingEntry;
          entry.raw = text;
          entry.line = this.#lineNo;
          l.entries.push(entry);
        } else l.entriesNotKept!++;
      }
      else l.entriesOmitted = (l.entriesOmitted ?? 0) + 1;
    }
    this.#finishFormat();
  }

  #unparsed(u: ListingUnparsed): void {
    const l = this.listing;
    if (l.unparsed.length < MAX_UNPARSED) l.unparsed.push(u);
    else l.unparsedOmitted = (l.unparsedOmitted ?? 0) + 1;
  }

  #note(n: string): void {
    if (this.listing.notes.length < MAX_NOTES) this.listing.notes.push(n);
  }
}
