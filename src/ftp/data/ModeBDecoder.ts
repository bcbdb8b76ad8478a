// MODE B, block mode (RFC 959 §3.4.2): the file travels as blocks, each behind a 3-byte
// header — a descriptor byte of flags and a 16-bit byte count (network order):
//   128  the block ends a record (EOR)
//    64  the block ends the file (EOF): nothing after it belongs to the transfer
//    32  the data of the block is suspected to contain errors (still data)
//    16  the block is a restart marker (§3.5): its bytes are the sender's marker text,
//        not file data — reported, never written
// Flags combine. A header or a block may be cut anywhere by chunk boundaries: the decoder
// keeps at most the 3 header bytes and the marker bytes of the block it is in (≤ 65535).
//
// A gap inside a block's data keeps the framing (the count says where the block ends), so
// it becomes the same-size gap in the output. A gap that touches a header loses the
// framing: nothing after it can be trusted, and the decoder says so and stops.

import type { DataDecoder, DataPosition, DataSink, RestartMarker, WarningHandler } from './DataDecoder.js';
import { EOF, EOR, FramedOutput, RESTART, SUSPECT, UNDEFINED_BITS, framesOf } from './FramedOutput.js';

export interface ModeBOptions {
  /** Bytes written into the output at each EOR (record structure, STRU R). Default: nothing. */
  recordSeparator?: Uint8Array;
  /** Called for each restart marker block. */
  onRestartMarker?: (marker: RestartMarker) => void;
}

/** Internal, above the 8 descriptor bits: the rest of this block is skipped (a marker cut by a gap). */
const SKIP = 0x100;

type State = 'header' | 'block' | 'eof' | 'lost';

export class ModeBDecoder implements DataDecoder {
  #out: FramedOutput;
  #warn: WarningHandler;

  #state: State = 'header';
  #header = new Uint8Array(3);
  #headerLen = 0;
  #headerOffset = 0;
  /** Frames of the chunk the current header began in. */
  #headerFrames: number[] | undefined;
  #descriptor = 0;
  /** Data bytes of the current block still to come. */
  #remaining = 0;
  #blockOffset = 0;
  #blockCount = 0;
  #marker: Uint8Array | undefined;
  #markerLen = 0;
  #markerFrames: number[] | undefined;
  #nextInOffset: number | undefined;
  #ended = false;
  /** Counts for the report. */
  blocks = 0;
  suspectBlocks = 0;

  constructor(next: DataSink, onWarning: WarningHandler, options: ModeBOptions = {}) {
    this.#out = new FramedOutput(next, options);
    this.#warn = onWarning;
  }

  get records(): number {
    return this.#out.records;
  }

  get restartMarkers(): number {
    return this.#out.restartMarkers;
  }

  get heldBytes(): number {
    return this.#headerLen + this.#markerLen;
  }

