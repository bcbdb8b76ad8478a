// The text report made session by session (SessionsTextStream over analyzeSessionBySession, what
// `ftp-inspect CAPTURE` runs) must be byte for byte the whole-report renderer's text on every
// fixture and public capture: with every reply line, with epoch times, with passwords masked,
// and when no frame had a time yet as the sessions ended (their texts are then made at the end).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, analyzeSessionBySession, type AnalyzeOptions } from '../../src/analyze.js';
import { renderSessionsText, SessionsTextStream, type SessionsTextOptions } from '../../src/report/ftpSessionText.js';
import { textOfPieces } from '../helpers/pieces.js';
import { seededRandom } from '../helpers/random.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

const spoolDir = mkdtempSync(join(tmpdir(), 'ftp-inspect-text-stream-'));
afterAll(() => rmSync(spoolDir, { recursive: true, force: true }));

/** What `pieces` or (as the CLI writes a file or a pipe) `output` give, as one text. */
function joined(stream: SessionsTextStream, report: Parameters<SessionsTextStream['pieces']>[0], how: 'pieces' | 'output'): string {
  return how === 'pieces' ? [...stream.pieces(report)].join('') : textOfPieces(stream.output(report));
}

async function streamed(file: string, options: SessionsTextOptions, analyzeOptions: AnalyzeOptions = {}, how: 'pieces' | 'output' = 'pieces'): Promise<string> {
  const stream = new SessionsTextStream(options, how === 'output' ? spoolDir : undefined);
  const report = await analyzeSessionBySession([file], analyzeOptions, { listings: 'summary', onSession: (s, context) => stream.add(s, context) });
  return joined(stream, report, how);
}

// `output` (the sessions' text as the spool's bytes, the spool in a file) for some, `pieces` for the others.
const VARIANTS: Array<{ name: string; text: SessionsTextOptions; analyze?: AnalyzeOptions; how: 'pieces' | 'output' }> = [
  { name: 'default', text: {}, how: 'output' },
  { name: 'default, as text', text: {}, how: 'pieces' },
  { name: 'every reply line, epoch times', text: { allReplyLines: true, time: 'epoch' }, how: 'pieces' },
  { name: 'passwords masked', text: {}, analyze: { ftp: { redact: true } }, how: 'output' },
];

async function check(file: string): Promise<void> {
  for (const v of VARIANTS) {
    const whole = renderSessionsText(await analyze(file, v.analyze), v.text);
    expect(await streamed(file, v.text, v.analyze, v.how), v.name).toBe(whole);
  }
}

describe('the text report session by session is the whole report: fixtures', () => {
  for (const file of fixtureCaptures()) it(captureLabel(file), () => check(file), 60_000);

  it('sessions ending in any order, before any frame had a time: texts made at the end, counted from the first session', async () => {
    const file = fixtureCaptures().find((f) => f.endsWith('parallel-sessions.pcap'))!;
    const full = await analyze(file);
    const { captureStart: _, ...withoutStart } = full;
    const random = seededRandom(3);
    const order = [...full.sessions].sort(() => random() - 0.5);
    for (const how of ['pieces', 'output'] as const) {
      const stream = new SessionsTextStream({}, how === 'output' ? spoolDir : undefined);
      for (const s of order) stream.add(structuredClone(s), { captureStart: undefined });
      expect(joined(stream, { ...withoutStart, sessions: [] }, how), how).toBe(renderSessionsText(withoutStart));
    }
  });
});

describe(`the text report session by session is the whole report: public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) it(captureLabel(file), () => check(file), 120_000);
});
