// Computes the sha256 of the large extracted files (the ones FileSink's pump writes) on a thread
// of its own. Hashing a gigabyte takes about 0.7 s of CPU — on bench `bulk` a third of what
// `extract` spent on its main thread, where the capture is read, decoded and analysed. Here it
// runs beside that work, on another core.
//
// The bytes are not copied: once a batch of a pumped file is written, its buffers are
// transferred to the thread, which hashes them and transfers them back to be filled again
// (`update` resolves with them). The writes do not wait for the hashing; the thread takes the
// batches in order. (Shared memory, hashed while it is written, was tried first: copying the
// packets' bytes into a SharedArrayBuffer took V8 nearly twice as long as into ordinary memory,
// which ate most of the gain.) Bytes the caller cannot give away are copied into the message.
//
// Every file is a stream of operations (bytes, a run of zeros for a hole, the digest), posted in
// order and done in order: per turn of the event loop, the operations of every file go in one
// message, and the thread answers each message with the digests it asked for.
//
// If the thread cannot be made, `start` gives no id and the caller hashes on its own thread. If
// it fails to start or dies, every pending `update` resolves (a dead thread reads no memory; the
// buffers it held are not given back) and every pending or later `digest` resolves undefined:
// the caller then reads the file back (FileSink does, from the handle it wrote with) — the hash
// of what is on disk either way.

import { Worker } from 'node:worker_threads';

type Op =
  | { id: number; bytes: Uint8Array[] }
  | { id: number; zeros: number }
  | { id: number; digest: true };

const THREAD_SOURCE = `
'use strict';
const { createHash } = require('node:crypto');
const { parentPort } = require('node:worker_threads');
const ZEROS = new Uint8Array(1024 * 1024);
const hashes = new Map();
parentPort.on('message', (ops) => {
  const digests = [];
  const back = [];
  for (const op of ops) {
    let h = hashes.get(op.id);
    if (h === undefined) { h = createHash('sha256'); hashes.set(op.id, h); }
    if (op.bytes !== undefined) {
      for (const b of op.bytes) { h.update(b); back.push(b.buffer); }
    }
    else if (op.zeros !== undefined) {
      for (let left = op.zeros; left > 0; left -= ZEROS.length) h.update(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
    } else {
      hashes.delete(op.id);
      digests.push(h.digest('hex'));
    }
  }
  parentPort.postMessage({ digests, back }, back);
});
parentPort.postMessage('ready');
`;

/** One message to the thread: its operations, and what waits for the answer. */
interface Batch {
  ops: Op[];
  /** Every buffer of the operations' bytes, in order: transferred with the message. */
  sent: ArrayBuffer[];
  /** Called with the answer: each sent buffer → the one that came back (none if the thread died with them). */
  released: Array<(back: Map<ArrayBuffer, ArrayBuffer>) => void>;
  /** The digest operations' callbacks, in the order of the message. */
  digests: Array<(hex: string | undefined) => void>;
}

const emptyBatch = (): Batch => ({ ops: [], sent: [], released: [], digests: [] });

export class HashThread {
  readonly #source: string;
  #worker: Worker | undefined;
  #ready = false;
  #failed: string | undefined;
  #nextId = 1;
  /** The operations of this turn of the event loop, posted at its end. */
  #queued: Batch = emptyBatch();
  #flushScheduled = false;
  /** Batches posted and not answered, oldest first (the thread answers in order). */
  #inFlight: Batch[] = [];

  /** `source`: the thread's code (tests give one that fails; by default THREAD_SOURCE above). */
  constructor(options: { source?: string } = {}) {
    this.#source = options.source ?? THREAD_SOURCE;
  }

  /** Why the thread is not available, once it is not. */
  get failure(): string | undefined {
    return this.#failed;
  }

