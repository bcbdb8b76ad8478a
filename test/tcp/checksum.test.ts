// TCP and IPv4 header checksums at the offsets the decoder reports, including segments that
// came in IP fragments, judged by tshark (with its checksum validation switched on) on the
// same bytes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../src/decode/PacketDecoder.js';
import { TcpFlag } from '../../src/decode/Packet.js';
import { verifyTcpChecksums } from '../../src/tcp/checksum.js';
import { writePcap, type PcapRecord } from '../helpers/captureWriter.js';
import {
  ETH_IPV4, ETH_IPV6, PROTO_TCP, ethernet, frameOf, ipv4, ipv4Fragments, ipv6, ipv6Fragments, pattern, tcp,
} from '../helpers/packetBuilder.js';
import { hasTshark, tsharkFields, tsharkNote } from '../helpers/tshark.js';

const A4 = '198.51.100.2';
const B4 = '198.51.100.1';
const A6 = '2001:db8::2';
const B6 = '2001:db8::1';

function segment(src: string, dst: string, payload: Uint8Array, flags = TcpFlag.ACK | TcpFlag.PSH): Uint8Array {
  return tcp({ srcPort: 40000, dstPort: 21, seq: 0xfffffff0, ack: 77, flags, window: 502, payload, pseudo: { src, dst } });
}

/** Each case: frames (Ethernet), and what the last frame's checksum verdict should be. */
interface Case {
  name: string;
  frames: Uint8Array[];
  expected: 'good' | 'bad' | 'unchecked';
}

function cases(): Case[] {
  const out: Case[] = [];
  const eth4 = (p: Uint8Array) => ethernet({ etherType: ETH_IPV4, payload: p });
  const eth6 = (p: Uint8Array) => ethernet({ etherType: ETH_IPV6, payload: p });

  out.push({ name: 'IPv4 pure ACK', frames: [eth4(ipv4({ src: A4, dst: B4, protocol: PROTO_TCP, payload: segment(A4, B4, new Uint8Array(0), TcpFlag.ACK) }))], expected: 'good' });
  out.push({ name: 'IPv4 with data, odd length', frames: [eth4(ipv4({ src: A4, dst: B4, protocol: PROTO_TCP, payload: segment(A4, B4, pattern(1001)) }))], expected: 'good' });
  const ipOpts = eth4(ipv4({ src: A4, dst: B4, protocol: PROTO_TCP, options: [1, 1, 1, 0], payload: segment(A4, B4, pattern(64)) }));
  out.push({ name: 'IPv4 with IP options', frames: [ipOpts], expected: 'good' });
  const flipped = eth4(ipv4({ src: A4, dst: B4, protocol: PROTO_TCP, payload: segment(A4, B4, pattern(300)) }));
  flipped[flipped.length - 7]! ^= 0x40;
  out.push({ name: 'IPv4, a payload bit flipped', frames: [flipped], expected: 'bad' });
  const badHeader = eth4(ipv4({ src: A4, dst: B4, protocol: PROTO_TCP, payload: segment(A4, B4, pattern(30)) }));
  badHeader[14 + 8]! ^= 1; // TTL changed, header checksum not
  out.push({ name: 'IPv4, header checksum wrong', frames: [badHeader], expected: 'bad' });

  // A segment in IPv4 fragments: verified over the reassembled segment.
  const big = segment(A4, B4, pattern(3000));
  out.push({ name: 'IPv4 fragments', frames: ipv4Fragments({ src: A4, dst: B4, protocol: PROTO_TCP, id: 0x1234, payload: big }, 1480).map(eth4), expected: 'good' });
  const spoiled = ipv4Fragments({ src: A4, dst: B4, protocol: PROTO_TCP, id: 0x1235, payload: big }, 1480).map(eth4);
  spoiled[1]![14 + 20 + 100]! ^= 0x01; // a payload byte in the middle fragment
  out.push({ name: 'IPv4 fragments, a byte changed in the middle one', frames: spoiled, expected: 'bad' });

  out.push({ name: 'IPv6 with data', frames: [eth6(ipv6({ src: A6, dst: B6, nextHeader: PROTO_TCP, payload: segment(A6, B6, pattern(777)) }))], expected: 'good' });
  out.push({
    name: 'IPv6 behind a destination-options header',
    frames: [eth6(ipv6({ src: A6, dst: B6, nextHeader: PROTO_TCP, extensions: [{ type: 60 }], payload: segment(A6, B6, pattern(20)) }))],
    expected: 'good',
  });
  const big6 = segment(A6, B6, pattern(2500));
  out.push({ name: 'IPv6 fragments', frames: ipv6Fragments({ src: A6, dst: B6, nextHeader: PROTO_TCP, payload: big6 }, 1232, 99).map(eth6), expected: 'good' });
  const spoiled6 = ipv6Fragments({ src: A6, dst: B6, nextHeader: PROTO_TCP, payload: big6 }, 1232, 100).map(eth6);
  spoiled6[2]![spoiled6[2]!.length - 1]! ^= 0x80;
  out.push({ name: 'IPv6 fragments, the last byte changed', frames: spoiled6, expected: 'bad' });
  return out;
}

