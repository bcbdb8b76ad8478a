// The input layer: turns a path, '-' or a stream into frames, undoing gzip on the way.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { CaptureReaderOptions, CaptureSummary } from './CaptureInfo.js';
import { CaptureReader } from './CaptureReader.js';
import type { Frame } from './Frame.js';

/** A file path, '-' for standard input, or a readable byte stream. */
export type CaptureSource = string | NodeJS.ReadableStream;

export interface ReadCaptureOptions extends CaptureReaderOptions {
  /** Bytes per read when `source` is a path. Default 1 MiB. */
  chunkSize?: number;
  /**
   * Called by `readCapture` after the frames of each input chunk went to `onFrame`. When it
   * returns a promise, reading waits for it: a slow consumer (a full stdout pipe, say) holds
   * the input back instead of letting output pile up in memory.
   */
  onChunkEnd?: () => void | Promise<void>;
  /**
   * Gzip input: once more than 64 MiB came out, reading stops with a warning when the output is
   * more than this many times the compressed bytes read. Default 200: real captures compress
   * far less (packet headers and timestamps differ from packet to packet), while a
   * decompression bomb of zeros expands about 1,000 times. `Infinity` turns the check off.
   */
  maxGzipRatio?: number;
  /**
   * Called with the number of bytes taken from the input as it is read: bytes of the file as
   * stored (before decompression), for progress reports. Not called for bytes read again.
   */
  onInputBytes?: (bytes: number) => void;
}

/** Default of `maxGzipRatio`, and how much output is always read before it is checked. */
export const DEFAULT_MAX_GZIP_RATIO = 200;
export const GZIP_RATIO_FLOOR_BYTES = 64 * 1024 * 1024;

/**
 * Reads a whole capture, calling `onFrame` for every packet record in order, and resolves to
 * a summary once the input ended. `frame.data` is only valid during the call: copy what you keep.
 *
 * Gzip is recognised by its first two bytes (1f 8b), not by the file name, and undone while
 * streaming. The input is read chunk by chunk; memory does not grow with the capture's size.
 * Rejects with a CaptureFormatError (one line, naming the input) when the input is not a
 * capture; damage inside a capture becomes `warnings` in the summary instead.
 */
export async function readCapture(
  source: CaptureSource,
  onFrame: (frame: Frame) => void,
  options: ReadCaptureOptions = {},
): Promise<CaptureSummary> {
  const reader = new CaptureReader({ ...options, name: options.name ?? sourceName(source) });
  const state = { gzip: false };
  const onChunkEnd = options.onChunkEnd;
  for await (const chunk of captureChunks(source, options, reader, state)) {
    reader.append(chunk);
    for (let frame = reader.next(); frame !== undefined; frame = reader.next()) onFrame(frame);
    if (onChunkEnd !== undefined) await onChunkEnd();
  }
  reader.finish();
  return summarize(reader, state.gzip);
}

/**
 * The same as `readCapture`, as an async iterator: `for await (const frame of frames(path))`.
 * Each frame's `data` is only valid until the loop asks for the next frame; copy it to keep it.
 * The generator's return value (visible when driving it by hand) is the summary.
 * Slower than `readCapture` (one promise per frame); prefer that on large captures.
 * `onChunkEnd` is not used here: the consumer already sets the pace.
 */
export async function* frames(source: CaptureSource, options: ReadCaptureOptions = {}): AsyncGenerator<Frame, CaptureSummary, undefined> {
  const reader = new CaptureReader({ ...options, name: options.name ?? sourceName(source) });
  const state = { gzip: false };
  for await (const chunk of captureChunks(source, options, reader, state)) {
    reader.append(chunk);
    for (let frame = reader.next(); frame !== undefined; frame = reader.next()) yield frame;
  }
  reader.finish();
  return summarize(reader, state.gzip);
}

export function sourceName(source: CaptureSource): string {
  if (source === '-') return 'standard input';
  return typeof source === 'string' ? source : 'input';
}

export function summarize(reader: CaptureReader, gzip: boolean): CaptureSummary {
  const { format, info } = reader;
  // finish() throws unless a file header was read, so both are known here.
  if (format === undefined || info === undefined) throw new Error('capture summary requested before the format was known');
  return { format, frames: reader.frames, warnings: reader.warnings, info, gzip, bytes: reader.bytesRead };
}

