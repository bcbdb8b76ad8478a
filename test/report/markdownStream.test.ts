// The Markdown report made session by session (MarkdownReportStream over analyzeSessionBySession,
// what `ftp-inspect CAPTURE --format md` runs) must be byte for byte the whole report's
// (renderMarkdown) on every fixture and public capture, passwords masked or not, on several
// captures merged, and when no frame had a time yet as the sessions ended.
import { describe, expect, it } from 'vitest';
import { analyze, analyzeSessionBySession, type AnalyzeOptions } from '../../src/analyze.js';
import { MarkdownReportStream, renderMarkdown } from '../../src/report/markdown.js';
import { seededRandom } from '../helpers/random.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

async function streamed(files: string[], options: AnalyzeOptions = {}): Promise<string> {
  const stream = new MarkdownReportStream();
  const report = await analyzeSessionBySession(files, options, { listings: 'summary', statistics: true, onSession: (s, context) => stream.add(s, context) });
  return [...stream.pieces(report)].join('');
}

async function check(file: string): Promise<void> {
  for (const options of [{}, { ftp: { redact: true } }] as AnalyzeOptions[]) {
    expect(await streamed([file], options)).toBe(renderMarkdown(await analyze(file, options)));
  }
}

describe('the Markdown report session by session is the whole report: fixtures', () => {
  for (const file of fixtureCaptures()) it(captureLabel(file), () => check(file), 60_000);

  it('several captures merged by time', async () => {
    const files = fixtureCaptures().slice(0, 5);
    expect(await streamed(files)).toBe(renderMarkdown(await analyze(files)));
  }, 120_000);

  it('sessions ending in any order, before any frame had a time: answered at the end, counted from the first session', async () => {
    const full = await analyze(fixtureCaptures().find((f) => f.endsWith('parallel-sessions.pcap'))!);
    const { captureStart: _, ...withoutStart } = full;
    const random = seededRandom(5);
    const stream = new MarkdownReportStream();
    for (const s of [...full.sessions].sort(() => random() - 0.5)) stream.add(structuredClone(s), { captureStart: undefined });
    expect([...stream.pieces({ ...withoutStart, sessions: [] })].join('')).toBe(renderMarkdown(withoutStart));
  });
});

describe(`the Markdown report session by session is the whole report: public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) it(captureLabel(file), () => check(file), 120_000);
});
