import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text, macAddressText } from '../../src/decode/addressText.js';
import { ipv4Bytes, ipv6Bytes, macBytes } from '../helpers/packetBuilder.js';

describe('addressText', () => {
  // Expected strings are what tshark 4.0 printed for these addresses (ipv6.src with -n).
  const wiresharkIpv6: Array<[string, string]> = [
    ['0:0:0:0:0:ffff:102:304', '::ffff:1.2.3.4'],
    ['0:0:0:0:0:0:102:304', '::1.2.3.4'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['0:0:0:0:ffff:0:102:304', '::ffff:0:102:304'],
    ['0:0:0:0:0:1:0:0', '::1:0:0'],
    ['64:ff9b:0:0:0:0:102:304', '64:ff9b::102:304'],
    ['0:0:0:0:0:0:0:2', '::2'],
    ['0:0:0:0:0:ffff:0:1', '::ffff:0.0.0.1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:1:0:0:0:0:0:0', '0:1::'],
    ['2001:DB8:0:0:0:0:0:ABCD', '2001:db8::abcd'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:1:0:0:1:0:0', '::1:0:0:1:0:0'],
  ];
  it.each(wiresharkIpv6)('prints IPv6 %s as Wireshark does: %s', (full, expected) => {
    expect(ipv6Text(ipv6Bytes(full), 0)).toBe(expected);
  });

  it('prints IPv4 dotted quads, including from an offset', () => {
    const bytes = new Uint8Array([9, 9, 10, 0, 255, 1, 0, 0, 0, 0]);
    expect(ipv4Text(bytes, 2)).toBe('10.0.255.1');
    expect(ipv4Text(bytes, 6)).toBe('0.0.0.0');
    expect(ipv4Text(ipv4Bytes('255.255.255.255'), 0)).toBe('255.255.255.255');
  });

  it('stays correct when many addresses collide in the cache', () => {
    for (let i = 0; i < 5000; i++) {
      const a = `${(i * 7) & 255}.${(i >> 3) & 255}.${i & 255}.${(i * 13) & 255}`;
      expect(ipv4Text(ipv4Bytes(a), 0)).toBe(a);
      const v6 = `2001:db8:${(((i * 31) & 0xfff) + 1).toString(16)}::${(i + 1).toString(16)}`;
      expect(ipv6Text(ipv6Bytes(v6), 0)).toBe(v6);
    }
  });

  it('prints MAC addresses in lowercase hex', () => {
    expect(macAddressText(macBytes('00:1A:2b:3C:4d:FF'), 0)).toBe('00:1a:2b:3c:4d:ff');
    expect(macAddressText(macBytes('ff:ff:ff:ff:ff:ff'), 0)).toBe('ff:ff:ff:ff:ff:ff');
  });
});
