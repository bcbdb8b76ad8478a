import { describe, expect, it } from 'vitest';
import { WarningList } from '../../../src/ftp/data/DataDecoder.js';
import { ModeBDecoder } from '../../../src/ftp/data/ModeBDecoder.js';
import type { RestartMarker } from '../../../src/ftp/data/DataDecoder.js';
import {
  CollectSink,
  concatAll,
  cutPlans,
  encodeModeB,
  feed,
  mixedBytes,
  modeBBlock,
  randomCuts,
  sha256,
  warningCodes,
} from './helpers.js';

const enc = new TextEncoder();

function run(stream: Uint8Array, cuts: number[], options: { recordSeparator?: Uint8Array } = {}) {
  const sink = new CollectSink();
  const warnings = new WarningList();
  const markers: RestartMarker[] = [];
  const d = new ModeBDecoder(sink, warnings.add, { ...options, onRestartMarker: (m) => markers.push(m) });
  return { sink, warnings: warnings.list, markers, d, done: feed(d, stream, cuts) };
}

describe('MODE B (RFC 959 §3.4.2)', () => {
  const file = enc.encode('The quick brown fox jumps over the lazy dog.');
  const stream = encodeModeB(file, [7, 0, 13, 5], new Map([[20, 'R42']]));

  it('decodes blocks split at every possible chunk boundary (one and two cuts, and byte by byte)', async () => {
    for (const cuts of cutPlans(stream.length)) {
      const r = run(stream, cuts);
      await r.done;
      expect(Buffer.from(r.sink.bytes).toString(), `cuts ${cuts.join(',')}`).toBe(Buffer.from(file).toString());
      expect(r.sink.contiguous).toBe(true);
      expect(r.sink.gaps).toEqual([]);
      expect(r.sink.ends).toBe(1);
      expect(r.warnings).toEqual([]);
      expect(r.markers.map((m) => [m.marker, m.dataOffset])).toEqual([['R42', 20]]);
    }
  });

  it('reports restart markers with their wire offset and frame, and never writes them', async () => {
    const s = concatAll([modeBBlock(0, enc.encode('abc')), modeBBlock(16, enc.encode('MARK 1')), modeBBlock(64, enc.encode('def'))]);
    const r = run(s, [4, 8]);
    await r.done;
    expect(Buffer.from(r.sink.bytes).toString()).toBe('abcdef');
    expect(r.markers).toEqual([{ marker: 'MARK\\x201', offset: 6, dataOffset: 3, frames: [2] }]);
    expect(r.d.restartMarkers).toBe(1);
  });

  it('keeps the data of a block flagged as suspect, and says so', async () => {
    const s = concatAll([modeBBlock(32, enc.encode('maybe')), modeBBlock(64, enc.encode('!'))]);
    const r = run(s, []);
    await r.done;
    expect(Buffer.from(r.sink.bytes).toString()).toBe('maybe!');
    expect(warningCodes(r.warnings)).toEqual(['mode-b-suspect']);
    expect(r.warnings[0]!.offset).toBe(0);
  });

  it('writes a record separator at EOR when asked (record structure)', async () => {
    const s = concatAll([modeBBlock(128, enc.encode('rec1')), modeBBlock(128 | 64, enc.encode('rec2'))]);
    const r = run(s, [2], { recordSeparator: enc.encode('\n') });
    await r.done;
    expect(Buffer.from(r.sink.bytes).toString()).toBe('rec1\nrec2\n');
    expect(r.d.records).toBe(2);
  });

  it('stops at the EOF block: what follows is reported and ignored', async () => {
    const s = concatAll([modeBBlock(64, enc.encode('end')), enc.encode('junk')]);
    const r = run(s, [5]);
    await r.done;
    expect(Buffer.from(r.sink.bytes).toString()).toBe('end');
    expect(warningCodes(r.warnings)).toEqual(['mode-b-after-eof']);
    expect(r.warnings[0]!.offset).toBe(6);
    expect(r.d.sawEof).toBe(true);
  });

  it('says when the stream ends without EOF, or inside a header or a block, and marks the rest missing', async () => {
    const noEof = run(modeBBlock(0, enc.encode('abc')), []);
    await noEof.done;
    expect(warningCodes(noEof.warnings)).toEqual(['mode-b-no-eof']);
    expect(noEof.sink.gaps).toEqual([{ offset: 3, length: null }]);

    const inHeader = run(concatAll([modeBBlock(0, enc.encode('abc')), Uint8Array.of(64, 0)]), []);
    await inHeader.done;
    expect(warningCodes(inHeader.warnings)).toEqual(['mode-b-truncated-header']);

    const inBlock = run(modeBBlock(64, enc.encode('abcdef')).subarray(0, 6), []);
    await inBlock.done;
    expect(Buffer.from(inBlock.sink.bytes).toString()).toBe('abc');
    expect(warningCodes(inBlock.warnings)).toEqual(['mode-b-truncated-block']);
    expect(inBlock.sink.gaps).toEqual([{ offset: 3, length: null }]);
  });

  it('turns a gap inside a block into a same-size gap and goes on', async () => {
    const s = concatAll([modeBBlock(0, enc.encode('0123456789')), modeBBlock(64, enc.encode('xyz'))]);
    const sink = new CollectSink();
    const w = new WarningList();
    const d = new ModeBDecoder(sink, w.add);
    d.data(s.subarray(0, 5), { offset: 0 }); // header + "01"
    d.gap(4, { offset: 5 }); // "2345" lost
    d.data(s.subarray(9), { offset: 9 });
    d.end();
    expect(Buffer.from(sink.bytes).toString()).toBe('016789xyz');
    expect(sink.gaps).toEqual([{ offset: 2, length: 4 }]);
    expect(sink.contiguous).toBe(true);
    expect(w.list).toEqual([]);
  });

  it('stops with a warning when a gap covers a block header (framing lost)', async () => {
    const s = concatAll([modeBBlock(0, enc.encode('abc')), modeBBlock(64, enc.encode('def'))]);
    const sink = new CollectSink();
    const w = new WarningList();
    const d = new ModeBDecoder(sink, w.add);
    d.data(s.subarray(0, 6), { offset: 0, frames: [7] });
    d.gap(2, { offset: 6, frames: [9] });
    d.data(s.subarray(8), { offset: 8 });
    d.end();
    expect(Buffer.from(sink.bytes).toString()).toBe('abc');
    expect(sink.gaps).toEqual([{ offset: 3, length: null }]);
    expect(warningCodes(w.list)).toEqual(['mode-b-gap']);
    expect(w.list[0]).toMatchObject({ offset: 6, frames: [9] });
  });

  it('decodes 2 MB of random blocks (up to 65535 bytes) delivered in random chunks', async () => {
    const big = mixedBytes(2 * 1024 * 1024, 7);
    const s = encodeModeB(big, [65535, 1, 40000, 1460, 0, 9000], new Map([[100000, 'CKPT-1'], [1500000, 'CKPT-2']]));
    for (const seed of [1, 2]) {
      const r = run(s, randomCuts(s.length, 3000, seed));
      await r.done;
      expect(sha256(r.sink.bytes)).toBe(sha256(big));
      expect(r.markers.map((m) => m.dataOffset)).toEqual([100000, 1500000]);
      expect(r.d.heldBytes).toBe(0);
    }
  });
});
