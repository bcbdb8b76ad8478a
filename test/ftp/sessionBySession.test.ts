// `ftp-inspect creds`, `sessions` and `stats` analyse in memory that does not grow with the
// sessions (analyzeSessionBySession: each session handed on once it is over and dropped; only
// its credentials, its one-line summary or what the statistics read is kept; issue 7). Nothing
// of that may change the answer: on every fixture and public capture the credentials, session
// lines and statistics, their order and numbering, the redaction and the capture warnings must
// be the full analysis's — also for several captures merged by time, and with --separate.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeCredentials, analyzeSeparately, analyzeSessionBySession, type AnalyzeOptions } from '../../src/analyze.js';
import { hasCleartextCredentials } from '../../src/ftp/FtpAnalyzer.js';
import { renderCredentialsJson } from '../../src/report/ftpJson.js';
import { sessionLine, type SessionLine } from '../../src/report/sessionsList.js';
import { renderCredentialsText } from '../../src/report/ftpSessionText.js';
import { collectSessionLines } from '../../src/cli/sessions.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, PUBLIC_CAPTURES, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

/** The `sessions` command's rows, made session by session and put in order. */
async function sessionLines(files: string[], options: AnalyzeOptions = {}, separately = false): Promise<SessionLine[]> {
  const rows: SessionLine[] = [];
  await analyzeSessionBySession(files, options, { separately, onSession: (s) => void rows.push(sessionLine(s)) });
  return rows.sort((a, b) => a.id - b.id);
}

async function check(file: string): Promise<void> {
  const report = await analyze(file);
  expect(await sessionLines([file])).toEqual(report.sessions.map(sessionLine));
  // What `sessions` runs: sessions let go once their connections closed, rows completed with
  // the TCP facts that came later.
  expect((await collectSessionLines([file], {}, false)).lines).toEqual(report.sessions.map(sessionLine));
  // `stats`: the statistics from the little kept of each session are the full report's — also
  // with sessions let go once their connections closed, before the TCP facts came (what `stats`
  // runs: their durations then come from the connection summaries the statistics keep).
  for (const releaseOn of ['summary', 'close'] as const) {
    expect((await analyzeSessionBySession([file], {}, { statistics: true, releaseOn })).statistics, releaseOn).toEqual(report.statistics);
  }
  for (const redact of [false, true]) {
    const full = await analyze(file, { ftp: { redact } });
    const lean = await analyzeCredentials([file], { ftp: { redact } });
    expect(lean.credentials).toEqual(full.credentials);
    expect(lean.redacted).toBe(full.redacted);
    expect(lean.captures).toEqual(full.captures);
    expect(lean.sessions).toEqual([]);
    expect(renderCredentialsText(lean)).toBe(renderCredentialsText(full));
    expect(renderCredentialsJson(lean)).toBe(renderCredentialsJson(full));
    expect(hasCleartextCredentials(lean)).toBe(hasCleartextCredentials(full));
  }
}

describe('creds and sessions without keeping sessions give the full analysis\'s answers: fixtures', () => {
  it('has fixtures with credentials', async () => {
    const withCredentials = await Promise.all(fixtureCaptures().slice(0, 8).map(async (f) => (await analyzeCredentials([f])).credentials.length));
    expect(withCredentials.some((n) => n > 0)).toBe(true);
  });
  for (const file of fixtureCaptures()) it(captureLabel(file), () => check(file), 60_000);

  it('late TCP facts are refused with extraction (a session is handed on only once its files are written)', async () => {
    const file = fixtureCaptures()[0]!;
    await expect(analyzeSessionBySession([file], { ftp: { extract: { sink: {} as never } } }, { releaseOn: 'close', onLateTcpFacts: () => {} })).rejects.toThrow(/extraction/);
  });

  it('several captures, merged by time and with --separate (numbered across them, each naming its capture)', async () => {
    const files = fixtureCaptures().slice(0, 6);
    const merged = await analyzeCredentials(files);
    expect(merged.credentials).toEqual((await analyze(files)).credentials);
    const separate = await analyzeCredentials(files, {}, true);
    const full = await analyzeSeparately(files);
    expect(full.credentials.length).toBeGreaterThan(3);
    expect(separate.credentials).toEqual(full.credentials);
    expect(separate.captures).toEqual(full.captures);
    expect(renderCredentialsText(separate)).toBe(renderCredentialsText(full));
    expect(await sessionLines(files, {}, true)).toEqual(full.sessions.map(sessionLine));
    expect((await collectSessionLines(files, {}, true)).lines).toEqual(full.sessions.map(sessionLine));
    const mergedFull = await analyze(files);
    expect(await sessionLines(files)).toEqual(mergedFull.sessions.map(sessionLine));
    expect((await collectSessionLines(files, {}, false)).lines).toEqual(mergedFull.sessions.map(sessionLine));
    for (const releaseOn of ['summary', 'close'] as const) {
      expect((await analyzeSessionBySession(files, {}, { statistics: true, releaseOn })).statistics, releaseOn).toEqual(mergedFull.statistics);
    }
  }, 120_000);
});

describe(`creds and sessions without keeping sessions give the full analysis's answers: public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  skipWithoutPublicCaptures();

  it('--separate: the data-port announcements never used are numbered with their sessions across the captures', async () => {
    // 2 sessions with one unused announcement each, then 1 session with four.
    const files = ['suricata-verify/ftp-bounce/test.pcap', 'suricata-verify/ftp-epsv/input.pcap'].map((f) => join(PUBLIC_CAPTURES, f));
    const full = await analyzeSeparately(files);
    const unused = full.unusedExpectations ?? [];
    expect(unused.map((u) => u.session)).toEqual([1, 2, 3, 3, 3, 3]);
    for (const u of unused) {
      const s = full.sessions.find((x) => x.id === u.session)!;
      expect(s.dataChannels.some((d) => d.frame === u.frame), `session ${u.session} frame ${u.frame}`).toBe(true);
    }
    const lean = await analyzeSessionBySession(files, {}, { separately: true });
    expect(lean.unusedExpectations).toEqual(full.unusedExpectations);
  });
  for (const file of publicCaptures()) it(captureLabel(file), () => check(file), 120_000);
});
