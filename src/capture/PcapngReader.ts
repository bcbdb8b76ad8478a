import type { PcapngInfo, PcapngInterface, ResolvedReaderOptions } from './CaptureInfo.js';
import { captureFormatError, describeBytes, hex32 } from './errors.js';
import type { FormatReader, ReaderContext } from './FormatReader.js';
import type { Frame } from './Frame.js';
import { frameView, type StreamBuffer } from './StreamBuffer.js';
import { TimestampScale } from './TimestampScale.js';
import type { WarningLog } from './WarningLog.js';

// Block types, draft-ietf-opsawg-pcapng §10.1 and Appendix A.
const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const OPB = 0x00000002;
const SPB = 0x00000003;
const EPB = 0x00000006;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;

/** Type, total length, and the repeated total length at the end (§3.1). */
const BLOCK_OVERHEAD = 12;
// Smallest legal block of each type: overhead plus the fixed fields.
const MIN_SHB = 28;
const MIN_IDB = 20;
const MIN_EPB = 32;
const MIN_OPB = 32;
const MIN_SPB = 16;

// IDB option codes, §4.2.
const OPT_ENDOFOPT = 0;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;
/** if_tsresol when absent: microseconds. */
const DEFAULT_TSRESOL = 6;

const utf8 = new TextDecoder('utf-8');

/** What a packet block needs to know about its interface. */
interface InterfaceState {
  linkType: number;
  snaplen: number;
  scale: TimestampScale;
  tsoffset: number;
}

/**
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of sections, each a Section Header Block
 * followed by blocks in that section's byte order.
 *
 * Damage is handled by how far the block framing can still be trusted. A block whose length
 * is impossible (not a multiple of 4, under 12, over the limit) or whose trailing length
 * disagrees leaves no reliable way to find the next block, so reading stops there. A block
 * that is framed correctly but whose content is wrong (a packet bigger than its block, an
 * unknown interface) is skipped with a warning and reading goes on after it.
 */
export class PcapngReader implements FormatReader {
  info: PcapngInfo | undefined;

  readonly #buf: StreamBuffer;
  readonly #log: WarningLog;
  readonly #options: ResolvedReaderOptions;
  #littleEndian = true;
  #section = -1;
  #interfaces: InterfaceState[] = [];
  /** The current section has a major version we cannot read; skip its blocks (§3.4). */
  #skipSection = false;
  #warnedInterfaceLimit = false;
  #frames = 0;
  #stopped = false;
  // A block being skipped without buffering it: body bytes still to discard, then the trailer.
  #skipLeft = 0;
  #trailerPending = false;
  #skipLength = 0;
  #skipOffset = 0;
  // What the input lacked when it ran dry, for the truncation warning.
  #need = BLOCK_OVERHEAD;
  #needKnown = false;

  constructor(context: ReaderContext) {
    this.#buf = context.buffer;
    this.#log = context.log;
    this.#options = context.options;
  }

