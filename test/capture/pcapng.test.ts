import { describe, expect, it } from 'vitest';
import type { CaptureReaderOptions } from '../../src/capture/CaptureInfo.js';
import { CaptureReader } from '../../src/capture/CaptureReader.js';
import { CaptureFormatError, type Frame } from '../../src/capture/Frame.js';
import { LINKTYPE, timestampUnits, writePcapng, type PcapngBlock, type PcapngSection } from '../helpers/captureWriter.js';

/** Reads a whole capture, copying each frame's data (it is only valid until the next append). */
function readAll(bytes: Uint8Array, options?: CaptureReaderOptions, chunk = bytes.length) {
  const reader = new CaptureReader(options);
  const frames: Frame[] = [];
  let maxCapacity = 0;
  for (let o = 0; o < bytes.length; o += chunk) {
    reader.append(bytes.subarray(o, o + chunk));
    for (let f = reader.next(); f !== undefined; f = reader.next()) frames.push({ ...f, data: new Uint8Array(f.data) });
    maxCapacity = Math.max(maxCapacity, reader.bufferedCapacity);
  }
  reader.finish();
  return { reader, frames, warnings: reader.warnings.map((w) => w.message), maxCapacity };
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const T = 1_700_000_000;
const times = (frames: Frame[]) => frames.map((f) => [f.tsSec, f.tsNsec]);

describe('pcapng.test.ts: pcapng sections, interfaces and packet blocks', () => {
  for (const bigEndian of [false, true]) {
    it(`reads a ${bigEndian ? 'big' : 'little'}-endian section`, () => {
      const data = bytes(61);
      const file = writePcapng([{ bigEndian, blocks: [
        { type: 'idb', linkType: LINKTYPE.ETHERNET, snaplen: 65535, name: 'eth0' },
        { type: 'epb', timestamp: timestampUnits(T, 123_456_000), data, originalLength: 70 },
      ] }]);
      const { reader, frames, warnings } = readAll(file);
      expect(warnings).toEqual([]);
      expect(reader.format).toBe('pcapng');
      expect(reader.info).toEqual({
        format: 'pcapng',
        sections: [{ index: 0, offset: 0, byteOrder: bigEndian ? 'big-endian' : 'little-endian', versionMajor: 1, versionMinor: 0 }],
        interfaces: [{ section: 0, id: 0, linkType: 1, snaplen: 65535, tsresol: 6, tsoffset: 0, name: 'eth0' }],
      });
      expect(frames).toEqual([{ no: 1, tsSec: T, tsNsec: 123_456_000, capturedLength: 61, originalLength: 70, linkType: 1, interfaceId: 0, data }]);
    });
  }

  it('reads two interfaces with different link types', () => {
    const file = writePcapng([{ blocks: [
      { type: 'idb', linkType: LINKTYPE.ETHERNET, name: 'eth0' },
      { type: 'idb', linkType: LINKTYPE.LINUX_SLL2, name: 'any', tsresol: 9 },
      { type: 'epb', interfaceId: 1, timestamp: timestampUnits(T, 1, 9), data: bytes(20) },
      { type: 'epb', interfaceId: 0, timestamp: timestampUnits(T, 2_000), data: bytes(30) },
    ] }]);
    const { reader, frames, warnings } = readAll(file);
    expect(warnings).toEqual([]);
    expect(frames.map((f) => [f.no, f.interfaceId, f.linkType, f.tsNsec])).toEqual([[1, 1, 276, 1], [2, 0, 1, 2_000]]);
    expect(reader.interfaces.map((i) => [i.id, i.linkType, i.name, i.tsresol])).toEqual([[0, 1, 'eth0', 6], [1, 276, 'any', 9]]);
  });

  it('reads several sections: interfaces restart, byte order may change, frame numbers run on', () => {
    const file = writePcapng([
      { blocks: [{ type: 'idb', linkType: LINKTYPE.ETHERNET }, { type: 'epb', timestamp: timestampUnits(T, 0), data: bytes(10) }] },
      { bigEndian: true, blocks: [
        { type: 'idb', linkType: LINKTYPE.RAW, tsresol: 9 },
        { type: 'idb', linkType: LINKTYPE.NULL },
        { type: 'epb', interfaceId: 0, timestamp: timestampUnits(T + 1, 5, 9), data: bytes(11) },
        { type: 'epb', interfaceId: 1, timestamp: timestampUnits(T + 2, 0), data: bytes(12) },
      ] },
      { blocks: [
        // Interface 1 of the previous section does not exist here.
        { type: 'epb', interfaceId: 1, timestamp: 0, data: bytes(13) },
        { type: 'idb', linkType: LINKTYPE.LINUX_SLL },
        { type: 'epb', interfaceId: 0, timestamp: timestampUnits(T + 3, 0), data: bytes(14) },
      ] },
    ]);
    const { reader, frames, warnings } = readAll(file);
    expect(frames.map((f) => [f.no, f.interfaceId, f.linkType, f.tsSec, f.tsNsec, f.capturedLength])).toEqual([
      [1, 0, 1, T, 0, 10],
      [2, 0, 101, T + 1, 5, 11],
      [3, 1, 0, T + 2, 0, 12],
      [5, 0, 113, T + 3, 0, 14],
    ]);
    expect(warnings).toEqual(['packet refers to interface 1 but section 2 has 0; packet skipped']);
    expect(reader.warnings[0]?.frame).toBe(4);
    const info = reader.info;
    expect(info?.format === 'pcapng' && info.sections.map((s) => s.byteOrder)).toEqual(['little-endian', 'big-endian', 'little-endian']);
    expect(reader.interfaces.map((i) => [i.section, i.id, i.linkType])).toEqual([[0, 0, 1], [1, 0, 101], [1, 1, 0], [2, 0, 113]]);
  });

  it('converts if_tsresol 10^-6, 10^-9, 2^-10 and 2^-30, truncating below the nanosecond', () => {
    const cases: Array<[number, bigint, [number, number]]> = [
      [6, 1_700_000_000_123_456n, [T, 123_456_000]],
      [9, 1_700_000_000_123_456_789n, [T, 123_456_789]],
      [9, 0xffff_ffff_ffff_ffffn, [18_446_744_073, 709_551_615]],
      // 1023/1024 s = 0.9990234375 s; 1/1024 s = 0.0009765625 s
      [0x80 | 10, (BigInt(T) << 10n) + 1023n, [T, 999_023_437]],
      [0x80 | 10, (BigInt(T) << 10n) + 1n, [T, 976_562]],
      // (2^30 - 1)/2^30 s = 0.99999999906… s; 3/2^30 s = 2.79 ns
      [0x80 | 30, (BigInt(T) << 30n) + (1n << 30n) - 1n, [T, 999_999_999]],
      [0x80 | 30, (BigInt(T) << 30n) + 3n, [T, 2]],
    ];
    for (const [tsresol, timestamp, expected] of cases) {
      const file = writePcapng([{ blocks: [{ type: 'idb', tsresol }, { type: 'epb', timestamp, data: bytes(4) }] }]);
      const { frames, reader } = readAll(file);
      expect(times(frames), `tsresol ${tsresol}`).toEqual([expected]);
      expect(reader.interfaces[0]?.tsresol).toBe(tsresol);
    }
  });

  it('is exact for resolutions finer than a nanosecond (10^-12, 2^-40) and coarse ones (10^0)', () => {
    const cases: Array<[number, bigint, [number, number]]> = [
      [12, 17_000_000_001_234_567_899n, [17_000_000, 1_234_567]],
      [0x80 | 40, (10_000_000n << 40n) + (1n << 40n) - 1n, [10_000_000, 999_999_999]],
      [0, 0xffff_ffff_ffff_fff0n, [Number(0xffff_ffff_ffff_fff0n), 0]],
      [1, 17_000_000_005n, [T, 500_000_000]],
    ];
    for (const [tsresol, timestamp, expected] of cases) {
      const file = writePcapng([{ blocks: [{ type: 'idb', tsresol }, { type: 'epb', timestamp, data: bytes(4) }] }]);
      expect(times(readAll(file).frames), `tsresol ${tsresol}`).toEqual([expected]);
    }
  });

  it('adds if_tsoffset (seconds, signed) to every timestamp of the interface', () => {
    const file = writePcapng([{ blocks: [
      { type: 'idb', tsoffset: 1_000 },
      { type: 'idb', tsoffset: -5n, tsresol: 9 },
      { type: 'epb', interfaceId: 0, timestamp: 5_000_001, data: bytes(4) },
      { type: 'epb', interfaceId: 1, timestamp: timestampUnits(T, 7, 9, -5), data: bytes(4) },
    ] }]);
    const { frames, reader } = readAll(file);
    expect(times(frames)).toEqual([[1_005, 1_000], [T, 7]]);
    expect(reader.interfaces.map((i) => i.tsoffset)).toEqual([1_000, -5]);
  });

  it('reads Simple Packet Blocks: interface 0, length from the block, capped by snaplen, no timestamp', () => {
    const file = writePcapng([
      { blocks: [
        { type: 'idb', linkType: LINKTYPE.RAW, snaplen: 0 },
        { type: 'idb', linkType: LINKTYPE.ETHERNET },
        { type: 'spb', data: bytes(60) },
        { type: 'epb', interfaceId: 1, timestamp: timestampUnits(T, 0), data: bytes(8) },
      ] },
      { blocks: [
        { type: 'idb', linkType: LINKTYPE.ETHERNET, snaplen: 30 },
        { type: 'spb', data: bytes(30), originalLength: 1514 },
        { type: 'spb', data: bytes(20), originalLength: 20 },
      ] },
    ]);
    const { frames, warnings } = readAll(file);
    expect(warnings).toEqual([]);
    expect(frames.map((f) => ({ no: f.no, lt: f.linkType, cap: f.capturedLength, orig: f.originalLength, ts: [f.tsSec, f.tsNsec], missing: f.timestampMissing }))).toEqual([
      { no: 1, lt: 101, cap: 60, orig: 60, ts: [0, 0], missing: true },
      { no: 2, lt: 1, cap: 8, orig: 8, ts: [T, 0], missing: undefined },
      { no: 3, lt: 1, cap: 30, orig: 1514, ts: [0, 0], missing: true },
      { no: 4, lt: 1, cap: 20, orig: 20, ts: [0, 0], missing: true },
    ]);
    expect(frames[2]?.data).toEqual(bytes(30));
  });

  it('skips an SPB whose implied length does not fit, and one before any interface', () => {
    const file = writePcapng([
      { blocks: [{ type: 'spb', data: bytes(8) }, { type: 'idb' }, { type: 'spb', data: bytes(8), originalLength: 100 }, { type: 'spb', data: bytes(8) }] },
    ]);
    const { frames, warnings } = readAll(file);
    expect(frames.map((f) => f.no)).toEqual([3]);
    expect(warnings).toEqual([
      'simple packet block in section 0, which has no interface yet; packet skipped',
      'captured length 100 does not fit in its block (8 bytes of room); packet skipped',
    ]);
  });

  it('reads obsolete Packet Blocks (type 2)', () => {
    const file = writePcapng([{ blocks: [
      { type: 'idb', linkType: LINKTYPE.ETHERNET },
      { type: 'idb', linkType: LINKTYPE.RAW, tsresol: 9 },
      { type: 'opb', interfaceId: 1, dropsCount: 3, timestamp: timestampUnits(T, 42, 9), data: bytes(33), originalLength: 99, options: [{ code: 1, value: 'a comment' }] },
    ] }]);
    const { frames, warnings } = readAll(file);
    expect(warnings).toEqual([]);
    expect(frames).toEqual([{ no: 1, tsSec: T, tsNsec: 42, capturedLength: 33, originalLength: 99, linkType: 101, interfaceId: 1, data: bytes(33) }]);
  });

  it('skips unknown and non-packet blocks; frame numbers count packet blocks only', () => {
    const file = writePcapng([{ options: [{ code: 4, value: 'test-writer' }], blocks: [
      { type: 'raw', blockType: 0x12345, body: bytes(7) },
      { type: 'idb' },
      { type: 'raw', blockType: 4, body: Uint8Array.of(0, 0, 0, 0) }, // NRB with only nrb_record_end
      { type: 'epb', timestamp: 1, data: bytes(5) },
      { type: 'custom', pen: 32473, data: bytes(9) },
      { type: 'custom', pen: 32473, data: bytes(9), copyable: false },
      { type: 'isb', timestamp: 2, options: [{ code: 4, value: new Uint8Array(8) }] },
      { type: 'raw', blockType: 0x8000_0001, body: new Uint8Array(0) },
      { type: 'spb', data: bytes(6) },
      { type: 'epb', timestamp: 3, data: bytes(7) },
    ] }]);
    const { frames, warnings } = readAll(file);
    expect(warnings).toEqual([]);
    expect(frames.map((f) => [f.no, f.capturedLength])).toEqual([[1, 5], [2, 6], [3, 7]]);
  });

  it('skips a large unknown block without buffering it', () => {
    const file = writePcapng([{ blocks: [
      { type: 'idb' },
      { type: 'raw', blockType: 0x0bad, body: new Uint8Array(4 * 1024 * 1024) },
      { type: 'epb', timestamp: 1, data: bytes(100) },
    ] }]);
    const { frames, warnings, maxCapacity } = readAll(file, undefined, 4096);
    expect(warnings).toEqual([]);
    expect(frames).toHaveLength(1);
    expect(maxCapacity).toBeLessThanOrEqual(64 * 1024);
  });

  it('ignores custom and unknown options in IDB and EPB', () => {
    const custom = [
      { code: 2988, pen: 32473, value: 'text' },
      { code: 2989, pen: 32473, value: bytes(5) },
      { code: 19372, pen: 32473, value: 'not copied' },
      { code: 19373, pen: 32473, value: new Uint8Array(0) },
      { code: 0x8123, value: bytes(3) },
    ];
    const file = writePcapng([{ options: custom, blocks: [
      { type: 'idb', name: 'eth1', tsresol: 9, fcsLength: 32, options: [...custom, { code: 3, value: 'description' }] },
      { type: 'epb', timestamp: timestampUnits(T, 9, 9), data: bytes(15), options: [...custom, { code: 2, value: new Uint8Array(4) }] },
    ] }]);
    const { frames, warnings, reader } = readAll(file);
    expect(warnings).toEqual([]);
    expect(times(frames)).toEqual([[T, 9]]);
    expect(reader.interfaces[0]).toEqual({ section: 0, id: 0, linkType: 1, snaplen: 0, tsresol: 9, tsoffset: 0, name: 'eth1', fcsLength: 32 });
  });

  it('reads if_name up to a NUL, and without a terminating option list', () => {
    const file = writePcapng([{ blocks: [{ type: 'idb', options: [{ code: 2, value: 'wlan0\0junk' }], endOfOptions: false }] }]);
    expect(readAll(file).reader.interfaces[0]?.name).toBe('wlan0');
  });

  it('reports options with a wrong length and ignores them', () => {
    const file = writePcapng([{ blocks: [
      { type: 'idb', options: [{ code: 9, value: Uint8Array.of(9, 9) }, { code: 14, value: bytes(4) }] },
      { type: 'epb', timestamp: 1_000_001, data: bytes(4) },
    ] }]);
    const { frames, warnings } = readAll(file);
    expect(times(frames)).toEqual([[1, 1_000]]);
    expect(warnings).toEqual([
      'interface 0 of section 0: if_tsresol option is 2 bytes, expected 1; ignored',
      'interface 0 of section 0: if_tsoffset option is 4 bytes, expected 8; ignored',
    ]);
  });

  it('reports an option that runs past its block, keeps the earlier options and the interface', () => {
    const file = writePcapng([{ blocks: [
      { type: 'idb', tsresol: 9, options: [{ code: 2, value: 'eth9', declaredLength: 400 }] },
      { type: 'epb', timestamp: 7, data: bytes(4) },
    ] }]);
    const { frames, warnings, reader } = readAll(file);
    expect(times(frames)).toEqual([[0, 7]]);
    expect(reader.interfaces[0]?.name).toBeUndefined();
    expect(warnings).toEqual(['interface 0 of section 0: option 2 runs past the end of its block; later options ignored']);
  });

  it('skips a packet with an unknown interface or a captured length bigger than its block, then reads on', () => {
    const file = writePcapng([{ blocks: [
      { type: 'idb' },
      { type: 'epb', timestamp: 1, data: bytes(4) },
      { type: 'epb', interfaceId: 7, timestamp: 2, data: bytes(4) },
      { type: 'epb', timestamp: 3, data: bytes(8), capturedLength: 0xffff_ffff },
      { type: 'epb', timestamp: 4, data: bytes(8), capturedLength: 9 },
      { type: 'epb', timestamp: 5, data: bytes(4) },
    ] }]);
    const { frames, reader } = readAll(file);
    expect(frames.map((f) => f.no)).toEqual([1, 5]);
    expect(reader.warnings.map((w) => [w.frame, w.message])).toEqual([
      [2, 'packet refers to interface 7 but section 0 has 1; packet skipped'],
      [3, 'captured length 4294967295 does not fit in its block (8 bytes of room); packet skipped'],
      [4, 'captured length 9 does not fit in its block (8 bytes of room); packet skipped'],
    ]);
  });

  it('skips a packet longer than maxRecordBytes even when its block holds it', () => {
    const file = writePcapng([{ blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 1, data: bytes(2000) }, { type: 'epb', timestamp: 2, data: bytes(10) }] }]);
    const { frames, warnings } = readAll(file, { maxRecordBytes: 1000 });
    expect(frames.map((f) => f.no)).toEqual([2]);
    expect(warnings).toEqual(['captured length 2000 is larger than the 1000-byte limit; packet skipped']);
  });

  it('skips, with a warning, a packet block too short for its fixed fields (it keeps its frame number)', () => {
    const file = writePcapng([{ blocks: [{ type: 'idb' }, { type: 'raw', blockType: 6, body: bytes(8) }, { type: 'epb', timestamp: 1, data: bytes(3) }] }]);
    const { frames, reader } = readAll(file);
    expect(frames.map((f) => f.no)).toEqual([2]);
    expect(reader.warnings).toEqual([{ frame: 1, offset: 28 + 20, message: 'block of type 6 is 20 bytes, shorter than the 32 its fields need; skipped' }]);
  });

  const broken: Array<[string, PcapngBlock, RegExp]> = [
    ['a length that is not a multiple of 4', { type: 'raw', blockType: 6, body: bytes(40), totalLength: 45 }, /^block length 45 is not a multiple of 4; the file is damaged, reading stopped$/],
    ['a length below 12', { type: 'raw', blockType: 0x99, body: bytes(4), totalLength: 8 }, /^block length 8 is less than the minimum of 12/],
    ['a length above the limit', { type: 'raw', blockType: 6, body: bytes(40), totalLength: 0xffff_fff0 }, /^block length 4294967280 is larger than the 16777216-byte limit/],
    ['a trailer that disagrees', { type: 'epb', timestamp: 1, data: bytes(4) }, /^block trailer says 999 bytes but the block header said 36; reading stopped$/],
    ['a trailer that disagrees on a skipped block', { type: 'raw', blockType: 0x99, body: bytes(4), trailerLength: 998 }, /^block trailer says 998 bytes but the block header said 16; reading stopped$/],
  ];
  for (const [what, block, message] of broken) {
    it(`stops at a block with ${what}, keeping the frames before it`, () => {
      let file = writePcapng([{ blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 1, data: bytes(4) }, block, { type: 'epb', timestamp: 2, data: bytes(4) }] }]);
      if (block.type === 'epb') {
        // Corrupt the trailer of the third block (SHB 28 + IDB 20 + EPB 36 + this EPB 36).
        file = Buffer.from(file);
        file.writeUInt32LE(999, 28 + 20 + 36 + 36 - 4);
      }
      const { frames, reader } = readAll(file);
      expect(frames.map((f) => f.no)).toEqual([1]);
      expect(reader.warnings).toHaveLength(1);
      expect(reader.warnings[0]?.message).toMatch(message);
      expect(reader.warnings[0]).toMatchObject({ frame: 2, offset: 28 + 20 + 36 });
    });
  }

  it('skips a section whose major version it cannot read, then reads the next section', () => {
    const sections: PcapngSection[] = [
      { blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 1, data: bytes(4) }] },
      { version: [2, 0], blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 2, data: bytes(4) }] },
      { version: [1, 2], blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 3, data: bytes(4) }] },
      { version: [1, 1], blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 4, data: bytes(4) }] },
    ];
    const { frames, warnings } = readAll(writePcapng(sections));
    expect(frames.map((f) => f.tsNsec)).toEqual([1_000, 3_000, 4_000]);
    expect(warnings).toEqual([
      'section 1 has pcapng version 2.0, which cannot be read; its blocks are skipped',
      'section 3 has pcapng version 1.1 (expected 1.0); reading it anyway',
    ]);
  });

  it('rejects a first section header with a bad byte-order magic; stops at a later one', () => {
    const good = writePcapng([{ blocks: [{ type: 'idb' }, { type: 'epb', timestamp: 1, data: bytes(4) }] }]);
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0x1a2b3c4e, 8);
    expect(() => readAll(bad)).toThrow(CaptureFormatError);
    expect(() => readAll(bad, { name: 'x.pcapng' })).toThrow('x.pcapng: damaged pcapng file: section header block has byte-order magic 0x1a2b3c4e, expected 0x1a2b3c4d');
    const twice = Buffer.concat([good, bad]);
    const { frames, warnings } = readAll(twice);
    expect(frames).toHaveLength(1);
    expect(warnings).toEqual(['section header block has byte-order magic 0x1a2b3c4e, expected 0x1a2b3c4d; reading stopped']);
  });

  it('keeps at most maxInterfaces interfaces per section', () => {
    const blocks: PcapngBlock[] = Array.from({ length: 5 }, () => ({ type: 'idb' as const }));
    blocks.push({ type: 'epb', interfaceId: 4, timestamp: 1, data: bytes(1) });
    const { frames, warnings, reader } = readAll(writePcapng([{ blocks }]), { maxInterfaces: 3 });
    expect(reader.interfaces).toHaveLength(3);
    expect(frames).toHaveLength(0);
    expect(warnings).toEqual(['section 0 has more than 3 interfaces; the rest are ignored (maxInterfaces raises the limit)', 'packet refers to interface 4 but section 0 has 3; packet skipped']);
  });
});
