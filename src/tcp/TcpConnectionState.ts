// Everything the TCP stage tracks for one connection while the capture is read; `summary()`
// turns it into the plain TcpConnection model.

import { SequenceAnalyzer } from './SequenceAnalyzer.js';
import type { Direction, Endpoint, StreamChunk, StreamConsumer, StreamGap } from './StreamEvents.js';
import type { StreamReassembler } from './StreamReassembler.js';
import {
  TCP_ANALYSIS_NAMES,
  type TcpAnalysisCounts,
  type TcpConnection,
  type TcpDirectionFigures,
  type TcpSegmentRef,
  type TcpSideClose,
  type TcpSideOptions,
  type TcpStreamFigures,
} from './TcpModel.js';

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

function directionFigures(): TcpDirectionFigures {
  return { frames: 0, bytes: 0, payloadBytes: 0 };
}

function sideClose(): TcpSideClose {
  return { finRetransmissions: [], rstCount: 0 };
}

export class TcpConnectionState {
  readonly analyzer = new SequenceAnalyzer();
  readonly fromSide: [TcpDirectionFigures, TcpDirectionFigures] = [directionFigures(), directionFigures()];
  /** Frames per TcpAnalysis bit (index = bit position). */
  readonly analysisCounts: number[] = new Array<number>(TCP_ANALYSIS_NAMES.length).fill(0);
  readonly close: [TcpSideClose, TcpSideClose] = [sideClose(), sideClose()];

  lastFrame: number;
  /** Time of the latest segment processed (not the largest time: clocks can step back). */
  lastTime: number;
  minTime: number;
  maxTime: number;
  firstSender: Direction = 0;
  /** Capture time at which the table last queued this connection for expiry. */
  queuedTime = 0;

  // Handshake.
  syn: TcpSegmentRef | undefined;
  synRetransmissions: number[] = [];
  synAck: TcpSegmentRef | undefined;
  synAckRetransmissions: number[] = [];
  handshakeAck: TcpSegmentRef | undefined;
  synTime = -1;
  synAckTime = -1;
  synToSynAckNs: number | undefined;
  synAckToAckNs: number | undefined;
  clientOptions: TcpSideOptions | undefined;
  serverOptions: TcpSideOptions | undefined;

  // Teardown.
  activeCloser: Direction | undefined;
  halfClose = false;
  rstAfterFin = false;
  /** Raw sequence number each side's FIN occupies (valid when close[d].fin is set). */
  readonly finSeq: [number, number] = [0, 0];
  /** FINs both ways or an RST: the table may let it go after the linger time. */
  closed = false;
  /** Stray segments of a connection already summarised (see TcpStage): no second summary. */
  continuation = false;

  checksumsChecked = 0;
  badChecksums = 0;
  readonly badChecksumFrames: number[] = [];

  /** Present while a consumer follows the connection's bytes. */
  streams: ConnectionStreams | undefined;
  /** Reassembly figures, kept after the streams are released. */
  streamFigures: [TcpStreamFigures, TcpStreamFigures] | undefined;

  constructor(
    readonly key: string,
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

  /** 0 when `ip`:`port` is the client's end, else 1. */
  directionOf(ip: string, port: number): Direction {
    return port === this.client.port && ip === this.client.ip ? 0 : 1;
  }

  summary(): TcpConnection {
    const analysis = {} as TcpAnalysisCounts;
    TCP_ANALYSIS_NAMES.forEach(([, name], i) => {
      analysis[name as keyof TcpAnalysisCounts] = this.analysisCounts[i]!;
    });
    const [client, server] = this.close;
    const c: TcpConnection = {
      stream: this.stream,
      ipVersion: this.ipVersion,
      client: { ...this.client },
      server: { ...this.server },
      rolesFrom: this.rolesFrom,
      firstFrame: this.firstFrame,
      lastFrame: this.lastFrame,
      firstSender: this.firstSender === 0 ? 'client' : 'server',
      startTsSec: this.startTsSec,
      startTsNsec: this.startTsNsec,
      relativeStartNs: this.minTime,
      durationNs: this.maxTime - this.minTime,
      fromClient: { ...this.fromSide[0] },
      fromServer: { ...this.fromSide[1] },
      handshake: {
        synRetransmissions: [...this.synRetransmissions],
        synAckRetransmissions: [...this.synAckRetransmissions],
        windowScaling: this.clientOptions?.windowScale !== undefined && this.serverOptions?.windowScale !== undefined,
        sackPermitted: this.clientOptions?.sackPermitted === true && this.serverOptions?.sackPermitted === true,
        timestamps: this.clientOptions?.timestamps === true && this.serverOptions?.timestamps === true,
      },
      teardown: {
        client: copyClose(client),
        server: copyClose(server),
        halfClose: this.halfClose,
        rstAfterFin: this.rstAfterFin,
        state: client.rstCount + server.rstCount > 0 ? 'reset'
          : client.fin && server.fin ? 'closed'
          : client.fin || server.fin ? 'half-closed'
          : 'open',
      },
      analysis,
      checksumsChecked: this.checksumsChecked,
      badChecksums: this.badChecksums,
      badChecksumFrames: [...this.badChecksumFrames],
    };
    const h = c.handshake;
    if (this.syn) h.syn = { ...this.syn };
    if (this.synAck) h.synAck = { ...this.synAck };
    if (this.handshakeAck) h.ack = { ...this.handshakeAck };
    if (this.synToSynAckNs !== undefined) h.synToSynAckNs = this.synToSynAckNs;
    if (this.synAckToAckNs !== undefined) h.synAckToAckNs = this.synAckToAckNs;
    if (this.analyzer.firstRttNs !== 0) h.initialRttNs = this.analyzer.firstRttNs;
    if (this.clientOptions) h.clientOptions = { ...this.clientOptions };
    if (this.serverOptions) h.serverOptions = { ...this.serverOptions };
    if (this.activeCloser !== undefined) c.teardown.activeCloser = this.activeCloser === 0 ? 'client' : 'server';
    const figures = this.streams ? [this.streams.sinks[0].figures, this.streams.sinks[1].figures] : this.streamFigures;
    if (figures) c.reassembly = { client: { ...figures[0]! }, server: { ...figures[1]! } };
    return c;
  }
}

function copyClose(side: TcpSideClose): TcpSideClose {
  const out: TcpSideClose = { finRetransmissions: [...side.finRetransmissions], rstCount: side.rstCount };
  if (side.fin) {
    out.fin = { ...side.fin };
    if (side.fin.ackedBy) out.fin.ackedBy = { ...side.fin.ackedBy };
  }
  if (side.rst) out.rst = { ...side.rst };
  return out;
}
