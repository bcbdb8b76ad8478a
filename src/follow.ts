// Following one TCP connection, as Wireshark's Follow TCP Stream does: the bytes each side
// sent, in the order they were delivered, grouped into turns (one side talking until the
// other does), with the frames they came from and the bytes the capture does not have.
// Used by `ftp-inspect follow` and by the library.
//
// Only the followed connection is reassembled; everything else is passed over. Turns are
// handed on as they complete and are cut at TURN_LIMIT bytes, so following a 1 GB data
// connection needs no more memory than following a login.

import type { CaptureSummary } from './capture/CaptureInfo.js';
import { readCaptures } from './capture/mergeCaptures.js';
import type { CaptureSource, ReadCaptureOptions } from './capture/readCapture.js';
import { PacketDecoder } from './decode/PacketDecoder.js';
import type { ConnectionStart, StreamConsumer, StreamEnd } from './tcp/StreamEvents.js';
import { TcpStage } from './tcp/TcpStage.js';

/** Longest turn handed on at once; a longer one continues in the next (same side, `continued`). */
export const TURN_LIMIT = 64 * 1024;

export type FollowSide = 'client' | 'server';

/** Bytes one side sent without the other side sending in between. */
export interface FollowData {
  kind: 'data';
  from: FollowSide;
  /** Offset of bytes[0] in this side's byte stream (0 = first byte after the SYN). */
  offset: number;
  bytes: Uint8Array;
  /** Frames the bytes came from, in stream order. */
  frames: number[];
  /** True when this turn carries on the previous one (cut at TURN_LIMIT). */
  continued: boolean;
}

/** Bytes of one side the capture does not have (Wireshark: "[N bytes missing in capture file]"). */
export interface FollowGap {
  kind: 'gap';
  from: FollowSide;
  offset: number;
  length: number;
  reason: 'not-captured' | 'snaplen' | 'buffer-limit' | 'end-of-capture';
  /** Frame after which the gap was noticed. */
  frame: number;
}

/** One side finished: FIN, RST, or the capture ended. */
export interface FollowEnd {
  kind: 'end';
  from: FollowSide;
  reason: StreamEnd['reason'];
  frame: number | null;
}

export type FollowTurn = FollowData | FollowGap | FollowEnd;

export interface FollowResult {
  /** The connection, or null when the capture has no tcp.stream of that number. */
  connection: ConnectionStart | null;
  /** Bytes delivered and missing per side. */
  bytes: Record<FollowSide, number>;
  missing: Record<FollowSide, number>;
  /** The capture's summary; with several captures, the first one's (all of them in `summaries`). */
  summary: CaptureSummary;
  summaries: CaptureSummary[];
}

export interface FollowOptions {
  capture?: ReadCaptureOptions;
  /** Called once when the connection's first frame is seen, before any turn. */
  onStart?: (connection: ConnectionStart) => void;
}

const sideOf = (direction: 0 | 1): FollowSide => (direction === 0 ? 'client' : 'server');

/**
 * Reads `source` and calls `onTurn` for each turn of tcp.stream `stream` (Wireshark's
 * numbering), in delivery order. A turn's bytes are the caller's to keep. Several sources are
 * one trace merged by time (stream numbers as in mergecap's output).
 */
export async function followStream(
  source: CaptureSource | readonly CaptureSource[],
  stream: number,
  onTurn: (turn: FollowTurn) => void,
  options: FollowOptions = {},
): Promise<FollowResult> {
  let connection: ConnectionStart | null = null;
  const bytes = { client: 0, server: 0 };
  const missing = { client: 0, server: 0 };
  const pending = new TurnBuilder(onTurn);
  const consumer: StreamConsumer = {
    data(chunk) {
      const from = sideOf(chunk.direction);
      bytes[from] += chunk.bytes.length;
      pending.add(from, chunk.offset, chunk.bytes, chunk.frames);
    },
    gap(gap) {
      const from = sideOf(gap.direction);
      pending.flush();
      missing[from] += gap.end - gap.start;
      onTurn({ kind: 'gap', from, offset: gap.start, length: gap.end - gap.start, reason: gap.reason, frame: gap.frame });
    },
    end(end) {
      pending.flush();
      onTurn({ kind: 'end', from: sideOf(end.direction), reason: end.reason, frame: end.frame ?? null });
    },
    closed() {
      pending.flush();
    },
  };
  // A later connection on the same ports gets a new stream number; only the asked-for one is followed.
  const tcp = new TcpStage({
    checksums: false,
    consumers: (start) => {
      if (start.stream !== stream) return undefined;
      connection = start;
      options.onStart?.(start);
      return consumer;
    },
  });
  const decoder = new PacketDecoder();
  const sources: readonly CaptureSource[] = Array.isArray(source) ? source : [source as CaptureSource];
  const summaries = await readCaptures(sources, (frame) => void tcp.process(decoder.decode(frame)), options.capture);
  tcp.finish();
  pending.flush();
  return { connection, bytes, missing, summary: summaries[0]!, summaries };
}

/** Joins consecutive deliveries of one side into a turn, cut at TURN_LIMIT bytes. */
class TurnBuilder {
  #from: FollowSide | null = null;
  #offset = 0;
  #parts: Uint8Array[] = [];
  #size = 0;
  #frames: number[] = [];
  #continued = false;

  constructor(private readonly onTurn: (turn: FollowTurn) => void) {}

  add(from: FollowSide, offset: number, bytes: Uint8Array, frames: readonly number[]): void {
    if (this.#from !== null && (this.#from !== from || offset !== this.#offset + this.#size)) this.flush();
    let at = 0;
    while (at < bytes.length) {
      if (this.#from === null) {
        this.#from = from;
        this.#offset = offset + at;
      } else if (this.#size === TURN_LIMIT) {
        const next = this.#offset + this.#size;
        this.flush();
        this.#from = from;
        this.#offset = next;
        this.#continued = true;
      }
      const take = Math.min(bytes.length - at, TURN_LIMIT - this.#size);
      this.#parts.push(bytes.slice(at, at + take));
      this.#size += take;
      at += take;
      // Frames come in stream order; a frame split over two deliveries is listed once.
      for (const f of frames) if (this.#frames.at(-1) !== f) this.#frames.push(f);
    }
  }

  flush(): void {
    if (this.#from !== null && this.#size > 0) {
      const joined = this.#parts.length === 1 ? this.#parts[0]! : concat(this.#parts, this.#size);
      this.onTurn({ kind: 'data', from: this.#from, offset: this.#offset, bytes: joined, frames: this.#frames, continued: this.#continued });
    }
    this.#from = null;
    this.#parts = [];
    this.#size = 0;
    this.#frames = [];
    this.#continued = false;
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
