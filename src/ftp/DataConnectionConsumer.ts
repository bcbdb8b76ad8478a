// The TCP stage's consumer for one FTP data connection. It counts what the connection carried
// (bytes per direction, the frames that carried them, gaps, FIN/RST) and, once the linker has
// told it which direction carries the file, hands those bytes — and the holes — to a sink:
// the decoder chain of src/ftp/data feeding a file of src/extract.
//
// A passive connection is made before its command is sent, so its first bytes can arrive
// before the linker knows what they are (the RETR still in flight, or held back by the
// control connection's reassembly). Those are kept, bounded by `holdLimit` for the connection
// and by a budget shared by all of them; past either the connection is handed on as "command
// unknown" rather than buffered without end. Both count each piece held at its length plus
// HELD_PIECE_COST (its objects): 2,000,000 one-byte segments held 2 MB of data in 860 MB.

import type { DataPosition, DataSink } from './data/DataDecoder.js';
import type { DataConnectionFacts } from './model.js';
import { ReassemblyBudget } from '../tcp/ReassemblyBudget.js';
import type { ConnectionStart, Direction, StreamChunk, StreamConflict, StreamConsumer, StreamEnd, StreamGap } from '../tcp/StreamEvents.js';
import { epochText, secondsBetween } from './time.js';

/** Conflicting retransmissions listed per direction; more are counted. */
const MAX_LISTED_CONFLICTS = 100;

export const DEFAULT_HOLD_LIMIT = 4 * 1024 * 1024;
/** What all data connections together may hold before their commands are known (see the file comment). */
export const DEFAULT_HOLD_BUDGET = 64 * 1024 * 1024;
/** Bytes a held piece (data or gap) counts beyond its length: its objects, about this much. */
export const HELD_PIECE_COST = 256;

type Held = { kind: 'data'; dir: Direction; bytes: Uint8Array; at: DataPosition } | { kind: 'gap'; dir: Direction; length: number; at: DataPosition };

export interface DataConnectionEvents {
  /** Bytes arrived while no direction was chosen and `holdLimit` is reached: choose now. */
  overflow(consumer: DataConnectionConsumer): void;
  /** Both directions are done (or the capture ended). */
  closed(consumer: DataConnectionConsumer): void;
}

export class DataConnectionConsumer implements StreamConsumer {
  readonly start: ConnectionStart;
  readonly facts: DataConnectionFacts;
  readonly #events: DataConnectionEvents;
  readonly #holdLimit: number;
  /** Direction whose bytes are the transfer, once known. */
  #dataDirection: Direction | undefined;
  #sink: DataSink | undefined;
  #held: Held[] = [];
  /** What #held counts: its bytes plus HELD_PIECE_COST per piece. */
  #heldCost = 0;
  readonly #budget: ReassemblyBudget;
  /** The part of #heldCost reserved from #budget. */
  #reserved = 0;
  #ended: [boolean, boolean] = [false, false];
  #endReason: [StreamEnd['reason'] | undefined, StreamEnd['reason'] | undefined] = [undefined, undefined];
  #endFrame: [number | undefined, number | undefined] = [undefined, undefined];
  #sinkEnded = false;
  #closed = false;
  #firstByteDir: Direction | undefined;
  /** Direction-0/1 delivered bytes and data frames. */
  readonly bytes: [number, number] = [0, 0];
  readonly #dataFrames: [Set<number> | number, Set<number> | number] = [new Set(), new Set()];
  readonly #firstData: [number | null, number | null] = [null, null];
  readonly #lastData: [number | null, number | null] = [null, null];
  // Time of the last data chunk each way (seconds, nanoseconds; -1: none yet), kept as numbers: set on every chunk.
  readonly #lastSec = [-1, -1];
  readonly #lastNsec = [0, 0];
  readonly #gaps: [DataConnectionFacts['missing'], DataConnectionFacts['missing']] = [[], []];
  readonly #conflicts: [NonNullable<DataConnectionFacts['conflicts']>, NonNullable<DataConnectionFacts['conflicts']>] = [[], []];
  readonly #conflictCount: [number, number] = [0, 0];
  #lastFrame: number;
  /** The first bytes of each direction (a TLS record header tells PROT P data from a file). */
  readonly #head: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];

