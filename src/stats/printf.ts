// Numbers printed the way C's printf("%.Nf") prints them, so figures match tshark digit for
// digit. JavaScript's toFixed rounds an exact tie (68.125 → "68.13") away from zero; glibc
// rounds it to even ("68.12"). Ties are only exact when the binary value is exactly half-way,
// so the value's exact decimal expansion is rounded here by hand.

/** printf("%.<digits>f", value) as glibc prints it (round half to even on the exact binary value). */
export function printfFixed(value: number, digits: number): string {
  // toFixed rounds the exact binary value to nearest as well (ECMA-262, Number.prototype.toFixed,
  // below 1e21); the two differ only on an exact tie. A double that is not an integer is N / 2^j
  // with N odd, and its decimal expansion has exactly j fractional digits, the last a 5: it is a
  // tie at `digits` digits exactly when j = digits + 1, i.e. when it is a whole multiple of
  // 2^-(digits+1) but not of 2^-digits (both products are exact: a power of two only moves the
  // exponent). Everything else takes toFixed's answer, about ten times faster than the exact path
  // below (`stats` prints five such numbers per connection).
  const magnitude = Math.abs(value);
  if (magnitude < 1e21 && !(Number.isInteger(magnitude * 2 ** (digits + 1)) && !Number.isInteger(magnitude * 2 ** digits))) {
    return value < 0 || Object.is(value, -0) ? `-${magnitude.toFixed(digits)}` : magnitude.toFixed(digits);
  }
  return printfFixedExact(value, digits);
}

/** printfFixed by the value's exact decimal expansion (any value, ties included); exported for the test. */
export function printfFixedExact(value: number, digits: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const negative = value < 0 || Object.is(value, -0);
  const magnitude = Math.abs(value);
  // toFixed(100) is exact for every double with at most 100 fractional decimal digits, which
  // covers every value from about 1e-48 upwards; below that the digits kept are all zero anyway.
  if (magnitude >= 1e21) return (negative ? '-' : '') + BigInt(magnitude).toString() + (digits > 0 ? `.${'0'.repeat(digits)}` : '');
  const exact = magnitude.toFixed(100);
  const point = exact.indexOf('.');
  const whole = exact.slice(0, point);
  const fraction = exact.slice(point + 1);
  const kept = whole + fraction.slice(0, digits);
  const rest = fraction.slice(digits);
  let roundUp = false;
  const first = rest.charCodeAt(0) - 48;
  if (first > 5) roundUp = true;
  else if (first === 5) {
    const beyond = /[1-9]/.test(rest.slice(1));
    const lastKept = kept.charCodeAt(kept.length - 1) - 48;
    roundUp = beyond || lastKept % 2 === 1;
  }
  const digitsText = roundUp ? incrementDecimal(kept) : kept;
  const intPart = digitsText.slice(0, digitsText.length - digits) || '0';
  const fracPart = digitsText.slice(digitsText.length - digits);
  return `${negative ? '-' : ''}${intPart}${digits > 0 ? `.${fracPart}` : ''}`;
}

/** "1299" → "1300", "99" → "100". */
function incrementDecimal(text: string): string {
  const chars = text.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    if (chars[i] === '9') chars[i] = '0';
    else {
      chars[i] = String.fromCharCode(chars[i]!.charCodeAt(0) + 1);
      return chars.join('');
    }
  }
  return `1${chars.join('')}`;
}
