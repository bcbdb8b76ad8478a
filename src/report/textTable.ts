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

/** A row as lines per cell and the width of each line. */
interface Measured {
  lines: string[][];
  widths: number[][];
}

function measure(row: readonly TableCell[], columns: number, grow: number[], padding: number): Measured {
  const lines: string[][] = [];
  const widths: number[][] = [];
  for (let i = 0; i < columns; i++) {
    const text = i < row.length ? String(row[i]) : '';
    const cellLines = text.includes('\n') ? text.split('\n') : [text];
    const cellWidths = cellLines.map(widthOf);
    for (const w of cellWidths) if (w + 2 * padding > grow[i]!) grow[i] = w + 2 * padding;
    lines.push(cellLines);
    widths.push(cellWidths);
  }
  return { lines, widths };
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

function draw(head: readonly TableCell[], rows: ReadonlyArray<readonly TableCell[]>, style: Style, indent: string): string {
  let columns = head.length;
  for (const row of rows) if (row.length > columns) columns = row.length;
  // cli-table3 gives every column at least one character, padding included.
  const widths = new Array<number>(columns).fill(1);
  const measured: Measured[] = [measure(head, columns, widths, style.padding)];
  for (const row of rows) measured.push(measure(row, columns, widths, style.padding));
  const border = (b: readonly [string, string, string, string]) => `${indent}${b[0]}${widths.map((w) => b[1].repeat(w)).join(b[2])}${b[3]}`.trimEnd();
  const pad = ' '.repeat(style.padding);
  const out: string[] = [];
  if (style.top) out.push(border(style.top));
  measured.forEach((m, r) => {
    if (r > 0 && style.between) out.push(border(style.between));
    const height = Math.max(1, ...m.lines.map((l) => l.length));
    for (let k = 0; k < height; k++) {
      let line = indent + style.left;
      for (let i = 0; i < columns; i++) {
        const text = m.lines[i]![k] ?? '';
        const fill = ' '.repeat(widths[i]! - 2 * style.padding - (m.widths[i]![k] ?? 0));
        if (i > 0) line += style.middle;
        line += pad + (i >= style.rightFrom ? fill + text : text + fill) + pad;
      }
      out.push((line + style.right).trimEnd());
    }
  });
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
