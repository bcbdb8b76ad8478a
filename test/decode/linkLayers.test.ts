import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../src/decode/PacketDecoder.js';
import {
  ETH_ARP, ETH_IPV4, ETH_IPV6, ETH_QINQ, LINK, PROTO_TCP, be16, concat, ethernet, frameOf, ipv4, ipv6, le32, loop,
  nullLoopback, sll, sll2, tcp, text,
} from '../helpers/packetBuilder.js';

const payload = text('220 ready\r\n');
const tcp4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_TCP, payload: tcp({ srcPort: 21, dstPort: 40000, flags: 0x18, payload }) });
const tcp6 = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: PROTO_TCP, payload: tcp({ srcPort: 21, dstPort: 40000, flags: 0x18, payload }) });

function decode(data: Uint8Array, linkType: number) {
  return new PacketDecoder().decode(frameOf(data, { linkType }));
}

function expectTcp4(p: ReturnType<typeof decode>) {
  expect(p.warnings).toEqual([]);
  expect(p.protocol).toBe('TCP');
  expect(p.ip).toMatchObject({ version: 4, src: '10.0.0.1', dst: '10.0.0.2' });
  expect(p.tcp).toMatchObject({ srcPort: 21, dstPort: 40000, length: payload.length });
  expect(Buffer.from(p.tcp!.payload).toString()).toBe('220 ready\r\n');
}

function expectTcp6(p: ReturnType<typeof decode>) {
  expect(p.warnings).toEqual([]);
  expect(p.protocol).toBe('TCP');
  expect(p.ip).toMatchObject({ version: 6, src: '2001:db8::1', dst: '2001:db8::2' });
  expect(p.tcp?.length).toBe(payload.length);
}

