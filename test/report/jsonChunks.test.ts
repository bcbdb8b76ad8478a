// The JSON report written in pieces (src/report/ftpJson.ts reportJsonChunks): joined, the
// pieces must be byte for byte the text JSON.stringify gives for the whole report, on every
// fixture and public capture and on values that test JSON.stringify's own rules.
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import type { FtpReport } from '../../src/ftp/model.js';
import { renderReportJson, reportJsonChunks } from '../../src/report/ftpJson.js';
import { captureLabel, fixtureCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';

describe('reportJsonChunks: the same text as renderReportJson', () => {
  for (const file of [...fixtureCaptures(), ...publicCaptures()]) {
    it(captureLabel(file), async () => {
      const report = await analyze(file, { ftp: { plots: true } });
      expect([...reportJsonChunks(report)].join('')).toBe(renderReportJson(report));
    });
  }
  skipWithoutPublicCaptures();

  it("JSON.stringify's rules: undefined, functions and symbols left out of objects and null in arrays, toJSON, empty and nested containers, unsafe characters", () => {
    const odd = {
      sessions: [
        { a: undefined, b: () => 1, c: Symbol('x'), d: [undefined, () => 2, Symbol('y'), 3], e: {}, f: [], g: [[[[{ deep: [1, { deeper: [] }] }]]]] },
        { when: new Date(0), text: 'line\nbreak "quoted" \u009b[2J \u202e reversed', n: null, nested: { x: { y: { z: [1, 2] } } } },
        { gone: { toJSON: () => undefined }, nan: NaN, inf: -Infinity, list: [{ toJSON: () => undefined }, [new Date(1)]], once: { toJSON: () => ({ toJSON: () => 'twice', kept: [1] }) }, key: { toJSON: (k: string) => `asked for ${k}` } },
        { toJSON: () => undefined },
        'a string session',
      ],
      credentials: [],
      redacted: false,
      nothing: undefined,
    } as unknown as FtpReport;
    expect([...reportJsonChunks(odd)].join('')).toBe(renderReportJson(odd));
    expect(JSON.parse([...reportJsonChunks(odd)].join(''))).toEqual(JSON.parse(renderReportJson(odd)));
    const empty = {} as FtpReport;
    expect([...reportJsonChunks(empty)].join('')).toBe(renderReportJson(empty));
  });
});
