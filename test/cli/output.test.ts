// -o FILE on every command and format, exit statuses, and what text output assumes about the
// terminal (width, colour), as a user meets them: the built CLI on real fixtures.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from '../helpers/captures.js';
import { hasTshark } from '../helpers/tshark.js';

const CLI = join(ROOT, 'dist/cli.js');
const fixture = (name: string) => join(FIXTURES, name);

function run(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    maxBuffer: 1 << 28,
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, COLUMNS: undefined, ...env } as NodeJS.ProcessEnv,
  });
  return { status: r.status, stdout: r.stdout, text: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

const pasv = fixture('pasv-download.pcap');
const login = fixture('login-failed-then-ok.pcap');

/** Every command and format that prints something, with its exit status on `login` (creds finds passwords: 1). */
const COMMANDS: Array<{ args: string[]; status: number }> = [
  ...['text', 'json', 'md', 'html'].map((format) => ({ args: [login, '--format', format], status: 0 })),
  ...['text', 'json'].flatMap((format) => [
    { args: ['creds', login, '--format', format], status: 1 },
    { args: ['stats', login, '--format', format], status: 0 },
    { args: ['packets', login, '--format', format], status: 0 },
    { args: ['sessions', login, '--format', format], status: 0 },
    { args: ['follow', login, '1', '--format', format], status: 0 },
  ]),
  { args: ['follow', login, '1', '--raw'], status: 0 },
];

describe('-o FILE', () => {
  it('writes exactly what standard output would get, for every command and format, with the same exit status', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-o-'));
    COMMANDS.forEach(({ args, status }, i) => {
      const file = join(dir, `out-${i}`);
      const toStdout = run(args);
      const toFile = run([...args, '-o', file]);
      const label = args.slice(1).join(' ');
      expect(toStdout.status, label).toBe(status);
      expect(toFile.status, label).toBe(status);
      expect(toFile.stdout.length, label).toBe(0);
      expect(toStdout.stdout.length, label).toBeGreaterThan(100);
      // The HTML page embeds where it will be opened from (links to files): compare the rest.
      expect(readFileSync(file).equals(toStdout.stdout), label).toBe(true);
    });
    // No temporary files left beside the outputs.
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('extract: -o is the directory, and its manifest is its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-o-extract-'));
    const r = run(['extract', pasv, '-o', dir, '--format', 'json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.text)).toEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  });

  it('never leaves a partial file: on an error the old FILE stays as it was and no temporary file remains', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-o-fail-'));
    // A capture cut in the middle of its header is an input error (exit 2), found before any output.
    const broken = join(dir, 'broken.pcap');
    writeFileSync(broken, readFileSync(pasv).subarray(0, 20));
    // Commands that open FILE before reading (packets, follow --stream) must remove their temporary file.
    const target = join(dir, 'report.txt');
    writeFileSync(target, 'previous report\n');
    for (const args of [[broken], ['packets', broken], ['sessions', broken], ['creds', broken], ['stats', broken], ['follow', broken, '--stream', '0'], ['follow', pasv, '7']]) {
      const r = run([...args, '-o', target]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^ftp-inspect: /);
      expect(readFileSync(target, 'utf8')).toBe('previous report\n');
    }
    expect(readdirSync(dir).sort()).toEqual(['broken.pcap', 'report.txt']);
  });

  it('a FILE that cannot be written is an error naming FILE (exit 2)', () => {
    const r = run(['stats', pasv, '-o', '/nonexistent-dir/stats.txt']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/nonexistent-dir/stats.txt');
    expect(existsSync('/nonexistent-dir')).toBe(false);
  });
});

describe('exit statuses', () => {
  it('are in the --help of the program and of every command', () => {
    for (const command of [[], ['report'], ['extract'], ['creds'], ['stats'], ['packets'], ['sessions'], ['follow']]) {
      const r = run([...command, '--help']);
      expect(r.status, command.join(' ')).toBe(0);
      expect(r.text, command.join(' ')).toMatch(/Exit status: 0 success; 1 only from creds, when it found a cleartext credential;\s+2 usage or input error/);
    }
  });

  it('0 ok, 1 creds found credentials, 0 creds found none, 2 usage or input error', () => {
    expect(run([pasv]).status).toBe(0);
    expect(run(['creds', login]).status).toBe(1);
    expect(run(['creds', fixture('auth-tls-accepted.pcap')]).status).toBe(0);
    const cases: string[][] = [
      ['--no-such-option', pasv],
      ['stats'],
      [join(FIXTURES, 'no-such-file.pcap')],
      ['creds', join(ROOT, 'package.json')],
      ['packets', pasv, '--filter', 'nonsense'],
      ['follow', pasv, '3'],
      ['report', pasv, '--color', 'sometimes'],
    ];
    for (const args of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.length, args.join(' ')).toBeGreaterThan(0);
    }
  });
});

describe('a reader that goes away (| head)', () => {
  /** Runs the CLI with its standard output a pipe whose reading end is already closed: every write fails with EPIPE. */
  function closedPipe(args: string[]): Promise<{ status: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('close', (status) => resolve({ status, stderr }));
    });
  }

  it('ends quietly on every command, --help and --version included: no stack trace, status 0 or its own', async () => {
    const cases = [...COMMANDS, { args: ['--help'], status: 0 }, { args: ['report', '--help'], status: 0 }, { args: ['--version'], status: 0 }];
    for (const c of cases) {
      const r = await closedPipe(c.args);
      expect(r.stderr, c.args.join(' ')).toBe('');
      expect([0, c.status], c.args.join(' ')).toContain(r.status);
    }
  });
});

