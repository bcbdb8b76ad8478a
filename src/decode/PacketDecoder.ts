// The decode stage: one captured frame in, one `Packet` out, for every frame of a capture.
//
// This is the hot path of the whole tool, so the layers are plain methods working on offsets
// into the frame's bytes: no per-layer views, no copies of payloads, no per-byte loops except in
// DNS and fragment reassembly, which are rare. Every length read from the frame is checked
// before it is used; a layer that does not make sense ends decoding with a warning, and nothing
// here throws for any input (a last-resort catch in `decode` turns a bug into a warning too).
//
// Lengths: each layer gets `capEnd` (index in `d` where the captured bytes of that layer end)
// and `wireEnd` (where its bytes would end had nothing been cut by the snap length). The IP
// header's length fields decide what belongs to the datagram, so Ethernet padding and trailers
// are ignored, and a segment's length still comes from IP when the capture kept only a prefix.

import type { Frame } from '../capture/Frame.js';
import type { IpInfo, LinkInfo, Packet, TcpOptions } from './Packet.js';
import { ipv4Text, ipv6Text, macAddressText } from './addressText.js';
import { u16, u32, u32le } from './bytes.js';
import { parseDnsMessage } from './DnsMessageParser.js';
import { FragmentReassembler, type ReassemblyStats } from './FragmentReassembler.js';
import { EtherType, IpProtocol, etherTypeName, ipProtocolName } from './protocolNames.js';

/** LINKTYPE_* values (tcpdump.org link-layer header types) that the decoder understands. */
/** UDP port of Teredo servers and relays (RFC 4380 §2.9). */
const TEREDO_PORT = 3544;

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW on most BSDs; Wireshark reads it as raw IP in pcap files. */
  RAW_DLT12: 12,
  /** DLT_RAW on OpenBSD; Wireshark reads it as raw IP in pcap files. */
  RAW_DLT14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** Tuning for `PacketDecoder`; every field has a default. */
export interface DecoderOptions {
  /** Reassemble fragmented IP datagrams (default true). When false, every fragment is left as a fragment. */
  reassembleFragments?: boolean;
  /** Bytes all incomplete datagrams may hold together (default 16 MiB). */
  reassemblyMaxBytes?: number;
  /** Incomplete datagrams held at once (default 1024). */
  reassemblyMaxDatagrams?: number;
  /** Largest reassembled payload accepted (default 65535, the most an IP length field can say). */
  reassemblyMaxDatagramSize?: number;
  /**
   * Capture-time seconds an incomplete datagram waits for its missing fragments (default 60,
   * the reassembly time RFC 8200 §4.5 gives IPv6; RFC 791 leaves IPv4's to the implementation).
   */
  reassemblyTimeoutSeconds?: number;
  /** IPv6 extension headers followed before giving up on a chain (default 16). */
  maxIpv6ExtensionHeaders?: number;
  /** IP-in-IP encapsulations followed (IPv4 or IPv6 inside IPv4 or IPv6; default 4). */
  maxTunnelDepth?: number;
  /** Decode DNS messages on UDP port 53, and mDNS (5353) and LLMNR (5355) (default true). */
  decodeDns?: boolean;
}

export const DEFAULT_DECODER_OPTIONS: Readonly<Required<DecoderOptions>> = Object.freeze({
  reassembleFragments: true,
  reassemblyMaxBytes: 16 * 1024 * 1024,
  reassemblyMaxDatagrams: 1024,
  reassemblyMaxDatagramSize: 65535,
  reassemblyTimeoutSeconds: 60,
  maxIpv6ExtensionHeaders: 16,
  maxTunnelDepth: 4,
  decodeDns: true,
});

// Shared by every packet without payload bytes (pure ACKs are most of a capture's frames).
// A zero-length array has nothing to modify, so sharing it is safe.
const EMPTY = new Uint8Array(0);

/**
 * Decodes frames into packets. Holds state only for IP fragment reassembly, so one instance
 * per capture (frames in capture order) gives Wireshark's view of fragmented datagrams.
 */
export class PacketDecoder {
  readonly #options: Required<DecoderOptions>;
  readonly #reassembler: FragmentReassembler;
  #tunnelDepth = 0;

