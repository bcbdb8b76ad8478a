// Address text exactly as Wireshark prints it (with name resolution off).
//
// Address strings are the one allocation per packet the later stages really need (they key
// connections by them), so each formatter sits behind a small direct-mapped cache keyed by the
// numeric address: a capture talks to few hosts, and a hit costs a hash and a compare instead
// of building a string. A miss simply overwrites the slot, so memory stays fixed.

import { u16, u32 } from './bytes.js';

const DECIMAL: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const V4_SLOTS = 1024;
// -1 marks an empty slot: no uint32 address equals it.
const v4Keys = new Float64Array(V4_SLOTS).fill(-1);
const v4Text: string[] = new Array<string>(V4_SLOTS).fill('');

/** Dotted-quad text of the IPv4 address at `d[o..o+4)`. */
export function ipv4Text(d: Uint8Array, o: number): string {
  const key = u32(d, o);
  // Mix the high bits in: hosts on one subnet differ mostly in the low byte, remote peers in all.
  const slot = (key ^ (key >>> 10) ^ (key >>> 20)) & (V4_SLOTS - 1);
  if (v4Keys[slot] === key) return v4Text[slot]!;
  const text = DECIMAL[key >>> 24]! + '.' + DECIMAL[(key >>> 16) & 255]! + '.' + DECIMAL[(key >>> 8) & 255]! + '.' + DECIMAL[key & 255]!;
  v4Keys[slot] = key;
  v4Text[slot] = text;
  return text;
}

/** Dotted-quad text of a numeric IPv4 address. */
export function ipv4TextFromNumber(key: number): string {
  return DECIMAL[key >>> 24]! + '.' + DECIMAL[(key >>> 16) & 255]! + '.' + DECIMAL[(key >>> 8) & 255]! + '.' + DECIMAL[key & 255]!;
}

const V6_SLOTS = 256;
const v6Keys = new Uint32Array(V6_SLOTS * 4);
const v6Used = new Uint8Array(V6_SLOTS);
const v6Text: string[] = new Array<string>(V6_SLOTS).fill('');
const groups = new Uint16Array(8);

/** Text of the IPv6 address at `d[o..o+16)` in RFC 5952 form, as Wireshark shows it. */
export function ipv6Text(d: Uint8Array, o: number): string {
  const w0 = u32(d, o);
  const w1 = u32(d, o + 4);
  const w2 = u32(d, o + 8);
  const w3 = u32(d, o + 12);
  const slot = (w0 ^ w1 ^ w2 ^ w3 ^ (w3 >>> 8) ^ (w3 >>> 16) ^ (w1 >>> 16)) & (V6_SLOTS - 1);
  const k = slot * 4;
  if (v6Used[slot] === 1 && v6Keys[k] === w0 && v6Keys[k + 1] === w1 && v6Keys[k + 2] === w2 && v6Keys[k + 3] === w3) {
    return v6Text[slot]!;
  }
  const text = formatIpv6(d, o);
  v6Keys[k] = w0;
  v6Keys[k + 1] = w1;
  v6Keys[k + 2] = w2;
  v6Keys[k + 3] = w3;
  v6Used[slot] = 1;
  v6Text[slot] = text;
  return text;
}

function formatIpv6(d: Uint8Array, o: number): string {
  for (let i = 0; i < 8; i++) groups[i] = u16(d, o + 2 * i);
  // RFC 5952 §4.2: compress the longest run of zero groups, only if it spans at least two
  // groups (§4.2.2), the first such run on a tie (§4.2.3).
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  // Wireshark hands the address to the C library's inet_ntop, which writes the last 32 bits as
  // a dotted quad for IPv4-mapped addresses (::ffff:a.b.c.d, RFC 5952 §5) and also for the
  // deprecated IPv4-compatible form (::a.b.c.d), but not for ::1, ::, or NAT64 prefixes.
  const embeddedV4 = bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff));
  const last = embeddedV4 ? 6 : 8;
  let text = '';
  for (let i = 0; i < last; i++) {
    if (i === bestStart) {
      text += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    text += groups[i]!.toString(16);
    if (i < last - 1) text += ':';
  }
  if (embeddedV4) text += (text.endsWith(':') ? '' : ':') + DECIMAL[d[o + 12]!]! + '.' + DECIMAL[d[o + 13]!]! + '.' + DECIMAL[d[o + 14]!]! + '.' + DECIMAL[d[o + 15]!]!;
  return text;
}

const MAC_SLOTS = 256;
const macKeys = new Float64Array(MAC_SLOTS).fill(-1);
const macText: string[] = new Array<string>(MAC_SLOTS).fill('');

/** Colon-separated lowercase hex of the 48-bit MAC address at `d[o..o+6)`. */
export function macAddressText(d: Uint8Array, o: number): string {
  const high = u16(d, o);
  const low = u32(d, o + 2);
  const key = high * 0x1_0000_0000 + low;
  const slot = (low ^ (low >>> 12) ^ high) & (MAC_SLOTS - 1);
  if (macKeys[slot] === key) return macText[slot]!;
  const text = HEX2[d[o]!]! + ':' + HEX2[d[o + 1]!]! + ':' + HEX2[d[o + 2]!]! + ':' + HEX2[d[o + 3]!]! + ':' + HEX2[d[o + 4]!]! + ':' + HEX2[d[o + 5]!]!;
  macKeys[slot] = key;
  macText[slot] = text;
  return text;
}
