// TYPE A (RFC 959 §3.1.1.1): text in NVT-ASCII, every line ending in CR LF on the wire,
// whatever the sender's own convention. Stored as the wire bytes by default (what a
// byte-for-byte comparison with a capture wants); `native` turns each CR LF into LF, which
// gives back the file a Unix sender had (what a Unix client's TYPE A download writes).
//
// Only CR directly followed by LF is changed: a lone CR is data (old Mac text, or binary
// sent in TYPE A by mistake) and stays. A CR that ends a chunk waits for the next chunk's
// first byte — the only state kept.

import type { DataDecoder, DataPosition, DataSink, WarningHandler } from './DataDecoder.js';

const CR = 0x0d;
const LF = 0x0a;

export class AsciiNativeDecoder implements DataDecoder {
  #next: DataSink;
  #warn: WarningHandler;
  #stage: 'type-a' | 'type-e';
  #pendingCr = false;
  #pendingFrames: number[] | undefined;
  #outOffset = 0;
  #buf = new Uint8Array(0);
  #warnedGap = false;
  /** CR LF pairs turned into LF. */
  lineEnds = 0;

  constructor(next: DataSink, onWarning: WarningHandler, stage: 'type-a' | 'type-e' = 'type-a') {
    this.#next = next;
    this.#warn = onWarning;
    this.#stage = stage;
  }

  get heldBytes(): number {
    return this.#pendingCr ? 1 : 0;
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  data(bytes: Uint8Array, at: DataPosition): void {
    const n = bytes.length;
    if (n === 0) return;
    if (this.#buf.length < n + 1) this.#buf = new Uint8Array(Math.max(n + 1, 2 * this.#buf.length, 4096));
    const out = this.#buf;
    let o = 0;
    let i = 0;
    if (this.#pendingCr) {
      this.#pendingCr = false;
      if (bytes[0] === LF) {
        out[o++] = LF;
        i = 1;
        this.lineEnds++;
      } else {
        out[o++] = CR;
      }
    }
    for (; i < n; i++) {
      const b = bytes[i]!;
      if (b === CR) {
        if (i + 1 === n) {
          this.#pendingCr = true;
          this.#pendingFrames = at.frames === undefined ? undefined : [...at.frames];
          break;
        }
        if (bytes[i + 1] === LF) {
          out[o++] = LF;
          this.lineEnds++;
          i++;
          continue;
        }
      }
      out[o++] = b;
    }
    if (o > 0) {
      this.#next.data(out.subarray(0, o), { offset: this.#outOffset, frames: at.frames });
      this.#outOffset += o;
    }
  }

  gap(length: number | null, at: DataPosition): void {
    this.#flushCr();
    if (!this.#warnedGap && length !== null) {
      this.#warnedGap = true;
      this.#warn({
        stage: this.#stage,
        code: 'ascii-native-gap',
        message:
          `gap of ${length} bytes at decoded offset ${at.offset}: converting CR LF to LF, the bytes after it ` +
          `may sit up to one byte per line end in the missing range too far on`,
        offset: at.offset,
        frames: at.frames === undefined ? undefined : [...at.frames],
      });
    }
    this.#next.gap(length, { offset: this.#outOffset, frames: at.frames });
    if (length !== null) this.#outOffset += length;
  }

  end(): void {
    this.#flushCr();
    this.#next.end();
  }

  #flushCr(): void {
    if (!this.#pendingCr) return;
    this.#pendingCr = false;
    this.#next.data(Uint8Array.of(CR), { offset: this.#outOffset, frames: this.#pendingFrames });
    this.#outOffset += 1;
  }
}