  constructor(options: DecoderOptions = {}) {
    const o = { ...DEFAULT_DECODER_OPTIONS, ...definedOnly(options) };
    this.#options = o;
    this.#reassembler = new FragmentReassembler({
      maxBytes: o.reassemblyMaxBytes,
      maxDatagrams: o.reassemblyMaxDatagrams,
      maxDatagramSize: Math.min(o.reassemblyMaxDatagramSize, 65535),
      timeoutSeconds: o.reassemblyTimeoutSeconds,
    });
  }

  /** Fragment reassembly counters. */
  get reassemblyStats(): ReassemblyStats {
    return this.#reassembler.stats;
  }

  /** Frames of the datagrams still waiting for fragments, oldest first. */
  pendingFragmentFrames(): number[][] {
    return this.#reassembler.pendingFrames();
  }

  /** Decodes one frame. Never throws; problems end up in `packet.warnings`. */
  decode(frame: Frame): Packet {
    // Every field present from the start, so all packets share one object shape and the code
    // that reads them stays monomorphic; JSON.stringify leaves the undefined ones out.
    const packet: Packet = {
      frame,
      link: undefined,
      ip: undefined,
      tcp: undefined,
      udp: undefined,
      dns: undefined,
      protocol: '',
      warnings: [],
      outerIp: undefined,
    };
    try {
      this.#tunnelDepth = 0;
      this.#link(packet, frame);
    } catch (e) {
      // Only a bug gets here; the frame is still reported, with what was decoded so far.
      packet.warnings.push(`decoder: internal error: ${e instanceof Error ? e.message : String(e)}`);
      if (packet.protocol === '') packet.protocol = 'N/A';
    }
    return packet;
  }

  #link(packet: Packet, frame: Frame): void {
    const d = frame.data;
    const capEnd = d.length;
    // A broken file may claim fewer bytes on the wire than it captured; trust the bytes.
    const wireEnd = Math.max(frame.originalLength, capEnd);
    switch (frame.linkType) {
      case LinkType.ETHERNET:
        return this.#ethernet(packet, d, capEnd, wireEnd);
      case LinkType.NULL:
        return this.#loopback(packet, d, capEnd, wireEnd, 'null');
      case LinkType.LOOP:
        return this.#loopback(packet, d, capEnd, wireEnd, 'loop');
      case LinkType.RAW:
      case LinkType.RAW_DLT12:
      case LinkType.RAW_DLT14:
      case LinkType.IPV4: // Wireshark hands version-6 packets on even here.
        packet.link = { kind: 'raw' };
        return this.#rawIp(packet, d, 0, capEnd, wireEnd, 'raw IP');
      case LinkType.IPV6:
        packet.link = { kind: 'raw', etherType: EtherType.IPv6 };
        return this.#ipv6(packet, d, 0, capEnd, wireEnd);
      case LinkType.LINUX_SLL:
        return this.#sll(packet, d, capEnd, wireEnd);
      case LinkType.LINUX_SLL2:
        return this.#sll2(packet, d, capEnd, wireEnd);
      default:
        packet.link = { kind: 'unknown' };
        packet.protocol = `LINKTYPE_${frame.linkType}`;
        packet.warnings.push(`link: link type ${frame.linkType} is not supported`);
    }
  }

  // IEEE 802.3 §3.1: destination, source, then EtherType (or a length, for 802.3 LLC frames).
  #ethernet(packet: Packet, d: Uint8Array, capEnd: number, wireEnd: number): void {
    if (capEnd < 14) {
      packet.link = { kind: 'ethernet' };
      packet.protocol = 'Ethernet';
      packet.warnings.push(`Ethernet: frame of ${capEnd} bytes is shorter than the 14-byte header`);
      return;
    }
    const link: LinkInfo = {
      kind: 'ethernet',
      etherType: undefined,
      vlans: undefined,
      srcMac: macAddressText(d, 6),
      dstMac: macAddressText(d, 0),
    };
    packet.link = link;
    this.#etherType(packet, link, d, 14, u16(d, 12), capEnd, wireEnd);
  }

  /**
   * Dispatches on an EtherType, first peeling off VLAN tags (IEEE 802.1Q; 802.1ad and the
   * pre-standard 0x9100 for stacked tags). A tag is 4 bytes and the loop only runs while 4 more
   * bytes are captured, so a frame made of nothing but tags ends, in bounded time.
   */
  #etherType(packet: Packet, link: LinkInfo, d: Uint8Array, o: number, type: number, capEnd: number, wireEnd: number): void {
    while (type === EtherType.VLAN || type === EtherType.QinQ || type === EtherType.QinQLegacy) {
      if (o + 4 > capEnd) {
        link.etherType = type;
        packet.protocol = 'VLAN';
        packet.warnings.push(`VLAN: tag cut off (${Math.max(0, capEnd - o)} of 4 bytes)`);
        return;
      }
      (link.vlans ??= []).push(u16(d, o) & 0x0fff);
      type = u16(d, o + 2);
      o += 4;
    }
    link.etherType = type;
    switch (type) {
      case EtherType.IPv4:
        return this.#ipv4(packet, d, o, capEnd, wireEnd);
      case EtherType.IPv6:
        return this.#ipv6(packet, d, o, capEnd, wireEnd);
      case EtherType.PPPoESession:
        return this.#pppoe(packet, d, o, capEnd, wireEnd);
      case EtherType.MPLSUnicast:
      case EtherType.MPLSMulticast:
        return this.#mpls(packet, d, o, capEnd, wireEnd);
      default:
        // Values up to 1500 are an 802.3 length, and an 802.2 LLC header follows; Linux
        // cooked captures use 1 and 4 the same way (IEEE 802.3 §3.2.6).
        packet.protocol = type < 0x0600 ? 'LLC' : etherTypeName(type);
    }
  }

  /**
   * BSD loopback (LINKTYPE_NULL): a 4-byte address family in the byte order of the machine
   * that captured, which the file does not record, so both orders are accepted (a family
   * number fits in 16 bits, so the order that yields a small number is the right one).
   * LINKTYPE_LOOP is the same with the family always in network byte order (OpenBSD).
   */
  #loopback(packet: Packet, d: Uint8Array, capEnd: number, wireEnd: number, kind: 'null' | 'loop'): void {
    const label = kind === 'null' ? 'NULL' : 'LOOP';
    const link: LinkInfo = { kind, etherType: undefined };
    packet.link = link;
    if (capEnd < 4) {
      packet.protocol = 'N/A';
      packet.warnings.push(`${label}: frame of ${capEnd} bytes is shorter than the 4-byte header`);
      return;
    }
    let family = u32(d, 0);
    if (kind === 'null' && family > 0xffff) family = u32le(d, 0);
    switch (family) {
      case 2: // AF_INET everywhere
        link.etherType = EtherType.IPv4;
        return this.#ipv4(packet, d, 4, capEnd, wireEnd);
      case 10: // AF_INET6 on Linux
      case 24: // AF_INET6 on NetBSD, OpenBSD, BSD/OS
      case 28: // AF_INET6 on FreeBSD, DragonFly BSD
      case 30: // AF_INET6 on macOS, iOS
        link.etherType = EtherType.IPv6;
        return this.#ipv6(packet, d, 4, capEnd, wireEnd);
      default:
        packet.protocol = 'N/A';
        packet.warnings.push(`${label}: unknown address family ${family}`);
    }
  }

  /** Raw IP: the version nibble says which IP it is. */
  #rawIp(packet: Packet, d: Uint8Array, o: number, capEnd: number, wireEnd: number, label: string): void {
    if (o >= capEnd) {
      packet.protocol = 'N/A';
      packet.warnings.push(`${label}: no bytes captured`);
      return;
    }
    const version = d[o]! >> 4;
    if (version === 4) {
      if (packet.link?.kind === 'raw') packet.link.etherType = EtherType.IPv4;
      return this.#ipv4(packet, d, o, capEnd, wireEnd);
    }
    if (version === 6) {
      if (packet.link?.kind === 'raw') packet.link.etherType = EtherType.IPv6;
      return this.#ipv6(packet, d, o, capEnd, wireEnd);
    }
    packet.protocol = 'N/A';
    packet.warnings.push(`${label}: version ${version} is neither 4 nor 6`);
  }

  // Linux cooked capture v1: packet type, ARPHRD type, address length, 8 address bytes, protocol.
  #sll(packet: Packet, d: Uint8Array, capEnd: number, wireEnd: number): void {
    const link: LinkInfo = { kind: 'sll', etherType: undefined, vlans: undefined, srcMac: undefined };
    packet.link = link;
    if (capEnd < 16) {
      packet.protocol = 'SLL';
      packet.warnings.push(`SLL: frame of ${capEnd} bytes is shorter than the 16-byte header`);
      return;
    }
    if (u16(d, 4) === 6) link.srcMac = macAddressText(d, 6);
    this.#cooked(packet, link, d, 16, u16(d, 2), u16(d, 14), capEnd, wireEnd);
  }

  // Linux cooked capture v2: protocol first, then interface index, ARPHRD type, packet type, address.
  #sll2(packet: Packet, d: Uint8Array, capEnd: number, wireEnd: number): void {
    const link: LinkInfo = { kind: 'sll2', etherType: undefined, vlans: undefined, srcMac: undefined };
    packet.link = link;
    if (capEnd < 20) {
      packet.protocol = 'SLL';
      packet.warnings.push(`SLL2: frame of ${capEnd} bytes is shorter than the 20-byte header`);
      return;
    }
    if (d[11] === 6) link.srcMac = macAddressText(d, 12);
    this.#cooked(packet, link, d, 20, u16(d, 8), u16(d, 0), capEnd, wireEnd);
  }

  #cooked(packet: Packet, link: LinkInfo, d: Uint8Array, o: number, arphrd: number, protocol: number, capEnd: number, wireEnd: number): void {
    // ARPHRD_NETLINK (nlmon): the protocol field is a netlink family, not an EtherType.
    if (arphrd === 824) {
      packet.protocol = 'Netlink';
      return;
    }
    this.#etherType(packet, link, d, o, protocol, capEnd, wireEnd);
  }

  // PPPoE session stage (RFC 2516 §4): 6-byte PPPoE header, then the PPP protocol (RFC 1661 §2).
  #pppoe(packet: Packet, d: Uint8Array, o: number, capEnd: number, wireEnd: number): void {
    packet.protocol = 'PPPoES';
    if (o + 8 > capEnd) {
      packet.warnings.push(`PPPoE: header cut off (${Math.max(0, capEnd - o)} of 8 bytes)`);
      return;
    }
    const ppp = u16(d, o + 6);
    if (ppp === 0x0021) return this.#ipv4(packet, d, o + 8, capEnd, wireEnd);
    if (ppp === 0x0057) return this.#ipv6(packet, d, o + 8, capEnd, wireEnd);
    packet.protocol = 'PPP';
  }

  // MPLS label stack (RFC 3032 §2.1): 4-byte entries until the bottom-of-stack bit. The payload
  // type is not stated; like Wireshark, guess from the first nibble after the stack.
  #mpls(packet: Packet, d: Uint8Array, o: number, capEnd: number, wireEnd: number): void {
    packet.protocol = 'MPLS';
    for (;;) {
      if (o + 4 > capEnd) {
        packet.warnings.push(`MPLS: label stack entry cut off (${Math.max(0, capEnd - o)} of 4 bytes)`);
        return;
      }
      const bottom = (d[o + 2]! & 1) !== 0;
      o += 4;
      if (bottom) break;
    }
    if (o < capEnd) {
      const version = d[o]! >> 4;
      if (version === 4) return this.#ipv4(packet, d, o, capEnd, wireEnd);
      if (version === 6) return this.#ipv6(packet, d, o, capEnd, wireEnd);
    }
  }

  // IPv4 header, RFC 791 §3.1.
  #ipv4(packet: Packet, d: Uint8Array, o: number, capEnd: number, wireEnd: number): void {
    packet.protocol = 'IPv4';
    const warnings = packet.warnings;
    const captured = capEnd - o;
    if (captured < 20) {
      warnings.push(`IPv4: header cut off (${Math.max(0, captured)} of 20 bytes captured)`);
      return;
    }
    const versionAndIhl = d[o]!;
    if (versionAndIhl >> 4 !== 4) {
      warnings.push(`IPv4: version ${versionAndIhl >> 4}, expected 4`);
      return;
    }
    const headerLength = (versionAndIhl & 0x0f) * 4;
    const onWire = wireEnd - o;
    let totalLength = u16(d, o + 2);
    // With TCP segmentation offload the capturing host sees the datagram before the NIC has
    // filled in the length, so it reads 0; Wireshark then takes the frame's length, as we do.
    if (totalLength === 0) totalLength = onWire;
    const fragmentField = u16(d, o + 6);
    const protocol = d[o + 9]!;
    const ip: IpInfo = {
      version: 4,
      src: ipv4Text(d, o + 12),
      dst: ipv4Text(d, o + 16),
      protocol,
      ttl: d[o + 8]!,
      headerOffset: o,
      headerLength,
      payloadLength: Math.max(0, totalLength - headerLength),
      id: u16(d, o + 4),
      fragment: undefined,
      reassembledFrom: undefined,
      reassembledPayload: undefined,
    };
    packet.ip = ip;
    if (headerLength < 20) {
      warnings.push(`IPv4: header length ${headerLength} is below the minimum 20`);
      return;
    }
    if (totalLength < headerLength) {
      warnings.push(`IPv4: total length ${totalLength} is less than the header length ${headerLength}`);
      return;
    }
    if (totalLength > onWire) {
      warnings.push(`IPv4: total length ${totalLength} exceeds the ${onWire} bytes left in the frame`);
      return;
    }
    if (headerLength > captured) {
      warnings.push(`IPv4: header cut off by the capture (${captured} of ${headerLength} bytes)`);
      return;
    }
    const start = o + headerLength;
    const end = o + totalLength;
    const payloadCapEnd = end < capEnd ? end : capEnd;

    // Fragment: More Fragments set or a non-zero offset (RFC 791 §3.2, "Fragmentation and Reassembly").
    const more = (fragmentField & 0x2000) !== 0;
    const offset = (fragmentField & 0x1fff) * 8;
    if (more || offset !== 0) {
      const fragmentInfo = { offset, more, id: ip.id! };
      if (!this.#options.reassembleFragments) {
        ip.fragment = fragmentInfo;
        return;
      }
      if (payloadCapEnd < end) {
        ip.fragment = fragmentInfo;
        warnings.push(`IPv4: fragment cut off by the capture (${Math.max(0, payloadCapEnd - start)} of ${end - start} bytes); it cannot be reassembled`);
        return;
      }
      // RFC 791 §3.2: source, destination, protocol and identification name the datagram.
      const key = `4 ${u32(d, o + 12)} ${u32(d, o + 16)} ${protocol} ${ip.id!}`;
      const done = this.#reassembler.add(key, packet.frame.no, captureSeconds(packet.frame), offset, more, d.subarray(start, end), protocol, 'IPv4', warnings);
      if (!done) {
        ip.fragment = fragmentInfo;
        return;
      }
      ip.reassembledFrom = done.frames;
      ip.reassembledPayload = done.data;
      ip.payloadLength = done.data.length;
      return this.#transport(packet, ip, done.data, 0, done.data.length, done.data.length, protocol);
    }
    this.#transport(packet, ip, d, start, payloadCapEnd, end - start, protocol);
  }

  // IPv6 fixed header, RFC 8200 §3.
  #ipv6(packet: Packet, d: Uint8Array, o: number, capEnd: number, wireEnd: number): void {
    packet.protocol = 'IPv6';
    const warnings = packet.warnings;
    const captured = capEnd - o;
    if (captured < 40) {
      warnings.push(`IPv6: header cut off (${Math.max(0, captured)} of 40 bytes captured)`);
      return;
    }
    const version = d[o]! >> 4;
    if (version !== 6) {
      warnings.push(`IPv6: version ${version}, expected 6`);
      return;
    }
    const nextHeader = d[o + 6]!;
    const onWire = wireEnd - o - 40;
    let payloadLength = u16(d, o + 4);
    // Payload length 0 before a Hop-by-Hop header is a jumbogram (RFC 2675 §2) or, on the
    // sending host, a TSO/GSO super-packet; either way the frame says how long it is.
    if (payloadLength === 0 && nextHeader === IpProtocol.HopByHop) payloadLength = onWire;
    const ip: IpInfo = {
      version: 6,
      src: ipv6Text(d, o + 8),
      dst: ipv6Text(d, o + 24),
      protocol: nextHeader,
      ttl: d[o + 7]!,
      headerOffset: o,
      headerLength: 40,
      payloadLength,
      id: undefined,
      fragment: undefined,
      reassembledFrom: undefined,
      reassembledPayload: undefined,
    };
    packet.ip = ip;
    if (payloadLength > onWire) {
      warnings.push(`IPv6: payload length ${payloadLength} exceeds the ${Math.max(0, onWire)} bytes left in the frame`);
      return;
    }
    const end = o + 40 + payloadLength;
    this.#ipv6Chain(packet, ip, d, o + 40, end < capEnd ? end : capEnd, end, nextHeader, 0, false);
  }

  /**
   * Walks the IPv6 extension header chain (RFC 8200 §4) up to the upper-layer header. Each
   * header is at least 8 bytes and the count is capped, so a crafted endless chain stops.
   * `seen` carries the count across a reassembly, which restarts the walk in a new buffer.
   */
  #ipv6Chain(packet: Packet, ip: IpInfo, d: Uint8Array, p: number, capEnd: number, end: number, nextHeader: number, seen: number, reassembled: boolean): void {
    const warnings = packet.warnings;
    const limit = this.#options.maxIpv6ExtensionHeaders;
    for (; ; seen++) {
      if (
        nextHeader !== IpProtocol.HopByHop &&
        nextHeader !== IpProtocol.Routing &&
        nextHeader !== IpProtocol.DestinationOptions &&
        nextHeader !== IpProtocol.Fragment &&
        nextHeader !== IpProtocol.AH
      ) {
        break;
      }
      ip.protocol = nextHeader;
      if (seen >= limit) {
        warnings.push(`IPv6: more than ${limit} extension headers; stopped`);
        return;
      }
      if (p + 8 > end) {
        warnings.push(`IPv6: extension header ${nextHeader} runs past the end of the payload`);
        return;
      }
      if (p + 8 > capEnd) {
        warnings.push(`IPv6: extension header ${nextHeader} cut off by the capture`);
        return;
      }
      if (nextHeader === IpProtocol.Fragment) {
        // RFC 8200 §4.5: next header, reserved, 13-bit offset in 8-byte units, M flag, identification.
        const inner = d[p]!;
        const field = u16(d, p + 2);
        const offset = field & 0xfff8;
        const more = (field & 1) !== 0;
        ip.id = u32(d, p + 4);
        p += 8;
        ip.headerLength += 8;
        // An "atomic fragment" (offset 0, no more) is a whole datagram (RFC 6946 §4).
        if (offset === 0 && !more) {
          nextHeader = inner;
          continue;
        }
        if (reassembled) {
          ip.protocol = inner;
          warnings.push('IPv6: fragment header inside a reassembled datagram; stopped');
          return;
        }
        return this.#ipv6Fragment(packet, ip, d, p, capEnd, end, inner, offset, more, seen + 1);
      }
      // Authentication Header counts its length in 4-byte units minus 2 (RFC 4302 §2.2); the
      // others in 8-byte units, not counting the first 8 bytes (RFC 8200 §4.3, §4.4, §4.6).
      const length = nextHeader === IpProtocol.AH ? (d[p + 1]! + 2) * 4 : (d[p + 1]! + 1) * 8;
      if (p + length > end) {
        warnings.push(`IPv6: extension header ${nextHeader} of ${length} bytes runs past the end of the payload`);
        return;
      }
      nextHeader = d[p]!;
      p += length;
      ip.headerLength += length;
    }
    ip.protocol = nextHeader;
    ip.payloadLength = end - p;
    this.#transport(packet, ip, d, p, capEnd, end - p, nextHeader);
  }

  #ipv6Fragment(packet: Packet, ip: IpInfo, d: Uint8Array, p: number, capEnd: number, end: number, inner: number, offset: number, more: boolean, seen: number): void {
    const warnings = packet.warnings;
    const fragmentInfo = { offset, more, id: ip.id! };
    ip.protocol = inner;
    ip.payloadLength = end - p;
    if (!this.#options.reassembleFragments) {
      ip.fragment = fragmentInfo;
      return;
    }
    if (capEnd < end) {
      ip.fragment = fragmentInfo;
      warnings.push(`IPv6: fragment cut off by the capture (${Math.max(0, capEnd - p)} of ${end - p} bytes); it cannot be reassembled`);
      return;
    }
    // RFC 8200 §4.5: source, destination and identification name the datagram. The fragment
    // at offset 0 says what follows the fragment header once reassembled.
    const key = `6 ${ip.src} ${ip.dst} ${ip.id!}`;
    const done = this.#reassembler.add(key, packet.frame.no, captureSeconds(packet.frame), offset, more, d.subarray(p, end), inner, 'IPv6', warnings);
    if (!done) {
      ip.fragment = fragmentInfo;
      return;
    }
    ip.reassembledFrom = done.frames;
    ip.reassembledPayload = done.data;
    const data = done.data;
    this.#ipv6Chain(packet, ip, data, 0, data.length, data.length, done.meta, seen, true);
  }

  /**
   * The upper layer: `d[start..capEnd)` is what was captured of it, `length` what the IP header
   * says it is.
   */
  #transport(packet: Packet, ip: IpInfo, d: Uint8Array, start: number, capEnd: number, length: number, protocol: number): void {
    switch (protocol) {
      case IpProtocol.TCP:
        return this.#tcp(packet, d, start, capEnd, length);
      case IpProtocol.UDP:
        return this.#udp(packet, d, start, capEnd, length);
      case IpProtocol.IPv4:
      case IpProtocol.IPv6:
        return this.#tunnel(packet, ip, d, start, capEnd, length, protocol);
      case IpProtocol.NoNextHeader:
        packet.protocol = 'IPv6';
        return;
      default:
        packet.protocol = ipProtocolName(protocol, ip.version, start < capEnd ? d[start]! : -1, length);
    }
  }

  /** IP in IP (RFC 2003, RFC 4213): the inner header becomes `packet.ip`, the outer ones go to `outerIp`. */
  #tunnel(packet: Packet, ip: IpInfo, d: Uint8Array, start: number, capEnd: number, length: number, protocol: number): void {
    if (this.#tunnelDepth >= this.#options.maxTunnelDepth) {
      packet.protocol = ip.version === 4 ? 'IPv4' : 'IPv6';
      packet.warnings.push(`IP: more than ${this.#options.maxTunnelDepth} nested IP headers; stopped`);
      return;
    }
    this.#tunnelDepth++;
    (packet.outerIp ??= []).push(ip);
    packet.ip = undefined;
    if (protocol === IpProtocol.IPv4) this.#ipv4(packet, d, start, capEnd, start + length);
    else this.#ipv6(packet, d, start, capEnd, start + length);
    // A tunnel header cut off before the inner IP header still names the packet.
    if (packet.ip === undefined) {
      packet.ip = packet.outerIp.pop();
      if (packet.outerIp.length === 0) packet.outerIp = undefined;
    }
  }

  // TCP header, RFC 9293 §3.1.
  #tcp(packet: Packet, d: Uint8Array, s: number, capEnd: number, segmentLength: number): void {
    packet.protocol = 'TCP';
    const warnings = packet.warnings;
    const captured = capEnd - s;
    if (segmentLength < 20) {
      warnings.push(`TCP: segment of ${segmentLength} bytes is shorter than the 20-byte header`);
      return;
    }
    if (captured < 20) {
      warnings.push(`TCP: header cut off by the capture (${Math.max(0, captured)} of 20 bytes)`);
      return;
    }
    const headerLength = (d[s + 12]! >> 4) * 4;
    if (headerLength < 20) {
      warnings.push(`TCP: header length ${headerLength} is below the minimum 20`);
      return;
    }
    if (headerLength > segmentLength) {
      warnings.push(`TCP: header length ${headerLength} exceeds the segment length ${segmentLength}`);
      return;
    }
    const options: TcpOptions = {};
    if (headerLength > 20) {
      tcpOptions(d, s + 20, Math.min(s + headerLength, capEnd), s + headerLength, options, warnings);
    }
    if (headerLength > captured) {
      warnings.push(`TCP: header cut off by the capture (${captured} of ${headerLength} bytes)`);
    }
    const payloadStart = s + headerLength;
    packet.tcp = {
      srcPort: u16(d, s),
      dstPort: u16(d, s + 2),
      seq: u32(d, s + 4),
      ack: u32(d, s + 8),
      headerLength,
      headerOffset: s,
      flags: u16(d, s + 12) & 0x0fff,
      window: u16(d, s + 14),
      checksum: u16(d, s + 16),
      urgentPointer: u16(d, s + 18),
      options,
      // Wireshark's tcp.len: from the IP length, whatever the capture kept.
      length: segmentLength - headerLength,
      payload: payloadStart < capEnd ? view(d, payloadStart, capEnd) : EMPTY,
    };
  }

  // UDP header, RFC 768.
  #udp(packet: Packet, d: Uint8Array, s: number, capEnd: number, segmentLength: number): void {
    packet.protocol = 'UDP';
    const warnings = packet.warnings;
    if (segmentLength < 8) {
      warnings.push(`UDP: segment of ${segmentLength} bytes is shorter than the 8-byte header`);
      return;
    }
    if (capEnd - s < 8) {
      warnings.push(`UDP: header cut off by the capture (${Math.max(0, capEnd - s)} of 8 bytes)`);
      return;
    }
    const length = u16(d, s + 4);
    if (length < 8) {
      warnings.push(`UDP: length ${length} is below the minimum 8`);
      return;
    }
    if (length > segmentLength) {
      warnings.push(`UDP: length ${length} exceeds the IP payload of ${segmentLength} bytes`);
      return;
    }
    const srcPort = u16(d, s);
    const dstPort = u16(d, s + 2);
    const end = s + length < capEnd ? s + length : capEnd;
    packet.udp = { srcPort, dstPort, length, payload: s + 8 < end ? view(d, s + 8, end) : EMPTY };
    if ((srcPort === TEREDO_PORT || dstPort === TEREDO_PORT) && this.#teredo(packet, d, s + 8, end, s + length)) return;
    const dnsLabel = this.#options.decodeDns ? dnsPortLabel(srcPort, dstPort) : undefined;
    if (dnsLabel !== undefined) {
      packet.protocol = dnsLabel;
      const before = warnings.length;
      packet.dns = parseDnsMessage(d, s + 8, end, warnings);
      if (warnings.length > before && end < s + length) {
        warnings[warnings.length - 1] += ` (the capture kept ${end - s - 8} of ${length - 8} bytes)`;
      }
    }
  }

  /**
   * Teredo (RFC 4380 §5.1.1): IPv6 carried in UDP on port 3544, optionally behind an
   * authentication indicator and an origin indication. Wireshark shows the inner IPv6 packet,
   * so do we; anything that does not look like IPv6 stays plain UDP. Returns true when the
   * payload was taken as a tunnel.
   */
  #teredo(packet: Packet, d: Uint8Array, p: number, end: number, wireEnd: number): boolean {
    if (p + 2 <= end && d[p] === 0x00 && d[p + 1] === 0x01) {
      // Authentication indicator: type, ID length, AU length, ID, AU, 8-byte nonce, confirmation.
      if (p + 4 > end) return false;
      p += 4 + d[p + 2]! + d[p + 3]! + 9;
    }
    if (p + 2 <= end && d[p] === 0x00 && d[p + 1] === 0x00) p += 8; // origin indication
    if (p + 40 > end || d[p]! >> 4 !== 6) return false;
    const udpIp = packet.ip;
    if (!udpIp || this.#tunnelDepth >= this.#options.maxTunnelDepth) return false;
    // The UDP header stays in `packet.udp`, as tshark keeps udp.* fields for the outer layer.
    this.#tunnel(packet, udpIp, d, p, end, wireEnd - p, IpProtocol.IPv6);
    if (packet.ip === udpIp) {
      packet.protocol = 'UDP'; // the inner header was unusable: it stays a UDP packet
      return false;
    }
    return true;
  }

  /** The options in effect, defaults filled in. */
  get options(): Readonly<Required<DecoderOptions>> {
    return this.#options;
  }
}

