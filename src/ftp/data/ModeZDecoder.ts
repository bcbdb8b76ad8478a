// MODE Z: the data connection carries one deflate stream (draft-preston-ftpext-deflate).
//
// What is on the wire, as proftpd's mod_deflate and lftp really send it (recorded in
// fixtures/modez-lftp-proftpd.pcap, see fixtures/MODEZ.md):
//  - a zlib stream (RFC 1950: 2-byte header 0x78 0xXX, deflate data, Adler-32 trailer), NOT
//    the raw deflate the draft recommends (window bits -15): proftpd calls deflateInit2 with
//    window bits +15 and inflates with 15+32 (zlib or gzip header auto-detected); lftp uses
//    deflateInit/inflateInit, i.e. zlib format too;
//  - one stream per data connection, begun when the connection opens and finished
//    (Z_FINISH) when the sender closes it; nothing follows the trailer;
//  - the sender flushes with Z_SYNC_FLUSH on each write (empty stored blocks 00 00 ff ff
//    appear mid-stream), which changes nothing for the reader;
//  - the header's FLEVEL tells the sender's level (proftpd: 0xda, level 7; lftp: 0x9c,
//    ftp:mode-z-level 6);
//  - proftpd also sends an empty zlib stream (78 da 03 00 00 00 00 01) back to the client on
//    an upload's data connection: a decoder of that direction gets zero bytes, no warning.
// Raw deflate is accepted too (`format: 'auto'` looks at the first two bytes), since the
// draft allows it and other implementations may follow the draft.
//
// Inflating runs in node:zlib (a streaming Inflate), so output arrives asynchronously:
// `settled()` resolves when everything handed in has been decoded and passed on. Output is
// passed on as zlib produces it, 16 KiB at a time; only input waiting for the thread pool is
// held (`heldBytes`), and the caller bounds that by awaiting `settled()` between input chunks.
//
// Decompression bombs: a deflate stream can expand about 1032:1, so a 1460-byte segment can
// become 1.5 MB and a capture of a few MB can ask for terabytes. `maxOutputBytes` caps the
// output outright; `maxRatio` caps output/input once more than `ratioGraceBytes` have come
// out (so small, very compressible files are never stopped). Past a limit the decoder hands
// on exactly up to the limit, warns, and stops: the rest is reported as a gap of unknown size.

import zlib from 'node:zlib';
import type { DataDecoder, DataPosition, DataSink, WarningHandler } from './DataDecoder.js';

export interface ModeZOptions {
  /** 'zlib' (RFC 1950, what proftpd and lftp send), 'raw' (RFC 1951 only), 'auto' (default: decided by the first two bytes). */
  format?: 'auto' | 'zlib' | 'raw';
  /** Stop after this many decoded bytes. Default: no size cap (the ratio cap applies). */
  maxOutputBytes?: number;
  /** Stop when decoded bytes exceed this many times the compressed bytes read. Default 200. */
  maxRatio?: number;
  /** The ratio is only checked once this many bytes have been decoded. Default 64 MiB. */
  ratioGraceBytes?: number;
}

export const MODE_Z_DEFAULTS = {
  maxOutputBytes: Number.POSITIVE_INFINITY,
  maxRatio: 200,
  ratioGraceBytes: 64 * 1024 * 1024,
} as const;

interface PendingChunk {
  offset: number;
  length: number;
  frames: number[] | undefined;
}

type State =
  | 'start' // waiting for the two bytes that tell zlib from raw deflate
  | 'inflating'
  | 'draining' // a gap: no more input taken, zlib finishes what it already has
  | 'stopped' // a data error or a limit: zlib destroyed, nothing more comes out
  | 'ended'; // the deflate stream reached its end marker

export class ModeZDecoder implements DataDecoder {
  #next: DataSink;
  #warn: WarningHandler;
  #format: 'auto' | 'zlib' | 'raw';
  #maxOut: number;
  #maxRatio: number;
  #grace: number;

