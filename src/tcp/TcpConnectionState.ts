// Everything the TCP stage tracks for one connection while the capture is read; `summary()`
// turns it into the plain TcpConnection model.

import { SequenceAnalyzer } from './SequenceAnalyzer.js';
import type { Direction, Endpoint, StreamChunk, StreamConsumer, StreamGap } from './StreamEvents.js';
import type { StreamReassembler } from './StreamReassembler.js';
import type { FlowState } from './FlowState.js';
import {
  TCP_ANALYSIS_NAMES,
  type TcpAnalysisCounts,
  type TcpConnection,
  type TcpSegmentRef,
  type TcpSideClose,
  type TcpStreamFigures,
} from './TcpModel.js';

/**
 * Places in TcpConnectionState.refs. FIN, FIN_ACKED_BY and RST take one place per direction
 * (add the direction): FIN_ACKED_BY + d is the peer's first frame acknowledging d's FIN.
 */
export const RefSlot = {
  SYN: 0,
  SYN_ACK: 1,
  HANDSHAKE_ACK: 2,
  FIN: 3,
  FIN_ACKED_BY: 5,
  RST: 7,
} as const;
/**
 * Numbers per place: frame (0: none), flags | direction << 12, relative seq and ack, raw seq
 * and ack, length, tsSec, tsNsec. Kept as numbers in one array (doubles stay unboxed there),
 * not as a TcpSegmentRef object each: a connection lingers long enough after closing for all
 * its state to reach V8's old generation, and seven objects with their boxed 32-bit numbers
 * were about a kilobyte of it per connection.
 */
const REF_FIELDS = 9;
/** Places made at once: the handshake's; then up to FIN_ACKED_BY + 1 at the first teardown segment, then the RSTs'. */
const REF_SLOTS_HANDSHAKE = RefSlot.FIN;
const REF_SLOTS_USUAL = RefSlot.RST;

/** Frames listed per repeated SYN, SYN/ACK or FIN, and per bad checksum, at most. */
export const MAX_LISTED_FRAMES = 16;

/** Counts what a reassembler hands on before passing it to the consumer. */
export class CountingSink {
  readonly figures: TcpStreamFigures = { deliveredBytes: 0, missingBytes: 0, gaps: 0, conflicts: 0 };
  constructor(readonly consumer: StreamConsumer) {}

  data(chunk: StreamChunk): void {
    this.figures.deliveredBytes += chunk.bytes.length;
    this.consumer.data(chunk);
  }

  gap(gap: StreamGap): void {
    this.figures.missingBytes += gap.end - gap.start;
    this.figures.gaps++;
    this.consumer.gap(gap);
  }
}

/** Reassembly of one connection for its consumer. */
export interface ConnectionStreams {
  consumer: StreamConsumer;
  reassemblers: [StreamReassembler, StreamReassembler];
  sinks: [CountingSink, CountingSink];
  /** Directions that have had their `end`. */
  ended: [boolean, boolean];
}

/** One analysis bit's frame count per slot (index = bit position). */
const ANALYSIS_SLOTS = TCP_ANALYSIS_NAMES.length;

export class TcpConnectionState {
  readonly analyzer = new SequenceAnalyzer();
  /** Frames per TcpAnalysis bit (index = bit position); made when the first flag comes. */
  analysisCounts: number[] | undefined;

  lastFrame: number;
  /** Time of the latest segment processed (not the largest time: clocks can step back). */
  lastTime: number;
  minTime: number;
  maxTime: number;
  firstSender: Direction = 0;
  /** Capture time at which the table last queued this connection for expiry. */
  queuedTime = 0;
  /**
   * The table's queue holding it: 0 none, 1 closed, 2 teardown complete, 3 open and silent, 4 open
   * (carried payload), 5 open and followed by a consumer (ConnectionTable).
   */
  lingerQueue: 0 | 1 | 2 | 3 | 4 | 5 = 0;
  /** Neighbours in that queue (ConnectionTable's LingerQueue). */
  lingerPrev: TcpConnectionState | undefined;
  lingerNext: TcpConnectionState | undefined;

  /**
   * The segments the summary points at (handshake, FINs, the ACKs of the FINs, RSTs): REF_FIELDS
   * numbers per RefSlot in one number array, made at the first one; see `setRef`.
   */
  refs: number[] | undefined;

  // Handshake.
  synRetransmissions: number[] | undefined;
  synAckRetransmissions: number[] | undefined;
  synTime = -1;
  synAckTime = -1;
  synToSynAckNs: number | undefined;
  synAckToAckNs: number | undefined;

  // Teardown (the FIN and RST of each side are in analyzer.flows).
  /** A FIN or RST was seen either way (teardown bookkeeping runs from then on). */
  finOrRst = false;
  activeCloser: Direction | undefined;
  halfClose = false;
  rstAfterFin = false;
  /** FINs both ways or an RST: the table may let it go after the linger time. */
  closed = false;
  /** Stray segments of a connection already summarised (see TcpStage): no second summary. */
  continuation = false;
  /** The stage is done with it (summarised, or replaced on its ports). */
  retired = false;

