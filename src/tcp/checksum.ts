// IPv4 header and TCP checksums (RFC 791 §3.1, RFC 9293 §3.1 with the pseudo-header; RFC 8200
// §8.1 for IPv6), to flag segments whose checksums are wrong — in student captures nearly
// always checksum offload on the capturing host, so the segment is analysed like any other.
//
// Cost. The sum runs over every payload byte, so it is written for speed: 32-bit words read
// through a Uint32Array over the frame's whole buffer (made once per buffer, not per packet),
// added as doubles (no overflow below 2^53) and reduced modulo 0xffff at the end. That works
// because 2^16 ≡ 1 (mod 0xffff): a 32-bit word read in either byte order contributes its bytes
// with weights 1 and 256 in a fixed pattern, so reading little-endian words only swaps the two
// bytes of the final 16-bit sum when the word starts at an even distance from the segment
// start (RFC 1071 §2(B), byte-order independence). Leading and trailing bytes are added one by one.

import type { Packet } from '../decode/Packet.js';
import type { ChecksumStatus } from './TcpModel.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let cachedBuffer: ArrayBufferLike | undefined;
let cachedWords: Uint32Array | undefined;

function wordsOf(buffer: ArrayBufferLike): Uint32Array {
  if (buffer !== cachedBuffer) {
    cachedBuffer = buffer;
    cachedWords = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return cachedWords!;
}

/** Σ words[first .. first + count) as a double; unrolled, two accumulators (about 2.5 GB/s). */
function wordSum(words: Uint32Array, first: number, count: number): number {
  let a = 0;
  let b = 0;
  let w = first;
  const last = first + count;
  for (; w + 4 <= last; w += 4) {
    a += words[w]! + words[w + 1]!;
    b += words[w + 2]! + words[w + 3]!;
  }
  for (; w < last; w++) a += words[w]!;
  return a + b;
}

/** Ranges up to this many bytes (headers, pure ACKs) are summed pairwise: no set-up cost. */
const SHORT_RANGE = 96;

/** Σ of the big-endian 16-bit words of `d[start..end)` (a last odd byte padded with zero), unreduced. */
function shortSum(d: Uint8Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (d[i]! << 8) | d[i + 1]!;
  if (i < end) sum += d[i]! << 8;
  return sum;
}

/**
 * The ones'-complement sum of `d[start..end)` as big-endian 16-bit words, reduced modulo 0xffff
 * (0 stands for both 0x0000 and 0xffff; callers compare modulo 0xffff).
 */
export function onesComplementSum(d: Uint8Array, start: number, end: number): number {
  if (end - start <= SHORT_RANGE) return shortSum(d, start, end) % 0xffff;
  const base = d.byteOffset;
  let i = start;
  // Bytes at an even distance from `start` are high bytes (weight 256), odd ones low bytes.
  let high = 0;
  let low = 0;
  while (i < end && ((base + i) & 3) !== 0) {
    if (((i - start) & 1) === 0) high += d[i]!;
    else low += d[i]!;
    i++;
  }
  const wordCount = (end - i) >>> 2;
  if (wordCount > 0) {
    const folded = wordSum(wordsOf(d.buffer), (base + i) >>> 2, wordCount) % 0xffff;
    // sum ≡ Σ bytes at word offsets 0 and 2 (little-endian: weight 1) + 256 × Σ bytes at 1 and 3.
    const swapped = ((folded & 0xff) << 8) | (folded >>> 8);
    const evenStart = ((i - start) & 1) === 0;
    // Little-endian words starting at an even distance hold a high byte in their lowest byte:
    // the folded sum is byte-swapped. Big-endian words are the other way round.
    const straight = LITTLE_ENDIAN ? !evenStart : evenStart;
    const part = straight ? folded : swapped;
    high += part >>> 8;
    low += part & 0xff;
    i += wordCount << 2;
  }
  while (i < end) {
    if (((i - start) & 1) === 0) high += d[i]!;
    else low += d[i]!;
    i++;
  }
  return (high * 256 + low) % 0xffff;
}

/**
 * Verifies the IPv4 header checksum (IPv4 only) and the TCP checksum of a decoded TCP segment,
 * at the header offsets the decoder found. A segment that came in IP fragments is verified
 * too: its TCP header and payload are in `ip.reassembledPayload`, its pseudo-header addresses
 * and the IPv4 header checked are those of the frame that completed it (every fragment carries
 * the same addresses). 'unchecked' when the bytes needed are not all there: a payload cut by
 * the snap length, or a tunnelled packet whose outer datagram was reassembled (its inner
 * headers are in bytes the packet does not keep).
 */
export function verifyTcpChecksums(packet: Packet): ChecksumStatus {
  const ip = packet.ip;
  const tcp = packet.tcp;
  if (ip === undefined || tcp === undefined || tcp.payload.length !== tcp.length) return 'unchecked';
  const outer = packet.outerIp;
  if (outer !== undefined) {
    for (let i = 0; i < outer.length; i++) if (outer[i]!.reassembledPayload !== undefined) return 'unchecked';
  }
  const frameData = packet.frame.data;
  const segment = ip.reassembledPayload ?? frameData;
  const tcpStart = tcp.headerOffset;
  const segmentLength = tcp.headerLength + tcp.length;
  const ipStart = ip.headerOffset;
  if (tcpStart + segmentLength > segment.length || ipStart + ip.headerLength > frameData.length) return 'unchecked';
  // The offsets come from the decoder; a mismatch would be a decoder bug, not a bad checksum.
  if (segment[tcpStart]! !== tcp.srcPort >>> 8 || segment[tcpStart + 1]! !== (tcp.srcPort & 0xff) || frameData[ipStart]! >> 4 !== ip.version) return 'unchecked';

  let pseudo: number;
  if (ip.version === 4) {
    if (onesComplementSum(frameData, ipStart, ipStart + ip.headerLength) !== 0) return 'bad';
    pseudo = onesComplementSum(frameData, ipStart + 12, ipStart + 20) + 6 + segmentLength;
  } else {
    // Addresses from the fixed header (a routing header's final destination is not looked at).
    pseudo = onesComplementSum(frameData, ipStart + 8, ipStart + 40) + 6 + (segmentLength >>> 16) + (segmentLength & 0xffff);
  }
  const total = (pseudo + onesComplementSum(segment, tcpStart, tcpStart + segmentLength)) % 0xffff;
  return total === 0 ? 'good' : 'bad';
}
