// Splits one direction of an FTP control connection into lines. RFC 959 §4 makes the control
// connection a Telnet (NVT) stream: lines end in CRLF, and Telnet commands (IAC …, RFC 854)
// may be mixed into it — clients send IAC IP and IAC DM (the Synch) before ABOR (RFC 959
// §4.1.3), and a literal 0xFF is sent doubled as IAC IAC. Those are removed from the text here
// and reported with the line they came in.
//
// Pull-style, so chunk boundaries never reach the code above: `begin(chunk)` hands over the
// bytes of one delivery, `nextLine()` returns each completed line (or undefined when the chunk
// is used up), and the caller may stop in the middle of a chunk — the control channel turns
// into TLS right after a 234 reply — and take the rest from `position`.
//
// Bounded: a line keeps at most `maxLineBytes` bytes (the rest is counted, not kept) and at
// most `maxLineFrames` frame numbers; nothing else grows with the input.

import type { StreamChunk } from '../tcp/StreamEvents.js';

export interface TelnetLineReaderOptions {
  /** Bytes of one line kept (default 8192); longer lines are cut and say how much was dropped. */
  maxLineBytes?: number;
  /** Frame numbers kept per line (default 64: the first 63 and the last). */
  maxLineFrames?: number;
}

export interface TelnetEvent {
  /** "IP", "DM", "AO", "WILL 1", "SB 24 (3 bytes)", … */
  what: string;
  frame: number;
}

export interface ControlLine {
  /** The line's bytes without its terminator and without Telnet commands (at most maxLineBytes). */
  bytes: Uint8Array;
  /** `bytes` as text: UTF-8 when valid, otherwise printable ASCII with every other byte as \xNN. */
  text: string;
  utf8: boolean;
  /** Frames that carried any byte of the line, its terminator or its Telnet commands. */
  frames: number[];
  framesOmitted: number;
  /** The line and its terminator came in one segment (false when unknown). */
  oneSegment: boolean;
  /** Frame that completed the line. */
  endFrame: number;
  tsSec: number;
  tsNsec: number;
  telnet: TelnetEvent[];
  /** Bytes dropped because the line was longer than maxLineBytes. */
  truncated: number;
  /** How the line ended: CRLF, a bare LF, or not at all (end of stream or a gap). */
  terminator: 'crlf' | 'lf' | 'none';
  /** Stream offset of the line's first byte. */
  offset: number;
}

/**
 * A chunk as a future TCP stage may deliver it: when several segments were merged into one
 * delivery, `frameOffsets[i]` is the stream offset where `frames[i]`'s bytes begin. Without it a
 * line is credited with every frame of a merged chunk it touches.
 */
type ChunkWithFrameOffsets = StreamChunk & { frameOffsets?: readonly number[] };

const IAC = 0xff;
const SE = 240;
const SB = 250;
const WILL = 251;
const DONT = 254;
const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

// RFC 854 command names for 240…249.
const TELNET_NAMES: Record<number, string> = {
  240: 'SE', 241: 'NOP', 242: 'DM', 243: 'BRK', 244: 'IP', 245: 'AO', 246: 'AYT', 247: 'EC', 248: 'EL', 249: 'GA',
};
const OPTION_VERBS: Record<number, string> = { 251: 'WILL', 252: 'WONT', 253: 'DO', 254: 'DONT' };

const enum Telnet {
  Data,
  Iac,
  Option,
  Sub,
  SubIac,
}

/** Longest subnegotiation followed before it is given up as garbage. */
const MAX_SUBNEGOTIATION = 512;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as text: UTF-8 when valid; otherwise printable ASCII kept and every other byte written \xNN. */
export function decodeLine(bytes: Uint8Array): { text: string; utf8: boolean } {
  try {
    return { text: utf8.decode(bytes), utf8: true };
  } catch {
    let out = '';
    for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    return { text: out, utf8: false };
  }
}

export class TelnetLineReader {
  readonly #maxBytes: number;
  readonly #maxFrames: number;

  // The line being built.
  // 64 bytes to start (kept on V8's heap; most commands fit), doubled as lines need: a control
  // connection has two readers, and thousands may be open at once.
  #buf: Uint8Array = new Uint8Array(64);
  #len = 0;
  #dropped = 0;
  #frames: number[] = [];
  #framesOmitted = 0;
  #lastFrame = -1;
  #telnet: TelnetEvent[] = [];
  #lineOffset = -1;
  /** The merged chunk (several frames, no offsets) whose frames were all credited to the line. */
  #creditedChunk: StreamChunk | undefined;
  /** Raw byte before the current one (after Telnet decoding), for CR LF and CR NUL. */
  #prevWasCr = false;

