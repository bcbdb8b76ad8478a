// Fitting a boxed table (cli-table3's default borders) to a terminal width after it was
// rendered. The renderers stay width-agnostic: they draw each table at its natural width, and
// when a terminal is narrower, `fitBoxes` takes the table apart again (cells by column, rows
// by their separator lines) and draws it anew with the widest columns narrowed and their text
// wrapped inside the cells, so the borders stay whole instead of being cut by the terminal.
//
// A table that cannot be taken apart safely (a cell holding the vertical border character, so
// that a row does not split into the right number of cells) or cannot fit even with every
// column at MIN_COLUMN is left as it was: the terminal then wraps it, as before.

import stringWidth from 'string-width';

/** Display width; printable ASCII (nearly every cell) is one column per character without asking string-width. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const widthOf = (text: string): number => (PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text));

const MIN_COLUMN = 4;
/** A word longer than this may be cut inside a cell before shorter columns are narrowed. */
const LONG_WORD = 14;
const TOP = /^(\s*)┌([─┬]*)┐$/;

/** Lines of text with every boxed table narrower than `width` where it can be. */
export function fitBoxes(lines: readonly string[], width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const top = TOP.exec(lines[i]!);
    if (!top) {
      out.push(lines[i]!);
      continue;
    }
    const indent = top[1]!;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith(`${indent}└`)) end++;
    if (end >= lines.length) {
      out.push(lines[i]!);
      continue;
    }
    const block = lines.slice(i, end + 1);
    // A loop, not push(...): a table of a hundred thousand credentials is as many lines.
    for (const line of widthOf(lines[i]!) > width ? refit(block, indent, width) ?? block : block) out.push(line);
    i = end;
  }
  return out;
}

/** The table drawn anew within `width` columns, or undefined when it cannot be. */
function refit(block: readonly string[], indent: string, width: number): string[] | undefined {
  const columns = TOP.exec(block[0]!)![2]!.split('┬').length;
  // Row groups: the content lines between two separator lines.
  const groups: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of block.slice(1, -1)) {
    const body = line.slice(indent.length);
    if (body.startsWith('├')) {
      current = undefined;
      continue;
    }
    if (!body.startsWith('│') || !body.endsWith('│')) return undefined;
    const cells = body.slice(1, -1).split('│');
    if (cells.length !== columns) return undefined;
    if (!current) groups.push((current = cells.map(() => [])));
    cells.forEach((c, k) => current![k]!.push(c.trim()));
  }
  // Each cell's text: its lines as cli-table3 drew them (a cell's own line breaks), blank tail dropped.
  const rows = groups.map((g) => g.map((cellLines) => trimBlankTail(cellLines)));
  // Widest line and longest word per column, by loops (no spreading of per-row arrays).
  const natural = new Array<number>(columns).fill(1);
  const longestWord = new Array<number>(columns).fill(1);
  for (const row of rows) {
    for (let k = 0; k < columns; k++) {
      for (const line of row[k]!) {
        natural[k] = Math.max(natural[k]!, widthOf(line));
        for (const word of line.split(' ')) longestWord[k] = Math.max(longestWord[k]!, widthOf(word));
      }
    }
  }
  // indent + one border per column and the closing one + a space of padding on each side.
  const room = width - widthOf(indent) - (columns + 1) - 2 * columns;
  const widths = capWidths(natural, room, longestWord);
  if (!widths) return undefined;
  const rule = (l: string, m: string, r: string) => `${indent}${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const out = [rule('┌', '┬', '┐')];
  rows.forEach((row, r) => {
    if (r > 0) out.push(rule('├', '┼', '┤'));
    const wrapped = row.map((cell, k) => cell.flatMap((l) => wrapCell(l, widths[k]!)));
    const height = Math.max(1, ...wrapped.map((c) => c.length));
    for (let y = 0; y < height; y++) {
      out.push(`${indent}│${wrapped.map((c, k) => ` ${pad(c[y] ?? '', widths[k]!)} `).join('│')}│`);
    }
  });
  out.push(rule('└', '┴', '┘'));
  return out;
}

function trimBlankTail(lines: string[]): string[] {
  let n = lines.length;
  while (n > 1 && lines[n - 1] === '') n--;
  return lines.slice(0, n);
}

/**
 * Column widths that add up to at most `room`. Each column first gets what its longest word
 * needs (up to LONG_WORD columns, fewer when there is no room for that; at least MIN_COLUMN,
 * never more than its natural width); what
 * is left is shared in proportion to how much each column still lacks, so a long text column
 * takes most of the narrowing and short columns of numbers keep their width. With less room
 * than every column at MIN_COLUMN, undefined.
 */
export function capWidths(natural: readonly number[], room: number, longestWord: readonly number[] = natural): number[] | undefined {
  if (natural.reduce((a, b) => a + b, 0) <= room) return [...natural];
  // Words up to LONG_WORD columns stay whole if they can; with less room, up to fewer columns.
  let widths: number[] = [];
  for (let word = LONG_WORD; word >= MIN_COLUMN; word -= 2) {
    widths = natural.map((w, k) => Math.min(w, Math.max(MIN_COLUMN, Math.min(longestWord[k]!, word))));
    if (widths.reduce((a, b) => a + b, 0) <= room) break;
  }
  let spare = room - widths.reduce((a, b) => a + b, 0);
  if (spare < 0) return undefined;
  const lack = natural.map((w, k) => w - widths[k]!);
  const totalLack = lack.reduce((a, b) => a + b, 0);
  const shares = lack.map((l) => Math.floor((l * spare) / totalLack));
  widths = widths.map((w, k) => w + shares[k]!);
  spare -= shares.reduce((a, b) => a + b, 0);
  for (const k of lack.map((l, k) => [l - shares[k]!, k] as const).sort((a, b) => b[0] - a[0]).map(([, k]) => k)) {
    if (spare === 0) break;
    if (widths[k]! < natural[k]!) {
      widths[k]!++;
      spare--;
    }
  }
  return widths;
}

/** One line of a cell broken at spaces into pieces of at most `width` columns (long words cut). */
export function wrapCell(text: string, width: number): string[] {
  if (widthOf(text) <= width) return [text];
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (widthOf(candidate) <= width) {
      line = candidate;
      continue;
    }
    if (line !== '') out.push(line);
    line = '';
    let rest = word;
    while (widthOf(rest) > width) {
      const [head, tail] = cutAt(rest, width);
      out.push(head);
      rest = tail;
    }
    line = rest;
  }
  if (line !== '') out.push(line);
  return out;
}

/** The longest prefix of `text` at most `width` columns wide, and the rest. */
function cutAt(text: string, width: number): [string, string] {
  const chars = [...text];
  let used = 0;
  let k = 0;
  while (k < chars.length) {
    const w = widthOf(chars[k]!);
    if (used + w > width && k > 0) break;
    used += w;
    k++;
  }
  return [chars.slice(0, k).join(''), chars.slice(k).join('')];
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - widthOf(text)));
}
