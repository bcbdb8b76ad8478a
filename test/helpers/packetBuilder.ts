// Builds packets byte by byte for tests: link layers, IPv4/IPv6 (with options, extension
// headers and fragments), TCP, UDP and DNS. Every builder returns a fresh Uint8Array and takes
// overrides for the fields a test may want to break (lengths, versions, data offsets), so
// malformed packets are as easy to make as good ones. Checksums are computed (IPv4 header,
// TCP/UDP with the pseudo-header) so the output also reads cleanly in Wireshark.
//
// Typical use:
//   const bytes = ethernet({ etherType: ETH_IPV4, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2',
//     protocol: 6, payload: tcp({ srcPort: 1025, dstPort: 21, flags: 0x18, payload: text('USER x\r\n') }) }) });
//   decoder.decode(frameOf(bytes));

import type { Frame } from '../../src/capture/Frame.js';

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_ARP = 0x0806;
export const ETH_VLAN = 0x8100;
export const ETH_QINQ = 0x88a8;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

/** LINKTYPE_* numbers used in tests. */
export const LINK = { NULL: 0, ETHERNET: 1, RAW: 101, LOOP: 108, SLL: 113, IPV4: 228, IPV6: 229, SLL2: 276 } as const;

// ---------------------------------------------------------------------------------------------
// Byte helpers

/** Concatenates byte arrays (numbers are taken as single bytes). */
export function concat(...parts: Array<Uint8Array | number[]>): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Big-endian 16-bit value as 2 bytes. */
export function be16(v: number): number[] {
  return [(v >>> 8) & 255, v & 255];
}

/** Big-endian 32-bit value as 4 bytes. */
export function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** Little-endian 32-bit value as 4 bytes. */
export function le32(v: number): number[] {
  return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
}

/** ASCII/Latin-1 text as bytes. */
export function text(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 255);
}

/** `n` bytes counting up from `start` (mod 256): recognisable payload. */
export function pattern(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 255);
}