  #state: State = 'start';
  #inflate: zlib.Inflate | zlib.InflateRaw | undefined;
  #inflateClosed = false;
  /** The first bytes, held until two are known (format detection). */
  #head = new Uint8Array(2);
  #headLen = 0;
  #headAt: DataPosition | undefined;
  /** Wire offset of the first byte of the stream and of the next byte expected. */
  #startOffset: number | undefined;
  #nextOffset: number | undefined;
  /** Chunks written to zlib whose write callback has not run yet, oldest first. */
  #pending: PendingChunk[] = [];
  #pendingBytes = 0;
  #inBytes = 0;
  #outBytes = 0;
  /** Bytes that arrived after the decoder stopped taking input, for the closing warning. */
  #ignoredBytes = 0;
  #endCalled = false;
  /** zlib reported an error (damage, or no end marker): the stream ends as 'stopped' when it closes. */
  #broken = false;
  /** zlib confirmed that a gap cut the stream (it had not reached its end marker). */
  #cutByGap = false;
  #nextEnded = false;
  #waiters: Array<() => void> = [];

  constructor(next: DataSink, onWarning: WarningHandler, options: ModeZOptions = {}) {
    this.#next = next;
    this.#warn = onWarning;
    this.#format = options.format ?? 'auto';
    this.#maxOut = options.maxOutputBytes ?? MODE_Z_DEFAULTS.maxOutputBytes;
    this.#maxRatio = options.maxRatio ?? MODE_Z_DEFAULTS.maxRatio;
    this.#grace = options.ratioGraceBytes ?? MODE_Z_DEFAULTS.ratioGraceBytes;
  }

  get heldBytes(): number {
    return this.#pendingBytes + this.#headLen;
  }

  /** Decoded bytes handed on so far. */
  get outputBytes(): number {
    return this.#outBytes;
  }

  /** Compressed bytes taken in so far. */
  get inputBytes(): number {
    return this.#inBytes;
  }

  /** Which format the stream turned out to be, once known. */
  get detectedFormat(): 'zlib' | 'raw' | undefined {
    return this.#inflate === undefined ? undefined : this.#inflate instanceof zlib.InflateRaw ? 'raw' : 'zlib';
  }

