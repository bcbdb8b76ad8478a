/**
 * Builds pcap and pcapng captures in memory, so a test can make exactly the file it needs —
 * including broken ones — instead of hunting for a fixture.
 *
 *   const file = writePcap({ linkType: LINKTYPE.ETHERNET }, [{ tsSec: 1_700_000_000, tsNsec: 5_000, data }]);
 *
 *   const ng = writePcapng([{ blocks: [
 *     { type: 'idb', linkType: LINKTYPE.ETHERNET, tsresol: 9, name: 'eth0' },
 *     { type: 'epb', timestamp: timestampUnits(1_700_000_000, 123_456_789, 9), data },
 *   ] }]);
 *
 * Every field has a sensible default and every length field can be overridden to lie.
 * Formats: draft-ietf-opsawg-pcap (classic pcap) and draft-ietf-opsawg-pcapng.
 */

/** A few LINKTYPE_* values (draft-ietf-opsawg-pcaplinktype). */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

// ---------------------------------------------------------------- classic pcap

export interface PcapRecord {
  tsSec: number;
  /** Nanoseconds. In a microsecond file it must be a whole number of microseconds. Default 0. */
  tsNsec?: number;
  /** Raw value for the fraction field, overriding tsNsec (e.g. an out-of-range 1 500 000). */
  rawFraction?: number;
  data: Uint8Array;
  /** Original (on-the-wire) length. Default data.length. */
  originalLength?: number;
  /** Value written in the captured-length field. Default data.length; set it to make the record lie. */
  capturedLength?: number;
}

export interface PcapOptions {
  /** Default 1 (Ethernet). */
  linkType?: number;
  /** Nanosecond magic 0xA1B23C4D instead of 0xA1B2C3D4. */
  nanos?: boolean;
  bigEndian?: boolean;
  /** Default 262144. */
  snaplen?: number;
  /** Default [2, 4]. */
  version?: [number, number];
  /** FCS bytes per packet (an even number up to 30): sets the P bit and the FCS-length bits. */
  fcsLength?: number;
  /** The raw 32-bit LinkType-and-additional-information field; overrides linkType and fcsLength. */
  linkTypeField?: number;
  /**
   * Write each record's lengths in the pre-2.3 order (original, then captured).
   * Default: true for versions 2.0–2.2 and 543.x, which is how libpcap and Wireshark read those.
   */
  preV23LengthOrder?: boolean;
}

/** A classic pcap file: the 24-byte header and one 16-byte-header record per entry. */
export function writePcap(options: PcapOptions, records: readonly PcapRecord[]): Buffer {
  const out = new ByteWriter(!options.bigEndian);
  const [major, minor] = options.version ?? [2, 4];
  const oldOrder = options.preV23LengthOrder ?? ((major === 2 && minor < 3) || major === 543);
  out.u32(options.nanos ? 0xa1b23c4d : 0xa1b2c3d4);
  out.u16(major);
  out.u16(minor);
  out.u32(0); // reserved1 (was "thiszone")
  out.u32(0); // reserved2 (was "sigfigs")
  out.u32(options.snaplen ?? 262_144);
  out.u32(options.linkTypeField ?? linkTypeField(options.linkType ?? LINKTYPE.ETHERNET, options.fcsLength));
  for (const r of records) {
    let fraction = r.rawFraction;
    if (fraction === undefined) {
      const ns = r.tsNsec ?? 0;
      if (!options.nanos && ns % 1000 !== 0) throw new Error(`writePcap: ${ns} ns is not a whole number of microseconds`);
      fraction = options.nanos ? ns : ns / 1000;
    }
    const captured = r.capturedLength ?? r.data.length;
    const original = r.originalLength ?? r.data.length;
    out.u32(r.tsSec);
    out.u32(fraction);
    out.u32(oldOrder ? original : captured);
    out.u32(oldOrder ? captured : original);
    out.bytes(r.data);
  }
  return out.toBuffer();
}

function linkTypeField(linkType: number, fcsLength: number | undefined): number {
  if (fcsLength === undefined) return linkType;
  if (fcsLength % 2 !== 0 || fcsLength < 0 || fcsLength > 30) throw new Error(`writePcap: FCS length ${fcsLength} is not an even number of bytes up to 30`);
  // draft-ietf-opsawg-pcap §4: FCS length in 16-bit words in the top 4 bits, P bit below them.
  return ((((fcsLength / 2) << 28) | 0x0400_0000 | (linkType & 0xffff)) >>> 0);
}

// ---------------------------------------------------------------- pcapng

