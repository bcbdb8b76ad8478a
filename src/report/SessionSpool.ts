// What every report made session by session keeps besides each session's own part: the spool
// those parts go to (util/TextSpool), how many sessions ended and the highest number among them
// (they end in any order and are written in order), the first session's start (the clock's
// base when no frame had a time), the sessions kept whole because they ended before that base
// was known, and each session's credentials, listed by session number at the end.

import { CredentialsBySession } from '../ftp/FtpAnalyzer.js';
import type { FtpCredential, FtpSession } from '../ftp/model.js';
import { TextSpool } from '../util/TextSpool.js';

/** A stream's output() pieces as text: the spooled bytes (UTF-8) decoded. */
export function* asText(pieces: Iterable<string | Buffer>): Generator<string> {
  for (const piece of pieces) yield typeof piece === 'string' ? piece : piece.toString('utf8');
}

export class SessionSpool {
  readonly spool: TextSpool;
  count = 0;
  lastId = 0;
  firstStart: string | undefined;
  readonly #credentials = new CredentialsBySession();
  /** Sessions kept whole (their JSON in the slot keepWhole was given). */
  readonly #whole = new Set<number>();

  /** `spoolDir`: where the spool file goes (the output's folder, or the system's temporary one). */
  constructor(spoolDir?: string) {
    this.spool = new TextSpool(spoolDir);
  }

  /** A session that ended: counted, and its credentials kept. */
  note(s: FtpSession): void {
    this.count++;
    if (s.id > this.lastId) this.lastId = s.id;
    if (s.id === 1) this.firstStart = s.start.time;
    this.#credentials.add(s);
  }

  /**
   * Keeps a session whole, as JSON in `slot`: it ended before any frame had a time, so its part
   * is made at the end, when the clock's base (the first session's start) is known.
   */
  keepWhole(s: FtpSession, slot: number): void {
    this.spool.put(slot, JSON.stringify(s));
    this.#whole.add(s.id);
  }

  /** Session `id` as keepWhole kept it in `slot`; undefined when its part was made as it ended. */
  whole(id: number, slot: number): FtpSession | undefined {
    return this.#whole.has(id) ? (JSON.parse(this.spool.get(slot)!) as FtpSession) : undefined;
  }

  /** Every session's credentials, in the order of the sessions' numbers. */
  credentials(): FtpCredential[] {
    return this.#credentials.list();
  }

  close(): void {
    this.spool.close();
  }
}
