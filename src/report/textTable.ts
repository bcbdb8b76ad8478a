// Text tables in linear time, drawn exactly as cli-table3 draws them with the two styles the
// reports use: borderless columns (two spaces before the first column and between columns,
// no padding) and boxes (cli-table3's default box-drawing borders, one space of padding, a
// separator line under the head and between rows). Lines are right-trimmed.
//
// Why not cli-table3 itself: its layout looks for row/column-span conflicts by scanning every
// earlier row for every cell, so a table's cost grows with the square of its rows (seven
// minutes for the 15,000 connections of `ftp-inspect stats`, 14 s for the credentials table of
// 9,781 sessions), and each cell costs some 25 µs of option merging and ANSI-stripping besides:
// the text report of a capture with 9,781 sessions spent 54 of its 77 s in cli-table3.
// cli-table3 stays for the sessions list (word wrapping in fixed-width columns) and as the
// oracle these tables are tested against (test/report/textTable.test.ts).
//
// Cell widths are display widths as cli-table3 measures them (string-width: wide CJK
// characters count two, combining marks none, ANSI colour codes none); a cell's own line
// breaks make the row taller, the other cells of the row padded with blank lines.

import stringWidth from 'string-width';

export type TableCell = string | number;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ANSI_SGR = /\u001b\[(?:\d*;){0,5}\d*m/g;

/** Widths of lines that are not printable ASCII, remembered: string-width builds its regular expressions anew on every call. */
const wideWidths = new Map<string, number>();
const MAX_REMEMBERED_WIDTHS = 1024;

/** A line's display width as cli-table3 measures it (string-width, ANSI colour codes none). */
export function widthOf(line: string): number {
  // Printable ASCII (nearly every cell): its length is its width.
  if (PRINTABLE_ASCII.test(line)) return line.length;
  // The rest is nearly always a few texts again and again (the report's "C→S" and "S→C" in
  // every command row: 205,000 calls and 0.6 s on a capture of 9,781 sessions).
  let width = wideWidths.get(line);
  if (width === undefined) {
    width = stringWidth(line.replace(ANSI_SGR, ''));
    if (wideWidths.size >= MAX_REMEMBERED_WIDTHS) wideWidths.clear();
    wideWidths.set(line, width);
  }
  return width;
}

/** `n` spaces; the widths of one report's columns are few, so each length is made once. */
const SPACES: string[] = [''];
function spaces(n: number): string {
  if (n < 128) return (SPACES[n] ??= ' '.repeat(n));
  return ' '.repeat(n);
}

/**
 * `line` without trailing white space, as String.prototype.trimEnd gives it, without the copy
 * when it ends in something else (most lines: only a row whose last cell is left-aligned and
 * shorter than its column ends in spaces). The ranges below hold no character that
 * ECMAScript counts as white space or a line terminator (the last one is U+3000, and U+FEFF).
 */
export function trimmed(line: string): string {
  const c = line.charCodeAt(line.length - 1);
  if ((c > 0x20 && c < 0xa0) || (c > 0xa0 && c < 0x1680) || (c > 0x205f && c < 0x3000)) return line;
  return line.trimEnd();
}

interface Style {
  left: string;
  middle: string;
  right: string;
  padding: number;
  /** Columns from this index on are right-aligned. */
  rightFrom: number;
  /** Border lines: [left, fill, junction, right] for the top, between rows, and the bottom; none when borderless. */
  top?: readonly [string, string, string, string];
  between?: readonly [string, string, string, string];
  bottom?: readonly [string, string, string, string];
}

/**
 * The borderless style: two spaces before the first column and between columns, no padding.
 * A literal, not a spread of a constant: V8 takes a slow path for an object spread followed
 * by more properties (it doubled plainTable's cost in the reports' thousands of tables).
 */
function plainStyle(rightFrom: number): Style {
  return { left: '  ', middle: '  ', right: '', padding: 0, rightFrom };
}

// Tables are drawn by the thousand in a report (one per session part), so a cell costs no
// array of its own: the texts and widths of a table's cells sit in two flat arrays (`texts`,
// `own`: a row's cells from `at` on), and only a cell of several lines (rare) is split into its
// lines, when measured and when drawn.

/**
 * Puts `row`'s cells at texts/own[at .. at + columns): each as text with its display width
 * (-1 for a cell of several lines); cells the row lacks are empty.
 */
function putCells(row: readonly TableCell[], columns: number, texts: string[], own: number[], at: number): void {
  for (let i = 0; i < columns; i++) {
    const text = i < row.length ? String(row[i]) : '';
    texts[at + i] = text;
    own[at + i] = text.includes('\n') ? -1 : widthOf(text);
  }
}

/** Widens `columns` (display widths, no padding) to fit the cells at [at .. at + count). */
function fit(columns: number[], texts: readonly string[], own: readonly number[], at: number, count: number): void {
  for (let i = 0; i < count; i++) {
    let w = own[at + i]!;
    if (w < 0) for (const line of texts[at + i]!.split('\n')) w = Math.max(w, widthOf(line));
    if (w > (columns[i] ?? 0)) columns[i] = w;
  }
}

/** The column widths as drawn: padding included, and at least one character (as cli-table3). */
function padded(columns: readonly number[], count: number, padding: number): number[] {
  const widths = new Array<number>(count);
  for (let i = 0; i < count; i++) widths[i] = Math.max(1, (columns[i] ?? 0) + 2 * padding);
  return widths;
}

function borderLine(b: readonly [string, string, string, string], widths: readonly number[], indent: string): string {
  return trimmed(`${indent}${b[0]}${widths.map((w) => b[1].repeat(w)).join(b[2])}${b[3]}`);
}

/**
 * Pushes the lines of the row whose cells are at [at .. at + widths.length) onto `out`; a cell of
 * several lines makes the row taller, the other cells padded with blank lines.
 */
function drawRow(texts: readonly string[], own: readonly number[], at: number, widths: readonly number[], style: Style, indent: string, out: string[]): void {
  const columns = widths.length;
  const padding = style.padding;
  const pad = spaces(padding);
  let split: Map<number, string[]> | undefined;
  let lineCount = 1;
  for (let i = 0; i < columns; i++) {
    if (own[at + i]! >= 0) continue;
    const lines = texts[at + i]!.split('\n');
    (split ??= new Map()).set(i, lines);
    if (lines.length > lineCount) lineCount = lines.length;
  }
  for (let k = 0; k < lineCount; k++) {
    let line = indent + style.left;
    for (let i = 0; i < columns; i++) {
      let text: string;
      let width: number;
      const lines = split?.get(i);
      if (lines !== undefined) {
        text = lines[k] ?? '';
        width = widthOf(text);
      } else {
        text = k === 0 ? texts[at + i]! : '';
        width = k === 0 ? own[at + i]! : 0;
      }
      const fill = spaces(widths[i]! - 2 * padding - width);
      if (i > 0) line += style.middle;
      line += pad + (i >= style.rightFrom ? fill + text : text + fill) + pad;
    }
    out.push(trimmed(line + style.right));
  }
}

/** A table held whole, as one string (plainTable, boxedTable): each cell made text and measured once. */
function draw(head: readonly TableCell[], rows: ReadonlyArray<readonly TableCell[]>, style: Style, indent: string): string {
  let columns = head.length;
  for (const row of rows) if (row.length > columns) columns = row.length;
  const height = rows.length + 1;
  const texts = new Array<string>(height * columns);
  const own = new Array<number>(height * columns);
  const measured: number[] = [];
  for (let r = 0; r < height; r++) {
    putCells(r === 0 ? head : rows[r - 1]!, columns, texts, own, r * columns);
    fit(measured, texts, own, r * columns, columns);
  }
  const widths = padded(measured, columns, style.padding);
  const between = style.between ? borderLine(style.between, widths, indent) : undefined;
  const out: string[] = [];
  if (style.top) out.push(borderLine(style.top, widths, indent));
  for (let r = 0; r < height; r++) {
    if (r > 0 && between !== undefined) out.push(between);
    drawRow(texts, own, r * columns, widths, style, indent, out);
  }
  if (style.bottom) out.push(borderLine(style.bottom, widths, indent));
  return out.join('\n');
}

/**
 * A borderless table: what cli-table3 draws with empty border characters, two-space left and
 * middle, and no padding. Columns from `rightFrom` on are right-aligned.
 */
export function plainTable(head: readonly TableCell[], rows: ReadonlyArray<readonly TableCell[]>, rightFrom = head.length, indent = ''): string {
  return draw(head, rows, plainStyle(rightFrom), indent);
}

/** A boxed table: what cli-table3 draws with its default characters and padding, without colours. */
export function boxedTable(head: readonly TableCell[], rows: ReadonlyArray<readonly TableCell[]>, indent = ''): string {
  return draw(head, rows, {
    left: '│', middle: '│', right: '│', padding: 1, rightFrom: head.length,
    top: ['┌', '─', '┬', '┐'], between: ['├', '─', '┼', '┤'], bottom: ['└', '─', '┴', '┘'],
  }, indent);
}

/**
 * plainTable's text, in pieces of about `batchRows` rows, for a table too long to hold whole
 * (the statistics list every TCP connection: 100,000 rows were 300 MB of cell strings and
 * lines before the one string was made). `rowAt(r)` gives row r's cells, and is asked twice
 * per row (measured, then drawn). Joined, the pieces are exactly plainTable(head, rows,
 * rightFrom, indent).
 */
export function* plainTablePieces(head: readonly TableCell[], rowCount: number, rowAt: (r: number) => readonly TableCell[], rightFrom = head.length, indent = '', batchRows = 1024): Generator<string> {
  const style = plainStyle(rightFrom);
  // One row's cells at a time, in two arrays reused for every row.
  const texts: string[] = [];
  const own: number[] = [];
  const measured: number[] = [];
  let columns = 0;
  for (let r = -1; r < rowCount; r++) {
    const row = r < 0 ? head : rowAt(r);
    putCells(row, row.length, texts, own, 0);
    fit(measured, texts, own, 0, row.length);
    if (row.length > columns) columns = row.length;
  }
  const widths = padded(measured, columns, 0);
  const lines: string[] = [];
  let first = true;
  for (let r = -1; r < rowCount; r++) {
    putCells(r < 0 ? head : rowAt(r), columns, texts, own, 0);
    drawRow(texts, own, 0, widths, style, indent, lines);
    if (lines.length >= batchRows) {
      yield (first ? '' : '\n') + lines.join('\n');
      first = false;
      lines.length = 0;
    }
  }
  if (lines.length > 0 || first) yield (first ? '' : '\n') + lines.join('\n');
}
