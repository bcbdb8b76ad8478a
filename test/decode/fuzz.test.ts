// decode() must never throw and never hit its internal-error fallback, whatever the bytes.
// Seeds are valid packets of every kind the decoder understands, on every link type; cases are
// random truncations, random byte mutations and random garbage, from a fixed seed so a failure
// reproduces.
import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../src/decode/PacketDecoder.js';
import type { Packet } from '../../src/decode/Packet.js';
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, LINK, PROTO_TCP, PROTO_UDP, be16, concat, dnsMessage, ethernet, frameOf, ipv4,
  ipv4Fragments, ipv6, ipv6Fragments, loop, nullLoopback, pattern, sll, sll2, tcp, tcpOption, udp,
} from '../helpers/packetBuilder.js';
import { seededRandom as prng } from '../helpers/random.js';


const dns = dnsMessage({
  response: true,
  questions: [{ name: 'ftp.example.org', type: 1 }],
  answers: [
    { name: 'ftp.example.org', type: 'CNAME', target: 'a.example.org' },
    { name: 'a.example.org', type: 'A', address: '192.0.2.1' },
    { name: 'a.example.org', type: 'AAAA', address: '2001:db8::1' },
  ],
});
const synOptions = [...tcpOption.mss(1460), ...tcpOption.sackPermitted(), ...tcpOption.timestamps(1, 0), 1, ...tcpOption.windowScale(7)];
const ackOptions = [1, 1, ...tcpOption.sack([[10, 20], [30, 40]]), 1, 1, ...tcpOption.timestamps(5, 6)];

/** Network-layer seeds: IPv4 and IPv6 packets of every shape. */
function networkSeeds(): Array<{ v: 4 | 6; bytes: Uint8Array }> {
  const out: Array<{ v: 4 | 6; bytes: Uint8Array }> = [];
  const t1 = tcp({ flags: 0x002, options: synOptions });
  const t2 = tcp({ flags: 0x018, options: ackOptions, payload: pattern(200) });
  const u = udp({ srcPort: 53, payload: dns });
  for (const payload of [t1, t2]) out.push({ v: 4, bytes: ipv4({ protocol: PROTO_TCP, options: [7, 7, 4, 0, 0, 0, 0, 1], payload }) });
  out.push({ v: 4, bytes: ipv4({ protocol: PROTO_UDP, payload: u }) });
  out.push({ v: 4, bytes: ipv4({ protocol: 4, payload: ipv4({ protocol: PROTO_TCP, payload: t2 }) }) });
  for (const f of ipv4Fragments({ protocol: PROTO_TCP, id: 7, payload: tcp({ payload: pattern(600) }) }, 256)) out.push({ v: 4, bytes: f });
  for (const payload of [t1, t2]) out.push({ v: 6, bytes: ipv6({ nextHeader: PROTO_TCP, extensions: [{ type: 0 }, { type: 60 }], payload }) });
  out.push({ v: 6, bytes: ipv6({ nextHeader: PROTO_UDP, extensions: [{ type: 43, body: new Uint8Array(14) }, { type: 51, body: new Uint8Array(14) }], payload: u }) });
  for (const f of ipv6Fragments({ nextHeader: PROTO_TCP, extensions: [{ type: 0 }], payload: tcp({ payload: pattern(600) }) }, 256, 9)) out.push({ v: 6, bytes: f });
  return out;
}

/** Every seed wrapped in every link layer. */
function frameSeeds(): Array<{ linkType: number; bytes: Uint8Array }> {
  const out: Array<{ linkType: number; bytes: Uint8Array }> = [];
  for (const { v, bytes } of networkSeeds()) {
    const etherType = v === 4 ? ETH_IPV4 : ETH_IPV6;
    out.push({ linkType: LINK.ETHERNET, bytes: ethernet({ etherType, payload: bytes, pad: true }) });
    out.push({ linkType: LINK.ETHERNET, bytes: ethernet({ etherType, vlans: [1, { tpid: 0x88a8, vid: 2 }], payload: bytes }) });
    out.push({ linkType: LINK.ETHERNET, bytes: ethernet({ etherType: 0x8864, payload: concat([0x11, 0], be16(1), be16(bytes.length + 2), be16(v === 4 ? 0x21 : 0x57), bytes) }) });
    out.push({ linkType: LINK.ETHERNET, bytes: ethernet({ etherType: 0x8847, payload: concat([0, 1, 1, 64], bytes) }) });
    out.push({ linkType: LINK.NULL, bytes: nullLoopback(v === 4 ? 2 : 30, bytes) });
    out.push({ linkType: LINK.NULL, bytes: nullLoopback(v === 4 ? 2 : 24, bytes, 'big') });
    out.push({ linkType: LINK.LOOP, bytes: loop(v === 4 ? 2 : 24, bytes) });
    for (const raw of [LINK.RAW, 12, 14, LINK.IPV4]) out.push({ linkType: raw, bytes });
    if (v === 6) out.push({ linkType: LINK.IPV6, bytes });
    out.push({ linkType: LINK.SLL, bytes: sll({ protocol: etherType, payload: bytes }) });
    out.push({ linkType: LINK.SLL2, bytes: sll2({ protocol: etherType, payload: bytes }) });
  }
  out.push({ linkType: LINK.ETHERNET, bytes: ethernet({ etherType: ETH_ARP, payload: new Uint8Array(28) }) });
  return out;
}

