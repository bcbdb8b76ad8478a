import type { PcapInfo, ResolvedReaderOptions } from './CaptureInfo.js';
import { captureFormatError, describeBytes, hex32 } from './errors.js';
import type { FormatReader, ReaderContext } from './FormatReader.js';
import type { Frame } from './Frame.js';
import { frameView, type StreamBuffer } from './StreamBuffer.js';
import type { WarningLog } from './WarningLog.js';

const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

// How the two length fields of a record header are ordered. Version 2.3 swapped them to match
// BPF's header; files written before that, and DG/UX's "543.0", have the captured length second.
// libpcap and Wireshark both apply this rule, so a 2.2 file reads the same here as there.
const LENGTHS_NORMAL = 0;
const LENGTHS_SWAPPED = 1;
/** Version 2.3: some writers did not swap yet; a captured length above the original gives them away. */
const LENGTHS_MAYBE_SWAPPED = 2;

// draft-ietf-opsawg-pcap §4, "LinkType and additional information": the link type is the low
// 16 bits; above it sit 10 reserved bits, the P bit (FCS length present), the R bit and a
// 4-bit FCS length counted in 16-bit words.
const LINKTYPE_MASK = 0x0000_ffff;
const RESERVED_BITS = 0x0bff_0000;
const FCS_PRESENT = 0x0400_0000;

/** Classic pcap (draft-ietf-opsawg-pcap): a 24-byte file header, then 16-byte record headers. */
export class PcapReader implements FormatReader {
  info: PcapInfo | undefined;