/** Raw chunks of the source, decompressed when they turn out to be gzip. */
export async function* captureChunks(
  source: CaptureSource,
  options: ReadCaptureOptions,
  reader: CaptureReader,
  state: { gzip: boolean },
): AsyncGenerator<Uint8Array, void, undefined> {
  if (typeof source === 'string' && source !== '-') {
    // A plain file is read into three buffers used in turn rather than through a stream: a
    // stream allocates a new chunk for every read, and those chunks live outside the JS heap
    // until a rare full collection, which made peak memory grow with the capture. The next
    // chunk is read (by libuv's thread pool) while the consumer works on this one. Three
    // buffers make that safe: the reader copies the unread tail of the previous chunk when the
    // next one is appended, and a consumer may hold views of a chunk's frames until its
    // onChunkEnd, so the buffer being filled is always the one two chunks back, long done with.
    const handle = await open(source, 'r');
    const size = options.chunkSize ?? 1024 * 1024;
    const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)] as const;
    let pending: Promise<{ bytesRead: number }> | undefined = handle.read(buffers[0], 0, size, 0);
    try {
      let turn = 0;
      let position = 0;
      for (;;) {
        const buffer = buffers[turn]!;
        const { bytesRead } = await pending!;
        pending = undefined;
        if (bytesRead === 0) return;
        if (position === 0 && bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) break; // gzip: stream it
        position += bytesRead;
        turn = (turn + 1) % 3;
        pending = handle.read(buffers[turn]!, 0, size, position);
        options.onInputBytes?.(bytesRead);
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      // A read still in flight (the consumer stopped early, or an error) ends before the file closes.
      await pending?.catch(() => undefined);
      await handle.close();
    }
  }
  const ownStream = typeof source === 'string' && source !== '-';
  const stream: NodeJS.ReadableStream =
    source === '-' ? process.stdin
    : typeof source === 'string' ? createReadStream(source, { highWaterMark: options.chunkSize ?? 1024 * 1024 })
    : source;
  const input = asAsyncIterator(stream);
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  try {
    // Look at the first two bytes, however the source chose to split them.
    const head: Uint8Array[] = [];
    let headLength = 0;
    while (headLength < 2) {
      const r = await input.next();
      if (r.done === true) break;
      const chunk = asBytes(r.value);
      head.push(chunk);
      headLength += chunk.length;
    }
    const first = head.length === 1 ? (head[0] as Uint8Array) : Buffer.concat(head);
    if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
      const maxRatio = options.maxGzipRatio ?? DEFAULT_MAX_GZIP_RATIO;
      if (!(maxRatio > 0)) throw new RangeError(`maxGzipRatio must be a positive number, got ${maxRatio}`);
      state.gzip = true;
      gunzip = createGunzip();
      const counted = { bytes: 0 };
      const compressed = Readable.from(rest(first, input, counted, options.onInputBytes), { objectMode: false });
      // Errors from either side end the iteration below; pipeline() also cleans both up.
      pipeline(compressed, gunzip, () => {});
      let out = 0;
      try {
        for await (const chunk of gunzip) {
          const bytes = asBytes(chunk);
          out += bytes.length;
          if (out > GZIP_RATIO_FLOOR_BYTES && out > maxRatio * counted.bytes) {
            reader.addWarning(
              `gzip data expands more than ${maxRatio} times (${mib(out)} MiB from ${mib(counted.bytes)} MiB so far): ` +
              `a decompression bomb, not a capture; reading stopped there (maxGzipRatio raises the limit)`,
            );
            return;
          }
          yield bytes;
          // Damage stopped the reader: decompressing the rest would only cost time.
          if (reader.stopped) return;
        }
      } catch (error) {
        if (!isZlibError(error)) throw error;
        // Keep what was decoded; a cut or corrupt .gz is common and the frames before are good.
        reader.addWarning(`gzip data is damaged or cut short (${error.message}); reading stopped there`);
      }
      return;
    }
    if (first.length > 0) {
      options.onInputBytes?.(first.length);
      yield first;
    }
    for (;;) {
      const r = await input.next();
      if (r.done === true) return;
      const bytes = asBytes(r.value);
      options.onInputBytes?.(bytes.length);
      yield bytes;
    }
  } finally {
    gunzip?.destroy();
    // Stop reading a file we opened; a caller's stream (or stdin) is left to the caller.
    if (ownStream) await input.return?.();
  }
}

async function* rest(
  first: Uint8Array,
  input: AsyncIterator<unknown>,
  counted: { bytes: number },
  onInputBytes: ((bytes: number) => void) | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  counted.bytes += first.length;
  onInputBytes?.(first.length);
  yield first;
  for (;;) {
    const r = await input.next();
    if (r.done === true) return;
    const bytes = asBytes(r.value);
    counted.bytes += bytes.length;
    onInputBytes?.(bytes.length);
    yield bytes;
  }
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(bytes < 1024 * 1024 ? 3 : 1);
}

function asAsyncIterator(stream: NodeJS.ReadableStream): AsyncIterator<unknown> {
  const iterable = stream as Partial<AsyncIterable<unknown>>;
  if (typeof iterable[Symbol.asyncIterator] === 'function') return (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  // An old-style stream without async iteration.
  return new Readable().wrap(stream)[Symbol.asyncIterator]();
}

function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError('a capture stream must deliver bytes (Buffer/Uint8Array), not text; is an encoding set on it?');
}

function isZlibError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'string' && code.startsWith('Z_');
}