  checksumsChecked = 0;
  badChecksums = 0;
  badChecksumFrames: number[] | undefined;

  /** Present while a consumer follows the connection's bytes. */
  streams: ConnectionStreams | undefined;
  /** Reassembly figures, kept after the streams are released. */
  streamFigures: [TcpStreamFigures, TcpStreamFigures] | undefined;

  constructor(
    readonly stream: number,
    readonly ipVersion: 4 | 6,
    readonly client: Endpoint,
    readonly server: Endpoint,
    readonly rolesFrom: 'syn' | 'syn-ack' | 'heuristic',
    readonly firstFrame: number,
    readonly startTsSec: number,
    readonly startTsNsec: number,
    /** Nanoseconds from the capture's first frame. */
    readonly firstTime: number,
  ) {
    this.lastFrame = firstFrame;
    this.lastTime = firstTime;
    this.minTime = firstTime;
    this.maxTime = firstTime;
  }

  /** The segment in `slot` was recorded. */
  hasRef(slot: number): boolean {
    const r = this.refs;
    const at = slot * REF_FIELDS;
    return r !== undefined && at < r.length && r[at] !== 0;
  }

  /** Frame of the segment in `slot`, 0 when none was recorded (frames count from 1). */
  refFrame(slot: number): number {
    const r = this.refs;
    const at = slot * REF_FIELDS;
    return r === undefined || at >= r.length ? 0 : r[at]!;
  }

  /** Raw sequence number of the segment in `slot` (only when `hasRef(slot)`). */
  refSeqRaw(slot: number): number {
    return this.refs![slot * REF_FIELDS + 4]!;
  }

  /** Who sent the segment in `slot` (only when `hasRef(slot)`). */
  refDirection(slot: number): Direction {
    return (this.refs![slot * REF_FIELDS + 1]! >>> 12) === 0 ? 0 : 1;
  }

  /** Records a segment in `slot` (`frame` ≥ 1; `flags` the 12-bit flags field). */
  setRef(slot: number, frame: number, d: Direction, flags: number, seq: number, ack: number, seqRaw: number, ackRaw: number, len: number, tsSec: number, tsNsec: number): void {
    const at = slot * REF_FIELDS;
    // Made exactly as long as the places in use so far (the handshake's; a connection left open
    // keeps only those), and made again longer, not pushed onto (which would overshoot).
    let r = this.refs;
    if (r === undefined || r.length < at + REF_FIELDS) {
      const places = slot < REF_SLOTS_HANDSHAKE ? REF_SLOTS_HANDSHAKE : slot < REF_SLOTS_USUAL ? REF_SLOTS_USUAL : RefSlot.RST + 2;
      const grown = new Array<number>(places * REF_FIELDS).fill(0);
      if (r !== undefined) for (let i = 0; i < r.length; i++) grown[i] = r[i]!;
      r = this.refs = grown;
    }
    r[at] = frame;
    r[at + 1] = (flags & 0xfff) | (d << 12);
    r[at + 2] = seq;
    r[at + 3] = ack;
    r[at + 4] = seqRaw;
    r[at + 5] = ackRaw;
    r[at + 6] = len;
    r[at + 7] = tsSec;
    r[at + 8] = tsNsec;
  }

  /** The model's TcpSegmentRef for `slot`, made now; undefined when none was recorded. */
  ref(slot: number): TcpSegmentRef | undefined {
    const r = this.refs;
    const at = slot * REF_FIELDS;
    if (r === undefined || at >= r.length || r[at] === 0) return undefined;
    const fd = r[at + 1]!;
    return {
      frame: r[at]!,
      from: fd >>> 12 === 0 ? 'client' : 'server',
      flags: fd & 0xfff,
      seq: r[at + 2]!,
      ack: r[at + 3]!,
      seqRaw: r[at + 4]!,
      ackRaw: r[at + 5]!,
      len: r[at + 6]!,
      tsSec: r[at + 7]!,
      tsNsec: r[at + 8]!,
    };
  }

  /** 0 when `ip`:`port` is the client's end, else 1. */
  directionOf(ip: string, port: number): Direction {
    return port === this.client.port && ip === this.client.ip ? 0 : 1;
  }

  /** Counts the analysis bits of one segment. */
  countAnalysis(flags: number): void {
    const counts = (this.analysisCounts ??= new Array<number>(ANALYSIS_SLOTS).fill(0));
    for (let bit = 0, f = flags; f !== 0; bit++, f >>>= 1) if ((f & 1) !== 0) counts[bit]!++;
  }

