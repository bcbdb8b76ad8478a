// The progress line on standard error (src/cli/progress.ts): drawn on a real pseudo-terminal
// (python3's pty module), never when standard error is piped, with --quiet, or while output
// streams to the same terminal.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/cli/progress.js';
import { FIXTURES, ROOT } from '../helpers/captures.js';

const CLI = join(ROOT, 'dist/cli.js');
const hasPty = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;
const ptyNote = hasPty ? '' : ' [SKIPPED: python3 with the pty module not found]';
const fixture = (name: string) => join(FIXTURES, name);
const LINE = /ftp-inspect: read [\d.]+ [kMG]B of [\d.]+ [kMG]B \(\d+ %\), [\d.]+ MB\/s, [\d:?]+ left/;
const CLEAR = '\r\u001b[K';

// Runs the command with a pseudo-terminal as its terminal (stdin, stdout, stderr), optionally
// with stdout sent to a file and stdin read from a file instead; prints everything the terminal got.
const PTY_RUNNER = `
import json, os, pty, sys
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    if spec.get('stdout'):
        out = os.open(spec['stdout'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
    if spec.get('stdin'):
        os.dup2(os.open(spec['stdin'], os.O_RDONLY), 0)
    if spec.get('stdinPipe'):
        r, w = os.pipe()
        if os.fork() == 0:
            os.close(r)
            with open(spec['stdinPipe'], 'rb') as f:
                os.write(w, f.read())
            os._exit(0)
        os.close(w)
        os.dup2(r, 0)
    os.environ.update(spec['env'])
    os.execv(spec['argv'][0], spec['argv'])
got = b''
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    got += data
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(got)
sys.exit(os.waitstatus_to_exitcode(status))
`;

function inPty(args: string[], spec: { stdout?: string; stdin?: string; stdinPipe?: string } = {}): { status: number | null; terminal: string } {
  const r = spawnSync('python3', ['-c', PTY_RUNNER, JSON.stringify({ argv: [process.execPath, CLI, ...args], env: { FTP_INSPECT_PROGRESS_DELAY_MS: '0', NO_COLOR: '1' }, ...spec })], { maxBuffer: 1 << 26 });
  return { status: r.status, terminal: r.stdout.toString('utf8') };
}

describe(`progress on a terminal${ptyNote}`, () => {
  const capture = fixture('pasv-download.pcap');

  it.skipIf(!hasPty)('report: the line appears, is cleared, and the report follows on clean lines', () => {
    const { status, terminal } = inPty([capture]);
    expect(status).toBe(0);
    expect(terminal).toMatch(LINE);
    const size = readFileSync(capture).length;
    expect(terminal).toContain(`of ${(size / 1e3).toFixed(0)} kB`);
    // The last progress drawing is cleared before the first line of the report.
    const cleared = terminal.lastIndexOf(CLEAR);
    expect(cleared).toBeGreaterThan(terminal.search(LINE));
    expect(terminal.indexOf('FTP session 1')).toBeGreaterThan(cleared);
    expect(terminal.slice(cleared + CLEAR.length)).not.toMatch(/ftp-inspect: read/);
  });

  it.skipIf(!hasPty)('never with --quiet', () => {
    const { status, terminal } = inPty([capture, '--quiet']);
    expect(status).toBe(0);
    expect(terminal).toContain('FTP session 1');
    expect(terminal).not.toContain('ftp-inspect: read');
    expect(terminal).not.toContain(CLEAR);
  });

  it.skipIf(!hasPty)('packets: not while the list streams to the same terminal; yes with -o FILE or stdout redirected', () => {
    const onTerminal = inPty(['packets', capture]);
    expect(onTerminal.status).toBe(0);
    expect(onTerminal.terminal).toContain('FTP');
    expect(onTerminal.terminal).not.toContain('ftp-inspect: read');
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-progress-'));
    const toFile = inPty(['packets', capture, '-o', join(dir, 'list.txt')]);
    expect(toFile.terminal).toMatch(LINE);
    const redirected = inPty(['packets', capture, fixture('upload-stor.pcap')], { stdout: join(dir, 'out.txt') });
    expect(redirected.status).toBe(0);
    expect(redirected.terminal).toMatch(LINE);
    expect(redirected.terminal.endsWith(CLEAR)).toBe(true);
    // The sum of both files' sizes is the total.
    const total = readFileSync(capture).length + readFileSync(fixture('upload-stor.pcap')).length;
    expect(redirected.terminal).toContain(`of ${(total / 1e3).toFixed(0)} kB`);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).not.toContain('ftp-inspect: read');
  });

  it.skipIf(!hasPty)('standard input: from a pipe the size is not known (bytes and speed only), from a file it is; gzip: the size on disk is the total', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-progress-'));
    const piped = inPty(['stats', '-'], { stdinPipe: capture, stdout: join(dir, 'stats.txt') });
    expect(piped.status).toBe(0);
    expect(piped.terminal).toMatch(/ftp-inspect: read [\d.]+ kB \(size not known\), [\d.]+ MB\/s/);
    expect(readFileSync(join(dir, 'stats.txt'), 'utf8')).toContain('TCP conversations');
    const redirected = inPty(['stats', '-'], { stdin: capture, stdout: join(dir, 'stats.txt') });
    expect(redirected.terminal).toMatch(LINE);
    const gz = join(dir, 'c.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(capture)));
    const zipped = inPty(['creds', gz], { stdout: join(dir, 'creds.txt') });
    expect(zipped.status).toBe(1);
    expect(zipped.terminal).toContain(`of ${(readFileSync(gz).length / 1e3).toFixed(0)} kB (100 %)`);
  });
});

describe('progress when standard error is not a terminal', () => {
  it('nothing on a piped standard error, for any command', () => {
    const capture = fixture('pasv-download.pcap');
    for (const args of [[capture], ['packets', capture], ['stats', capture], ['sessions', capture], ['creds', capture], ['follow', capture, '1']]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, FTP_INSPECT_PROGRESS_DELAY_MS: '0' } });
      expect(r.stderr.toString(), args.join(' ')).toBe('');
    }
  });
});

describe('Progress line', () => {
  it('shows bytes of the total, speed and time left, redrawn at most every 250 ms, and clears itself', () => {
    let now = 1000;
    const written: string[] = [];
    const progress = new Progress({ isTTY: true, columns: 200, write: (t) => written.push(t) }, 100e6, { delayMs: 500, now: () => now });
    now += 100;
    progress.add(1e6);
    expect(written).toEqual([]); // not before the delay: a short run draws nothing
    now += 900; // 1 s in, 11 MB read: 11 MB/s, 89 MB left, about 8.1 s
    progress.add(10e6);
    expect(written).toEqual([`\rftp-inspect: read 11.0 MB of 100.0 MB (11 %), 11.0 MB/s, 0:09 left\u001b[K`]);
    now += 100;
    progress.add(1e6);
    expect(written).toHaveLength(1); // within 250 ms of the last drawing
    now += 200;
    progress.add(1e6);
    expect(written).toHaveLength(2);
    progress.clear();
    expect(written.at(-1)).toBe('\r\u001b[K');
    progress.clear();
    expect(written).toHaveLength(3); // nothing to clear twice
  });

  it('is cut to the terminal width, so it never wraps', () => {
    const written: string[] = [];
    const progress = new Progress({ isTTY: true, columns: 30, write: (t) => written.push(t) }, undefined, { delayMs: 0 });
    progress.add(5e6);
    expect(written[0]).toBe(`\r${'ftp-inspect: read 5.0 MB (size not known)'.slice(0, 29)}\u001b[K`);
  });
});
