// Unit checks of the packet-length arithmetic: bucket edges, C printf rounding, Wireshark's
// single-precision average and its empty-table cells.
import { describe, expect, it } from 'vitest';
import { BucketArrays, LengthTable, PLEN_RANGES, plenBucket, plenCells, relativeMs } from '../../src/stats/packetLengths.js';
import { printfFixed, printfFixedExact } from '../../src/stats/printf.js';
import { seededRandom } from '../helpers/random.js';
import { StatsCollector } from '../../src/stats/StatsCollector.js';
import type { Frame } from '../../src/capture/Frame.js';

describe('plenBucket', () => {
  it('puts every edge in the bucket Wireshark names', () => {
    const edges = [[0, 19], [20, 39], [40, 79], [80, 159], [160, 319], [320, 639], [640, 1279], [1280, 2559], [2560, 5119], [5120, 262144]];
    edges.forEach(([lo, hi], i) => {
      expect(plenBucket(lo!), `${lo}`).toBe(i);
      expect(plenBucket(hi!), `${hi}`).toBe(i);
      expect(PLEN_RANGES[i]).toBe(i === 9 ? '5120 and greater' : `${lo}-${hi}`);
    });
    for (let len = 0; len < 6000; len++) {
      const i = plenBucket(len);
      expect(len >= edges[i]![0]! && len <= edges[i]![1]!).toBe(true);
    }
  });
});

describe('printfFixed (glibc %.Nf)', () => {
  it('rounds exact binary ties to even, everything else to nearest', () => {
    expect(printfFixed(68.125, 2)).toBe('68.12'); // toFixed says 68.13
    expect(printfFixed(68.375, 2)).toBe('68.38');
    expect(printfFixed(0.5, 0)).toBe('0');
    expect(printfFixed(1.5, 0)).toBe('2');
    expect(printfFixed(2.675, 2)).toBe('2.67'); // 2.67499999… in binary
    expect(printfFixed(1.005, 2)).toBe('1.00');
    expect(printfFixed(9.995, 2)).toBe('9.99');
    expect(printfFixed(99.999, 2)).toBe('100.00');
    expect(printfFixed(0, 4)).toBe('0.0000');
    expect(printfFixed(3.87755102, 4)).toBe('3.8776');
    expect(printfFixed(-0.001, 2)).toBe('-0.00'); // glibc keeps the sign of a value that rounds to 0
    expect(printfFixed(-0, 1)).toBe('-0.0');
    expect(printfFixed(-2.5, 0)).toBe('-2');
    expect(printfFixed(1e21, 1)).toBe('1000000000000000000000.0');
    expect(printfFixed(NaN, 2)).toBe('nan');
    expect(printfFixed(-Infinity, 2)).toBe('-inf');
  });

  it('takes toFixed only where toFixed agrees with the exact expansion', () => {
    // Seeded random values: ties at every digit count, their neighbours one ulp away, plain
    // fractions, and values of every size the statistics print.
    const random = seededRandom(0x9e3779b9);
    let ties = 0;
    for (let i = 0; i < 60_000; i++) {
      const digits = [0, 1, 2, 4, 6][i % 5]!;
      const kind = i % 4;
      let value: number;
      if (kind === 0) {
        // An exact tie at `digits`: an odd multiple of 2^-(digits+1).
        value = (2 * Math.floor(random() * 2 ** 20) + 1) / 2 ** (digits + 1);
        ties++;
      } else if (kind === 1) {
        const tie = (2 * Math.floor(random() * 2 ** 20) + 1) / 2 ** (digits + 1);
        value = random() < 0.5 ? tie + Number.EPSILON * tie : tie - Number.EPSILON * tie;
      } else if (kind === 2) {
        value = Math.floor(random() * 1e6) / 10 ** (1 + (i % 7));
      } else {
        value = random() * 10 ** Math.floor(random() * 24 - 6);
      }
      if (random() < 0.25) value = -value;
      expect(printfFixed(value, digits), `${value} %.${digits}f`).toBe(printfFixedExact(value, digits));
    }
    expect(ties).toBe(15_000);
    // And the ties really differ from toFixed's rounding where the even neighbour is below.
    expect((0.125).toFixed(2)).toBe('0.13');
    expect(printfFixed(0.125, 2)).toBe('0.12');
  });
});

describe('LengthTable', () => {
  it('averages in single precision as stats_tree does', () => {
    const a = new BucketArrays(1);
    // A total past 2^24 loses precision in a float: 16777219 becomes 16777220.
    for (const len of [8388609, 8388609, 1]) a.add(0, len);
    const t = new LengthTable();
    t.merge(a, 0);
    const root = t.rows()[0]!;
    // (float)16777219 = 16777220; / 3 in float = 5592406.5 → "%.2f" 5592406.50 (double math: 5592406.33).
    expect(plenCells(root)[2]).toBe('5592406.50');
  });

  it('prints an empty table as tshark does: blank root figures, "-" in buckets, no rate or percent', () => {
    const t = new LengthTable();
    const rows = t.rows();
    expect(plenCells(rows[0]!)).toEqual(['Packet Lengths', '0', '', '', '', '', '100%']);
    expect(plenCells(rows[3]!)).toEqual(['40-79', '0', '-', '-', '-', '', '']);
  });
});

describe('relativeMs', () => {
  it('is nstime_to_msec of nstime_delta, signs kept together', () => {
    expect(relativeMs(10, 500_000_000, 10, 0)).toBe(500);
    expect(relativeMs(11, 100_000_000, 10, 900_000_000)).toBeCloseTo(200, 9);
    expect(relativeMs(9, 900_000_000, 10, 100_000_000)).toBeCloseTo(-200, 9);
  });
});

describe('StatsCollector', () => {
  const frame = (no: number, len: number, ms: number): Frame => ({
    no, tsSec: 1000 + Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1e6, capturedLength: len, originalLength: len, linkType: 1, interfaceId: 0, data: new Uint8Array(0),
  });
  const view = (stream: number, direction: 0 | 1) => ({
    stream, direction, seq: 0, ack: 0, window: 0, windowScale: -1, analysis: 0, dupAckNum: 0, dupAckFrame: 0, acksFrame: 0, ackRttNs: -1, initialRttNs: -1, handshake: undefined, checksum: 'unchecked' as const,
  });

  it('merges streams by the classifier given at the end, rate over first to last frame counted', () => {
    const c = new StatsCollector();
    c.frame(frame(1, 60, 0), undefined); // not TCP
    c.frame(frame(2, 74, 10), view(0, 0));
    c.frame(frame(3, 1514, 20), view(1, 1));
    c.frame(frame(4, 66, 30), view(0, 1));
    c.frame(frame(5, 1514, 50), view(1, 1));
    c.frame(frame(6, 90, 60), view(70, 0)); // grows the per-stream arrays
    const s = c.finish((stream) => (stream === 0 ? 'ftp-control' : stream === 1 ? 'ftp-data' : undefined));
    expect(s.packetLengths.all[0]).toMatchObject({ count: 6, min: 60, max: 1514, rate: 0.1 });
    expect(s.packetLengths.ftpControl[0]).toMatchObject({ count: 2, average: 70, rate: 0.1 }); // 2 frames over 20 ms
    expect(s.packetLengths.ftpData[0]).toMatchObject({ count: 2, average: 1514, rate: 0.0667 }); // 2 over 30 ms
    expect(s.packetLengths.ftpData[8]).toMatchObject({ range: '1280-2559', count: 2, percent: 100 });
    expect(s.packetLengths.ftpControlStreams).toEqual([0]);
    expect(s.packetLengths.ftpDataStreams).toEqual([1]);
  });
});
