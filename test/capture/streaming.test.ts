import { describe, expect, it } from 'vitest';
import type { CaptureReaderOptions } from '../../src/capture/CaptureInfo.js';
import { CaptureReader } from '../../src/capture/CaptureReader.js';
import { CaptureFormatError, type Frame } from '../../src/capture/Frame.js';
import { LINKTYPE, timestampUnits, writePcap, writePcapng } from '../helpers/captureWriter.js';
import { seededRandom as random } from '../helpers/random.js';

/** Feeds `bytes` in chunks whose sizes come from `sizes` (cycled) and collects copied frames. */
function readChunked(bytes: Uint8Array, sizes: readonly number[], options?: CaptureReaderOptions) {
  const reader = new CaptureReader(options);
  const frames: Frame[] = [];
  let maxCapacity = 0;
  let i = 0;
  for (let o = 0; o < bytes.length; ) {
    const n = Math.max(1, sizes[i++ % sizes.length] ?? 1);
    reader.append(bytes.subarray(o, o + n));
    o += n;
    for (let f = reader.next(); f !== undefined; f = reader.next()) frames.push({ ...f, data: new Uint8Array(f.data) });
    maxCapacity = Math.max(maxCapacity, reader.bufferedCapacity);
  }
  reader.finish();
  return { reader, frames, warnings: reader.warnings, maxCapacity };
}


const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
const T = 1_700_000_000;

const pcapFile = writePcap({ nanos: true, bigEndian: true }, [
  { tsSec: T, tsNsec: 1, data: bytes(1) },
  { tsSec: T + 1, tsNsec: 2, data: bytes(77, 2) },
  { tsSec: T + 2, tsNsec: 3, data: bytes(0) },
  { tsSec: T + 3, tsNsec: 4, data: bytes(1514, 4) },
]);

const pcapngFile = writePcapng([
  { options: [{ code: 4, value: 'ftp-inspect tests' }], blocks: [
    { type: 'idb', linkType: LINKTYPE.ETHERNET, name: 'eth0', tsresol: 9 },
    { type: 'epb', timestamp: timestampUnits(T, 123, 9), data: bytes(61), options: [{ code: 1, value: 'first' }] },
    { type: 'raw', blockType: 0x4242, body: bytes(10) },
    { type: 'spb', data: bytes(3) },
    { type: 'idb', linkType: LINKTYPE.RAW, tsresol: 0x80 | 20 },
    { type: 'epb', interfaceId: 1, timestamp: (BigInt(T) << 20n) + 12345n, data: bytes(1500, 5) },
  ] },
  { bigEndian: true, blocks: [
    { type: 'idb', linkType: LINKTYPE.LINUX_SLL, tsoffset: 100 },
    { type: 'opb', timestamp: 5_000_000, data: bytes(40, 6) },
    { type: 'epb', timestamp: 7, data: bytes(2) },
  ] },
]);

