// The TCP stage's consumer for one FTP control connection: in-order bytes go to the parser
// (mechanism), its events to the session builder (policy). When the TCP stage guessed the
// roles the wrong way round (a capture that starts mid-connection, where the FTP port is on
// the side it called the client), directions are swapped here so everything above sees the
// FTP client as direction 0.

import type { Direction, StreamChunk, StreamConflict, StreamConsumer, StreamEnd, StreamGap } from '../tcp/StreamEvents.js';
import { ControlChannelParser, type ControlChannelParserOptions } from './ControlChannelParser.js';
import type { FtpSessionBuilder } from './FtpSessionBuilder.js';

/** Conflicting retransmissions listed as warnings per control connection; more are counted. */
const MAX_CONFLICT_WARNINGS = 100;

export class FtpControlConsumer implements StreamConsumer {
  readonly builder: FtpSessionBuilder;
  readonly #parser: ControlChannelParser;
  readonly #swap: boolean;
  readonly #onClosed: (() => void) | undefined;
  readonly #onEnd: (() => void) | undefined;
  #closed = false;
  #conflicts = 0;
  #lastConflictFrame = -1;

  constructor(builder: FtpSessionBuilder, options: ControlChannelParserOptions & { swapDirections?: boolean; onClosed?: () => void; onEnd?: () => void } = {}) {
    this.builder = builder;
    this.#swap = options.swapDirections === true;
    this.#onClosed = options.onClosed;
    this.#onEnd = options.onEnd;
    this.#parser = new ControlChannelParser(builder, options);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  data(chunk: StreamChunk): void {
    const c = this.#swap ? { ...chunk, direction: flip(chunk.direction) } : chunk;
    const last = c.frames[c.frames.length - 1];
    if (last !== undefined) this.builder.touch(last, c.tsSec, c.tsNsec);
    this.#parser.data(c);
  }

  gap(gap: StreamGap): void {
    this.#parser.gap(this.#swap ? { ...gap, direction: flip(gap.direction) } : gap);
  }

  conflict(c: StreamConflict): void {
    // Bounded: a stream of forged retransmissions must not grow the session's warnings.
    const last = c.frames[c.frames.length - 1] ?? -1;
    this.#lastConflictFrame = last;
    if (++this.#conflicts > MAX_CONFLICT_WARNINGS) return;
    const side = (this.#swap ? flip(c.direction) : c.direction) === 0 ? 'client' : 'server';
    const kept = c.frames.slice(0, -1);
    this.builder.warning(last, `retransmitted ${side} bytes ${c.start}-${c.end} in frame ${last} differ from the copy already received${kept.length ? ` in frame${kept.length > 1 ? 's' : ''} ${kept.join(', ')}` : ''}; the first copy was kept`);
  }

  end(end: StreamEnd): void {
    const e = this.#swap ? { ...end, direction: flip(end.direction) } : end;
    if (e.frame !== undefined) this.builder.touch(e.frame, -Infinity, 0);
    this.#parser.end(e);
    this.#onEnd?.();
  }

  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#conflicts > MAX_CONFLICT_WARNINGS) {
      this.builder.warning(this.#lastConflictFrame, `${this.#conflicts - MAX_CONFLICT_WARNINGS} more retransmissions with different bytes up to this frame, not listed (the first ${MAX_CONFLICT_WARNINGS} are)`);
    }
    this.#parser.close();
    this.builder.close();
    this.#onClosed?.();
  }
}

function flip(d: Direction): Direction {
  return d === 0 ? 1 : 0;
}
