import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../src/decode/PacketDecoder.js';
import { TcpFlag } from '../../src/decode/Packet.js';
import { ETH_IPV4, PROTO_TCP, ethIpv4Tcp, ethernet, frameOf, ipv4, pattern, tcp, tcpOption, type TcpSpec } from '../helpers/packetBuilder.js';

function decodeTcp(spec: TcpSpec, frame: { snapLength?: number; pad?: boolean } = {}) {
  const bytes = frame.pad
    ? ethernet({ etherType: ETH_IPV4, pad: true, payload: ipv4({ protocol: PROTO_TCP, payload: tcp(spec) }) })
    : ethIpv4Tcp(spec);
  return new PacketDecoder().decode(frameOf(bytes, { snapLength: frame.snapLength }));
}

describe('TCP header', () => {
  it('reads ports, raw sequence numbers, flags, window, checksum and urgent pointer', () => {
    const p = decodeTcp({ srcPort: 49152, dstPort: 21, seq: 0xfffffff0, ack: 0x80000001, flags: 0x1ff, window: 513, urgentPointer: 7, payload: pattern(3) });
    expect(p.warnings).toEqual([]);
    expect(p.protocol).toBe('TCP');
    const t = p.tcp!;
    expect(t).toMatchObject({ srcPort: 49152, dstPort: 21, seq: 0xfffffff0, ack: 0x80000001, headerLength: 20, headerOffset: 34, window: 513, urgentPointer: 7, length: 3 });
    expect(p.ip?.headerOffset).toBe(14);
    expect(t.flags).toBe(0x1ff);
    expect(t.flags & TcpFlag.AE).toBe(TcpFlag.AE);
    expect(t.checksum).not.toBe(0);
    expect(t.options).toEqual({});
  });

  it('keeps all 12 flag bits, including the reserved ones', () => {
    expect(decodeTcp({ flags: 0xfff }).tcp?.flags).toBe(0xfff);
    expect(decodeTcp({ flags: TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR }).tcp?.flags).toBe(0x0c2);
  });

  it('decodes MSS, window scale, SACK permitted and timestamps (a typical SYN)', () => {
    const options = [
      ...tcpOption.mss(1460), ...tcpOption.sackPermitted(), ...tcpOption.timestamps(123456789, 0),
      ...tcpOption.nop(), ...tcpOption.windowScale(7),
    ];
    const p = decodeTcp({ flags: TcpFlag.SYN, options });
    expect(p.warnings).toEqual([]);
    expect(p.tcp?.headerLength).toBe(40);
    expect(p.tcp?.options).toEqual({ mss: 1460, sackPermitted: true, timestamp: { value: 123456789, echo: 0 }, windowScale: 7 });
  });

  it('decodes SACK blocks', () => {
    const options = [...tcpOption.nop(), ...tcpOption.nop(), ...tcpOption.sack([[1000, 2000], [0xfffffff0, 0x10]]), ...tcpOption.nop(), ...tcpOption.nop(), ...tcpOption.timestamps(1, 2)];
    const p = decodeTcp({ options });
    expect(p.warnings).toEqual([]);
    expect(p.tcp?.options).toEqual({ sack: [[1000, 2000], [0xfffffff0, 0x10]], timestamp: { value: 1, echo: 2 } });
  });

  it('stops at End of Option List and skips unknown options by their length', () => {
    const p = decodeTcp({ options: [...tcpOption.raw(30, 6, [1, 2, 3, 4]), ...tcpOption.mss(536), 0, 2, 4, 1, 1] });
    expect(p.warnings).toEqual([]);
    expect(p.tcp?.options).toEqual({ mss: 536 });
  });

  it.each([
    ['a length below 2', [...tcpOption.mss(1400), 8, 1, 0, 0], 'TCP: option 8 has invalid length 1', { mss: 1400 }],
    ['a length past the header', [...tcpOption.mss(1400), 5, 40, 0, 0], 'TCP: option 5 has invalid length 40', { mss: 1400 }],
    ['MSS of the wrong length', [2, 3, 5, ...tcpOption.windowScale(2), 1, 1], 'TCP: MSS option has length 3, expected 4', { windowScale: 2 }],
    ['SACK of the wrong length', [1, 1, 5, 6, 0, 0, 0, 0], 'TCP: SACK option has length 6, expected 2 + 8n', {}],
    ['timestamps of the wrong length', [8, 6, 0, 0, 0, 1, 1, 1], 'TCP: timestamps option has length 6, expected 10', {}],
    ['a length byte missing at the end', [1, 1, 1, 2], 'TCP: option 2 has no room for its length byte', {}],
  ] as const)('warns about malformed options (%s) and keeps the header', (_name, options, warning, parsed) => {
    const p = decodeTcp({ options: [...options], payload: pattern(4) });
    expect(p.warnings).toEqual([warning]);
    expect(p.tcp?.options).toEqual(parsed);
    expect(p.tcp?.length).toBe(4);
    expect(p.tcp?.payload).toEqual(pattern(4));
  });

  it.each([
    [16, 'TCP: header length 16 is below the minimum 20'],
    [0, 'TCP: header length 0 is below the minimum 20'],
    [60, 'TCP: header length 60 exceeds the segment length 23'],
  ])('rejects a header length of %i', (headerLength, warning) => {
    const p = decodeTcp({ headerLength, payload: pattern(3) });
    expect(p.protocol).toBe('TCP');
    expect(p.warnings).toEqual([warning]);
    expect(p.tcp).toBeUndefined();
  });

  it('rejects a segment shorter than a TCP header', () => {
    const bytes = ethernet({ etherType: ETH_IPV4, payload: ipv4({ protocol: PROTO_TCP, payload: pattern(12) }) });
    const p = new PacketDecoder().decode(frameOf(bytes));
    expect(p.warnings).toEqual(['TCP: segment of 12 bytes is shorter than the 20-byte header']);
  });

  it('computes tcp.len from the IP length, ignoring Ethernet padding', () => {
    const p = decodeTcp({ payload: pattern(2) }, { pad: true });
    expect(p.frame.data.length).toBe(60);
    expect(p.tcp?.length).toBe(2);
    expect(p.tcp?.payload).toEqual(pattern(2));
  });

  it('computes tcp.len from the IP length when the snap length cut the payload', () => {
    const p = decodeTcp({ options: tcpOption.timestamps(5, 6).concat(1, 1), payload: pattern(1448) }, { snapLength: 100 });
    expect(p.warnings).toEqual([]);
    expect(p.tcp?.length).toBe(1448);
    expect(p.tcp?.payload).toEqual(pattern(100 - 14 - 20 - 32));
    expect(p.tcp?.options.timestamp).toEqual({ value: 5, echo: 6 });
  });

  it('hands the payload out as a view into the frame, not a copy', () => {
    const p = decodeTcp({ payload: pattern(500) });
    const payload = p.tcp!.payload;
    expect(payload.buffer).toBe(p.frame.data.buffer);
    expect(payload.byteOffset).toBe(p.frame.data.byteOffset + 54);
    expect(payload.length).toBe(500);
  });

  it('shares one empty payload among segments without data', () => {
    const a = decodeTcp({ flags: TcpFlag.ACK }).tcp!.payload;
    const b = decodeTcp({ flags: TcpFlag.ACK }).tcp!.payload;
    expect(a.length).toBe(0);
    expect(a).toBe(b);
  });
});
