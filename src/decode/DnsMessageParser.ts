// A small, bounded reader for DNS messages (RFC 1035 §4.1): the header and the four sections,
// which is what the later stages need to learn what name a client resolved to reach a server.
//
// Why not the `dns-packet` package: it never hangs (it only follows compression pointers that
// point backwards, so every chain ends), but it decodes a message all or nothing. A message cut
// short by the snap length, or with one odd record in the additional section, yields no
// questions and no answers at all; and a truncated AAAA record silently comes back as a made-up
// address such as '::', because it reads past the end without checking. Here every read is
// bounds-checked, a message that breaks off keeps what was decoded before the break, and the
// work per name is bounded by a jump limit and the 255-octet name limit (RFC 1035 §2.3.4).

import type { DnsInfo, DnsRecord } from './Packet.js';
import { ipv4Text, ipv6Text } from './addressText.js';
import { u16, u32 } from './bytes.js';

/** Compression pointers followed per name before the name is declared a loop. */
const MAX_POINTER_JUMPS = 64;
/** RFC 1035 §2.3.4: a name is at most 255 octets on the wire, length bytes included. */
const MAX_NAME_OCTETS = 255;

const TYPE_NAMES = new Map<number, string>([
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [10, 'NULL'], [12, 'PTR'], [13, 'HINFO'],
  [15, 'MX'], [16, 'TXT'], [17, 'RP'], [18, 'AFSDB'], [24, 'SIG'], [25, 'KEY'], [28, 'AAAA'],
  [29, 'LOC'], [33, 'SRV'], [35, 'NAPTR'], [36, 'KX'], [37, 'CERT'], [39, 'DNAME'], [41, 'OPT'],
  [42, 'APL'], [43, 'DS'], [44, 'SSHFP'], [45, 'IPSECKEY'], [46, 'RRSIG'], [47, 'NSEC'],
  [48, 'DNSKEY'], [49, 'DHCID'], [50, 'NSEC3'], [51, 'NSEC3PARAM'], [52, 'TLSA'], [53, 'SMIMEA'],
  [55, 'HIP'], [59, 'CDS'], [60, 'CDNSKEY'], [61, 'OPENPGPKEY'], [62, 'CSYNC'], [63, 'ZONEMD'],
  [64, 'SVCB'], [65, 'HTTPS'], [99, 'SPF'], [249, 'TKEY'], [250, 'TSIG'], [251, 'IXFR'],
  [252, 'AXFR'], [255, 'ANY'], [256, 'URI'], [257, 'CAA'],
]);

/** Mnemonic of a DNS RR type; RFC 3597 §5 spelling ('TYPE65280') for the rest. */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? 'TYPE' + type;
}

/** Thrown inside the parser only; caught in `parseDnsMessage`. */
class DnsFormatError extends Error {}

/**
 * Parses the DNS message in `d[start..end)`. Returns what could be decoded (undefined when not
 * even the 12-byte header is there) and pushes one warning if the message breaks off or is
 * malformed.
 */
