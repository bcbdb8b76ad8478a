// plainTable and boxedTable replace cli-table3 in the text report and `ftp-inspect stats`
// (cli-table3's layout is quadratic in the rows). They must print exactly what cli-table3
// printed with the reports' settings: checked here on seeded random tables with ASCII, wide
// CJK, combining and emoji cells, numbers, empty cells and cells of several lines (no raw
// escape codes: the reports escape control characters, and cli-table3 would add colour
// resets), and on large tables (linear: no timing assertion, they just have to finish).
import Table from 'cli-table3';
import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { boxedTable, plainTable, plainTablePieces, trimmed, widthOf, type TableCell } from '../../src/report/textTable.js';
import { seededRandom } from '../helpers/random.js';

const PLAIN = {
  chars: {
    top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '  ', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
  },
  style: { head: [] as string[], border: [] as string[], 'padding-left': 0, 'padding-right': 0 },
};
const BOXED = { style: { head: [] as string[], border: [] as string[] } };

function viaCliTable3(options: object, head: TableCell[], rows: TableCell[][], indent = ''): string {
  const t = new Table({ ...options, head: head.map(String) });
  for (const r of rows) t.push(r);
  return t.toString().split('\n').map((l) => `${indent}${l}`.trimEnd()).join('\n');
}

const PIECES = ['a', 'Z', '0', '9', ' ', '-', '.', ':', '[', ']', '中', '文', 'é', 'e\u0301', '😀', 'ß', '→', '×', '│'];

function randomTable(random: () => number, lines: boolean) {
  const columns = 1 + Math.floor(random() * 6);
  const cell = (): TableCell => {
    if (random() < 0.1) return Math.floor(random() * 100_000);
    const parts = Array.from({ length: Math.floor(random() * 9) }, () => PIECES[Math.floor(random() * PIECES.length)]);
    if (lines && random() < 0.2) parts.splice(Math.floor(random() * (parts.length + 1)), 0, '\n');
    return parts.join('');
  };
  const head = Array.from({ length: columns }, cell);
  const rows = Array.from({ length: Math.floor(random() * 8) }, () => Array.from({ length: columns }, cell));
  return { head, rows, columns };
}

describe('plainTable', () => {
  it('prints what cli-table3 prints with empty borders and no padding (random cells, wide, combining and multi-line)', () => {
    const random = seededRandom(7);
    for (let n = 0; n < 300; n++) {
      const { head, rows, columns } = randomTable(random, n % 2 === 1);
      const rightFrom = Math.floor(random() * (columns + 1));
      const indent = n % 3 === 0 ? '  ' : '';
      const theirs = viaCliTable3({ ...PLAIN, colAligns: head.map((_, i) => (i >= rightFrom ? 'right' : 'left')) }, head, rows, indent);
      expect(plainTable(head, rows, rightFrom, indent), JSON.stringify({ head, rows, rightFrom })).toBe(theirs);
    }
  });

  it('lays out 100,000 rows (cli-table3 needed minutes for 15,000)', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => [String(i), `198.51.100.${i % 256}:${1024 + (i % 60000)}`, String(i * 7)]);
    const text = plainTable(['Stream', 'Address', 'Bytes'], rows, 2);
    const lines = text.split('\n');
    expect(lines).toHaveLength(100_001);
    expect(lines[0]).toBe(`  Stream  Address${' '.repeat(13)}   Bytes`);
    expect(lines[100_000]).toBe('  99999   198.51.100.159:41023  699993');
  });
});

