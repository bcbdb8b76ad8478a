import { describe, expect, it } from 'vitest';
import { TimestampScale } from '../../src/capture/TimestampScale.js';
import { seededRandom as random } from '../helpers/random.js';

/** The reference: plain BigInt arithmetic, truncating below the nanosecond. */
function reference(tsresol: number, value: bigint): [number, number] {
  const exponent = BigInt(tsresol & 0x7f);
  const units = tsresol & 0x80 ? 1n << exponent : 10n ** exponent;
  return [Number(value / units), Number(((value % units) * 1_000_000_000n) / units)];
}

describe('timestamps.test.ts: pcapng timestamp units to seconds and nanoseconds', () => {
  const resolutions = [
    ...Array.from({ length: 20 }, (_, n) => n), // 10^0 … 10^-19
    ...Array.from({ length: 64 }, (_, n) => 0x80 | n), // 2^0 … 2^-63
    127, 0xff,
  ];

  it('matches exact BigInt arithmetic for every resolution, over the whole 64-bit range', () => {
    const next = random(42);
    const u32 = () => Math.floor(next() * 4294967296);
    for (const tsresol of resolutions) {
      const scale = new TimestampScale(tsresol);
      const highs = [0, 1, 0xfffff, 0x100000, 0x3f0f_0000, 0x7fff_ffff, 0xffff_ffff, ...Array.from({ length: 300 }, u32), ...Array.from({ length: 100 }, () => u32() >>> 12)];
      for (const high of highs) {
        for (const low of [0, 1, 0xffff, 0x10000, 0xffff_ffff, u32(), u32()]) {
          scale.convert(high, low);
          const value = (BigInt(high) << 32n) | BigInt(low);
          const [sec, nsec] = reference(tsresol, value);
          if (scale.sec !== sec || scale.nsec !== nsec) {
            expect([scale.sec, scale.nsec], `tsresol ${tsresol}, value ${value}`).toEqual([sec, nsec]);
          }
        }
      }
    }
  });

  it('handles today\'s microsecond and nanosecond timestamps exactly', () => {
    const us = new TimestampScale(6);
    const v = 1_700_000_000_999_999n;
    us.convert(Number(v >> 32n), Number(v & 0xffff_ffffn));
    expect([us.sec, us.nsec]).toEqual([1_700_000_000, 999_999_000]);
    const ns = new TimestampScale(9);
    const w = 1_700_000_000_999_999_999n;
    ns.convert(Number(w >> 32n), Number(w & 0xffff_ffffn));
    expect([ns.sec, ns.nsec]).toEqual([1_700_000_000, 999_999_999]);
    expect(ns.unitsPerSecond).toBe(1_000_000_000n);
  });
});
