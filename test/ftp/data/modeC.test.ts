import { describe, expect, it } from 'vitest';
import { type RestartMarker, WarningList } from '../../../src/ftp/data/DataDecoder.js';
import { ModeCDecoder } from '../../../src/ftp/data/ModeCDecoder.js';
import { CollectSink, cutPlans, encodeModeC, feed, mixedBytes, randomCuts, sha256, warningCodes } from './helpers.js';

const enc = new TextEncoder();

function run(stream: Uint8Array, cuts: number[], type: 'A' | 'E' | 'I' | 'L' = 'I') {
  const sink = new CollectSink();
  const warnings = new WarningList();
  const markers: RestartMarker[] = [];
  const d = new ModeCDecoder(sink, warnings.add, { type, onRestartMarker: (m) => markers.push(m) });
  return { sink, warnings: warnings.list, markers, d, done: feed(d, stream, cuts) };
}

describe('MODE C (RFC 959 §3.4.3)', () => {
  // strings, a replicated run, filler (spaces in TYPE A), a restart marker, EOF
  const file = enc.encode('ab     cdddddddde   f');
  const stream = encodeModeC(file, 0x20, new Map([[9, 'M1']]));

  it('uses every item kind in the test stream', () => {
    const kinds = new Set<string>();
    for (let i = 0; i < stream.length; ) {
      const h = stream[i]!;
      if (h === 0) {
        kinds.add(`escape-${stream[i + 1]}`);
        i += 2;
      } else if (h < 0x80) {
        kinds.add('string');
        i += 1 + h;
      } else if (h < 0xc0) {
        kinds.add('replicate');
        i += 2;
      } else {
        kinds.add('filler');
        i += 1;
      }
    }
    expect([...kinds].sort()).toEqual(['escape-16', 'escape-64', 'filler', 'replicate', 'string']);
  });

  it('decodes a stream split at every possible chunk boundary (one and two cuts, and byte by byte)', async () => {
    for (const cuts of cutPlans(stream.length)) {
      const r = run(stream, cuts, 'A');
      await r.done;
      expect(Buffer.from(r.sink.bytes).toString(), `cuts ${cuts.join(',')}`).toBe(Buffer.from(file).toString());
      expect(r.sink.contiguous).toBe(true);
      expect(r.sink.gaps).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(r.markers.map((m) => [m.marker, m.dataOffset])).toEqual([['M1', 9]]);
      expect(r.sink.ends).toBe(1);
    }
  });

  it('fills with the representation type\'s filler: space in A, EBCDIC space 0x40 in E, zero in I and L', async () => {
    const s = Uint8Array.of(0xc3, 0x00, 64); // three filler bytes, EOF
    for (const [type, byte] of [['A', 0x20], ['E', 0x40], ['I', 0], ['L', 0]] as const) {
      const r = run(s, [], type);
      await r.done;
      expect([...r.sink.bytes]).toEqual([byte, byte, byte]);
    }
  });

  it('warns about a zero count, an undefined escape, a suspect item and bytes after EOF', async () => {
    const s = Uint8Array.of(0x80, 0x41, 0x00, 0x01, 0x00, 32, 2, 0x61, 0x62, 0x00, 64, 0x99);
    const r = run(s, []);
    await r.done;
    expect(Buffer.from(r.sink.bytes).toString()).toBe('ab');
    expect(warningCodes(r.warnings)).toEqual(['mode-c-zero-count', 'mode-c-unknown-escape', 'mode-c-suspect', 'mode-c-after-eof']);
  });

  it('writes a record separator at an EOR escape when asked', async () => {
    const sink = new CollectSink();
    const d = new ModeCDecoder(sink, () => {}, { recordSeparator: enc.encode('\n') });
    await feed(d, Uint8Array.of(2, 0x61, 0x62, 0x00, 128, 1, 0x63, 0x00, 128 | 64), []);
    expect(Buffer.from(sink.bytes).toString()).toBe('ab\nc\n');
    expect(d.records).toBe(2);
  });

  it('ends without EOF, or inside an item: a warning and the rest marked missing', async () => {
    const noEof = run(Uint8Array.of(2, 0x61, 0x62), []);
    await noEof.done;
    expect(warningCodes(noEof.warnings)).toEqual(['mode-c-no-eof']);
    expect(noEof.sink.gaps).toEqual([{ offset: 2, length: null }]);
    const cut = run(Uint8Array.of(5, 0x61, 0x62), []);
    await cut.done;
    expect(warningCodes(cut.warnings)).toEqual(['mode-c-truncated']);
    expect(Buffer.from(cut.sink.bytes).toString()).toBe('ab');
  });

  it('keeps the framing across a gap inside a string or over a replicated byte', async () => {
    // "abcdef" as a string, then 10 × 'z', then EOF
    const s = Uint8Array.of(6, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x80 | 10, 0x7a, 0x00, 64);
    const sink = new CollectSink();
    const w = new WarningList();
    const d = new ModeCDecoder(sink, w.add);
    d.data(s.subarray(0, 3), { offset: 0 });
    d.gap(2, { offset: 3 }); // "cd"
    d.data(s.subarray(5, 8), { offset: 5 });
    d.gap(1, { offset: 8 }); // the replicated byte
    d.data(s.subarray(9), { offset: 9 });
    d.end();
    expect(Buffer.from(sink.bytes).toString()).toBe('abef');
    expect(sink.gaps).toEqual([
      { offset: 2, length: 2 },
      { offset: 6, length: 10 },
    ]);
    expect(sink.contiguous).toBe(true);
    expect(w.list).toEqual([]);
  });

  it('stops when a gap covers an item header', async () => {
    const s = Uint8Array.of(2, 0x61, 0x62, 3, 0x63, 0x64, 0x65, 0x00, 64);
    const sink = new CollectSink();
    const w = new WarningList();
    const d = new ModeCDecoder(sink, w.add);
    d.data(s.subarray(0, 3), { offset: 0 });
    d.gap(2, { offset: 3, frames: [5] });
    d.data(s.subarray(5), { offset: 5 });
    d.end();
    expect(Buffer.from(sink.bytes).toString()).toBe('ab');
    expect(sink.gaps).toEqual([{ offset: 2, length: null }]);
    expect(w.list.map((x) => [x.code, x.offset, x.frames])).toEqual([['mode-c-gap', 3, [5]]]);
  });

  it('decodes 1 MB of mixed data (runs, spaces, noise) in random chunks', async () => {
    const big = mixedBytes(1024 * 1024, 11);
    const s = encodeModeC(big, 0, new Map([[5000, 'CK1'], [700000, 'CK2']]));
    expect(s.length).toBeLessThan(big.length); // the runs really were compressed
    for (const seed of [3, 4]) {
      const r = run(s, randomCuts(s.length, 2000, seed), 'I');
      await r.done;
      expect(sha256(r.sink.bytes)).toBe(sha256(big));
      expect(r.markers.map((m) => m.dataOffset)).toEqual([5000, 700000]);
      expect(r.warnings).toEqual([]);
    }
  });
});
