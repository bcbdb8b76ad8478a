// Capture times as text (tshark's frame.time_epoch form): nine decimals, exact, round trip.
import { describe, expect, it } from 'vitest';
import { epochText, parseEpochText, secondsBetween } from '../../src/ftp/time.js';

describe('epoch times as text', () => {
  it('writes nine decimals whatever the nanoseconds, also when the second changes back and forth', () => {
    const cases: Array<[number, number, string]> = [
      [1796584287, 320786000, '1796584287.320786000'],
      [1796584287, 5, '1796584287.000000005'],
      [1796584288, 0, '1796584288.000000000'],
      [1796584287, 99_999_999, '1796584287.099999999'],
      [1796584287, 100_000_000, '1796584287.100000000'],
      [0, 999_999_999, '0.999999999'],
      [1796584288, 1, '1796584288.000000001'],
    ];
    for (const [sec, nsec, text] of cases) {
      expect(epochText(sec, nsec)).toBe(text);
      expect(parseEpochText(text)).toEqual({ sec, nsec });
    }
  });

  it('differences keep their sign and nine decimals', () => {
    expect(secondsBetween(10, 900_000_000, 12, 100_000_000)).toBe('1.200000000');
    expect(secondsBetween(12, 100_000_000, 10, 900_000_000)).toBe('-1.200000000');
    expect(secondsBetween(5, 1, 5, 1)).toBe('0.000000000');
    expect(secondsBetween(5, 2, 5, 1)).toBe('-0.000000001');
    expect(parseEpochText('-1.200000000')).toEqual({ sec: -2, nsec: 800_000_000 });
  });
});
