const EMPTY = new Uint8Array(0);
const MIN_OWNED_CAPACITY = 64 * 1024;

/**
 * The byte window the format readers parse from, fed by arbitrary chunks.
 *
 * Parsers only ever look at `bytes[pos, end)` after `ensure(n)` said n bytes are there, so a
 * record is always contiguous and chunk boundaries never reach the parsing code.
 *
 * To stay off the copy path on the common case, a chunk that arrives while nothing is pending
 * is parsed in place. Only a record that straddles two chunks is stitched together in one owned
 * buffer: the unread tail of the old chunk moves to its front, and `ensure` copies from the new
 * chunk just the bytes that record still needs; once the owned bytes are used up, parsing moves
 * on to the new chunk in place. The owned buffer therefore holds at most about one record, and
 * it only grows when a reader asks for more — which readers do only after checking the record
 * length against their limits.
 *
 * Views handed out (frame data) stay valid until the next `append`: nothing already handed out
 * is overwritten before then (growing allocates a fresh buffer rather than compacting in place).
 * A chunk given to `append` must not be modified until the reader has run dry, since unread
 * bytes are only copied out of it on the next `append`.
 */
export class StreamBuffer {
  /** Current contiguous window: a caller's chunk or the owned buffer. */
  bytes: Uint8Array = EMPTY;
  view: DataView = new DataView(EMPTY.buffer);
  /** Next unread byte in `bytes`. */
  pos = 0;
  /** End of valid data in `bytes`. */
  end = 0;

  #owned: Uint8Array | undefined;
  #ownedView: DataView | undefined;
  /** Unread rest of the latest chunk while `bytes` is the owned buffer. */
  #tail: Uint8Array = EMPTY;
  /** File offset of bytes[0]. */
  #base = 0;
  #received = 0;

  /** File offset of `pos`. */
  get offset(): number {
    return this.#base + this.pos;
  }

  /** Unread bytes held, wherever they sit. */
  get pending(): number {
    return this.end - this.pos + this.#tail.length;
  }

  /** Total bytes appended so far. */
  get received(): number {
    return this.#received;
  }

  /** Bytes allocated by the buffer itself (caller's chunks are not counted). */
  get capacity(): number {
    return this.#owned === undefined ? 0 : this.#owned.byteLength;
  }

  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#received += chunk.length;
    if (this.pos === this.end && this.#tail.length > 0) this.#adoptTail();
    const leftover = this.end - this.pos;
    if (leftover === 0) {
      this.#adopt(chunk, this.#base + this.end);
      return;
    }
    // Callers normally drain the reader before appending, so only `leftover` moves here;
    // a non-empty tail means they did not, and it is folded in so no byte is lost.
    const keep = leftover + this.#tail.length;
    const base = this.#base + this.pos;
    let owned = this.#owned;
    if (owned === undefined || owned.length < keep) {
      owned = new Uint8Array(grownCapacity(keep));
      owned.set(this.bytes.subarray(this.pos, this.end), 0);
      this.#setOwned(owned);
    } else if (this.bytes === owned) {
      owned.copyWithin(0, this.pos, this.end);
    } else {
      owned.set(this.bytes.subarray(this.pos, this.end), 0);
    }
    owned.set(this.#tail, leftover);
    this.bytes = owned;
    this.view = this.#ownedView as DataView;
    this.#base = base;
    this.pos = 0;
    this.end = keep;
    this.#tail = chunk;
  }

  /** Makes `n` bytes available contiguously at `pos`; false when the input has not got them yet. */
  ensure(n: number): boolean {
    const have = this.end - this.pos;
    if (have >= n) return true;
    if (this.#tail.length === 0) return false;
    if (have === 0) {
      this.#adoptTail();
      return this.end - this.pos >= n;
    }
    const take = Math.min(n - have, this.#tail.length);
    let owned = this.bytes;
    if (owned.length < this.end + take) {
      // A fresh buffer, not compaction: frames already handed out may point at the old one.
      owned = new Uint8Array(grownCapacity(have + take));
      owned.set(this.bytes.subarray(this.pos, this.end), 0);
      this.#setOwned(owned);
      this.bytes = owned;
      this.view = this.#ownedView as DataView;
      this.#base += this.pos;
      this.pos = 0;
      this.end = have;
    }
    owned.set(this.#tail.subarray(0, take), this.end);
    this.end += take;
    this.#tail = this.#tail.subarray(take);
    return this.end - this.pos >= n;
  }

  /** Discards up to `n` unread bytes without copying them; returns how many went. */
  skip(n: number): number {
    let done = 0;
    while (done < n) {
      const have = this.end - this.pos;
      if (have === 0) {
        if (this.#tail.length === 0) break;
        this.#adoptTail();
        continue;
      }
      const k = Math.min(have, n - done);
      this.pos += k;
      done += k;
    }
    return done;
  }

  /** Drops everything held; later appends are still counted. */
  clear(): void {
    this.#base += this.end + this.#tail.length;
    this.bytes = EMPTY;
    this.view = new DataView(EMPTY.buffer);
    this.pos = 0;
    this.end = 0;
    this.#tail = EMPTY;
  }

  #adoptTail(): void {
    const tail = this.#tail;
    this.#adopt(tail, this.#base + this.end);
  }

  #adopt(chunk: Uint8Array, base: number): void {
    this.bytes = chunk;
    this.view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#base = base;
    this.pos = 0;
    this.end = chunk.length;
    this.#tail = EMPTY;
  }

  #setOwned(owned: Uint8Array): void {
    this.#owned = owned;
    this.#ownedView = new DataView(owned.buffer, owned.byteOffset, owned.byteLength);
  }
}

function grownCapacity(need: number): number {
  let cap = MIN_OWNED_CAPACITY;
  while (cap < need) cap *= 2;
  return cap;
}

/**
 * `bytes[start..end)` as a plain Uint8Array view sharing `bytes`' memory: a frame's data. The
 * constructor is used rather than `subarray`: the bytes read from a file are a Buffer, whose
 * `subarray` goes through Node's FastBuffer constructor and a species lookup, about twice the
 * cost, once per frame.
 */
export function frameView(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}
