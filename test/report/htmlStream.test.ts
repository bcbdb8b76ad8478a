// The HTML report made session by session (HtmlReportStream over analyzeSessionBySession, what
// `ftp-inspect CAPTURE --format html` runs) must be byte for byte the whole report's
// (renderHtml) on every fixture and public capture — sequence plots included, which the stream
// takes as each session is handed on — passwords masked or not, on several captures merged, and
// when no frame had a time yet as the sessions ended.
import { describe, expect, it } from 'vitest';
import { analyze, analyzeSessionBySession, type AnalyzeOptions } from '../../src/analyze.js';
import { HtmlReportStream, renderHtml } from '../../src/report/html.js';
import { seededRandom } from '../helpers/random.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

const withPlots = (options: AnalyzeOptions): AnalyzeOptions => ({ ...options, ftp: { ...options.ftp, plots: true } });

async function streamed(files: string[], options: AnalyzeOptions = {}): Promise<string> {
  const stream = new HtmlReportStream();
  const report = await analyzeSessionBySession(files, withPlots(options), { listings: false, statistics: true, onSession: (s, context) => stream.add(s, context) });
  return [...stream.pieces(report)].join('');
}

async function check(file: string): Promise<void> {
  for (const options of [{}, { ftp: { redact: true } }] as AnalyzeOptions[]) {
    const whole = renderHtml(await analyze(file, withPlots(options)));
    expect(await streamed([file], options)).toBe(whole);
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
    const stream = new HtmlReportStream();
    for (const s of [...full.sessions].sort(() => random() - 0.5)) stream.add(structuredClone(s), { captureStart: undefined });
    expect([...stream.pieces({ ...withoutStart, sessions: [] })].join('')).toBe(renderHtml(withoutStart));
  });
});

describe(`the HTML report session by session is the whole report: public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) it(captureLabel(file), () => check(file), 120_000);
});
