// The manifest entries of closed files, kept until manifest.json is written, as UTF-8 JSON in
// large buffers outside V8's heap.
//
// Why not objects, or strings: V8 lets its old generation grow to several times the live heap
// between full collections, so every megabyte kept alive on the heap costs several of RSS.
// Buffers are memory of their own: an entry of about 450 bytes costs about that, and the
// collector never traces it.

import type { ManifestEntry } from './Manifest.js';

const CHUNK_BYTES = 1024 * 1024;

export class EntryStore {
  #chunks: Buffer[] = [];
  /** Free bytes from here in the last chunk. */
  #used = CHUNK_BYTES;
  /** Per slot: chunk, offset, length (-1 chunk: nothing stored). */
  #index = new Int32Array(3 * 1024).fill(-1);

  /** Stores the entry of `slot` (replacing nothing: each slot is put once). */
  put(slot: number, entry: ManifestEntry): void {
    const text = JSON.stringify(entry);
    const length = Buffer.byteLength(text);
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (chunk === undefined || this.#used + length > chunk.length) {
      // An entry larger than a chunk (thousands of missing ranges) gets a chunk of its own size.
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, length));
      this.#chunks.push(chunk);
      this.#used = 0;
    }
    chunk.write(text, this.#used, 'utf8');
    this.#grow(slot);
    this.#index[3 * slot] = this.#chunks.length - 1;
    this.#index[3 * slot + 1] = this.#used;
    this.#index[3 * slot + 2] = length;
    this.#used += length;
  }

  /** The entry of `slot`, as it was put; undefined when none was. */
  get(slot: number): ManifestEntry | undefined {
    if (3 * slot >= this.#index.length) return undefined;
    const c = this.#index[3 * slot]!;
    if (c < 0) return undefined;
    const at = this.#index[3 * slot + 1]!;
    return JSON.parse(this.#chunks[c]!.toString('utf8', at, at + this.#index[3 * slot + 2]!)) as ManifestEntry;
  }

  /** Bytes held (the chunks), for tests and measurements. */
  get heldBytes(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  #grow(slot: number): void {
    if (3 * slot + 2 < this.#index.length) return;
    let size = this.#index.length;
    while (3 * slot + 2 >= size) size *= 2;
    const next = new Int32Array(size).fill(-1);
    next.set(this.#index);
    this.#index = next;
  }
}
