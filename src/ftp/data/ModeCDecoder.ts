// MODE C, compressed mode (RFC 959 §3.4.3): a run-length code, one header byte per item:
//   0nnnnnnn (n ≥ 1)   n bytes of data follow as they are
//   10nnnnnn d         the byte d, n times
//   11nnnnnn           n filler bytes: <SP> for TYPE A (0x20) and TYPE E (0x40, EBCDIC's
//                      space), a zero byte for TYPE I and L
//   00000000 d         an escape: d is a descriptor byte with block mode's flags (§3.4.2:
//                      128 EOR, 64 EOF, 32 suspect, 16 restart marker) that "apply to the
//                      succeeding string of bytes" — so after a 16 the next item is the
//                      sender's restart marker (§3.5), reported and not written.
// The escape is the two bytes only: RFC 959 gives it no byte count (that is block mode's
// header). Items may be cut anywhere by chunk boundaries; the decoder keeps at most one
// header byte, the count in progress and a marker of ≤ 127 bytes.
//
// A gap inside a data string, or exactly over a replicated byte, keeps the framing and
// becomes a same-size gap in the output; any other gap loses the framing, and the decoder
// stops there and says so.

import type { DataDecoder, DataPosition, DataSink, RestartMarker, WarningHandler } from './DataDecoder.js';
import { EOF, EOR, FramedOutput, RESTART, SUSPECT, UNDEFINED_BITS, framesOf } from './FramedOutput.js';

export interface ModeCOptions {
  /** Representation type in force: decides the filler byte. Default 'I'. */
  type?: 'A' | 'E' | 'I' | 'L';
  /** Bytes written into the output at each EOR escape (record structure). Default: nothing. */
  recordSeparator?: Uint8Array;
  onRestartMarker?: (marker: RestartMarker) => void;
}


type State = 'item' | 'string' | 'replicate' | 'escape' | 'eof' | 'lost';

export class ModeCDecoder implements DataDecoder {
  #out: FramedOutput;
  #warn: WarningHandler;
  #filler: number;

  #state: State = 'item';
  #count = 0;
  #itemOffset = 0;
  /** The next item is a restart marker / suspect (set by an escape). */
  #markerNext = false;
  #suspectNext = false;
  #markerOffset = 0;
  #marker: Uint8Array | undefined;
  #markerLen = 0;
  #markerFrames: number[] | undefined;
  #scratch = new Uint8Array(127);
  #nextInOffset: number | undefined;
  #ended = false;

  constructor(next: DataSink, onWarning: WarningHandler, options: ModeCOptions = {}) {
    this.#out = new FramedOutput(next, options);
    this.#warn = onWarning;
    const type = options.type ?? 'I';
    this.#filler = type === 'A' ? 0x20 : type === 'E' ? 0x40 : 0x00;
  }

  get records(): number {
    return this.#out.records;
  }

  get restartMarkers(): number {
    return this.#out.restartMarkers;
  }

  get heldBytes(): number {
    return this.#markerLen;
  }

