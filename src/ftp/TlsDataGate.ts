// A data connection of a session that negotiated AUTH TLS may carry TLS itself: after PROT P
// (RFC 4217 §9) the client starts a TLS handshake on every data connection, and what crosses
// the wire is TLS records, not the file. Those bytes must never be written out as if they
// were the file, and the transfer must not be called complete as if the file were recovered.
//
// When PROT P was sent inside the encrypted control channel nobody can read it, so the
// decision is made on the bytes: the first five bytes of the transferring direction are a
// TLS record header (content type 20-23, version 3.x, a length a record can have) or they
// are not. TlsDataGate holds those five bytes, then either drops everything (TLS: the file
// sink is never opened, so no empty or misleading file appears) or opens the real sink and
// hands it all (PROT C: the data is in the clear even though the control channel is not).

import type { DataPosition, DataSink } from './data/DataDecoder.js';

const HEADER = 5;
/** RFC 8446 §5.1: a TLSCiphertext fragment is at most 2^14 + 256 bytes; TLS 1.2 allows 2^14 + 2048. */
const MAX_RECORD = 16384 + 2048;

/** Whether these first bytes of a connection are a TLS record header (handshake, alert, CCS or application data). */
export function isTlsRecordHeader(b: Uint8Array): boolean {
  if (b.length < 3) return false;
  if (b[0]! < 20 || b[0]! > 23 || b[1] !== 3 || b[2]! > 4) return false;
  return b.length < 5 || ((b[3]! << 8) | b[4]!) <= MAX_RECORD;
}

export class TlsDataGate implements DataSink {
  readonly #open: () => DataSink | undefined;
  #head = new Uint8Array(HEADER);
  #headLength = 0;
  #headAt: DataPosition | undefined;
  #decided: 'tls' | 'clear' | undefined;
  #sink: DataSink | undefined;

  /** `open` makes the real sink once the bytes are known not to be TLS. */
  constructor(open: () => DataSink | undefined) {
    this.#open = open;
  }

  get decision(): 'tls' | 'clear' | undefined {
    return this.#decided;
  }

  data(bytes: Uint8Array, at: DataPosition): void {
    if (this.#decided === 'tls') return;
    if (this.#decided === 'clear') {
      this.#sink?.data(bytes, at);
      return;
    }
    const take = Math.min(HEADER - this.#headLength, bytes.length);
    if (this.#headLength === 0) this.#headAt = { offset: at.offset, frames: at.frames ? [...at.frames] : [] };
    this.#head.set(bytes.subarray(0, take), this.#headLength);
    this.#headLength += take;
    if (this.#headLength < HEADER) return;
    this.#decide();
    if (this.#decided === 'clear' && take < bytes.length) this.#sink?.data(bytes.subarray(take), { offset: at.offset + take, frames: at.frames ?? [] });
  }

  gap(length: number | null, at: DataPosition): void {
    if (this.#decided === undefined) this.#decide();
    if (this.#decided === 'clear') this.#sink?.gap(length, at);
  }

  end(): void {
    if (this.#decided === undefined) this.#decide();
    if (this.#decided === 'clear') this.#sink?.end();
  }

  #decide(): void {
    const head = this.#head.subarray(0, this.#headLength);
    if (this.#headLength >= 3 && isTlsRecordHeader(head)) {
      this.#decided = 'tls';
      return;
    }
    this.#decided = 'clear';
    this.#sink = this.#open();
    if (this.#headLength > 0) this.#sink?.data(head, this.#headAt ?? { offset: 0 });
  }
}
