// Remembers which name DNS answers gave each address, with the frame of the answer, so a
// session can name its server the way a lab report asks: "the name comes from the DNS query
// and answer just before the first packet to port 21". Bounded: a few answers per address,
// a limited number of addresses (the oldest are forgotten first).

import type { DnsInfo } from '../decode/Packet.js';
import type { DnsNameSource } from './model.js';

export interface DnsNameBookOptions {
  /** Addresses remembered (default 100 000). */
  maxAddresses?: number;
  /** Answers remembered per address (default 8, the latest kept). */
  maxPerAddress?: number;
}

export interface NamedAddress extends DnsNameSource {
  name: string;
}

export class DnsNameBook {
  readonly #byAddress = new Map<string, NamedAddress[]>();
  readonly #maxAddresses: number;
  readonly #maxPer: number;

  constructor(options: DnsNameBookOptions = {}) {
    this.#maxAddresses = options.maxAddresses ?? 100_000;
    this.#maxPer = options.maxPerAddress ?? 8;
  }

  /** Takes the answers of one DNS message seen in `frame`. */
  add(dns: DnsInfo, frame: number): void {
    if (!dns.response || dns.rcode !== 0) return;
    // The question is what the user typed; after CNAMEs the A record's owner is another name.
    const query = dns.questions[0]?.name;
    for (const answer of dns.answers) {
      if (answer.type !== 'A' && answer.type !== 'AAAA') continue;
      const address = answer.data.toLowerCase();
      const entry: NamedAddress = { name: query ?? answer.name, query: query ?? answer.name, frame, type: answer.type };
      let list = this.#byAddress.get(address);
      if (!list) {
        if (this.#byAddress.size >= this.#maxAddresses) {
          const oldest = this.#byAddress.keys().next().value;
          if (oldest !== undefined) this.#byAddress.delete(oldest);
        }
        list = [];
        this.#byAddress.set(address, list);
      }
      list.push(entry);
      if (list.length > this.#maxPer) list.shift();
    }
  }

  /** The latest answer for `address` seen before `frame`, if any. */
  nameBefore(address: string, frame: number): NamedAddress | undefined {
    const list = this.#byAddress.get(address.toLowerCase());
    if (!list) return undefined;
    let best: NamedAddress | undefined;
    for (const e of list) if (e.frame < frame && (!best || e.frame > best.frame)) best = e;
    return best;
  }
}
