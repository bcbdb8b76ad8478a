// The manifest entries of closed files, kept until manifest.json is written: as UTF-8 JSON in
// a spool file beside the extracted files, so that memory does not grow with the number of
// files written (a million files would otherwise hold some 450 MB of entries).
//
// Why not objects, or strings: V8 lets its old generation grow to several times the live heap
// between full collections, so every megabyte kept alive on the heap costs several of RSS.
// Why a file and not buffers: buffers are memory too, and grow with the capture.
//
// The spool is created with O_EXCL|O_NOFOLLOW in the output directory (the user chose it: it
// is writable, and the files there dwarf ~450 bytes per entry) and unlinked at once, so nothing
// is left behind whatever happens to the process; entries are written in 1 MiB batches and
// read back by slot. When the spool cannot be created or written (a full disk), entries stay
// in memory, as they all did before.

import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestEntry } from './Manifest.js';

const CHUNK_BYTES = 1024 * 1024;
const SPOOL_FLAGS = fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);

export class EntryStore {
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

  /** `dir`: where the spool file goes; without it, entries are kept in memory. */
  constructor(dir?: string) {
    this.#dir = dir;
    this.#inMemory = dir === undefined;
  }

  /** Stores the entry of `slot` (replacing nothing: each slot is put once). */
  put(slot: number, entry: ManifestEntry): void {
    const text = JSON.stringify(entry);
    const length = Buffer.byteLength(text);
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (chunk === undefined || this.#used + length > chunk.length) {
      // A chunk written to the spool is filled again; one kept in memory stays, and an entry
      // larger than a chunk (thousands of missing ranges) gets a chunk of its own size.
      const spooled = chunk !== undefined && this.#retire();
      if (spooled) this.#chunks.pop();
      chunk = spooled && length <= chunk!.length ? chunk! : Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, length));
      this.#chunks.push(chunk);
      this.#used = 0;
    }
    chunk.write(text, this.#used, 'utf8');
    this.#grow(slot);
    this.#offsets[slot] = this.#spooled + this.#before + this.#used;
    this.#lengths[slot] = length;
    this.#used += length;
  }

  /** The entry of `slot`, as it was put; undefined when none was. */
  get(slot: number): ManifestEntry | undefined {
    if (slot >= this.#offsets.length) return undefined;
    const at = this.#offsets[slot]!;
    if (at < 0) return undefined;
    const length = this.#lengths[slot]!;
    let text: string;
    if (at < this.#spooled) {
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(this.#fd!, buf, got, length - got, at + got);
        if (n === 0) throw new Error('the manifest spool file is shorter than written');
        got += n;
      }
      text = buf.toString('utf8');
    } else {
      // In a chunk not spooled: find it by the chunks' used lengths (all full but the last).
      let offset = at - this.#spooled;
      let k = 0;
      const last = this.#chunks.length - 1;
      for (; k < last; k++) {
        if (offset < this.#fills[k]!) break;
        offset -= this.#fills[k]!;
      }
      text = this.#chunks[k]!.toString('utf8', offset, offset + length);
    }
    return JSON.parse(text) as ManifestEntry;
  }

  /** Bytes held in memory (chunks not spooled), for tests and measurements. */
  get heldBytes(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  /** Whether entries go to a spool file (false: kept in memory). */
  get spooling(): boolean {
    return !this.#inMemory;
  }

  /** Closes the spool file (it was unlinked when created). The store is empty afterwards. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#chunks = [];
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
    const path = join(this.#dir!, `.ftp-inspect-manifest-${process.pid}-${randomBytes(6).toString('hex')}.spool`);
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
