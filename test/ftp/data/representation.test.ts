import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AsciiNativeDecoder } from '../../../src/ftp/data/AsciiDecoder.js';
import { WarningList } from '../../../src/ftp/data/DataDecoder.js';
import { CP037, EbcdicTextDecoder, ebcdicToString } from '../../../src/ftp/data/EbcdicDecoder.js';
import { TransferDecoder } from '../../../src/ftp/data/TransferDecoder.js';
import { CollectSink, cutPlans, encodeModeB, encodeModeC, feed, mixedBytes, randomCuts, sha256, warningCodes } from './helpers.js';

const enc = new TextEncoder();
const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('TYPE A (RFC 959 §3.1.1.1)', () => {
  const wire = enc.encode('line one\r\nline\rtwo\r\n\r\nend\r');

  it('native: CR LF -> LF at every possible chunk boundary; a lone CR stays; a final CR is written', async () => {
    for (const cuts of cutPlans(wire.length)) {
      const sink = new CollectSink();
      const d = new AsciiNativeDecoder(sink, () => {});
      await feed(d, wire, cuts);
      expect(str(sink.bytes), `cuts ${cuts.join(',')}`).toBe('line one\nline\rtwo\n\nend\r');
      expect(sink.contiguous).toBe(true);
      expect(d.lineEnds).toBe(3);
    }
  });

  it('wire (default): the bytes as they came', async () => {
    const sink = new CollectSink();
    await feed(new TransferDecoder({ mode: 'S', type: 'A' }, sink), wire, [9]);
    expect(str(sink.bytes)).toBe(str(wire));
  });

  it('a CR before a gap is written, the gap passes with its size, and the shift is warned about once', () => {
    const sink = new CollectSink();
    const w = new WarningList();
    const d = new AsciiNativeDecoder(sink, w.add);
    d.data(enc.encode('ab\r'), { offset: 0 });
    d.gap(5, { offset: 3 });
    d.data(enc.encode('\ncd\r\n'), { offset: 8 });
    d.gap(2, { offset: 13 });
    d.end();
    expect(str(sink.bytes)).toBe('ab\r\ncd\n');
    expect(sink.gaps).toEqual([
      { offset: 3, length: 5 },
      { offset: 12, length: 2 },
    ]);
    expect(sink.contiguous).toBe(true);
    expect(warningCodes(w.list)).toEqual(['ascii-native-gap']);
  });

  it('native on 1 MB of text in random chunks equals a whole-buffer replace', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 40000; i++) lines.push(`${i} ${'x'.repeat(i % 37)}${i % 11 === 0 ? '\r' : ''}`);
    const text = enc.encode(lines.join('\r\n'));
    const sink = new CollectSink();
    await feed(new AsciiNativeDecoder(sink, () => {}), text, randomCuts(text.length, 1460, 8));
    expect(str(sink.bytes)).toBe(str(text).replaceAll('\r\n', '\n'));
  });
});

describe('TYPE E (RFC 959 §3.1.1.2), code page 037', () => {
  it('the table is a permutation of 0..255 with the well-known letters, digits and punctuation', () => {
    expect(new Set(CP037).size).toBe(256);
    expect(ebcdicToString(Uint8Array.of(0xc8, 0x85, 0x93, 0x93, 0x96, 0x40, 0xe6, 0x96, 0x99, 0x93, 0x84, 0x5a))).toBe('Hello World!');
    expect(ebcdicToString(Uint8Array.of(0xf0, 0xf9, 0x4b, 0x6b, 0x5b, 0x7c, 0x7b, 0xba, 0xbb, 0x4a, 0x5f))).toBe('09.,$@#[]¢¬');
    expect(ebcdicToString(Uint8Array.of(0x15), 'lf')).toBe('\n');
    expect(ebcdicToString(Uint8Array.of(0x15), 'nel')).toBe('\u0085');
    expect(ebcdicToString(Uint8Array.of(0x25, 0x0d))).toBe('\n\r');
  });

  const python = spawnSync('python3', ['-c', 'import sys; sys.stdout.write(bytes(range(256)).decode("cp037"))'], { encoding: 'utf8' });
  it.skipIf(python.status !== 0)('agrees with Python\'s cp037 codec on all 256 bytes (an independent copy of the published table)', () => {
    const theirs = [...python.stdout].map((c) => c.codePointAt(0));
    expect(theirs.length).toBe(256);
    expect(CP037).toEqual(theirs);
  });

  it('text: EBCDIC -> UTF-8 in any chunking, 2-byte UTF-8 for the Latin-1 half', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const want = Buffer.from(ebcdicToString(all), 'utf8');
    for (const cuts of [[], [1], [100, 200], randomCuts(256, 7, 1)]) {
      const sink = new CollectSink();
      await feed(new EbcdicTextDecoder(sink), all, cuts);
      expect(Buffer.from(sink.bytes).equals(want)).toBe(true);
    }
  });

  it('raw (default) keeps the bytes; text is an option of the transfer decoder', async () => {
    const wire = Uint8Array.of(0xc1, 0xc2, 0x15);
    const raw = new CollectSink();
    await feed(new TransferDecoder({ mode: 'S', type: 'E' }, raw), wire, []);
    expect([...raw.bytes]).toEqual([0xc1, 0xc2, 0x15]);
    const text = new CollectSink();
    const t = new TransferDecoder({ mode: 'S', type: 'E' }, text, { ebcdic: 'text' });
    await feed(t, wire, []);
    expect(str(text.bytes)).toBe('AB\n');
    expect(t.describe()).toBe('MODE S, TYPE E (EBCDIC 037 -> UTF-8)');
  });
});

