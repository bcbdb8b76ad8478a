// `--separate` (each capture analysed alone, sessions numbered across them, times counted from
// session 1's start) made session by session, as the report command runs it in every format, must
// be byte for byte the whole report's (analyzeSeparately, then the renderer): text, JSON (with
// plot points), Markdown and HTML, on fixtures given together, on every public capture at once,
// and on a single capture (which keeps its statistics, as analyzeSeparately does).
import { describe, expect, it } from 'vitest';
import { analyzeSeparately, analyzeSessionBySession, type AnalyzeOptions } from '../../src/analyze.js';
import { ReportJsonStream, reportJsonChunks } from '../../src/report/ftpJson.js';
import { renderSessionsText, SessionsTextStream } from '../../src/report/ftpSessionText.js';
import { HtmlReportStream, renderHtml } from '../../src/report/html.js';
import { MarkdownReportStream, renderMarkdown } from '../../src/report/markdown.js';
import { fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

const PLOTS: AnalyzeOptions = { ftp: { plots: true } };

async function eachFormat(files: string[]): Promise<void> {
  const run = async (onSession: NonNullable<Parameters<typeof analyzeSessionBySession>[2]['onSession']>, options: AnalyzeOptions = {}) =>
    analyzeSessionBySession(files, options, { separately: true, listings: true, statistics: true, onSession });

  const text = new SessionsTextStream();
  const textReport = await run((s, c) => text.add(s, c));
  expect([...text.pieces(textReport)].join(''), 'text').toBe(renderSessionsText(await analyzeSeparately(files)));

  const json = new ReportJsonStream();
  const jsonReport = await run((s) => json.add(s), PLOTS);
  expect([...json.chunks(jsonReport)].join(''), 'json').toBe([...reportJsonChunks(await analyzeSeparately(files, PLOTS))].join(''));

  const md = new MarkdownReportStream();
  const mdReport = await run((s, c) => md.add(s, c));
  expect([...md.pieces(mdReport)].join(''), 'md').toBe(renderMarkdown(await analyzeSeparately(files)));

  const html = new HtmlReportStream();
  const htmlReport = await run((s, c) => html.add(s, c), PLOTS);
  expect([...html.pieces(htmlReport)].join(''), 'html').toBe(renderHtml(await analyzeSeparately(files, PLOTS)));
}

const fixture = (name: string): string => fixtureCaptures().find((f) => f.endsWith(name))!;

describe('--separate session by session is the whole report: fixtures', () => {
  it('five fixtures given together', () => eachFormat(fixtureCaptures().slice(0, 5)), 120_000);
  it('later captures first, several sessions each', () => eachFormat([fixture('parallel-sessions.pcap'), fixture('resume-rest.pcap'), fixture('active-port.pcap')]), 120_000);
  it('one capture (statistics kept)', () => eachFormat([fixture('pasv-download.pcap')]), 60_000);
});

describe(`--separate session by session is the whole report: every public capture at once${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  skipWithoutPublicCaptures();
  it('all of them', () => eachFormat(publicCaptures()), 600_000);
  it('the first capture\'s first frame 13 s before its first session (times count from the session)', () => {
    const first = publicCaptures().find((f) => f.endsWith('jovair1994-intro-traffic/ftp.pcapng'));
    expect(first, 'jovair1994-intro-traffic/ftp.pcapng').toBeDefined();
    return eachFormat([first!, fixture('pasv-download.pcap')]);
  }, 120_000);
});
