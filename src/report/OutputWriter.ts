// Buffered output that respects backpressure: text is gathered into blocks, and the
// producer can wait for the destination to drain, so a slow reader (a pager, a pipe)
// never makes ftp-inspect hold the whole output in memory.

const BLOCK = 64 * 1024;

export class OutputWriter {
  readonly #stream: NodeJS.WritableStream;
  #parts: string[] = [];
  #size = 0;
  #broken: Error | undefined;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
    stream.on('error', (error: Error) => {
      this.#broken = error;
    });
  }

  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= BLOCK) this.#flush();
  }

  /**
   * Bytes as they are (raw output); copied, so the caller may reuse `bytes`, unless `handedOver`
   * (the caller will not touch them again: a copy of each would only be more garbage).
   */
  writeBytes(bytes: Uint8Array, handedOver = false): void {
    if (this.#size > 0) this.#flush();
    if (!this.#broken && bytes.length > 0) this.#stream.write(handedOver ? bytes : Buffer.from(bytes));
  }

  /** Resolves once the destination has taken what was written (call between input chunks). */
  async drained(): Promise<void> {
    if (this.#broken) throw this.#broken;
    if (this.#size > 0) this.#flush();
    if ((this.#stream as { writableNeedDrain?: boolean }).writableNeedDrain) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#stream.off('drain', done);
          this.#stream.off('error', done);
          resolve();
        };
        this.#stream.on('drain', done);
        this.#stream.on('error', done);
      });
      if (this.#broken) throw this.#broken;
    }
  }

  /** Flushes everything and waits until it has been handed to the destination. */
  async end(): Promise<void> {
    await this.drained();
  }

  #flush(): void {
    const text = this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    if (!this.#broken) this.#stream.write(text);
  }
}