describe('text output on a terminal: width and colour', () => {
  const ESC = '\u001b[';

  it('no colour and no wrapping when piped (as tshark); NO_COLOR and --color never keep it plain', () => {
    const plain = run([login]);
    expect(plain.text).not.toContain(ESC);
    expect(run([login], { NO_COLOR: '1' }).text).toBe(plain.text);
    expect(run([login, '--color', 'never'], { FORCE_COLOR: '1' }).text).toBe(plain.text);
    expect(Math.max(...plain.text.split('\n').map((l) => [...l].length))).toBeGreaterThan(100);
  });

  it('FORCE_COLOR or --color always colour headings, warnings and failed replies, and nothing else changes', () => {
    for (const r of [run([login], { FORCE_COLOR: '1' }), run([login, '--color', 'always'])]) {
      expect(r.text).toContain(`${ESC}1mCommands and replies${ESC}22m`);
      expect(r.text).toMatch(new RegExp(`^\\s+11\\s+\\S+\\s+S→C\\s+\\u001b\\[31m530\\u001b\\[39m\\s+Login authentication failed`, 'm'));
      expect(r.text).not.toMatch(/\u001b\[31m230/);
      expect(r.text.replace(/\u001b\[\d+m/g, '')).toBe(run([login]).text);
    }
    // FORCE_COLOR=0 is "no".
    expect(run([login], { FORCE_COLOR: '0' }).text).not.toContain(ESC);
  });

  it('COLUMNS fits the report: lines wrap at spaces, continuation under the text column, boxed tables drawn narrower', () => {
    const r = run([login], { COLUMNS: '70' });
    const plain = run([login]).text;
    const lines = r.text.split('\n');
    // The login table is 120 columns wide at its natural width: drawn anew, cells wrapped.
    expect(Math.max(...plain.split('\n').filter((l) => /^\s*┌/.test(l)).map((l) => [...l].length))).toBeGreaterThan(70);
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(70);
    // The words are all still there, in order (rules under titles are only shortened; box
    // borders are drawn anew; a cell's own text, read row by row, may interleave with its
    // neighbours' when wrapped, so table rows are compared by their characters).
    const words = (t: string) => t.replace(/=+/g, '=').replace(/\s+/g, '').replace(/[─┌┐└┘├┤┬┴┼│]/g, '');
    const boxChars = (t: string) => t.split('\n').filter((l) => /^\s*│/.test(l)).join('').replace(/[\s│]/g, '').split('').sort().join('');
    expect(boxChars(r.text)).toBe(boxChars(plain));
    const outside = (t: string) => t.split('\n').filter((l) => !/^\s*[┌├└│]/.test(l)).join('\n');
    expect(words(outside(r.text))).toBe(words(outside(plain)));
    // The greeting's timeline row wraps under its text column.
    const at = lines.findIndex((l) => /^\s+4\s+0\.001102\s+S→C\s+220/.test(l));
    const textColumn = lines[at]!.indexOf('--------- Welcome');
    expect(lines[at + 1]!.search(/\S/)).toBe(textColumn);
  });

  it('-o FILE is never coloured or wrapped unless --color always', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-o-colour-'));
    const file = join(dir, 'r.txt');
    run([login, '-o', file], { FORCE_COLOR: '1', COLUMNS: '60' });
    expect(readFileSync(file, 'utf8')).toBe(run([login]).text);
    run([login, '-o', file, '--color', 'always']);
    expect(readFileSync(file, 'utf8')).toContain(ESC);
  });
});

describe.skipIf(!hasTshark)('the README comparison with tshark', () => {
  it('tshark -z credentials names the user and PASS frames but neither password nor outcome; creds gives both', () => {
    const theirs = execFileSync('tshark', ['-r', login, '-q', '-z', 'credentials'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(theirs).toMatch(/^9\s+FTP\s+student\b/m);
    expect(theirs).toMatch(/^15\s+FTP\s+student\b/m);
    expect(theirs).not.toContain('lab-pass-2026');
    expect(theirs).not.toMatch(/230|530|accepted|rejected/);
    const ours = JSON.parse(run(['creds', login, '--format', 'json']).text) as { credentials: Array<{ password: string; outcome: string; frames: number[] }> };
    expect(ours.credentials.map((c) => [c.password, c.outcome])).toEqual([['wrong-pass-2026', 'rejected'], ['lab-pass-2026', 'accepted']]);
  });
});