/**
 * TCP options (RFC 9293 §3.2; window scale and timestamps RFC 7323 §2.2, §3.2; SACK RFC 2018
 * §2, §3). `capEnd` is where the captured option bytes end, `headerEnd` where the header says
 * they end. A malformed option ends option parsing with a warning; the header is kept.
 */
function tcpOptions(d: Uint8Array, p: number, capEnd: number, headerEnd: number, options: TcpOptions, warnings: string[]): void {
  while (p < capEnd) {
    const kind = d[p]!;
    if (kind === 0) return; // End of Option List
    if (kind === 1) {
      p++; // No-Operation, padding between options
      continue;
    }
    if (p + 1 >= headerEnd) {
      warnings.push(`TCP: option ${kind} has no room for its length byte`);
      return;
    }
    if (p + 1 >= capEnd) return; // cut off by the capture; the caller says so
    const length = d[p + 1]!;
    if (length < 2 || p + length > headerEnd) {
      warnings.push(`TCP: option ${kind} has invalid length ${length}`);
      return;
    }
    if (p + length > capEnd) return;
    switch (kind) {
      case 2:
        if (length === 4) options.mss = u16(d, p + 2);
        else badOptionLength(warnings, 'MSS', length, '4');
        break;
      case 3:
        if (length === 3) options.windowScale = d[p + 2]!;
        else badOptionLength(warnings, 'window scale', length, '3');
        break;
      case 4:
        if (length === 2) options.sackPermitted = true;
        else badOptionLength(warnings, 'SACK permitted', length, '2');
        break;
      case 5:
        if (length >= 10 && (length - 2) % 8 === 0) {
          const blocks: Array<[number, number]> = [];
          for (let q = p + 2; q < p + length; q += 8) blocks.push([u32(d, q), u32(d, q + 4)]);
          options.sack = blocks;
        } else {
          badOptionLength(warnings, 'SACK', length, '2 + 8n');
        }
        break;
      case 8:
        if (length === 10) options.timestamp = { value: u32(d, p + 2), echo: u32(d, p + 6) };
        else badOptionLength(warnings, 'timestamps', length, '10');
        break;
      default:
        break; // Other options (TFO, MPTCP, MD5, …) are skipped by their length.
    }
    p += length;
  }
}

function badOptionLength(warnings: string[], name: string, length: number, expected: string): void {
  warnings.push(`TCP: ${name} option has length ${length}, expected ${expected}`);
}

/**
 * DNS (RFC 1035), multicast DNS (RFC 6762, port 5353) and LLMNR (RFC 4795, port 5355) share
 * the message format; the local ones matter too, since they are how a LAN client may find a
 * file server by name.
 */
function dnsPortLabel(srcPort: number, dstPort: number): string | undefined {
  if (srcPort === 53 || dstPort === 53) return 'DNS';
  if (srcPort === 5353 || dstPort === 5353) return 'MDNS';
  if (srcPort === 5355 || dstPort === 5355) return 'LLMNR';
  return undefined;
}

/**
 * `d[start..end)` as a view sharing `d`'s memory. The constructor is used rather than
 * `subarray`, which looks up a species constructor on every call and costs about twice as much.
 */
function view(d: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset + start, end - start);
}

function captureSeconds(frame: Frame): number {
  return frame.tsSec + frame.tsNsec / 1e9;
}

function definedOnly(options: DecoderOptions): DecoderOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as DecoderOptions;
}