describe('plainTablePieces', () => {
  it('joined, gives plainTable\'s text for any batch size (random cells, wide, combining and multi-line; no rows; ragged rows)', () => {
    const random = seededRandom(11);
    for (let n = 0; n < 300; n++) {
      const { head, rows, columns } = randomTable(random, n % 2 === 1);
      // Rows shorter or longer than the head now and then.
      if (n % 5 === 0 && rows.length > 0) rows[0] = rows[0]!.slice(0, Math.floor(random() * columns));
      if (n % 7 === 0 && rows.length > 1) rows[1]!.push('extra');
      const rightFrom = Math.floor(random() * (columns + 1));
      const indent = n % 3 === 0 ? '  ' : '';
      const whole = plainTable(head, rows, rightFrom, indent);
      for (const batch of [1, 2, 3, 1024]) {
        const asked: number[] = [];
        const pieces = [...plainTablePieces(head, rows.length, (r) => (asked.push(r), rows[r]!), rightFrom, indent, batch)];
        expect(pieces.join(''), JSON.stringify({ head, rows, rightFrom, batch })).toBe(whole);
        // Each row is asked for twice (measured, then drawn); a batch holds at most `batch` rows' lines, plus the head's.
        expect(asked).toEqual([...rows.keys(), ...rows.keys()]);
        if ([head, ...rows].every((r) => r.every((c) => !String(c).includes('\n')))) {
          for (const p of pieces) expect(p.replace(/^\n/, '').split('\n').length).toBeLessThanOrEqual(batch + 1);
        }
      }
    }
  });

  it('draws 100,000 rows in pieces of 1,024 rows', () => {
    const rowAt = (i: number) => [String(i), `198.51.100.${i % 256}:${1024 + (i % 60000)}`, String(i * 7)];
    const pieces = [...plainTablePieces(['Stream', 'Address', 'Bytes'], 100_000, rowAt, 2)];
    expect(pieces).toHaveLength(98);
    expect(pieces.join('')).toBe(plainTable(['Stream', 'Address', 'Bytes'], Array.from({ length: 100_000 }, (_, i) => rowAt(i)), 2));
  });
});

describe('boxedTable', () => {
  it("prints what cli-table3 prints with its default borders and padding (random cells, wide, combining and multi-line)", () => {
    const random = seededRandom(11);
    for (let n = 0; n < 300; n++) {
      const { head, rows } = randomTable(random, n % 2 === 1);
      const indent = n % 3 === 0 ? '  ' : '';
      expect(boxedTable(head, rows, indent), JSON.stringify({ head, rows })).toBe(viaCliTable3(BOXED, head, rows, indent));
    }
  });

  it('lays out 100,000 rows', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => [i + 1, `user${i}`, i % 2 === 0 ? 'accepted' : '-']);
    const lines = boxedTable(['Session', 'User', 'Outcome'], rows).split('\n');
    // top, head, and a separator line before each row, bottom
    expect(lines).toHaveLength(3 + 2 * 100_000);
    expect(lines[0]).toBe(`┌─────────┬───────────┬──────────┐`);
    expect(lines[lines.length - 2]).toBe('│ 100000  │ user99999 │ -        │');
    expect(lines[lines.length - 1]).toBe(`└─────────┴───────────┴──────────┘`);
  });
});

describe('widthOf', () => {
  it('gives string-width\'s width for every line, also when its remembered widths were dropped', () => {
    // 3,000 distinct lines (more than the 1,024 remembered), each asked for three times.
    const random = seededRandom(0x31d7);
    const pieces = ['C→S', 'S→C', '学生', 'e\u0301', 'Ω', '😀', 'ab', ' ', '–'];
    const lines = Array.from({ length: 3000 }, (_, i) => `${i}${Array.from({ length: 1 + Math.floor(random() * 6) }, () => pieces[Math.floor(random() * pieces.length)]).join('')}`);
    for (let round = 0; round < 3; round++) {
      for (const line of lines) expect(widthOf(line), line).toBe(stringWidth(line));
    }
    expect(widthOf('S→C')).toBe(3);
    expect(widthOf('学生')).toBe(4);
  });
});

describe('trimmed', () => {
  // Lines are trimmed without a copy when their last character cannot be white space; the
  // ranges it trusts must hold none of ECMAScript's white space or line terminators.
  it('gives what trimEnd gives for a line ending in any UTF-16 code unit', () => {
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      for (const line of [ch, `ab${ch}`, `a ${ch}`, `${ch}  `, `x${ch}\u3000`]) {
        const want = line.trimEnd();
        if (trimmed(line) !== want) expect(trimmed(line), `U+${c.toString(16)} in ${JSON.stringify(line)}`).toBe(want);
      }
    }
    expect(trimmed('')).toBe('');
  });
});
