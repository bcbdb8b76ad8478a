// Streams transferred files to disk while the capture is read.
//
// The producer is synchronous: the TCP stage hands each data connection its bytes inside a
// packet callback, the decoders pass them on at once, and `ExtractedFile.data()` must return
// without waiting. So every file copies what it is given into a small queue and writes it
// in batches (`batchBytes`) from an asynchronous pump; the bytes held across all files are
// counted (`bufferedBytes`), and between two input chunks the capture reader awaits
// `onChunkEnd()` (readCapture's hook), which only waits when more than `maxBufferedBytes`
// are held — then until the pumps are down to half. Memory stays bounded by the limit plus
// what one input chunk can carry (times a decoder's expansion), whatever the file sizes.
//
// sha256 is computed on the fly, in file order (zero-filled holes included), so nothing is
// read back: a small file's by the writer thread, a pumped file's by the hashing thread
// (HashThread.ts) beside the analysis on the main thread. Missing bytes are never filled
// silently: every hole is listed in the manifest (see Manifest.ts), and by default kept at its
// size so later bytes stay at their offsets.
//
// On disk, nothing that exists is ever overwritten or followed: files are created with
// O_CREAT|O_EXCL|O_NOFOLLOW ('wx'), a name that exists gets the next suffix, every directory
// made for the tree layout is checked with lstat to be a real directory inside the output
// directory, and every path is resolved and checked to stay inside it.

import { createHash, type Hash } from 'node:crypto';
import { type Dir, constants as fsConstants, opendirSync } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, realpath } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, sep } from 'node:path';
import type { DataPosition, DataSink } from '../ftp/data/DataDecoder.js';
import type { TransferDecoder, WireRepresentation } from '../ftp/data/TransferDecoder.js';
import {
  type ExtractDirection,
  type ExtractKind,
  MANIFEST_FORMAT,
  type Manifest,
  type ManifestEntry,
  type ManifestListener,
  type ManifestWritten,
  type MissingRange,
  type MissingReason,
  warningLine,
} from './Manifest.js';
import { SlotMap } from '../util/SlotMap.js';
import { TextSpool } from '../util/TextSpool.js';
import { type Piece, reassemblePieces } from './Reassembly.js';
import { NameAllocator, listingName, orphanName, remotePathParts, sanitizeComponent } from './SafeName.js';
import { HashThread } from './HashThread.js';
import { MAX_PENDING_JOBS, runWriterJob, WriterThread, type WriterPart, type WriterResult } from './WriterThread.js';

export interface FileSinkOptions {
  /** 'flat' (default): every file in DIR under its base name; 'tree': DIR/session-N/remote/dirs/name. */
  layout?: 'flat' | 'tree';
  /** Missing ranges: 'zero' (default) keeps later bytes at their offsets; 'omit' writes only what came. */
  holes?: 'zero' | 'omit';
  /** Bytes held in memory across all files before onChunkEnd() waits. Default 32 MiB. */
  maxBufferedBytes?: number;
  /** Bytes a file gathers before it starts a write. Default 1 MiB. */
  batchBytes?: number;
  /** Warnings kept per file. Default 100. */
  maxWarnings?: number;
  /**
   * Small files (one batch or less, ended before their first write) are written by a thread
   * of their own, so that creating them does not hold up the analysis (default true). False:
   * on the main thread, synchronously. A WriterThread: that one (tests).
   */
  writerThread?: boolean | WriterThread;
  /**
   * The sha256 of the files the pump writes (larger ones) is computed by a thread of its own
   * (default: when the process may run on more than one core). False: on the main thread, as
   * the bytes are written. A HashThread: that one (tests).
   */
  hashThread?: boolean | HashThread;
}

export interface Endpoint {
  ip: string;
  port: number;
}

/** What the linking layer knows about a transfer when its data starts. */
export interface TransferInfo {
  kind: ExtractKind;
  /** Full remote path (working directory + argument), for 'file'. */
  remotePath?: string | null;
  /** FtpSession.id; null/absent for orphans. */
  session?: number | null;
  command?: string | null;
  argument?: string | null;
  direction?: ExtractDirection;
  /** tcp.stream of the data connection. */
  stream?: number | null;
  /** Server side of the data connection (names orphans). */
  server?: Endpoint;
  /** Frame of the LIST/NLST/MLSD command (names listings). */
  commandFrame?: number;
  /** MODE/TYPE/STRU in force (also taken from an attached TransferDecoder). */
  representation?: WireRepresentation;
  /** REST offset: the first byte of this transfer is byte N of the file. */
  restOffset?: number;
  /**
   * Size the server announced, to tell a short transfer from a complete one. May be set on
   * `ExtractedFile.info` later (a 150 reply's "(N bytes)" often comes after the first data),
   * up to the file's end().
   */
  expectedSize?: number;
  /**
   * Same key = pieces of one remote file (server, direction, full path): resumed (REST) or
   * appended (APPE) transfers that FileSink.close() puts together when they cover it all.
   */
  pieceKey?: string;
  /** The transfer was judged complete: its last byte is the remote file's last byte (later: ExtractedFile.judged). */
  endsAtFileEnd?: boolean;
  /** The transfer was aborted (ABOR, 426, a reset before the sender's FIN): more of the file may have followed (later: ExtractedFile.judged). */
  aborted?: boolean;
}

const DEFAULT_MAX_BUFFERED = 32 * 1024 * 1024;
const DEFAULT_BATCH = 1024 * 1024;
/** A file's first tail (ExtractedFile.#tail); later ones double up to batchBytes. */
const FIRST_TAIL = 64 * 1024;
/** First tails kept for reuse at most (FileSink.#spareFirst): more than the files open at once on the bench's `many`. */
const MAX_SPARE_FIRST = 64;
const ZEROS = new Uint8Array(1024 * 1024);
const MANIFEST_NAME = 'manifest.json';
/** manifest.json is written in pieces of about this many characters. */
const MANIFEST_BATCH = 1024 * 1024;
// O_NOFOLLOW is POSIX; where it does not exist (Windows) O_EXCL alone still refuses an existing path.
/** Names tried for one file before giving up (` (2)`, ` (3)` …). */
const MAX_NAME_TRIES = 1000;
export const CREATE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);
/** A pumped file is opened for reading too: should the hashing thread fail, its sha256 is read back from the same handle. */
const PUMP_FLAGS = (CREATE_FLAGS & ~fsConstants.O_WRONLY) | fsConstants.O_RDWR;

