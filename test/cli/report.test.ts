// The lab report (the default command) and `creds`, as a user runs them: the built CLI on
// real fixtures, checked against what fixtures/record.sh says happened in each session.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/analyze.js';
import { FIXTURES, ROOT } from '../helpers/captures.js';

const CLI = join(ROOT, 'dist/cli.js');
const fixture = (name: string) => join(FIXTURES, name);
const tmp = mkdtempSync(join(tmpdir(), 'ftp-inspect-report-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

describe('ftp-inspect <capture> (the lab report)', () => {
  it('is the default command and answers the lab questions with frames', () => {
    const r = run([fixture('active-port.pcap')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('FTP session 1: 198.51.100.2:');
    expect(r.stdout).toMatch(/SYN\s+frame 1\s+client → server\s+seq 0 \(raw \d+\)/);
    expect(r.stdout).toMatch(/Greeting\s+frame 4: 220/);
    expect(r.stdout).toMatch(/PORT in frame 13: .* \(157 × 256 \+ 215 = 40407\)/);
    expect(r.stdout).toMatch(/QUIT in frame 81, TCP flags \[PSH, ACK\]/);
  });

  it('--format json keeps the documented keys, and agrees with what the recorder logged', () => {
    const r = run([fixture('login-failed-then-ok.pcap'), '--format', 'json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.schemaVersion).toBe(1);
    expect(report.captures[0]).toMatchObject({ format: 'pcap', frames: expect.any(Number) });
    const session = report.sessions[0]!;
    for (const key of ['id', 'client', 'server', 'controlStream', 'banner', 'serverName', 'logins', 'encrypted', 'commands']) expect(session).toHaveProperty(key);
    expect(session.server).toEqual({ ip: '198.51.100.1', port: 21 });
    const passes = session.commands.filter((c) => c.command === 'PASS');
    expect(passes.map((c) => [c.arg, c.replies.at(-1)?.code])).toEqual([['wrong-pass-2026', 530], ['lab-pass-2026', 230]]);
    expect(report.credentials.map((c) => [c.user, c.password, c.outcome])).toEqual([
      ['student', 'wrong-pass-2026', 'rejected'],
      ['student', 'lab-pass-2026', 'accepted'],
    ]);
    for (const c of report.credentials) expect(c.frames.length).toBeGreaterThan(0);
  });

  it('--redact masks every password in text and JSON', () => {
    for (const format of ['text', 'json']) {
      const r = run([fixture('login-failed-then-ok.pcap'), '--redact', '--format', format]);
      expect(r.status).toBe(0);
      expect(r.stdout).not.toContain('lab-pass-2026');
      expect(r.stdout).not.toContain('wrong-pass-2026');
    }
  });

  it('finds FTP on a non-standard port by content, and not when detection is off', () => {
    expect(run([fixture('nonstandard-port-2121.pcap')]).stdout).toContain('198.51.100.1:2121');
    const off = run([fixture('nonstandard-port-2121.pcap'), '--no-detect', '--format', 'json']);
    expect((JSON.parse(off.stdout) as Report).sessions).toEqual([]);
    const port = run([fixture('nonstandard-port-2121.pcap'), '--no-detect', '--ftp-port', '2121', '--format', 'json']);
    expect((JSON.parse(port.stdout) as Report).sessions).toHaveLength(1);
  });
});

describe('ftp-inspect creds', () => {
  it('exits 1 and lists the credentials when a cleartext password is there', () => {
    const r = run(['creds', fixture('active-port.pcap')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('lab-pass-2026');
  });

  it('exits 0 when the login was protected by TLS', () => {
    const r = run(['creds', fixture('auth-tls-accepted.pcap')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/No cleartext credentials/);
  });

  it('reads several captures as one trace merged by time; --separate names each capture instead', () => {
    const files = [fixture('active-port.pcap'), fixture('upload-stor.pcap')];
    const r = run(['creds', '--format', 'json', ...files]);
    expect(r.status).toBe(1);
    const merged = (JSON.parse(r.stdout) as Report).credentials;
    // upload-stor was recorded before active-port: its login comes first in the merged trace.
    const alone = files.map((f) => (JSON.parse(run(['creds', '--format', 'json', f]).stdout) as Report).credentials);
    expect(merged.map((c) => [c.session, c.user, c.password])).toEqual([...alone[1]!, ...alone[0]!].map((c, i) => [i + 1, c.user, c.password]));
    expect(merged.every((c) => c.capture === undefined)).toBe(true);
    // Frame numbers are the merged trace's: active-port's come after all of upload-stor's frames.
    expect(merged[0]!.frames).toEqual(alone[1]![0]!.frames);
    expect(merged[1]!.frames[0]).toBeGreaterThan(alone[0]![0]!.frames[0]!);
    const separate = run(['creds', '--format', 'json', '--separate', ...files]);
    expect(separate.status).toBe(1);
    const { credentials } = JSON.parse(separate.stdout) as Report;
    expect(credentials.map((c) => c.capture)).toEqual(files);
    expect(credentials.map((c) => c.frames)).toEqual([...alone[0]!, ...alone[1]!].map((c) => c.frames));
  });

  it('exits 2 on input that is not a capture', () => {
    const notes = join(tmp, 'notes.txt');
    writeFileSync(notes, 'not a capture');
    const r = run(['creds', notes]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/notes\.txt: not a pcap or pcapng capture/);
    expect(readFileSync(notes, 'utf8')).toBe('not a capture');
  });
});
