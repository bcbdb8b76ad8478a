// `ftp-inspect sessions`: one line per session, checked against the full report of the same
// captures (the numbers are the report's) and against what fixtures/record.sh did in each.
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/analyze.js';
import type { SessionLine } from '../../src/report/sessionsList.js';
import { fixtureCaptures, FIXTURES, ROOT } from '../helpers/captures.js';
import { Conversation } from '../tcp/helpers/conversation.js';

const CLI = join(ROOT, 'dist/cli.js');
const fixture = (name: string) => join(FIXTURES, name);

function run(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, COLUMNS: undefined, ...env } as NodeJS.ProcessEnv });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

describe('ftp-inspect sessions', () => {
  const files = fixtureCaptures();

  it('JSON: several captures are one trace: sessions numbered in order of their first frame, as the report of the same captures numbers them', () => {
    const r = run(['sessions', ...files, '--format', 'json']);
    expect(r.status).toBe(0);
    const { sessions } = JSON.parse(r.stdout) as { sessions: SessionLine[] };
    const report = JSON.parse(run([...files, '--format', 'json']).stdout) as Report;
    expect(sessions.map((s) => [s.id, s.controlStream, s.commands])).toEqual(report.sessions.map((s) => [s.id, s.controlStream, s.commands.length]));
    expect(sessions.every((s) => s.capture === undefined)).toBe(true);
    const starts = sessions.map((s) => s.start);
    expect(starts).toEqual([...starts].sort((a, b) => Number(a) - Number(b)));
  });

  it('JSON: merged, distinct recordings keep every session; copies of one recording become one', () => {
    // pasv-download and the session-* fixtures are one recording in five forms (link types,
    // time stamp resolutions): merged, the later copies of its connection are retransmissions.
    // nonstandard-port-2121 follows auth-tls-accepted between the same two hosts: it stays a
    // session of its own (an encrypted session takes unannounced connections only while its
    // control connection is open).
    const distinct = files.filter((f) => !/^session/.test(basename(f)));
    expect(distinct.map((f) => basename(f))).toContain('nonstandard-port-2121.pcap');
    const merged = (JSON.parse(run(['sessions', ...distinct, '--format', 'json']).stdout) as { sessions: SessionLine[] }).sessions;
    const separate = (JSON.parse(run(['sessions', '--separate', ...distinct, '--format', 'json']).stdout) as { sessions: SessionLine[] }).sessions;
    const key = (s: SessionLine) => `${s.client} ${s.server} ${s.user} ${s.commands} ${s.transfers} ${s.bytes} ${s.outcome}`;
    expect(merged.map(key).sort()).toEqual(separate.map(key).sort());
    const copies = files.filter((f) => /^session|^pasv-download/.test(basename(f)));
    expect(copies).toHaveLength(5);
    const once = (JSON.parse(run(['sessions', ...copies, '--format', 'json']).stdout) as { sessions: SessionLine[] }).sessions;
    expect(once.map(key)).toEqual(separate.filter((s) => s.capture?.endsWith('pasv-download.pcap')).map(key));
  });

  it('JSON with --separate: one entry per session of each file\'s report, same numbers, counts that add up', () => {
    const r = run(['sessions', '--separate', ...files, '--format', 'json']);
    expect(r.status).toBe(0);
    const { schemaVersion, sessions } = JSON.parse(r.stdout) as { schemaVersion: number; sessions: SessionLine[] };
    expect(schemaVersion).toBe(1);
    const report = JSON.parse(run([files[0]!, '--format', 'json']).stdout) as Report;
    expect(report.sessions.length).toBeGreaterThan(0);
    expect(sessions.length).toBeGreaterThanOrEqual(files.length);
    const first = sessions.filter((s) => s.capture === files[0]);
    expect(first.map((s) => [s.client, s.commands, s.transfers, s.controlStream])).toEqual(
      report.sessions.map((s) => [`${s.client.ip}:${s.client.port}`, s.commands.length, s.transfers.length, s.controlStream]),
    );
    for (const s of sessions) expect(s.downloads + s.uploads + s.listings).toBeLessThanOrEqual(s.transfers);
  });

  it('says what happened in words that match what the recorder did', () => {
    const r = run(['sessions', '--separate', fixture('pasv-download.pcap'), fixture('login-failed-then-ok.pcap'), fixture('upload-stor.pcap'), fixture('auth-tls-accepted.pcap'), '--format', 'json']);
    const sessions = (JSON.parse(r.stdout) as { sessions: SessionLine[] }).sessions;
    expect(sessions.map((s) => s.outcome)).toEqual([
      'logged in as student, 1 download, 1 listing, closed by client',
      'logged in as student (after 1 refused login), closed by client',
      'logged in as student, 1 upload, closed by client',
      // PROT P: the RETR was inside TLS; the data connection's bytes flowed server to client,
      // so it is a download whose contents (and completeness) nobody can check.
      'TLS, 1 encrypted download, closed by client',
    ]);
    expect(sessions[0]).toMatchObject({ id: 1, user: 'student', login: 'accepted', server: '198.51.100.1:21', commands: 17, transfers: 2, downloads: 1, listings: 1, closedBy: 'client' });
    // Bytes are the transfers' file bytes: the 24 KiB download plus the 622-byte listing.
    expect(sessions[0]!.bytes).toBe(24576 + 622);
    expect(sessions[2]!.bytes).toBe(32768);
  });

  it('text: several captures merged are one table in time order, without groups', () => {
    const r = run(['sessions', fixture('active-port.pcap'), fixture('ipv6-epsv-eprt.pcap')]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    // active-port was recorded first, so its session comes first whatever the order given.
    expect(lines.slice(1).map((l) => /\[2001:db8::1\]:21/.test(l))).toEqual([false, true, true]);
    expect(run(['sessions', fixture('ipv6-epsv-eprt.pcap'), fixture('active-port.pcap')]).stdout).toBe(r.stdout);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['1', '2', '3']);
  });

  it('text with --separate: a table with one row per session, grouped by capture', () => {
    const r = run(['sessions', '--separate', fixture('ipv6-epsv-eprt.pcap'), fixture('active-port.pcap')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#\s+Start \(UTC\)\s+Client\s+Server\s+User\s+Cmds\s+Xfers\s+Bytes\s+Outcome$/);
    expect(lines[1]).toBe(`${fixture('ipv6-epsv-eprt.pcap')}:`);
    expect(lines[2]).toMatch(/^1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\s+\[2001:db8::2\]:\d+\s+\[2001:db8::1\]:21\s+student\s+12\s+2\s+21054\s+logged in as student, 1 download, 1 listing, closed by server$/);
    expect(lines[3]).toMatch(/^2\s.*\[2001:db8::1\]:21\s+student\s+8\s+1\s+16384\s+logged in as student, 1 download, closed by server$/);
    expect(lines[4]).toBe(`${fixture('active-port.pcap')}:`);
    expect(lines[5]).toMatch(/^3\s.*198\.51\.100\.1:21\s+student\s+9\s+2\s+33342\s+logged in as student, 1 download, 1 listing, closed by server$/);
    // Columns line up across the capture groups.
    expect(lines[2]!.indexOf('student')).toBe(lines[5]!.indexOf('student'));
  });

  it('fits the Outcome column to COLUMNS, and colours the header only when asked', () => {
    const narrow = run(['sessions', fixture('anonymous-login.pcap')], { COLUMNS: '100' });
    const rows = narrow.stdout.trimEnd().split('\n');
    for (const l of rows) expect([...l].length).toBeLessThanOrEqual(100);
    expect(rows.length).toBeGreaterThan(2); // the outcome wrapped onto a second line
    expect(narrow.stdout).toContain('logged in as anonymous, 2');
    expect(narrow.stdout).not.toContain('Start (UTC)'); // the first column to go on a narrow terminal
    const wide = run(['sessions', fixture('anonymous-login.pcap')], { COLUMNS: '200' });
    expect(wide.stdout).toContain('Start (UTC)');
    expect(wide.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(run(['sessions', fixture('anonymous-login.pcap')]).stdout).not.toContain('\u001b[');
    expect(run(['sessions', fixture('anonymous-login.pcap'), '--color', 'always']).stdout).toContain('\u001b[1m#  Start (UTC)');
  });

  it('a capture without FTP says so; a damaged one exits 2', () => {
    const web = new Conversation({ ip: '198.51.100.2', port: 40000 }, { ip: '198.51.100.1', port: 8080 });
    web.handshake();
    web.data('client', 'GET / HTTP/1.1\r\n\r\n');
    web.data('server', 'HTTP/1.1 204 No Content\r\n\r\n');
    web.close();
    const r = run(['sessions', web.write('web.pcap')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('No FTP control connection found.\n');
    expect(JSON.parse(run(['sessions', web.write('web.pcap'), '--format', 'json']).stdout)).toEqual({ schemaVersion: 1, sessions: [] });
    const none = run(['sessions', join(ROOT, 'package.json')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/package\.json/);
  });
});
