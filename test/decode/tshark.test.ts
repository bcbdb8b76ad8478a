// Differential test: every frame of every real capture we have (fixtures/ and the public corpus
// in ../shared/captures/public), decoded here and by tshark, must agree on the fields the later
// stages rely on: addresses, ports, raw sequence numbers, flags, window, tcp.len, TCP options,
// UDP length, DNS names and addresses, the Protocol column (where it names a protocol this
// decoder stops at) and which frame reassembled which fragments.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/readCapture.js';
import { PacketDecoder } from '../../src/decode/PacketDecoder.js';
import type { Packet } from '../../src/decode/Packet.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures } from '../helpers/captures.js';
import { hasTshark, tsharkFields, tsharkNote } from '../helpers/tshark.js';
import { writePcap } from '../helpers/captureWriter.js';
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, LINK, PROTO_TCP, PROTO_UDP, be16, concat, dnsMessage, ethernet, ipv4, ipv4Fragments, ipv6,
  ipv6Fragments, loop, nullLoopback, pattern, sll, sll2, tcp, tcpOption, udp, type Ipv4Spec, type Ipv6Spec, type TcpSpec,
} from '../helpers/packetBuilder.js';

const FIELDS = [
  'frame.number', '_ws.col.Protocol', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.fragment', 'ipv6.fragment',
  'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.hdr_len', 'tcp.flags', 'tcp.window_size_value', 'tcp.len',
  'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr',
  'tcp.options.sack_le', 'tcp.options.sack_re', 'tcp.options.sack_perm',
  'udp.srcport', 'udp.dstport', 'udp.length', 'dns.qry.name', 'dns.a', 'dns.aaaa', 'dns.cname',
];

/** Protocol column values this decoder produces itself; anything else is a dissector above TCP/UDP. */
const OUR_PROTOCOLS = new Set(['TCP', 'UDP', 'DNS', 'MDNS', 'LLMNR', 'ARP', 'ICMP', 'ICMPv6', 'IPv4', 'IPv6', 'IGMPv2', 'IGMPv3', 'LLC', 'ESP', 'GRE']);

type Row = Record<string, string>;

/** Our view of one frame, in tshark's field names and text forms. */
function ours(p: Packet): Row {
  const r: Row = {};
  // tshark lists the addresses of every IP header, outermost first, as do we with outerIp.
  for (const ip of [...(p.outerIp ?? []), ...(p.ip ? [p.ip] : [])]) {
    const [src, dst] = ip.version === 4 ? ['ip.src', 'ip.dst'] : ['ipv6.src', 'ipv6.dst'];
    r[src] = r[src] === undefined ? ip.src : `${r[src]},${ip.src}`;
    r[dst] = r[dst] === undefined ? ip.dst : `${r[dst]},${ip.dst}`;
  }
  const ip = p.ip;
  if (ip?.reassembledFrom) r[ip.version === 4 ? 'ip.fragment' : 'ipv6.fragment'] = ip.reassembledFrom.join(',');
  const t = p.tcp;
  if (t) {
    Object.assign(r, {
      'tcp.srcport': String(t.srcPort), 'tcp.dstport': String(t.dstPort), 'tcp.seq_raw': String(t.seq), 'tcp.ack_raw': String(t.ack),
      'tcp.hdr_len': String(t.headerLength), 'tcp.flags': '0x' + t.flags.toString(16).padStart(4, '0'),
      'tcp.window_size_value': String(t.window), 'tcp.len': String(t.length),
    });
    const o = t.options;
    if (o.mss !== undefined) r['tcp.options.mss_val'] = String(o.mss);
    if (o.windowScale !== undefined) r['tcp.options.wscale.shift'] = String(o.windowScale);
    if (o.timestamp) {
      r['tcp.options.timestamp.tsval'] = String(o.timestamp.value);
      r['tcp.options.timestamp.tsecr'] = String(o.timestamp.echo);
    }
    if (o.sack) {
      r['tcp.options.sack_le'] = o.sack.map((b) => b[0]).join(',');
      r['tcp.options.sack_re'] = o.sack.map((b) => b[1]).join(',');
    }
    if (o.sackPermitted) r['tcp.options.sack_perm'] = 'x';
  }
  const u = p.udp;
  if (u) Object.assign(r, { 'udp.srcport': String(u.srcPort), 'udp.dstport': String(u.dstPort), 'udp.length': String(u.length) });
  const d = p.dns;
  if (d) {
    const names = d.questions.map((q) => q.name);
    if (names.length) r['dns.qry.name'] = names.join(',');
    const all = [...d.answers, ...(d.authorities ?? []), ...(d.additionals ?? [])];
    const of = (type: string) => all.filter((a) => a.type === type).map((a) => a.data).join(',');
    if (of('A')) r['dns.a'] = of('A');
    if (of('AAAA')) r['dns.aaaa'] = of('AAAA');
    if (of('CNAME')) r['dns.cname'] = of('CNAME');
  }
  return r;
}

