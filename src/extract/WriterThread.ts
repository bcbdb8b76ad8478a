// Writes small extracted files on a thread of their own, so that creating them does not stop
// the analysis. On a capture of many short transfers, creating files is most of the work the
// kernel does for us: on this project's test machine one O_CREAT|O_EXCL open took from 30 µs to
// over 0.5 ms (the file system's journal), and the synchronous calls held the main thread for
// all of it. The main thread keeps every decision — names, the checks of the path, what a
// failure means — and hands this thread only system calls to make: make the directories of
// the tree layout (each checked to be a real directory), create the file (never over anything
// that exists, never through a symbolic link), check that its directory is still the one
// asked for, write the bytes and holes, set the size, hash, close. Each job's answer says
// which step refused it, and the main thread takes it from there (a new name, a failure).
//
// Jobs are posted in batches (one message per turn of the event loop). Their bytes are
// transferred, not copied: FileSink copies a file's bytes into space this class hands out
// (`space`), views into one buffer per batch (ten or more small files share one, instead of
// a buffer and a transfer each), which the thread writes and drops with the batch. A job sent
// round again (its name was taken) gets its bytes back in a buffer of their own.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';

/** What to write: data (copied to the thread) and holes (a length: zeros in the hash, nothing on disk). */
export type WriterPart = Uint8Array | number;

export interface WriterJob {
  /** Absolute path of the file to create. */
  abs: string;
  /** Its directory, as realpath must give it after the file was created. */
  parent: string;
  /** Directories to make first, absolute, outermost first (tree layout); each must end up a real directory. */
  dirs: string[];
  parts: WriterPart[];
  /** The file ends in a hole: set its length to the end of it. */
  truncate: boolean;
}

export type WriterResult =
  /** Written (or failed while writing: `error`); `size` is how far the bytes went, `sha256` of every part handed in up to the failure. */
  | { status: 'written'; size: number; sha256: string; error?: string }
  /** Something exists at the path (EEXIST, ELOOP, EISDIR): nothing was touched; the parts come back. */
  | { status: 'taken'; parts: WriterPart[] }
  /** A directory on the way could not be made, or is not a real directory; the parts come back. */
  | { status: 'dirs-refused'; parts: WriterPart[] }
  /** The file's directory is not where it should be: the file was created but not written. */
  | { status: 'moved' }
  | { status: 'open-failed'; message: string }
  /** The thread is gone, and with it the bytes of a job that had been posted (not of one still queued). */
  | { status: 'thread-failed'; message: string };

// What a job does, as plain JavaScript: the thread runs it (with `eval`, so it needs no file of
// its own next to the compiled one, and runs the same under the test runner, which compiles
// TypeScript in memory), and so does runWriterJob on the main thread when there is no thread —
// one implementation of the checks and system calls for both.
const JOB_SOURCE = `
const ZEROS = new Uint8Array(1024 * 1024);

function makeDirs(dirs) {
  for (const path of dirs) {
    try { fs.mkdirSync(path, { mode: 0o755 }); } catch (err) { if (err.code !== 'EEXIST') return false; }
    try {
      const st = fs.lstatSync(path);
      if (!st.isDirectory() || st.isSymbolicLink()) return false;
    } catch { return false; }
  }
  return true;
}

function run(job) {
  if (job.dirs.length > 0 && !makeDirs(job.dirs)) return { status: 'dirs-refused', parts: job.parts };
  let fd;
  try {
    fd = fs.openSync(job.abs, FLAGS, 0o644);
  } catch (err) {
    if (err.code === 'EEXIST' || err.code === 'ELOOP' || err.code === 'EISDIR') return { status: 'taken', parts: job.parts };
    return { status: 'open-failed', message: err.message };
  }
  let where;
  try { where = fs.realpathSync.native(job.parent); } catch { where = undefined; }
  if (where !== job.parent) {
    fs.closeSync(fd);
    return { status: 'moved' };
  }
  const hash = createHash('sha256');
  let pos = 0;
  let endsInHole = false;
  let error;
  try {
    for (const part of job.parts) {
      if (typeof part === 'number') {
        for (let left = part; left > 0; left -= ZEROS.length) hash.update(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
        pos += part;
        if (part > 0) endsInHole = true;
        continue;
      }
      if (error !== undefined) continue;
      hash.update(part);
      try {
        for (let off = 0; off < part.length; ) {
          const n = fs.writeSync(fd, part, off, part.length - off, pos + off);
          if (n <= 0) throw new Error('no progress writing');
          off += n;
        }
        pos += part.length;
        if (part.length > 0) endsInHole = false;
      } catch (err) {
        error = 'write failed: ' + err.message;
      }
    }
    if (job.truncate && endsInHole && error === undefined) {
      try { fs.ftruncateSync(fd, pos); } catch (err) { error = 'cannot set the file size: ' + err.message; }
    }
  } finally {
    try { fs.closeSync(fd); } catch (err) { if (error === undefined) error = 'write failed: ' + err.message; }
  }
  const result = { status: 'written', size: pos, sha256: hash.digest('hex') };
  if (error !== undefined) result.error = error;
  return result;
}
`;