  /** True once the EOF block has been read. */
  get sawEof(): boolean {
    return this.#state === 'eof';
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  data(bytes: Uint8Array, at: DataPosition): void {
    this.#checkOffset(at);
    let i = 0;
    const n = bytes.length;
    this.#nextInOffset = at.offset + n;
    while (i < n) {
      switch (this.#state) {
        case 'header': {
          if (this.#headerLen === 0) {
            this.#headerOffset = at.offset + i;
            this.#headerFrames = framesOf(at);
          }
          while (this.#headerLen < 3 && i < n) this.#header[this.#headerLen++] = bytes[i++]!;
          if (this.#headerLen < 3) break;
          this.#headerLen = 0;
          this.#startBlock(at);
          break;
        }
        case 'block': {
          const take = Math.min(this.#remaining, n - i);
          const piece = bytes.subarray(i, i + take);
          if ((this.#descriptor & RESTART) !== 0) {
            this.#marker!.set(piece, this.#markerLen);
            this.#markerLen += take;
          } else if ((this.#descriptor & SKIP) !== 0) {
            // the rest of a restart marker whose start was lost: not data
          } else {
            this.#out.data(piece, at.frames);
          }
          this.#remaining -= take;
          i += take;
          if (this.#remaining === 0) this.#endBlock(at);
          break;
        }
        case 'eof':
          this.#out.trailing(at, i, n - i);
          i = n;
          break;
        case 'lost':
          i = n;
          break;
      }
    }
  }

  gap(length: number | null, at: DataPosition): void {
    if (this.#state === 'eof' || this.#state === 'lost') return;
    this.#nextInOffset = length === null ? undefined : at.offset + length;
    if (this.#state === 'block' && length !== null && length <= this.#remaining) {
      // The count still says where the block ends: the hole is inside the data.
      if ((this.#descriptor & RESTART) !== 0) {
        this.#warn({
          stage: 'mode-b',
          code: 'mode-b-gap-in-marker',
          message: `gap of ${length} bytes at wire offset ${at.offset} inside a restart marker block: the marker is lost, the data framing is kept`,
          offset: at.offset,
          frames: framesOf(at),
        });
        this.#marker = undefined;
        this.#markerLen = 0;
        this.#descriptor &= ~RESTART;
        this.#remaining -= length;
        if (this.#remaining === 0) this.#endBlock(at);
        else this.#descriptor |= SKIP; // the lost marker's remaining bytes are not data either
        return;
      }
      this.#out.gap(length, at.frames);
      this.#remaining -= length;
      if (this.#remaining === 0) this.#endBlock(at);
      return;
    }
    const where = length === null ? `at wire offset ${at.offset}` : `of ${length} bytes at wire offset ${at.offset}-${at.offset + length}`;
    const inBlock = this.#state === 'block' ? ` (the block at ${this.#blockOffset} had ${this.#remaining} bytes left)` : '';
    this.#warn({
      stage: 'mode-b',
      code: 'mode-b-gap',
      message:
        `gap ${where} covers a MODE B block header${inBlock}: the block framing is lost, ` +
        `nothing after the gap can be decoded`,
      offset: at.offset,
      frames: framesOf(at),
    });
    this.#out.lost(at.frames);
    this.#state = 'lost';
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const at = this.#nextInOffset ?? 0;
    if (this.#state === 'header' && this.#headerLen > 0) {
      this.#warn({
        stage: 'mode-b',
        code: 'mode-b-truncated-header',
        message: `MODE B stream ends inside a block header (${this.#headerLen} of 3 bytes at wire offset ${this.#headerOffset})`,
        offset: this.#headerOffset,
      });
      this.#out.lost();
    } else if (this.#state === 'block') {
      this.#warn({
        stage: 'mode-b',
        code: 'mode-b-truncated-block',
        message:
          `MODE B stream ends inside the block at wire offset ${this.#blockOffset}: ` +
          `${this.#remaining} of its ${this.#blockCount} bytes missing`,
        offset: at,
      });
      this.#out.lost();
    } else if (this.#state === 'header') {
      this.#warn({
        stage: 'mode-b',
        code: 'mode-b-no-eof',
        message: `MODE B stream ends without an EOF block (descriptor 64) after ${this.blocks} blocks: the transfer may be cut short`,
        offset: at,
      });
      this.#out.lost();
    } else if (this.#state === 'eof' && this.#out.afterEof > 0) {
      this.#warn({
        stage: 'mode-b',
        code: 'mode-b-after-eof',
        message: `${this.#out.afterEof} bytes after the MODE B EOF block (ignored)`,
        offset: this.#out.afterEofOffset,
      });
    }
    this.#out.end();
  }

  #checkOffset(at: DataPosition): void {
    if (this.#nextInOffset !== undefined && at.offset !== this.#nextInOffset && this.#state !== 'lost' && this.#state !== 'eof') {
      // The caller skipped bytes without a gap(): treat it as one.
      if (at.offset > this.#nextInOffset) this.gap(at.offset - this.#nextInOffset, { offset: this.#nextInOffset, frames: at.frames });
    }
  }

  #startBlock(at: DataPosition): void {
    const d = this.#header[0]!;
    const count = (this.#header[1]! << 8) | this.#header[2]!;
    this.#descriptor = d;
    this.#remaining = count;
    this.#blockCount = count;
    this.#blockOffset = this.#headerOffset;
    this.blocks++;
    if ((d & UNDEFINED_BITS) !== 0) {
      this.#warn({
        stage: 'mode-b',
        code: 'mode-b-unknown-flags',
        message: `MODE B block header at wire offset ${this.#headerOffset} has undefined descriptor bits 0x${(d & UNDEFINED_BITS).toString(16)} (ignored)`,
        offset: this.#headerOffset,
        frames: this.#headerFrames,
      });
    }
    if ((d & SUSPECT) !== 0) {
      this.suspectBlocks++;
      this.#warn({
        stage: 'mode-b',
        code: 'mode-b-suspect',
        message:
          `the sender flagged the ${count}-byte block at wire offset ${this.#headerOffset} (decoded offset ${this.#out.offset}) ` +
          `as suspected of errors (descriptor 32); its data is kept`,
        offset: this.#headerOffset,
        frames: this.#headerFrames,
      });
    }
    if ((d & RESTART) !== 0) {
      this.#marker = new Uint8Array(count);
      this.#markerLen = 0;
      this.#markerFrames = this.#headerFrames;
    }
    if (count === 0) this.#endBlock(at);
    else this.#state = 'block';
  }

  #endBlock(at: DataPosition): void {
    const d = this.#descriptor;
    if ((d & RESTART) !== 0 && this.#marker !== undefined) {
      this.#out.marker(this.#marker.subarray(0, this.#markerLen), this.#blockOffset, this.#markerFrames);
      this.#marker = undefined;
      this.#markerLen = 0;
    }
    if ((d & EOR) !== 0) this.#out.endOfRecord(at.frames);
    this.#state = (d & EOF) !== 0 ? 'eof' : 'header';
  }
}
