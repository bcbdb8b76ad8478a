// The sessions list draws rows that fit their columns itself and leaves only rows that wrap to
// cli-table3: every row must come out exactly as cli-table3 alone draws it (the `cliTable3`
// option), with and without a terminal width, grouped by capture or not.
import { describe, expect, it } from 'vitest';
import { renderSessionsTable, type SessionLine } from '../../src/report/sessionsList.js';
import { seededRandom } from '../helpers/random.js';

const WORDS = ['logged', 'in', 'as', 'student', '1', 'download', '2', 'listings', 'closed', 'by', 'client', 'reset', 'server', 'open', 'at', 'end', 'of', 'capture', 'login', 'refused', 'TLS', 'then'];
// Wide (CJK counts two), combining (counts none), accented, and a word longer than any column.
const ODD = ['学生', 'ü', 'e\u0301', 'Ωmega', 'averyveryverylongusernamewithoutanybreakatall'];

function rows(random: () => number, n: number, captures: number): SessionLine[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const out: SessionLine[] = [];
  for (let i = 1; i <= n; i++) {
    const words = Array.from({ length: 1 + Math.floor(random() * 12) }, () => (random() < 0.1 ? pick(ODD) : pick(WORDS)));
    const user = random() < 0.1 ? null : random() < 0.2 ? pick(ODD) : pick(['student', 'anonymous', 'ftp', 'a']);
    const row: SessionLine = {
      id: i,
      start: '1795323676.533845000',
      startUtc: '2026-11-21 06:21:16.533',
      duration: '0.021852000',
      client: random() < 0.3 ? `[2001:db8::${i}]:${40000 + i}` : `198.51.100.2:${40000 + i}`,
      server: '198.51.100.1:21',
      controlStream: i,
      user,
      login: 'accepted',
      commands: Math.floor(random() * 200),
      transfers: Math.floor(random() * 5),
      downloads: 0,
      uploads: 0,
      listings: 0,
      failedTransfers: 0,
      bytes: Math.floor(random() * 1e9),
      closedBy: 'client',
      reset: false,
      outcome: words.join(random() < 0.8 ? ' ' : ', '),
    };
    if (captures > 1) row.capture = `capture-${Math.min(captures - 1, Math.floor(((i - 1) * captures) / n))}.pcap`;
    out.push(row);
  }
  return out;
}

function render(list: SessionLine[], options: Parameters<typeof renderSessionsTable>[2]): string {
  let text = '';
  renderSessionsTable(list, (t) => (text += t), options);
  return text;
}

describe('sessions table', () => {
  it('draws every row as cli-table3 does, fitted or wrapped', () => {
    const random = seededRandom(0x5e55);
    let wrapped = 0;
    let fitted = 0;
    for (let round = 0; round < 40; round++) {
      const list = rows(random, 1 + Math.floor(random() * 250), 1 + Math.floor(random() * 3));
      for (const width of [undefined, 60, 90, 120, 200]) {
        const options = width === undefined ? {} : { width };
        const ours = render(list, options);
        expect(ours, `round ${round}, width ${width}`).toBe(render(list, { ...options, cliTable3: true }));
        const lines = ours.split('\n').length;
        if (lines > list.length + 2 + 3) wrapped++;
        else fitted++;
      }
    }
    // Both paths were taken: tables with wrapped rows and tables of one line per row.
    expect(wrapped).toBeGreaterThan(20);
    expect(fitted).toBeGreaterThan(20);
  });
});