  data(bytes: Uint8Array, at: DataPosition): void {
    if (bytes.length === 0) return;
    if (this.#startOffset === undefined) this.#startOffset = at.offset;
    this.#nextOffset = at.offset + bytes.length;
    if (this.#state !== 'start' && this.#state !== 'inflating') {
      this.#ignoredBytes += bytes.length;
      return;
    }
    if (this.#state === 'start') {
      // Two bytes decide the format; a chunk boundary may fall between them.
      let i = 0;
      if (this.#headLen === 0) this.#headAt = { offset: at.offset, frames: copyFrames(at.frames) };
      while (this.#headLen < 2 && i < bytes.length) this.#head[this.#headLen++] = bytes[i++]!;
      if (this.#headLen < 2) return;
      this.#begin();
      this.#write(this.#head.slice(0, 2), this.#headAt!);
      this.#headLen = 0;
      if (i < bytes.length) this.#write(bytes.subarray(i), { offset: at.offset + i, frames: at.frames });
      return;
    }
    this.#write(bytes, at);
  }

  gap(length: number | null, at: DataPosition): void {
    if (this.#startOffset === undefined) this.#startOffset = at.offset;
    if (this.#state !== 'start' && this.#state !== 'inflating') return;
    const where = length === null ? `at wire offset ${at.offset}` : `of ${length} bytes at wire offset ${at.offset}-${at.offset + length}`;
    this.#warn({
      stage: 'mode-z',
      code: 'mode-z-gap',
      message:
        `gap ${where} in the MODE Z (deflate) stream: deflate cannot resume after missing bytes ` +
        `(back-references reach 32 KiB behind and the bit stream loses its block boundaries), ` +
        `so the decoded output ends with what came before the gap`,
      offset: at.offset,
      frames: copyFrames(at.frames),
    });
    this.#state = 'draining';
    this.#headLen = 0;
    // zlib finishes the input it already has; its "unexpected end of file" is expected then.
    if (this.#inflate !== undefined && !this.#inflateClosed) this.#finishInflate();
  }

  end(): void {
    if (this.#endCalled) return;
    this.#endCalled = true;
    if (this.#state === 'start' && this.#headLen > 0) {
      this.#warn({
        stage: 'mode-z',
        code: 'mode-z-truncated',
        message: 'MODE Z stream is 1 byte long: too short for a zlib header, nothing decoded',
        offset: this.#headAt?.offset ?? 0,
        frames: copyFrames(this.#headAt?.frames),
      });
      this.#headLen = 0;
      this.#state = 'stopped';
    }
    if (this.#inflate !== undefined && !this.#inflateClosed) {
      if (this.#state === 'inflating') this.#finishInflate();
      return; // 'close' finishes
    }
    this.#finishNext();
  }

  settled(): Promise<void> {
    if (this.#isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #isSettled(): boolean {
    if (this.#endCalled) return this.#nextEnded;
    return this.#pending.length === 0 && (this.#state !== 'draining' || this.#inflateClosed);
  }

  #wake(): void {
    if (!this.#isSettled()) return;
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  #begin(): void {
    const b0 = this.#head[0]!;
    const b1 = this.#head[1]!;
    // RFC 1950 §2.2: CM = 8 (deflate), CINFO <= 7, (CMF*256 + FLG) divisible by 31.
    const looksZlib = (b0 & 0x0f) === 8 && b0 >> 4 <= 7 && ((b0 << 8) | b1) % 31 === 0;
    let raw: boolean;
    if (this.#format === 'auto') {
      raw = !looksZlib;
    } else {
      raw = this.#format === 'raw';
      if (!raw && !looksZlib) {
        this.#warn({
          stage: 'mode-z',
          code: 'mode-z-bad-header',
          message: `MODE Z stream does not start with a zlib header (0x${hex(b0)} 0x${hex(b1)})`,
          offset: this.#headAt!.offset,
          frames: copyFrames(this.#headAt!.frames),
        });
      }
    }
    const inflate = raw ? zlib.createInflateRaw() : zlib.createInflate();
    this.#inflate = inflate;
    this.#state = 'inflating';
    inflate.on('data', (out: Buffer) => this.#output(out));
    inflate.on('error', (err: NodeJS.ErrnoException) => this.#zlibError(err));
    inflate.on('close', () => this.#onClose());
  }

  /**
   * Ends zlib's input. A sync flush first: node:zlib reports a stream without its end marker
   * as an error on end(), and an error can overtake the last decoded bytes still on their way
   * out; after the flush's callback they have all been handed on.
   */
  #finishInflate(): void {
    const inflate = this.#inflate!;
    inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      if (!this.#inflateClosed) inflate.end();
    });
  }

  #write(bytes: Uint8Array, at: DataPosition): void {
    const inflate = this.#inflate!;
    // zlib reads the bytes later, from the thread pool: copy, since `bytes` is only lent to us.
    const copy = Buffer.from(bytes);
    const chunk: PendingChunk = { offset: at.offset, length: copy.length, frames: copyFrames(at.frames) };
    this.#pending.push(chunk);
    this.#pendingBytes += copy.length;
    this.#inBytes += copy.length;
    inflate.write(copy, () => {
      // Write callbacks run in order; after an error or destroy they may not run at all.
      const i = this.#pending.indexOf(chunk);
      if (i >= 0) {
        this.#pending.splice(i, 1);
        this.#pendingBytes -= chunk.length;
      }
      this.#wake();
    });
  }

  #output(out: Buffer): void {
    if (this.#state !== 'inflating' && this.#state !== 'draining') return;
    let piece: Uint8Array = out;
    // The chunk zlib is working on: the oldest whose write has not completed.
    const cur = this.#pending[0];
    // Limits, checked before handing on, so no byte beyond a limit reaches the file.
    let limitHit: string | undefined;
    const after = this.#outBytes + piece.length;
    if (after > this.#maxOut) {
      piece = piece.subarray(0, Math.max(0, this.#maxOut - this.#outBytes));
      limitHit = `decoded size limit reached (maxOutputBytes ${this.#maxOut})`;
    } else if (after > this.#grace && after > this.#maxRatio * this.#inBytes) {
      const allowed = Math.max(this.#grace, this.#maxRatio * this.#inBytes);
      piece = piece.subarray(0, Math.max(0, allowed - this.#outBytes));
      limitHit =
        `expansion limit reached: more than ${this.#maxRatio} times the ${this.#inBytes} compressed bytes read ` +
        `(maxRatio; a decompression bomb, or a very redundant file: raise maxRatio to extract it)`;
    }
    if (piece.length > 0) {
      this.#next.data(piece, { offset: this.#outBytes, frames: cur?.frames });
      this.#outBytes += piece.length;
    }
    if (limitHit === undefined) return;
    this.#warn({
      stage: 'mode-z',
      code: 'mode-z-limit',
      message: `${limitHit}; decoding stopped after ${this.#outBytes} bytes`,
      offset: cur?.offset ?? this.#nextOffset ?? 0,
      frames: cur?.frames,
    });
    this.#state = 'stopped';
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#inflate!.destroy();
  }

  #zlibError(err: NodeJS.ErrnoException): void {
    if (err.code === 'Z_BUF_ERROR' && (this.#state === 'draining' || this.#endCalled)) {
      if (this.#state === 'draining') {
        this.#cutByGap = true; // the gap, already reported, really cut the stream
        return;
      }
      // end() asked zlib to finish and the stream had not reached its end marker.
      this.#warn({
        stage: 'mode-z',
        code: 'mode-z-truncated',
        message:
          `MODE Z stream ends before its end marker (final deflate block${this.detectedFormat === 'zlib' ? ' and Adler-32 trailer' : ''}) ` +
          `after ${this.#inBytes} compressed bytes: the transfer was cut short; ${this.#outBytes} bytes decoded`,
        offset: (this.#startOffset ?? 0) + this.#inBytes,
      });
      // Not 'stopped' yet: node:zlib still hands on the last decoded bytes after this event.
      this.#broken = true;
      return;
    }
    if (this.#state === 'stopped' || this.#broken) return;
    const cur = this.#pending[0];
    const consumed = this.#inflate?.bytesWritten ?? 0;
    const offset = cur?.offset ?? (this.#startOffset ?? 0) + consumed;
    this.#warn({
      stage: 'mode-z',
      code: 'mode-z-corrupt',
      message:
        `deflate data error (${err.code ?? 'error'}: ${err.message}) in the compressed bytes ` +
        `${cur ? `at wire offset ${cur.offset}-${cur.offset + cur.length}` : `after wire offset ${offset}`}; ` +
        `decoding stopped after ${this.#outBytes} bytes (deflate has no check before its trailer: ` +
        `the last bytes decoded before the error may already be wrong)`,
      offset,
      frames: cur?.frames,
    });
    this.#broken = true;
  }

  #onClose(): void {
    this.#inflateClosed = true;
    if (this.#broken) {
      this.#state = 'stopped';
    } else if (this.#state === 'inflating') {
      this.#state = 'ended';
    } else if (this.#state === 'draining' && !this.#cutByGap) {
      // zlib finished without complaint: the stream had reached its end marker before the gap.
      this.#state = 'ended';
      this.#warn({
        stage: 'mode-z',
        code: 'mode-z-gap-after-end',
        message: 'the gap came after the end of the deflate stream: nothing of the file is missing',
        offset: (this.#startOffset ?? 0) + (this.#inflate?.bytesWritten ?? 0),
      });
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#endCalled) this.#finishNext();
    else this.#wake();
  }

  #finishNext(): void {
    if (this.#nextEnded) return;
    if (this.#state === 'ended') {
      // zlib stops reading at the trailer: whatever came after it is not part of the file.
      const extra = this.#inBytes - (this.#inflate?.bytesWritten ?? this.#inBytes) + this.#ignoredBytes;
      if (extra > 0) {
        this.#warn({
          stage: 'mode-z',
          code: 'mode-z-trailing',
          message: `${extra} bytes after the end of the MODE Z stream (ignored): one transfer is one deflate stream`,
          offset: (this.#startOffset ?? 0) + (this.#inflate?.bytesWritten ?? 0),
        });
      }
    } else if (this.#ignoredBytes > 0) {
      this.#warn({
        stage: 'mode-z',
        code: 'mode-z-ignored',
        message: `${this.#ignoredBytes} compressed bytes after the point where decoding stopped were not decoded`,
        offset: (this.#nextOffset ?? 0) - this.#ignoredBytes,
      });
    }
    // Anything but a clean end marker means an unknown amount of the file is missing.
    if (this.#state !== 'ended' && this.#state !== 'start') this.#next.gap(null, { offset: this.#outBytes });
    this.#nextEnded = true;
    this.#next.end();
    this.#wake();
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function copyFrames(frames: readonly number[] | undefined): number[] | undefined {
  return frames === undefined || frames.length === 0 ? undefined : [...frames];
}
