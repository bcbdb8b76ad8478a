// Groups server lines into replies (RFC 959 §4.2). A reply is one line "xyz text", or a
// multi-line reply that opens with "xyz-text" and runs until a line that starts with the same
// code followed by a space; lines in between may hold anything, even other codes. A line that
// is not part of a reply and has no three-digit code is handed on as such: servers do send
// them (banners without codes, SSH greetings on the wrong port), and they must not be mistaken
// for replies.

import type { ControlLine } from './TelnetLineReader.js';

export interface AssembledReply {
  code: number;
  /** Text of the first line after the code and its separator. */
  text: string;
  /** Every line of the reply, in order. */
  lines: ControlLine[];
  /** Irregularities worth reporting (no space after the code, never ended, …). */
  notes: string[];
}

export type ServerItem = { kind: 'reply'; reply: AssembledReply } | { kind: 'non-reply'; line: ControlLine };

export interface ReplyAssemblerOptions {
  /** Lines one multi-line reply may have before it is cut (default 10000). */
  maxLines?: number;
}

const CODED = /^([0-9]{3})(.?)/s;

export class ReplyAssembler {
  readonly #maxLines: number;
  #open: AssembledReply | undefined;

  constructor(options: ReplyAssemblerOptions = {}) {
    this.#maxLines = Math.max(2, options.maxLines ?? 10_000);
  }

  /** True while a multi-line reply is open. */
  get inReply(): boolean {
    return this.#open !== undefined;
  }

  /** Takes one server line; returns what it completed (a reply, or a line that is not one). */
  push(line: ControlLine): ServerItem | undefined {
    const open = this.#open;
    if (open) {
      open.lines.push(line);
      // The closing line repeats the code followed by a space (or nothing at all).
      const text = line.text;
      if (text.startsWith(String(open.code)) && (text.length === 3 || text[3] === ' ')) {
        this.#open = undefined;
        return { kind: 'reply', reply: open };
      }
      if (open.lines.length >= this.#maxLines) {
        open.notes.push(`multi-line reply cut after ${open.lines.length} lines`);
        this.#open = undefined;
        return { kind: 'reply', reply: open };
      }
      return undefined;
    }
    const m = CODED.exec(line.text);
    if (!m) return { kind: 'non-reply', line };
    const code = Number(m[1]);
    const sep = m[2] ?? '';
    if (sep === '-') {
      this.#open = { code, text: line.text.slice(4), lines: [line], notes: [] };
      return undefined;
    }
    const reply: AssembledReply = { code, text: line.text.slice(sep === ' ' ? 4 : 3), lines: [line], notes: [] };
    if (sep !== ' ' && sep !== '') reply.notes.push('no space after the reply code (RFC 959 §4.2)');
    return { kind: 'reply', reply };
  }

  /** Ends an open multi-line reply early (end of stream, gap), returning it marked incomplete. */
  flush(why: string): AssembledReply | undefined {
    const open = this.#open;
    if (!open) return undefined;
    this.#open = undefined;
    open.notes.push(`multi-line reply not finished: ${why}`);
    return open;
  }
}
