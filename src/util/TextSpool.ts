// Texts kept by slot until they are wanted, in memory that does not grow with their number: one
// batch in memory (1 MiB unless asked otherwise), full batches in a spool file (UTF-8). Used for
// the manifest entries of extracted files (FileSink) and for the reports' sessions, which end in
// any order and are printed in order; read back as text, or as bytes to be written as they are.
//
// Why not strings or objects: V8 lets its old generation grow to several times the live heap
// between full collections, so every megabyte kept alive on the heap costs several of RSS.
// Why a file and not buffers: buffers are memory too, and grow with the capture.
//
// The spool is created with O_EXCL|O_NOFOLLOW in the folder given (the output folder, or the
// system's temporary folder) and unlinked at once, so nothing is left behind whatever happens
// to the process; texts are written in batches and read back by slot. When the spool
// cannot be created or written (a full disk), texts stay in memory.

import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK_BYTES = 1024 * 1024;
/**
 * Spooled texts are read back through a window of this many bytes: texts are mostly wanted in
 * about the order they were put (files close, sessions end, nearly in order), so one read
 * serves the next hundred manifest entries instead of a system call each; a text wanted out of
 * order costs at most one window's read.
 */
const WINDOW_BYTES = 64 * 1024;
const SPOOL_FLAGS = fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);

export class TextSpool {
  /** The spool's descriptor; undefined before the first batch, or when entries stay in memory. */
  #fd: number | undefined;
  /** Spooling failed or was not asked for: chunks stay in memory. */
  #inMemory: boolean;
  readonly #dir: string | undefined;
  /** Bytes written to the spool so far (the offset of #chunks[0]). */
  #spooled = 0;
  /** Chunks not in the spool (the batch being filled; every chunk when in memory), from offset #spooled on. */
  #chunks: Buffer[] = [];
  /** Free bytes from here in the last chunk. */
  #used = CHUNK_BYTES;
  /** Bytes used in each chunk of #chunks but the last (whose fill is #used), and their sum. */
  #fills: number[] = [];
  #before = 0;
  /** Per slot: offset in the whole store (-1: nothing stored) and length. */
  #offsets = new Float64Array(1024).fill(-1);
  #lengths = new Int32Array(1024);
  /** The last bytes read back from the spool (made at the first read) and where they start in it. */
  #window: Buffer | undefined;
  #windowAt = 0;
  #windowLength = 0;
  #reads = 0;

  /** Size of a batch (a text larger than it gets a batch of its own size). */
  readonly #batchBytes: number;

  /**
   * `dir`: where the spool file goes; without it, texts are kept in memory. `batchBytes`: the
   * batch's size (default 1 MiB), smaller for a spool that is one of many.
   */
  constructor(dir?: string, batchBytes = CHUNK_BYTES) {
    this.#dir = dir;
    this.#inMemory = dir === undefined;
    this.#batchBytes = Math.max(1024, batchBytes);
  }

