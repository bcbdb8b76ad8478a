import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../src/decode/PacketDecoder.js';
import type { Packet } from '../../src/decode/Packet.js';
import {
  ETH_IPV6, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, concat, ethernet, frameOf, ipv6, ipv6Fragments, pattern, tcp, udp,
  type Ipv6Extension,
} from '../helpers/packetBuilder.js';

const eth6 = (bytes: Uint8Array) => ethernet({ etherType: ETH_IPV6, payload: bytes });

function decodeAll(frames: Uint8Array[]): Packet[] {
  const decoder = new PacketDecoder();
  return frames.map((f, i) => decoder.decode(frameOf(eth6(f), { no: i + 1, time: 1_700_000_000 + i })));
}

describe('IPv6 header and extension headers', () => {
  it('reads the fixed header', () => {
    const [p] = decodeAll([ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:2', hopLimit: 255, nextHeader: PROTO_TCP, payload: tcp({ payload: pattern(9) }) })]);
    expect(p!.warnings).toEqual([]);
    expect(p!.ip).toEqual({
      version: 6, src: 'fe80::1', dst: 'ff02::1:ff00:2', protocol: 6, ttl: 255, headerOffset: 14, headerLength: 40, payloadLength: 29,
      id: undefined, fragment: undefined, reassembledFrom: undefined, reassembledPayload: undefined,
    });
    expect(p!.tcp?.length).toBe(9);
  });

  it('walks hop-by-hop, routing, destination options and AH to TCP', () => {
    const extensions: Ipv6Extension[] = [
      { type: 0, body: new Uint8Array([1, 4, 0, 0, 0, 0]) },
      { type: 43, body: new Uint8Array(22) },
      { type: 60 },
      { type: 51, body: new Uint8Array(22) },
    ];
    const [p] = decodeAll([ipv6({ nextHeader: PROTO_TCP, extensions, payload: tcp({ srcPort: 21, payload: pattern(7) }) })]);
    expect(p!.warnings).toEqual([]);
    expect(p!.protocol).toBe('TCP');
    expect(p!.ip).toMatchObject({ protocol: 6, headerLength: 40 + 8 + 24 + 8 + 24, payloadLength: 27 });
    expect(p!.tcp).toMatchObject({ srcPort: 21, length: 7 });
  });

  it('treats an atomic fragment (offset 0, no more fragments) as a whole packet', () => {
    const [p] = decodeAll([ipv6({ nextHeader: PROTO_UDP, extensions: [{ type: 44, offset: 0, more: false, id: 77 }], payload: udp({ dstPort: 9, payload: pattern(3) }) })]);
    expect(p!.warnings).toEqual([]);
    expect(p!.ip).toMatchObject({ id: 77, headerLength: 48, fragment: undefined });
    expect(p!.udp?.payload).toEqual(pattern(3));
  });

  it('stops at No Next Header, Mobility and ESP with Wireshark names', () => {
    expect(decodeAll([ipv6({ nextHeader: 59, payload: new Uint8Array(0) })])[0]).toMatchObject({ protocol: 'IPv6', warnings: [] });
    expect(decodeAll([ipv6({ nextHeader: 59, extensions: [{ type: 60 }], payload: new Uint8Array(0) })])[0]).toMatchObject({ protocol: 'IPv6', warnings: [] });
    expect(decodeAll([ipv6({ nextHeader: 135, payload: new Uint8Array(16) })])[0]!.protocol).toBe('MIPv6');
    expect(decodeAll([ipv6({ nextHeader: 50, extensions: [{ type: 0 }], payload: new Uint8Array(16) })])[0]!.protocol).toBe('ESP');
    expect(decodeAll([ipv6({ nextHeader: PROTO_ICMPV6, payload: new Uint8Array([128, 0, 0, 0]) })])[0]!.protocol).toBe('ICMPv6');
    expect(decodeAll([ipv6({ nextHeader: 253, payload: new Uint8Array(8) })])[0]!.protocol).toBe('IPv6');
  });

  it('stops an endless chain of extension headers with a warning', () => {
    // Destination options headers each pointing to another one, far more than the limit.
    const chain = Array.from({ length: 1000 }, (): Ipv6Extension => ({ type: 60 }));
    const [p] = decodeAll([ipv6({ nextHeader: 60, extensions: chain, payload: new Uint8Array(0) })]);
    expect(p!.protocol).toBe('IPv6');
    expect(p!.warnings).toEqual(['IPv6: more than 16 extension headers; stopped']);
    expect(p!.ip?.protocol).toBe(60);
  });

  it('warns about an extension header running past the payload', () => {
    const bad = ipv6({ nextHeader: 0, payload: new Uint8Array([6, 200, 0, 0, 0, 0, 0, 0]) });
    expect(decodeAll([bad])[0]!.warnings).toEqual(['IPv6: extension header 0 of 1608 bytes runs past the end of the payload']);
    const short = ipv6({ nextHeader: 43, payload: new Uint8Array([6, 0, 0]) });
    expect(decodeAll([short])[0]!.warnings).toEqual(['IPv6: extension header 43 runs past the end of the payload']);
  });

  it('warns about bad versions, short headers and long payload lengths', () => {
    expect(decodeAll([ipv6({ version: 7, nextHeader: 59, payload: new Uint8Array(0) })])[0]!.warnings).toEqual(['IPv6: version 7, expected 6']);
    expect(decodeAll([new Uint8Array(30).fill(0x60)])[0]!.warnings).toEqual(['IPv6: header cut off (30 of 40 bytes captured)']);
    const long = decodeAll([ipv6({ payloadLength: 1000, nextHeader: PROTO_TCP, payload: tcp() })])[0]!;
    expect(long.warnings).toEqual(['IPv6: payload length 1000 exceeds the 20 bytes left in the frame']);
    expect(long.ip?.src).toBe('2001:db8::1');
  });

  it('keeps tcp.len from the payload length when the snap length cut into the TCP options', () => {
    const bytes = eth6(ipv6({ nextHeader: PROTO_TCP, payload: tcp({ options: [2, 4, 5, 0xb4, 1, 1, 4, 2], payload: pattern(500) }) }));
    const p = new PacketDecoder().decode(frameOf(bytes, { snapLength: 80 }));
    expect(p.warnings).toEqual(['TCP: header cut off by the capture (26 of 28 bytes)']);
    expect(p.protocol).toBe('TCP');
    expect(p.tcp?.length).toBe(500);
    expect(p.tcp?.options).toEqual({ mss: 1460 });
    expect(p.tcp?.payload.length).toBe(0);
    // tcpdump's old default snap length of 68 leaves only 14 bytes of TCP after IPv6.
    const q = new PacketDecoder().decode(frameOf(bytes, { snapLength: 68 }));
    expect(q.warnings).toEqual(['TCP: header cut off by the capture (14 of 20 bytes)']);
    expect(q.protocol).toBe('TCP');
    expect(q.tcp).toBeUndefined();
  });

  it('reads a jumbogram-style payload length of 0 before hop-by-hop from the frame', () => {
    const bytes = ipv6({ nextHeader: PROTO_TCP, extensions: [{ type: 0 }], payloadLength: 0, payload: tcp({ payload: pattern(70) }) });
    const [p] = decodeAll([bytes]);
    expect(p!.warnings).toEqual([]);
    expect(p!.tcp?.length).toBe(70);
  });
});

describe('IPv6 fragment reassembly', () => {
  const datagram = tcp({ srcPort: 20, dstPort: 50000, payload: pattern(4000) });

  it('reassembles in order and out of order, continuing the chain after the fragment header', () => {
    // The destination options header after the fragment header is in the fragmentable part.
    const fragmentable = concat([PROTO_TCP, 0, 1, 4, 0, 0, 0, 0], datagram);
    const frags = ipv6Fragments({ nextHeader: 60, extensions: [{ type: 0 }], payload: fragmentable }, 1448, 0xdeadbeef);
    expect(frags).toHaveLength(3);
    for (const order of [[0, 1, 2], [2, 0, 1], [1, 2, 0]]) {
      const packets = decodeAll(order.map((i) => frags[i]!));
      for (const p of packets.slice(0, 2)) {
        expect(p.protocol).toBe('IPv6');
        expect(p.ip?.fragment?.id).toBe(0xdeadbeef);
        expect(p.tcp).toBeUndefined();
      }
      const done = packets[2]!;
      expect(done.warnings).toEqual([]);
      expect(done.protocol).toBe('TCP');
      expect(done.ip?.reassembledFrom).toEqual([...order.keys()].sort((a, b) => order[a]! - order[b]!).map((i) => i + 1));
      expect(done.ip).toMatchObject({ protocol: 6, id: 0xdeadbeef, headerLength: 40 + 8 + 8 + 8, payloadLength: datagram.length });
      expect(done.tcp?.payload).toEqual(pattern(4000));
    }
  });

  it('reports the inner protocol of a lone first fragment', () => {
    const [first] = ipv6Fragments({ nextHeader: PROTO_TCP, payload: datagram }, 1448, 1);
    const [p] = decodeAll([first!]);
    expect(p!.protocol).toBe('IPv6');
    expect(p!.ip).toMatchObject({ protocol: 6, fragment: { offset: 0, more: true, id: 1 } });
  });

  it('keeps the first copy of conflicting overlapping fragments', () => {
    const frags = ipv6Fragments({ nextHeader: PROTO_TCP, payload: datagram }, 1448, 2);
    const evil = ipv6({ nextHeader: PROTO_TCP, extensions: [{ type: 44, offset: 1448, more: true, id: 2 }], payload: pattern(1448, 7) });
    const packets = decodeAll([frags[0]!, frags[1]!, evil, frags[2]!]);
    expect(packets[2]!.warnings).toEqual(['IPv6: fragment at offset 1448 overlaps earlier data with different bytes; kept the first copy']);
    expect(packets[3]!.tcp?.payload).toEqual(pattern(4000));
  });

  it('does not mix IPv6 datagrams with the same identification but other addresses', () => {
    const a = ipv6Fragments({ src: '2001:db8::a', nextHeader: PROTO_TCP, payload: datagram }, 1448, 3);
    const b = ipv6Fragments({ src: '2001:db8::b', nextHeader: PROTO_TCP, payload: datagram }, 1448, 3);
    const packets = decodeAll([a[0]!, b[1]!, a[1]!, b[2]!, a[2]!]);
    expect(packets[4]!.ip?.reassembledFrom).toEqual([1, 3, 5]);
    expect(packets[3]!.tcp).toBeUndefined();
  });

  it('stops at a second fragment header inside a reassembled datagram', () => {
    const inner = concat([PROTO_TCP, 0, 0, 8 | 1, 0, 0, 0, 9], pattern(100));
    const frags = ipv6Fragments({ nextHeader: 44, payload: concat(inner, pattern(1600)) }, 1448, 4);
    const packets = decodeAll(frags);
    expect(packets[1]!.warnings).toEqual(['IPv6: fragment header inside a reassembled datagram; stopped']);
  });
});
