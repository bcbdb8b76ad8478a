// The JSON report made session by session (ReportJsonStream over analyzeSessionBySession, what
// `ftp-inspect CAPTURE --format json` runs) must be byte for byte the whole report's JSON
// (reportJsonChunks) on every fixture and public capture, passwords masked or not, with the
// data connections' plot points (--plots) or without; and on several captures merged by time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, analyzeSessionBySession, type AnalyzeOptions } from '../../src/analyze.js';
import type { FtpSession } from '../../src/ftp/model.js';
import { ReportJsonStream, reportJsonChunks } from '../../src/report/ftpJson.js';
import { textOfPieces } from '../helpers/pieces.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

const spoolDir = mkdtempSync(join(tmpdir(), 'ftp-inspect-json-stream-'));
afterAll(() => rmSync(spoolDir, { recursive: true, force: true }));

/**
 * The streamed report's text: its chunks (the spool in memory), or, as the CLI writes it, its
 * output pieces with the sessions as bytes read back from a spool file.
 */
async function streamed(files: string[], options: AnalyzeOptions = {}, how: 'chunks' | 'output' = 'chunks', maxSessionText?: number): Promise<string> {
  const stream = new ReportJsonStream(how === 'output' ? spoolDir : undefined, { maxSessionText });
  const report = await analyzeSessionBySession(files, options, { listings: true, statistics: true, onSession: (s) => stream.add(s) });
  return how === 'chunks' ? [...stream.chunks(report)].join('') : textOfPieces(stream.output(report));
}

async function check(file: string): Promise<void> {
  for (const options of [{}, { ftp: { redact: true } }, { ftp: { plots: true } }] as AnalyzeOptions[]) {
    const whole = [...reportJsonChunks(await analyze(file, options))].join('');
    expect(await streamed([file], options)).toBe(whole);
    if (options.ftp === undefined) {
      expect(await streamed([file], options, 'output')).toBe(whole);
      // Every session spooled in parts, as one too long for a string is.
      expect(await streamed([file], options, 'output', 100)).toBe(whole);
    }
  }
}

describe('the JSON report session by session is the whole report: fixtures', () => {
  for (const file of fixtureCaptures()) it(captureLabel(file), () => check(file), 60_000);

  it('several captures merged by time', async () => {
    const files = fixtureCaptures().slice(0, 5);
    expect(await streamed(files)).toBe([...reportJsonChunks(await analyze(files))].join(''));
  }, 120_000);

  it('with --plots, the plot points are there (taken as each session ends, and for orphan connections at the end)', async () => {
    const json = JSON.parse(await streamed([fixtureCaptures().find((f) => f.endsWith('pasv-download.pcap'))!], { ftp: { plots: true } }));
    const plot = json.sessions.flatMap((s: { transfers: Array<{ connection: { plot?: { data: { points: unknown[] } } } | null }> }) => s.transfers).find((t: { connection: unknown }) => t.connection)?.connection.plot;
    expect(plot.data.points.length).toBeGreaterThan(0);
  });
});

describe('a session too long for one string', () => {
  // A real one is over 512 MB of JSON (a mirroring client's session listing millions of
  // entries; checked by hand with 200 listings of 10,000 entries, ~700 MB, when this was
  // written: 47 s and 2.8 GB, too much for every test run). Here JSON.stringify's RangeError
  // comes from a member that throws it once, as V8 does when the text outgrows a string.
  it('is spooled in parts when JSON.stringify gives up on it, and written whole', async () => {
    const file = fixtureCaptures().find((f) => f.endsWith('pasv-download.pcap'))!;
    const report = await analyze([file]);
    let asked = 0;
    const session = (): FtpSession => ({
      ...report.sessions[0]!,
      outgrown: {
        toJSON: () => {
          if (asked++ === 0) throw new RangeError('Invalid string length');
          return 'asked again';
        },
      },
    }) as unknown as FtpSession;
    const stream = new ReportJsonStream(spoolDir);
    stream.add(session());
    expect(asked).toBe(2);
    const whole = [...reportJsonChunks({ ...report, sessions: [session()] })].join('');
    expect(textOfPieces(stream.output({ ...report, sessions: [] }))).toBe(whole);
    expect(JSON.parse(whole).sessions[0].outgrown).toBe('asked again');
    // Any other error is the caller's.
    const failing = { ...report.sessions[0]!, bad: { toJSON: () => { throw new TypeError('not JSON'); } } } as unknown as FtpSession;
    expect(() => new ReportJsonStream().add(failing)).toThrow(TypeError);
  });
});

describe(`the JSON report session by session is the whole report: public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) it(captureLabel(file), () => check(file), 120_000);
});