  // Telnet decoder state, kept across chunks.
  #telnetState = Telnet.Data;
  #optionVerb = 0;
  #subOption = -1;
  #subLength = 0;

  // The chunk being read.
  #chunk: ChunkWithFrameOffsets | undefined;
  #pos = 0;
  #frameIndex = 0;

  constructor(options: TelnetLineReaderOptions = {}) {
    this.#maxBytes = Math.max(16, options.maxLineBytes ?? 8192);
    this.#maxFrames = Math.max(2, options.maxLineFrames ?? 64);
  }

  /** Index in the current chunk's bytes where reading stopped. */
  get position(): number {
    return this.#pos;
  }

  /** True while a line has started but not ended. */
  get inLine(): boolean {
    return this.#lineOffset >= 0;
  }

  /** Hands over a chunk, to be read from byte `start` on. */
  begin(chunk: StreamChunk, start = 0): void {
    this.#chunk = chunk;
    this.#pos = start;
    this.#frameIndex = 0;
  }

  /** The next complete line of the current chunk, or undefined when the chunk is used up. */
  nextLine(): ControlLine | undefined {
    const chunk = this.#chunk;
    if (!chunk) return undefined;
    const bytes = chunk.bytes;
    while (this.#pos < bytes.length) {
      const i = this.#pos++;
      const b = bytes[i] as number;
      this.#touch(chunk, i);
      switch (this.#telnetState) {
        case Telnet.Data:
          if (b === IAC) {
            this.#telnetState = Telnet.Iac;
            continue;
          }
          if (b === LF) return this.#endLine(chunk, this.#prevWasCr ? 'crlf' : 'lf');
          if (b === NUL && this.#prevWasCr) {
            // RFC 854: CR NUL is a bare carriage return; the NUL is padding.
            this.#prevWasCr = false;
            continue;
          }
          this.#append(b);
          continue;
        case Telnet.Iac:
          this.#telnetState = Telnet.Data;
          if (b === IAC) {
            this.#append(IAC); // RFC 854: IAC IAC is one data byte 255
          } else if (b >= WILL && b <= DONT) {
            this.#optionVerb = b;
            this.#telnetState = Telnet.Option;
          } else if (b === SB) {
            this.#subOption = -1;
            this.#subLength = 0;
            this.#telnetState = Telnet.Sub;
          } else {
            this.#note(TELNET_NAMES[b] ?? `command ${b}`, chunk, i);
          }
          continue;
        case Telnet.Option:
          this.#note(`${OPTION_VERBS[this.#optionVerb] ?? '?'} ${b}`, chunk, i);
          this.#telnetState = Telnet.Data;
          continue;
        case Telnet.Sub:
          if (b === IAC) this.#telnetState = Telnet.SubIac;
          else this.#subByte(b, chunk, i);
          continue;
        case Telnet.SubIac:
          if (b === SE) {
            this.#note(`SB ${this.#subOption} (${Math.max(0, this.#subLength - 1)} bytes)`, chunk, i);
            this.#telnetState = Telnet.Data;
          } else {
            // IAC IAC inside SB is a data byte of the subnegotiation; anything else ends it badly.
            this.#telnetState = Telnet.Sub;
            if (b === IAC) this.#subByte(b, chunk, i);
            else {
              this.#note(`SB ${this.#subOption} not ended by IAC SE`, chunk, i);
              this.#telnetState = Telnet.Data;
            }
          }
          continue;
      }
    }
    return undefined;
  }

