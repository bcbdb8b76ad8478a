// What MODE B (RFC 959 §3.4.2) and MODE C (§3.4.3) share once their framing is read: the
// descriptor codes (a block header's first byte in MODE B, the byte after a 0x00 escape in
// MODE C — the same flags), and the output side — decoded bytes and holes handed on at the
// decoded offset, a record separator at each EOR, restart markers (§3.5) reported with the
// decoded offset they stand at and never written, and the bytes that follow the EOF counted.
// Each decoder keeps its own framing state; this is the part that was the same in both.

import { type DataPosition, type DataSink, type RestartMarker, framesOf, markerText } from './DataDecoder.js';

/** RFC 959 §3.4.2 descriptor codes. */
export const EOR = 128;
export const EOF = 64;
export const SUSPECT = 32;
export const RESTART = 16;
/** The low four bits have no meaning in RFC 959. */
export const UNDEFINED_BITS = 0x0f;

export interface FramedOutputOptions {
  /** Bytes written at each end of record. Default: nothing. */
  recordSeparator?: Uint8Array;
  onRestartMarker?: (marker: RestartMarker) => void;
}

export class FramedOutput {
  readonly #next: DataSink;
  readonly #recordSeparator: Uint8Array | undefined;
  readonly #onMarker: ((m: RestartMarker) => void) | undefined;
  /** Decoded offset of the next byte handed on. */
  offset = 0;
  records = 0;
  restartMarkers = 0;
  /** Bytes seen after the EOF, and the wire offset of the first of them. */
  afterEof = 0;
  afterEofOffset = 0;

  constructor(next: DataSink, options: FramedOutputOptions) {
    this.#next = next;
    this.#recordSeparator = options.recordSeparator;
    this.#onMarker = options.onRestartMarker;
  }

  data(piece: Uint8Array, frames: readonly number[] | undefined): void {
    if (piece.length === 0) return;
    this.#next.data(piece, { offset: this.offset, frames });
    this.offset += piece.length;
  }

  /** `length` decoded bytes are missing here (the framing survived the hole). */
  gap(length: number, frames: readonly number[] | undefined): void {
    this.#next.gap(length, { offset: this.offset, frames });
    this.offset += length;
  }

  /** The framing is lost: nothing more will follow. */
  lost(frames?: readonly number[]): void {
    this.#next.gap(null, frames === undefined ? { offset: this.offset } : { offset: this.offset, frames });
  }

  endOfRecord(frames: readonly number[] | undefined): void {
    this.records++;
    if (this.#recordSeparator !== undefined && this.#recordSeparator.length > 0) this.data(this.#recordSeparator, frames);
  }

  /** A restart marker whose bytes were `bytes`, found at `wireOffset`: it stands before the next decoded byte. */
  marker(bytes: Uint8Array, wireOffset: number, frames: number[] | undefined): void {
    this.restartMarkers++;
    this.#onMarker?.({ marker: markerText(bytes), offset: wireOffset, dataOffset: this.offset, frames });
  }

  /** Bytes after the EOF (ignored, counted for the closing warning). */
  trailing(at: DataPosition, from: number, count: number): void {
    if (this.afterEof === 0) this.afterEofOffset = at.offset + from;
    this.afterEof += count;
  }

  end(): void {
    this.#next.end();
  }
}

export { framesOf };
