// A borderless text table: two spaces before the first column and between columns, every cell
// padded to its column's display width (string-width: wide CJK characters count two, ANSI
// colour codes none, as cli-table3 measures), lines right-trimmed. The layout cli-table3 gives
// with empty border characters and no padding, in linear time: cli-table3 lays out cells with
// a span-conflict search that grows with the square of the rows (7 minutes for 15,000
// connections in `ftp-inspect stats`).

import stringWidth from 'string-width';

const ANSI_SGR = /\u001b\[(?:\d*;){0,5}\d*m/g;

function width(text: string): number {
  // Printable ASCII (nearly every cell): its length is its width.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let max = 0;
  for (const line of text.replace(ANSI_SGR, '').split('\n')) max = Math.max(max, stringWidth(line));
  return max;
}

/** Columns from `rightFrom` on are right-aligned; cells hold one line each. */
export function plainTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>, rightFrom = 1): string {
  const all = [head, ...rows];
  // cli-table3 gives even an all-empty column one character.
  const widths = head.map(() => 1);
  const cellWidths = all.map((r) => r.map((c, i) => {
    const w = width(c);
    if (w > (widths[i] ?? 0)) widths[i] = w;
    return w;
  }));
  const lines: string[] = [];
  for (let r = 0; r < all.length; r++) {
    const row = all[r]!;
    const cells: string[] = [];
    for (let i = 0; i < widths.length; i++) {
      const text = row[i] ?? '';
      const pad = ' '.repeat(widths[i]! - (cellWidths[r]![i] ?? 0));
      cells.push(i >= rightFrom ? pad + text : text + pad);
    }
    lines.push(`  ${cells.join('  ')}`.trimEnd());
  }
  return lines.join('\n');
}
