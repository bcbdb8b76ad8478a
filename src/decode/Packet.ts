import type { Frame } from '../capture/Frame.js';

/** TCP flag bits as they sit in the 12-bit flags field (Wireshark's `tcp.flags`). */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;

export interface LinkInfo {
  /** Short name of the link layer: 'ethernet', 'null', 'loop', 'raw', 'sll', 'sll2', or 'unknown'. */
  kind: string;
  /** EtherType (or equivalent) of what the link layer carries, when it says. */
  etherType?: number;
  /** VLAN IDs from outermost to innermost (802.1Q / 802.1ad). */
  vlans?: number[];
  /** Source and destination MAC addresses, when the link layer has them. */
  srcMac?: string;
  dstMac?: string;
}

export interface IpInfo {
  version: 4 | 6;
  src: string;
  dst: string;
  /** Upper-layer protocol number (after IPv6 extension headers; for a fragment, what it carries). */
  protocol: number;
  /** TTL / hop limit. */
  ttl: number;
  /**
   * Where this IP header starts in `frame.data` (for a reassembled datagram: the header of the
   * frame that completed it), so checksums can be verified without searching for it.
   */
  headerOffset: number;
  /**
   * Length of the IP header (IPv6: fixed header plus the extension headers walked, including
   * those found inside a reassembled datagram).
   */
  headerLength: number;
  /**
   * Length of the upper-layer payload according to the IP header (not the captured bytes).
   * For a fragment, the fragment's share; for a reassembled datagram, the whole payload.
   */
  payloadLength: number;
  /** IPv4 identification / IPv6 fragment identification, when present. */
  id?: number;
  /** This frame holds a fragment that did not (yet) complete a datagram. */
  fragment?: { offset: number; more: boolean; id: number };
  /** This frame completed a fragmented datagram: every frame that contributed, in order of offset. */
  reassembledFrom?: number[];
  /**
   * For a reassembled datagram: its payload, owned by the packet (the upper-layer header is in
   * it, not in `frame.data`; see TcpInfo.headerOffset).
   */
  reassembledPayload?: Uint8Array;
}

export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  /** SACK blocks as [left edge, right edge) raw sequence numbers. */
  sack?: Array<[number, number]>;
  timestamp?: { value: number; echo: number };
}

export interface TcpInfo {
  srcPort: number;
  dstPort: number;
  /** Raw 32-bit sequence number. */
  seq: number;
  /** Raw 32-bit acknowledgement number. */
  ack: number;
  headerLength: number;
  /**
   * Where the TCP header starts: in `frame.data`, or, when `ip.reassembledPayload` is set (the
   * segment came in IP fragments), in that.
   */
  headerOffset: number;
  /** 12-bit flags field; see `TcpFlag`. */
  flags: number;
  /** Window field as sent (not scaled). */
  window: number;
  checksum: number;
  urgentPointer: number;
  options: TcpOptions;
  /** Segment length from the IP header (Wireshark's `tcp.len`), even when fewer bytes were captured. */
  length: number;
  /** The captured part of the payload (a view; may be shorter than `length`). */
  payload: Uint8Array;
}

export interface UdpInfo {
  srcPort: number;
  dstPort: number;
  length: number;
  payload: Uint8Array;
}

export interface DnsRecord {
  name: string;
  type: string;
  ttl?: number;
  /** Address for A/AAAA, target name for CNAME/PTR/NS, text otherwise. */
  data: string;
}

export interface DnsInfo {
  id: number;
  response: boolean;
  rcode: number;
  questions: Array<{ name: string; type: string }>;
  answers: DnsRecord[];
  /** Authority section (RFC 1035 §4.1): name servers for the zone, often an SOA on a negative answer. */
  authorities?: DnsRecord[];
  /** Additional section: glue addresses for the name servers above, EDNS OPT. */
  additionals?: DnsRecord[];
}

/**
 * A decoded frame. Views (`payload`) point into the frame's data and share its lifetime,
 * except a reassembled IP datagram, which owns its bytes.
 */
export interface Packet {
  frame: Frame;
  link?: LinkInfo;
  ip?: IpInfo;
  tcp?: TcpInfo;
  udp?: UdpInfo;
  dns?: DnsInfo;
  /**
   * IP headers that carried `ip` inside them (IP in IP, 6in4), outermost first; absent when
   * the packet was not tunnelled.
   */
  outerIp?: IpInfo[];
  /** Highest protocol recognised, as Wireshark's Protocol column names it ('TCP', 'UDP', 'DNS', 'ARP', 'IPv4', …). */
  protocol: string;
  /**
   * Problems found in this frame, e.g. 'IPv4: total length 20000 exceeds the 40 bytes left in
   * the frame'. A malformed or unsupported layer ends decoding there (its fields may be partly
   * filled, the layers above it are absent); fragment-reassembly notices (overlaps, limits) do
   * not stop decoding.
   */
  warnings: string[];
}