describe('composition: mode first, then representation', () => {
  const textFile = enc.encode(Array.from({ length: 3000 }, (_, i) => `row ${i}:      ${'=' .repeat(i % 50)}`).join('\n') + '\n');
  const onWire = enc.encode(Buffer.from(textFile).toString('latin1').replaceAll('\n', '\r\n'));

  it('MODE Z + TYPE A native gives back the LF file (what proftpd sends for a TYPE A RETR)', async () => {
    const z = zlib.deflateSync(onWire, { level: 7 });
    const sink = new CollectSink();
    const t = new TransferDecoder({ mode: 'Z', type: 'A' }, sink, { ascii: 'native' });
    await feed(t, z, randomCuts(z.length, 1460, 2));
    expect(sha256(sink.bytes)).toBe(sha256(textFile));
    expect(t.stages).toEqual(['mode-z', 'type-a']);
    expect(t.describe()).toBe('MODE Z, TYPE A (CR LF -> LF)');
    expect(t.heldBytes).toBe(0);
  });

  it('MODE B + TYPE A native and MODE C + TYPE A native (space filler)', async () => {
    for (const mode of ['B', 'C'] as const) {
      const wire = mode === 'B' ? encodeModeB(onWire, [1000, 17, 4096]) : encodeModeC(onWire, 0x20);
      const sink = new CollectSink();
      const t = new TransferDecoder({ mode, type: 'A' }, sink, { ascii: 'native' });
      await feed(t, wire, randomCuts(wire.length, 700, 5));
      expect(sha256(sink.bytes), mode).toBe(sha256(textFile));
      expect(t.warnings).toEqual([]);
    }
  });

  it('MODE C + TYPE E text: EBCDIC spaces as filler come out as spaces', async () => {
    const ebcdic = Uint8Array.of(0xc1, 0x40, 0x40, 0x40, 0x40, 0xc2, 0x15);
    const wire = encodeModeC(ebcdic, 0x40);
    expect(wire.includes(0xc4)).toBe(true); // 4 fillers
    const sink = new CollectSink();
    await feed(new TransferDecoder({ mode: 'C', type: 'E' }, sink, { ebcdic: 'text' }), wire, [2]);
    expect(str(sink.bytes)).toBe('A    B\n');
  });

  it('TYPE I, TYPE L 8 and MODE S pass bytes through; TYPE L 36 and STRU R in MODE S are stored raw with a warning', async () => {
    const data = mixedBytes(5000, 1);
    for (const rep of [{ mode: 'S', type: 'I' }, { mode: 'S', type: 'L', byteSize: 8 }] as const) {
      const sink = new CollectSink();
      const t = new TransferDecoder(rep, sink);
      await feed(t, data, [1, 2, 4000]);
      expect(sha256(sink.bytes)).toBe(sha256(data));
      expect(t.warnings).toEqual([]);
    }
    const l36 = new TransferDecoder({ mode: 'S', type: 'L', byteSize: 36 }, new CollectSink());
    expect(warningCodes(l36.warnings)).toEqual(['type-l-byte-size']);
    const rec = new TransferDecoder({ mode: 'S', type: 'I', structure: 'R' }, new CollectSink());
    expect(warningCodes(rec.warnings)).toEqual(['mode-s-record-structure']);
  });

  it('caps its warning list', async () => {
    // 300 suspect blocks -> 300 warnings offered, 10 kept + one "more" line
    const blocks: number[] = [];
    for (let i = 0; i < 300; i++) blocks.push(32, 0, 1, 0x41);
    blocks.push(64, 0, 0);
    const t = new TransferDecoder({ mode: 'B', type: 'I' }, new CollectSink(), { maxWarnings: 10 });
    await feed(t, Uint8Array.from(blocks), []);
    expect(t.warnings.length).toBe(11);
    expect(t.warnings[10]!.message).toBe('290 more warnings not listed (limit 10)');
  });
});
