// Capture times as text (tshark's frame.time_epoch form): nine decimals, exact, round trip.
import { describe, expect, it } from 'vitest';
import { epochText, parseEpochText, parseEpochTextAny, secondsBetween } from '../../src/ftp/time.js';
import { seededRandom } from '../helpers/random.js';

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

  it('reads every text as the regular expression does (the nine-decimal form has a path of its own)', () => {
    // The general reading (a regular expression) is the oracle.
    const oracle = parseEpochTextAny;
    const random = seededRandom(0x71de);
    const alphabet = '0123456789.-x ';
    const texts = ['', '.', '1.', '.123456789', '1.123456789', '-1.123456789', '12.1234567890', '1.12345678', '1x123456789', '1.12345678x', '١.123456789'];
    for (let i = 0; i < 20_000; i++) {
      // Mostly the nine-decimal shape with a character changed, some free-form.
      let t: string;
      if (random() < 0.7) {
        t = `${Math.floor(random() * 4e9)}.${String(Math.floor(random() * 1e9)).padStart(9, '0')}`;
        if (random() < 0.5) {
          const at = Math.floor(random() * t.length);
          t = t.slice(0, at) + alphabet[Math.floor(random() * alphabet.length)] + t.slice(at + 1);
        }
      } else {
        t = '';
        for (let n = Math.floor(random() * 14); n > 0; n--) t += alphabet[Math.floor(random() * alphabet.length)];
      }
      texts.push(t);
    }
    let fastShape = 0;
    for (const t of texts) {
      if (/^\d+\.\d{9}$/.test(t)) fastShape++;
      expect(parseEpochText(t), t).toEqual(oracle(t));
    }
    expect(fastShape).toBeGreaterThan(5_000);
  });
});
