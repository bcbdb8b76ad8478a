// TEST-ONLY: builds StreamChunk sequences by hand, the way the TCP stage would deliver them,
// so the parser and the session policy can be tested without captures.
import type { ConnectionStart, Direction, StreamChunk, StreamConsumer } from '../../../src/tcp/StreamEvents.js';

export const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export const START: ConnectionStart = {
  stream: 0,
  client: { ip: '192.0.2.10', port: 50000 },
  server: { ip: '192.0.2.21', port: 21 },
  rolesFrom: 'syn',
  firstFrame: 1,
  tsSec: 1_700_000_000,
  tsNsec: 0,
};

/** Sends chunks to a consumer, numbering frames from 2 and keeping per-direction offsets. */
export class Script {
  frame = 1;
  readonly #offsets: [number, number] = [0, 0];
  readonly #target: StreamConsumer;

  constructor(target: StreamConsumer) {
    this.#target = target;
  }

  /** One segment from `dir` with these bytes; returns its frame number. */
  send(dir: Direction, data: string | Uint8Array): number {
    const b = typeof data === 'string' ? bytes(data) : data;
    const frame = ++this.frame;
    const chunk: StreamChunk = { direction: dir, offset: this.#offsets[dir], bytes: b, frames: [frame], tsSec: START.tsSec, tsNsec: frame * 1000 };
    this.#offsets[dir] += b.length;
    this.#target.data(chunk);
    return frame;
  }

  client(data: string | Uint8Array): number {
    return this.send(0, data);
  }

  server(data: string | Uint8Array): number {
    return this.send(1, data);
  }

  /** Bytes of `dir` that will never come. */
  gap(dir: Direction, length: number): void {
    const start = this.#offsets[dir];
    this.#offsets[dir] += length;
    this.#target.gap({ direction: dir, start, end: start + length, reason: 'not-captured', frame: this.frame + 1 });
  }

  close(): void {
    this.#target.end({ direction: 0, reason: 'fin', frame: ++this.frame });
    this.#target.end({ direction: 1, reason: 'fin', frame: ++this.frame });
    this.#target.closed();
  }
}