  get sawEof(): boolean {
    return this.#state === 'eof';
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  data(bytes: Uint8Array, at: DataPosition): void {
    if (this.#nextInOffset !== undefined && at.offset > this.#nextInOffset && this.#state !== 'lost' && this.#state !== 'eof') {
      this.gap(at.offset - this.#nextInOffset, { offset: this.#nextInOffset, frames: at.frames });
    }
    this.#nextInOffset = at.offset + bytes.length;
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      switch (this.#state) {
        case 'item': {
          const h = bytes[i]!;
          this.#itemOffset = at.offset + i;
          i++;
          if (h === 0) {
            this.#state = 'escape';
          } else if ((h & 0x80) === 0) {
            this.#count = h; // 1..127
            this.#beginItem(at);
            this.#state = 'string';
          } else if ((h & 0x40) === 0) {
            this.#count = h & 0x3f;
            this.#state = 'replicate';
          } else {
            this.#count = h & 0x3f;
            this.#zeroCount(at, 'filler');
            this.#beginItem(at);
            this.#emitRun(this.#filler, this.#count, at);
            this.#endItem();
          }
          break;
        }
        case 'string': {
          const take = Math.min(this.#count, n - i);
          this.#emit(bytes.subarray(i, i + take), at);
          this.#count -= take;
          i += take;
          if (this.#count === 0) {
            this.#endItem();
            this.#state = 'item';
          }
          break;
        }
        case 'replicate': {
          const d = bytes[i++]!;
          this.#zeroCount(at, 'replicated byte');
          this.#beginItem(at);
          this.#emitRun(d, this.#count, at);
          this.#endItem();
          this.#state = 'item';
          break;
        }
        case 'escape': {
          this.#escape(bytes[i++]!, at);
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
    if (length !== null && this.#state === 'string' && length <= this.#count && this.#marker === undefined) {
      this.#out.gap(length, at.frames);
      this.#count -= length;
      if (this.#count === 0) {
        this.#endItem();
        this.#state = 'item';
      }
      return;
    }
    if (length === 1 && this.#state === 'replicate' && !this.#markerNext) {
      // Only the replicated byte is missing; the count says how much output it stood for.
      this.#out.gap(this.#count, at.frames);
      this.#suspectNext = false;
      this.#state = 'item';
      return;
    }
    const where = length === null ? `at wire offset ${at.offset}` : `of ${length} bytes at wire offset ${at.offset}-${at.offset + length}`;
    this.#warn({
      stage: 'mode-c',
      code: 'mode-c-gap',
      message: `gap ${where} covers a MODE C item header: the framing is lost, nothing after the gap can be decoded`,
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
    if (this.#state === 'string' || this.#state === 'replicate' || this.#state === 'escape') {
      this.#warn({
        stage: 'mode-c',
        code: 'mode-c-truncated',
        message: `MODE C stream ends inside the item at wire offset ${this.#itemOffset} (${this.#state === 'escape' ? 'escape without its descriptor' : this.#state === 'string' ? `${this.#count} data bytes missing` : 'replicated byte missing'})`,
        offset: at,
      });
      this.#out.lost();
    } else if (this.#state === 'item') {
      this.#warn({
        stage: 'mode-c',
        code: 'mode-c-no-eof',
        message: 'MODE C stream ends without an EOF escape (0x00 0x40): the transfer may be cut short',
        offset: at,
      });
      this.#out.lost();
    } else if (this.#state === 'eof' && this.#out.afterEof > 0) {
      this.#warn({
        stage: 'mode-c',
        code: 'mode-c-after-eof',
        message: `${this.#out.afterEof} bytes after the MODE C EOF escape (ignored; on a data connection kept open they would be the next transfer)`,
        offset: this.#out.afterEofOffset,
      });
    }
    this.#out.end();
  }

  #escape(d: number, at: DataPosition): void {
    this.#state = 'item';
    if ((d & UNDEFINED_BITS) !== 0 || d === 0) {
      this.#warn({
        stage: 'mode-c',
        code: 'mode-c-unknown-escape',
        message: `MODE C escape at wire offset ${this.#itemOffset} has descriptor 0x${d.toString(16).padStart(2, '0')} with undefined bits (ignored)`,
        offset: this.#itemOffset,
        frames: framesOf(at),
      });
    }
    if ((d & SUSPECT) !== 0) this.#suspectNext = true;
    if ((d & RESTART) !== 0) {
      this.#markerNext = true;
      this.#markerOffset = this.#itemOffset;
    }
    if ((d & EOR) !== 0) this.#out.endOfRecord(at.frames);
    if ((d & EOF) !== 0) this.#state = 'eof';
  }

  /** An item begins: a pending escape flag applies to it. */
  #beginItem(at: DataPosition): void {
    if (this.#markerNext) {
      this.#markerNext = false;
      this.#marker = new Uint8Array(127);
      this.#markerLen = 0;
      this.#markerFrames = framesOf(at);
    }
    if (this.#suspectNext) {
      this.#suspectNext = false;
      this.#warn({
        stage: 'mode-c',
        code: 'mode-c-suspect',
        message: `the sender flagged the item at wire offset ${this.#itemOffset} (decoded offset ${this.#out.offset}) as suspected of errors; its data is kept`,
        offset: this.#itemOffset,
        frames: framesOf(at),
      });
    }
  }

  #endItem(): void {
    if (this.#marker === undefined) return;
    const bytes = this.#marker.subarray(0, this.#markerLen);
    this.#marker = undefined;
    this.#markerLen = 0;
    this.#out.marker(bytes, this.#markerOffset, this.#markerFrames);
  }

  #emit(piece: Uint8Array, at: DataPosition): void {
    if (piece.length === 0) return;
    if (this.#marker !== undefined) {
      const room = Math.min(piece.length, this.#marker.length - this.#markerLen);
      this.#marker.set(piece.subarray(0, room), this.#markerLen);
      this.#markerLen += room;
      return;
    }
    this.#out.data(piece, at.frames);
  }

  #emitRun(byte: number, count: number, at: DataPosition): void {
    if (count === 0) return;
    const run = this.#scratch.subarray(0, count);
    run.fill(byte);
    this.#emit(run, at);
  }

  #zeroCount(at: DataPosition, what: string): void {
    if (this.#count !== 0) return;
    this.#warn({
      stage: 'mode-c',
      code: 'mode-c-zero-count',
      message: `MODE C ${what} at wire offset ${this.#itemOffset} has a count of 0 (RFC 959 §3.4.3: must be positive); it stands for no bytes`,
      offset: this.#itemOffset,
      frames: framesOf(at),
    });
  }
}