const THREAD_SOURCE = `
'use strict';
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const { parentPort, workerData } = require('node:worker_threads');
const FLAGS = workerData.flags;
${JOB_SOURCE}
parentPort.on('message', (jobs) => {
  const results = [];
  const back = [];
  const done = new Set();
  for (const job of jobs) {
    let r;
    try { r = run(job); } catch (err) { r = { status: 'open-failed', message: String(err && err.message || err) }; }
    for (const p of job.parts) if (typeof p !== 'number') done.add(p.buffer);
    // A job's bytes share their buffer with other jobs of the batch: the ones that go round again get their own.
    if (r.parts) {
      r.parts = r.parts.map((p) => (typeof p === 'number' ? p : new Uint8Array(p)));
      for (const p of r.parts) if (typeof p !== 'number') back.push(p.buffer);
    }
    results.push(r);
  }
  // The batch's buffers are written: they go back to be filled again.
  const spare = [...done];
  parentPort.postMessage({ results, spare }, [...back, ...spare]);
});
parentPort.postMessage('ready');
`;

const runners = new Map<number, (job: WriterJob) => WriterResult>();

/**
 * A job done here, synchronously, by the same code the thread runs (no writer thread, or it
 * failed). Its answer means what the thread's would; 'taken' and 'dirs-refused' hand the same
 * parts back.
 */
export function runWriterJob(job: WriterJob, flags: number): WriterResult {
  let run = runners.get(flags);
  if (run === undefined) {
    // A constant source of this module's own, compiled once per flag set.
    run = new Function('fs', 'createHash', 'FLAGS', `'use strict';${JOB_SOURCE}return run;`)(fs, createHash, flags) as (job: WriterJob) => WriterResult;
    runners.set(flags, run);
  }
  try {
    return run(job);
  } catch (err) {
    return { status: 'open-failed', message: String((err as Error)?.message ?? err) };
  }
}

/**
 * Jobs not answered yet, at most: past it, `busy` tells the caller to wait. A few dozen already
 * cover the main thread's bursts on a slow disk; more only keep more sessions and bytes alive
 * (peak RSS on bench many grew by tens of MB with 1,024).
 */
export const MAX_PENDING_JOBS = 256;

/** The size of a batch's shared buffer (a file's bytes larger than what is left get a buffer of their own size). */
const BATCH_BUFFER_BYTES = 256 * 1024;
/** Batch buffers the thread gave back, kept to be filled again (memory already touched costs no page faults). */
const MAX_SPARE_BUFFERS = 16;

/**
 * The writer thread, started at the first job. If it cannot start or dies, every job still
 * waiting is answered `thread-failed` — one not posted yet with its bytes still in the caller's
 * hands (the caller writes it itself), one posted with its bytes gone with the thread — and
 * later jobs are refused at once (`submit` returns false): the caller writes on the main thread.
 */
export class WriterThread {
  readonly #flags: number;
  readonly #source: string;
  #worker: Worker | undefined;
  /** The thread said it is ready: jobs are posted only then, so a thread that fails to start loses none. */
  #ready = false;
  #failed: string | undefined;
  /** Batches posted, each with its jobs' callbacks, oldest first (the thread answers in order). */
  #inFlight: Array<Array<(r: WriterResult) => void>> = [];
  #pendingJobs = 0;
  #queued: WriterJob[] = [];
  #queuedCallbacks: Array<(r: WriterResult) => void> = [];
  #flushScheduled = false;
  #drainWaiters: Array<() => void> = [];
  /** The buffer `space` hands out views of, until the batch is posted (then it belongs to the thread). */
  #batchBuffer: ArrayBuffer | undefined;
  #batchUsed = 0;
  #spare: ArrayBuffer[] = [];

  /** `source`: the thread's code (tests give one that fails; by default THREAD_SOURCE above). */
  constructor(flags: number, options: { source?: string } = {}) {
    this.#flags = flags;
    this.#source = options.source ?? THREAD_SOURCE;
  }

  /** Jobs not answered yet. */
  get pending(): number {
    return this.#pendingJobs;
  }

  /** Too many jobs wait: the producer should wait for `drained(…)`. */
  get busy(): boolean {
    return this.#pendingJobs > MAX_PENDING_JOBS;
  }

