// `ftp-inspect extract` runs the pipeline in its files-only mode: each session is finished and
// dropped once its connections closed (FtpAnalyzerOptions.keepSessions false, releaseOn
// 'close'), and no statistics, listing parsing or TCP sequence analysis are made (issue 7:
// memory flat however many sessions).
// Nothing of that may change what is extracted: on every fixture and public capture the
// manifest (names, sizes, sha256, missing ranges, warnings, session numbers) must be the one
// the full analysis writes — and the sessions handed on one by one must be the report's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type AnalyzeOptions, type Report } from '../../src/analyze.js';
import { FileSink } from '../../src/extract/FileSink.js';
import type { Manifest } from '../../src/extract/Manifest.js';
import type { FtpSession } from '../../src/ftp/model.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

async function extract(file: string, options: AnalyzeOptions): Promise<{ report: Report; manifest: Manifest }> {
  const sink = await FileSink.create(mkdtempSync(join(tmpdir(), 'ftp-inspect-files-only-')));
  const report = await analyze(file, { ...options, ftp: { ...options.ftp, extract: { sink } } });
  return { report, manifest: await sink.close() };
}

/** A session as JSON, without what only the whole report numbers. */
function comparable(s: FtpSession): unknown {
  return JSON.parse(JSON.stringify({ ...s, id: 0 }));
}

async function check(file: string): Promise<void> {
  const full = await extract(file, {});
  const handed: FtpSession[] = [];
  const filesOnly = await extract(file, {
    ftp: { keepSessions: false, releaseOn: 'close', listings: false, onSession: (s) => handed.push(s) },
    statistics: false,
    tcp: { analysis: false },
  });
  expect(filesOnly.manifest).toEqual(full.manifest);
  expect(filesOnly.report.captures).toEqual(full.report.captures);
  expect(filesOnly.report.sessions).toEqual([]);
  expect(filesOnly.report.statistics).toBeUndefined();
  expect(filesOnly.report.orphans).toEqual(full.report.orphans);
  // Every session was handed on once, numbered as the report numbers it.
  expect(handed.map((s) => [s.controlStream, s.id]).sort((a, b) => a[1]! - b[1]!)).toEqual(full.report.sessions.map((s) => [s.controlStream, s.id]));

  // Sessions released once their TCP summaries came (releaseOn 'summary'), with everything else
  // on, are the report's sessions, field for field.
  const released: FtpSession[] = [];
  await extract(file, { ftp: { keepSessions: false, onSession: (s) => released.push(s) } });
  const byStream = new Map(released.map((s) => [s.controlStream, s]));
  for (const s of full.report.sessions) expect(comparable(byStream.get(s.controlStream)!), `session ${s.id}`).toEqual(comparable(s));
}

describe('extract in files-only mode writes what the full analysis writes: fixtures', () => {
  it('has fixtures', () => expect(fixtureCaptures().length).toBeGreaterThan(5));
  for (const file of fixtureCaptures()) it(captureLabel(file), () => check(file), 60_000);
});

describe(`extract in files-only mode writes what the full analysis writes: public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) it(captureLabel(file), () => check(file), 120_000);
});
