import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../src/decode/PacketDecoder.js';
import { parseDnsMessage } from '../../src/decode/DnsMessageParser.js';
import { ETH_IPV4, ETH_IPV6, PROTO_TCP, PROTO_UDP, be16, concat, dnsMessage, ethernet, frameOf, ipv4, ipv6, pattern, tcp, udp, type UdpSpec } from '../helpers/packetBuilder.js';

function decodeUdp(spec: UdpSpec, snapLength?: number) {
  const bytes = ethernet({ etherType: ETH_IPV4, payload: ipv4({ src: '192.0.2.53', dst: '192.0.2.10', protocol: PROTO_UDP, payload: udp(spec) }) });
  return new PacketDecoder().decode(frameOf(bytes, { snapLength }));
}

const Q_A = 1;
const Q_AAAA = 28;

const resolved = dnsMessage({
  id: 0xabcd,
  response: true,
  questions: [{ name: 'ftp.example.org', type: Q_A }],
  answers: [
    { name: 'ftp.example.org', type: 'CNAME', ttl: 60, target: 'mirror.example.org' },
    { name: 'mirror.example.org', type: 'CNAME', ttl: 60, target: 'edge.cdn.example.net' },
    { name: 'edge.cdn.example.net', type: 'A', ttl: 20, address: '198.51.100.21' },
    { name: 'edge.cdn.example.net', type: 'A', ttl: 20, address: '198.51.100.22' },
  ],
});

describe('UDP', () => {
  it('reads ports and length and hands the payload out as a view', () => {
    const p = decodeUdp({ srcPort: 5000, dstPort: 9999, payload: pattern(30) });
    expect(p.warnings).toEqual([]);
    expect(p.protocol).toBe('UDP');
    expect(p.udp).toMatchObject({ srcPort: 5000, dstPort: 9999, length: 38 });
    expect(p.udp?.payload).toEqual(pattern(30));
    expect(p.udp?.payload.buffer).toBe(p.frame.data.buffer);
    expect(p.dns).toBeUndefined();
  });

  it('lets the UDP length bound the payload inside a longer IP payload', () => {
    const p = decodeUdp({ dstPort: 9999, payload: pattern(30), length: 20 });
    expect(p.udp?.payload).toEqual(pattern(12));
  });

  it.each([
    [4, 'UDP: length 4 is below the minimum 8'],
    [100, 'UDP: length 100 exceeds the IP payload of 38 bytes'],
  ])('rejects a length field of %i', (length, warning) => {
    const p = decodeUdp({ dstPort: 9999, payload: pattern(30), length });
    expect(p.protocol).toBe('UDP');
    expect(p.warnings).toEqual([warning]);
    expect(p.udp).toBeUndefined();
  });
});