  /**
   * The plain TcpConnection. Called once, when the stage is done with the connection: the
   * summary takes over the parts already built (segment refs, frame lists) instead of copying.
   */
  summary(): TcpConnection {
    const analysis = analysisCounts(this.analysisCounts ?? NO_COUNTS);
    const client = this.analyzer.flows[0];
    const server = this.analyzer.flows[1];
    const c: TcpConnection = {
      stream: this.stream,
      ipVersion: this.ipVersion,
      // Copied: the table keeps the endpoints of dropped connections.
      client: { ip: this.client.ip, port: this.client.port },
      server: { ip: this.server.ip, port: this.server.port },
      rolesFrom: this.rolesFrom,
      firstFrame: this.firstFrame,
      lastFrame: this.lastFrame,
      firstSender: this.firstSender === 0 ? 'client' : 'server',
      startTsSec: this.startTsSec,
      startTsNsec: this.startTsNsec,
      relativeStartNs: this.minTime,
      durationNs: this.maxTime - this.minTime,
      fromClient: { frames: client.frames, bytes: client.bytes, payloadBytes: client.payloadBytes },
      fromServer: { frames: server.frames, bytes: server.bytes, payloadBytes: server.payloadBytes },
      handshake: {
        synRetransmissions: this.synRetransmissions ?? [],
        synAckRetransmissions: this.synAckRetransmissions ?? [],
        windowScaling: client.options?.windowScale !== undefined && server.options?.windowScale !== undefined,
        sackPermitted: client.options?.sackPermitted === true && server.options?.sackPermitted === true,
        timestamps: client.options?.timestamps === true && server.options?.timestamps === true,
      },
      teardown: {
        client: this.#sideClose(client, 0),
        server: this.#sideClose(server, 1),
        halfClose: this.halfClose,
        rstAfterFin: this.rstAfterFin,
        state: client.rstCount + server.rstCount > 0 ? 'reset'
          : this.hasRef(RefSlot.FIN) && this.hasRef(RefSlot.FIN + 1) ? 'closed'
          : this.hasRef(RefSlot.FIN) || this.hasRef(RefSlot.FIN + 1) ? 'half-closed'
          : 'open',
      },
      analysis,
      checksumsChecked: this.checksumsChecked,
      badChecksums: this.badChecksums,
      badChecksumFrames: this.badChecksumFrames ?? [],
    };
    const h = c.handshake;
    const syn = this.ref(RefSlot.SYN);
    const synAck = this.ref(RefSlot.SYN_ACK);
    const ack = this.ref(RefSlot.HANDSHAKE_ACK);
    if (syn) h.syn = syn;
    if (synAck) h.synAck = synAck;
    if (ack) h.ack = ack;
    if (this.synToSynAckNs !== undefined) h.synToSynAckNs = this.synToSynAckNs;
    if (this.synAckToAckNs !== undefined) h.synAckToAckNs = this.synAckToAckNs;
    if (this.analyzer.firstRttNs !== 0) h.initialRttNs = this.analyzer.firstRttNs;
    if (client.options) h.clientOptions = client.options;
    if (server.options) h.serverOptions = server.options;
    if (this.activeCloser !== undefined) c.teardown.activeCloser = this.activeCloser === 0 ? 'client' : 'server';
    const figures = this.streams ? [this.streams.sinks[0].figures, this.streams.sinks[1].figures] : this.streamFigures;
    if (figures) c.reassembly = { client: figures[0]!, server: figures[1]! };
    return c;
  }
  #sideClose(flow: FlowState, d: Direction): TcpSideClose {
    return sideClose(flow, this.ref(RefSlot.FIN + d), this.ref(RefSlot.FIN_ACKED_BY + d), this.ref(RefSlot.RST + d));
  }
}

const NO_COUNTS: readonly number[] = new Array<number>(ANALYSIS_SLOTS).fill(0);

/**
 * The counts per analysis bit as the model's object. Written out as one literal, so every
 * summary's counts share one object shape (built key by key they took a slow, dictionary-like
 * path); the keys are in bit order, the order of TCP_ANALYSIS_NAMES (checked below, once).
 */
function analysisCounts(c: readonly number[]): TcpAnalysisCounts {
  return {
    retransmission: c[0]!,
    fast_retransmission: c[1]!,
    spurious_retransmission: c[2]!,
    out_of_order: c[3]!,
    lost_segment: c[4]!,
    ack_lost_segment: c[5]!,
    duplicate_ack: c[6]!,
    zero_window: c[7]!,
    window_full: c[8]!,
    keep_alive: c[9]!,
    keep_alive_ack: c[10]!,
    window_update: c[11]!,
    zero_window_probe: c[12]!,
    zero_window_probe_ack: c[13]!,
    reused_ports: c[14]!,
  };
}

if (Object.keys(analysisCounts(NO_COUNTS)).join() !== TCP_ANALYSIS_NAMES.map(([, name]) => name).join()) {
  throw new Error('TcpConnectionState: analysisCounts() is out of step with TCP_ANALYSIS_NAMES');
}

function sideClose(flow: FlowState, fin: TcpSideClose['fin'], finAckedBy: TcpSegmentRef | undefined, rst: TcpSegmentRef | undefined): TcpSideClose {
  const out: TcpSideClose = { finRetransmissions: flow.finRetransmissions ?? [], rstCount: flow.rstCount };
  if (fin) {
    if (finAckedBy) fin.ackedBy = finAckedBy;
    out.fin = fin;
  }
  if (rst) out.rst = rst;
  return out;
}
