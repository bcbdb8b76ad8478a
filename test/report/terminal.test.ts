// Width and colour decisions of report/terminal.ts, one rule at a time.
import Table from 'cli-table3';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { capWidths, wrapCell } from '../../src/report/boxFit.js';
import { decorate, outputTraits, outputWidth, useColor, wrapLine } from '../../src/report/terminal.js';

const tty = { isTTY: true, columns: 90 };
const pipe = { isTTY: false };

describe('useColor', () => {
  it('auto: a terminal only, TERM=dumb and NO_COLOR turn it off, FORCE_COLOR turns it on (and 0/false off)', () => {
    expect(useColor('auto', tty, {})).toBe(true);
    expect(useColor('auto', pipe, {})).toBe(false);
    expect(useColor('auto', tty, { TERM: 'dumb' })).toBe(false);
    expect(useColor('auto', tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColor('auto', tty, { NO_COLOR: '' })).toBe(true); // no-color.org: empty means unset
    expect(useColor('auto', pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor('auto', pipe, { FORCE_COLOR: '' })).toBe(true);
    expect(useColor('auto', tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColor('auto', tty, { FORCE_COLOR: 'false' })).toBe(false);
    expect(useColor('auto', pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
  });

  it('always and never are final', () => {
    expect(useColor('always', pipe, { NO_COLOR: '1' })).toBe(true);
    expect(useColor('never', tty, { FORCE_COLOR: '3' })).toBe(false);
  });
});

describe('outputWidth', () => {
  it('COLUMNS first, then the terminal, otherwise no wrapping', () => {
    expect(outputWidth(tty, {})).toBe(90);
    expect(outputWidth(tty, { COLUMNS: '120' })).toBe(120);
    expect(outputWidth(pipe, { COLUMNS: '70' })).toBe(70);
    expect(outputWidth(pipe, {})).toBeUndefined();
    expect(outputWidth(tty, { COLUMNS: 'wide' })).toBe(90);
    expect(outputWidth(tty, { COLUMNS: '0' })).toBe(90);
  });

  it('a file is neither wrapped nor coloured unless colour is forced by --color always', () => {
    expect(outputTraits('auto', tty, true, { COLUMNS: '50', FORCE_COLOR: '1' })).toEqual({ width: undefined, color: false });
    expect(outputTraits('always', tty, true, {})).toEqual({ width: undefined, color: true });
  });
});

describe('wrapLine and decorate', () => {
  it('breaks at spaces under the last column, and hard-breaks a word longer than the line', () => {
    const row = '  11     4.762671  S→C  530       Login authentication failed for this user today  PASS 9';
    const lines = wrapLine(row, 80);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toBe(row.replace(/\s+/g, ' '));
    const column = row.indexOf('Login');
    for (const l of lines.slice(1)) expect(l.search(/\S/)).toBe(column);
    const word = wrapLine(`  ${'x'.repeat(100)}`, 40);
    expect(word.join('').replace(/\s/g, '')).toBe('x'.repeat(100));
    for (const l of word) expect(l.length).toBeLessThanOrEqual(40);
  });

  it('leaves short lines and boxed tables alone, and does nothing for a plain pipe', () => {
    expect(wrapLine('short', 40)).toEqual(['short']);
    const box = `  │ ${'a'.repeat(60)} │`;
    expect(wrapLine(box, 40)).toEqual([box]);
    const text = 'Heading\n  body\n';
    expect(decorate(text, { width: undefined, color: false })).toBe(text);
  });

  it('colours headings bold, Warnings yellow and failed reply codes red; capture text stays as it was', () => {
    const text = 'Title\n=====\nCommands and replies\n  11  4.7  S→C  530  no\n  16  4.7  S→C  230  ok\n\nWarnings\n  frame 3: odd\n';
    const out = decorate(text, { width: undefined, color: true });
    expect(out).toContain('\u001b[1mTitle\u001b[22m');
    expect(out).toContain('\u001b[31m530\u001b[39m');
    expect(out).not.toContain('\u001b[31m230');
    expect(out).toContain('\u001b[33m  frame 3: odd\u001b[39m');
    expect(out.replace(/\u001b\[\d+m/g, '')).toBe(text);
  });
});

describe('boxed tables on a narrow terminal (boxFit.ts)', () => {
  const boxed = (head: string[], rows: string[][]): string => {
    const t = new Table({ head, style: { head: [], border: [] } });
    for (const r of rows) t.push(r);
    return t.toString().split('\n').map((l) => `  ${l}`).join('\n');
  };
  /** Each cell's words, read back off a drawn table (rows split at separators, cells at │). */
  const cellWords = (lines: string[]): string[][] => {
    const rows: string[][] = [];
    let current: string[] | undefined;
    for (const l of lines) {
      const body = l.trim();
      if (/^[┌├└]/.test(body)) {
        if (current) rows.push(current);
        current = undefined;
        continue;
      }
      const cells = body.slice(1, -1).split('│').map((c) => c.trim());
      current = current ? current.map((c, k) => `${c}${c && cells[k] ? '\u0000' : ''}${cells[k]}`) : cells;
    }
    return rows;
  };

  const head = ['#', 'User', 'USER frames', 'Password', 'Result', 'Reply frame'];
  const rows = [
    ['1', 'student', '11', 'lab-pass-2026', 'accepted (230 OK. Current restricted directory is /)', '14'],
    ['2', 'anonymous', '30, 31, 32', 'guest@example.org', 'rejected (530 Login authentication failed)', '33'],
  ];

  it('draws a table wider than the terminal anew within the width, every cell whole and in its place', () => {
    const table = boxed(head, rows);
    expect(Math.max(...table.split('\n').map((l) => stringWidth(l)))).toBeGreaterThan(70);
    for (const width of [70, 60, 52]) {
      const out = decorate(`Login\n${table}\n  #1: note`, { width, color: false }).split('\n');
      const box = out.slice(1, -1);
      for (const l of box) expect(stringWidth(l)).toBeLessThanOrEqual(width);
      expect(box[0]).toMatch(/^  ┌[─┬]+┐$/);
      expect(box.at(-1)).toMatch(/^  └[─┴]+┘$/);
      // A cell's pieces, put back together, give its text: pieces end at a space (dropped) or
      // inside a word longer than the column, so the text without spaces must be the same.
      const back = cellWords(box).map((r) => r.map((c) => c.split('\u0000').join('').replace(/ /g, '')));
      expect(back).toEqual([head, ...rows].map((r) => r.map((c) => c.replace(/ /g, ''))));
      expect(out.at(-1)).toBe('  #1: note');
    }
  });

  it('colour never touches a boxed table, also one that opens the text at column 0 (creds)', () => {
    const table = boxed(['Session', 'User'], [['1', 'student']]).split('\n').map((l) => l.slice(2)).join('\n');
    expect(decorate(table, { width: undefined, color: true })).toBe(table);
    expect(decorate(`Title\n\n${table}`, { width: 80, color: true })).toBe(`\u001b[1mTitle\u001b[22m\n\n${table}`);
  });

  it('leaves a table that fits, one that cannot fit, and one whose cell holds the border character as they were', () => {
    const small = boxed(['a', 'b'], [['1', '2']]);
    expect(decorate(small, { width: 40, color: false })).toBe(small);
    const many = boxed(Array.from({ length: 12 }, (_, k) => `column${k}`), [Array.from({ length: 12 }, (_, k) => `value${k}`)]);
    expect(decorate(many, { width: 40, color: false })).toBe(many);
    const tricky = boxed(['name', 'text'], [['a│b', 'x '.repeat(40)]]);
    expect(decorate(tricky, { width: 50, color: false })).toBe(tricky);
  });

  it('a table of 200,000 rows (a brute-force capture\'s credentials) is fitted, not a stack overflow', () => {
    const row = `│ 7 │ ${'x y '.repeat(24).padEnd(99)}│`;
    const lines = [`┌───┬${'─'.repeat(100)}┐`, `│ # │ ${'Result'.padEnd(99)}│`, `├───┼${'─'.repeat(100)}┤`];
    for (let i = 0; i < 200_000; i++) lines.push(row);
    lines.push(`└───┴${'─'.repeat(100)}┘`);
    const out = decorate(lines.join('\n'), { width: 60, color: false }).split('\n');
    expect(out.length).toBe(3 + 200_000 * 2 + 1); // each row's 96 characters of text now take two lines
    for (const l of [out[0]!, out[5]!, out.at(-1)!]) expect(stringWidth(l)).toBeLessThanOrEqual(60);
  });

  it('capWidths: short columns keep their width, the long text column takes the narrowing', () => {
    expect(capWidths([1, 7, 60, 2], 40, [1, 7, 10, 2])).toEqual([1, 7, 30, 2]);
    expect(capWidths([3, 3], 10)).toEqual([3, 3]);
    expect(capWidths([30, 30, 30], 10)).toBeUndefined();
    expect(wrapCell('accepted (230 OK. Current)', 10)).toEqual(['accepted', '(230 OK.', 'Current)']);
    expect(wrapCell('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
  });
});