describe('DNS over UDP port 53', () => {
  it('decodes a CNAME chain ending in A records (server side port 53)', () => {
    const p = decodeUdp({ srcPort: 53, dstPort: 40000, payload: resolved });
    expect(p.warnings).toEqual([]);
    expect(p.protocol).toBe('DNS');
    expect(p.dns).toEqual({
      id: 0xabcd,
      response: true,
      rcode: 0,
      questions: [{ name: 'ftp.example.org', type: 'A' }],
      answers: [
        { name: 'ftp.example.org', type: 'CNAME', ttl: 60, data: 'mirror.example.org' },
        { name: 'mirror.example.org', type: 'CNAME', ttl: 60, data: 'edge.cdn.example.net' },
        { name: 'edge.cdn.example.net', type: 'A', ttl: 20, data: '198.51.100.21' },
        { name: 'edge.cdn.example.net', type: 'A', ttl: 20, data: '198.51.100.22' },
      ],
      authorities: [],
      additionals: [],
    });
  });

  it('decodes queries (client side port 53) and AAAA answers in Wireshark form', () => {
    const query = decodeUdp({ srcPort: 40000, dstPort: 53, payload: dnsMessage({ id: 1, questions: [{ name: 'ftp.example.org', type: Q_AAAA }] }) });
    expect(query.dns).toEqual({ id: 1, response: false, rcode: 0, questions: [{ name: 'ftp.example.org', type: 'AAAA' }], answers: [], authorities: [], additionals: [] });
    const answer = dnsMessage({
      response: true,
      questions: [{ name: 'ftp.example.org', type: Q_AAAA }],
      answers: [
        { name: 'ftp.example.org', type: 'AAAA', address: '2001:db8:0:0:0:0:0:21' },
        { name: 'ftp.example.org', type: 'AAAA', address: '::ffff:192.0.2.1' },
      ],
    });
    const bytes = ethernet({ etherType: ETH_IPV6, payload: ipv6({ nextHeader: PROTO_UDP, payload: udp({ srcPort: 53, dstPort: 40000, payload: answer }) }) });
    const p = new PacketDecoder().decode(frameOf(bytes));
    expect(p.protocol).toBe('DNS');
    expect(p.dns?.answers.map((a) => a.data)).toEqual(['2001:db8::21', '::ffff:192.0.2.1']);
  });

  it('decodes NS, PTR, MX, TXT, the root name and unknown types', () => {
    const msg = dnsMessage({
      response: true,
      rcode: 3,
      questions: [{ name: '', type: 2 }],
      answers: [
        { name: '7.2.0.192.in-addr.arpa', type: 'PTR', target: 'ftp.example.org' },
        { name: 'example.org', type: 'NS', target: 'ns1.example.org' },
        { name: 'example.org', type: 'MX', preference: 10, target: 'mail.example.org' },
        { name: 'example.org', type: 'TXT', strings: ['v=spf1', '-all'] },
        { name: 'example.org', type: 65280, data: new Uint8Array([0xde, 0xad]) },
      ],
    });
    const p = decodeUdp({ srcPort: 53, payload: msg });
    expect(p.warnings).toEqual([]);
    expect(p.dns?.rcode).toBe(3);
    expect(p.dns?.questions).toEqual([{ name: '<Root>', type: 'NS' }]);
    expect(p.dns?.answers.map((a) => `${a.type} ${a.data}`)).toEqual([
      'PTR ftp.example.org',
      'NS ns1.example.org',
      'MX 10 mail.example.org',
      'TXT v=spf1 -all',
      'TYPE65280 \\# 2 dead',
    ]);
  });

  it('reads the authority and additional sections (name servers and their glue)', () => {
    const answer = dnsMessage({
      response: true,
      questions: [{ name: 'ftp.example.org', type: Q_A }],
      answers: [{ name: 'ftp.example.org', type: 'A', address: '192.0.2.21' }],
    });
    // Append one NS authority record and one A glue record, and set NSCOUNT/ARCOUNT.
    const ns = concat([0xc0, 16], be16(2), be16(1), [0, 0, 1, 0], be16(6), [3, 0x6e, 0x73, 0x31, 0xc0, 16]);
    const glue = concat([3, 0x6e, 0x73, 0x31, 0xc0, 16], be16(1), be16(1), [0, 0, 1, 0], be16(4), [192, 0, 2, 53]);
    const msg = concat(answer, ns, glue);
    msg.set(be16(1), 8);
    msg.set(be16(1), 10);
    const p = decodeUdp({ srcPort: 53, payload: msg });
    expect(p.warnings).toEqual([]);
    expect(p.dns?.answers.map((a) => a.data)).toEqual(['192.0.2.21']);
    expect(p.dns?.authorities).toEqual([{ name: 'example.org', type: 'NS', ttl: 256, data: 'ns1.example.org' }]);
    expect(p.dns?.additionals).toEqual([{ name: 'ns1.example.org', type: 'A', ttl: 256, data: '192.0.2.53' }]);
  });

  it('decodes mDNS (port 5353) and LLMNR (port 5355) with the same parser', () => {
    const msg = dnsMessage({ response: true, answers: [{ name: 'nas.local', type: 'A', address: '192.168.1.20' }] });
    const mdns = decodeUdp({ srcPort: 5353, dstPort: 5353, payload: msg });
    expect(mdns.protocol).toBe('MDNS');
    expect(mdns.dns?.answers[0]?.data).toBe('192.168.1.20');
    const llmnr = decodeUdp({ srcPort: 61000, dstPort: 5355, payload: dnsMessage({ questions: [{ name: 'wpad', type: Q_A }] }) });
    expect(llmnr.protocol).toBe('LLMNR');
    expect(llmnr.dns?.questions).toEqual([{ name: 'wpad', type: 'A' }]);
  });

  it('escapes dots and unprintable bytes inside labels', () => {
    const msg = concat(be16(1), be16(0x8180), be16(1), be16(0), be16(0), be16(0), [4, 0x61, 0x2e, 0x0a, 0x62, 3, 0x6f, 0x72, 0x67, 0], be16(1), be16(1));
    expect(decodeUdp({ srcPort: 53, payload: msg }).dns?.questions).toEqual([{ name: 'a\\.\\010b.org', type: 'A' }]);
  });

  it('keeps what was decoded when the snap length cut the message', () => {
    // Frame headers take 42 bytes; the last answer is 16 bytes; keep 4 of them.
    const full = decodeUdp({ srcPort: 53, payload: resolved });
    const cutAt = 42 + resolved.length - 12;
    const p = decodeUdp({ srcPort: 53, payload: resolved }, cutAt);
    expect(p.protocol).toBe('DNS');
    expect(p.dns?.questions).toEqual(full.dns?.questions);
    expect(p.dns?.answers).toEqual(full.dns?.answers.slice(0, 3));
    expect(p.warnings).toEqual([`DNS: answer 4 of 4: record header needs 10 bytes, 2 left (the capture kept ${resolved.length - 12} of ${resolved.length} bytes)`]);
  });

  it('survives a compression pointer that points to itself', () => {
    const msg = concat(be16(7), be16(0x0100), be16(1), be16(0), be16(0), be16(0), [0xc0, 12], be16(1), be16(1));
    const p = decodeUdp({ dstPort: 53, payload: msg });
    expect(p.protocol).toBe('DNS');
    expect(p.dns).toMatchObject({ id: 7, questions: [] });
    expect(p.warnings).toEqual(['DNS: question 1 of 1: more than 64 compression pointers (a loop)']);
  });

  it('survives a loop through two pointers and labels, and a forward pointer loop', () => {
    // Question name at 12: label 'a', pointer to 16; at 16: label 'b', pointer to 12.
    const twoStep = concat(be16(7), be16(0), be16(1), be16(0), be16(0), be16(0), [1, 0x61, 0xc0, 16, 1, 0x62, 0xc0, 12]);
    expect(decodeUdp({ dstPort: 53, payload: twoStep }).warnings).toEqual(['DNS: question 1 of 1: more than 64 compression pointers (a loop)']);
    // Long labels in a loop hit the 255-octet name limit before the jump limit.
    const longLabels = concat(be16(7), be16(0), be16(1), be16(0), be16(0), be16(0), [63], new Uint8Array(63).fill(0x78), [0xc0, 12]);
    expect(decodeUdp({ dstPort: 53, payload: longLabels }).warnings).toEqual(['DNS: question 1 of 1: name longer than 255 octets']);
    const forward = concat(be16(7), be16(0), be16(1), be16(0), be16(0), be16(0), [0xc0, 14, 0xc0, 12]);
    expect(decodeUdp({ dstPort: 53, payload: forward }).warnings).toEqual(['DNS: question 1 of 1: more than 64 compression pointers (a loop)']);
  });

  it('follows a forward compression pointer, as Wireshark does', () => {
    // Question name is a pointer to a name placed after the question.
    const msg = concat(be16(7), be16(0), be16(1), be16(0), be16(0), be16(0), [0xc0, 18], be16(1), be16(1), [3, 0x66, 0x74, 0x70, 0]);
    const p = decodeUdp({ dstPort: 53, payload: msg });
    expect(p.dns?.questions).toEqual([{ name: 'ftp', type: 'A' }]);
    expect(p.warnings).toEqual([]);
  });

  it.each([
    ['a pointer past the end', concat(be16(1), be16(0), be16(1), be16(0), be16(0), be16(0), [0xc0, 200], be16(1), be16(1)), 'DNS: question 1 of 1: name runs past the end'],
    ['an extended label type', concat(be16(1), be16(0), be16(1), be16(0), be16(0), be16(0), [0x41, 0], be16(1), be16(1)), 'DNS: question 1 of 1: label type 0x40 not supported'],
    ['a short header', new Uint8Array(11), 'DNS: message of 11 bytes is shorter than the 12-byte header'],
    ['more questions than bytes', concat(be16(1), be16(0), be16(65535), be16(0), be16(0), be16(0)), 'DNS: question 1 of 65535: name runs past the end'],
  ])('warns about %s', (_name, msg, warning) => {
    const p = decodeUdp({ dstPort: 53, payload: msg });
    expect(p.protocol).toBe('DNS');
    expect(p.warnings).toEqual([warning]);
  });

  it('rejects A and AAAA records of the wrong size instead of inventing addresses', () => {
    const msg = dnsMessage({ response: true, answers: [
      { name: 'x', type: 'A', address: '192.0.2.1' },
      { name: 'x', type: 28, data: new Uint8Array(4) },
    ] });
    const p = decodeUdp({ srcPort: 53, payload: msg });
    expect(p.dns?.answers).toEqual([{ name: 'x', type: 'A', ttl: 300, data: '192.0.2.1' }]);
    expect(p.warnings).toEqual(['DNS: answer 2 of 2: AAAA data is 4 bytes, expected 16']);
  });

  it('bounds the work on a message full of pointer chains', () => {
    // 2000 questions, each a pointer into a long backwards chain of pointers.
    const parts: number[] = [...be16(1), 0, 0, ...be16(2000), 0, 0, 0, 0, 0, 0];
    parts.push(0); // root name at 12
    for (let i = 0; i < 3000; i++) {
      const target = parts.length - 2 < 12 ? 12 : parts.length - 2;
      parts.push(0xc0 | (target >> 8), target & 255);
    }
    for (let i = 0; i < 2000; i++) parts.push(0xc0 | ((parts.length - 6) >> 8), (parts.length - 6) & 255, 0, 1, 0, 1);
    const msg = Uint8Array.from(parts);
    const warnings: string[] = [];
    const info = parseDnsMessage(msg, 0, msg.length, warnings);
    expect(info).toBeDefined();
    expect(warnings).toHaveLength(1);
  });

  it('does not decode DNS when switched off', () => {
    const bytes = ethernet({ etherType: ETH_IPV4, payload: ipv4({ protocol: PROTO_UDP, payload: udp({ srcPort: 53, payload: resolved }) }) });
    const p = new PacketDecoder({ decodeDns: false }).decode(frameOf(bytes));
    expect(p.protocol).toBe('UDP');
    expect(p.dns).toBeUndefined();
  });
});

