import { describe, expect, it } from 'vitest';
import { PacketDecoder, type DecoderOptions } from '../../src/decode/PacketDecoder.js';
import type { Packet } from '../../src/decode/Packet.js';
import {
  ETH_IPV4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, concat, ethernet, frameOf, ipv4, ipv4Fragments, ipv6, pattern, tcp, udp,
} from '../helpers/packetBuilder.js';

const A = '198.51.100.7';
const B = '203.0.113.9';

function eth4(bytes: Uint8Array, pad = false): Uint8Array {
  return ethernet({ etherType: ETH_IPV4, payload: bytes, pad });
}

/** Decodes frames in order with one decoder (numbered from 1, one second apart unless `times`). */
function decodeAll(frames: Uint8Array[], options?: DecoderOptions, times?: number[]): Packet[] {
  const decoder = new PacketDecoder(options);
  return frames.map((f, i) => decoder.decode(frameOf(f, { no: i + 1, time: 1_700_000_000 + (times?.[i] ?? i) })));
}

describe('IPv4 header', () => {
  it('reads addresses, TTL, identification and lengths', () => {
    const [p] = decodeAll([eth4(ipv4({ src: A, dst: B, ttl: 57, id: 0xbeef, protocol: PROTO_TCP, payload: tcp({ payload: pattern(100) }) }))]);
    expect(p!.ip).toEqual({
      version: 4, src: A, dst: B, protocol: 6, ttl: 57, headerOffset: 14, headerLength: 20, payloadLength: 120, id: 0xbeef,
      fragment: undefined, reassembledFrom: undefined, reassembledPayload: undefined,
    });
    expect(p!.tcp?.length).toBe(100);
  });

  it('skips options when the header is longer than 20 bytes (IHL > 5)', () => {
    // Record Route with room for two addresses, then a NOP: 12 option bytes, IHL 8.
    const options = [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const [p] = decodeAll([eth4(ipv4({ src: A, dst: B, protocol: PROTO_TCP, options, payload: tcp({ payload: pattern(10) }) }))]);
    expect(p!.warnings).toEqual([]);
    expect(p!.ip?.headerLength).toBe(32);
    expect(p!.tcp).toMatchObject({ srcPort: 1025, dstPort: 21, length: 10 });
    expect(p!.tcp?.payload).toEqual(pattern(10));
  });

  it('lets the total length, not Ethernet padding, bound the payload', () => {
    const [p] = decodeAll([eth4(ipv4({ protocol: PROTO_TCP, payload: tcp({ flags: 0x10 }) }), true)]);
    expect(p!.warnings).toEqual([]);
    expect(p!.frame.data.length).toBe(60);
    expect(p!.tcp?.length).toBe(0);
    expect(p!.tcp?.payload.length).toBe(0);
  });

  it('keeps the lengths from the header when the snap length cut the frame', () => {
    const bytes = eth4(ipv4({ protocol: PROTO_TCP, payload: tcp({ payload: pattern(1400) }) }));
    const p = new PacketDecoder().decode(frameOf(bytes, { snapLength: 96 }));
    expect(p.warnings).toEqual([]);
    expect(p.ip?.payloadLength).toBe(1420);
    expect(p.tcp?.length).toBe(1400);
    expect(p.tcp?.payload).toEqual(pattern(96 - 54));
  });

  it('takes the frame length when the total length is 0 (TCP segmentation offload)', () => {
    const [p] = decodeAll([eth4(ipv4({ protocol: PROTO_TCP, totalLength: 0, payload: tcp({ payload: pattern(3000) }) }))]);
    expect(p!.warnings).toEqual([]);
    expect(p!.tcp?.length).toBe(3000);
  });

  it.each([
    ['a total length beyond the frame', { totalLength: 20000 }, 'IPv4: total length 20000 exceeds the 40 bytes left in the frame', true],
    ['a total length below the header length', { totalLength: 10 }, 'IPv4: total length 10 is less than the header length 20', true],
    ['IHL below 5', { ihl: 4 }, 'IPv4: header length 16 is below the minimum 20', true],
    ['a wrong version', { version: 5 }, 'IPv4: version 5, expected 4', false],
  ] as const)('stops with a warning on %s', (_name, override, warning, hasIp) => {
    const [p] = decodeAll([eth4(ipv4({ protocol: PROTO_TCP, payload: tcp(), ...override }))]);
    expect(p!.protocol).toBe('IPv4');
    expect(p!.warnings).toEqual([warning]);
    expect(p!.ip !== undefined).toBe(hasIp);
    expect(p!.tcp).toBeUndefined();
  });

  it('warns when the options are cut off by the capture', () => {
    const bytes = eth4(ipv4({ protocol: PROTO_TCP, options: new Array(40).fill(1), payload: tcp() }));
    const p = new PacketDecoder().decode(frameOf(bytes, { snapLength: 40 }));
    expect(p.warnings).toEqual(['IPv4: header cut off by the capture (26 of 60 bytes)']);
    expect(p.ip?.src).toBe('192.0.2.1');
  });

  it('names other protocols as Wireshark does', () => {
    const name = (protocol: number, payload = new Uint8Array(8)) => decodeAll([eth4(ipv4({ protocol, payload }))])[0]!.protocol;
    expect(name(PROTO_ICMP)).toBe('ICMP');
    expect(name(2, Uint8Array.from([0x16, 0, 0, 0, 224, 0, 0, 1]))).toBe('IGMPv2');
    expect(name(47)).toBe('GRE');
    expect(name(50)).toBe('ESP');
    expect(name(89)).toBe('OSPF');
    expect(name(103, Uint8Array.from([0x20, 0, 0, 0]))).toBe('PIMv2');
    expect(name(132)).toBe('SCTP');
    expect(name(200)).toBe('IPv4');
  });

  it('follows IP-in-IP and 6in4 tunnels, keeping the outer headers', () => {
    const inner = ipv4({ src: '10.1.1.1', dst: '10.2.2.2', protocol: PROTO_TCP, payload: tcp({ payload: pattern(5) }) });
    const [p] = decodeAll([eth4(ipv4({ src: A, dst: B, protocol: 4, payload: inner }))]);
    expect(p!.warnings).toEqual([]);
    expect(p!.protocol).toBe('TCP');
    expect(p!.ip).toMatchObject({ src: '10.1.1.1', dst: '10.2.2.2' });
    expect(p!.outerIp).toMatchObject([{ src: A, dst: B, protocol: 4 }]);
    const six = ipv6({ nextHeader: PROTO_TCP, payload: tcp({ payload: pattern(5) }) });
    const [q] = decodeAll([eth4(ipv4({ src: A, dst: B, protocol: 41, payload: six }))]);
    expect(q!.ip).toMatchObject({ version: 6, src: '2001:db8::1' });
    expect(q!.tcp?.length).toBe(5);
  });

  it('stops nesting tunnels at the configured depth', () => {
    let bytes: Uint8Array = ipv4({ protocol: PROTO_UDP, payload: udp({ dstPort: 9, payload: pattern(4) }) });
    for (let i = 0; i < 10; i++) bytes = ipv4({ protocol: 4, payload: bytes });
    const [p] = decodeAll([eth4(bytes)]);
    expect(p!.protocol).toBe('IPv4');
    expect(p!.outerIp).toHaveLength(4);
    expect(p!.warnings).toEqual(['IP: more than 4 nested IP headers; stopped']);
  });
});

describe('IPv4 fragment reassembly', () => {
  const datagram = tcp({ srcPort: 20, dstPort: 40001, seq: 77, payload: pattern(3000) });
  const spec = { src: A, dst: B, protocol: PROTO_TCP, id: 0x4242, payload: datagram };
  const fragments = () => ipv4Fragments(spec, 1480).map((f) => eth4(f));

  it('reassembles fragments that arrive in order', () => {
    const packets = decodeAll(fragments());
    expect(packets).toHaveLength(3);
    for (const p of packets.slice(0, 2)) {
      expect(p.protocol).toBe('IPv4');
      expect(p.tcp).toBeUndefined();
      expect(p.warnings).toEqual([]);
    }
    expect(packets[0]!.ip?.fragment).toEqual({ offset: 0, more: true, id: 0x4242 });
    expect(packets[1]!.ip?.fragment).toEqual({ offset: 1480, more: true, id: 0x4242 });
    const last = packets[2]!;
    expect(last.warnings).toEqual([]);
    expect(last.protocol).toBe('TCP');
    expect(last.ip?.fragment).toBeUndefined();
    expect(last.ip?.reassembledFrom).toEqual([1, 2, 3]);
    expect(last.ip?.payloadLength).toBe(datagram.length);
    expect(last.tcp).toMatchObject({ srcPort: 20, dstPort: 40001, seq: 77, length: 3000 });
    expect(last.tcp?.payload).toEqual(pattern(3000));
    // The reassembled bytes belong to the packet, not to any frame's buffer.
    expect(last.tcp!.payload.buffer).not.toBe(last.frame.data.buffer);
  });

  it('reassembles fragments that arrive out of order, listing frames by offset', () => {
    const [f1, f2, f3] = fragments();
    const packets = decodeAll([f3!, f1!, f2!]);
    expect(packets[0]!.ip?.fragment).toEqual({ offset: 2960, more: false, id: 0x4242 });
    expect(packets[2]!.protocol).toBe('TCP');
    expect(packets[2]!.ip?.reassembledFrom).toEqual([2, 3, 1]);
    expect(packets[2]!.tcp?.payload).toEqual(pattern(3000));
  });

  it('keeps the first copy of overlapping fragments with different bytes, and warns', () => {
    const frags = ipv4Fragments(spec, 1480);
    // A second copy of the middle fragment with other bytes, sent before the original.
    const evil = ipv4({ ...spec, payload: pattern(1480, 100), fragmentOffset: 1480, moreFragments: true });
    const packets = decodeAll([frags[0]!, evil, frags[1]!, frags[2]!].map((f) => eth4(f)));
    expect(packets[2]!.warnings).toEqual(['IPv4: fragment at offset 1480 overlaps earlier data with different bytes; kept the first copy']);
    const done = packets[3]!;
    expect(done.ip?.reassembledFrom).toEqual([1, 2, 4]);
    expect(done.tcp?.payload.subarray(1460, 2940)).toEqual(pattern(1480, 100));
  });

  it('accepts identical duplicate fragments silently, listing them as Wireshark does', () => {
    const [f1, f2, f3] = fragments();
    const packets = decodeAll([f1!, f2!, f2!, f3!]);
    expect(packets.flatMap((p) => p.warnings)).toEqual([]);
    expect(packets[3]!.tcp?.payload).toEqual(pattern(3000));
    expect(packets[3]!.ip?.reassembledFrom).toEqual([1, 2, 3, 4]);
  });

  it('takes the new bytes of a fragment that partly conflicts with earlier data', () => {
    const first = ipv4({ ...spec, payload: datagram.subarray(0, 1600), fragmentOffset: 0, moreFragments: true });
    const conflicting = concat(new Uint8Array(800).fill(0xee), datagram.subarray(1600, 2400));
    const second = ipv4({ ...spec, payload: conflicting, fragmentOffset: 800, moreFragments: true });
    const last = ipv4({ ...spec, payload: datagram.subarray(2400), fragmentOffset: 2400 });
    const packets = decodeAll([first, second, last].map((f) => eth4(f)));
    expect(packets[1]!.warnings).toEqual(['IPv4: fragment at offset 800 overlaps earlier data with different bytes; kept the first copy']);
    expect(packets[2]!.tcp?.payload).toEqual(pattern(3000));
    expect(packets[2]!.ip?.reassembledFrom).toEqual([1, 2, 3]);
  });

  it('completes a datagram from partly overlapping fragments of different sizes', () => {
    const pieces = [
      ipv4({ ...spec, payload: datagram.subarray(0, 1600), fragmentOffset: 0, moreFragments: true }),
      ipv4({ ...spec, payload: datagram.subarray(800, 2400), fragmentOffset: 800, moreFragments: true }),
      ipv4({ ...spec, payload: datagram.subarray(2400), fragmentOffset: 2400 }),
    ];
    const packets = decodeAll(pieces.map((f) => eth4(f)));
    expect(packets.flatMap((p) => p.warnings)).toEqual([]);
    expect(packets[2]!.tcp?.payload).toEqual(pattern(3000));
  });

  it('keeps datagrams apart by source, destination, protocol and identification', () => {
    const other = { ...spec, id: 0x4243 };
    const a = ipv4Fragments(spec, 1480);
    const b = ipv4Fragments(other, 1480);
    const packets = decodeAll([a[0]!, b[0]!, b[1]!, a[1]!, b[2]!, a[2]!].map((f) => eth4(f)));
    expect(packets[4]!.ip?.reassembledFrom).toEqual([2, 3, 5]);
    expect(packets[5]!.ip?.reassembledFrom).toEqual([1, 4, 6]);
  });

  it('decodes a UDP datagram reassembled from fragments', () => {
    const dgram = udp({ srcPort: 5000, dstPort: 6000, payload: pattern(2000) });
    const frags = ipv4Fragments({ src: A, dst: B, protocol: PROTO_UDP, id: 9, payload: dgram }, 1480);
    const packets = decodeAll(frags.map((f) => eth4(f)));
    expect(packets[1]!.udp).toMatchObject({ srcPort: 5000, dstPort: 6000, length: 2008 });
    expect(packets[1]!.udp?.payload).toEqual(pattern(2000));
  });

  it('leaves fragments alone when reassembly is off', () => {
    const packets = decodeAll(fragments(), { reassembleFragments: false });
    expect(packets.map((p) => p.ip?.fragment?.offset)).toEqual([0, 1480, 2960]);
    expect(packets.every((p) => p.protocol === 'IPv4' && p.tcp === undefined)).toBe(true);
  });

  it('drops the oldest incomplete datagram when the datagram limit is reached', () => {
    const firsts = Array.from({ length: 5 }, (_, i) => eth4(ipv4Fragments({ ...spec, id: i }, 1480)[0]!));
    const decoder = new PacketDecoder({ reassemblyMaxDatagrams: 3 });
    const packets = firsts.map((f, i) => decoder.decode(frameOf(f, { no: i + 1 })));
    expect(packets.slice(0, 3).flatMap((p) => p.warnings)).toEqual([]);
    expect(packets[3]!.warnings).toEqual(['IP reassembly: limit of 3 pending datagrams reached; dropped the incomplete datagram from frame 1']);
    expect(packets[4]!.warnings).toEqual(['IP reassembly: limit of 3 pending datagrams reached; dropped the incomplete datagram from frame 2']);
    expect(decoder.reassemblyStats).toMatchObject({ pending: 3, evicted: 2, completed: 0 });
    expect(decoder.pendingFragmentFrames()).toEqual([[3], [4], [5]]);
    // The dropped datagram's later fragments can no longer complete it.
    const rest = ipv4Fragments({ ...spec, id: 0 }, 1480).slice(1).map((f) => decoder.decode(frameOf(eth4(f), { no: 9 })));
    expect(rest.every((p) => p.tcp === undefined)).toBe(true);
  });

  it('drops incomplete datagrams to stay within the byte limit', () => {
    const decoder = new PacketDecoder({ reassemblyMaxBytes: 10_000 });
    const warnings: string[] = [];
    for (let id = 0; id < 20; id++) {
      const p = decoder.decode(frameOf(eth4(ipv4Fragments({ ...spec, id }, 1480)[0]!), { no: id + 1 }));
      warnings.push(...p.warnings);
      expect(decoder.reassemblyStats.bytesHeld).toBeLessThanOrEqual(10_000);
    }
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(/^IP reassembly: limit of 10000 bytes reached; dropped the incomplete datagram from frame 1$/);
    expect(decoder.reassemblyStats.evicted).toBe(warnings.length);
  });

  it('refuses a datagram larger than the maximum size', () => {
    const big = ipv4({ ...spec, payload: pattern(1000), fragmentOffset: 65000, moreFragments: true });
    const [p] = decodeAll([eth4(big)]);
    expect(p!.warnings).toEqual(['IPv4: fragment at offset 65000 makes the datagram 66000 bytes, over the 65535-byte limit; datagram discarded']);
    expect(p!.ip?.fragment).toEqual({ offset: 65000, more: true, id: 0x4242 });
  });

  it('gives up on a datagram after the timeout (in capture time)', () => {
    const [f1, f2, f3] = fragments();
    const decoder = new PacketDecoder({ reassemblyTimeoutSeconds: 30 });
    decoder.decode(frameOf(f1!, { no: 1, time: 1000 }));
    decoder.decode(frameOf(f2!, { no: 2, time: 1010 }));
    const late = decoder.decode(frameOf(f3!, { no: 3, time: 1031 }));
    expect(late.tcp).toBeUndefined();
    expect(late.ip?.fragment?.offset).toBe(2960);
    expect(decoder.reassemblyStats).toMatchObject({ expired: 1, pending: 1 });
  });

  it('cannot reassemble a fragment the snap length cut', () => {
    const [f1, f2, f3] = fragments();
    const decoder = new PacketDecoder();
    decoder.decode(frameOf(f1!, { no: 1 }));
    const cut = decoder.decode(frameOf(f2!, { no: 2, snapLength: 200 }));
    expect(cut.warnings).toEqual(['IPv4: fragment cut off by the capture (166 of 1480 bytes); it cannot be reassembled']);
    expect(decoder.decode(frameOf(f3!, { no: 3 })).tcp).toBeUndefined();
  });

  it('warns about an empty fragment and a fragment past the datagram end', () => {
    const [f1, , f3] = ipv4Fragments(spec, 1480);
    const empty = ipv4({ ...spec, payload: new Uint8Array(0), fragmentOffset: 8, moreFragments: true });
    const beyond = ipv4({ ...spec, payload: pattern(80), fragmentOffset: 4000, moreFragments: true });
    const packets = decodeAll([f3!, empty, beyond, f1!].map((f) => eth4(f)));
    expect(packets[1]!.warnings).toEqual(['IPv4: empty fragment at offset 8 ignored']);
    expect(packets[2]!.warnings).toEqual(['IPv4: fragment at offset 4000 runs past the datagram end 3020; ignored']);
  });

  it('carries ICMP in a reassembled datagram', () => {
    const frags = ipv4Fragments({ src: A, dst: B, protocol: PROTO_ICMP, id: 5, payload: concat([8, 0, 0, 0], pattern(3000)) }, 1480);
    const packets = decodeAll(frags.map((f) => eth4(f)));
    expect(packets.map((p) => p.protocol)).toEqual(['IPv4', 'IPv4', 'ICMP']);
  });
});
