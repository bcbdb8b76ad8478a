// Hostile files at the capture layer, run through the whole pipeline (analyze): a gzip bomb and
// a pcapng with a million interface description blocks. Both are generated as streams while the
// test runs, never stored: the point is that neither their size nor their shape costs memory.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import { GZIP_RATIO_FLOOR_BYTES, readCapture } from '../../src/capture/readCapture.js';
import { writePcap, writePcapng } from '../helpers/captureWriter.js';
import { ethIpv4Tcp } from '../helpers/packetBuilder.js';

const MiB = 1024 * 1024;

/** Peak RSS growth while `run` goes, sampled at every input chunk through `onChunkEnd`. */
async function peakGrowth<T>(run: (sample: () => void) => Promise<T>): Promise<{ result: T; growthMiB: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = () => {
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
  };
  const result = await run(sample);
  sample();
  return { result, growthMiB: (peak - before) / MiB };
}

/** `members` gzip members one after another, as a stream: the head, then `zeros` repeated `times` times. */
function gzipMembers(head: Uint8Array, zeros: Uint8Array, times: number): Readable {
  return Readable.from((function* () {
    yield Buffer.from(head);
    for (let i = 0; i < times; i++) yield Buffer.from(zeros);
  })());
}

describe('a gzip bomb', () => {
  // 16 MiB of zeros compress to about 16 KiB; 256 copies are 4 GiB once decompressed.
  const zeros16MiB = gzipSync(Buffer.alloc(16 * MiB));
  const pcapHeader = gzipSync(writePcap({}, []));

  it('expanding to 4 GiB of zeros after a pcap header is cut once the output passes 200× the input, in bounded memory', async () => {
    const { result: report, growthMiB } = await peakGrowth((sample) => analyze(gzipMembers(pcapHeader, zeros16MiB, 256), { capture: { onChunkEnd: sample } }));
    const messages = report.captures[0]!.warnings.map((w) => w.message);
    expect(messages.join('\n')).toMatch(/gzip data expands more than 200 times .* a decompression bomb, not a capture; reading stopped there \(maxGzipRatio raises the limit\)/);
    expect(report.captures[0]!.gzip).toBe(true);
    // Zeros are pcap records of 0 captured bytes: 16 bytes each. The cut comes just after the floor.
    const frames = report.captures[0]!.frames;
    expect(frames).toBeGreaterThanOrEqual((GZIP_RATIO_FLOOR_BYTES - 32) / 16);
    expect(frames).toBeLessThan((GZIP_RATIO_FLOOR_BYTES + 32 * MiB) / 16);
    expect(report.sessions).toEqual([]);
    expect(growthMiB).toBeLessThan(150);
  });

  it('with the check turned off (maxGzipRatio: Infinity) it is streamed: 256 MiB of zeros read in flat memory', async () => {
    let frames = 0;
    const { result: summary, growthMiB } = await peakGrowth((sample) =>
      readCapture(gzipMembers(pcapHeader, zeros16MiB, 16), () => frames++, { maxGzipRatio: Number.POSITIVE_INFINITY, onChunkEnd: sample }));
    expect(summary.warnings).toEqual([]);
    expect(frames).toBe((16 * 16 * MiB) / 16);
    expect(summary.bytes).toBe(24 + 16 * 16 * MiB);
    expect(growthMiB).toBeLessThan(100);
  });

  it('zeros after a pcapng section header: reading stops at the first impossible block, and so does decompression', async () => {
    const shb = gzipSync(writePcapng([{ blocks: [] }]));
    const summary = await readCapture(gzipMembers(shb, zeros16MiB, 256), () => {});
    expect(summary.warnings.map((w) => w.message).join('\n')).toMatch(/block/);
    // Not the 4 GiB it would expand to: the reader stopped and the gzip stream was dropped.
    expect(summary.bytes).toBeLessThan(64 * MiB);
  });

  it('a real capture, compressed, is not mistaken for a bomb', async () => {
    const packet = ethIpv4Tcp({ payload: new Uint8Array(1400) });
    const records = Array.from({ length: 60_000 }, (_, i) => ({ tsSec: 1_700_000_000 + i, tsNsec: (i * 7919) % 1_000_000 * 1000, data: packet }));
    const file = gzipSync(writePcap({}, records));
    // Identical 1400-byte zero payloads with only the timestamps changing: the most a capture
    // plausibly compresses — still well under the limit.
    const ratio = (24 + records.length * (16 + packet.length)) / file.length;
    expect(ratio).toBeLessThan(200);
    const summary = await readCapture(Readable.from([file]), () => {}, { maxGzipRatio: 200 });
    expect(summary.warnings).toEqual([]);
    expect(summary.frames).toBe(records.length);
  });
});

describe('a pcapng with a million interface description blocks', () => {
  it('keeps 65,536 interfaces, says so once, skips packets naming the others, in bounded memory', async () => {
    const section = writePcapng([{ blocks: [] }]);
    const idb = writePcapng([{ blocks: [{ type: 'idb', linkType: 1 }] }]).subarray(section.length);
    const packet = ethIpv4Tcp({ payload: new Uint8Array(10) });
    const epb = (interfaceId: number) => writePcapng([{ blocks: [{ type: 'epb', interfaceId, timestamp: 1_700_000_000_000_000n, data: packet }] }]).subarray(section.length);
    const stream = Readable.from((function* () {
      yield section;
      // A million IDBs in chunks of 10,000 (200 KB each), with a packet on interface 0 in between.
      const chunk = Buffer.concat(Array.from({ length: 10_000 }, () => idb));
      for (let i = 0; i < 100; i++) {
        yield chunk;
        if (i === 50) yield epb(0);
      }
      yield epb(65_535);
      yield epb(999_999);
    })());
    const { result: report, growthMiB } = await peakGrowth((sample) => analyze(stream, { capture: { onChunkEnd: sample } }));
    const warnings = report.captures[0]!.warnings.map((w) => w.message);
    expect(warnings.filter((m) => /interface/.test(m))).toEqual([
      'section 0 has more than 65536 interfaces; the rest are ignored (maxInterfaces raises the limit)',
      'packet refers to interface 999999 but section 0 has 65536; packet skipped',
    ]);
    expect(report.captures[0]!.frames).toBe(3);
    expect(report.statistics!.packetLengths.all[0]!.count).toBe(2);
    expect(growthMiB).toBeLessThan(150);
  });
});
