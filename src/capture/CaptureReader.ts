import {
  resolveReaderOptions,
  type CaptureFormat,
  type CaptureInfo,
  type CaptureReaderOptions,
  type PcapngInterface,
  type ResolvedReaderOptions,
} from './CaptureInfo.js';
import { captureFormatError, describeBytes } from './errors.js';
import type { FormatReader } from './FormatReader.js';
import type { CaptureWarning, Frame } from './Frame.js';
import { PcapngReader } from './PcapngReader.js';
import { PcapReader } from './PcapReader.js';
import { StreamBuffer } from './StreamBuffer.js';
import { WarningLog } from './WarningLog.js';

const NO_INTERFACES: readonly PcapngInterface[] = Object.freeze([]);

/**
 * Reads a pcap or pcapng capture from chunks of any size, pull style:
 *
 * ```ts
 * const reader = new CaptureReader({ name: 'trace.pcap' });
 * for await (const chunk of stream) {
 *   reader.append(chunk);
 *   for (let f = reader.next(); f; f = reader.next()) handle(f);
 * }
 * reader.finish();
 * ```
 *
 * The format is recognised from the first four bytes. `frame.data` is a view into the reader's
 * buffer (or into the chunk itself) and stays valid until the next `append`; copy it to keep it.
 * Damage in the file becomes `warnings`; only input that is not a capture at all, or whose file
 * header is cut short, throws a CaptureFormatError.
 */
export class CaptureReader {
  readonly #options: ResolvedReaderOptions;
  readonly #buffer = new StreamBuffer();
  readonly #log: WarningLog;
  #reader: FormatReader | undefined;
  #format: CaptureFormat | undefined;
  /** `next()` has returned undefined since the last `append`. */
  #dry = true;
  #finished = false;

  constructor(options?: CaptureReaderOptions) {
    this.#options = resolveReaderOptions(options);
    this.#log = new WarningLog(this.#options.maxWarnings);
  }

  /** 'pcap' or 'pcapng' once the first four bytes were seen. */
  get format(): CaptureFormat | undefined {
    return this.#format;
  }

  /** Problems found so far (capped by `maxWarnings`). */
  get warnings(): CaptureWarning[] {
    return this.#log.list;
  }

  /** pcap: the file header facts; pcapng: sections and interfaces seen so far. */
  get info(): CaptureInfo | undefined {
    return this.#reader?.info;
  }

  /** pcapng interfaces seen so far (every section); empty for pcap. */
  get interfaces(): readonly PcapngInterface[] {
    const info = this.#reader?.info;
    return info?.format === 'pcapng' ? info.interfaces : NO_INTERFACES;
  }

  /** Packet records handed out (the number of the last frame). */
  get frames(): number {
    return this.#reader?.frames ?? 0;
  }

  /** True once damage made reading stop: later input is only counted. */
  get stopped(): boolean {
    return this.#reader?.stopped === true;
  }

  /** Bytes appended so far. */
  get bytesRead(): number {
    return this.#buffer.received;
  }

  /** Bytes the reader has allocated for its own buffer; for tests that check memory stays bounded. */
  get bufferedCapacity(): number {
    return this.#buffer.capacity;
  }

  /**
   * Feeds the next chunk. Do not modify `bytes` until `next()` has returned undefined: unread
   * bytes are only copied out of it on the following `append`.
   */
  append(bytes: Uint8Array): void {
    if (this.#finished) throw new Error('CaptureReader.append() called after finish()');
    this.#buffer.append(bytes);
    // Once reading has stopped, input is only counted, never kept.
    if (this.#reader?.stopped === true) this.#buffer.clear();
    else this.#dry = false;
  }

  /** The next frame, or undefined when more input is needed (or reading stopped). */
  next(): Frame | undefined {
    if (this.#reader === undefined && !this.#detect()) {
      this.#dry = true;
      return undefined;
    }
    const frame = (this.#reader as FormatReader).next();
    if (frame === undefined) this.#dry = true;
    return frame;
  }

  /**
   * End of input. Adds a warning when the last record is incomplete; throws a CaptureFormatError
   * when the input was empty, too short, or ended inside the file header.
   */
  finish(): void {
    if (this.#finished) return;
    if (!this.#dry) throw new Error('CaptureReader.finish(): call next() until it returns undefined first');
    this.#finished = true;
    if (this.#reader === undefined) {
      const n = this.#buffer.pending;
      if (n === 0) throw captureFormatError(this.#options.name, 'empty file (0 bytes), not a pcap or pcapng capture');
      this.#buffer.ensure(n);
      const head = this.#buffer.bytes.subarray(this.#buffer.pos, this.#buffer.pos + n);
      throw captureFormatError(this.#options.name, `only ${n} byte${n === 1 ? '' : 's'} (${describeBytes(head)}), too short for a pcap or pcapng capture`);
    }
    this.#reader.finish();
  }

  /** Records a problem found outside the file format, e.g. damaged gzip data around it. */
  addWarning(message: string): void {
    this.#log.add(this.frames + 1, this.#buffer.received, message);
  }

  #detect(): boolean {
    const buf = this.#buffer;
    if (!buf.ensure(4)) return false;
    const magic = buf.view.getUint32(buf.pos, false);
    const context = { buffer: buf, log: this.#log, options: this.#options };
    switch (magic) {
      // draft-ietf-opsawg-pcap §4: µs and ns magic, written in the writer's byte order.
      case 0xa1b2c3d4:
      case 0xd4c3b2a1:
      case 0xa1b23c4d:
      case 0x4d3cb2a1:
        this.#format = 'pcap';
        this.#reader = new PcapReader(context);
        return true;
      // draft-ietf-opsawg-pcapng §4.1: the SHB block type reads the same in both byte orders.
      case 0x0a0d0d0a:
        this.#format = 'pcapng';
        this.#reader = new PcapngReader(context);
        return true;
      default:
        break;
    }
    const head = describeBytes(buf.bytes.subarray(buf.pos, buf.pos + 4));
    if (magic >>> 16 === 0x1f8b) {
      throw captureFormatError(this.#options.name, `gzip-compressed data (starts with ${head}); decompress it first, as readCapture() does`);
    }
    if (magic === 0xa1b2cd34 || magic === 0x34cdb2a1) {
      throw captureFormatError(this.#options.name, `a "modified" (Kuznetzov) pcap file, which is not supported (starts with ${head})`);
    }
    throw captureFormatError(this.#options.name, `not a pcap or pcapng capture (starts with ${head})`);
  }
}
