// Width and colour decisions of report/terminal.ts, one rule at a time.
import { describe, expect, it } from 'vitest';
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
