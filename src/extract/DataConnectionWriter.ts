// The glue between the TCP stage and a transfer's decoders: one data connection's
// StreamConsumer (src/tcp/StreamEvents.ts) that feeds the direction carrying the file into a
// TransferDecoder (which writes into an ExtractedFile), and only counts the other direction.
//
// Which direction carries the file, and where it goes, is decided by the linking of data
// connections to commands (RETR: server to client; STOR/APPE/STOU: client to server; LIST,
// NLST, MLSD: server to client), which may know it only after the first bytes arrived — a
// passive connection is opened before its command, and a capture may show the first data
// segment before the reply that explains it. Until `bind()`, the writer keeps what arrives
// (copied, in order, gaps and ends included) up to `maxEarlyBytes`; past that it keeps only
// the offsets, so a late bind still knows exactly which ranges are missing. `bind()` replays
// what was kept, then passes everything on as it comes.

import type { ConnectionStart, Direction, StreamChunk, StreamConsumer, StreamEnd, StreamGap } from '../tcp/StreamEvents.js';
import type { TransferDecoder } from '../ftp/data/TransferDecoder.js';
import type { ExtractedFile } from './FileSink.js';

export interface DataConnectionWriterOptions {
  /** Bytes kept (both directions together) while not bound. Default 1 MiB. */
  maxEarlyBytes?: number;
}

type Early =
  | { kind: 'data'; offset: number; bytes: Uint8Array | null; length: number; frames: number[] }
  | { kind: 'gap'; gap: StreamGap }
  | { kind: 'end'; end: StreamEnd };

const DEFAULT_MAX_EARLY = 1024 * 1024;

export class DataConnectionWriter implements StreamConsumer {
  readonly start: ConnectionStart;
  #maxEarly: number;
  #early: [Early[], Early[]] = [[], []];
  #earlyBytes = 0;
  #dropped: [number, number] = [0, 0];
  #direction: Direction | undefined;
  #decoder: TransferDecoder | undefined;
  #file: ExtractedFile | undefined;
  #ended: [boolean, boolean] = [false, false];
  #closed = false;
  /** Bytes seen per direction (0: from the client, 1: from the server). */
  readonly bytes: [number, number] = [0, 0];
  /** First and last frame with payload, per direction. */
  readonly frames: [[number, number] | null, [number, number] | null] = [null, null];
  /** The first bytes of the direction that is not the file (to recognise proftpd's empty MODE Z stream). */
  #reverseHead = new Uint8Array(16);
  #reverseHeadLen = 0;

  constructor(start: ConnectionStart, options: DataConnectionWriterOptions = {}) {
    this.start = start;
    this.#maxEarly = options.maxEarlyBytes ?? DEFAULT_MAX_EARLY;
  }

  get bound(): boolean {
    return this.#direction !== undefined;
  }

  /** The direction that carries the file, once bound. */
  get direction(): Direction | undefined {
    return this.#direction;
  }

  /** Bytes copied while waiting for bind(). */
  get heldBytes(): number {
    return this.#earlyBytes;
  }

  /** Bytes that arrived before bind() and could not be kept (they become missing ranges). */
  get droppedEarlyBytes(): number {
    return this.#dropped[0] + this.#dropped[1];
  }

