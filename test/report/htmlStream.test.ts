// The HTML report made session by session (HtmlReportStream over analyzeSessionBySession, what
// `ftp-inspect CAPTURE --format html` runs) must be byte for byte the whole report's
// (renderHtml) on every fixture and public capture — sequence plots included, which the stream
// takes as each session is handed on — passwords masked or not, on several captures merged, and
// when no frame had a time yet as the sessions ended.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, analyzeSessionBySession, type AnalyzeOptions } from '../../src/analyze.js';
import { HtmlReportStream, renderHtml } from '../../src/report/html.js';
import { textOfPieces } from '../helpers/pieces.js';
import { seededRandom } from '../helpers/random.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

const withPlots = (options: AnalyzeOptions): AnalyzeOptions => ({ ...options, ftp: { ...options.ftp, plots: true } });

const spoolDir = mkdtempSync(join(tmpdir(), 'ftp-inspect-html-stream-'));
afterAll(() => rmSync(spoolDir, { recursive: true, force: true }));

/** What `pieces` or (as the CLI writes) `output` give, as one text. */
function joined(stream: HtmlReportStream, report: Parameters<HtmlReportStream['pieces']>[0], how: 'pieces' | 'output'): string {
  return how === 'pieces' ? [...stream.pieces(report)].join('') : textOfPieces(stream.output(report));
}

async function streamed(files: string[], options: AnalyzeOptions = {}, how: 'pieces' | 'output' = 'pieces'): Promise<string> {
  const stream = new HtmlReportStream({}, how === 'output' ? spoolDir : undefined);
  const report = await analyzeSessionBySession(files, withPlots(options), { listings: false, statistics: true, onSession: (s, context) => stream.add(s, context) });
  return joined(stream, report, how);
}

async function check(file: string): Promise<void> {
  // `output` (the sections as the spool's bytes, the spool in a file) with passwords shown, `pieces` with them masked.
  for (const [options, how] of [[{}, 'output'], [{ ftp: { redact: true } }, 'pieces']] as Array<[AnalyzeOptions, 'pieces' | 'output']>) {
    const whole = renderHtml(await analyze(file, withPlots(options)));
    expect(await streamed([file], options, how)).toBe(whole);
  }
}

describe('the HTML report session by session is the whole report: fixtures', () => {
  for (const file of fixtureCaptures()) it(captureLabel(file), () => check(file), 60_000);

  it('draws the plots of the transfers (the stream takes them as each session ends)', async () => {
    const html = await streamed([fixtureCaptures().find((f) => f.endsWith('pasv-download.pcap'))!]);
    expect(html).toContain('<svg class="seqplot"');
  });

  it('several captures merged by time', async () => {
    const files = fixtureCaptures().slice(0, 5);
    expect(await streamed(files)).toBe(renderHtml(await analyze(files, withPlots({}))));
  }, 120_000);

  it('sessions ending in any order, before any frame had a time: made at the end, times from the first session', async () => {
    const full = await analyze(fixtureCaptures().find((f) => f.endsWith('parallel-sessions.pcap'))!, withPlots({}));
    const { captureStart: _, ...withoutStart } = full;
    const random = seededRandom(7);
    const order = [...full.sessions].sort(() => random() - 0.5);
    for (const how of ['pieces', 'output'] as const) {
      const stream = new HtmlReportStream({}, how === 'output' ? spoolDir : undefined);
      for (const s of order) stream.add(structuredClone(s), { captureStart: undefined });
      expect(joined(stream, { ...withoutStart, sessions: [] }, how), how).toBe(renderHtml(withoutStart));
    }
  });
});

describe(`the HTML report session by session is the whole report: public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) it(captureLabel(file), () => check(file), 120_000);
});