  get frames(): number {
    return this.#frames;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  next(): Frame | undefined {
    const buf = this.#buf;
    for (;;) {
      if (this.#stopped) return undefined;
      if (this.#skipLeft > 0) {
        this.#skipLeft -= buf.skip(this.#skipLeft);
        if (this.#skipLeft > 0) return undefined;
      }
      if (this.#trailerPending) {
        if (!buf.ensure(4)) return undefined;
        const trailer = buf.view.getUint32(buf.pos, this.#littleEndian);
        if (trailer !== this.#skipLength) {
          this.#stopAt(this.#skipOffset, `block trailer says ${trailer} bytes but the block header said ${this.#skipLength}; reading stopped`);
          return undefined;
        }
        buf.pos += 4;
        this.#trailerPending = false;
      }

      if (!buf.ensure(BLOCK_OVERHEAD)) return this.#starve(BLOCK_OVERHEAD, false);
      let view = buf.view;
      let p = buf.pos;
      const type = view.getUint32(p, this.#littleEndian);
      if (type === SHB) {
        if (!this.#readSectionHeader()) return undefined;
        continue;
      }
      if (this.info === undefined) {
        throw captureFormatError(this.#options.name, `not a pcapng file (starts with ${describeBytes(buf.bytes.subarray(p, p + 4))})`);
      }
      const length = view.getUint32(p + 4, this.#littleEndian);
      if (!this.#framingOk(length)) return undefined;

      const minimum = type === EPB ? MIN_EPB : type === SPB ? MIN_SPB : type === OPB ? MIN_OPB : type === IDB ? MIN_IDB : 0;
      if (minimum === 0 || this.#skipSection || length < minimum) {
        if (minimum !== 0 && !this.#skipSection) {
          // A damaged packet block still takes its frame number, so later numbers keep
          // counting packet blocks in file order.
          const no = type === IDB ? this.#frames + 1 : ++this.#frames;
          this.#log.add(no, buf.offset, `block of type ${type} is ${length} bytes, shorter than the ${minimum} its fields need; skipped`);
        }
        this.#beginSkip(length);
        continue;
      }

      if (!buf.ensure(length)) return this.#starve(length, true);
      view = buf.view;
      p = buf.pos;
      const trailer = view.getUint32(p + length - 4, this.#littleEndian);
      if (trailer !== length) {
        this.#stopAt(buf.offset, `block trailer says ${trailer} bytes but the block header said ${length}; reading stopped`);
        return undefined;
      }
      let frame: Frame | undefined;
      if (type === EPB || type === OPB) frame = this.#packetBlock(type, p, length);
      else if (type === SPB) frame = this.#simplePacketBlock(p, length);
      else this.#interfaceBlock(p, length);
      buf.pos = p + length;
      if (frame !== undefined) return frame;
    }
  }

  finish(): void {
    const buf = this.#buf;
    const pending = buf.pending;
    if (this.info === undefined) {
      const of = this.#needKnown ? `${this.#need}` : `at least ${MIN_SHB}`;
      throw captureFormatError(this.#options.name, `truncated pcapng section header block: ${pending} of ${of} bytes`);
    }
    if (this.#stopped) return;
    if (this.#skipLeft > 0 || this.#trailerPending) {
      const have = this.#skipLength - 4 - this.#skipLeft + (this.#skipLeft > 0 ? 0 : pending);
      this.#log.add(this.#frames + 1, this.#skipOffset, `truncated last record: ${have} of ${this.#skipLength} bytes`);
      return;
    }
    if (pending === 0) return;
    const of = this.#needKnown ? `${this.#need}` : `at least ${this.#need}`;
    this.#log.add(this.#frames + 1, buf.offset, `truncated last record: ${pending} of ${of} bytes`);
  }

  /** Reads an SHB at `pos` (12 bytes are there). False when the input ran dry or reading ended. */
  #readSectionHeader(): boolean {
    const buf = this.#buf;
    const first = this.info === undefined;
    let view = buf.view;
    let p = buf.pos;
    const offset = buf.offset;
    // The block type is a palindrome, so it reads the same in either byte order; the byte-order
    // magic that follows tells which order the rest of the section uses (§4.1).
    const magic = view.getUint32(p + 8, true);
    let le: boolean;
    if (magic === BYTE_ORDER_MAGIC) le = true;
    else if (magic === BYTE_ORDER_MAGIC_SWAPPED) le = false;
    else return this.#badSection(first, offset, `section header block has byte-order magic ${hex32(magic)}, expected 0x1a2b3c4d`);

    const length = view.getUint32(p + 4, le);
    if (length % 4 !== 0 || length < MIN_SHB || length > this.#options.maxBlockBytes) {
      return this.#badSection(first, offset, `section header block length ${length} is impossible (a multiple of 4 from ${MIN_SHB} to ${this.#options.maxBlockBytes} expected)`);
    }
    if (!buf.ensure(length)) {
      this.#starve(length, true);
      return false;
    }
    view = buf.view;
    p = buf.pos;
    const trailer = view.getUint32(p + length - 4, le);
    if (trailer !== length) {
      return this.#badSection(first, offset, `section header block trailer says ${trailer} bytes but its header said ${length}`);
    }
    const versionMajor = view.getUint16(p + 12, le);
    const versionMinor = view.getUint16(p + 14, le);
    buf.pos = p + length;

    this.#littleEndian = le;
    this.#section++;
    this.#interfaces = [];
    this.#warnedInterfaceLimit = false;
    this.#skipSection = versionMajor !== 1;
    if (this.#skipSection) {
      this.#log.add(this.#frames + 1, offset, `section ${this.#section} has pcapng version ${versionMajor}.${versionMinor}, which cannot be read; its blocks are skipped`);
    } else if (versionMinor !== 0 && versionMinor !== 2) {
      // §4.1: minor version 2 is to be read as 0; anything else is unknown but probably close.
      this.#log.add(this.#frames + 1, offset, `section ${this.#section} has pcapng version 1.${versionMinor} (expected 1.0); reading it anyway`);
    }
    const info = (this.info ??= { format: 'pcapng', sections: [], interfaces: [] });
    if (info.sections.length < this.#options.maxInterfaces) {
      info.sections.push({ index: this.#section, offset, byteOrder: le ? 'little-endian' : 'big-endian', versionMajor, versionMinor });
    }
    return true;
  }

  /** An unusable SHB: without the first one there is no capture; a later one ends reading. */
  #badSection(first: boolean, offset: number, message: string): false {
    if (first) throw captureFormatError(this.#options.name, `damaged pcapng file: ${message}`);
    this.#stopAt(offset, `${message}; reading stopped`);
    return false;
  }

  /** IDB (§4.2): link type, snaplen, and the options that shape timestamps. */
  #interfaceBlock(p: number, length: number): void {
    const buf = this.#buf;
    const view = buf.view;
    const le = this.#littleEndian;
    const id = this.#interfaces.length;
    const linkType = view.getUint16(p + 8, le);
    const snaplen = view.getUint32(p + 12, le);
    let tsresol = DEFAULT_TSRESOL;
    let tsoffset = 0;
    let name: string | undefined;
    let fcsLength: number | undefined;

    const end = p + length - 4;
    let o = p + 16;
    while (o + 4 <= end) {
      const code = view.getUint16(o, le);
      const size = view.getUint16(o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      const value = o + 4;
      if (value + size > end) {
        this.#log.add(this.#frames + 1, buf.offset, `interface ${id} of section ${this.#section}: option ${code} runs past the end of its block; later options ignored`);
        break;
      }
      // §3.5: options with a wrong length are reported, then ignored.
      switch (code) {
        case IF_NAME: {
          const bytes = buf.bytes.subarray(value, value + size);
          const nul = bytes.indexOf(0);
          name = utf8.decode(nul === -1 ? bytes : bytes.subarray(0, nul));
          break;
        }
        case IF_TSRESOL:
          if (size === 1) tsresol = buf.bytes[value] as number;
          else this.#badOption(id, 'if_tsresol', size, 1);
          break;
        case IF_FCSLEN:
          if (size === 1) fcsLength = buf.bytes[value] as number;
          else this.#badOption(id, 'if_fcslen', size, 1);
          break;
        case IF_TSOFFSET:
          if (size === 8) {
            const seconds = view.getBigInt64(value, le);
            if (seconds >= BigInt(Number.MIN_SAFE_INTEGER) && seconds <= BigInt(Number.MAX_SAFE_INTEGER)) tsoffset = Number(seconds);
            else this.#log.add(this.#frames + 1, buf.offset, `interface ${id} of section ${this.#section}: if_tsoffset ${seconds} s is out of range; ignored`);
          } else {
            this.#badOption(id, 'if_tsoffset', size, 8);
          }
          break;
        default:
          break;
      }
      o = value + ((size + 3) & ~3);
    }

    if (id >= this.#options.maxInterfaces) {
      if (!this.#warnedInterfaceLimit) {
        this.#warnedInterfaceLimit = true;
        this.#log.add(this.#frames + 1, buf.offset, `section ${this.#section} has more than ${this.#options.maxInterfaces} interfaces; the rest are ignored (maxInterfaces raises the limit)`);
      }
      return;
    }
    this.#interfaces.push({ linkType, snaplen, scale: new TimestampScale(tsresol), tsoffset });
    const info = this.info as PcapngInfo;
    if (info.interfaces.length < this.#options.maxInterfaces) {
      const entry: PcapngInterface = { section: this.#section, id, linkType, snaplen, tsresol, tsoffset };
      if (name !== undefined) entry.name = name;
      if (fcsLength !== undefined) entry.fcsLength = fcsLength;
      info.interfaces.push(entry);
    }
  }

  /** EPB (§4.3) and the obsolete Packet Block (Appendix A): same layout after the interface id. */
  #packetBlock(type: number, p: number, length: number): Frame | undefined {
    const buf = this.#buf;
    const view = buf.view;
    const le = this.#littleEndian;
    const no = ++this.#frames;
    const interfaceId = type === EPB ? view.getUint32(p + 8, le) : view.getUint16(p + 8, le);
    const captured = view.getUint32(p + 20, le);
    const iface = this.#interfaces[interfaceId];
    if (iface === undefined) {
      this.#log.add(no, buf.offset, `packet refers to interface ${interfaceId} but section ${this.#section} has ${this.#interfaces.length}; packet skipped`);
      return undefined;
    }
    if (!this.#capturedLengthOk(no, captured, length - (type === EPB ? MIN_EPB : MIN_OPB))) return undefined;
    iface.scale.convert(view.getUint32(p + 12, le), view.getUint32(p + 16, le));
    const start = p + 28;
    return {
      no,
      tsSec: iface.scale.sec + iface.tsoffset,
      tsNsec: iface.scale.nsec,
      capturedLength: captured,
      originalLength: view.getUint32(p + 24, le),
      linkType: iface.linkType,
      interfaceId,
      data: frameView(buf.bytes, start, start + captured),
    };
  }

  /** SPB (§4.4): interface 0, no timestamp, captured length implied by the snaplen. */
  #simplePacketBlock(p: number, length: number): Frame | undefined {
    const buf = this.#buf;
    const no = ++this.#frames;
    const iface = this.#interfaces[0];
    if (iface === undefined) {
      this.#log.add(no, buf.offset, `simple packet block in section ${this.#section}, which has no interface yet; packet skipped`);
      return undefined;
    }
    const original = buf.view.getUint32(p + 8, this.#littleEndian);
    const captured = iface.snaplen !== 0 && original > iface.snaplen ? iface.snaplen : original;
    if (!this.#capturedLengthOk(no, captured, length - MIN_SPB)) return undefined;
    const start = p + 12;
    // Wireshark records time 0 with "no timestamp" for these; timestampMissing says the same.
    return {
      no,
      tsSec: 0,
      tsNsec: 0,
      capturedLength: captured,
      originalLength: original,
      linkType: iface.linkType,
      interfaceId: 0,
      data: frameView(buf.bytes, start, start + captured),
      timestampMissing: true,
    };
  }

  #capturedLengthOk(no: number, captured: number, room: number): boolean {
    if (captured > room) {
      this.#log.add(no, this.#buf.offset, `captured length ${captured} does not fit in its block (${room} bytes of room); packet skipped`);
      return false;
    }
    if (captured > this.#options.maxRecordBytes) {
      this.#log.add(no, this.#buf.offset, `captured length ${captured} is larger than the ${this.#options.maxRecordBytes}-byte limit; packet skipped`);
      return false;
    }
    return true;
  }

  #framingOk(length: number): boolean {
    let problem: string | undefined;
    if (length % 4 !== 0) problem = `block length ${length} is not a multiple of 4`;
    else if (length < BLOCK_OVERHEAD) problem = `block length ${length} is less than the minimum of ${BLOCK_OVERHEAD}`;
    else if (length > this.#options.maxBlockBytes) problem = `block length ${length} is larger than the ${this.#options.maxBlockBytes}-byte limit`;
    if (problem === undefined) return true;
    this.#stopAt(this.#buf.offset, `${problem}; the file is damaged, reading stopped`);
    return false;
  }

  #beginSkip(length: number): void {
    const buf = this.#buf;
    this.#skipOffset = buf.offset;
    this.#skipLength = length;
    buf.pos += 8;
    this.#skipLeft = length - BLOCK_OVERHEAD;
    this.#trailerPending = true;
  }

  #badOption(id: number, option: string, size: number, expected: number): void {
    this.#log.add(this.#frames + 1, this.#buf.offset, `interface ${id} of section ${this.#section}: ${option} option is ${size} bytes, expected ${expected}; ignored`);
  }

  #starve(need: number, known: boolean): undefined {
    this.#need = need;
    this.#needKnown = known;
    return undefined;
  }

  #stopAt(offset: number, message: string): void {
    this.#log.add(this.#frames + 1, offset, message);
    this.#stopped = true;
    this.#buf.clear();
  }
}
