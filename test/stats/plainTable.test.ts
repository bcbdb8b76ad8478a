// plainTable replaces cli-table3 in `ftp-inspect stats` (cli-table3's layout is quadratic in the
// rows). It must print exactly what cli-table3 printed with the stats tables' settings: checked
// here on seeded random tables with ASCII, wide CJK, combining and emoji cells (no raw escape
// codes: the stats text escapes control characters, and cli-table3 would add colour resets),
// and on a large table (linear: no timing assertion, it just has to finish).
import Table from 'cli-table3';
import { describe, expect, it } from 'vitest';
import { plainTable } from '../../src/stats/plainTable.js';
import { seededRandom } from '../helpers/random.js';

const PLAIN = {
  chars: {
    top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '  ', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
  },
  style: { head: [] as string[], border: [] as string[], 'padding-left': 0, 'padding-right': 0 },
};

function viaCliTable3(head: string[], rows: string[][], rightFrom: number): string {
  const t = new Table({ ...PLAIN, head, colAligns: head.map((_, i) => (i >= rightFrom ? 'right' : 'left')) });
  for (const r of rows) t.push(r);
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

const PIECES = ['a', 'Z', '0', '9', ' ', '-', '.', ':', '[', ']', '中', '文', 'é', 'e\u0301', '😀', 'ß', '→', '×'];

describe('plainTable', () => {
  it('prints what cli-table3 prints with the stats settings (random cells, wide and combining characters)', () => {
    const random = seededRandom(7);
    for (let n = 0; n < 200; n++) {
      const columns = 1 + Math.floor(random() * 6);
      const cell = () => Array.from({ length: Math.floor(random() * 9) }, () => PIECES[Math.floor(random() * PIECES.length)]).join('');
      const head = Array.from({ length: columns }, cell);
      const rows = Array.from({ length: Math.floor(random() * 8) }, () => Array.from({ length: columns }, cell));
      const rightFrom = Math.floor(random() * (columns + 1));
      expect(plainTable(head, rows, rightFrom), JSON.stringify({ head, rows, rightFrom })).toBe(viaCliTable3(head, rows, rightFrom));
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