  /** `budget`: shared by the data connections of one analysis (DEFAULT_HOLD_BUDGET); one of its own when not given. */
  constructor(start: ConnectionStart, facts: DataConnectionFacts, events: DataConnectionEvents, holdLimit = DEFAULT_HOLD_LIMIT, budget = new ReassemblyBudget(DEFAULT_HOLD_BUDGET)) {
    this.start = start;
    this.facts = facts;
    this.#events = events;
    this.#holdLimit = holdLimit;
    this.#budget = budget;
    this.#lastFrame = start.firstFrame;
  }

  /** The direction that carried bytes first (for connections whose command is unknown). */
  get firstByteDirection(): Direction | undefined {
    return this.#firstByteDir;
  }

  get dataDirection(): Direction | undefined {
    return this.#dataDirection;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** The first (up to five) bytes the connection carried in `direction`. */
  firstBytes(direction: Direction): Uint8Array {
    return this.#head[direction];
  }

  /** How the transferring direction ended: 'fin' (the sender closed), 'rst', 'end-of-capture'; undefined while open. */
  get dataEndReason(): StreamEnd['reason'] | undefined {
    return this.#dataDirection === undefined ? undefined : this.#endReason[this.#dataDirection];
  }

  /** The frame that ended the transferring direction (its FIN or the RST), when known. */
  get dataEndFrame(): number | undefined {
    return this.#dataDirection === undefined ? undefined : this.#endFrame[this.#dataDirection];
  }

  /** Whether the transferring direction has ended (FIN/RST/end of capture). */
  get dataEnded(): boolean {
    return this.#dataDirection !== undefined && this.#ended[this.#dataDirection];
  }

  /**
   * Chooses the direction that carries the transfer and where its bytes go (undefined: count
   * only). What was held is replayed into the sink first.
   */
  route(direction: Direction, sink: DataSink | undefined): void {
    if (this.#dataDirection !== undefined) return;
    this.#dataDirection = direction;
    this.#sink = sink;
    const held = this.#held;
    this.#held = [];
    this.#heldCost = 0;
    this.#budget.release(this.#reserved);
    this.#reserved = 0;
    if (sink) {
      for (const h of held) {
        if (h.kind === 'data' && h.dir === direction) sink.data(h.bytes, h.at);
        else if (h.kind === 'gap' && h.dir === direction) sink.gap(h.length, h.at);
      }
      if (this.#ended[direction] || this.#closed) this.#endSink();
    }
    this.#refreshFacts();
  }

  data(chunk: StreamChunk): void {
    const d = chunk.direction;
    const n = chunk.bytes.length;
    if (n === 0) return;
    this.#firstByteDir ??= d;
    if (this.#head[d].length < 5) {
      const h = this.#head[d];
      const more = chunk.bytes.subarray(0, 5 - h.length);
      const joined = new Uint8Array(h.length + more.length);
      joined.set(h);
      joined.set(more, h.length);
      this.#head[d] = joined;
    }
    this.bytes[d] += n;
    const frames = chunk.frames;
    const set = this.#dataFrames[d];
    for (const f of frames) {
      if (typeof set === 'number') break;
      set.add(f);
    }
    // A long transfer has millions of frames: past 4096 keep only the count of what remains.
    if (set instanceof Set && set.size > 4096) this.#dataFrames[d] = set.size;
    else if (typeof set === 'number') this.#dataFrames[d] = set + frames.length;
    if (frames.length > 0) {
      this.#firstData[d] ??= frames[0]!;
      this.#lastData[d] = frames[frames.length - 1]!;
      this.#lastFrame = Math.max(this.#lastFrame, frames[frames.length - 1]!);
    }
    this.#lastSec[d] = chunk.tsSec;
    this.#lastNsec[d] = chunk.tsNsec;
    const at: DataPosition = { offset: chunk.offset, frames };
    if (this.#dataDirection === undefined) {
      this.#held.push({ kind: 'data', dir: d, bytes: new Uint8Array(chunk.bytes), at: { offset: chunk.offset, frames: [...frames] } });
      this.#hold(n + HELD_PIECE_COST);
      return;
    }
    if (d === this.#dataDirection && this.#sink && !this.#sinkEnded) this.#sink.data(chunk.bytes, at);
  }

  gap(gap: StreamGap): void {
    const length = gap.end - gap.start;
    const list = this.#gaps[gap.direction];
    if (list.length < 1000) list.push({ start: gap.start, end: gap.end, reason: gap.reason, frame: gap.frame });
    else {
      const last = list[list.length - 1]!;
      last.end = gap.end;
      last.reason = 'many gaps (list capped at 1000; the last entry spans the rest)';
    }
    const at: DataPosition = { offset: gap.start, frames: [gap.frame] };
    if (this.#dataDirection === undefined) {
      this.#held.push({ kind: 'gap', dir: gap.direction, length, at });
      this.#hold(HELD_PIECE_COST);
      return;
    }
    if (gap.direction === this.#dataDirection && this.#sink && !this.#sinkEnded) this.#sink.gap(length, at);
  }

  /** Counts a piece just held; past this connection's limit or the shared budget, asks for a direction now. */
  #hold(cost: number): void {
    this.#heldCost += cost;
    const fits = this.#budget.tryReserve(cost);
    if (fits) this.#reserved += cost;
    if (!fits || this.#heldCost > this.#holdLimit) this.#events.overflow(this);
  }

  conflict(c: StreamConflict): void {
    const list = this.#conflicts[c.direction];
    this.#conflictCount[c.direction]++;
    if (list.length < MAX_LISTED_CONFLICTS) list.push({ start: c.start, end: c.end, frames: [...c.frames] });
  }

  end(end: StreamEnd): void {
    if (!this.#ended[end.direction]) {
      this.#endReason[end.direction] = end.reason;
      this.#endFrame[end.direction] = end.frame;
    }
    this.#ended[end.direction] = true;
    if (end.frame !== undefined) this.#lastFrame = Math.max(this.#lastFrame, end.frame);
    if (end.direction === this.#dataDirection) this.#endSink();
  }

  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#dataDirection !== undefined) this.#endSink();
    this.#refreshFacts();
    this.#events.closed(this);
  }

  /** Facts as far as known now (called again when the TCP summary arrives). */
  refresh(): DataConnectionFacts {
    this.#refreshFacts();
    return this.facts;
  }

  #endSink(): void {
    if (this.#sinkEnded) return;
    this.#sinkEnded = true;
    this.#sink?.end();
  }

  #refreshFacts(): void {
    const f = this.facts;
    // Until the linker says, the busier direction is taken to be the transfer.
    const d: Direction = this.#dataDirection ?? (this.bytes[1] >= this.bytes[0] ? 1 : 0);
    f.bytesFromOpener = this.bytes[0];
    f.bytesFromListener = this.bytes[1];
    f.firstDataFrame = this.#firstData[d];
    f.lastDataFrame = this.#lastData[d];
    const set = this.#dataFrames[d];
    f.dataFrames = typeof set === 'number' ? set : set.size;
    f.missing = this.#gaps[d];
    if (this.#conflictCount[d] > 0) {
      f.conflicts = this.#conflicts[d];
      f.conflictCount = this.#conflictCount[d];
    }
    f.lastFrame = Math.max(f.lastFrame ?? 0, this.#lastFrame);
    const lastSec = this.#lastSec[d]!;
    const lastNsec = this.#lastNsec[d]!;
    if (lastSec >= 0) {
      f.lastDataTime = epochText(lastSec, lastNsec);
      const secs = Number(secondsBetween(this.start.tsSec, this.start.tsNsec, lastSec, lastNsec));
      f.throughput = secs > 0 ? Math.round((this.bytes[d] / secs) * 10) / 10 : null;
    }
  }
}