/** tshark's row reduced to what we compare: innermost addresses, presence-only fields as 'x'. */
function theirs(row: Row): Row {
  const r: Row = {};
  for (const f of FIELDS.slice(2)) {
    let v = row[f] ?? '';
    if (v === '') continue;
    if (f === 'tcp.options.sack_perm') v = 'x';
    r[f] = v;
  }
  return r;
}

/** Decodes `path` and returns every difference from tshark, as readable lines. */
async function compareWithTshark(path: string): Promise<string[]> {
  // Raw sequence numbers in SACK blocks, as this decoder reports them.
  const rows = tsharkFields(path, FIELDS, ['-o', 'tcp.relative_sequence_numbers:FALSE']);
  const decoder = new PacketDecoder();
  const mismatches: string[] = [];
  let index = 0;
  await readCapture(path, (frame) => {
    const p = decoder.decode(frame);
    const row = rows[index++];
    if (!row) {
      mismatches.push(`frame ${frame.no}: tshark has no such frame`);
      return;
    }
    const want = theirs(row);
    const column = row['_ws.col.Protocol'] ?? '';
    const got = ours(p);
    const expectedProtocol = OUR_PROTOCOLS.has(column) ? column : p.protocol === 'TCP' ? 'TCP' : p.udp ? 'UDP' : column;
    if (p.protocol !== expectedProtocol) mismatches.push(`frame ${frame.no}: protocol ${p.protocol}, tshark ${column}`);
    for (const f of new Set([...Object.keys(want), ...Object.keys(got)])) {
      if (want[f] !== got[f]) mismatches.push(`frame ${frame.no}: ${f} ours ${got[f] ?? '-'} tshark ${want[f] ?? '-'} [${p.warnings.join('; ')}]`);
    }
  });
  if (index !== rows.length) mismatches.push(`we decoded ${index} frames, tshark ${rows.length}`);
  return mismatches;
}

const captures = [...fixtureCaptures(), ...publicCaptures()];

describe(`decoder agrees with tshark on real captures${tsharkNote}${hasPublicCaptures ? '' : ' [public corpus absent]'}`, () => {
  it.skipIf(!hasTshark || captures.length === 0).each(captures.map((c) => [captureLabel(c), c]))('%s', async (_label, path) => {
    expect(existsSync(path)).toBe(true);
    expect((await compareWithTshark(path)).slice(0, 200)).toEqual([]);
  });
});

