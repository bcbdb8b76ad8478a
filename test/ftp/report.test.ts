// The FTP lab report renderers (src/report/ftpSessionText.ts, ftpJson.ts): the lab answers
// with their frames on a real fixture, the JSON contract scripts rely on, escaping of hostile
// capture text, and --redact in every output.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFtpAnalyzer } from '../../src/ftp/FtpAnalyzer.js';
import type { FtpReport } from '../../src/ftp/model.js';
import { renderCredentialsJson, renderReportJson } from '../../src/report/ftpJson.js';
import { renderCredentialsText, renderSessionsText } from '../../src/report/ftpSessionText.js';
import { FIXTURES } from '../helpers/captures.js';
import { analyzeCapture } from './helpers/analyze.js';
import { START, Script } from './helpers/script.js';

describe('text report on fixtures/pasv-download.pcap', () => {
  let text: string;
  const load = async () => (text ??= renderSessionsText(await analyzeCapture(join(FIXTURES, 'pasv-download.pcap'))));

  it('answers the lab questions with frame numbers: ports, handshake, greeting, login, commands, teardown', async () => {
    const t = await load();
    expect(t).toContain('FTP session 1: 198.51.100.2:58714 → 198.51.100.1:21, control connection tcp.stream 0');
    expect(t).toContain('Server      198.51.100.1, port 21');
    expect(t).toMatch(/SYN {7}frame 1 .*seq 0 \(raw \d+\)/);
    expect(t).toMatch(/SYN, ACK {2}frame 2 /);
    expect(t).toMatch(/ACK {7}frame 3 /);
    expect(t).toMatch(/initial RTT 0\.\d{6} s/);
    expect(t).toContain('frame 4: 220 "ready" reply, 6 lines:');
    expect(t).toContain('Software    Pure-FTPd (from the banner in frame 4)');
    expect(t).toMatch(/│ 1 │ student │ 11 +│ lab-pass-2026 │ 13 +│ accepted \(230 OK\. Current restricted directory is \/\) │ 14 +│/);
    expect(t).toContain('the user name came in a single segment (frame 11)');
    expect(t).toContain('not requested: the whole control channel, password included, crossed the network in cleartext');
    expect(t).toMatch(/\n {2}50 +\d\.\d{6} +C→S +RETR +lab-data-24k\.bin/);
    expect(t).toMatch(/\n {2}87 +\d\.\d{6} +S→C +226 +File successfully transferred \(\+1 lines\) +RETR 50/);
    expect(t).toContain('the server listens on 198.51.100.1 port 30008 (117 × 256 + 56 = 30008)');
    expect(t).toMatch(/QUIT in frame 91, TCP flags \[PSH, ACK\], seq \d+ \(raw \d+\), ack \d+ \(raw \d+\), 6 bytes/);
    expect(t).toContain('221 Goodbye. You uploaded 0 and downloaded 24 kbytes. in frame 92');
    expect(t).toContain('the client closed first:');
    expect(t).toMatch(/frame 93 +client → server {2}\[FIN, ACK\] {2}seq \d+ \(raw \d+\), ack \d+ \(raw \d+\)/);
    expect(t).toMatch(/│ 1 +│ 198\.51\.100\.1:21 │ student │ lab-pass-2026 │ accepted \(230\) │ 11, 13, 14 │/);
  });
});

/** A session whose server sends terminal escapes, a C1 CSI, a bidi override and a lone ESC in its banner and replies. */
function hostileReport(redact = false): FtpReport {
  const analyzer = createFtpAnalyzer({ redact });
  const script = new Script(analyzer.factory(START)!);
  script.server('220 \x1b[31mred\x1b[0m \u009b2J banner\r\n'.replace('\u009b', '\xc2\x9b'));
  script.client('USER \x1b]0;title\x07me\r\n');
  script.server('331 ok \xe2\x80\xae reversed\r\n');
  script.client('PASS hunter2\r\n');
  script.server('230 in\r\n');
  script.client('RETR caf\xe9-not-utf8\r\n');
  script.close();
  return analyzer.finish();
}

const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('escaping', () => {
  it('the text report shows control characters, C1 and bidi overrides escaped, never raw', () => {
    const t = renderSessionsText(hostileReport());
    expect(t).not.toMatch(RAW_CONTROL);
    expect(t).toContain('\\x1b[31mred\\x1b[0m \\x9b2J banner');
    expect(t).toContain('\\u{202e} reversed');
    expect(t).toMatch(/RETR +caf\\xe9-not-utf8/);
  });

  it('the JSON report is valid JSON with every such character as a \\u escape', () => {
    const report = hostileReport();
    const json = renderReportJson(report);
    expect(json).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(report)));
  });
});

describe('JSON contract', () => {
  it('has the keys scripts depend on', async () => {
    const report = JSON.parse(renderReportJson(await analyzeCapture(join(FIXTURES, 'login-failed-then-ok.pcap'))));
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['sessions', 'credentials']));
    const s = report.sessions[0];
    for (const key of ['id', 'client', 'server', 'controlStream', 'banner', 'serverName', 'logins', 'encrypted', 'commands']) expect(s).toHaveProperty(key);
    expect(s.client).toEqual({ ip: '198.51.100.2', port: expect.any(Number) });
    expect(s.server).toEqual({ ip: '198.51.100.1', port: 21 });
    expect(s.controlStream).toBe(0);
    expect(s.serverName).toBeNull();
    for (const c of s.commands) {
      expect(c).toEqual(expect.objectContaining({ frame: expect.any(Number), frames: expect.any(Array), command: expect.any(String), arg: expect.any(String), replies: expect.any(Array) }));
      for (const r of c.replies) expect(r).toEqual(expect.objectContaining({ frame: expect.any(Number), code: expect.any(Number), text: expect.any(String) }));
    }
    expect(report.credentials).toEqual([
      expect.objectContaining({ session: 1, user: 'student', password: 'wrong-pass-2026', outcome: 'rejected', frames: expect.any(Array) }),
      expect.objectContaining({ session: 1, user: 'student', password: 'lab-pass-2026', outcome: 'accepted', frames: expect.any(Array) }),
    ]);
    const creds = JSON.parse(renderCredentialsJson(await analyzeCapture(join(FIXTURES, 'login-failed-then-ok.pcap'))));
    expect(creds.credentials).toEqual(report.credentials);
  });
});

describe('--redact', () => {
  it('no output shows the password', () => {
    const report = hostileReport(true);
    for (const out of [renderSessionsText(report), renderReportJson(report), renderCredentialsText(report), renderCredentialsJson(report)]) {
      expect(out).not.toContain('hunter2');
    }
    expect(renderCredentialsText(report)).toContain('Passwords masked (--redact).');
  });
});

describe('credentials table', () => {
  it('says so when there is none', () => {
    expect(renderCredentialsText({ sessions: [], credentials: [], redacted: false })).toBe('No cleartext credentials found.');
    expect(renderSessionsText({ sessions: [], credentials: [], redacted: false })).toBe('No FTP control connection found.\n');
  });
});
