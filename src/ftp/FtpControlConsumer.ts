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

  /**
   * `parser` is shared by every session of an analysis and `startEncrypted` is this
   * connection's; they are given apart so that no options object is spread per session.
   */
  constructor(
    builder: FtpSessionBuilder,
    parser: ControlChannelParserOptions = {},
    options: { swapDirections?: boolean; startEncrypted?: boolean; onClosed?: () => void; onEnd?: () => void } = {},
  ) {
    this.builder = builder;
    this.#swap = options.swapDirections === true;
    this.#onClosed = options.onClosed;
    this.#onEnd = options.onEnd;
    this.#parser = new ControlChannelParser(builder, parser, options.startEncrypted === true);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  data(chunk: StreamChunk): void {
    // Literals, not spreads with a changed property (slow in V8: see ControlChannelParser#emitReply).
    const c: StreamChunk = this.#swap
      ? { direction: flip(chunk.direction), offset: chunk.offset, bytes: chunk.bytes, frames: chunk.frames, tsSec: chunk.tsSec, tsNsec: chunk.tsNsec }
      : chunk;
    const last = c.frames[c.frames.length - 1];
    if (last !== undefined) this.builder.touch(last, c.tsSec, c.tsNsec);
    this.#parser.data(c);
  }

  gap(gap: StreamGap): void {
    this.#parser.gap(this.#swap ? { direction: flip(gap.direction), start: gap.start, end: gap.end, reason: gap.reason, frame: gap.frame } : gap);
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
    let e = end;
    if (this.#swap) {
      e = { direction: flip(end.direction), reason: end.reason };
      if (end.frame !== undefined) e.frame = end.frame;
    }
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