describe('streaming.test.ts: chunk boundaries, truncation, garbage and lying lengths', () => {
  for (const [name, file] of [['pcap', pcapFile], ['pcapng', pcapngFile]] as const) {
    it(`${name}: feeding one byte at a time gives the same frames as feeding the whole file`, () => {
      const whole = readChunked(file, [file.length]);
      expect(whole.warnings).toEqual([]);
      expect(whole.frames.length).toBeGreaterThanOrEqual(4);
      const byteByByte = readChunked(file, [1]);
      expect(byteByByte.frames).toEqual(whole.frames);
      expect(byteByByte.warnings).toEqual([]);
      expect(byteByByte.reader.info).toEqual(whole.reader.info);
    });

    it(`${name}: random chunk sizes give the same frames`, () => {
      const whole = readChunked(file, [file.length]).frames;
      const next = random(name.length);
      for (let round = 0; round < 50; round++) {
        const sizes = Array.from({ length: 16 }, () => 1 + Math.floor(next() * (round % 2 === 0 ? 40 : 2000)));
        expect(readChunked(file, sizes).frames).toEqual(whole);
      }
    });
  }

  it('hands out frame data that stays valid until the next append', () => {
    const reader = new CaptureReader();
    const expected = readChunked(pcapngFile, [pcapngFile.length]).frames;
    const held: Frame[] = [];
    const sizes = [5, 100, 1, 3000, 7];
    let o = 0;
    for (let i = 0; o < pcapngFile.length; i++) {
      const n = sizes[i % sizes.length] as number;
      reader.append(pcapngFile.subarray(o, o + n));
      o += n;
      const batch: Frame[] = [];
      for (let f = reader.next(); f !== undefined; f = reader.next()) batch.push(f);
      // Not copied: every view of this batch must still hold its bytes now.
      for (const f of batch) expect(new Uint8Array(f.data)).toEqual(expected[f.no - 1]?.data);
      held.push(...batch);
    }
    reader.finish();
    expect(held.map((f) => f.no)).toEqual(expected.map((f) => f.no));
  });

  for (const [name, file, headerBytes, recordEnds] of [
    ['pcap', pcapFile, 24, ends(pcapFile, 'pcap')],
    // The first SHB (with its options) is the pcapng "file header".
    ['pcapng', pcapngFile, pcapngFile.readUInt32LE(4), ends(pcapngFile, 'pcapng')],
  ] as const) {
    it(`${name}: a cut at every offset keeps the frames before it, warns, and never throws past the header`, () => {
      const full = readChunked(file, [file.length]).frames;
      for (let cut = 0; cut <= file.length; cut++) {
        const part = file.subarray(0, cut);
        if (cut < headerBytes) {
          expect(() => readChunked(part, [part.length || 1])).toThrow(CaptureFormatError);
          continue;
        }
        const { frames, warnings } = readChunked(part, cut % 3 === 0 ? [7] : [part.length]);
        const complete = full.filter((f) => (recordEnds.get(f.no) ?? Infinity) <= cut);
        expect(frames, `cut at ${cut}`).toEqual(complete);
        const atBoundary = cut === file.length || [...boundaries(file, name)].includes(cut);
        if (atBoundary) expect(warnings, `cut at ${cut}`).toEqual([]);
        else expect(warnings.map((w) => w.message), `cut at ${cut}`).toEqual([expect.stringMatching(/^truncated last record: \d+ of (at least )?\d+ bytes$/)]);
      }
    });
  }

  it('names what is missing in the truncation warning', () => {
    const cut = pcapFile.subarray(0, 24 + 16 + 1 + 10);
    expect(readChunked(cut, [cut.length]).warnings).toEqual([{ frame: 2, offset: 41, message: 'truncated last record: 10 of at least 16 bytes' }]);
    const cut2 = pcapFile.subarray(0, 24 + 16 + 1 + 20);
    expect(readChunked(cut2, [3]).warnings).toEqual([{ frame: 2, offset: 41, message: 'truncated last record: 20 of 93 bytes' }]);
  });

  it('throws clear errors for empty, too short and cut-header inputs', () => {
    expect(() => readChunked(new Uint8Array(0), [1], { name: 'e.pcap' })).toThrow('e.pcap: empty file (0 bytes), not a pcap or pcapng capture');
    expect(() => readChunked(Uint8Array.of(0xd4, 0xc3), [1])).toThrow('only 2 bytes (d4 c3 ".."), too short for a pcap or pcapng capture');
    expect(() => readChunked(pcapFile.subarray(0, 10), [1])).toThrow('truncated pcap file header: 10 of 24 bytes');
    expect(() => readChunked(pcapngFile.subarray(0, 6), [1])).toThrow('truncated pcapng section header block: 6 of at least 28 bytes');
    expect(() => readChunked(pcapngFile.subarray(0, 20), [1])).toThrow(/^truncated pcapng section header block: 20 of \d+ bytes$/);
  });

  it('random garbage: a CaptureFormatError or warnings, never another exception, never a big buffer', () => {
    const next = random(7);
    const headers = [pcapFile.subarray(0, 24), pcapngFile.subarray(0, 28 + 28), new Uint8Array(0)];
    for (let round = 0; round < 600; round++) {
      const header = headers[round % headers.length] as Uint8Array;
      const garbage = Uint8Array.from({ length: Math.floor(next() * 3000) }, () => Math.floor(next() * 256));
      const file = Buffer.concat([header, garbage]);
      try {
        const { maxCapacity } = readChunked(file, [1 + Math.floor(next() * 500)]);
        expect(maxCapacity).toBeLessThanOrEqual(64 * 1024);
      } catch (error) {
        expect(error).toBeInstanceOf(CaptureFormatError);
        expect((error as Error).message).not.toMatch(/\n/);
      }
    }
  });

  it('garbage after good records: earlier frames kept, damage reported', () => {
    const next = random(11);
    for (const file of [pcapFile, pcapngFile]) {
      const good = readChunked(file, [file.length]).frames;
      for (let round = 0; round < 100; round++) {
        const garbage = Uint8Array.from({ length: 64 + Math.floor(next() * 2000) }, () => Math.floor(next() * 256));
        const { frames, warnings } = readChunked(Buffer.concat([file, garbage]), [97]);
        expect(frames.slice(0, good.length)).toEqual(good);
        expect(warnings.length).toBeGreaterThan(0);
      }
    }
  });

  it('lying length fields are reported and never size an allocation', () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['pcap caplen 0xFFFFFFFF', writePcap({}, [{ tsSec: 1, data: bytes(100) }, { tsSec: 2, data: bytes(100), capturedLength: 0xffff_ffff }]), /record of 4294967295 captured bytes is larger than the 262144-byte limit/],
      ['pcap caplen 0x7FFFFFFF, big-endian', writePcap({ bigEndian: true }, [{ tsSec: 1, data: bytes(100) }, { tsSec: 2, data: bytes(100), capturedLength: 0x7fff_ffff }]), /record of 2147483647 captured bytes/],
      ['pcapng block length near 4 GB', writePcapng([{ blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 1, data: bytes(100) }, { type: 'raw', blockType: 6, body: bytes(100), totalLength: 0xffff_fffc }] }]), /block length 4294967292 is larger than the 16777216-byte limit/],
      ['pcapng EPB caplen 0xFFFFFFFF', writePcapng([{ blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 1, data: bytes(100) }, { type: 'epb', timestamp: 1, data: bytes(100), capturedLength: 0xffff_ffff }] }]), /captured length 4294967295 does not fit/],
      ['pcapng SPB original length 0xFFFFFFFF', writePcapng([{ blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 1, data: bytes(100) }, { type: 'spb', data: bytes(100), originalLength: 0xffff_ffff }] }]), /captured length 4294967295 does not fit/],
      ['pcapng unknown block 15 MB long, file ends', writePcapng([{ blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 1, data: bytes(100) }, { type: 'raw', blockType: 0x77, body: bytes(100), totalLength: 15 * 1024 * 1024 }] }]), /truncated last record: 112 of 15728640 bytes/],
      ['pcapng EPB 15 MB long, file ends', writePcapng([{ blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 1, data: bytes(100) }, { type: 'raw', blockType: 6, body: bytes(100), totalLength: 15 * 1024 * 1024 }] }]), /truncated last record: 112 of 15728640 bytes/],
    ];
    for (const [what, file, message] of cases) {
      for (const sizes of [[4096], [1], [file.length]]) {
        const { frames, warnings, maxCapacity } = readChunked(file, sizes);
        expect(frames, what).toHaveLength(1);
        expect(warnings.map((w) => w.message), what).toEqual([expect.stringMatching(message)]);
        expect(maxCapacity, what).toBeLessThanOrEqual(64 * 1024);
      }
    }
  });

  it('memory stays flat over a long capture fed in odd-sized chunks', () => {
    // 30 MB of records, generated chunk by chunk and never held whole.
    const reader = new CaptureReader();
    const record = writePcap({}, [{ tsSec: T, data: bytes(1514) }]).subarray(24);
    let pending: Uint8Array = writePcap({}, []);
    let frames = 0;
    let maxCapacity = 0;
    for (let i = 0; i < 20_000; i++) {
      pending = Buffer.concat([pending, record]);
      if (pending.length < 65_537) continue;
      reader.append(pending.subarray(0, 65_537));
      pending = pending.subarray(65_537);
      for (let f = reader.next(); f !== undefined; f = reader.next()) frames++;
      maxCapacity = Math.max(maxCapacity, reader.bufferedCapacity);
    }
    reader.append(pending);
    for (let f = reader.next(); f !== undefined; f = reader.next()) frames++;
    reader.finish();
    expect(frames).toBe(20_000);
    expect(reader.warnings).toEqual([]);
    expect(maxCapacity).toBeLessThanOrEqual(64 * 1024);
  });

  it('caps the warning list and says how many were left out', () => {
    const blocks = [{ type: 'idb' as const }, ...Array.from({ length: 250 }, () => ({ type: 'epb' as const, interfaceId: 9, timestamp: 1, data: bytes(1) }))];
    const { warnings } = readChunked(writePcapng([{ blocks }]), [1 << 20], { maxWarnings: 20 });
    expect(warnings).toHaveLength(21);
    expect(warnings[20]?.message).toBe('230 more warnings not listed (limit 20)');
  });

  it('insists on draining before finish(), and refuses input after it', () => {
    const reader = new CaptureReader();
    reader.append(pcapFile);
    expect(() => reader.finish()).toThrow(/call next\(\) until it returns undefined first/);
    while (reader.next() !== undefined);
    reader.finish();
    expect(() => reader.append(pcapFile)).toThrow(/after finish/);
  });

  it('ignores input once reading stopped', () => {
    const bad = writePcap({}, [{ tsSec: 1, data: bytes(10), capturedLength: 0xffff_ffff }]);
    const reader = new CaptureReader();
    reader.append(bad);
    expect(reader.next()).toBeUndefined();
    for (let i = 0; i < 100; i++) {
      reader.append(new Uint8Array(100_000));
      expect(reader.next()).toBeUndefined();
    }
    reader.finish();
    expect(reader.bufferedCapacity).toBeLessThanOrEqual(64 * 1024);
    expect(reader.bytesRead).toBe(bad.length + 10_000_000);
    expect(reader.warnings).toHaveLength(1);
  });
});

