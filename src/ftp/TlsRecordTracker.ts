// Follows TLS record framing (RFC 8446 §5.1, RFC 5246 §6.2) in one direction of a control
// connection after AUTH TLS was accepted, without decrypting anything. It exists for one
// reason: to notice when the channel goes back to cleartext. RFC 4217 §12 lets a client ask
// for CCC inside TLS; both sides then close TLS (close_notify alerts) and carry on in
// cleartext. At a record boundary the next byte is either a TLS content type (20–24) or,
// after such a return, an ASCII letter or digit — never both, so the switch can be seen.

export type TlsFeedResult =
  /** Every byte given belonged to TLS records (or to bytes that cannot be followed). */
  | { kind: 'tls'; records: number }
  /** Cleartext starts at `at` (index into the bytes given); bytes before it were TLS. */
  | { kind: 'cleartext'; at: number; records: number }
  /** The bytes at `at` are neither TLS nor text: record boundaries are lost from there. */
  | { kind: 'lost'; at: number; records: number };

const HEADER = 5;

/** TLS content types: change_cipher_spec, alert, handshake, application_data, heartbeat. */
function isContentType(b: number): boolean {
  return b >= 20 && b <= 24;
}

/** First byte of an FTP command (a letter) or reply (a digit). */
function looksLikeText(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39);
}

export class TlsRecordTracker {
  /** Header bytes of the next record collected so far. */
  readonly #header = new Uint8Array(HEADER);
  #headerLength = 0;
  /** Body bytes of the current record still to skip. */
  #remaining = 0;
  #first = true;
  #records = 0;

  /** Records fully seen so far. */
  get records(): number {
    return this.#records;
  }

  /** Between records (no header or body half-read). */
  get atBoundary(): boolean {
    return this.#headerLength === 0 && this.#remaining === 0;
  }

  /** Forgets the position (after a gap): the next byte given is taken as a record boundary. */
  resync(): void {
    this.#headerLength = 0;
    this.#remaining = 0;
  }

  feed(bytes: Uint8Array, start = 0): TlsFeedResult {
    let i = start;
    let records = 0;
    while (i < bytes.length) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, bytes.length - i);
        this.#remaining -= n;
        i += n;
        if (this.#remaining === 0) {
          records++;
          this.#records++;
        }
        continue;
      }
      const b = bytes[i] as number;
      if (this.#headerLength === 0) {
        if (!isContentType(b)) {
          // SSL 2.0-compatible ClientHello (RFC 6101 Appendix E.2): 2-byte length with the top bit set.
          if (this.#first && (b & 0x80) !== 0 && i + 2 < bytes.length && bytes[i + 2] === 1) {
            this.#first = false;
            this.#remaining = (((b & 0x7f) << 8) | (bytes[i + 1] as number)) + 0;
            i += 2;
            continue;
          }
          this.#first = false;
          if (looksLikeText(b)) return { kind: 'cleartext', at: i, records };
          return { kind: 'lost', at: i, records };
        }
      }
      this.#header[this.#headerLength++] = b;
      i++;
      if (this.#headerLength === HEADER) {
        this.#headerLength = 0;
        this.#first = false;
        const major = this.#header[1] as number;
        if (major !== 3) return { kind: 'lost', at: i - HEADER < start ? start : i - HEADER, records };
        this.#remaining = ((this.#header[3] as number) << 8) | (this.#header[4] as number);
        if (this.#remaining === 0) {
          records++;
          this.#records++;
        }
      }
    }
    return { kind: 'tls', records };
  }
}

/** True when the bytes at `at` begin a TLS handshake record (a ClientHello or ServerHello in cleartext position). */
export function startsTlsHandshake(bytes: Uint8Array, at = 0): boolean {
  return bytes.length - at >= 3 && bytes[at] === 22 && bytes[at + 1] === 3 && (bytes[at + 2] as number) <= 4;
}