export function parseDnsMessage(d: Uint8Array, start: number, end: number, warnings: string[]): DnsInfo | undefined {
  if (end - start < 12) {
    warnings.push(`DNS: message of ${Math.max(0, end - start)} bytes is shorter than the 12-byte header`);
    return undefined;
  }
  const flags = u16(d, start + 2);
  const info: DnsInfo = {
    id: u16(d, start),
    response: (flags & 0x8000) !== 0,
    rcode: flags & 0x000f,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  const reader = new DnsReader(d, start, end);
  reader.pos = start + 12;
  const sections = [
    ['question', u16(d, start + 4), undefined],
    ['answer', u16(d, start + 6), info.answers],
    ['authority', u16(d, start + 8), info.authorities!],
    ['additional', u16(d, start + 10), info.additionals!],
  ] as const;
  for (const [section, count, records] of sections) {
    let index = 0;
    try {
      for (; index < count; index++) {
        if (records) {
          records.push(reader.record());
        } else {
          const name = reader.name();
          const type = reader.u16();
          reader.u16(); // class
          info.questions.push({ name, type: dnsTypeName(type) });
        }
      }
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e;
      warnings.push(`DNS: ${section} ${index + 1} of ${count}: ${e.message}`);
      break;
    }
  }
  return info;
}

/** Cursor over one message: every read is checked against the message end. */
class DnsReader {
  pos = 0;
  readonly #d: Uint8Array;
  readonly #start: number;
  readonly #end: number;

  constructor(d: Uint8Array, start: number, end: number) {
    this.#d = d;
    this.#start = start;
    this.#end = end;
  }

  #need(count: number, what: string): void {
    if (this.pos + count > this.#end) {
      throw new DnsFormatError(`${what} needs ${count} bytes, ${Math.max(0, this.#end - this.pos)} left`);
    }
  }

  u16(): number {
    this.#need(2, 'field');
    const v = u16(this.#d, this.pos);
    this.pos += 2;
    return v;
  }

  /** One resource record (RFC 1035 §4.1.3). */
  record(): DnsRecord {
    const name = this.name();
    this.#need(10, 'record header');
    const d = this.#d;
    const type = u16(d, this.pos);
    const ttl = u32(d, this.pos + 4);
    const length = u16(d, this.pos + 8);
    this.pos += 10;
    this.#need(length, `${dnsTypeName(type)} data`);
    const dataStart = this.pos;
    const dataEnd = dataStart + length;
    const data = this.#recordData(type, dataStart, dataEnd);
    // RDLENGTH, not what the type's decoder consumed, says where the next record starts.
    this.pos = dataEnd;
    return { name, type: dnsTypeName(type), ttl, data };
  }

  #recordData(type: number, start: number, end: number): string {
    const d = this.#d;
    const length = end - start;
    const expectLength = (want: number): void => {
      if (length !== want) throw new DnsFormatError(`${dnsTypeName(type)} data is ${length} bytes, expected ${want}`);
    };
    switch (type) {
      case 1: // A
        expectLength(4);
        return ipv4Text(d, start);
      case 28: // AAAA
        expectLength(16);
        return ipv6Text(d, start);
      case 2: // NS
      case 5: // CNAME
      case 12: // PTR
      case 39: // DNAME
        return this.#nameWithin(start, end);
      case 15: {
        // MX: preference, exchange
        if (length < 3) expectLength(3);
        return `${u16(d, start)} ${this.#nameWithin(start + 2, end)}`;
      }
      case 33: {
        // SRV (RFC 2782): priority, weight, port, target
        if (length < 7) expectLength(7);
        return `${u16(d, start)} ${u16(d, start + 2)} ${u16(d, start + 4)} ${this.#nameWithin(start + 6, end)}`;
      }
      case 16:
        return this.#characterStrings(start, end);
      default:
        // RFC 3597 §5 generic presentation: \# length hex.
        return length === 0 ? '\\# 0' : `\\# ${length} ${hex(d, start, end)}`;
    }
  }

  /** A name inside record data; it may point elsewhere in the message but must start within `end`. */
  #nameWithin(start: number, end: number): string {
    const saved = this.pos;
    this.pos = start;
    const text = this.name(end);
    this.pos = saved;
    return text;
  }

  /** TXT data: a sequence of length-prefixed strings (RFC 1035 §3.3.14). */
  #characterStrings(start: number, end: number): string {
    const d = this.#d;
    const parts: string[] = [];
    let p = start;
    while (p < end) {
      const length = d[p]!;
      if (p + 1 + length > end) throw new DnsFormatError('TXT string runs past its record');
      parts.push(labelText(d, p + 1, length));
      p += 1 + length;
    }
    return parts.join(' ');
  }

  /**
   * A domain name at `pos`, following compression pointers (RFC 1035 §4.1.4). Leaves `pos`
   * after the name as it sits here, i.e. after the first pointer if there is one. Pointers may
   * go anywhere in the message, forwards too, as Wireshark allows; loops end at the jump limit.
   */
  name(limit = this.#end): string {
    const d = this.#d;
    let p = this.pos;
    let end = limit;
    let jumps = 0;
    let octets = 1;
    let text = '';
    for (;;) {
      if (p >= end) throw new DnsFormatError('name runs past the end');
      const length = d[p]!;
      if (length === 0) {
        p++;
        break;
      }
      const kind = length & 0xc0;
      if (kind === 0xc0) {
        if (p + 1 >= end) throw new DnsFormatError('compression pointer cut off');
        if (jumps === 0) this.pos = p + 2;
        if (++jumps > MAX_POINTER_JUMPS) throw new DnsFormatError(`more than ${MAX_POINTER_JUMPS} compression pointers (a loop)`);
        p = this.#start + (((length & 0x3f) << 8) | d[p + 1]!);
        // After a jump the name may continue anywhere in the message, not just in this record.
        end = this.#end;
        continue;
      }
      // 0x40 and 0x80 were extended label types (RFC 6891 §5); nothing uses them.
      if (kind !== 0) throw new DnsFormatError(`label type 0x${kind.toString(16)} not supported`);
      if (p + 1 + length > end) throw new DnsFormatError('label runs past the end');
      octets += 1 + length;
      if (octets > MAX_NAME_OCTETS) throw new DnsFormatError(`name longer than ${MAX_NAME_OCTETS} octets`);
      if (text.length > 0) text += '.';
      text += labelText(d, p + 1, length);
      p += 1 + length;
    }
    if (jumps === 0) this.pos = p;
    // Wireshark shows the root name as "<Root>".
    return text.length > 0 ? text : '<Root>';
  }
}

/**
 * Label bytes as text. Printable ASCII stays as is; a '.' or '\' inside a label and every other
 * byte are escaped the way zone files write them (RFC 4343 §2.1: \. and \DDD), so a label can
 * never smuggle control characters or fake dots into a name.
 */
function labelText(d: Uint8Array, start: number, length: number): string {
  let text = '';
  for (let i = start; i < start + length; i++) {
    const c = d[i]!;
    if (c === 0x2e || c === 0x5c) text += '\\' + String.fromCharCode(c);
    else if (c > 0x20 && c < 0x7f) text += String.fromCharCode(c);
    else text += '\\' + String(c).padStart(3, '0');
  }
  return text;
}

function hex(d: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += d[i]!.toString(16).padStart(2, '0');
  return text;
}