export interface PcapngOption {
  code: number;
  /** Strings are written as UTF-8. */
  value: Uint8Array | string;
  /**
   * For custom options (codes 2988, 2989, 19372, 19373): the Private Enterprise Number,
   * written before `value` in the section's byte order (§3.5.1).
   */
  pen?: number;
  /** Value written in the option's length field instead of the real one. */
  declaredLength?: number;
}

export interface PcapngInterfaceSpec {
  /** Default 1 (Ethernet). */
  linkType?: number;
  /** Default 0 (no limit). */
  snaplen?: number;
  /** if_name. */
  name?: string;
  /** The if_tsresol byte: n for 10^-n, 0x80 | n for 2^-n. Absent by default (microseconds). */
  tsresol?: number;
  /** if_tsoffset, in seconds. */
  tsoffset?: number | bigint;
  /** if_fcslen, in bits. */
  fcsLength?: number;
  /** More options, written after the ones above. */
  options?: PcapngOption[];
  /** Write opt_endofopt after the options (default true). */
  endOfOptions?: boolean;
}

export type PcapngBlock =
  | ({ type: 'idb' } & PcapngInterfaceSpec)
  | {
      type: 'epb';
      /** Default 0. */
      interfaceId?: number;
      /** Timestamp in the interface's units (see timestampUnits). */
      timestamp: bigint | number;
      data: Uint8Array;
      /** Default data.length. */
      originalLength?: number;
      /** Captured-length field; default data.length. */
      capturedLength?: number;
      options?: PcapngOption[];
    }
  | {
      /** The obsolete Packet Block (type 2, Appendix A). */
      type: 'opb';
      interfaceId?: number;
      dropsCount?: number;
      timestamp: bigint | number;
      data: Uint8Array;
      originalLength?: number;
      capturedLength?: number;
      options?: PcapngOption[];
    }
  | {
      /** Simple Packet Block (§4.4): `data` is what is stored, originalLength defaults to its length. */
      type: 'spb';
      data: Uint8Array;
      originalLength?: number;
    }
  | { type: 'isb'; interfaceId?: number; timestamp?: bigint | number; options?: PcapngOption[] }
  | {
      /** Custom Block (§4.8), type 0x00000BAD (copyable) or 0x40000BAD. */
      type: 'custom';
      pen: number;
      data: Uint8Array;
      copyable?: boolean;
    }
  | {
      /** Any block, body as given (padded to 4). The length fields can lie. */
      type: 'raw';
      blockType: number;
      body: Uint8Array;
      totalLength?: number;
      trailerLength?: number;
    };

export interface PcapngSection {
  bigEndian?: boolean;
  /** Default [1, 0]. */
  version?: [number, number];
  /** Default -1 (not specified). */
  sectionLength?: bigint;
  /** SHB options, e.g. { code: 4, value: 'my-app' } for shb_userappl. */
  options?: PcapngOption[];
  blocks: PcapngBlock[];
}

/** A pcapng file: one SHB per section, then that section's blocks in order. */
export function writePcapng(sections: readonly PcapngSection[]): Buffer {
  const parts: Buffer[] = [];
  for (const section of sections) {
    const le = !section.bigEndian;
    const [major, minor] = section.version ?? [1, 0];
    const shb = new ByteWriter(le);
    shb.u32(0x1a2b3c4d);
    shb.u16(major);
    shb.u16(minor);
    shb.i64(section.sectionLength ?? -1n);
    writeOptions(shb, section.options ?? [], true);
    parts.push(block(le, 0x0a0d0d0a, shb.toBuffer()));
    for (const b of section.blocks) parts.push(writeBlock(le, b));
  }
  return Buffer.concat(parts);
}

/**
 * A timestamp in the units of an interface: (tsSec - tsoffset) seconds plus tsNsec nanoseconds,
 * counted in 10^-n (or 2^-n when tsresol has the high bit) seconds, rounded down.
 */
export function timestampUnits(tsSec: number | bigint, tsNsec = 0, tsresol = 6, tsoffset: number | bigint = 0): bigint {
  const exponent = BigInt(tsresol & 0x7f);
  const units = tsresol & 0x80 ? 1n << exponent : 10n ** exponent;
  return (BigInt(tsSec) - BigInt(tsoffset)) * units + (BigInt(tsNsec) * units) / 1_000_000_000n;
}

