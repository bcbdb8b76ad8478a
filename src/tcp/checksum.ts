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

/**
 * The ones'-complement sum of `d[start..end)` as big-endian 16-bit words, reduced modulo 0xffff
 * (0 stands for both 0x0000 and 0xffff; callers compare modulo 0xffff).
 */
export function onesComplementSum(d: Uint8Array, start: number, end: number): number {
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
 * Verifies the IPv4 header checksum (IPv4 only) and the TCP checksum of a decoded TCP segment.
 * 'unchecked' when the bytes needed are not all there: a payload cut by the snap length, a
 * datagram reassembled from fragments (its header bytes are not next to the segment), or a
 * segment whose header could not be located in the frame.
 */
export function verifyTcpChecksums(packet: Packet): ChecksumStatus {
  const ip = packet.ip;
  const tcp = packet.tcp;
  if (ip === undefined || tcp === undefined || ip.reassembledFrom !== undefined) return 'unchecked';
  if (tcp.payload.length !== tcp.length) return 'unchecked';
  const data = packet.frame.data;
  const segmentLength = tcp.headerLength + tcp.length;
  let tcpStart: number;
  if (tcp.length > 0) {
    if (tcp.payload.buffer !== data.buffer) return 'unchecked';
    tcpStart = tcp.payload.byteOffset - data.byteOffset - tcp.headerLength;
  } else {
    tcpStart = locateHeader(data, tcp.srcPort, tcp.dstPort, tcp.seq, tcp.ack);
  }
  const ipStart = tcpStart - ip.headerLength;
  if (tcpStart < 0 || ipStart < 0 || tcpStart + segmentLength > data.length) return 'unchecked';

  let pseudo: number;
  if (ip.version === 4) {
    if (data[ipStart]! >> 4 !== 4 || (data[ipStart]! & 0x0f) * 4 !== ip.headerLength || data[ipStart + 9] !== 6) return 'unchecked';
    if (onesComplementSum(data, ipStart, tcpStart) !== 0) return 'bad';
    pseudo = onesComplementSum(data, ipStart + 12, ipStart + 20) + 6 + segmentLength;
  } else {
    if (data[ipStart]! >> 4 !== 6) return 'unchecked';
    // Addresses from the fixed header (a routing header's final destination is not looked at).
    pseudo = onesComplementSum(data, ipStart + 8, ipStart + 40) + 6 + (segmentLength >>> 16) + (segmentLength & 0xffff);
  }
  const total = (pseudo + onesComplementSum(data, tcpStart, tcpStart + segmentLength)) % 0xffff;
  return total === 0 ? 'good' : 'bad';
}

/**
 * Where the TCP header of a segment without payload starts: the decoder hands no view for it,
 * so look for its ports, sequence and acknowledgement numbers (12 bytes) in the frame. Frames
 * without payload are short, so this is a few dozen comparisons.
 */
function locateHeader(d: Uint8Array, srcPort: number, dstPort: number, seq: number, ack: number): number {
  const ports = ((srcPort << 16) | dstPort) >>> 0;
  const limit = d.length - 20;
  for (let i = 0; i <= limit; i++) {
    if (d[i] !== srcPort >>> 8) continue;
    if (u32(d, i) === ports && u32(d, i + 4) === seq && u32(d, i + 8) === ack) return i;
  }
  return -1;
}

function u32(d: Uint8Array, i: number): number {
  return ((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0;
}
