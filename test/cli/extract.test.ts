// `ftp-inspect extract` and `--extract DIR` as a user runs them (the built CLI).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/extract/Manifest.js';
import { FIXTURES, PUBLIC_CAPTURES, ROOT, hasPublicCaptures } from '../helpers/captures.js';
import { hasTshark } from '../helpers/tshark.js';

const CLI = join(ROOT, 'dist/cli.js');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
};

describe('ftp-inspect extract', () => {
  it('writes the files and manifest.json, exit 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-cli-extract-'));
    const r = run(['extract', join(FIXTURES, 'pasv-download.pcap'), '-o', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('lab-data-24k.bin  24576 bytes  sha256 5ef0670c7384a247b70554f661e4c2a1f041399f9ef425da5985d2871d663ea7');
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.files.map((f) => f.command)).toEqual(['LIST', 'RETR']);
    expect(m.files.every((f) => f.session === 1)).toBe(true);
  });

  it('--format json prints manifest.json itself; the text summary has a line per file in the manifest\'s order', () => {
    const file = join(FIXTURES, 'resume-rest.pcap');
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-cli-extract-'));
    const r = run(['extract', file, '-o', dir, '--format', 'json']);
    expect(r.status).toBe(0);
    const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    expect(r.stdout).toBe(text);
    const m = JSON.parse(text) as Manifest;
    expect(m.files.some((f) => f.kind === 'reassembled')).toBe(true);
    const summary = run(['extract', file, '-o', mkdtempSync(join(tmpdir(), 'ftp-inspect-cli-extract-'))]).stdout.split('\n');
    expect(summary[0]).toBe(`${m.files.length} files written to ${summary[0]!.split(' written to ')[1]!.split(' (')[0]} (manifest.json):`);
    expect(summary.slice(1, -1).map((l) => l.split('  ')[1])).toEqual(m.files.map((f) => f.name));
  });

  it('a reader of the summary that goes away (| head) leaves manifest.json whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-cli-extract-'));
    const child = spawn(process.execPath, [CLI, 'extract', join(FIXTURES, 'resume-rest.pcap'), '-o', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const status = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.files.length).toBeGreaterThan(2);
  });

  it('--ascii native turns the TYPE A MODE Z copy into the original file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-cli-extract-'));
    expect(run(['extract', join(FIXTURES, 'modez-lftp-proftpd.pcap'), '-o', dir, '--ascii', 'native']).status).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.files.filter((f) => f.command === 'RETR').map((f) => f.sha256)).toEqual(Array(2).fill('bba361320fd019ac4ccbd6803ccf2ba62c63e4b31a957ff9fdaf48e7a47b0f4c'));
  });

  it('exit 2 on an unreadable capture', () => {
    expect(run(['extract', '/nonexistent.pcap', '-o', mkdtempSync(join(tmpdir(), 'x-'))]).status).toBe(2);
  });

  it('report --extract DIR: the report names the extracted file; JSON has transfers per session', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-cli-extract-'));
    const text = run([join(FIXTURES, 'active-port.pcap'), '--extract', dir]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/Transfers and their data connections/);
    expect(text.stdout).toMatch(/198\.51\.100\.1:20 → 198\.51\.100\.2:34435; the server opened it \(active mode\)/);
    expect(text.stdout).toMatch(/extracted\s+active-32k\.bin \(32768 bytes, sha256 87b9d5f3/);
    // tshark: frame 26 has tcp.analysis.acks_frame 25 (the 226) and no client frame acks 19 (the 150).
    expect(text.stdout).toContain('frame 26 acknowledges both the 150 (frame 19) and the 226 (frame 25)');
    const json = JSON.parse(run([join(FIXTURES, 'active-port.pcap'), '--format', 'json']).stdout) as { sessions: Array<{ transfers: Array<{ command: string; status: string }> }>; orphans: unknown[]; unusedExpectations: unknown[] };
    expect(json.sessions[0]!.transfers.map((t) => [t.command, t.status])).toEqual([['LIST', 'complete'], ['RETR', 'complete']]);
    expect(json.orphans).toEqual([]);
    expect(json.unusedExpectations).toEqual([]);
  });
});

describe.skipIf(!hasPublicCaptures || !hasTshark)(`ftp-inspect extract: a data connection without its control session${hasPublicCaptures && hasTshark ? '' : ' [SKIPPED: needs ../shared/captures/public and tshark]'}`, () => {
  it('ppa-markofu/ftp-uploadfailed.pcap: the orphan is extracted under a made-up name, byte for byte what tshark follows', () => {
    const file = join(PUBLIC_CAPTURES, 'ppa-markofu/ftp-uploadfailed.pcap');
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-cli-orphan-'));
    const r = run(['extract', file, '-o', dir]);
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.files).toHaveLength(1);
    const f = m.files[0]!;
    expect([f.kind, f.session, f.command]).toEqual(['orphan', null, null]);
    // Named after the stream and the listening side, since no command named it.
    expect(f.name).toBe(`orphan-stream-0-67.169.189.180-2662.bin`);
    expect(r.stdout).toContain('orphan data connection');
    // tshark's follow of the same stream: the data all came from the second node (tab-indented lines).
    const follow = spawnSync('tshark', ['-n', '-r', file, '-q', '-z', 'follow,tcp,raw,0'], { maxBuffer: 1 << 28 }).stdout.toString('utf8');
    const bytes = Buffer.from(follow.split('\n').filter((l) => l.startsWith('\t')).map((l) => l.trim()).join(''), 'hex');
    expect(bytes.length).toBeGreaterThan(1_000_000);
    expect(f.size).toBe(bytes.length);
    expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(createHash('sha256').update(readFileSync(join(dir, f.name))).digest('hex')).toBe(f.sha256);
  });
});
