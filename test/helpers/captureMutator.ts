/**
 * Seeded mutations of real captures for the pipeline fuzzer (test/fuzz/pipeline.fuzz.test.ts).
 *
 * A capture is first split into its records (pcap record headers, pcapng blocks), so the
 * mutations can aim at the places where a reader or decoder trusts a number: record and block
 * lengths, and inside the packets the IPv4 total length and IHL, the IPv6 payload length and the
 * TCP data offset. Besides those: bit flips, byte overwrites, truncations, and whole records
 * duplicated, reordered or dropped (what a confused capture tool or a replayed packet makes).
 *
 *   const m = mutateCapture(bytes, seededRandom(seed));  // m.bytes, m.steps (what was done)
 *
 * The same bytes and seed always give the same mutant.
 */

/** One record of a capture: where it sits and, for packets, where its packet data starts. */
export interface CaptureRecord {
  offset: number;
  length: number;
  /** pcapng block type, or -1 for a classic pcap record. */
  blockType: number;
  /** Offset of the captured-length field (u32), for packet records. */
  capturedLengthAt?: number;
  /** Offset of the original-length field (u32), for packet records. */
  originalLengthAt?: number;
  /** Offset and length of the packet bytes, for packet records. */
  dataAt?: number;
  dataLength?: number;
  /** Link type of the packet. */
  linkType?: number;
}

export interface CaptureLayout {
  format: 'pcap' | 'pcapng';
  littleEndian: boolean;
  /** Bytes before the first record (pcap's file header; 0 for pcapng). */
  headerLength: number;
  records: CaptureRecord[];
}

/** Splits a pcap or pcapng file into records; undefined for anything else. Stops at the first damage. */
export function captureLayout(bytes: Uint8Array): CaptureLayout | undefined {
  if (bytes.length < 24) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = view.getUint32(0, true);
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d || view.getUint32(0, false) === 0xa1b2c3d4 || view.getUint32(0, false) === 0xa1b23c4d) {
    const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
    const linkType = view.getUint32(20, le) & 0x0fffffff;
    const records: CaptureRecord[] = [];
    for (let at = 24; at + 16 <= bytes.length;) {
      const caplen = view.getUint32(at + 8, le);
      if (at + 16 + caplen > bytes.length) break;
      records.push({ offset: at, length: 16 + caplen, blockType: -1, capturedLengthAt: at + 8, originalLengthAt: at + 12, dataAt: at + 16, dataLength: caplen, linkType });
      at += 16 + caplen;
    }
    return { format: 'pcap', littleEndian: le, headerLength: 24, records };
  }
  if (magicLe !== 0x0a0d0d0a) return undefined;
  const records: CaptureRecord[] = [];
  let le = true;
  const linkTypes: number[] = [];
  for (let at = 0; at + 12 <= bytes.length;) {
    let type = view.getUint32(at, le);
    if (view.getUint32(at, true) === 0x0a0d0d0a) {
      le = view.getUint32(at + 8, true) === 0x1a2b3c4d;
      type = 0x0a0d0d0a;
      linkTypes.length = 0;
    }
    const length = view.getUint32(at + 4, le);
    if (length < 12 || length % 4 !== 0 || at + length > bytes.length) break;
    const r: CaptureRecord = { offset: at, length, blockType: type };
    if (type === 1 && length >= 20) linkTypes.push(view.getUint16(at + 8, le));
    if ((type === 6 || type === 2) && length >= 32) {
      const caplen = view.getUint32(at + 20, le);
      r.capturedLengthAt = at + 20;
      r.originalLengthAt = at + 24;
      r.dataAt = at + 28;
      r.dataLength = Math.min(caplen, length - 32);
      r.linkType = linkTypes[type === 6 ? view.getUint32(at + 8, le) : view.getUint16(at + 8, le)] ?? 1;
    }
    records.push(r);
    at += length;
  }
  return { format: 'pcapng', littleEndian: le, headerLength: 0, records };
}

/** Where the network layer starts in a packet of a link type, or -1 when unknown. */
export function networkOffset(linkType: number, data: Uint8Array, at: number, length: number): number {
  const u16 = (o: number) => (o + 2 <= at + length ? (data[o]! << 8) | data[o + 1]! : -1);
  switch (linkType) {
    case 1: {
      let o = at + 12;
      let type = u16(o);
      while (type === 0x8100 || type === 0x88a8) {
        o += 4;
        type = u16(o);
      }
      return type === 0x0800 || type === 0x86dd ? o + 2 : -1;
    }
    case 113:
      return at + 16;
    case 276:
      return at + 20;
    case 0:
    case 108:
      return at + 4;
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      return at;
    default:
      return -1;
  }
}

/** The header fields of one packet that carry a length, as [offset, size in bytes, name, width in bits, bit shift]. */
interface LengthField {
  at: number;
  bytes: 1 | 2 | 4;
  name: string;
  /** For nibbles: mask and shift within the byte. */
  mask?: number;
  shift?: number;
}

