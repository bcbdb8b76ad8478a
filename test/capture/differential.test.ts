// Our reader against two peers, record for record: pcap-parser (classic microsecond pcap only)
// and tshark (everything), over the project's fixtures, the public corpus when it sits beside
// the checkout, and edge-case files made with the capture writer.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/CaptureReader.js';
import type { Frame } from '../../src/capture/Frame.js';
import { readCapture } from '../../src/capture/readCapture.js';
import { LINKTYPE, timestampUnits, writePcap, writePcapng } from '../helpers/captureWriter.js';
import { PUBLIC_CAPTURES, captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures } from '../helpers/captures.js';
import { hasTshark } from '../helpers/tshark.js';

const execFileAsync = promisify(execFile);
const PUBLIC = PUBLIC_CAPTURES;
const hasPublic = hasPublicCaptures;
const label = captureLabel;

function head(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** Classic microsecond pcap, version 2.4, in either byte order: what pcap-parser understands. */
function isMicrosecondPcap(path: string): boolean {
  const h = head(path, 8);
  if (h.length < 8) return false;
  const le = h.readUInt32LE(0) === 0xa1b2c3d4;
  const be = h.readUInt32BE(0) === 0xa1b2c3d4;
  if (!le && !be) return false;
  return (le ? h.readUInt16LE(4) : h.readUInt16BE(4)) === 2 && (le ? h.readUInt16LE(6) : h.readUInt16BE(6)) === 4;
}


// Edge cases made on demand, written once for both peers.
const work = mkdtempSync(join(tmpdir(), 'ftp-inspect-differential-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 17 + seed) & 0xff);
const T = 1_700_000_000;
const recs = Array.from({ length: 40 }, (_, i) => ({ tsSec: T + i * 7, tsNsec: ((i * 7919) % 1_000_000) * 1000, data: bytes(14 + ((i * 97) % 1500), i), originalLength: 14 + ((i * 97) % 1500) + (i % 3) }));
const written: Record<string, Buffer> = {
  'le-usec.pcap': writePcap({ linkType: LINKTYPE.ETHERNET }, recs),
  'be-usec.pcap': writePcap({ linkType: LINKTYPE.ETHERNET, bigEndian: true, snaplen: 1600 }, recs),
  'le-nsec.pcap': writePcap({ nanos: true }, recs.map((r, i) => ({ ...r, tsNsec: r.tsNsec + i }))),
  'be-nsec.pcap': writePcap({ nanos: true, bigEndian: true }, recs.map((r, i) => ({ ...r, tsNsec: r.tsNsec + i }))),
  'fcs-bits.pcap': writePcap({ fcsLength: 4 }, recs.slice(0, 5)),
  'version-2.2.pcap': writePcap({ version: [2, 2] }, recs.slice(0, 5)),
  'resolutions.pcapng': writePcapng([
    { blocks: [
      { type: 'idb', name: 'us' },
      { type: 'idb', tsresol: 9, name: 'ns' },
      { type: 'idb', tsresol: 0x80 | 10, linkType: LINKTYPE.RAW },
      { type: 'idb', tsresol: 0x80 | 30, linkType: LINKTYPE.LINUX_SLL },
      // Not 10^-12 or 2^-40: tshark 4.0 overflows there (its (ts % units) * 1e9 exceeds 64 bits).
      { type: 'idb', tsresol: 0x80 | 20 },
      { type: 'idb', tsresol: 3, tsoffset: 1_000_000 },
      ...recs.map((r, i) => ({ type: 'epb' as const, interfaceId: i % 6, timestamp: timestampUnits(r.tsSec, r.tsNsec + i * 333, [6, 9, 0x8a, 0x9e, 0x94, 3][i % 6], i % 6 === 5 ? 1_000_000 : 0) + BigInt(i % 2), data: r.data, originalLength: r.originalLength })),
    ] },
  ]),
  'sections-spb-opb.pcapng': writePcapng([
    { blocks: [
      { type: 'idb', snaplen: 100 },
      { type: 'spb', data: bytes(100, 1), originalLength: 1500 },
      { type: 'epb', timestamp: timestampUnits(T, 5_000), data: bytes(50, 2) },
      { type: 'raw', blockType: 0x5555, body: bytes(21, 3) },
      { type: 'spb', data: bytes(7, 4) },
    ] },
    { bigEndian: true, blocks: [
      { type: 'idb', linkType: LINKTYPE.RAW, tsresol: 9 },
      { type: 'opb', timestamp: timestampUnits(T + 1, 999_999_999, 9), data: bytes(30, 5), originalLength: 60 },
      { type: 'isb', timestamp: 1 },
      { type: 'epb', timestamp: timestampUnits(T + 2, 1, 9), data: bytes(31, 6) },
    ] },
  ]),
};
const writtenPaths = Object.entries(written).map(([name, content]) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
});

const realCaptures = [...fixtureCaptures(), ...publicCaptures()];
const microsecondPcaps = [...realCaptures, ...writtenPaths].filter((p) => !p.endsWith('.gz') && isMicrosecondPcap(p));

type PcapParserRecord = { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer };

function readWithPcapParser(path: string): Promise<PcapParserRecord[]> {
  const require = createRequire(import.meta.url);
  const pcapParser = require('pcap-parser') as { parse(input: string): NodeJS.EventEmitter };
  return new Promise((resolvePromise, reject) => {
    const out: PcapParserRecord[] = [];
    const parser = pcapParser.parse(path);
    parser.on('packet', (p: PcapParserRecord) => out.push(p));
    parser.on('error', reject);
    parser.on('end', () => resolvePromise(out));
  });
}

async function ours(path: string) {
  const frames: Frame[] = [];
  const summary = await readCapture(path, (f) => frames.push({ ...f, data: new Uint8Array(f.data) }), { chunkSize: 4096 });
  return { frames, summary };
}

describe('differential.test.ts: pcap-parser agrees record for record on microsecond pcap', () => {
  it.skipIf(!hasPublic)(`public corpus at ${PUBLIC}${hasPublic ? '' : ' [SKIPPED: corpus absent]'}`, () => {
    expect(realCaptures.length).toBeGreaterThan(0);
  });

  it.each(microsecondPcaps.map((p) => [label(p), p]))('%s', async (_name, path) => {
    const [{ frames, summary }, theirs] = await Promise.all([ours(path), readWithPcapParser(path)]);
    expect(summary.warnings).toEqual([]);
    expect(frames.length).toBe(theirs.length);
    frames.forEach((f, i) => {
      const t = theirs[i] as PcapParserRecord;
      const where = `frame ${f.no}`;
      expect([f.tsSec, f.tsNsec], where).toEqual([t.header.timestampSeconds, t.header.timestampMicroseconds * 1000]);
      expect([f.capturedLength, f.originalLength], where).toEqual([t.header.capturedLength, t.header.originalLength]);
      expect(Buffer.from(f.data).equals(t.data), where).toBe(true);
    });
  });
});

describe(`differential.test.ts: tshark agrees on frame count, time, len and cap_len${hasTshark ? '' : ' [SKIPPED: tshark not on PATH]'}`, () => {
  it.skipIf(!hasTshark)(`tshark on PATH${hasTshark ? '' : ' [SKIPPED: tshark not installed]'}`, () => {
    expect(execFileSync('tshark', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).toMatch(/TShark/);
  });
  it.skipIf(!hasPublic)(`public corpus at ${PUBLIC}${hasPublic ? '' : ' [SKIPPED: corpus absent]'}`, () => {
    expect(realCaptures.length).toBeGreaterThan(0);
  });

  // tshark spends most of its time starting up, so the files run concurrently.
  const tsharkCases = hasTshark ? [...realCaptures, ...writtenPaths].map((p) => [label(p), p]) : [];
  it.concurrent.each(tsharkCases)('%s', async (_name, path) => {
    const { stdout: output } = await execFileAsync('tshark', ['-n', '-r', path, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const theirs = output.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
    const { frames, summary } = await ours(path);
    expect(summary.warnings).toEqual([]);
    expect(frames.length).toBe(theirs.length);
    frames.forEach((f, i) => {
      // tshark prints frame.time_epoch with 9 decimals, and nothing for a frame without a timestamp.
      const time = f.timestampMissing === true ? '' : `${f.tsSec}.${String(f.tsNsec).padStart(9, '0')}`;
      expect([String(f.no), time, String(f.originalLength), String(f.capturedLength)], `frame ${f.no}`).toEqual(theirs[i]);
    });
  });
});

// Every real capture once more, whole and in memory: the same frames as read in 4 KiB chunks.
describe('differential.test.ts: real captures read the same from a file and from memory', () => {
  it.each(realCaptures.filter((p) => !p.endsWith('.gz')).map((p) => [label(p), p]))('%s', async (_name, path) => {
    const { frames } = await ours(path);
    const reader = new CaptureReader();
    reader.append(readFileSync(path));
    const again: Frame[] = [];
    for (let f = reader.next(); f !== undefined; f = reader.next()) again.push(f);
    reader.finish();
    expect(again.map(fields)).toEqual(frames.map(fields));
    const firstDifferent = again.findIndex((f, i) => !Buffer.from(f.data).equals(Buffer.from(frames[i]?.data ?? [])));
    expect(firstDifferent).toBe(-1);
  });
});

/** Everything but the bytes, cheap to compare in bulk. */
function fields(f: Frame): string {
  return [f.no, f.tsSec, f.tsNsec, f.capturedLength, f.originalLength, f.linkType, f.interfaceId, f.timestampMissing ?? ''].join(' ');
}