/** Byte offset where each packet record ends, by frame number (from a clean whole-file read). */
function ends(file: Uint8Array, format: 'pcap' | 'pcapng'): Map<number, number> {
  const map = new Map<number, number>();
  let no = 0;
  for (const [end, isPacket] of walk(file, format)) if (isPacket) map.set(++no, end);
  return map;
}

/** Offsets where a record or block ends. */
function boundaries(file: Uint8Array, format: 'pcap' | 'pcapng'): Set<number> {
  return new Set([...walk(file, format)].map(([end]) => end));
}

/** Walks a well-formed file by its own length fields: [end offset, is a packet record]. */
function* walk(file: Uint8Array, format: 'pcap' | 'pcapng'): Generator<[number, boolean]> {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (format === 'pcap') {
    const le = view.getUint32(0, true) === 0xa1b2c3d4 || view.getUint32(0, true) === 0xa1b23c4d;
    yield [24, false];
    for (let o = 24; o + 16 <= file.length; ) {
      o += 16 + view.getUint32(o + 8, le);
      yield [o, true];
    }
    return;
  }
  let le = true;
  for (let o = 0; o + 12 <= file.length; ) {
    const type = view.getUint32(o, true);
    if (type === 0x0a0d0d0a) le = view.getUint32(o + 8, true) === 0x1a2b3c4d;
    const t = view.getUint32(o, le);
    o += view.getUint32(o + 4, le);
    yield [o, t === 2 || t === 3 || t === 6];
  }
}