describe('Ethernet (LINKTYPE 1)', () => {
  it('decodes IPv4 and IPv6 and records the MAC addresses', () => {
    const p = decode(ethernet({ src: '00:00:5e:00:53:01', dst: '00:00:5E:00:53:02', etherType: ETH_IPV4, payload: tcp4 }), LINK.ETHERNET);
    expectTcp4(p);
    expect(p.link).toMatchObject({ kind: 'ethernet', etherType: 0x0800, srcMac: '00:00:5e:00:53:01', dstMac: '00:00:5e:00:53:02' });
    expect(p.link?.vlans).toBeUndefined();
    expectTcp6(decode(ethernet({ etherType: ETH_IPV6, payload: tcp6 }), LINK.ETHERNET));
  });

  it.each([
    [1, [100]],
    [2, [{ tpid: ETH_QINQ, vid: 200 }, 300]],
    [3, [{ tpid: 0x9100, vid: 1 }, { tpid: ETH_QINQ, vid: 2 }, 4095]],
    [50, Array.from({ length: 50 }, (_, i) => i + 1)],
  ] as const)('peels %i VLAN tag(s)', (_depth, vlans) => {
    const p = decode(ethernet({ etherType: ETH_IPV4, vlans: [...vlans], payload: tcp4 }), LINK.ETHERNET);
    expectTcp4(p);
    expect(p.link?.vlans).toEqual(vlans.map((v) => (typeof v === 'number' ? v : v.vid)));
    expect(p.link?.etherType).toBe(ETH_IPV4);
  });

  it('stops on a frame that is nothing but VLAN tags, with a warning', () => {
    const tags = Array.from({ length: 10_000 }, () => [0x81, 0x00, 0x00, 0x05]).flat();
    const frame = concat(new Uint8Array(12), tags);
    const p = decode(frame, LINK.ETHERNET);
    expect(p.protocol).toBe('VLAN');
    expect(p.link?.vlans).toHaveLength(9_999);
    expect(p.warnings).toEqual(['VLAN: tag cut off (2 of 4 bytes)']);
  });

  it('labels ARP, LLC and EtherTypes it does not decode', () => {
    expect(decode(ethernet({ etherType: ETH_ARP, payload: new Uint8Array(28) }), LINK.ETHERNET)).toMatchObject({ protocol: 'ARP', warnings: [] });
    expect(decode(ethernet({ etherType: 46, payload: new Uint8Array(46) }), LINK.ETHERNET).protocol).toBe('LLC');
    expect(decode(ethernet({ etherType: 0x88cc, payload: new Uint8Array(46) }), LINK.ETHERNET).protocol).toBe('LLDP');
    expect(decode(ethernet({ etherType: 0x88b5, payload: new Uint8Array(46) }), LINK.ETHERNET)).toMatchObject({ protocol: '0x88b5', warnings: [] });
    expect(decode(ethernet({ etherType: ETH_ARP, vlans: [7], payload: new Uint8Array(28) }), LINK.ETHERNET).protocol).toBe('ARP');
  });

  it('warns about a frame shorter than the Ethernet header', () => {
    const p = decode(new Uint8Array(13), LINK.ETHERNET);
    expect(p.protocol).toBe('Ethernet');
    expect(p.warnings).toEqual(['Ethernet: frame of 13 bytes is shorter than the 14-byte header']);
  });

  it('decodes PPPoE sessions and MPLS label stacks down to IP', () => {
    const pppoe = concat([0x11, 0x00], be16(0x1234), be16(tcp4.length + 2), be16(0x0021), tcp4);
    expectTcp4(decode(ethernet({ etherType: 0x8864, payload: pppoe }), LINK.ETHERNET));
    const pppoe6 = concat([0x11, 0x00], be16(0x1234), be16(tcp6.length + 2), be16(0x0057), tcp6);
    expectTcp6(decode(ethernet({ etherType: 0x8864, payload: pppoe6 }), LINK.ETHERNET));
    const lcp = concat([0x11, 0x00], be16(1), be16(6), be16(0xc021), [1, 1, 0, 4]);
    expect(decode(ethernet({ etherType: 0x8864, payload: lcp }), LINK.ETHERNET).protocol).toBe('PPP');
    const labels = [0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40]; // two entries, the second bottom-of-stack
    expectTcp4(decode(ethernet({ etherType: 0x8847, payload: concat(labels, tcp4) }), LINK.ETHERNET));
    const endless = decode(ethernet({ etherType: 0x8847, payload: new Uint8Array(64) }), LINK.ETHERNET);
    expect(endless.protocol).toBe('MPLS');
    expect(endless.warnings[0]).toMatch(/^MPLS: label stack entry cut off/);
  });
});

describe('BSD loopback (LINKTYPE 0 NULL, 108 LOOP)', () => {
  it.each([
    ['little', 2, 'v4'],
    ['big', 2, 'v4'],
    ['little', 10, 'v6'],
    ['little', 24, 'v6'],
    ['big', 24, 'v6'],
    ['little', 28, 'v6'],
    ['big', 28, 'v6'],
    ['little', 30, 'v6'],
    ['big', 30, 'v6'],
  ] as const)('NULL: family in %s-endian order, AF %i', (order, family, version) => {
    const p = decode(nullLoopback(family, version === 'v4' ? tcp4 : tcp6, order), LINK.NULL);
    if (version === 'v4') expectTcp4(p);
    else expectTcp6(p);
    expect(p.link?.kind).toBe('null');
  });

  it('NULL: unknown family and short frames give N/A with a warning', () => {
    expect(decode(nullLoopback(7, tcp4), LINK.NULL)).toMatchObject({ protocol: 'N/A', warnings: ['NULL: unknown address family 7'] });
    expect(decode(new Uint8Array([2, 0]), LINK.NULL)).toMatchObject({ protocol: 'N/A', warnings: ['NULL: frame of 2 bytes is shorter than the 4-byte header'] });
  });

  it('LOOP: family in network byte order only', () => {
    expectTcp4(decode(loop(2, tcp4), LINK.LOOP));
    expectTcp6(decode(loop(24, tcp6), LINK.LOOP));
    // OpenBSD always writes network order; a little-endian 2 is a different (unknown) family.
    const p = decode(concat(le32(2), tcp4), LINK.LOOP);
    expect(p.protocol).toBe('N/A');
    expect(p.warnings).toEqual(['LOOP: unknown address family 33554432']);
  });
});

