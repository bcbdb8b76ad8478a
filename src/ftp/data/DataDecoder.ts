// The shape shared by every data-connection decoder (transmission modes of RFC 959 §3.4,
// MODE Z, representation types of §3.1.1): bytes go in as the TCP stage delivers them, in
// order, with missing ranges said out loud; decoded bytes come out, in order, to the next
// stage — another decoder, or the file writer. Nothing holds a whole transfer: each stage
// keeps only what a chunk boundary can cut in half (a block header, a CR, a deflate window).
//
// A stage never throws on what it reads: damaged or hostile input becomes a `DataWarning`
// with the offset (and the frames) where it was seen, and the stage says what it will do
// about it (skip, stop, fill).

/** Where a piece of bytes sits. */
export interface DataPosition {
  /**
   * Offset of the first byte in the stream the receiving stage reads: the TCP stream offset
   * of this direction for the first stage, the decoded offset for later ones.
   */
  offset: number;
  /** Frame numbers of the wire bytes these came from (the TCP chunk being decoded), when known. */
  frames?: readonly number[];
}

/**
 * Receives a stage's output. Every decoder is also a DataSink (for the stage before it), and
 * the file writer is the last one.
 */
export interface DataSink {
  /** Decoded bytes in order. The view is only valid during the call: copy what you keep. */
  data(bytes: Uint8Array, at: DataPosition): void;
  /**
   * `length` bytes are missing at `at.offset`. `null`: an unknown amount is missing and
   * nothing more will follow (a compressed or framed stream cannot be resumed after a hole).
   */
  gap(length: number | null, at: DataPosition): void;
  /** No more input. Called once. */
  end(): void;
}

export type DataStage = 'mode-s' | 'mode-b' | 'mode-c' | 'mode-z' | 'type-a' | 'type-e' | 'type-l';

export interface DataWarning {
  stage: DataStage;
  /** Stable identifier for tests and filters, e.g. `mode-z-gap`, `mode-b-truncated-header`. */
  code: string;
  /** One sentence for a human, with offsets and counts. */
  message: string;
  /** Offset in the stage's input (see DataPosition.offset). */
  offset: number;
  /** Frames of the wire chunk that was being decoded, when known. */
  frames?: number[];
}

export type WarningHandler = (warning: DataWarning) => void;

/** A stage that reads a stream and writes to the next DataSink. */
export interface DataDecoder extends DataSink {
  /**
   * Resolves once every byte handed in so far has been decoded and handed on. Synchronous
   * stages are always settled; MODE Z inflates in node:zlib's thread pool.
   */
  settled(): Promise<void>;
  /** Input bytes accepted but not yet decoded (what a memory budget must count). */
  readonly heldBytes: number;
}

/** A restart marker (RFC 959 §3.5) seen in a block- or compressed-mode stream: reported, never written. */
export interface RestartMarker {
  /** The marker text, as printable ASCII (other bytes as \xNN). */
  marker: string;
  /** Wire offset of the marker block / escape. */
  offset: number;
  /** Decoded offset at which the marker stands (bytes of data before it). */
  dataOffset: number;
  frames?: number[];
}

/**
 * A capped list of warnings: a damaged stream can repeat the same fault on every byte, and
 * the list must not grow with it. Past the cap warnings are counted; one closing entry says
 * how many were left out.
 */
export class WarningList {
  readonly list: DataWarning[] = [];
  #max: number;
  #dropped = 0;
  #overflow: DataWarning | undefined;

  constructor(max = 100) {
    this.#max = max;
  }

  readonly add = (w: DataWarning): void => {
    if (this.list.length < this.#max) {
      this.list.push(w);
      return;
    }
    this.#dropped++;
    if (this.#overflow === undefined) {
      this.#overflow = { stage: w.stage, code: 'warnings-dropped', message: '', offset: w.offset };
      this.list.push(this.#overflow);
    }
    this.#overflow.message = `${this.#dropped} more warning${this.#dropped === 1 ? '' : 's'} not listed (limit ${this.#max})`;
  };
}

/** Copies a frames list for keeping (positions handed in are only valid during the call). */
export function framesOf(at: DataPosition | undefined): number[] | undefined {
  return at?.frames === undefined || at.frames.length === 0 ? undefined : [...at.frames];
}

/** Restart-marker bytes as text: printable ASCII as is, anything else as \xNN. */
export function markerText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x21 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return s;
}

/** A stage that decodes nothing: MODE S (RFC 959 §3.4.1), TYPE I, TYPE L 8, TYPE A/E kept as on the wire. */
export class PassThroughDecoder implements DataDecoder {
  readonly heldBytes = 0;
  #next: DataSink;

  constructor(next: DataSink) {
    this.#next = next;
  }

  data(bytes: Uint8Array, at: DataPosition): void {
    this.#next.data(bytes, at);
  }

  gap(length: number | null, at: DataPosition): void {
    this.#next.gap(length, at);
  }

  end(): void {
    this.#next.end();
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }
}

/** Hands everything to two sinks: the file and a reader of the same bytes (a listing parser). */
export class TeeSink implements DataSink {
  readonly #a: DataSink;
  readonly #b: DataSink;

  constructor(a: DataSink, b: DataSink) {
    this.#a = a;
    this.#b = b;
  }

  data(bytes: Uint8Array, at: DataPosition): void {
    this.#a.data(bytes, at);
    this.#b.data(bytes, at);
  }

  gap(length: number | null, at: DataPosition): void {
    this.#a.gap(length, at);
    this.#b.gap(length, at);
  }

  end(): void {
    this.#a.end();
    this.#b.end();
  }
}
