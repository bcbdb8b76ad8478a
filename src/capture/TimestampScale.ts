const TWO_POW_32 = 4_294_967_296;
const TWO_POW_20 = 1_048_576;
const TWO_POW_11 = 2_048;
const NS_PER_S = 1_000_000_000n;

/** nsec = r * factor (10^-n with n <= 9, 2^-n with n <= 9: the factor is an integer). */
const MULTIPLY = 0;
/** nsec = floor(r * 1953125 / 2^(n-9)) for 2^-n, 10 <= n <= 32: 1e9 = 2^9 * 1953125. */
const SHIFT = 1;
/** Everything finer: BigInt. */
const BIG = 2;

/**
 * Turns a pcapng 64-bit timestamp (draft-ietf-opsawg-pcapng §4.3: a count of if_tsresol units
 * since 1970) into whole seconds and nanoseconds, exactly, truncating sub-nanosecond parts
 * as Wireshark does.
 *
 * Doubles hold integers exactly only up to 2^53, and a nanosecond timestamp is about 2^60, so
 * the division is done without ever forming the 64-bit value as a double: either the value is
 * small enough (< 2^52), or it is long-divided in 16-bit digits (each partial dividend < 2^48).
 * BigInt is only used for resolutions finer than 2^-32 s or coarser than 2^-11 s with huge values.
 *
 * Results go to `sec` / `nsec` instead of a returned object: this runs once per packet.
 */
export class TimestampScale {
  /** Whole seconds of the last conversion (before any if_tsoffset). */
  sec = 0;
  /** Nanoseconds of the last conversion, 0 … 999 999 999. */
  nsec = 0;

  readonly #units: number;
  readonly #unitsBig: bigint;
  readonly #fraction: number;
  readonly #factor: number;
  readonly #divisor: number;
  readonly #longDivision: boolean;

  /** @param tsresol the if_tsresol option byte (draft-ietf-opsawg-pcapng §4.2). */
  constructor(tsresol: number) {
    const binary = (tsresol & 0x80) !== 0;
    const exponent = tsresol & 0x7f;
    this.#unitsBig = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent);
    this.#units = Number(this.#unitsBig);
    if (!binary && exponent <= 9) {
      this.#fraction = MULTIPLY;
      this.#factor = 10 ** (9 - exponent);
    } else if (binary && exponent <= 9) {
      this.#fraction = MULTIPLY;
      this.#factor = 1_000_000_000 / 2 ** exponent;
    } else if (binary && exponent <= 32) {
      this.#fraction = SHIFT;
      this.#factor = 1_953_125;
    } else {
      this.#fraction = BIG;
      this.#factor = 0;
    }
    this.#divisor = binary && exponent > 9 ? 2 ** (exponent - 9) : 1;
    this.#longDivision = this.#fraction !== BIG && this.#units >= TWO_POW_11;
  }

  /** Units per second, as a BigInt (it can exceed 2^53). */
  get unitsPerSecond(): bigint {
    return this.#unitsBig;
  }

  convert(high: number, low: number): void {
    const units = this.#units;
    if (this.#fraction !== BIG) {
      if (high < TWO_POW_20) {
        const ts = high * TWO_POW_32 + low;
        let q = Math.floor(ts / units);
        let r = ts - q * units;
        // Guard against a quotient rounded up or down by the floating-point division.
        if (r < 0) {
          q--;
          r += units;
        } else if (r >= units) {
          q++;
          r -= units;
        }
        this.sec = q;
        this.nsec = this.#nanoseconds(r);
        return;
      }
      if (this.#longDivision) {
        const qh = Math.floor(high / units);
        let r = high - qh * units;
        let cur = r * 65_536 + (low >>> 16);
        const q1 = Math.floor(cur / units);
        r = cur - q1 * units;
        cur = r * 65_536 + (low & 0xffff);
        const q0 = Math.floor(cur / units);
        r = cur - q0 * units;
        this.sec = qh * TWO_POW_32 + q1 * 65_536 + q0;
        this.nsec = this.#nanoseconds(r);
        return;
      }
    }
    const ts = (BigInt(high) << 32n) | BigInt(low);
    const q = ts / this.#unitsBig;
    const r = ts - q * this.#unitsBig;
    this.sec = Number(q);
    this.nsec = Number((r * NS_PER_S) / this.#unitsBig);
  }

  #nanoseconds(r: number): number {
    // r < units <= 2^32, so r * 1953125 < 2^53 and the division by a power of two is exact.
    return this.#fraction === MULTIPLY ? r * this.#factor : Math.floor((r * this.#factor) / this.#divisor);
  }
}
