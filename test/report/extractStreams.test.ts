// The report with --extract made session by session: a session is handed on once its files were
// written (FtpAnalyzer.handed; its transfers name their files then). Its text, JSON (with plot
// points), Markdown and HTML (linking the files) must be byte for byte what the whole-report
// renderers give the full analysis with the same extraction, and the two manifests equal, on
// every fixture and public capture, and on several captures given with --separate.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeSeparately, analyzeSessionBySession, type AnalyzeOptions, type Report } from '../../src/analyze.js';
import { FileSink } from '../../src/extract/FileSink.js';
import { ReportJsonStream, reportJsonChunks } from '../../src/report/ftpJson.js';
import { renderSessionsText, SessionsTextStream } from '../../src/report/ftpSessionText.js';
import { HtmlReportStream, renderHtml } from '../../src/report/html.js';
import { MarkdownReportStream, renderMarkdown } from '../../src/report/markdown.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

const href = (name: string): string => `files/${encodeURIComponent(name)}`;

async function withSink(run: (options: AnalyzeOptions) => Promise<Report>): Promise<{ report: Report; manifest: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-extract-stream-'));
  const sink = await FileSink.create(dir);
  const report = await run({ ftp: { plots: true, extract: { sink } } });
  await sink.finish();
  return { report, manifest: readFileSync(join(dir, 'manifest.json'), 'utf8') };
}

async function check(files: string[], separately: boolean): Promise<void> {
  const whole = await withSink((options) => (separately ? analyzeSeparately(files, options) : analyze(files, options)));
  const text = new SessionsTextStream();
  const json = new ReportJsonStream();
  const md = new MarkdownReportStream();
  const html = new HtmlReportStream({ extractedHref: href });
  const streamed = await withSink((options) => analyzeSessionBySession(files, options, {
    separately,
    listings: true,
    statistics: true,
    onSession: (s, context) => {
      text.add(s, context);
      json.add(s);
      md.add(s, context);
      html.add(s, context);
    },
  }));
  expect(streamed.manifest, 'manifest.json').toBe(whole.manifest);
  const r = streamed.report;
  expect([...text.pieces(r)].join(''), 'text').toBe(renderSessionsText(whole.report));
  expect([...json.chunks(r)].join(''), 'json').toBe([...reportJsonChunks(whole.report)].join(''));
  expect([...md.pieces(r)].join(''), 'md').toBe(renderMarkdown(whole.report));
  expect([...html.pieces(r)].join(''), 'html').toBe(renderHtml(whole.report, { extractedHref: href }));
}

describe('the report with --extract session by session is the whole report: fixtures', () => {
  for (const file of fixtureCaptures()) it(captureLabel(file), () => check([file], false), 60_000);
  it('several captures with --separate', () => check(fixtureCaptures().slice(0, 6), true), 120_000);
});

describe(`the report with --extract session by session is the whole report: public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) it(captureLabel(file), () => check([file], false), 120_000);
});