/** Synthetic captures for what the real ones lack: fragments, deep VLAN stacks, every link type, tunnels, DNS. */
function syntheticCaptures(): Array<{ name: string; linkType: number; frames: Array<{ data: Uint8Array; originalLength?: number }> }> {
  const A = '192.0.2.10';
  const B = '198.51.100.20';
  const t = (spec: TcpSpec) => tcp({ srcPort: 40000, dstPort: 21, seq: 0x9abcdef0, ack: 0x12345678, ...spec });
  const v4 = (payload: Uint8Array, extra: Partial<Ipv4Spec> = {}) => ipv4({ src: A, dst: B, protocol: PROTO_TCP, payload, ...extra });
  const v6 = (payload: Uint8Array, extra: Partial<Ipv6Spec> = {}) => ipv6({ src: '2001:db8::10', dst: '2001:db8:0:1::20', nextHeader: PROTO_TCP, payload, ...extra });
  const eth = (payload: Uint8Array, etherType = ETH_IPV4, vlans?: number[]) => ethernet({ etherType, payload, vlans, pad: true });
  const syn = t({ flags: 0x002, options: [...tcpOption.mss(1460), ...tcpOption.sackPermitted(), ...tcpOption.timestamps(1111, 0), 1, ...tcpOption.windowScale(7)] });
  const sackAck = t({ flags: 0x010, options: [1, 1, ...tcpOption.sack([[0x9abcdf00, 0x9abce000], [0xfffffff0, 0x10]]), 1, 1, ...tcpOption.timestamps(5, 6)] });
  const data = t({ flags: 0x018, payload: pattern(1000) });
  const big = tcp({ srcPort: 20, dstPort: 40001, seq: 1, payload: pattern(3000) });
  const v4frags = ipv4Fragments({ src: A, dst: B, protocol: PROTO_TCP, id: 0x1111, payload: big }, 1200).map((f) => eth(f));
  const v4frags2 = ipv4Fragments({ src: A, dst: B, protocol: PROTO_TCP, id: 0x2222, payload: big }, 1200).map((f) => eth(f));
  const v6frags = ipv6Fragments({ src: '2001:db8::10', dst: '2001:db8:0:1::20', nextHeader: PROTO_TCP, extensions: [{ type: 0 }], payload: big }, 1200, 0x33333333).map((f) => eth(f, ETH_IPV6));
  const dns = dnsMessage({
    id: 0x77, response: true, questions: [{ name: 'ftp.example.org', type: 1 }],
    answers: [
      { name: 'ftp.example.org', type: 'CNAME', target: 'mirror.example.org' },
      { name: 'mirror.example.org', type: 'A', address: '198.51.100.20' },
      { name: 'mirror.example.org', type: 'AAAA', address: '2001:db8:0:1::20' },
    ],
  });
  // Overlaps, as Wireshark resolves them: an identical repeat, a superset, a conflicting copy.
  const small = udp({ srcPort: 5000, dstPort: 6000, payload: pattern(40) });
  const piece = (id: number, from: number, to: number, bytes = small.subarray(from, to)) =>
    eth(ipv4({ src: A, dst: B, protocol: PROTO_UDP, id, payload: bytes, fragmentOffset: from, moreFragments: to < small.length }));
  const overlaps = [
    piece(0x41, 0, 16), piece(0x41, 16, 32), piece(0x41, 16, 32), piece(0x41, 32, 48),
    piece(0x42, 0, 16), piece(0x42, 0, 32), piece(0x42, 32, 48),
    piece(0x43, 0, 16), piece(0x43, 16, 32), piece(0x43, 16, 32, new Uint8Array(16).fill(0x42)), piece(0x43, 32, 48),
    piece(0x44, 32, 48), piece(0x44, 16, 32, new Uint8Array(16).fill(0x42)), piece(0x44, 0, 16), piece(0x44, 16, 32),
  ];
  const ethFrames = [
    eth(v4(syn)), eth(v4(sackAck)), eth(v4(data)),
    eth(v4(t({ payload: pattern(3) }), { options: [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1] })),
    eth(v4(t({ payload: pattern(2) }))), // padded
    eth(v4(data, { totalLength: 0 })), // TSO
    eth(v4(data), ETH_IPV4, [5, 6]),
    eth(v4(data), ETH_IPV4, Array.from({ length: 20 }, (_, i) => i + 1)),
    ...v4frags, v4frags2[2]!, v4frags2[0]!, v4frags2[1]!, ...overlaps,
    v6frags[1]!, v6frags[0]!, v6frags[2]!,
    eth(v6(syn, { extensions: [{ type: 0 }, { type: 43, body: new Uint8Array(22) }, { type: 60 }] }), ETH_IPV6),
    eth(v6(sackAck, { extensions: [{ type: 44, offset: 0, more: false, id: 5 }] }), ETH_IPV6),
    eth(ipv4({ src: A, dst: B, protocol: PROTO_UDP, payload: udp({ srcPort: 53, dstPort: 40002, payload: dns }) })),
    eth(ipv4({ src: A, dst: B, protocol: PROTO_UDP, payload: udp({ srcPort: 5353, dstPort: 5353, payload: dns }) })),
    eth(ipv4({ src: '203.0.113.1', dst: '203.0.113.2', protocol: 4, payload: v4(data) })),
    eth(ipv4({ src: '203.0.113.1', dst: '203.0.113.2', protocol: 41, payload: v6(data) })),
    eth(concat([0x11, 0], be16(1), be16(v4(data).length + 2), be16(0x21), v4(data)), 0x8864),
    eth(concat([0, 1, 1, 64], v4(data)), 0x8847),
    eth(new Uint8Array(28), ETH_ARP),
    eth(ipv4({ src: A, dst: B, protocol: 1, payload: concat([8, 0, 0, 0, 0, 1, 0, 1], pattern(8)) })),
    eth(ipv6({ nextHeader: 58, payload: concat([128, 0, 0, 0, 0, 1, 0, 1]) }), ETH_IPV6),
  ];
  const pair = (wrap: (ip: Uint8Array, version: 4 | 6) => Uint8Array) => [{ data: wrap(v4(data), 4) }, { data: wrap(v6(syn), 6) }];
  return [
    { name: 'ethernet', linkType: LINK.ETHERNET, frames: [...ethFrames.map((d) => ({ data: d })), { data: eth(v4(data)).subarray(0, 100), originalLength: eth(v4(data)).length }] },
    { name: 'null-little-endian', linkType: LINK.NULL, frames: pair((ip, v) => nullLoopback(v === 4 ? 2 : 30, ip)) },
    { name: 'null-big-endian', linkType: LINK.NULL, frames: pair((ip, v) => nullLoopback(v === 4 ? 2 : 24, ip, 'big')) },
    { name: 'loop', linkType: LINK.LOOP, frames: pair((ip, v) => loop(v === 4 ? 2 : 24, ip)) },
    { name: 'raw', linkType: LINK.RAW, frames: pair((ip) => ip) },
    { name: 'ipv4', linkType: LINK.IPV4, frames: pair((ip) => ip) },
    { name: 'ipv6', linkType: LINK.IPV6, frames: [{ data: v6(data) }] },
    { name: 'sll', linkType: LINK.SLL, frames: pair((ip, v) => sll({ protocol: v === 4 ? ETH_IPV4 : ETH_IPV6, payload: ip })) },
    { name: 'sll2', linkType: LINK.SLL2, frames: pair((ip, v) => sll2({ protocol: v === 4 ? ETH_IPV4 : ETH_IPV6, payload: ip })) },
  ];
}

describe(`decoder agrees with tshark on synthetic edge cases${tsharkNote}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-decode-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it.skipIf(!hasTshark).each(syntheticCaptures().map((c) => [c.name, c] as const))('%s', async (name, capture) => {
    const path = join(dir, `${name}.pcap`);
    writeFileSync(path, writePcap({ linkType: capture.linkType }, capture.frames.map((f, i) => ({ tsSec: 1_700_000_000 + i, data: f.data, originalLength: f.originalLength }))));
    expect(await compareWithTshark(path)).toEqual([]);
  });
});