  /**
   * Ends the line in progress without a terminator (end of stream, gap) and returns it, or
   * undefined when no line was in progress. Telnet state is reset too.
   */
  flush(): ControlLine | undefined {
    this.#telnetState = Telnet.Data;
    if (this.#lineOffset < 0) return undefined;
    const chunk = this.#chunk;
    return this.#endLine(chunk, 'none');
  }

  /** Drops the line in progress (after a gap: its bytes are no longer contiguous); returns how many bytes were dropped. */
  discard(): number {
    const n = this.#len + this.#dropped;
    this.#reset();
    this.#telnetState = Telnet.Data;
    return n;
  }

  /** The bytes of the line in progress (for handing them to another reader), then forgets them. */
  takePending(): { bytes: Uint8Array; frames: number[] } {
    const out = { bytes: this.#buf.slice(0, this.#len), frames: this.#frames.slice() };
    this.#reset();
    this.#telnetState = Telnet.Data;
    return out;
  }

  #subByte(b: number, chunk: StreamChunk, i: number): void {
    if (this.#subOption < 0) this.#subOption = b;
    this.#subLength++;
    if (this.#subLength > MAX_SUBNEGOTIATION) {
      this.#note(`SB ${this.#subOption} longer than ${MAX_SUBNEGOTIATION} bytes, abandoned`, chunk, i);
      this.#telnetState = Telnet.Data;
    }
  }

  #append(b: number): void {
    this.#prevWasCr = b === CR;
    if (this.#len >= this.#maxBytes) {
      this.#dropped++;
      return;
    }
    if (this.#len === this.#buf.length) {
      const bigger = new Uint8Array(Math.min(this.#buf.length * 2, this.#maxBytes));
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    this.#buf[this.#len++] = b;
  }

  #note(what: string, chunk: StreamChunk, i: number): void {
    this.#telnet.push({ what, frame: this.#frameOf(chunk, i) });
  }

  /** Records that byte i of the chunk belongs to the line in progress. */
  #touch(chunk: ChunkWithFrameOffsets, i: number): void {
    if (this.#lineOffset < 0) this.#lineOffset = chunk.offset + i;
    const frames = chunk.frames;
    if (frames.length <= 1 || chunk.frameOffsets) {
      this.#addFrame(this.#frameOf(chunk, i));
      return;
    }
    // A merged chunk without offsets: credit the line with every frame of it, once.
    if (this.#creditedChunk !== chunk) {
      this.#creditedChunk = chunk;
      for (const f of frames) this.#addFrame(f);
    }
  }

  #frameOf(chunk: ChunkWithFrameOffsets, i: number): number {
    const frames = chunk.frames;
    if (frames.length <= 1) return frames[0] ?? -1;
    const offsets = chunk.frameOffsets;
    if (!offsets) return frames[frames.length - 1] ?? -1;
    const at = chunk.offset + i;
    while (this.#frameIndex + 1 < frames.length && (offsets[this.#frameIndex + 1] ?? Infinity) <= at) this.#frameIndex++;
    return frames[this.#frameIndex] ?? -1;
  }

  #addFrame(frame: number): void {
    if (frame === this.#lastFrame || frame < 0) return;
    if (this.#frames.includes(frame)) return;
    this.#lastFrame = frame;
    if (this.#frames.length < this.#maxFrames - 1) this.#frames.push(frame);
    else if (this.#frames.length === this.#maxFrames - 1) this.#frames.push(frame); // slot for the last one
    else {
      // Keep the first maxFrames-1 and always the most recent frame in the last slot.
      this.#frames[this.#frames.length - 1] = frame;
      this.#framesOmitted++;
    }
  }

  #endLine(chunk: StreamChunk | undefined, terminator: ControlLine['terminator']): ControlLine {
    let len = this.#len;
    let dropped = this.#dropped;
    // The CR of CRLF is not part of the line; when the line was cut it is among the dropped bytes.
    if (terminator === 'crlf') {
      if (dropped > 0) dropped--;
      else if (len > 0 && this.#buf[len - 1] === CR) len--;
    }
    const bytes = this.#buf.slice(0, len);
    const { text, utf8: isUtf8 } = decodeLine(bytes);
    const frames = this.#frames;
    const line: ControlLine = {
      bytes,
      text,
      utf8: isUtf8,
      frames,
      framesOmitted: this.#framesOmitted,
      oneSegment: frames.length === 1 && this.#framesOmitted === 0,
      endFrame: this.#lastFrame,
      tsSec: chunk?.tsSec ?? 0,
      tsNsec: chunk?.tsNsec ?? 0,
      telnet: this.#telnet,
      truncated: dropped,
      terminator,
      offset: this.#lineOffset,
    };
    this.#reset();
    return line;
  }

  #reset(): void {
    if (this.#buf.length > 1024) this.#buf = new Uint8Array(64);
    this.#len = 0;
    this.#dropped = 0;
    this.#frames = [];
    this.#framesOmitted = 0;
    this.#lastFrame = -1;
    this.#telnet = [];
    this.#lineOffset = -1;
    this.#creditedChunk = undefined;
    this.#prevWasCr = false;
  }
}
