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

// Tables are drawn by the thousand in a report (one per session part), so a cell costs no
// array of its own: its text and width sit in two flat arrays per table, and only a cell of
// several lines (rare) keeps its lines and their widths, in `split`.
function draw(head: readonly TableCell[], rows: ReadonlyArray<readonly TableCell[]>, style: Style, indent: string): string {
  let columns = head.length;
  for (const row of rows) if (row.length > columns) columns = row.length;
  const padding = style.padding;
  const height = rows.length + 1;
  // cli-table3 gives every column at least one character, padding included.
  const widths = new Array<number>(columns).fill(1);
  const texts = new Array<string>(height * columns);
  /** A cell's width, or -1 when it has several lines (see `split`). */
  const cellWidths = new Array<number>(height * columns);
  let split: Map<number, { lines: string[]; widths: number[] }> | undefined;
  for (let r = 0; r < height; r++) {
    const row = r === 0 ? head : rows[r - 1]!;
    for (let i = 0; i < columns; i++) {
      const text = i < row.length ? String(row[i]) : '';
      const at = r * columns + i;
      texts[at] = text;
      if (text.includes('\n')) {
        const lines = text.split('\n');
        const lineWidths = lines.map(widthOf);
        (split ??= new Map()).set(at, { lines, widths: lineWidths });
        cellWidths[at] = -1;
        for (const w of lineWidths) if (w + 2 * padding > widths[i]!) widths[i] = w + 2 * padding;
      } else {
        const w = widthOf(text);
        cellWidths[at] = w;
        if (w + 2 * padding > widths[i]!) widths[i] = w + 2 * padding;
      }
    }
  }
  const border = (b: readonly [string, string, string, string]) => trimmed(`${indent}${b[0]}${widths.map((w) => b[1].repeat(w)).join(b[2])}${b[3]}`);
  const between = style.between ? border(style.between) : undefined;
  const pad = spaces(padding);
  const out: string[] = [];
  if (style.top) out.push(border(style.top));
  for (let r = 0; r < height; r++) {
    if (r > 0 && between !== undefined) out.push(between);
    const first = r * columns;
    let lineCount = 1;
    if (split !== undefined) {
      for (let i = 0; i < columns; i++) {
        const cell = split.get(first + i);
        if (cell !== undefined && cell.lines.length > lineCount) lineCount = cell.lines.length;
      }
    }
    for (let k = 0; k < lineCount; k++) {
      let line = indent + style.left;
      for (let i = 0; i < columns; i++) {
        const at = first + i;
        let text: string;
        let width: number;
        if (cellWidths[at] === -1) {
          const cell = split!.get(at)!;
          text = cell.lines[k] ?? '';
          width = cell.widths[k] ?? 0;
        } else {
          text = k === 0 ? texts[at]! : '';
          width = k === 0 ? cellWidths[at]! : 0;
        }
        const fill = spaces(widths[i]! - 2 * padding - width);
        if (i > 0) line += style.middle;
        line += pad + (i >= style.rightFrom ? fill + text : text + fill) + pad;
      }
      out.push(trimmed(line + style.right));
    }
  }
  if (style.bottom) out.push(border(style.bottom));
  return out.join('\n');
}

/**
 * A borderless table: what cli-table3 draws with empty border characters, two-space left and
 * middle, and no padding. Columns from `rightFrom` on are right-aligned.
 */
export function plainTable(head: readonly TableCell[], rows: ReadonlyArray<readonly TableCell[]>, rightFrom = head.length, indent = ''): string {
  return draw(head, rows, { left: '  ', middle: '  ', right: '', padding: 0, rightFrom }, indent);
}

/** A boxed table: what cli-table3 draws with its default characters and padding, without colours. */
export function boxedTable(head: readonly TableCell[], rows: ReadonlyArray<readonly TableCell[]>, indent = ''): string {
  return draw(head, rows, {
    left: '│', middle: '│', right: '│', padding: 1, rightFrom: head.length,
    top: ['┌', '─', '┬', '┐'], between: ['├', '─', '┼', '┤'], bottom: ['└', '─', '┴', '┘'],
  }, indent);
}

/**
 * plainTable's text, in pieces, for a table too long to hold whole (the statistics list every
 * TCP connection: 100,000 rows were 300 MB of cell strings and lines before the one string was
 * made). `rowAt(r)` gives row r's cells when asked — twice: once to measure the columns, once
 * to draw — so only `batchRows` rows' lines are held at a time. Joined, the pieces are exactly
 * plainTable(head, rows, rightFrom, indent).
 */
export function* plainTablePieces(head: readonly TableCell[], rowCount: number, rowAt: (r: number) => readonly TableCell[], rightFrom = head.length, indent = '', batchRows = 1024): Generator<string> {
  let columns = head.length;
  const widths: number[] = [];
  const measure = (row: readonly TableCell[]): void => {
    if (row.length > columns) columns = row.length;
    for (let i = 0; i < row.length; i++) {
      const text = String(row[i]);
      let w = 0;
      if (text.includes('\n')) for (const line of text.split('\n')) w = Math.max(w, widthOf(line));
      else w = widthOf(text);
      if (w > (widths[i] ?? 0)) widths[i] = w;
    }
  };
  measure(head);
  for (let r = 0; r < rowCount; r++) measure(rowAt(r));
  // cli-table3 gives every column at least one character.
  for (let i = 0; i < columns; i++) widths[i] = Math.max(1, widths[i] ?? 0);
  const lines: string[] = [];
  const drawRow = (row: readonly TableCell[]): void => {
    const texts: string[] = [];
    let cells: string[][] | undefined;
    let lineCount = 1;
    for (let i = 0; i < columns; i++) {
      const text = i < row.length ? String(row[i]) : '';
      texts.push(text);
      if (text.includes('\n')) {
        cells ??= [];
        cells[i] = text.split('\n');
        if (cells[i]!.length > lineCount) lineCount = cells[i]!.length;
      }
    }
    for (let k = 0; k < lineCount; k++) {
      let line = `${indent}  `;
      for (let i = 0; i < columns; i++) {
        const split = cells?.[i];
        const text = split !== undefined ? split[k] ?? '' : k === 0 ? texts[i]! : '';
        const fill = spaces(widths[i]! - (text === '' ? 0 : widthOf(text)));
        if (i > 0) line += '  ';
        line += i >= rightFrom ? fill + text : text + fill;
      }
      lines.push(trimmed(line));
    }
  };
  drawRow(head);
  let first = true;
  for (let r = 0; r < rowCount; r++) {
    drawRow(rowAt(r));
    if (lines.length >= batchRows) {
      yield (first ? '' : '\n') + lines.join('\n');
      first = false;
      lines.length = 0;
    }
  }
  if (lines.length > 0 || first) yield (first ? '' : '\n') + lines.join('\n');
}
