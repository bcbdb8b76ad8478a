// Finds FTP control connections on ports nobody said were FTP, by what they carry: RFC 959
// §5.4 has the server speak first ("220 Service ready", or "120" then 220), and the client
// answer with FTP commands. Both must hold: SMTP also greets with 220, so the client's first
// line has to be an FTP command that SMTP lacks (EHLO/HELO are not FTP; NOOP, QUIT and HELP
// are both, so they do not count).
//
// The probe holds copies of the first deliveries (bounded) until it can decide; on a match the
// real consumer is made and the held deliveries are replayed into it, so nothing is lost.

import type { StreamChunk, StreamConflict, StreamConsumer, StreamEnd, StreamGap } from '../tcp/StreamEvents.js';
import { commandInfo } from './commands.js';

export interface FtpContentProbeOptions {
  /** Bytes held while deciding (default 16 KiB); a connection that has not decided by then is not FTP. */
  maxHeldBytes?: number;
}

const AMBIGUOUS = new Set(['NOOP', 'QUIT', 'HELP']);
const LINE_LIMIT = 1024;

type Held = { kind: 'data'; chunk: StreamChunk } | { kind: 'end'; end: StreamEnd };

export class FtpContentProbe implements StreamConsumer {
  readonly #onMatch: () => StreamConsumer;
  readonly #maxHeld: number;
  #state: 'probing' | 'ftp' | 'not-ftp' = 'probing';
  #target: StreamConsumer | undefined;
  #held: Held[] = [];
  #heldBytes = 0;
  #firstSpeaker: 0 | 1 | undefined;
  readonly #firstLine: [string, string] = ['', ''];
  readonly #lineDone: [boolean, boolean] = [false, false];

  /** `onMatch` makes the real consumer once the connection is found to be FTP. */
  constructor(onMatch: () => StreamConsumer, options: FtpContentProbeOptions = {}) {
    this.#onMatch = onMatch;
    this.#maxHeld = options.maxHeldBytes ?? 16 * 1024;
  }

  get verdict(): 'probing' | 'ftp' | 'not-ftp' {
    return this.#state;
  }

  /** Not FTP: the TCP stage may stop reassembling the connection for it. */
  get detached(): boolean {
    return this.#state === 'not-ftp';
  }

  data(chunk: StreamChunk): void {
    if (this.#state === 'ftp') return this.#target?.data(chunk);
    if (this.#state === 'not-ftp' || chunk.bytes.length === 0) return;
    this.#firstSpeaker ??= chunk.direction;
    this.#held.push({ kind: 'data', chunk: { ...chunk, bytes: chunk.bytes.slice(), frames: chunk.frames.slice() } });
    this.#heldBytes += chunk.bytes.length;
    this.#scanLine(chunk);
    this.#decide();
  }

  gap(gap: StreamGap): void {
    if (this.#state === 'ftp') return this.#target?.gap(gap);
    // Bytes missing before a decision: too little to go on.
    this.#reject();
  }

  conflict(c: StreamConflict): void {
    // While probing the bytes are not FTP's yet; a conflict there is only counted by the TCP stage.
    if (this.#state === 'ftp') this.#target?.conflict?.(c);
  }

  end(end: StreamEnd): void {
    if (this.#state === 'ftp') return this.#target?.end(end);
    if (this.#state === 'probing') this.#held.push({ kind: 'end', end });
  }

  closed(): void {
    if (this.#state === 'ftp') return this.#target?.closed();
    this.#reject();
  }

  #scanLine(chunk: StreamChunk): void {
    const dir = chunk.direction;
    if (this.#lineDone[dir]) return;
    let line = this.#firstLine[dir];
    for (const b of chunk.bytes) {
      if (b === 0x0a) {
        this.#lineDone[dir] = true;
        break;
      }
      if (b !== 0x0d) line += String.fromCharCode(b);
      if (line.length > LINE_LIMIT) break;
    }
    this.#firstLine[dir] = line;
  }

  #decide(): void {
    if (this.#firstSpeaker === 0) return this.#reject();
    const server = this.#firstLine[1];
    // Reject as early as the server's first bytes allow: most connections are not FTP.
    if (server.length >= 4 && !/^(220|120)[ -]/.test(server)) return this.#reject();
    if (this.#lineDone[1] && !/^(220|120)([ -]|$)/.test(server)) return this.#reject();
    if (this.#firstLine[0].length > LINE_LIMIT || server.length > LINE_LIMIT || this.#heldBytes > this.#maxHeld) return this.#reject();
    if (!this.#lineDone[1] || !this.#lineDone[0]) return;
    const verb = (this.#firstLine[0].split(' ')[0] ?? '').toUpperCase();
    if (!commandInfo(verb) || AMBIGUOUS.has(verb)) return this.#reject();
    this.#accept();
  }

  #accept(): void {
    this.#state = 'ftp';
    const target = (this.#target = this.#onMatch());
    const held = this.#held;
    this.#held = [];
    for (const h of held) {
      if (h.kind === 'data') target.data(h.chunk);
      else target.end(h.end);
    }
  }

  #reject(): void {
    if (this.#state !== 'probing') return;
    this.#state = 'not-ftp';
    this.#held = [];
    this.#heldBytes = 0;
  }
}