/** '10.0.0.1' → 4 bytes. */
export function ipv4Bytes(address: string): Uint8Array {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 address ${address}`);
  return Uint8Array.from(parts);
}

/** Any valid IPv6 text form (including '::' and a trailing dotted quad) → 16 bytes. */
export function ipv6Bytes(address: string): Uint8Array {
  let head = address;
  const tail: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (quad) {
    const v4 = ipv4Bytes(quad[1]!);
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    head = address.slice(0, -quad[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  let groups: number[];
  if (head.includes('::')) {
    const [l, r] = head.split('::') as [string, string];
    const left = parse(l);
    const right = [...parse(r), ...tail];
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    groups = [...parse(head), ...tail];
  }
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`bad IPv6 address ${address}`);
  return Uint8Array.from(groups.flatMap((g) => be16(g)));
}

/** '00:11:22:33:44:55' → 6 bytes. */
export function macBytes(address: string): Uint8Array {
  const parts = address.split(':').map((p) => parseInt(p, 16));
  if (parts.length !== 6) throw new Error(`bad MAC address ${address}`);
  return Uint8Array.from(parts);
}

/** RFC 1071 Internet checksum over the given bytes. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd = -1;
  for (const p of parts) {
    for (const b of p) {
      if (odd < 0) odd = b;
      else {
        sum += (odd << 8) | b;
        odd = -1;
      }
    }
  }
  if (odd >= 0) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---------------------------------------------------------------------------------------------
// Link layers

export interface EthernetSpec {
  dst?: string;
  src?: string;
  /** EtherType after the tags. */
  etherType: number;
  /** VLAN tags outermost first: a VLAN ID (tagged 0x8100) or an explicit TPID and ID. */
  vlans?: Array<number | { tpid: number; vid: number; pcp?: number }>;
  payload: Uint8Array;
  /** Pad to Ethernet's 60-byte minimum as a NIC would (default false). */
  pad?: boolean;
}

/** An Ethernet II frame, optionally VLAN-tagged (802.1Q/802.1ad) and padded. */
export function ethernet(spec: EthernetSpec): Uint8Array {
  const tags: number[] = [];
  for (const v of spec.vlans ?? []) {
    const tag = typeof v === 'number' ? { tpid: ETH_VLAN, vid: v, pcp: 0 } : v;
    tags.push(...be16(tag.tpid), ...be16(((tag.pcp ?? 0) << 13) | (tag.vid & 0xfff)));
  }
  const frame = concat(
    macBytes(spec.dst ?? '00:11:22:33:44:55'),
    macBytes(spec.src ?? '66:77:88:99:aa:bb'),
    tags,
    be16(spec.etherType),
    spec.payload,
  );
  return spec.pad && frame.length < 60 ? concat(frame, new Uint8Array(60 - frame.length)) : frame;
}

/** BSD loopback (LINKTYPE_NULL) header: the family in the capturing host's byte order. */
export function nullLoopback(family: number, payload: Uint8Array, byteOrder: 'little' | 'big' = 'little'): Uint8Array {
  return concat(byteOrder === 'little' ? le32(family) : be32(family), payload);
}

/** OpenBSD loopback (LINKTYPE_LOOP) header: the family in network byte order. */
export function loop(family: number, payload: Uint8Array): Uint8Array {
  return concat(be32(family), payload);
}

export interface SllSpec {
  protocol: number;
  payload: Uint8Array;
  /** Source link-layer address (default a MAC); its length goes in the address-length field. */
  address?: Uint8Array;
  /** ARPHRD_ type (default 1, Ethernet). */
  arphrd?: number;
  /** 0 to us, 4 sent by us, … (default 0). */
  packetType?: number;
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16-byte header). */
export function sll(spec: SllSpec): Uint8Array {
  const address = spec.address ?? macBytes('00:11:22:33:44:55');
  const addressField = new Uint8Array(8);
  addressField.set(address.subarray(0, 8));
  return concat(be16(spec.packetType ?? 0), be16(spec.arphrd ?? 1), be16(address.length), addressField, be16(spec.protocol), spec.payload);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20-byte header). */
export function sll2(spec: SllSpec & { interfaceIndex?: number }): Uint8Array {
  const address = spec.address ?? macBytes('00:11:22:33:44:55');
  const addressField = new Uint8Array(8);
  addressField.set(address.subarray(0, 8));
  return concat(
    be16(spec.protocol),
    [0, 0],
    be32(spec.interfaceIndex ?? 1),
    be16(spec.arphrd ?? 1),
    [spec.packetType ?? 0, address.length],
    addressField,
    spec.payload,
  );
}

// ---------------------------------------------------------------------------------------------
// IP

export interface Ipv4Spec {
  src?: string;
  dst?: string;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Fragment offset in bytes (must be a multiple of 8). */
  fragmentOffset?: number;
  /** Option bytes; padded with EOL to a multiple of 4. */
  options?: Uint8Array | number[];
  /** Overrides, for malformed packets. */
  totalLength?: number;
  ihl?: number;
  version?: number;
}

/** An IPv4 datagram (RFC 791 §3.1) with a correct header checksum. */
export function ipv4(spec: Ipv4Spec): Uint8Array {
  const rawOptions = Uint8Array.from(spec.options ?? []);
  const options = concat(rawOptions, new Uint8Array((4 - (rawOptions.length % 4)) % 4));
  const headerLength = 20 + options.length;
  const ihl = spec.ihl ?? headerLength / 4;
  const flags = (spec.dontFragment ? 0x4000 : 0) | (spec.moreFragments ? 0x2000 : 0) | (((spec.fragmentOffset ?? 0) / 8) & 0x1fff);
  const header = concat(
    [((spec.version ?? 4) << 4) | (ihl & 15), 0],
    be16(spec.totalLength ?? headerLength + spec.payload.length),
    be16(spec.id ?? 1),
    be16(flags),
    [spec.ttl ?? 64, spec.protocol, 0, 0],
    ipv4Bytes(spec.src ?? '192.0.2.1'),
    ipv4Bytes(spec.dst ?? '192.0.2.2'),
    options,
  );
  const sum = internetChecksum(header);
  header[10] = sum >>> 8;
  header[11] = sum & 255;
  return concat(header, spec.payload);
}

/**
 * Splits one IPv4 datagram into fragments of at most `size` payload bytes (a multiple of 8),
 * RFC 791 §3.2. `payload` is the whole upper-layer datagram, e.g. a `tcp()` result.
 */
export function ipv4Fragments(spec: Ipv4Spec, size: number): Uint8Array[] {
  if (size % 8 !== 0) throw new Error('fragment size must be a multiple of 8');
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < spec.payload.length; offset += size) {
    const chunk = spec.payload.subarray(offset, offset + size);
    out.push(ipv4({ ...spec, payload: chunk, fragmentOffset: offset, moreFragments: offset + size < spec.payload.length }));
  }
  return out;
}

/** One IPv6 extension header, for `ipv6({ extensions })`. The next-header field is filled in. */
export type Ipv6Extension =
  | { type: 0 | 43 | 60; body?: Uint8Array }
  | { type: 44; offset: number; more: boolean; id: number }
  | { type: 51; body?: Uint8Array }
  /** Anything, raw: the first byte (next header) is overwritten. */
  | { type: number; raw: Uint8Array };

export interface Ipv6Spec {
  src?: string;
  dst?: string;
  /** Protocol of `payload` (after the extension headers). */
  nextHeader: number;
  payload: Uint8Array;
  extensions?: Ipv6Extension[];
  hopLimit?: number;
  /** Overrides, for malformed packets. */
  payloadLength?: number;
  version?: number;
}

/** Encodes one extension header with `next` as its Next Header. */
export function ipv6Extension(ext: Ipv6Extension, next: number): Uint8Array {
  if ('raw' in ext) {
    const copy = Uint8Array.from(ext.raw);
    copy[0] = next;
    return copy;
  }
  if (ext.type === 44) {
    return concat([next, 0], be16((ext.offset & 0xfff8) | (ext.more ? 1 : 0)), be32(ext.id));
  }
  if (ext.type === 51) {
    // AH (RFC 4302 §2): SPI, sequence, ICV; length in 4-byte units minus 2.
    const body = ext.body ?? new Uint8Array(10);
    const total = 2 + body.length;
    if (total % 8 !== 0) throw new Error('AH body must make the header a multiple of 8 bytes');
    return concat([next, total / 4 - 2], body);
  }
  // Hop-by-Hop, Routing, Destination Options: length in 8-byte units minus 1; body padded.
  const body = ext.body ?? new Uint8Array(6);
  const padded = concat(body, new Uint8Array((8 - ((2 + body.length) % 8)) % 8));
  return concat([next, (2 + padded.length) / 8 - 1], padded);
}

/** An IPv6 packet (RFC 8200 §3) with optional extension headers chained in order. */
export function ipv6(spec: Ipv6Spec): Uint8Array {
  const exts = spec.extensions ?? [];
  const encoded: Uint8Array[] = [];
  for (let i = 0; i < exts.length; i++) {
    const next = i + 1 < exts.length ? exts[i + 1]!.type : spec.nextHeader;
    encoded.push(ipv6Extension(exts[i]!, next));
  }
  const body = concat(...encoded, spec.payload);
  const first = exts.length > 0 ? exts[0]!.type : spec.nextHeader;
  return concat(
    be32(((spec.version ?? 6) << 28) >>> 0),
    be16(spec.payloadLength ?? body.length),
    [first, spec.hopLimit ?? 64],
    ipv6Bytes(spec.src ?? '2001:db8::1'),
    ipv6Bytes(spec.dst ?? '2001:db8::2'),
    body,
  );
}

/**
 * Splits `spec.payload` into IPv6 fragments of at most `size` bytes (multiple of 8),
 * RFC 8200 §4.5. `spec.extensions` form the unfragmentable part, repeated in every fragment.
 */
export function ipv6Fragments(spec: Ipv6Spec, size: number, id: number): Uint8Array[] {
  if (size % 8 !== 0) throw new Error('fragment size must be a multiple of 8');
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < spec.payload.length; offset += size) {
    out.push(
      ipv6({
        ...spec,
        extensions: [...(spec.extensions ?? []), { type: 44, offset, more: offset + size < spec.payload.length, id }],
        payload: spec.payload.subarray(offset, offset + size),
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Transport

/** TCP option encoders (RFC 9293 §3.2, RFC 7323, RFC 2018). */
export const tcpOption = {
  eol: (): number[] => [0],
  nop: (): number[] => [1],
  mss: (v: number): number[] => [2, 4, ...be16(v)],
  windowScale: (shift: number): number[] => [3, 3, shift],
  sackPermitted: (): number[] => [4, 2],
  sack: (blocks: Array<[number, number]>): number[] => [5, 2 + 8 * blocks.length, ...blocks.flatMap(([l, r]) => [...be32(l), ...be32(r)])],
  timestamps: (value: number, echo: number): number[] => [8, 10, ...be32(value), ...be32(echo)],
  /** Any kind with any length byte, for malformed options. */
  raw: (kind: number, length: number, data: number[] = []): number[] => [kind, length, ...data],
};

export interface TcpSpec {
  srcPort?: number;
  dstPort?: number;
  seq?: number;
  ack?: number;
  /** 12-bit flags (see TcpFlag). Default ACK. */
  flags?: number;
  window?: number;
  urgentPointer?: number;
  /** Option bytes (e.g. from `tcpOption`), padded with EOL to a multiple of 4. */
  options?: number[] | Uint8Array;
  payload?: Uint8Array;
  /** Header length in bytes, overriding the computed one (must be a multiple of 4 to encode). */
  headerLength?: number;
  /** Addresses for the checksum pseudo-header (default: none, checksum left 0). */
  pseudo?: { src: string; dst: string };
}

/** A TCP segment (RFC 9293 §3.1). */
export function tcp(spec: TcpSpec = {}): Uint8Array {
  const raw = Uint8Array.from(spec.options ?? []);
  const options = concat(raw, new Uint8Array((4 - (raw.length % 4)) % 4));
  const headerLength = spec.headerLength ?? 20 + options.length;
  const flags = spec.flags ?? 0x010;
  const segment = concat(
    be16(spec.srcPort ?? 1025),
    be16(spec.dstPort ?? 21),
    be32(spec.seq ?? 1000),
    be32(spec.ack ?? 0),
    be16((((headerLength / 4) & 15) << 12) | (flags & 0x0fff)),
    be16(spec.window ?? 65535),
    [0, 0],
    be16(spec.urgentPointer ?? 0),
    options,
    spec.payload ?? new Uint8Array(0),
  );
  if (spec.pseudo) setTransportChecksum(segment, 16, spec.pseudo, PROTO_TCP);
  return segment;
}

export interface UdpSpec {
  srcPort?: number;
  dstPort?: number;
  payload: Uint8Array;
  /** Override for the length field. */
  length?: number;
  pseudo?: { src: string; dst: string };
}

/** A UDP datagram (RFC 768). */
export function udp(spec: UdpSpec): Uint8Array {
  const datagram = concat(be16(spec.srcPort ?? 40000), be16(spec.dstPort ?? 53), be16(spec.length ?? 8 + spec.payload.length), [0, 0], spec.payload);
  if (spec.pseudo) setTransportChecksum(datagram, 6, spec.pseudo, PROTO_UDP);
  return datagram;
}

function setTransportChecksum(segment: Uint8Array, at: number, pseudo: { src: string; dst: string }, protocol: number): void {
  const v6 = pseudo.src.includes(':');
  const header = v6
    ? concat(ipv6Bytes(pseudo.src), ipv6Bytes(pseudo.dst), be32(segment.length), [0, 0, 0, protocol])
    : concat(ipv4Bytes(pseudo.src), ipv4Bytes(pseudo.dst), [0, protocol], be16(segment.length));
  const sum = internetChecksum(header, segment) || 0xffff;
  segment[at] = sum >>> 8;
  segment[at + 1] = sum & 255;
}

// ---------------------------------------------------------------------------------------------
// DNS (RFC 1035 §4.1)

export type DnsRecordSpec =
  | { name: string; type: 'A'; ttl?: number; address: string }
  | { name: string; type: 'AAAA'; ttl?: number; address: string }
  | { name: string; type: 'CNAME' | 'PTR' | 'NS'; ttl?: number; target: string }
  | { name: string; type: 'MX'; ttl?: number; preference: number; target: string }
  | { name: string; type: 'TXT'; ttl?: number; strings: string[] }
  /** Any type code with raw RDATA. */
  | { name: string; type: number; ttl?: number; data: Uint8Array };

export interface DnsSpec {
  id?: number;
  response?: boolean;
  rcode?: number;
  questions?: Array<{ name: string; type: number }>;
  answers?: DnsRecordSpec[];
  /** Use compression pointers for names seen before (RFC 1035 §4.1.4), default true. */
  compress?: boolean;
}

const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, PTR: 12, MX: 15, TXT: 16, AAAA: 28 } as const;

/** A DNS message; names repeat via compression pointers unless `compress: false`. */
export function dnsMessage(spec: DnsSpec): Uint8Array {
  const compress = spec.compress ?? true;
  const bytes: number[] = [];
  const seen = new Map<string, number>();
  const writeName = (name: string): void => {
    const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      const at = seen.get(suffix);
      if (compress && at !== undefined) {
        bytes.push(0xc0 | (at >> 8), at & 255);
        return;
      }
      if (bytes.length < 0x3fff) seen.set(suffix, bytes.length);
      const label = text(labels[i]!);
      bytes.push(label.length, ...label);
    }
    bytes.push(0);
  };
  const flags = (spec.response ? 0x8000 : 0) | 0x0100 | (spec.response ? 0x0080 : 0) | ((spec.rcode ?? 0) & 15);
  const questions = spec.questions ?? [];
  const answers = spec.answers ?? [];
  bytes.push(...be16(spec.id ?? 0x1234), ...be16(flags), ...be16(questions.length), ...be16(answers.length), 0, 0, 0, 0);
  for (const q of questions) {
    writeName(q.name);
    bytes.push(...be16(q.type), 0, 1);
  }
  for (const a of answers) {
    writeName(a.name);
    const type = typeof a.type === 'number' ? a.type : DNS_TYPES[a.type];
    bytes.push(...be16(type), 0, 1, ...be32(a.ttl ?? 300));
    const lengthAt = bytes.length;
    bytes.push(0, 0);
    const start = bytes.length;
    if ('address' in a) bytes.push(...(a.type === 'A' ? ipv4Bytes(a.address) : ipv6Bytes(a.address)));
    else if ('preference' in a) {
      bytes.push(...be16(a.preference));
      writeName(a.target);
    } else if ('target' in a) writeName(a.target);
    else if ('strings' in a) for (const s of a.strings) bytes.push(s.length, ...text(s));
    else bytes.push(...a.data);
    const length = bytes.length - start;
    bytes[lengthAt] = length >> 8;
    bytes[lengthAt + 1] = length & 255;
  }
  return Uint8Array.from(bytes);
}

// ---------------------------------------------------------------------------------------------
// Frames

export interface FrameSpec {
  no?: number;
  linkType?: number;
  /** Capture time in seconds (fractions become tsNsec). */
  time?: number;
  /** Bytes on the wire, when the capture kept fewer (snap length). */
  originalLength?: number;
  /** Keep only this many bytes, as a snap length would (originalLength stays the full length). */
  snapLength?: number;
}

/** Wraps bytes in a Frame as the capture reader would hand it over. */
export function frameOf(data: Uint8Array, spec: FrameSpec = {}): Frame {
  const time = spec.time ?? 1_700_000_000;
  const kept = spec.snapLength !== undefined && spec.snapLength < data.length ? data.subarray(0, spec.snapLength) : data;
  const sec = Math.floor(time);
  return {
    no: spec.no ?? 1,
    tsSec: sec,
    tsNsec: Math.round((time - sec) * 1e9),
    capturedLength: kept.length,
    originalLength: spec.originalLength ?? data.length,
    linkType: spec.linkType ?? LINK.ETHERNET,
    interfaceId: 0,
    data: kept,
  };
}

/** Ethernet + IPv4 + TCP in one call, for the many tests that only vary TCP. */
export function ethIpv4Tcp(t: TcpSpec, ip: Partial<Ipv4Spec> = {}): Uint8Array {
  const src = ip.src ?? '192.0.2.1';
  const dst = ip.dst ?? '192.0.2.2';
  return ethernet({ etherType: ETH_IPV4, payload: ipv4({ src, dst, ...ip, protocol: PROTO_TCP, payload: tcp({ pseudo: { src, dst }, ...t }) }) });
}