function writeBlock(le: boolean, b: PcapngBlock): Buffer {
  switch (b.type) {
    case 'idb': {
      const w = new ByteWriter(le);
      w.u16(b.linkType ?? LINKTYPE.ETHERNET);
      w.u16(0);
      w.u32(b.snaplen ?? 0);
      const options: PcapngOption[] = [];
      if (b.name !== undefined) options.push({ code: 2, value: b.name });
      if (b.tsresol !== undefined) options.push({ code: 9, value: Uint8Array.of(b.tsresol) });
      if (b.fcsLength !== undefined) options.push({ code: 13, value: Uint8Array.of(b.fcsLength) });
      if (b.tsoffset !== undefined) {
        const v = new ByteWriter(le);
        v.i64(BigInt(b.tsoffset));
        options.push({ code: 14, value: v.toBuffer() });
      }
      options.push(...(b.options ?? []));
      writeOptions(w, options, b.endOfOptions ?? true);
      return block(le, 1, w.toBuffer());
    }
    case 'epb':
    case 'opb': {
      const w = new ByteWriter(le);
      if (b.type === 'epb') {
        w.u32(b.interfaceId ?? 0);
      } else {
        w.u16(b.interfaceId ?? 0);
        w.u16(b.dropsCount ?? 0);
      }
      const ts = timestamp64(b.timestamp);
      w.u32(Number(ts >> 32n));
      w.u32(Number(ts & 0xffff_ffffn));
      w.u32(b.capturedLength ?? b.data.length);
      w.u32(b.originalLength ?? b.data.length);
      w.bytes(b.data);
      w.pad();
      writeOptions(w, b.options ?? [], true);
      return block(le, b.type === 'epb' ? 6 : 2, w.toBuffer());
    }
    case 'spb': {
      const w = new ByteWriter(le);
      w.u32(b.originalLength ?? b.data.length);
      w.bytes(b.data);
      return block(le, 3, w.toBuffer());
    }
    case 'isb': {
      const w = new ByteWriter(le);
      w.u32(b.interfaceId ?? 0);
      const ts = timestamp64(b.timestamp ?? 0);
      w.u32(Number(ts >> 32n));
      w.u32(Number(ts & 0xffff_ffffn));
      writeOptions(w, b.options ?? [], true);
      return block(le, 5, w.toBuffer());
    }
    case 'custom': {
      const w = new ByteWriter(le);
      w.u32(b.pen);
      w.bytes(b.data);
      return block(le, b.copyable === false ? 0x4000_0bad : 0x0000_0bad, w.toBuffer());
    }
    case 'raw':
      return block(le, b.blockType, Buffer.from(b.body), b.totalLength, b.trailerLength);
  }
}

function timestamp64(value: bigint | number): bigint {
  const ts = BigInt(value);
  if (ts < 0n || ts >= 1n << 64n) throw new Error(`writePcapng: timestamp ${ts} does not fit in 64 bits`);
  return ts;
}

/** §3.1: type, total length, body padded to 32 bits, total length again. */
function block(le: boolean, type: number, body: Buffer, totalLength?: number, trailerLength?: number): Buffer {
  const w = new ByteWriter(le);
  const length = 12 + ((body.length + 3) & ~3);
  w.u32(type);
  w.u32(totalLength ?? length);
  w.bytes(body);
  w.pad();
  w.u32(trailerLength ?? totalLength ?? length);
  return w.toBuffer();
}

/** §3.5: code, length, value padded to 32 bits; opt_endofopt last. */
function writeOptions(w: ByteWriter, options: readonly PcapngOption[], endOfOptions: boolean): void {
  if (options.length === 0) return;
  for (const o of options) {
    const value = typeof o.value === 'string' ? Buffer.from(o.value, 'utf8') : Buffer.from(o.value);
    const length = value.length + (o.pen === undefined ? 0 : 4);
    w.u16(o.code);
    w.u16(o.declaredLength ?? length);
    if (o.pen !== undefined) w.u32(o.pen);
    w.bytes(value);
    w.pad();
  }
  if (endOfOptions) {
    w.u16(0);
    w.u16(0);
  }
}

/** Appends numbers in one byte order. */
class ByteWriter {
  readonly #le: boolean;
  readonly #parts: Buffer[] = [];
  #length = 0;

  constructor(littleEndian: boolean) {
    this.#le = littleEndian;
  }

  u16(v: number): void {
    const b = Buffer.alloc(2);
    if (this.#le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    this.#push(b);
  }

  u32(v: number): void {
    const b = Buffer.alloc(4);
    if (this.#le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    this.#push(b);
  }

  i64(v: bigint): void {
    const b = Buffer.alloc(8);
    if (this.#le) b.writeBigInt64LE(v);
    else b.writeBigInt64BE(v);
    this.#push(b);
  }

  bytes(v: Uint8Array): void {
    this.#push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  }

  /** Zero bytes up to the next multiple of 4. */
  pad(): void {
    const n = (4 - (this.#length % 4)) % 4;
    if (n > 0) this.#push(Buffer.alloc(n));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts, this.#length);
  }

  #push(b: Buffer): void {
    this.#parts.push(b);
    this.#length += b.length;
  }
}