/** Plain checks rather than expect(): this runs tens of thousands of times. Returns a problem or ''. */
function checkPacket(p: Packet): string {
  if (typeof p.protocol !== 'string' || p.protocol.length === 0) return 'empty protocol';
  for (const w of p.warnings) if (w.includes('internal error')) return w;
  if (p.tcp && (p.tcp.length < 0 || p.tcp.payload.length > p.tcp.length)) return `tcp payload ${p.tcp.payload.length} > length ${p.tcp.length}`;
  if (p.udp && p.udp.payload.length > p.udp.length - 8) return `udp payload ${p.udp.payload.length} > length ${p.udp.length}`;
  return '';
}

describe('fuzzing decode()', () => {
  const seeds = frameSeeds();
  const linkTypes = [...new Set(seeds.map((s) => s.linkType))];

  it(`never throws on truncated, mutated or random frames (seed 0x5eed, ${seeds.length} seed frames)`, () => {
    const random = prng(0x5eed);
    const pick = (n: number) => Math.floor(random() * n);
    // Small limits so the reassembly limits are exercised too.
    const decoder = new PacketDecoder({ reassemblyMaxBytes: 64 * 1024, reassemblyMaxDatagrams: 16 });
    let no = 0;
    let cases = 0;
    const failures: string[] = [];
    const run = (data: Uint8Array, linkType: number, originalLength?: number) => {
      cases++;
      const frame = frameOf(data, { no: ++no, linkType, time: 1_700_000_000 + no / 1000, originalLength: originalLength ?? data.length });
      let problem: string;
      try {
        problem = checkPacket(decoder.decode(frame));
      } catch (e) {
        problem = `threw ${String(e)}`;
      }
      if (problem && failures.length < 10) failures.push(`case ${cases}, link type ${linkType}, bytes ${Buffer.from(data).toString('hex')}: ${problem}`);
    };

    // Every truncation of every seed, with the original length claiming the full frame.
    for (const seed of seeds) {
      for (let n = 0; n <= seed.bytes.length; n += 1 + pick(7)) run(seed.bytes.subarray(0, n), seed.linkType, seed.bytes.length);
    }
    // Random mutations: 1-8 bytes overwritten, sometimes truncated as well.
    for (let i = 0; i < 6000; i++) {
      const seed = seeds[pick(seeds.length)]!;
      const bytes = Uint8Array.from(seed.bytes);
      const flips = 1 + pick(8);
      for (let j = 0; j < flips; j++) bytes[pick(bytes.length)] = pick(256);
      const keep = random() < 0.3 ? pick(bytes.length + 1) : bytes.length;
      run(bytes.subarray(0, keep), seed.linkType, random() < 0.5 ? seed.bytes.length : pick(70_000));
    }
    // Pure garbage on every link type, including unknown ones.
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from({ length: pick(300) }, () => pick(256));
      const linkType = random() < 0.9 ? linkTypes[pick(linkTypes.length)]! : pick(300);
      run(bytes, linkType, pick(2) ? bytes.length : pick(70_000));
    }
    // Garbage behind plausible headers, so the deeper layers see random input too.
    for (let i = 0; i < 3000; i++) {
      const tail = Uint8Array.from({ length: pick(120) }, () => pick(256));
      const v6 = random() < 0.5;
      const head = v6
        ? ipv6({ nextHeader: [0, 6, 17, 43, 44, 60, 51][pick(7)]!, payload: new Uint8Array(0), payloadLength: pick(2) ? tail.length : pick(65536) })
        : ipv4({ protocol: [1, 4, 6, 17, 41][pick(5)]!, payload: new Uint8Array(0), totalLength: pick(2) ? 20 + tail.length : pick(65536), moreFragments: random() < 0.2, fragmentOffset: pick(4) === 0 ? 8 * pick(100) : 0 });
      run(ethernet({ etherType: v6 ? ETH_IPV6 : ETH_IPV4, payload: concat(head, tail) }), LINK.ETHERNET);
    }
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(12_000);
    expect(decoder.reassemblyStats.bytesHeld).toBeLessThanOrEqual(64 * 1024);
  });
});