  readonly #buf: StreamBuffer;
  readonly #log: WarningLog;
  readonly #options: ResolvedReaderOptions;
  #littleEndian = true;
  #nanosecond = false;
  #linkType = 0;
  #snaplen = 0;
  #lengths = LENGTHS_NORMAL;
  #frames = 0;
  #stopped = false;
  /** Bytes the record at `pos` needs, from the last time the input ran dry. */
  #need = FILE_HEADER_BYTES;
  /** Whether #need is the full record size or only its header. */
  #needKnown = false;
  #warnedSnaplen = false;
  #warnedFraction = false;

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
    if (this.info === undefined && !this.#readFileHeader()) return undefined;
    if (this.#stopped) return undefined;
    const buf = this.#buf;
    if (!buf.ensure(RECORD_HEADER_BYTES)) return this.#starve(RECORD_HEADER_BYTES, false);

    const le = this.#littleEndian;
    let view = buf.view;
    let p = buf.pos;
    let captured = view.getUint32(p + 8, le);
    let original = view.getUint32(p + 12, le);
    if (this.#lengths !== LENGTHS_NORMAL && (this.#lengths === LENGTHS_SWAPPED || captured > original)) {
      const t = captured;
      captured = original;
      original = t;
    }
    // Checked before `ensure` may grow the buffer: a lying length must never size an allocation.
    if (captured > this.#options.maxRecordBytes) {
      this.#stop(`record of ${captured} captured bytes is larger than the ${this.#options.maxRecordBytes}-byte limit; the file is damaged, reading stopped`);
      return undefined;
    }
    const size = RECORD_HEADER_BYTES + captured;
    if (!buf.ensure(size)) return this.#starve(size, true);
    view = buf.view;
    p = buf.pos;

    let tsSec = view.getUint32(p, le);
    const fraction = view.getUint32(p + 4, le);
    let tsNsec: number;
    if (this.#nanosecond) {
      tsNsec = fraction;
      if (fraction >= 1_000_000_000) {
        tsSec += Math.floor(fraction / 1_000_000_000);
        tsNsec = fraction % 1_000_000_000;
        this.#fractionOverflow(fraction, 'nanoseconds');
      }
    } else if (fraction < 1_000_000) {
      tsNsec = fraction * 1000;
    } else {
      tsSec += Math.floor(fraction / 1_000_000);
      tsNsec = (fraction % 1_000_000) * 1000;
      this.#fractionOverflow(fraction, 'microseconds');
    }
    if (captured > this.#snaplen && this.#snaplen !== 0 && !this.#warnedSnaplen) {
      // Not fatal (Wireshark reads such files too) but worth knowing; said once per file.
      this.#warnedSnaplen = true;
      this.#log.add(this.#frames + 1, buf.offset, `captured length ${captured} is larger than the file's snaplen ${this.#snaplen} (further cases not reported)`);
    }

    const start = p + RECORD_HEADER_BYTES;
    const end = start + captured;
    buf.pos = end;
    return {
      no: ++this.#frames,
      tsSec,
      tsNsec,
      capturedLength: captured,
      originalLength: original,
      linkType: this.#linkType,
      interfaceId: 0,
      data: frameView(buf.bytes, start, end),
    };
  }

  finish(): void {
    const pending = this.#buf.pending;
    if (this.info === undefined) {
      throw captureFormatError(this.#options.name, `truncated pcap file header: ${pending} of ${FILE_HEADER_BYTES} bytes`);
    }
    if (this.#stopped || pending === 0) return;
    const of = this.#needKnown ? `${this.#need}` : `at least ${this.#need}`;
    this.#log.add(this.#frames + 1, this.#buf.offset, `truncated last record: ${pending} of ${of} bytes`);
  }

  #readFileHeader(): boolean {
    const buf = this.#buf;
    if (!buf.ensure(FILE_HEADER_BYTES)) {
      this.#need = FILE_HEADER_BYTES;
      this.#needKnown = true;
      return false;
    }
    const view = buf.view;
    const p = buf.pos;
    const magicLE = view.getUint32(p, true);
    switch (magicLE) {
      case 0xa1b2c3d4: this.#littleEndian = true; this.#nanosecond = false; break;
      case 0xd4c3b2a1: this.#littleEndian = false; this.#nanosecond = false; break;
      case 0xa1b23c4d: this.#littleEndian = true; this.#nanosecond = true; break;
      case 0x4d3cb2a1: this.#littleEndian = false; this.#nanosecond = true; break;
      default:
        throw captureFormatError(this.#options.name, `not a pcap file (starts with ${describeBytes(buf.bytes.subarray(p, p + 4))})`);
    }
    const le = this.#littleEndian;
    const versionMajor = view.getUint16(p + 4, le);
    const versionMinor = view.getUint16(p + 6, le);
    const snaplen = view.getUint32(p + 16, le);
    const linkTypeField = view.getUint32(p + 20, le);
    const offset = buf.offset;
    buf.pos = p + FILE_HEADER_BYTES;

    if (versionMajor === 2 && versionMinor < 3) this.#lengths = LENGTHS_SWAPPED;
    else if (versionMajor === 2 && versionMinor === 3) this.#lengths = LENGTHS_MAYBE_SWAPPED;
    else if (versionMajor === 543) this.#lengths = LENGTHS_SWAPPED;
    if (!(versionMajor === 2 && (versionMinor === 4 || versionMinor === 2))) {
      this.#log.add(1, offset, `unusual pcap version ${versionMajor}.${versionMinor} (expected 2.4); reading it anyway`);
    }

    this.#linkType = linkTypeField & LINKTYPE_MASK;
    this.#snaplen = snaplen;
    if ((linkTypeField & RESERVED_BITS) !== 0) {
      // The draft says readers SHOULD treat this as an error, and tshark refuses the file;
      // the low 16 bits are still the link type, so read on and say so.
      this.#log.add(1, offset + 20, `link-type field ${hex32(linkTypeField)} has reserved bits set; using link type ${this.#linkType}`);
    }
    this.info = {
      format: 'pcap',
      byteOrder: le ? 'little-endian' : 'big-endian',
      versionMajor,
      versionMinor,
      nanosecond: this.#nanosecond,
      snaplen,
      linkType: this.#linkType,
      linkTypeField,
      ...((linkTypeField & FCS_PRESENT) !== 0 ? { fcsLength: ((linkTypeField >>> 28) & 0xf) * 2 } : {}),
    };
    return true;
  }

  #starve(need: number, known: boolean): undefined {
    this.#need = need;
    this.#needKnown = known;
    return undefined;
  }

  #fractionOverflow(fraction: number, unit: string): void {
    if (this.#warnedFraction) return;
    this.#warnedFraction = true;
    this.#log.add(this.#frames + 1, this.#buf.offset, `timestamp fraction ${fraction} is a second or more of ${unit}; carried into the seconds (further cases not reported)`);
  }

  #stop(message: string): void {
    this.#log.add(this.#frames + 1, this.#buf.offset, message);
    this.#stopped = true;
    this.#buf.clear();
  }
}