  /**
   * `n` bytes for a job about to be submitted in this turn of the event loop: a view into the
   * buffer the next batch takes to the thread (transferred, so never give it to anyone else).
   * A job that cannot be submitted (false) may keep and use its view on this thread.
   */
  space(n: number): Buffer {
    let buffer = this.#batchBuffer;
    if (buffer === undefined || buffer.byteLength === 0 || this.#batchUsed + n > buffer.byteLength) {
      // Memory of its own (Buffer.allocUnsafeSlow, not zeroed), never Node's shared pool, whose buffer cannot be transferred.
      const spare = n <= BATCH_BUFFER_BYTES ? this.#spare.pop() : undefined;
      buffer = this.#batchBuffer = spare ?? (Buffer.allocUnsafeSlow(Math.max(BATCH_BUFFER_BYTES, n)).buffer as ArrayBuffer);
      this.#batchUsed = 0;
    }
    const view = Buffer.from(buffer, this.#batchUsed, n);
    this.#batchUsed += n;
    return view;
  }

  /** Queues a job (posted with the others of this turn); false when the thread is not available. */
  submit(job: WriterJob, done: (r: WriterResult) => void): boolean {
    if (this.#failed !== undefined || !this.#start()) return false;
    this.#queued.push(job);
    this.#queuedCallbacks.push(done);
    this.#pendingJobs++;
    this.#worker!.ref();
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
    return true;
  }

  /** Resolves when at most `below` jobs are still unanswered. */
  drained(below = 0): Promise<void> {
    if (this.#pendingJobs <= below) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#pendingJobs <= below) resolve();
        else this.#drainWaiters.push(check);
      };
      this.#drainWaiters.push(check);
    });
  }

  /** Stops the thread once every job is answered. */
  async close(): Promise<void> {
    await this.drained(0);
    const w = this.#worker;
    this.#worker = undefined;
    this.#failed ??= 'closed';
    if (w) await w.terminate();
  }

  #start(): boolean {
    if (this.#worker) return true;
    try {
      const w = new Worker(this.#source, { eval: true, workerData: { flags: this.#flags } });
      w.on('message', (message: { results: WriterResult[]; spare: ArrayBuffer[] } | 'ready') => {
        if (message !== 'ready') {
          for (const b of message.spare) if (b.byteLength === BATCH_BUFFER_BYTES && this.#spare.length < MAX_SPARE_BUFFERS) this.#spare.push(b);
          return this.#answer(message.results);
        }
        this.#ready = true;
        this.#flush();
      });
      w.on('error', (err: Error) => this.#die(`the writer thread failed: ${err.message}`));
      w.on('exit', (code) => this.#die(`the writer thread exited (code ${code})`));
      w.unref();
      this.#worker = w;
      return true;
    } catch (err) {
      this.#failed = `the writer thread could not start: ${(err as Error).message}`;
      return false;
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#queued.length === 0 || (!this.#ready && this.#failed === undefined)) return;
    const jobs = this.#queued;
    const callbacks = this.#queuedCallbacks;
    this.#queued = [];
    this.#queuedCallbacks = [];
    if (this.#failed !== undefined || !this.#worker) {
      this.#settle(callbacks, () => ({ status: 'thread-failed', message: this.#failed ?? 'no writer thread' }));
      return;
    }
    this.#inFlight.push(callbacks);
    // The batch's buffer goes with it: the next job's bytes go into a new one.
    this.#batchBuffer = undefined;
    const transfer = new Set<ArrayBuffer>();
    for (const job of jobs) for (const p of job.parts) if (typeof p !== 'number') transfer.add(p.buffer as ArrayBuffer);
    this.#worker.postMessage(jobs, [...transfer]);
  }

  #answer(results: WriterResult[]): void {
    const callbacks = this.#inFlight.shift();
    if (!callbacks) return;
    this.#settle(callbacks, (i) => results[i] ?? { status: 'thread-failed', message: 'the writer thread gave no answer' });
  }

  #settle(callbacks: Array<(r: WriterResult) => void>, result: (i: number) => WriterResult): void {
    this.#pendingJobs -= callbacks.length;
    if (this.#pendingJobs === 0) this.#worker?.unref();
    callbacks.forEach((cb, i) => cb(result(i)));
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }

  #die(message: string): void {
    if (this.#failed === undefined) this.#failed = message;
    this.#worker = undefined;
    this.#ready = false;
    const lost = this.#inFlight;
    this.#inFlight = [];
    for (const callbacks of lost) this.#settle(callbacks, () => ({ status: 'thread-failed', message }));
    // Jobs queued for the next post go the same way.
    this.#flush();
  }
}