describe('Teredo (RFC 4380)', () => {
  const inner = ipv6({ src: '2001:0:4136:e378::1', dst: '2001:db8::21', nextHeader: PROTO_TCP, payload: tcp({ srcPort: 40000, dstPort: 21 }) });
  const decodeTeredo = (payload: Uint8Array) =>
    new PacketDecoder().decode(frameOf(ethernet({
      etherType: ETH_IPV4,
      payload: ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: PROTO_UDP, payload: udp({ srcPort: 50000, dstPort: 3544, payload }) }),
    })));

  it('follows IPv6 carried in UDP port 3544, keeping the outer headers as tshark does', () => {
    const p = decodeTeredo(inner);
    expect(p.warnings).toEqual([]);
    expect(p.ip?.src).toBe('2001:0:4136:e378::1');
    expect(p.outerIp?.map((ip) => ip.src)).toEqual(['192.0.2.1']);
    expect(p.udp?.dstPort).toBe(3544);
    expect(p.tcp?.dstPort).toBe(21);
  });

  it('skips an origin indication and an authentication indicator', () => {
    const origin = [0, 0, 0x12, 0x34, 1, 2, 3, 4];
    const auth = [0, 1, 2, 1, 0xaa, 0xbb, 0xcc, ...new Array(8).fill(7), 0];
    expect(decodeTeredo(concat(origin, inner)).tcp?.srcPort).toBe(40000);
    expect(decodeTeredo(concat(auth, origin, inner)).tcp?.srcPort).toBe(40000);
  });

  it('leaves port-3544 traffic that is not IPv6 as UDP', () => {
    const p = decodeTeredo(pattern(60));
    expect(p.protocol).toBe('UDP');
    expect(p.ip?.src).toBe('192.0.2.1');
    expect(p.outerIp).toBeUndefined();
  });
});