  /**
   * A new hash's id, or undefined when the thread is not available (it could not start, or has
   * died): the caller hashes itself.
   */
  start(): number | undefined {
    if (this.#failed !== undefined) return undefined;
    if (this.#worker === undefined) {
      try {
        const w = new Worker(this.#source, { eval: true });
        w.on('message', (message: { digests: string[]; back: ArrayBuffer[] } | 'ready') => {
          if (message === 'ready') {
            this.#ready = true;
            this.#flush();
          } else {
            this.#answer(message);
          }
        });
        w.on('error', (err: Error) => this.#die(`the hashing thread failed: ${err.message}`));
        w.on('exit', (code) => this.#die(`the hashing thread exited (code ${code})`));
        w.unref();
        this.#worker = w;
      } catch (err) {
        this.#failed = `the hashing thread could not start: ${(err as Error).message}`;
        return undefined;
      }
    }
    return this.#nextId++;
  }

  /**
   * Hashes `parts` next in hash `id`. Each part's whole buffer is given to the thread when
   * `owned(part)` says it may be (the part is then unusable here until it comes back), else the
   * part is copied. Resolves with the given buffers that came back (in the order given; none
   * when the thread died with them).
   */
  update(id: number, parts: Uint8Array[], owned: (part: Uint8Array) => boolean): Promise<ArrayBuffer[]> {
    const batch = this.#queued;
    const bytes: Uint8Array[] = [];
    const given: ArrayBuffer[] = [];
    for (const p of parts) {
      if (p.length === 0) continue;
      const buffer = p.buffer;
      if (owned(p) && buffer instanceof ArrayBuffer && !batch.sent.includes(buffer)) {
        batch.sent.push(buffer);
        given.push(buffer);
        bytes.push(p);
      } else {
        const copy = new Uint8Array(p);
        batch.sent.push(copy.buffer);
        bytes.push(copy);
      }
    }
    if (bytes.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      batch.released.push((back) => resolve(given.flatMap((b) => back.get(b) ?? [])));
      this.#post({ id, bytes });
    });
  }

  /** Hashes `length` zero bytes next in hash `id` (a hole in the file). */
  zeros(id: number, length: number): void {
    if (length > 0) this.#post({ id, zeros: length });
  }

  /** The hex digest of hash `id` (which ends it); undefined when the thread failed first. */
  digest(id: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.#queued.digests.push(resolve);
      this.#post({ id, digest: true });
    });
  }

  /** Stops the thread (after the answers still awaited). */
  async close(): Promise<void> {
    while (this.#failed === undefined && (this.#queued.ops.length > 0 || this.#inFlight.length > 0)) {
      const last = this.#queued.ops.length > 0 ? this.#queued : this.#inFlight[this.#inFlight.length - 1]!;
      await new Promise<void>((resolve) => last.released.push(() => resolve()));
    }
    const w = this.#worker;
    this.#worker = undefined;
    this.#failed ??= 'closed';
    if (w) await w.terminate();
  }

  #post(op: Op): void {
    this.#queued.ops.push(op);
    if (this.#failed !== undefined) {
      // Answered at once, as if the thread had been there and gone.
      this.#flush();
      return;
    }
    this.#worker?.ref();
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#queued;
    if (batch.ops.length === 0) return;
    if (this.#failed !== undefined || this.#worker === undefined) {
      // Never posted: the buffers are still here, as they were.
      this.#queued = emptyBatch();
      this.#settle(batch, undefined, new Map(batch.sent.map((b) => [b, b])));
      return;
    }
    // Nothing is posted before the thread says it is ready (one that never starts loses nothing).
    if (!this.#ready) return;
    this.#queued = emptyBatch();
    this.#inFlight.push(batch);
    this.#worker.postMessage(batch.ops, batch.sent);
  }

  #answer(message: { digests: string[]; back: ArrayBuffer[] }): void {
    const batch = this.#inFlight.shift();
    if (batch === undefined) return;
    // The thread hands the buffers back in the order they were sent.
    const back = new Map<ArrayBuffer, ArrayBuffer>();
    message.back.forEach((b, i) => back.set(batch.sent[i]!, b));
    this.#settle(batch, message.digests, back);
  }

  #settle(batch: Batch, digests: string[] | undefined, back: Map<ArrayBuffer, ArrayBuffer>): void {
    if (this.#inFlight.length === 0 && this.#queued.ops.length === 0) this.#worker?.unref();
    for (const r of batch.released) r(back);
    batch.digests.forEach((resolve, i) => resolve(digests?.[i]));
  }

  #die(message: string): void {
    if (this.#failed === undefined) this.#failed = message;
    this.#worker = undefined;
    this.#ready = false;
    const lost = this.#inFlight;
    this.#inFlight = [];
    // Their buffers went with the thread.
    for (const batch of lost) this.#settle(batch, undefined, new Map());
    this.#flush();
  }
}