export class FileSink {
  /** The output directory, resolved (realpath). */
  readonly dir: string;
  readonly layout: 'flat' | 'tree';
  readonly holes: 'zero' | 'omit';
  readonly maxBufferedBytes: number;
  readonly batchBytes: number;
  readonly maxWarnings: number;
  #names: NameAllocator;
  /**
   * Every file in the order it was opened while it is open (a closed file's decoders, hash and
   * buffers are not kept); once closed, its manifest entry is in #entries under the same slot.
   */
  #files: Array<ExtractedFile | null> = [];
  /** Closed files' manifest entries (JSON), by slot, until manifest.json is written. */
  readonly #entries: TextSpool;
  /** Slots of the files that may be pieces of one remote file, by pieceKey (for reassembly). */
  #pieces = new Map<string, number[]>();
  /**
   * The pieceKeys of which a piece starts after offset 0 (REST, APPE): only such a group can be
   * reassembled, so only its entries are read back before the manifest (a client that fetched
   * one file a thousand times from the start has a thousand pieces and nothing to put together).
   */
  #resumedKeys = new Set<string>();
  /** Slots of files whose transfer was judged aborted, and of those judged to end where the remote file ends (ExtractedFile.judged). */
  #aborted = new Set<number>();
  #endsAtFileEnd = new Set<number>();
  /** Files not closed yet (the ones onChunkEnd must look at), by slot: a SlotMap, not a Set (see util/SlotMap.ts). */
  #active = new SlotMap<number, ExtractedFile>();
  #buffered = 0;
  #peak = 0;
  #waiters: Array<{ below: number; resolve: () => void }> = [];
  /**
   * Batch buffers whose bytes were written, kept for the next tails (up to maxBufferedBytes of
   * them): a fresh 1 MiB buffer per batch costs page faults and garbage-collector pressure (a
   * 1 GB file is a thousand of them), and garbage buffers waiting for a collection raise the
   * peak RSS.
   */
  #spare: Buffer[] = [];
  /**
   * The same for first tails (FIRST_TAIL bytes): a small file's bytes are copied out of its
   * tail into one buffer of their exact size before they go to the writer thread, so the tail
   * comes back at once. Made anew per file, they were 1.25 GB of short-lived buffers on bench
   * `many` (19,562 files, half of them under 2.5 KB), and the collector counts such memory
   * towards its next full collection.
   */
  #spareFirst: Buffer[] = [];
  #closed = false;
  #manifestName: string | undefined;
  /** Writes small files off the main thread (undefined: options.writerThread false). */
  readonly #writer: WriterThread | undefined;
  /** Hashes pumped files off the main thread (undefined: options.hashThread false). */
  readonly #hasher: HashThread | undefined;

  private constructor(dir: string, options: FileSinkOptions) {
    this.dir = dir;
    this.layout = options.layout ?? 'flat';
    this.holes = options.holes ?? 'zero';
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
    this.batchBytes = Math.max(1, options.batchBytes ?? DEFAULT_BATCH);
    this.maxWarnings = options.maxWarnings ?? 100;
    this.#names = new NameAllocator([MANIFEST_NAME], (rel) => listDir(rel === '' ? dir : join(dir, rel)));
    this.#entries = new TextSpool(dir);
    const w = options.writerThread;
    this.#writer = w === false ? undefined : w instanceof WriterThread ? w : new WriterThread(CREATE_FLAGS);
    const h = options.hashThread;
    // On one core the thread only adds the hand-over (bench bulk: 2.7 → 3.2 s under taskset -c 0).
    this.#hasher = h instanceof HashThread ? h : h === true || (h === undefined && availableParallelism() > 1) ? new HashThread() : undefined;
  }

  /** Creates DIR if needed (the user chose it: it may be anywhere) and resolves it once. */
  static async create(dir: string, options: FileSinkOptions = {}): Promise<FileSink> {
    await mkdir(dir, { recursive: true });
    const real = await realpath(dir);
    const st = await lstat(real);
    if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
    return new FileSink(real, options);
  }

  /** Bytes copied in but not yet written, over all files. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** The most that was ever held at once. */
  get peakBufferedBytes(): number {
    return this.#peak;
  }

