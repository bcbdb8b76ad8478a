// One data connection's bytes -> the file they carry. The transmission mode is undone first
// (RFC 959 §3.4: S, B, C, and MODE Z), then the representation type (§3.1.1: A, E, I, L):
// that is the order a sender applies them in reverse — it converts the file to TYPE A's
// CR LF lines (or EBCDIC), then frames or compresses the result. proftpd does exactly that
// for MODE Z + TYPE A (fixtures/modez-lftp-proftpd.pcap: the inflated bytes carry CR LF).
//
//   wire ─► mode stage (S | B | C | Z) ─► type stage (A wire/native | E raw/text | I | L 8) ─► sink
//
// Every stage is bounded and never throws; their warnings land in one capped list here.

import {
  type DataDecoder,
  type DataPosition,
  type DataSink,
  type DataStage,
  type DataWarning,
  type RestartMarker,
  PassThroughDecoder,
  WarningList,
} from './DataDecoder.js';
import { AsciiNativeDecoder } from './AsciiDecoder.js';
import { EbcdicTextDecoder } from './EbcdicDecoder.js';
import { ModeBDecoder } from './ModeBDecoder.js';
import { ModeCDecoder } from './ModeCDecoder.js';
import { type ModeZOptions, ModeZDecoder } from './ModeZDecoder.js';

export type TransferMode = 'S' | 'B' | 'C' | 'Z';
export type RepresentationType = 'A' | 'E' | 'I' | 'L';
export type FileStructure = 'F' | 'R' | 'P';

/** What was in force on the control connection when the transfer started (MODE, TYPE, STRU). */
export interface WireRepresentation {
  mode: TransferMode;
  type: RepresentationType;
  /** TYPE L's byte size (§3.1.1.4). Only 8 is decoded (like TYPE I). */
  byteSize?: number;
  structure?: FileStructure;
}

export interface DataDecodeOptions {
  /** TYPE A: 'wire' (default) keeps CR LF, 'native' writes LF. */
  ascii?: 'wire' | 'native';
  /** TYPE E: 'raw' (default) keeps EBCDIC, 'text' writes UTF-8 (code page 037). */
  ebcdic?: 'raw' | 'text';
  /** TYPE E text: how EBCDIC NL (0x15) is written. */
  ebcdicNl?: 'lf' | 'nel';
  /** MODE Z limits (decompression bombs) and format. */
  modeZ?: ModeZOptions;
  /** MODE B / C: bytes written at each end of record. Default: nothing. */
  recordSeparator?: Uint8Array;
  /** Warnings kept per transfer (more are counted). Default 100. */
  maxWarnings?: number;
  /** Restart markers kept per transfer (more are counted). Default 100. */
  maxRestartMarkers?: number;
}

/** The whole chain for one transfer; itself a DataDecoder fed with the TCP stream of one direction. */
export class TransferDecoder implements DataDecoder {
  readonly representation: WireRepresentation;
  /** The stages in order, e.g. ['mode-z', 'type-a'] ('mode-s' and raw types pass through). */
  readonly stages: DataStage[] = [];
  readonly restartMarkers: RestartMarker[] = [];
  #warnings: WarningList;
  #first: DataDecoder;
  #all: DataDecoder[] = [];
  #maxMarkers: number;
  #droppedMarkers = 0;
  #wireBytes = 0;

  constructor(rep: WireRepresentation, sink: DataSink, options: DataDecodeOptions = {}) {
    this.representation = { ...rep };
    this.#warnings = new WarningList(options.maxWarnings ?? 100);
    this.#maxMarkers = options.maxRestartMarkers ?? 100;
    const warn = this.#warnings.add;
    const onRestartMarker = (m: RestartMarker): void => {
      if (this.restartMarkers.length < this.#maxMarkers) this.restartMarkers.push(m);
      else this.#droppedMarkers++;
    };

    // Built from the sink backwards: each stage writes into the one after it.
    let next: DataSink = sink;
    const typeStages: DataDecoder[] = [];
    if (rep.type === 'A' && options.ascii === 'native') {
      const d = new AsciiNativeDecoder(next, warn, 'type-a');
      typeStages.unshift(d);
      next = d;
      this.stages.unshift('type-a');
    } else if (rep.type === 'E' && options.ebcdic === 'text') {
      const d = new EbcdicTextDecoder(next, { nl: options.ebcdicNl ?? 'lf' });
      typeStages.unshift(d);
      next = d;
      this.stages.unshift('type-e');
    } else if (rep.type === 'L' && rep.byteSize !== undefined && rep.byteSize !== 8) {
      warn({
        stage: 'type-l',
        code: 'type-l-byte-size',
        message: `TYPE L ${rep.byteSize}: only TYPE L 8 is byte for byte; the bytes are stored as they came off the wire`,
        offset: 0,
      });
    }
    if (rep.structure === 'R' && rep.mode === 'S') {
      warn({
        stage: 'mode-s',
        code: 'mode-s-record-structure',
        message: 'STRU R in stream mode: the 0xFF EOR/EOF escapes of RFC 959 §3.4.1 are not decoded; the bytes are stored as they came',
        offset: 0,
      });
    } else if (rep.structure === 'P') {
      warn({
        stage: 'mode-s',
        code: 'page-structure',
        message: 'STRU P (page structure, RFC 959 §3.1.2.3): page headers are not decoded; the bytes are stored as they came',
        offset: 0,
      });
    }

    let first: DataDecoder;
    switch (rep.mode) {
      case 'Z':
        first = new ModeZDecoder(next, warn, options.modeZ);
        this.stages.unshift('mode-z');
        break;
      case 'B':
        first = new ModeBDecoder(next, warn, { recordSeparator: options.recordSeparator, onRestartMarker });
        this.stages.unshift('mode-b');
        break;
      case 'C':
        first = new ModeCDecoder(next, warn, { type: rep.type, recordSeparator: options.recordSeparator, onRestartMarker });
        this.stages.unshift('mode-c');
        break;
      default:
        first = new PassThroughDecoder(next);
        this.stages.unshift('mode-s');
    }
    this.#first = first;
    this.#all = [first, ...typeStages];
  }

  get warnings(): DataWarning[] {
    return this.#warnings.list;
  }

  /** Restart markers seen but not kept (past maxRestartMarkers). */
  get droppedRestartMarkers(): number {
    return this.#droppedMarkers;
  }

  /** Bytes read off the wire (before decoding). */
  get wireBytes(): number {
    return this.#wireBytes;
  }

  get heldBytes(): number {
    let n = 0;
    for (const d of this.#all) n += d.heldBytes;
    return n;
  }

  data(bytes: Uint8Array, at: DataPosition): void {
    this.#wireBytes += bytes.length;
    this.#first.data(bytes, at);
  }

  gap(length: number | null, at: DataPosition): void {
    this.#first.gap(length, at);
  }

  end(): void {
    this.#first.end();
  }

  async settled(): Promise<void> {
    for (const d of this.#all) await d.settled();
  }

  /** "MODE Z, TYPE A (CR LF -> LF)" and the like, for reports. */
  describe(): string {
    const r = this.representation;
    const parts = [`MODE ${r.mode}`];
    let t = `TYPE ${r.type}${r.type === 'L' && r.byteSize !== undefined ? ` ${r.byteSize}` : ''}`;
    if (this.stages.includes('type-a')) t += ' (CR LF -> LF)';
    if (this.stages.includes('type-e')) t += ' (EBCDIC 037 -> UTF-8)';
    parts.push(t);
    if (r.structure !== undefined && r.structure !== 'F') parts.push(`STRU ${r.structure}`);
    return parts.join(', ');
  }
}