function packetLengthFields(bytes: Uint8Array, r: CaptureRecord): LengthField[] {
  const out: LengthField[] = [];
  if (r.dataAt === undefined || r.dataLength === undefined || r.linkType === undefined) return out;
  const end = r.dataAt + r.dataLength;
  const ip = networkOffset(r.linkType, bytes, r.dataAt, r.dataLength);
  if (ip < 0 || ip >= end) return out;
  const version = bytes[ip]! >> 4;
  let tcpAt = -1;
  if (version === 4 && ip + 20 <= end) {
    out.push({ at: ip, bytes: 1, name: 'IPv4 IHL', mask: 0x0f, shift: 0 });
    out.push({ at: ip + 2, bytes: 2, name: 'IPv4 total length' });
    out.push({ at: ip + 6, bytes: 2, name: 'IPv4 flags and fragment offset' });
    if (bytes[ip + 9] === 6) tcpAt = ip + (bytes[ip]! & 0x0f) * 4;
  } else if (version === 6 && ip + 40 <= end) {
    out.push({ at: ip + 4, bytes: 2, name: 'IPv6 payload length' });
    out.push({ at: ip + 6, bytes: 1, name: 'IPv6 next header' });
    if (bytes[ip + 6] === 6) tcpAt = ip + 40;
  }
  if (tcpAt >= 0 && tcpAt + 20 <= end) {
    out.push({ at: tcpAt + 12, bytes: 1, name: 'TCP data offset', mask: 0xf0, shift: 4 });
    out.push({ at: tcpAt + 4, bytes: 4, name: 'TCP sequence number' });
    out.push({ at: tcpAt + 13, bytes: 1, name: 'TCP flags' });
    // The first option's length byte, when there are options.
    if ((bytes[tcpAt + 12]! >> 4) > 5 && tcpAt + 22 <= end) out.push({ at: tcpAt + 21, bytes: 1, name: 'TCP first option length' });
  }
  return out;
}

export interface Mutant {
  bytes: Uint8Array;
  /** What was done, in order: for the failure message. */
  steps: string[];
}

type Random = () => number;

const int = (random: Random, n: number): number => Math.floor(random() * n);

/** Values a length field is set to: the edges a parser must survive. */
function extremeValue(random: Random, bits: number, current: number): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const choices = [0, 1, max, max - 1, current + 1, current - 1, current * 2, Math.floor(current / 2), 0x7fffffff, 0x80000000, 65535, 65536, 16, 20, int(random, max + 1)];
  const v = choices[int(random, choices.length)]!;
  return Math.max(0, Math.min(max, v >>> 0));
}

function writeUint(bytes: Uint8Array, at: number, size: 1 | 2 | 4, value: number, littleEndian: boolean): void {
  if (at + size > bytes.length) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size === 1) view.setUint8(at, value & 0xff);
  else if (size === 2) view.setUint16(at, value & 0xffff, littleEndian);
  else view.setUint32(at, value >>> 0, littleEndian);
}

function readUint(bytes: Uint8Array, at: number, size: 1 | 2 | 4, littleEndian: boolean): number {
  if (at + size > bytes.length) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return size === 1 ? view.getUint8(at) : size === 2 ? view.getUint16(at, littleEndian) : view.getUint32(at, littleEndian);
}

/** Rebuilds the file from its header and a new list of record byte ranges. */
function rebuild(bytes: Uint8Array, layout: CaptureLayout, records: CaptureRecord[]): Uint8Array {
  const lastEnd = layout.records.length ? layout.records[layout.records.length - 1]!.offset + layout.records[layout.records.length - 1]!.length : layout.headerLength;
  const trailer = bytes.subarray(lastEnd);
  const total = layout.headerLength + records.reduce((n, r) => n + r.length, 0) + trailer.length;
  const out = new Uint8Array(total);
  out.set(bytes.subarray(0, layout.headerLength), 0);
  let at = layout.headerLength;
  for (const r of records) {
    out.set(bytes.subarray(r.offset, r.offset + r.length), at);
    at += r.length;
  }
  out.set(trailer, at);
  return out;
}

/** Packet records only (pcapng: EPB/OPB; their section and interface blocks stay put). */
function packetIndexes(layout: CaptureLayout): number[] {
  const out: number[] = [];
  layout.records.forEach((r, i) => {
    if (r.dataAt !== undefined) out.push(i);
  });
  return out;
}