function decodeLast(frames: Uint8Array[]) {
  const decoder = new PacketDecoder();
  let last;
  frames.forEach((f, i) => (last = decoder.decode(frameOf(f, { no: i + 1, time: 1_700_000_000 + i }))));
  return last!;
}

describe('TCP checksums at the decoder\'s header offsets', () => {
  for (const c of cases()) {
    it(`${c.name}: ${c.expected}`, () => {
      const p = decodeLast(c.frames);
      expect(p.warnings).toEqual([]);
      expect(p.tcp).toBeDefined();
      if (c.frames.length > 1) expect(p.ip?.reassembledFrom).toEqual(c.frames.map((_, i) => i + 1));
      expect(verifyTcpChecksums(p)).toBe(c.expected);
    });
  }

  it('says "unchecked" for a payload cut by the snap length', () => {
    const f = ethernet({ etherType: ETH_IPV4, payload: ipv4({ src: A4, dst: B4, protocol: PROTO_TCP, payload: segment(A4, B4, pattern(500)) }) });
    const p = new PacketDecoder().decode(frameOf(f, { snapLength: 200 }));
    expect(p.tcp!.payload.length).toBeLessThan(p.tcp!.length);
    expect(verifyTcpChecksums(p)).toBe('unchecked');
  });

  it('says "unchecked" for a packet tunnelled in a reassembled datagram (its inner headers are not kept)', () => {
    const inner = ipv4({ src: A4, dst: B4, protocol: PROTO_TCP, payload: segment(A4, B4, pattern(2000)) });
    const frames = ipv4Fragments({ src: '203.0.113.1', dst: '203.0.113.2', protocol: 4, id: 7, payload: inner }, 1480)
      .map((p) => ethernet({ etherType: ETH_IPV4, payload: p }));
    const p = decodeLast(frames);
    expect(p.outerIp?.[0]?.reassembledPayload).toBeDefined();
    expect(p.tcp?.length).toBe(2000);
    expect(verifyTcpChecksums(p)).toBe('unchecked');
  });

  it(`agrees with tshark's checksum validation on every case${tsharkNote}`, { skip: !hasTshark }, () => {
    const all = cases();
    const records: PcapRecord[] = [];
    const lastFrames: number[] = [];
    const ours: string[] = [];
    for (const c of all) {
      for (const f of c.frames) records.push({ tsSec: 1_700_000_000 + records.length, data: f });
      lastFrames.push(records.length);
      ours.push(verifyTcpChecksums(decodeLast(c.frames)));
    }
    const file = join(mkdtempSync(join(tmpdir(), 'ftp-inspect-checksum-')), 'checksums.pcap');
    writeFileSync(file, writePcap({}, records));
    const rows = tsharkFields(file, ['frame.number', 'tcp.checksum.status', 'ip.checksum.status'], ['-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE']);
    all.forEach((c, i) => {
      const row = rows[lastFrames[i]! - 1]!;
      // tshark: 1 = good, 0 = bad (2 = unverified). Ours is bad when either checksum is.
      const tcpStatus = row['tcp.checksum.status'];
      const ipStatus = row['ip.checksum.status']!.split(',');
      const theirs = tcpStatus === '0' || ipStatus.includes('0') ? 'bad' : tcpStatus === '1' ? 'good' : 'unchecked';
      expect(`${c.name}: ${ours[i]}`).toBe(`${c.name}: ${theirs}`);
    });
  });
});
