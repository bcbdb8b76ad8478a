// Where a command's output goes: standard output, or `-o FILE`. A file is written under a
// temporary name in the same directory and renamed over FILE only once everything was
// written, so an error (a damaged capture, a full disk, Ctrl-C) never leaves a partial
// report where the complete one was expected, and an existing FILE stays as it was.

import { createWriteStream, unlinkSync, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OutputWriter } from '../report/OutputWriter.js';

/** Outputs opened and not yet committed: main() aborts them when a command fails. */
const open = new Set<Output>();

export class Output {
  readonly writer: OutputWriter;
  /** The stream written to (process.stdout, or the temporary file). */
  readonly stream: NodeJS.WritableStream;
  /** The file asked for with -o, or undefined for standard output. */
  readonly path: string | undefined;
  readonly #temp: string | undefined;
  #done = false;

  private constructor(stream: NodeJS.WritableStream, path: string | undefined, temp: string | undefined) {
    this.stream = stream;
    this.path = path;
    this.#temp = temp;
    this.writer = new OutputWriter(stream);
  }

  /** Standard output when `path` is undefined or '-', otherwise a temporary file beside `path`. */
  static async open(path: string | undefined): Promise<Output> {
    if (path === undefined || path === '-') return new Output(process.stdout, undefined, undefined);
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
    const stream = createWriteStream(temp, { flags: 'wx' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error: NodeJS.ErrnoException) => {
        // Report the name the user gave, not our temporary one.
        error.path = path;
        error.message = `cannot write ${path}: ${error.code ?? error.message}`;
        reject(error);
      });
    });
    const output = new Output(stream, path, temp);
    open.add(output);
    removeOnSignal();
    return output;
  }

  /** The temporary file being written, until commit or abort. */
  get tempPath(): string | undefined {
    return this.#done ? undefined : this.#temp;
  }

  get toFile(): boolean {
    return this.path !== undefined;
  }

  write(text: string): void {
    this.writer.write(text);
  }

  /** Everything was written: flush, close, and put the file in place. */
  async commit(): Promise<void> {
    await this.writer.end();
    if (this.#temp === undefined || this.path === undefined) return;
    const stream = this.stream as WriteStream;
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
    await rename(this.#temp, this.path);
    this.#done = true;
    open.delete(this);
  }

  /** The command failed: remove the temporary file, leave FILE untouched. */
  async abort(): Promise<void> {
    open.delete(this);
    if (this.#temp === undefined || this.#done) return;
    (this.stream as WriteStream).destroy();
    await unlink(this.#temp).catch(() => undefined);
  }
}

let signalsHooked = false;

/** Ctrl-C or a kill while writing FILE: remove the temporary file, then end as the signal would. */
function removeOnSignal(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const output of open) {
        const temp = output.tempPath;
        if (temp !== undefined) {
          try {
            unlinkSync(temp);
          } catch {
            // already gone
          }
        }
      }
      process.kill(process.pid, signal);
    });
  }
}

/** Removes the temporary files of every output still open (called when a command failed). */
export async function abortOpenOutputs(): Promise<void> {
  for (const output of [...open]) await output.abort();
}

/**
 * Writes text made in pieces (a JSON report too large for one string), some of them perhaps
 * as UTF-8 bytes handed over for good, to `path` or standard output, safely, waiting for the
 * output every few MB.
 */
export async function writeAllPieces(path: string | undefined, pieces: Iterable<string | Uint8Array>): Promise<void> {
  const out = await Output.open(path);
  let since = 0;
  for (const piece of pieces) {
    // Bytes (UTF-8 text read back from a spool) are the writer's from here on.
    if (typeof piece === 'string') out.write(piece);
    else out.writer.writeBytes(piece, true);
    since += piece.length;
    if (since >= 4 * 1024 * 1024) {
      since = 0;
      await out.writer.drained();
    }
  }
  await out.commit();
}

/** Writes `text` (with a final newline) to `path` or standard output, safely. */
export async function writeAll(path: string | undefined, text: string): Promise<void> {
  const out = await Output.open(path);
  out.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  await out.commit();
}
