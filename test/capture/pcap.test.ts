import { describe, expect, it } from 'vitest';
import type { CaptureReaderOptions } from '../../src/capture/CaptureInfo.js';
import { CaptureReader } from '../../src/capture/CaptureReader.js';
import type { Frame } from '../../src/capture/Frame.js';
import { LINKTYPE, writePcap, type PcapRecord } from '../helpers/captureWriter.js';

/** Reads a whole capture, copying each frame's data (it is only valid until the next append). */
function readAll(bytes: Uint8Array, options?: CaptureReaderOptions, chunk = bytes.length) {
  const reader = new CaptureReader(options);
  const frames: Frame[] = [];
  for (let o = 0; o < bytes.length; o += chunk) {
    reader.append(bytes.subarray(o, o + chunk));
    for (let f = reader.next(); f !== undefined; f = reader.next()) frames.push({ ...f, data: new Uint8Array(f.data) });
  }
  reader.finish();
  return { reader, frames, warnings: reader.warnings.map((w) => w.message) };
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const records: PcapRecord[] = [
  { tsSec: 1_700_000_000, tsNsec: 0, data: bytes(60) },
  { tsSec: 1_700_000_001, tsNsec: 999_999_000, data: bytes(1514, 2) },
  { tsSec: 1_700_000_002, tsNsec: 123_000, data: bytes(54, 3), originalLength: 1514 },
  { tsSec: 0, tsNsec: 1_000, data: bytes(0) },
];

describe('pcap.test.ts: classic pcap', () => {
  for (const nanos of [false, true]) {
    for (const bigEndian of [false, true]) {
      it(`reads ${nanos ? 'nanosecond' : 'microsecond'} ${bigEndian ? 'big' : 'little'}-endian files`, () => {
        const file = writePcap({ nanos, bigEndian, snaplen: 65535, linkType: LINKTYPE.RAW }, records);
        const { reader, frames, warnings } = readAll(file);
        expect(warnings).toEqual([]);
        expect(reader.format).toBe('pcap');
        expect(reader.info).toEqual({
          format: 'pcap',
          byteOrder: bigEndian ? 'big-endian' : 'little-endian',
          versionMajor: 2,
          versionMinor: 4,
          nanosecond: nanos,
          snaplen: 65535,
          linkType: LINKTYPE.RAW,
          linkTypeField: LINKTYPE.RAW,
        });
        expect(reader.interfaces).toEqual([]);
        expect(frames).toEqual(
          records.map((r, i) => ({
            no: i + 1,
            tsSec: r.tsSec,
            tsNsec: r.tsNsec,
            capturedLength: r.data.length,
            originalLength: r.originalLength ?? r.data.length,
            linkType: LINKTYPE.RAW,
            interfaceId: 0,
            data: r.data,
          })),
        );
      });
    }
  }

  it('keeps nanosecond timestamps exact', () => {
    const file = writePcap({ nanos: true }, [{ tsSec: 4_294_967_295, tsNsec: 999_999_999, data: bytes(4) }]);
    expect(readAll(file).frames[0]).toMatchObject({ tsSec: 4_294_967_295, tsNsec: 999_999_999 });
  });

  it('masks the FCS bits off the link type and reports the FCS length', () => {
    const file = writePcap({ linkType: LINKTYPE.ETHERNET, fcsLength: 4 }, records.slice(0, 1));
    const { reader, frames, warnings } = readAll(file);
    expect(warnings).toEqual([]);
    expect(reader.info).toMatchObject({ linkType: 1, fcsLength: 4, linkTypeField: 0x2400_0001 });
    expect(frames[0]?.linkType).toBe(1);
  });

  it('reports FCS length 0 when the P bit is set with a zero length', () => {
    const file = writePcap({ linkTypeField: 0x0400_0001 }, records.slice(0, 1));
    expect(readAll(file).reader.info).toMatchObject({ linkType: 1, fcsLength: 0 });
  });

  it('warns about reserved link-type bits but still reads the frames', () => {
    const file = writePcap({ linkTypeField: 0x0001_0071 }, records);
    const { frames, warnings } = readAll(file);
    expect(frames).toHaveLength(records.length);
    expect(frames[0]?.linkType).toBe(LINKTYPE.LINUX_SLL);
    expect(warnings).toEqual(['link-type field 0x00010071 has reserved bits set; using link type 113']);
  });

  it('reads version 2.2 without complaint, with the lengths in their pre-2.3 order (as libpcap does)', () => {
    const file = writePcap({ version: [2, 2] }, records);
    const { reader, frames, warnings } = readAll(file);
    expect(warnings).toEqual([]);
    expect(reader.info).toMatchObject({ versionMajor: 2, versionMinor: 2 });
    expect(frames.map((f) => [f.capturedLength, f.originalLength])).toEqual(records.map((r) => [r.data.length, r.originalLength ?? r.data.length]));
  });

  it('warns about other versions and still reads them', () => {
    for (const version of [[1, 0], [2, 5], [3, 0]] as Array<[number, number]>) {
      const { frames, warnings } = readAll(writePcap({ version }, records));
      expect(frames).toHaveLength(records.length);
      expect(warnings).toEqual([`unusual pcap version ${version[0]}.${version[1]} (expected 2.4); reading it anyway`]);
    }
  });

  it('version 2.3: swaps the lengths back only where the captured length exceeds the original', () => {
    const normal = writePcap({ version: [2, 3], preV23LengthOrder: false }, records);
    const old = writePcap({ version: [2, 3], preV23LengthOrder: true }, records);
    const expected = records.map((r) => [r.data.length, r.originalLength ?? r.data.length]);
    expect(readAll(normal).frames.map((f) => [f.capturedLength, f.originalLength])).toEqual(expected);
    expect(readAll(old).frames.map((f) => [f.capturedLength, f.originalLength])).toEqual(expected);
  });

  it('keeps an original length below the captured length as stored (tshark does the same)', () => {
    const { frames, warnings } = readAll(writePcap({}, [{ tsSec: 1, data: bytes(60), originalLength: 40 }]));
    expect(warnings).toEqual([]);
    expect(frames[0]).toMatchObject({ capturedLength: 60, originalLength: 40 });
  });

  it('carries a fraction of a whole second or more into the seconds, warning once', () => {
    const file = writePcap({}, [
      { tsSec: 1000, rawFraction: 1_500_000, data: bytes(4) },
      { tsSec: 1000, rawFraction: 2_000_001, data: bytes(4) },
    ]);
    const { frames, warnings } = readAll(file);
    expect(frames.map((f) => [f.tsSec, f.tsNsec])).toEqual([[1001, 500_000_000], [1002, 1_000]]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/timestamp fraction 1500000 is a second or more of microseconds/);
    const ns = readAll(writePcap({ nanos: true }, [{ tsSec: 5, rawFraction: 3_000_000_007, data: bytes(4) }]));
    expect(ns.frames[0]).toMatchObject({ tsSec: 8, tsNsec: 7 });
  });

  it('warns once when records are longer than the snaplen, and reads them', () => {
    const file = writePcap({ snaplen: 100 }, [{ tsSec: 1, data: bytes(200) }, { tsSec: 2, data: bytes(300) }]);
    const { frames, reader } = readAll(file);
    expect(frames.map((f) => f.capturedLength)).toEqual([200, 300]);
    expect(reader.warnings).toEqual([{ frame: 1, offset: 24, message: 'captured length 200 is larger than the file\'s snaplen 100 (further cases not reported)' }]);
  });

  it('accepts a record of exactly maxRecordBytes and stops at a longer one, keeping earlier frames', () => {
    const ok = readAll(writePcap({}, [{ tsSec: 1, data: bytes(262_144) }]));
    expect(ok.warnings).toEqual([]);
    expect(ok.frames[0]?.capturedLength).toBe(262_144);

    const file = writePcap({}, [{ tsSec: 1, data: bytes(10) }, { tsSec: 2, data: bytes(262_145) }, { tsSec: 3, data: bytes(10) }]);
    const { frames, reader } = readAll(file);
    expect(frames).toHaveLength(1);
    expect(reader.warnings).toEqual([{ frame: 2, offset: 24 + 16 + 10, message: 'record of 262145 captured bytes is larger than the 262144-byte limit; the file is damaged, reading stopped' }]);

    const custom = readAll(writePcap({}, [{ tsSec: 1, data: bytes(2000) }]), { maxRecordBytes: 1000 });
    expect(custom.frames).toHaveLength(0);
    expect(custom.warnings[0]).toMatch(/larger than the 1000-byte limit/);
  });

  it('reads a file with a header and no records', () => {
    const { reader, frames, warnings } = readAll(writePcap({}, []));
    expect(frames).toEqual([]);
    expect(warnings).toEqual([]);
    expect(reader.format).toBe('pcap');
  });
});