  /**
   * The file travels in `direction` (1: server to client, a download or listing; 0: client to
   * server, an upload). Replays what arrived so far, then passes bytes on as they come.
   */
  bind(direction: Direction, decoder: TransferDecoder, file?: ExtractedFile): void {
    if (this.#direction !== undefined) throw new Error('DataConnectionWriter.bind: already bound');
    this.#direction = direction;
    this.#decoder = decoder;
    this.#file = file;
    file?.attach(decoder);
    if (this.start.rolesFrom === 'heuristic') {
      file?.warn('the capture began after this data connection opened: bytes before the first one captured may be missing');
    }
    const replay = this.#early[direction];
    const other = this.#early[direction === 0 ? 1 : 0];
    this.#early = [[], []];
    this.#earlyBytes = 0;
    for (const e of other) if (e.kind === 'data' && e.bytes !== null) this.#noteReverse(e.bytes);
    for (const e of replay) {
      if (e.kind === 'data') {
        if (e.bytes !== null) decoder.data(e.bytes, { offset: e.offset, frames: e.frames });
        else decoder.gap(e.length, { offset: e.offset, frames: e.frames });
      } else if (e.kind === 'gap') {
        this.#gapTo(e.gap);
      } else {
        this.#endTo(e.end);
      }
    }
    if (this.#dropped[direction] > 0) {
      file?.warn(`${this.#dropped[direction]} bytes arrived before the transfer was identified and could not be kept (maxEarlyBytes); they are listed as missing`);
    }
    // Bound only after the connection was gone (an orphan decided at the end): finish now.
    if (this.#closed) this.#close();
  }

  data(chunk: StreamChunk): void {
    const d = chunk.direction;
    const n = chunk.bytes.length;
    if (n === 0) return;
    this.bytes[d] += n;
    const f = this.frames[d];
    const first = chunk.frames[0];
    const last = chunk.frames[chunk.frames.length - 1];
    if (first !== undefined && last !== undefined) {
      if (f === null) this.frames[d] = [first, last];
      else f[1] = last;
    }
    if (this.#direction === undefined) {
      const keep = this.#earlyBytes + n <= this.#maxEarly;
      // Past the limit only the range is kept: on replay it becomes a gap, never invented bytes.
      this.#early[d].push({ kind: 'data', offset: chunk.offset, bytes: keep ? chunk.bytes.slice() : null, length: n, frames: [...chunk.frames] });
      if (keep) this.#earlyBytes += n;
      else this.#dropped[d] += n;
      return;
    }
    if (d === this.#direction) this.#decoder!.data(chunk.bytes, { offset: chunk.offset, frames: chunk.frames });
    else this.#noteReverse(chunk.bytes);
  }

  gap(gap: StreamGap): void {
    if (this.#direction === undefined) {
      this.#early[gap.direction].push({ kind: 'gap', gap: { ...gap } });
      return;
    }
    if (gap.direction === this.#direction) this.#gapTo(gap);
  }

  end(end: StreamEnd): void {
    if (this.#direction === undefined) {
      this.#early[end.direction].push({ kind: 'end', end: { ...end } });
      return;
    }
    if (end.direction === this.#direction) this.#endTo(end);
  }

  closed(): void {
    this.#closed = true;
    if (this.#direction !== undefined) this.#close();
  }

  #close(): void {
    if (this.#direction === undefined) return;
    // The file's direction may not have seen an end (a FIN the capture missed).
    if (!this.#ended[this.#direction]) this.#endTo({ direction: this.#direction, reason: 'end-of-capture' });
    const back = this.#direction === 0 ? 1 : 0;
    if (this.bytes[back] > 0 && !this.#isEmptyModeZ(back)) {
      this.#file?.warn(`${this.bytes[back]} bytes travelled the other way on this data connection (not part of the file)`);
    }
  }

  #gapTo(gap: StreamGap): void {
    const reason = gap.reason === 'snaplen' ? ' (cut by the snapshot length)' : gap.reason === 'buffer-limit' ? ' (dropped by a reassembly limit)' : '';
    if (reason !== '') this.#file?.warn(`bytes ${gap.start}-${gap.end} of the data connection missing${reason}`);
    this.#decoder!.gap(gap.end - gap.start, { offset: gap.start, frames: [gap.frame] });
  }

  #endTo(end: StreamEnd): void {
    if (this.#ended[end.direction]) return;
    this.#ended[end.direction] = true;
    if (end.reason === 'rst') this.#file?.warn(`the data connection was reset (RST${end.frame !== undefined ? `, frame ${end.frame}` : ''}): the transfer may be cut short`);
    if (end.reason === 'end-of-capture') this.#file?.warn('the capture ended before the data connection did');
    this.#decoder!.end();
  }

  #noteReverse(bytes: Uint8Array): void {
    const room = this.#reverseHead.length - this.#reverseHeadLen;
    if (room <= 0) return;
    const take = Math.min(room, bytes.length);
    this.#reverseHead.set(bytes.subarray(0, take), this.#reverseHeadLen);
    this.#reverseHeadLen += take;
  }

  /** proftpd sends an empty zlib stream back on a MODE Z upload: header, 03 00, Adler-32 1. Not worth a warning. */
  #isEmptyModeZ(back: Direction): boolean {
    if (this.#decoder?.representation.mode !== 'Z' || this.bytes[back] !== 8 || this.#reverseHeadLen !== 8) return false;
    const h = this.#reverseHead;
    return ((h[0]! << 8) | h[1]!) % 31 === 0 && (h[0]! & 0x0f) === 8 && h[2] === 0x03 && h[3] === 0x00 && h[4] === 0 && h[5] === 0 && h[6] === 0 && h[7] === 1;
  }
}