  /** Stores the text of `slot` (replacing nothing: each slot is put once). */
  put(slot: number, text: string): void {
    const length = Buffer.byteLength(text);
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (chunk === undefined || this.#used + length > chunk.length) {
      // A chunk written to the spool is filled again; one kept in memory stays, and a text
      // larger than a chunk gets a chunk of its own size.
      const spooled = chunk !== undefined && this.#retire();
      if (spooled) this.#chunks.pop();
      chunk = spooled && length <= chunk!.length ? chunk! : Buffer.allocUnsafeSlow(Math.max(this.#batchBytes, length));
      this.#chunks.push(chunk);
      this.#used = 0;
    }
    chunk.write(text, this.#used, 'utf8');
    this.#grow(slot);
    this.#offsets[slot] = this.#spooled + this.#before + this.#used;
    this.#lengths[slot] = length;
    this.#used += length;
  }

  /** Whether a text was put for `slot` (nothing is read). */
  has(slot: number): boolean {
    return slot < this.#offsets.length && this.#offsets[slot]! >= 0;
  }

  /** The text of `slot`, as it was put; undefined when none was. */
  get(slot: number): string | undefined {
    return this.#bytes(slot, false)?.toString('utf8');
  }

  /**
   * The text of `slot` as UTF-8 bytes in a Buffer of the caller's own, undefined when none was
   * put: for writing it out without decoding it.
   */
  takeBytes(slot: number): Buffer | undefined {
    return this.#bytes(slot, true);
  }

  /** The bytes of `slot`: a view of the window or a chunk unless `own`; a text read alone is always its own. */
  #bytes(slot: number, own: boolean): Buffer | undefined {
    if (slot >= this.#offsets.length) return undefined;
    const at = this.#offsets[slot]!;
    if (at < 0) return undefined;
    const length = this.#lengths[slot]!;
    if (at < this.#spooled) {
      if (length > WINDOW_BYTES) {
        const buf = Buffer.allocUnsafe(length);
        this.#read(buf, length, at);
        return buf;
      }
      if (at < this.#windowAt || at + length > this.#windowAt + this.#windowLength) {
        // The spooled bytes never change: the window is good until the next miss.
        this.#window ??= Buffer.allocUnsafe(WINDOW_BYTES);
        this.#windowLength = 0; // not valid while it is being read (a failed read leaves it empty)
        const n = Math.min(WINDOW_BYTES, this.#spooled - at);
        this.#read(this.#window, n, at);
        this.#windowAt = at;
        this.#windowLength = n;
      }
      const from = at - this.#windowAt;
      const view = this.#window!.subarray(from, from + length);
      return own ? Buffer.from(view) : view;
    }
    // In a chunk not spooled: find it by the chunks' used lengths (all full but the last).
    let offset = at - this.#spooled;
    let k = 0;
    const last = this.#chunks.length - 1;
    for (; k < last; k++) {
      if (offset < this.#fills[k]!) break;
      offset -= this.#fills[k]!;
    }
    const view = this.#chunks[k]!.subarray(offset, offset + length);
    return own ? Buffer.from(view) : view;
  }

  /** Reads `length` bytes of the spool from `at` into the start of `buf`. */
  #read(buf: Buffer, length: number, at: number): void {
    let got = 0;
    while (got < length) {
      const n = readSync(this.#fd!, buf, got, length - got, at + got);
      this.#reads++;
      if (n === 0) throw new Error('the spool file is shorter than written');
      got += n;
    }
  }

  /** Bytes held in memory (chunks not spooled), for tests and measurements. */
  get heldBytes(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  /** Reads from the spool file so far, for tests and measurements. */
  get spoolReads(): number {
    return this.#reads;
  }

  /** Whether texts go to a spool file (false: kept in memory). */
  get spooling(): boolean {
    return !this.#inMemory;
  }

  /** Closes the spool file (it was unlinked when created). The store is empty afterwards. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#chunks = [];
    this.#window = undefined;
    this.#windowLength = 0;
    this.#offsets = new Float64Array(0);
    this.#lengths = new Int32Array(0);
  }

  /**
   * The last chunk is full: to the spool (where it is the only chunk held; true: it was
   * written and may be filled again), or kept in memory with its fill when spooling is off or
   * fails (a full disk: this chunk and every later one).
   */
  #retire(): boolean {
    const chunk = this.#chunks[this.#chunks.length - 1]!;
    const fill = this.#used;
    if (!this.#inMemory) {
      try {
        this.#fd ??= this.#open();
        let done = 0;
        while (done < fill) done += writeSync(this.#fd, chunk, done, fill - done, this.#spooled + done);
        this.#spooled += fill;
        return true;
      } catch {
        this.#inMemory = true;
      }
    }
    this.#fills.push(fill);
    this.#before += fill;
    return false;
  }

  #open(): number {
    const path = join(this.#dir!, `.ftp-inspect-${process.pid}-${randomBytes(6).toString('hex')}.spool`);
    const fd = openSync(path, SPOOL_FLAGS, 0o600);
    try {
      unlinkSync(path);
    } catch (err) {
      // A file system that does not unlink open files: no spool, and no file left behind.
      closeSync(fd);
      unlinkSync(path);
      throw err;
    }
    return fd;
  }

  #grow(slot: number): void {
    if (slot < this.#offsets.length) return;
    let size = this.#offsets.length || 1024;
    while (slot >= size) size *= 2;
    const offsets = new Float64Array(size).fill(-1);
    offsets.set(this.#offsets);
    const lengths = new Int32Array(size);
    lengths.set(this.#lengths);
    this.#offsets = offsets;
    this.#lengths = lengths;
  }
}