/** One mutation step, applied in place or by rebuilding; returns the new bytes and its description. */
function mutateOnce(input: Uint8Array, random: Random): { bytes: Uint8Array; step: string } {
  const layout = captureLayout(input);
  const kinds = layout && layout.records.length > 0
    ? ['bitflip', 'bytes', 'truncate', 'record-length', 'packet-length', 'packet-length', 'duplicate', 'reorder', 'drop', 'splice-garbage']
    : ['bitflip', 'bytes', 'truncate'];
  const kind = kinds[int(random, kinds.length)]!;
  const bytes = Uint8Array.from(input);
  switch (kind) {
    case 'bitflip': {
      const n = 1 + int(random, 16);
      const at: number[] = [];
      for (let i = 0; i < n && bytes.length > 0; i++) {
        const p = int(random, bytes.length);
        bytes[p]! ^= 1 << int(random, 8);
        at.push(p);
      }
      return { bytes, step: `flipped a bit at ${at.join(',')}` };
    }
    case 'bytes': {
      const n = 1 + int(random, 8);
      const at: number[] = [];
      for (let i = 0; i < n && bytes.length > 0; i++) {
        const p = int(random, bytes.length);
        bytes[p] = [0, 0xff, 0x7f, 0x80, int(random, 256)][int(random, 5)]!;
        at.push(p);
      }
      return { bytes, step: `overwrote bytes at ${at.join(',')}` };
    }
    case 'truncate': {
      const cut = int(random, bytes.length + 1);
      return { bytes: bytes.subarray(0, cut), step: `cut at byte ${cut}` };
    }
    case 'record-length': {
      const l = layout!;
      const r = l.records[int(random, l.records.length)]!;
      const fields: Array<[number, string]> = [];
      if (r.capturedLengthAt !== undefined) fields.push([r.capturedLengthAt, 'captured length'], [r.originalLengthAt!, 'original length']);
      if (l.format === 'pcapng') fields.push([r.offset + 4, 'block length'], [r.offset + r.length - 4, 'trailing block length']);
      if (r.blockType === 6) fields.push([r.offset + 8, 'interface id']);
      if (r.blockType === 1) fields.push([r.offset + 8, 'link type and reserved']);
      const [at, name] = fields[int(random, fields.length)]!;
      const value = extremeValue(random, 32, readUint(bytes, at, 4, l.littleEndian));
      writeUint(bytes, at, 4, value, l.littleEndian);
      return { bytes, step: `${name} of the record at byte ${r.offset} set to ${value}` };
    }
    case 'packet-length': {
      const l = layout!;
      const packets = packetIndexes(l);
      if (packets.length === 0) return { bytes, step: 'no packet to change' };
      const r = l.records[packets[int(random, packets.length)]!]!;
      const fields = packetLengthFields(bytes, r);
      if (fields.length === 0) return { bytes, step: `no IP/TCP header in the record at byte ${r.offset}` };
      const f = fields[int(random, fields.length)]!;
      if (f.mask !== undefined) {
        const nibble = [0, 1, 4, 5, 15, int(random, 16)][int(random, 6)]!;
        bytes[f.at] = (bytes[f.at]! & ~f.mask) | ((nibble << f.shift!) & f.mask);
        return { bytes, step: `${f.name} at byte ${f.at} set to ${nibble}` };
      }
      const value = extremeValue(random, f.bytes * 8, readUint(bytes, f.at, f.bytes, false));
      writeUint(bytes, f.at, f.bytes, value, false);
      return { bytes, step: `${f.name} at byte ${f.at} set to ${value}` };
    }
    case 'duplicate': {
      const l = layout!;
      const records = [...l.records];
      const from = int(random, records.length);
      const count = 1 + int(random, Math.min(8, records.length - from));
      const copies = 1 + int(random, 3);
      const to = int(random, records.length + 1);
      const run = records.slice(from, from + count);
      records.splice(to, 0, ...Array.from({ length: copies }, () => run).flat());
      return { bytes: rebuild(input, l, records), step: `records ${from}..${from + count - 1} copied ${copies}× to position ${to}` };
    }
    case 'reorder': {
      const l = layout!;
      const records = [...l.records];
      const start = int(random, records.length);
      const span = Math.min(records.length - start, 2 + int(random, 12));
      const window = records.slice(start, start + span);
      for (let i = window.length - 1; i > 0; i--) {
        const j = int(random, i + 1);
        [window[i], window[j]] = [window[j]!, window[i]!];
      }
      records.splice(start, span, ...window);
      return { bytes: rebuild(input, l, records), step: `records ${start}..${start + span - 1} shuffled` };
    }
    case 'drop': {
      const l = layout!;
      const records = [...l.records];
      const from = int(random, records.length);
      const count = 1 + int(random, Math.min(6, records.length - from));
      records.splice(from, count);
      return { bytes: rebuild(input, l, records), step: `records ${from}..${from + count - 1} dropped` };
    }
    case 'splice-garbage': {
      const l = layout!;
      const r = l.records[int(random, l.records.length)]!;
      const at = r.offset + int(random, r.length);
      const garbage = Uint8Array.from({ length: 1 + int(random, 64) }, () => int(random, 256));
      const out = new Uint8Array(bytes.length + garbage.length);
      out.set(bytes.subarray(0, at), 0);
      out.set(garbage, at);
      out.set(bytes.subarray(at), at + garbage.length);
      return { bytes: out, step: `${garbage.length} random bytes inserted at byte ${at}` };
    }
    default:
      throw new Error(`unknown mutation ${kind}`);
  }
}

/** One to four mutation steps on a copy of `input`. */
export function mutateCapture(input: Uint8Array, random: Random): Mutant {
  const steps: string[] = [];
  let bytes = input;
  const n = 1 + int(random, 4);
  for (let i = 0; i < n; i++) {
    const r = mutateOnce(bytes, random);
    bytes = r.bytes;
    steps.push(r.step);
  }
  return { bytes, steps };
}