describe('raw IP (LINKTYPE 101, 12, 14, 228, 229)', () => {
  it.each([101, 12, 14, 228])('link type %i: the version nibble decides', (linkType) => {
    expectTcp4(decode(tcp4, linkType));
    expectTcp6(decode(tcp6, linkType));
    const p = decode(concat([0x50], tcp4.subarray(1)), linkType);
    expect(p).toMatchObject({ protocol: 'N/A', warnings: ['raw IP: version 5 is neither 4 nor 6'] });
    expect(decode(new Uint8Array(0), linkType).warnings).toEqual(['raw IP: no bytes captured']);
  });

  it('link type 229 is IPv6 only', () => {
    expectTcp6(decode(tcp6, LINK.IPV6));
    const p = decode(tcp4, LINK.IPV6);
    expect(p.protocol).toBe('IPv6');
    expect(p.warnings[0]).toMatch(/^IPv6: /);
  });
});

describe('Linux cooked captures (LINKTYPE 113 SLL, 276 SLL2)', () => {
  it('SLL: protocol at offset 14, sender address kept', () => {
    const p = decode(sll({ protocol: ETH_IPV4, payload: tcp4 }), LINK.SLL);
    expectTcp4(p);
    expect(p.link).toMatchObject({ kind: 'sll', etherType: ETH_IPV4, srcMac: '00:11:22:33:44:55' });
    expectTcp6(decode(sll({ protocol: ETH_IPV6, payload: tcp6 }), LINK.SLL));
    expect(decode(sll({ protocol: ETH_ARP, payload: new Uint8Array(28) }), LINK.SLL).protocol).toBe('ARP');
    expect(decode(sll({ protocol: 0x0004, payload: new Uint8Array(20) }), LINK.SLL).protocol).toBe('LLC');
    const tagged = decode(sll({ protocol: 0x8100, payload: concat(be16(5), be16(ETH_IPV4), tcp4) }), LINK.SLL);
    expectTcp4(tagged);
    expect(tagged.link?.vlans).toEqual([5]);
    expect(decode(sll({ protocol: 0, arphrd: 824, payload: new Uint8Array(16) }), LINK.SLL).protocol).toBe('Netlink');
  });

  it('SLL: no MAC text for an address that is not 6 bytes', () => {
    const p = decode(sll({ protocol: ETH_IPV4, payload: tcp4, address: new Uint8Array(0), arphrd: 772 }), LINK.SLL);
    expectTcp4(p);
    expect(p.link?.srcMac).toBeUndefined();
  });

  it('SLL2: protocol at offset 0, 20-byte header', () => {
    const p = decode(sll2({ protocol: ETH_IPV4, payload: tcp4 }), LINK.SLL2);
    expectTcp4(p);
    expect(p.link).toMatchObject({ kind: 'sll2', etherType: ETH_IPV4, srcMac: '00:11:22:33:44:55' });
    expectTcp6(decode(sll2({ protocol: ETH_IPV6, payload: tcp6 }), LINK.SLL2));
    expect(decode(sll2({ protocol: ETH_ARP, payload: new Uint8Array(28) }), LINK.SLL2).protocol).toBe('ARP');
  });

  it('warns about short cooked headers', () => {
    expect(decode(new Uint8Array(15), LINK.SLL).warnings).toEqual(['SLL: frame of 15 bytes is shorter than the 16-byte header']);
    expect(decode(new Uint8Array(19), LINK.SLL2).warnings).toEqual(['SLL2: frame of 19 bytes is shorter than the 20-byte header']);
  });
});

describe('unknown link types', () => {
  it('names the link type in the protocol column and warns', () => {
    const p = decode(tcp4, 147);
    expect(p.protocol).toBe('LINKTYPE_147');
    expect(p.link?.kind).toBe('unknown');
    expect(p.warnings).toEqual(['link: link type 147 is not supported']);
    expect(p.ip).toBeUndefined();
  });
});