  /**
   * Ends every file whose input has not ended (its data connection had not, when the capture
   * did), with a warning, and waits for the decoders to hand on what they hold; the files then
   * close on their own. finish() does it first; analyze() does it once the capture is read, so
   * that sessions waiting for their files (sessions not kept) are never left waiting.
   */
  async endInputs(): Promise<void> {
    const unfinished = [...this.#active.values()];
    // A decoder may still be finishing a transfer whose input has ended (MODE Z is asynchronous).
    await Promise.all(unfinished.map((f) => f.decoderSettled()));
    for (const f of unfinished) {
      if (!f.ended) {
        f.warn('the data connection had not ended when extraction closed (capture ended mid-transfer?)');
        // Through the decoder when there is one, so it can say what the cut means (MODE Z: no end marker).
        f.endInput();
      }
    }
    await Promise.all(unfinished.map((f) => f.decoderSettled()));
    for (const f of unfinished) if (!f.ended) f.end();
  }

  /** Where manifest.json went (relative), once close() has written it. */
  get manifestName(): string | undefined {
    return this.#manifestName;
  }

  /** A file for one transfer. Its name is chosen now; the file is created on the first write. */
  open(info: TransferInfo): ExtractedFile {
    if (this.#closed) throw new Error('FileSink.open after close');
    const { dirs, base } = this.#nameParts(info);
    const file = new ExtractedFile(this, info, dirs, base, this.#names.allocate(dirs, base));
    const slot = this.#files.length;
    file.slot = slot;
    this.#files.push(file);
    const key = file.info.pieceKey;
    if (key !== undefined) {
      const slots = this.#pieces.get(key);
      if (slots) slots.push(slot);
      else this.#pieces.set(key, [slot]);
      if ((file.info.restOffset ?? 0) > 0) this.#resumedKeys.add(key);
    }
    this.markJudged(slot, file.info.endsAtFileEnd === true, file.info.aborted === true);
    this.#active.set(slot, file);
    void file.closed.then((entry) => {
      this.#active.delete(slot);
      this.#files[slot] = null;
      this.#entries.put(slot, JSON.stringify(entry));
    });
    return file;
  }

  /**
   * For readCapture's onChunkEnd: nothing to wait for while under maxBufferedBytes; past it,
   * every file writes what it holds and the promise resolves once half the limit is left.
   */
  onChunkEnd(): Promise<void> | undefined {
    // Input an attached decoder still holds (MODE Z waits for zlib's thread pool) counts too.
    let held = this.#buffered;
    for (const f of this.#active.values()) held += f.decoderHeldBytes;
    // Files handed to the writer thread are counted in #buffered until it answers; their number is bounded too.
    if (this.#writer?.busy) return this.#writer.drained(Math.floor(MAX_PENDING_JOBS / 2));
    if (held <= this.maxBufferedBytes) return undefined;
    return (async () => {
      await Promise.all([...this.#active.values()].map((f) => f.decoderSettled()));
      await this.#waitBelow(Math.floor(this.maxBufferedBytes / 2));
    })();
  }

  /** Everything handed in so far is written (not closed). */
  async flush(): Promise<void> {
    await this.#waitBelow(0);
    await Promise.all([...this.#active.values()].map((f) => f.idle()));
  }

  /**
   * Ends every file still open (a data connection the capture did not see end), waits for
   * all writes, writes manifest.json (next to the files, never over an existing one) and
   * returns it. The whole manifest is made in memory: for many thousand files, `finish` with a
   * listener hears it entry by entry instead.
   */
  async close(): Promise<Manifest> {
    const files: ManifestEntry[] = [];
    const written = await this.finish({ entry: (e) => void files.push(e) });
    return { format: written.format, layout: written.layout, holes: written.holes, files };
  }

  /**
   * `close` without holding the manifest: manifest.json is written entry by entry (each read
   * back from the spool of closed files' entries) and `listener` hears each entry and each
   * piece of the text as it goes.
   */
  async finish(listener: ManifestListener = {}): Promise<ManifestWritten> {
    this.#closed = true;
    const unfinished = [...this.#active.values()];
    await this.endInputs();
    // Every file is closed and its entry in the spool (put by the reaction open() registered first).
    await Promise.all(unfinished.map((f) => f.closed));
    // Every file has its answer: the writer and hashing threads have nothing left to do.
    await this.#writer?.close();
    await this.#hasher?.close();
    try {
      const slots = this.#files.length;
      const reassembled: ManifestEntry[] = [];
      // The pieces' entries as reassembly left them (it adds warnings to them).
      const pieceEntries = new Map<number, ManifestEntry>();
      if (this.holes === 'zero') {
        const pieces: Piece[] = [];
        for (const [pieceKey, list] of this.#pieces) {
          // reassemblePieces leaves alone a group of one piece, or of none after offset 0.
          if (list.length < 2 || !this.#resumedKeys.has(pieceKey)) continue;
          for (const i of list) {
            const entry = this.#finalEntry(i);
            pieceEntries.set(i, entry);
            pieces.push({ info: { pieceKey, endsAtFileEnd: this.#endsAtFileEnd.has(i) }, entry });
          }
        }
        reassembled.push(...(await reassemblePieces(this.dir, pieces, (dirs, base) => this.#names.allocate(dirs, base))));
      }
      const { name, handle } = await this.#createManifestFile();
      this.#manifestName = name;
      const written: ManifestWritten = { format: MANIFEST_FORMAT, layout: this.layout, holes: this.holes, name, fileCount: slots + reassembled.length };
      // A listener that fails (a reader of standard output went away) stops hearing; the
      // manifest is still written whole, and the listener's error thrown at the end.
      let failed: { error: unknown } | undefined;
      const tell = async (call: () => void | Promise<void>) => {
        if (failed) return;
        try {
          await call();
        } catch (error) {
          failed = { error };
        }
      };
      try {
        await tell(() => listener.start?.(written));
        // The text JSON.stringify(manifest, null, 1) gives, made entry by entry (writeFile writes on
        // from the handle's position, all of it).
        let pending = `{\n "format": ${JSON.stringify(MANIFEST_FORMAT)},\n "layout": ${JSON.stringify(this.layout)},\n "holes": ${JSON.stringify(this.holes)},\n "files": [`;
        const emit = async (piece: string, force: boolean) => {
          pending += piece;
          if (!force && pending.length < MANIFEST_BATCH) return;
          await handle.writeFile(pending);
          const text = pending;
          await tell(() => listener.text?.(text));
          pending = '';
        };
        for (let i = 0; i < written.fileCount; i++) {
          const entry = i < slots ? pieceEntries.get(i) ?? this.#finalEntry(i) : reassembled[i - slots]!;
          await tell(() => listener.entry?.(entry));
          await emit(`${i === 0 ? '\n  ' : ',\n  '}${JSON.stringify(entry, null, 1).replace(/\n/g, '\n  ')}`, false);
        }
        await emit(written.fileCount === 0 ? ']\n}\n' : '\n ]\n}\n', true);
      } finally {
        await handle.close();
      }
      if (failed) throw failed.error;
      return written;
    } finally {
      this.#entries.close();
    }
  }

  /** A closed file's manifest entry as it goes into the manifest. */
  #finalEntry(slot: number): ManifestEntry {
    const e = JSON.parse(this.#entries.get(slot)!) as ManifestEntry;
    // Every byte that came is there, but the transfer was cut: what followed is unknown.
    if (this.#aborted.has(slot) && !e.missingDetail.some((m) => m.end === null || m.end >= e.size)) {
      e.missingDetail.push({ start: e.size, end: null, reason: 'aborted' });
      e.missing.push([e.size, null]);
      e.complete = false;
    }
    return e;
  }

  /** manifest.json, created (never over an existing file or through a link) under the first free name. */
  async #createManifestFile(): Promise<{ name: string; handle: FileHandle }> {
    let name = MANIFEST_NAME;
    for (let attempt = 0; ; attempt++) {
      try {
        return { name, handle: await open(join(this.dir, name), CREATE_FLAGS, 0o644) };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'EEXIST' && code !== 'ELOOP') || attempt > 1000) throw err;
        name = this.#names.allocate([], MANIFEST_NAME);
      }
    }
  }

  // --- for ExtractedFile ---------------------------------------------------------------

  /** @internal The writer thread for small files, if one is used. */
  get writer(): WriterThread | undefined {
    return this.#writer;
  }

  /** @internal The hashing thread for pumped files, if one is used. */
  get hasher(): HashThread | undefined {
    return this.#hasher;
  }

  /** @internal A buffer for a file's tail of `capacity` bytes, when one of that size was given back. */
  takeBuffer(capacity: number): Buffer | undefined {
    if (capacity === this.batchBytes) return this.#spare.pop();
    return capacity === FIRST_TAIL ? this.#spareFirst.pop() : undefined;
  }

  /** @internal The bytes of `b` are written (and hashed): its memory may hold another batch. */
  giveBack(b: Uint8Array): void {
    // As many as maxBufferedBytes can hold: memory the queues were allowed to use anyway.
    if (b.byteOffset !== 0) return;
    if (b.buffer.byteLength === this.batchBytes) {
      if (this.#spare.length * this.batchBytes < this.maxBufferedBytes) this.#spare.push(Buffer.from(b.buffer, 0, this.batchBytes));
    } else if (b.buffer.byteLength === FIRST_TAIL && this.#spareFirst.length < MAX_SPARE_FIRST) {
      this.#spareFirst.push(Buffer.from(b.buffer, 0, FIRST_TAIL));
    }
  }

  /** @internal */
  hold(n: number): void {
    this.#buffered += n;
    if (this.#buffered > this.#peak) this.#peak = this.#buffered;
  }

  /** @internal */
  release(n: number): void {
    this.#buffered -= n;
    if (this.#waiters.length === 0) return;
    const still: Array<{ below: number; resolve: () => void }> = [];
    for (const w of this.#waiters) {
      if (this.#buffered <= w.below) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  /** @internal Someone waits for the buffers to empty: pumps keep going instead of waiting for a full batch. */
  get flushing(): boolean {
    return this.#waiters.length > 0 || this.#closed;
  }

  /** @internal ExtractedFile.judged. */
  markJudged(slot: number, endsAtFileEnd: boolean, aborted: boolean): void {
    if (aborted) this.#aborted.add(slot);
    else this.#aborted.delete(slot);
    if (endsAtFileEnd) this.#endsAtFileEnd.add(slot);
    else this.#endsAtFileEnd.delete(slot);
  }

  /** @internal A new, unique relative name after `rel` turned out to be unusable on disk. */
  rename(dirs: string[], base: string): string {
    return this.#names.allocate(dirs, base);
  }

  #waitBelow(below: number): Promise<void> {
    for (const f of this.#active.values()) f.kick();
    if (this.#buffered <= below) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ below, resolve }));
  }

  #nameParts(info: TransferInfo): { dirs: string[]; base: string } {
    const tree = this.layout === 'tree';
    const sessionDir = info.session === undefined || info.session === null ? 'orphans' : `session-${info.session}`;
    if (info.kind === 'listing') {
      return { dirs: tree ? [sessionDir] : [], base: listingName(info.session ?? 0, info.commandFrame ?? 0, info.command ?? 'LIST') };
    }
    if (info.kind === 'orphan' || info.remotePath === undefined || info.remotePath === null) {
      const server = info.server ?? { ip: 'unknown', port: 0 };
      return { dirs: tree ? [sessionDir] : [], base: orphanName(info.stream ?? 0, server) };
    }
    const parts = remotePathParts(info.remotePath);
    const base = sanitizeComponent(parts.base);
    if (!tree) return { dirs: [], base };
    return { dirs: [sessionDir, ...parts.dirs.map((d) => sanitizeComponent(d))], base };
  }
}

/**
 * A directory's entries for NameAllocator, read as they are asked for (a huge folder is not
 * held at once): names only, nothing is opened through them; none when it cannot be read.
 */
function* listDir(path: string): Generator<{ name: string; dir: boolean }> {
  let d: Dir;
  try {
    d = opendirSync(path);
  } catch {
    return;
  }
  try {
    for (let e = d.readSync(); e !== null; e = d.readSync()) yield { name: e.name, dir: e.isDirectory() };
  } catch {
    // unreadable midway: the names so far are taken, the rest is left to the retry on EEXIST
  } finally {
    d.closeSync();
  }
}

/** `batch`: the bytes are a view of the writer thread's batch buffer (WriterThread.space), not a buffer to reuse. */
type Op = { kind: 'data'; bytes: Buffer; batch?: true } | { kind: 'hole'; length: number } | { kind: 'close' };

/** One transfer's file: a DataSink that the last decoder stage writes into. */
export class ExtractedFile implements DataSink {
  readonly info: TransferInfo;
  /** Resolves with the manifest entry once the file is written and closed. */
  readonly closed: Promise<ManifestEntry>;
  #sink: FileSink;
  #dirs: string[];
  #base: string;
  #rel: string;
  #decoder: TransferDecoder | undefined;

  #ops: Op[] = [];
  /** Data bytes queued: in #ops and in #tail. */
  #opsBytes = 0;
  /**
   * The data not yet queued as an op: incoming bytes are copied once, straight into this buffer
   * (64 KiB at first, doubling up to batchBytes), instead of one small copy per chunk that a
   * write then concatenates again. A full tail becomes a 'data' op; so does a partial one
   * before a hole, the close, or a write.
   */
  #tail: Buffer | undefined;
  #tailLength = 0;
  #tailCapacity = FIRST_TAIL;
  /** The file ends in a hole nothing was written over (its length must be set at the end). */
  #endsInHole = false;
  #pump: Promise<void> | undefined;
  #fh: FileHandle | undefined;
  #openFailed = false;
  /**
   * Made at the first byte hashed here, on the main thread (a file the writer thread writes is
   * hashed there; a pumped file by the hashing thread, when there is one: #hashId).
   */
  #hash: Hash | undefined;
  /** The pumped file's hash in the hashing thread; null: hashed here (#hash); undefined: not decided yet. */
  #hashId: number | null | undefined;
  /** The sha256 of the file from the writer or the hashing thread. */
  #sha256: string | undefined;
  #pos = 0;
  /** Remote-file offset of the next byte (REST + decoded bytes and holes). */
  #logical: number;
  /** Decoder output offset expected next. */
  #decoded = 0;
  #dataBytes = 0;
  #ended = false;
  #lost = false;
  #ignored = 0;
  #missing: MissingRange[] = [];
  #warnings: string[] = [];
  #droppedWarnings = 0;
  #firstFrame: number | null = null;
  #lastFrame: number | null = null;
  #error: string | undefined;
  #resolve: (e: ManifestEntry) => void = () => {};

  /** @internal made by FileSink.open */
  constructor(sink: FileSink, info: TransferInfo, dirs: string[], base: string, rel: string) {
    this.#sink = sink;
    this.info = { ...info };
    this.#dirs = dirs;
    this.#base = base;
    this.#rel = rel;
    this.closed = new Promise((resolve) => (this.#resolve = resolve));
    this.#tailCapacity = Math.min(this.#tailCapacity, sink.batchBytes);
    const rest = info.restOffset ?? 0;
    this.#logical = rest;
    if (rest > 0) {
      // The bytes before the resume point belong to an earlier transfer, not this one.
      this.#addMissing(0, rest, 'before-rest');
      if (sink.holes === 'zero') this.#ops.push({ kind: 'hole', length: rest });
    }
  }

  /** @internal Its place in the manifest (set by FileSink.open). */
  slot = -1;

  /**
   * What the linking layer found when it judged the transfer, after the file may have closed:
   * whether its last byte is the remote file's last (for reassembling REST/APPE pieces), and
   * whether it was aborted (the manifest then says that more of the file may have followed).
   */
  judged(endsAtFileEnd: boolean, aborted: boolean): void {
    this.info.endsAtFileEnd = endsAtFileEnd;
    this.info.aborted = aborted;
    this.#sink.markJudged(this.slot, endsAtFileEnd, aborted);
  }

  /** Path relative to the output directory ('/'-separated); final once the file exists on disk. */
  get name(): string {
    return this.#rel;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Takes warnings, restart markers, wire byte count and MODE/TYPE from the decoder chain
   * feeding this file; the sink also counts what it holds and waits for it (onChunkEnd, close).
   */
  attach(decoder: TransferDecoder): void {
    this.#decoder = decoder;
  }

  /** @internal */
  get decoderHeldBytes(): number {
    return this.#decoder?.heldBytes ?? 0;
  }

  /** @internal */
  decoderSettled(): Promise<void> {
    return this.#decoder?.settled() ?? Promise.resolve();
  }

  /** @internal Ends the input: through the attached decoder if any, else this file. */
  endInput(): void {
    if (this.#decoder !== undefined) this.#decoder.end();
    else this.end();
  }

  /** Adds a line to this file's warnings (capped). */
  warn(message: string): void {
    if (this.#warnings.length < this.#sink.maxWarnings) this.#warnings.push(message);
    else this.#droppedWarnings++;
  }

  data(bytes: Uint8Array, at: DataPosition): void {
    if (bytes.length === 0) return;
    if (this.#ended || this.#lost || this.#error !== undefined) {
      this.#ignored += bytes.length;
      return;
    }
    let view = bytes;
    if (at.offset > this.#decoded) {
      // The stream jumped without a gap(): never pretend the bytes in between were there.
      this.warn(`bytes ${this.#decoded}-${at.offset} of the decoded stream were skipped without a gap being reported`);
      this.#hole(at.offset - this.#decoded, 'skipped');
    } else if (at.offset < this.#decoded) {
      const overlap = this.#decoded - at.offset;
      this.warn(`${Math.min(overlap, bytes.length)} bytes at decoded offset ${at.offset} arrived twice; the first copy is kept`);
      if (overlap >= bytes.length) return;
      view = bytes.subarray(overlap);
    }
    const frames = at.frames;
    if (frames !== undefined && frames.length > 0) {
      if (this.#firstFrame === null) this.#firstFrame = frames[0]!;
      this.#lastFrame = frames[frames.length - 1]!;
    }
    this.#append(view); // the caller's view is only lent: copied
    const n = view.length;
    this.#opsBytes += n;
    this.#sink.hold(n);
    this.#decoded += n;
    this.#logical += n;
    this.#dataBytes += n;
    if (this.#opsBytes >= this.#sink.batchBytes) this.kick();
  }

  #append(view: Uint8Array): void {
    let off = 0;
    while (off < view.length) {
      if (this.#tail === undefined) {
        this.#tail = this.#sink.takeBuffer(this.#tailCapacity) ?? Buffer.allocUnsafeSlow(this.#tailCapacity);
        this.#tailLength = 0;
        if (this.#tailCapacity < this.#sink.batchBytes) this.#tailCapacity = Math.min(this.#sink.batchBytes, this.#tailCapacity * 2);
      }
      const n = Math.min(view.length - off, this.#tail.length - this.#tailLength);
      this.#tail.set(n === view.length ? view : view.subarray(off, off + n), this.#tailLength);
      this.#tailLength += n;
      off += n;
      if (this.#tailLength === this.#tail.length) this.#sealTail();
    }
  }

  /** Queues the tail's bytes as a 'data' op (keeps the queue in stream order before a hole or close). */
  #sealTail(): void {
    if (this.#tail === undefined || this.#tailLength === 0) return;
    this.#ops.push({ kind: 'data', bytes: this.#tail.subarray(0, this.#tailLength) });
    this.#tail = undefined;
    this.#tailLength = 0;
  }

  gap(length: number | null, at: DataPosition): void {
    if (this.#ended || this.#lost) return;
    if (at.offset > this.#decoded) this.#hole(at.offset - this.#decoded, 'skipped');
    if (length === null) {
      // Nothing more will come: up to the announced size, or an unknown amount.
      const end = this.info.expectedSize !== undefined && this.info.expectedSize > this.#logical ? this.info.expectedSize : null;
      this.#addMissing(this.#logical, end, 'undecodable');
      this.#lost = true;
      return;
    }
    if (length <= 0) return;
    this.#hole(length, 'gap');
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const expected = this.info.expectedSize;
    if (expected !== undefined && !this.#lost) {
      if (this.#logical < expected) this.#addMissing(this.#logical, expected, 'short');
      else if (this.#logical > expected) this.warn(`${this.#logical - expected} bytes more than the ${expected} announced`);
    }
    if (this.#ignored > 0) this.warn(`${this.#ignored} bytes after the end of the decoded stream were ignored`);
    this.#sealTail();
    if (this.#writeSmallNow()) return;
    this.#ops.push({ kind: 'close' });
    this.kick();
  }

  /**
   * A small file that has not started writing yet (most short transfers: all of it is still
   * queued) is written at once, as one job of a few system calls (#writeSmall), where the
   * asynchronous pump costs several times more CPU per file in promises and thread-pool round
   * trips. Larger files, and files already being written, go through the pump.
   */
  #writeSmallNow(): boolean {
    if (this.#pump !== undefined || this.#fh !== undefined || this.#openFailed || this.#error !== undefined || this.#pos !== 0) return false;
    let total = 0;
    for (const op of this.#ops) total += op.kind === 'data' ? op.bytes.length : op.kind === 'hole' ? op.length : Infinity;
    if (total > this.#sink.batchBytes) return false;
    this.#writeSmall(this.#sink.writer, 0);
    return true;
  }

  #h(): Hash {
    return (this.#hash ??= createHash('sha256'));
  }

  /** The hashing thread's id for this file's hash, or null when it is hashed here; decided at the first byte. */
  #threadHash(): number | null {
    if (this.#hashId === undefined) this.#hashId = this.#sink.hasher?.start() ?? null;
    return this.#hashId;
  }

  /**
   * A small file in one job (WriterThread.ts): the path checked here (#target), the directories
   * made, the file created, written, hashed and closed by the writer thread — its queued bytes
   * copied into one buffer of their exact size, given to the thread and counted as held until
   * the answer — or, without a thread (or when it is gone), by the same code right here. Either
   * answer is taken the same way (#onAnswer).
   */
  #writeSmall(writer: WriterThread | undefined, tries: number): void {
    const target = this.#target();
    if (!target) {
      this.#ops = [];
      this.#resolve(this.#entry(0));
      return;
    }
    if (writer !== undefined && tries === 0) this.#compactOps(writer);
    const parts: WriterPart[] = [];
    for (const op of this.#ops) {
      if (op.kind === 'data') parts.push(op.bytes);
      else if (op.kind === 'hole') parts.push(op.length);
    }
    const job = { abs: target.abs, parent: target.parent, dirs: target.dirPaths, parts, truncate: this.#sink.holes === 'zero' };
    if (writer !== undefined) {
      let answered!: () => void;
      const pump = new Promise<void>((resolve) => (answered = resolve));
      const submitted = writer.submit(job, (r) => {
        this.#pump = undefined;
        this.#onAnswer(writer, r, target.dirs, tries);
        answered();
      });
      if (submitted) {
        this.#pump = pump;
        return;
      }
    }
    this.#onAnswer(undefined, runWriterJob(job, CREATE_FLAGS), target.dirs, tries);
  }

  /** The queued data ops as one copy between the holes, into the writer's batch buffer; the tail buffers go back. */
  #compactOps(writer: WriterThread): void {
    const ops: Op[] = [];
    for (let i = 0; i < this.#ops.length; ) {
      const op = this.#ops[i]!;
      if (op.kind !== 'data') {
        ops.push(op);
        i++;
        continue;
      }
      let n = 0;
      let j = i;
      for (; j < this.#ops.length; j++) {
        const o = this.#ops[j]!;
        if (o.kind !== 'data') break;
        n += o.bytes.length;
      }
      const copy = writer.space(n);
      let at = 0;
      for (; i < j; i++) {
        const b = (this.#ops[i] as { bytes: Buffer }).bytes;
        copy.set(b, at);
        at += b.length;
        this.#sink.giveBack(b);
      }
      ops.push({ kind: 'data', bytes: copy, batch: true });
    }
    this.#ops = ops;
  }

  /** The answer to #writeSmall's job; `writer` undefined: the job ran on this thread. */
  #onAnswer(writer: WriterThread | undefined, r: WriterResult, dirs: string[], tries: number): void {
    if (r.status === 'taken' || r.status === 'dirs-refused') {
      // Nothing was written; the bytes come back with the answer, for the next try.
      this.#ops = r.parts.map((p): Op => (typeof p === 'number' ? { kind: 'hole', length: p } : { kind: 'data', bytes: Buffer.from(p.buffer, p.byteOffset, p.byteLength) }));
      if (r.status === 'taken') this.#rel = this.#sink.rename(this.#dirs, this.#base);
      else this.#dirsRefused(dirs);
      if (tries + 1 < MAX_NAME_TRIES) return this.#writeSmall(writer, tries + 1);
      this.#failNoName();
      this.#ops = [];
      this.#resolve(this.#entry(0));
      return;
    }
    // A thread that died before this job was posted left its bytes here: written on this thread instead.
    if (r.status === 'thread-failed' && this.#ops.every((op) => op.kind !== 'data' || op.bytes.length > 0)) {
      this.warn(`${r.message}; written by the main thread`);
      return this.#writeSmall(undefined, tries);
    }
    // Written (or refused) with these bytes: they are no longer held. Buffers that went to the
    // thread are detached here; the ones written on this thread may hold another tail.
    this.#sink.release(this.#opsBytes);
    this.#opsBytes = 0;
    for (const op of this.#ops) if (op.kind === 'data' && op.batch !== true) this.#sink.giveBack(op.bytes);
    this.#ops = [];
    let size = 0;
    switch (r.status) {
      case 'written':
        size = this.#pos = r.size;
        this.#sha256 = r.sha256;
        if (r.error !== undefined) this.#fail(r.error);
        break;
      case 'moved':
        this.#failMoved();
        break;
      case 'open-failed':
        this.#openFailed = true;
        this.#fail(`cannot create "${this.#rel}": ${r.message}`);
        break;
      case 'thread-failed':
        this.#fail(`not written: ${r.message}`);
        break;
    }
    this.#resolve(this.#entry(size));
  }

  /** @internal Starts the pump if it is not running. */
  kick(): void {
    if (this.#pump !== undefined || (this.#ops.length === 0 && this.#tailLength === 0)) return;
    this.#pump = this.#run().then(
      () => this.#afterPump(),
      (err: unknown) => {
        this.#fail(`write failed: ${(err as Error).message}`);
        this.#afterPump();
      },
    );
  }

  /** @internal Resolves when the pump is idle. */
  async idle(): Promise<void> {
    while (this.#pump !== undefined) await this.#pump;
  }

  #afterPump(): void {
    this.#pump = undefined;
    // More came in while the pump ran: go on if a batch is due or the file is closing.
    if ((this.#ops.length > 0 || this.#tailLength > 0) && (this.#opsBytes >= this.#sink.batchBytes || this.#ended || this.#sink.flushing)) this.kick();
  }

  #hole(length: number, reason: MissingReason): void {
    this.#addMissing(this.#logical, this.#logical + length, reason);
    this.#sealTail();
    if (this.#sink.holes === 'zero') this.#ops.push({ kind: 'hole', length });
    this.#decoded += length;
    this.#logical += length;
  }

  #addMissing(start: number, end: number | null, reason: MissingReason): void {
    const last = this.#missing[this.#missing.length - 1];
    if (last !== undefined && last.end === start && last.reason === reason) {
      last.end = end;
      return;
    }
    this.#missing.push({ start, end, reason });
  }

  #fail(message: string): void {
    if (this.#error === undefined) this.#error = message;
    // Drop what is queued: nothing more can be written, and the memory must come back.
    let n = this.#tailLength;
    this.#tail = undefined;
    this.#tailLength = 0;
    for (const op of this.#ops) if (op.kind === 'data') n += op.bytes.length;
    const closing = this.#ops.some((o) => o.kind === 'close');
    this.#ops = closing ? [{ kind: 'close' }] : [];
    this.#opsBytes = 0;
    this.#sink.release(n);
  }

  async #run(): Promise<void> {
    if (this.#fh === undefined && !this.#openFailed && this.#error === undefined) await this.#openOnDisk();
    // The pump runs when a batch is due or the file is closing or being flushed: it takes the tail too.
    if (this.#ops.length === 0) this.#sealTail();
    while (this.#ops.length > 0) {
      const op = this.#ops[0]!;
      if (this.#error !== undefined && op.kind !== 'close') {
        this.#fail(this.#error);
        continue;
      }
      if (op.kind === 'close') {
        this.#ops.shift();
        await this.#finish();
        return;
      }
      if (op.kind === 'hole') {
        this.#ops.shift();
        // Zeros go into the hash, not onto the disk: the file gets a hole, read back as zeros.
        const id = this.#threadHash();
        if (id !== null) this.#sink.hasher!.zeros(id, op.length);
        else for (let left = op.length; left > 0; ) {
          const n = Math.min(left, ZEROS.length);
          this.#h().update(ZEROS.subarray(0, n));
          left -= n;
          if (left > 0) await new Promise<void>((r) => setImmediate(r));
        }
        this.#pos += op.length;
        if (op.length > 0) this.#endsInHole = true;
        continue;
      }
      const bufs: Buffer[] = [];
      let n = 0;
      const id = this.#threadHash();
      let shared: Set<Uint8Array> | undefined;
      while (this.#ops.length > 0) {
        const next = this.#ops[0]!;
        if (next.kind !== 'data' || (n > 0 && n + next.bytes.length > this.#sink.batchBytes)) break;
        this.#ops.shift();
        bufs.push(next.bytes);
        // A tail (memory of its own, allocUnsafeSlow) may be given away; a view of the writer thread's batch not.
        if (next.batch === true) (shared ??= new Set()).add(next.bytes);
        if (id === null) this.#h().update(next.bytes);
        n += next.bytes.length;
      }
      try {
        // One writev for the batch (no concatenation); after a short write (rare) the rest goes on as one buffer.
        let done = (await this.#fh!.writev(bufs, this.#pos)).bytesWritten;
        if (done < n) {
          const rest = Buffer.concat(bufs, n).subarray(done);
          for (let off = 0; off < rest.length; ) {
            const { bytesWritten } = await this.#fh!.write(rest, off, rest.length - off, this.#pos + done);
            if (bytesWritten <= 0) throw new Error('no progress writing');
            off += bytesWritten;
            done += bytesWritten;
          }
        }
        if (done < n) throw new Error('no progress writing');
      } finally {
        this.#opsBytes -= n;
        if (id !== null) {
          // Written (or not: the hash is of every byte handed in, as on this thread): the buffers
          // go to the hashing thread, and come back to be filled again. They stay counted as
          // held until then; the next batch does not wait for them.
          void this.#sink.hasher!.update(id, bufs, (b) => shared?.has(b) !== true).then((back) => {
            this.#sink.release(n);
            for (const b of back) this.#sink.giveBack(new Uint8Array(b));
          });
        } else {
          this.#sink.release(n);
          for (const b of bufs) this.#sink.giveBack(b);
        }
      }
      this.#pos += n;
      this.#endsInHole = false;
      // More may have come in while the write ran; a due batch goes on in this pump.
      if (this.#ops.length === 0 && (this.#opsBytes >= this.#sink.batchBytes || this.#ended || this.#sink.flushing)) this.#sealTail();
    }
  }

  // Opening a large file on disk (#openOnDisk), with the checks shared with small files' answers
  // below it (a small file's system calls are WriterThread.ts's job).

  async #openOnDisk(): Promise<void> {
    for (let attempt = 0; attempt < MAX_NAME_TRIES; attempt++) {
      const target = this.#target();
      if (!target) return;
      if (target.dirs.length > 0 && !(await this.#makeDirs(target.dirPaths))) {
        this.#dirsRefused(target.dirs);
        continue;
      }
      try {
        this.#fh = await open(target.abs, PUMP_FLAGS, 0o644);
      } catch (err) {
        if (this.#nameTaken(err)) continue;
        return;
      }
      // The directory the file landed in must still be the one we checked.
      if ((await realpath(target.parent)) !== target.parent) {
        await this.#fh.close();
        this.#fh = undefined;
        this.#failMoved();
      }
      return;
    }
    this.#failNoName();
  }

  /** Where the file goes: its path and folders under the output directory; undefined (and failed) should it ever lead outside. */
  #target(): { abs: string; parent: string; dirs: string[]; dirPaths: string[] } | undefined {
    const root = this.#sink.dir;
    const parts = this.#rel.split('/');
    // Every part is one sanitised name (SafeName.ts), so the path stays under the output
    // directory, which is a real path (FileSink.create): no part is empty, "." or "..", or holds
    // a separator. Cannot happen; checked all the same, by looking at the parts rather than
    // normalising the whole path (path.join and path.relative cost more than the rest of
    // naming a file).
    for (const p of parts) {
      if (p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0')) {
        this.#openFailed = true;
        this.#fail(`refused: "${this.#rel}" resolves outside the output directory`);
        return undefined;
      }
    }
    const base = root.endsWith(sep) ? root : root + sep;
    const dirs = parts.slice(0, -1);
    // The folders to make, outermost first, as absolute paths (the last one is the parent).
    const dirPaths: string[] = [];
    let path = base;
    for (const d of dirs) {
      path += d;
      dirPaths.push(path);
      path += sep;
    }
    return { abs: base + parts.join(sep), parent: dirs.length === 0 ? root : dirPaths[dirPaths.length - 1]!, dirs, dirPaths };
  }

  /** A directory on the way is not ours (a symlink, a file): the file goes to the top level instead. */
  #dirsRefused(dirs: string[]): void {
    this.warn(`directory "${dirs.join('/')}" could not be used safely; file written at the top level`);
    this.#dirs = [];
    this.#rel = this.#sink.rename([], this.#base);
  }

  /**
   * After a failed open: true when something is already there (an earlier run, a planted
   * symlink) — never touched, the next free name is tried; otherwise the file fails.
   */
  #nameTaken(err: unknown): boolean {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP' || code === 'EISDIR') {
      this.#rel = this.#sink.rename(this.#dirs, this.#base);
      return true;
    }
    this.#openFailed = true;
    this.#fail(`cannot create "${this.#rel}": ${(err as Error).message}`);
    return false;
  }

  #failMoved(): void {
    this.#openFailed = true;
    this.#fail(`refused: the directory of "${this.#rel}" is not where it should be (changed while writing?)`);
  }

  #failNoName(): void {
    this.#openFailed = true;
    this.#fail(`no free name for "${this.#base}" after ${MAX_NAME_TRIES} tries`);
  }

  /** mkdir each level (absolute, outermost first; never recursive through something that exists) and check it is a real directory. */
  async #makeDirs(dirPaths: string[]): Promise<boolean> {
    for (const path of dirPaths) {
      try {
        await mkdir(path, { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      }
      const st = await lstat(path);
      if (!st.isDirectory() || st.isSymbolicLink()) return false;
    }
    return true;
  }

  async #finish(): Promise<void> {
    let size = this.#pos;
    if (this.#fh !== undefined) {
      try {
        // A hole at the very end writes nothing: set the length so the file has its size.
        if (this.#sink.holes === 'zero' && this.#endsInHole) await this.#fh.truncate(this.#pos);
      } catch (err) {
        this.#fail(`cannot set the file size: ${(err as Error).message}`);
      }
      await this.#threadDigest();
      await this.#fh.close();
      this.#fh = undefined;
    } else {
      await this.#threadDigest();
      size = 0;
    }
    this.#resolve(this.#entry(size));
  }

  /**
   * Ends the file's hash in the hashing thread, if it has one there. Should the thread have
   * failed, the sha256 is that of the file read back through the handle it was written with.
   */
  async #threadDigest(): Promise<void> {
    const id = this.#hashId;
    if (id === undefined || id === null) return;
    const hex = await this.#sink.hasher!.digest(id);
    if (hex !== undefined) {
      this.#sha256 = hex;
      return;
    }
    const fh = this.#fh;
    if (fh === undefined) {
      this.#fail(`sha256 not computed: ${this.#sink.hasher!.failure ?? 'the hashing thread failed'}`);
      this.#sha256 = createHash('sha256').digest('hex');
      return;
    }
    try {
      const hash = createHash('sha256');
      const buf = Buffer.allocUnsafe(Math.min(this.#pos, ZEROS.length));
      for (let pos = 0; pos < this.#pos; ) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, this.#pos - pos), pos);
        if (bytesRead <= 0) break;
        hash.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      this.#sha256 = hash.digest('hex');
      this.warn(`sha256 computed by reading the file back: ${this.#sink.hasher!.failure ?? 'the hashing thread failed'}`);
    } catch (err) {
      this.#fail(`sha256 not computed: ${this.#sink.hasher!.failure ?? 'the hashing thread failed'}; reading the file back failed: ${(err as Error).message}`);
      this.#sha256 = createHash('sha256').digest('hex');
    }
  }

  #entry(size: number): ManifestEntry {
    const d = this.#decoder;
    const rep = this.info.representation ?? d?.representation;
    const warnings = [...(d?.warnings.map(warningLine) ?? []), ...this.#warnings];
    if (this.#droppedWarnings > 0) warnings.push(`${this.#droppedWarnings} more warnings not listed`);
    const sha256 = this.#sha256 ?? (this.#fh === undefined && this.#openFailed ? createHash('sha256').digest('hex') : this.#h().digest('hex'));
    const entry: ManifestEntry = {
      name: this.#rel,
      originalPath: this.info.remotePath ?? null,
      kind: this.info.kind,
      session: this.info.session ?? null,
      command: this.info.command ?? null,
      argument: this.info.argument ?? null,
      direction: this.info.direction ?? (this.info.kind === 'listing' ? 'listing' : 'unknown'),
      stream: this.info.stream ?? null,
      size: this.#openFailed ? 0 : size,
      dataBytes: this.#dataBytes,
      sha256,
      complete: this.#missing.length === 0 && this.#error === undefined,
      missing: this.#missing.map((m) => [m.start, m.end]),
      missingDetail: this.#missing.map((m) => ({ ...m })),
      wire: {
        mode: rep?.mode ?? null,
        type: rep?.type ?? null,
        ...(rep?.byteSize !== undefined ? { byteSize: rep.byteSize } : {}),
        ...(rep?.structure !== undefined ? { structure: rep.structure } : {}),
        bytes: d?.wireBytes ?? null,
        decoding: d?.describe() ?? null,
      },
      frames: { first: this.#firstFrame, last: this.#lastFrame },
      warnings,
    };
    if (this.info.restOffset !== undefined && this.info.restOffset > 0) entry.restOffset = this.info.restOffset;
    if (this.info.expectedSize !== undefined) entry.expectedSize = this.info.expectedSize;
    if (d !== undefined && d.restartMarkers.length > 0) {
      entry.restartMarkers = d.restartMarkers.map((m) => ({ marker: m.marker, dataOffset: m.dataOffset, frame: m.frames?.[0] ?? null }));
    }
    if (this.#error !== undefined) entry.error = this.#error;
    return entry;
  }
}
