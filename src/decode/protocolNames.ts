// Names for the Protocol column when decoding stops below the transport layer: what Wireshark
// 4.0 shows there for traffic this decoder recognises but does not take apart.

/** EtherType values the decoder acts on (IEEE 802 numbers, as registered with IANA). */
export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  IPv6: 0x86dd,
  VLAN: 0x8100,
  QinQ: 0x88a8,
  /** Pre-standard QinQ outer tag still sent by some switches. */
  QinQLegacy: 0x9100,
  PPPoEDiscovery: 0x8863,
  PPPoESession: 0x8864,
  MPLSUnicast: 0x8847,
  MPLSMulticast: 0x8848,
} as const;

const ETHER_TYPE_NAMES = new Map<number, string>([
  [0x0806, 'ARP'],
  [0x8035, 'RARP'],
  [0x809b, 'DDP'],
  [0x80f3, 'AARP'],
  [0x8137, 'IPX'],
  [0x8808, 'MAC CONTROL'],
  [0x8809, 'Slow Protocols'],
  [0x8847, 'MPLS'],
  [0x8848, 'MPLS'],
  [0x8863, 'PPPoED'],
  [0x8864, 'PPPoES'],
  [0x886f, 'MSNLB'],
  [0x888e, 'EAPOL'],
  [0x88cc, 'LLDP'],
  [0x88e5, 'MACsec'],
  [0x88f7, 'PTPv2'],
  [0x8906, 'FCoE'],
  [0x8914, 'FIP'],
  [0x9000, 'LOOP'],
]);

/** Column text for an EtherType the decoder does not take further. */
export function etherTypeName(type: number): string {
  // Wireshark labels an EtherType it has no dissector for by its number, e.g. '0x88b5'.
  return ETHER_TYPE_NAMES.get(type) ?? '0x' + type.toString(16).padStart(4, '0');
}

/** IP protocol numbers the decoder acts on (IANA "Assigned Internet Protocol Numbers"). */
export const IpProtocol = {
  HopByHop: 0,
  ICMP: 1,
  IGMP: 2,
  IPv4: 4,
  TCP: 6,
  UDP: 17,
  IPv6: 41,
  Routing: 43,
  Fragment: 44,
  ESP: 50,
  AH: 51,
  ICMPv6: 58,
  NoNextHeader: 59,
  DestinationOptions: 60,
  PIM: 103,
  Mobility: 135,
} as const;

const IP_PROTOCOL_NAMES = new Map<number, string>([
  [1, 'ICMP'],
  [3, 'GGP'],
  [6, 'TCP'],
  [8, 'EGP'],
  [9, 'IGRP'],
  [17, 'UDP'],
  [27, 'RDP'],
  [33, 'DCCP'],
  [46, 'RSVP'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [58, 'ICMPv6'],
  [88, 'EIGRP'],
  [89, 'OSPF'],
  [94, 'IPIP'],
  [97, 'ETHERIP'],
  [98, 'ENCAP'],
  [108, 'IPComp'],
  [112, 'VRRP'],
  [115, 'L2TPv3'],
  [132, 'SCTP'],
  [135, 'MIPv6'],
  [136, 'UDP-Lite'],
  [137, 'MPLS'],
  [139, 'HIP'],
  [140, 'Shim6'],
]);

/**
 * Column text for an upper-layer protocol the decoder does not take apart. `first` is the
 * first byte of that protocol's header when captured (-1 if not), which is where IGMP and PIM
 * keep the version Wireshark puts in the name.
 */
export function ipProtocolName(protocol: number, ipVersion: 4 | 6, first: number, length: number): string {
  if (protocol === 2) return igmpName(first, length);
  if (protocol === 103) return first >= 0 ? 'PIMv' + (first >> 4) : 'PIM';
  return IP_PROTOCOL_NAMES.get(protocol) ?? (ipVersion === 4 ? 'IPv4' : 'IPv6');
}

// IGMP carries its version in the message type and length (RFC 3376 §7.1).
function igmpName(type: number, length: number): string {
  switch (type) {
    case 0x11:
      return length >= 12 ? 'IGMPv3' : 'IGMPv2';
    case 0x12:
      return 'IGMPv1';
    case 0x16:
    case 0x17:
      return 'IGMPv2';
    case 0x22:
      return 'IGMPv3';
    default:
      return 'IGMP';
  }
}
