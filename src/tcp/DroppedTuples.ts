// What the connection table remembers of connections it dropped (see ConnectionTable): per
// connection its stream number, addresses and ports, how its roles were found and the bases
// of its relative numbers, so that a stray late segment on the tuple gets the stream number
// and relative numbers Wireshark gives it, and a new SYN there is seen as port reuse.
//
// One is remembered per finished connection, up to a limit (65,536 by default), the oldest
// forgotten first, and nearly all are never looked at again; a lookup comes for every new
// connection, and nearly always misses. So the store makes nothing per connection: the fields
// sit in typed arrays (a ring of slots, grown by doubling up to the limit), found through an
// open-addressing index of Int32s keyed by the port pair. An object per remembered connection
// in a Map (as before) cost, on a capture of 200,000 short connections, about a tenth of the
// TCP stage in the Map's lookups, insertions and deletions, plus the collector's work on
// objects that lived just long enough to be copied into the old generation.

import type { Endpoint } from './StreamEvents.js';

/**
 * What is kept of a dropped connection: enough to give a stray late segment the stream number
 * and relative numbers Wireshark gives it, and to see a new SYN on the tuple as port reuse.
 */
export interface DroppedConnection {
  stream: number;
  ipVersion: 4 | 6;
  client: Endpoint;
  server: Endpoint;
  rolesFrom: 'syn' | 'syn-ack' | 'heuristic';
  /** Relative-number bases of [client, server], when set. */
  bases: [number | undefined, number | undefined];
}

const ROLES: ReadonlyArray<DroppedConnection['rolesFrom']> = ['syn', 'syn-ack', 'heuristic'];
const META_IPV6 = 4;
const META_CLIENT_BASE = 8;
const META_SERVER_BASE = 16;
const FIRST_CAPACITY = 64;

/** A number mixed from the two ports, the same either way round. */
export function portKey(a: number, b: number): number {
  return ((a ^ b) & 0xffff) | (((a + b) & 0x3fff) << 16);
}

export class DroppedTuples {
  readonly #limit: number;
  /** Slots in use are 0 .. #filled - 1; once the ring is full (#filled === #limit) #next wraps. */
  #capacity = 0;
  #filled = 0;
  #next = 0;
  #stream = new Float64Array(0);
  #bases = new Float64Array(0);
  /** Client port << 16 | server port. */
  #ports = new Uint32Array(0);
  /** rolesFrom's index | META_* bits. */
  #meta = new Uint8Array(0);
  /** When each slot was written (a count of `remember` calls): lookups want the newest. */
  #written = new Float64Array(0);
  #writes = 0;
  #clientIp: string[] = [];
  #serverIp: string[] = [];
  /** Open addressing, linear probing: slot + 1 at the position the slot's port key hashes to or after it; 0 empty. */
  #index = new Int32Array(0);
  #indexMask = 0;
  #indexShift = 32;

  constructor(limit: number) {
    // Bounded so the index's size stays a valid Int32 shift.
    this.#limit = Math.min(1 << 28, Math.max(0, Math.floor(limit)));
  }

  /** Connections remembered. */
  get size(): number {
    return this.#filled;
  }

  /** Remembers a dropped connection; beyond the limit the oldest is forgotten. */
  remember(stream: number, ipVersion: 4 | 6, client: Endpoint, server: Endpoint, rolesFrom: DroppedConnection['rolesFrom'], clientBase: number | undefined, serverBase: number | undefined): void {
    if (this.#limit === 0) return;
    let slot: number;
    if (this.#filled < this.#limit) {
      if (this.#filled === this.#capacity) this.#grow();
      slot = this.#filled++;
    } else {
      slot = this.#next;
      this.#next = slot + 1 === this.#limit ? 0 : slot + 1;
      this.#unindex(slot);
    }
    this.#stream[slot] = stream;
    this.#written[slot] = this.#writes++;
    this.#ports[slot] = ((client.port << 16) | server.port) >>> 0;
    this.#clientIp[slot] = client.ip;
    this.#serverIp[slot] = server.ip;
    this.#bases[2 * slot] = clientBase ?? 0;
    this.#bases[2 * slot + 1] = serverBase ?? 0;
    this.#meta[slot] = ROLES.indexOf(rolesFrom) | (ipVersion === 6 ? META_IPV6 : 0)
      | (clientBase !== undefined ? META_CLIENT_BASE : 0) | (serverBase !== undefined ? META_SERVER_BASE : 0);
    const mask = this.#indexMask;
    let at = this.#home(client.port, server.port);
    while (this.#index[at] !== 0) at = (at + 1) & mask;
    this.#index[at] = slot + 1;
  }

  /** The newest connection remembered on this tuple (either way round), if any. */
  find(srcIp: string, srcPort: number, dstIp: string, dstPort: number): DroppedConnection | undefined {
    if (this.#filled === 0) return undefined;
    const mask = this.#indexMask;
    const forward = ((srcPort << 16) | dstPort) >>> 0;
    const backward = ((dstPort << 16) | srcPort) >>> 0;
    let best = -1;
    for (let at = this.#home(srcPort, dstPort); this.#index[at] !== 0; at = (at + 1) & mask) {
      const slot = this.#index[at]! - 1;
      const ports = this.#ports[slot]!;
      const match = (ports === forward && this.#clientIp[slot] === srcIp && this.#serverIp[slot] === dstIp)
        || (ports === backward && this.#clientIp[slot] === dstIp && this.#serverIp[slot] === srcIp);
      if (match && (best < 0 || this.#written[slot]! > this.#written[best]!)) best = slot;
    }
    return best < 0 ? undefined : this.#entry(best);
  }

  #entry(slot: number): DroppedConnection {
    const meta = this.#meta[slot]!;
    const ports = this.#ports[slot]!;
    return {
      stream: this.#stream[slot]!,
      ipVersion: (meta & META_IPV6) !== 0 ? 6 : 4,
      client: { ip: this.#clientIp[slot]!, port: ports >>> 16 },
      server: { ip: this.#serverIp[slot]!, port: ports & 0xffff },
      rolesFrom: ROLES[meta & 3]!,
      bases: [
        (meta & META_CLIENT_BASE) !== 0 ? this.#bases[2 * slot] : undefined,
        (meta & META_SERVER_BASE) !== 0 ? this.#bases[2 * slot + 1] : undefined,
      ],
    };
  }

  #home(portA: number, portB: number): number {
    // Fibonacci hashing: the high bits of the product depend on every bit of the key.
    return Math.imul(portKey(portA, portB), 0x9e3779b1) >>> this.#indexShift;
  }

  /** Takes `slot` out of the index, moving later entries of its probe run back (no tombstones). */
  #unindex(slot: number): void {
    const index = this.#index;
    const mask = this.#indexMask;
    const ports = this.#ports[slot]!;
    let hole = this.#home(ports >>> 16, ports & 0xffff);
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    index[hole] = 0;
    for (let at = (hole + 1) & mask; index[at] !== 0; at = (at + 1) & mask) {
      const other = index[at]! - 1;
      const p = this.#ports[other]!;
      const home = this.#home(p >>> 16, p & 0xffff);
      // Move it into the hole unless its home lies cyclically in (hole, at].
      const stays = hole <= at ? hole < home && home <= at : hole < home || home <= at;
      if (stays) continue;
      index[hole] = index[at]!;
      index[at] = 0;
      hole = at;
    }
  }

  #grow(): void {
    const capacity = Math.min(this.#limit, Math.max(FIRST_CAPACITY, this.#capacity * 2));
    const stream = new Float64Array(capacity);
    stream.set(this.#stream);
    this.#stream = stream;
    const bases = new Float64Array(2 * capacity);
    bases.set(this.#bases);
    this.#bases = bases;
    const ports = new Uint32Array(capacity);
    ports.set(this.#ports);
    this.#ports = ports;
    const meta = new Uint8Array(capacity);
    meta.set(this.#meta);
    this.#meta = meta;
    const written = new Float64Array(capacity);
    written.set(this.#written);
    this.#written = written;
    this.#capacity = capacity;
    // The index at most half full: probe runs stay short.
    let bits = 1;
    while (1 << bits < 2 * capacity) bits++;
    this.#index = new Int32Array(1 << bits);
    this.#indexMask = (1 << bits) - 1;
    this.#indexShift = 32 - bits;
    for (let slot = 0; slot < this.#filled; slot++) {
      const p = this.#ports[slot]!;
      let at = this.#home(p >>> 16, p & 0xffff);
      while (this.#index[at] !== 0) at = (at + 1) & this.#indexMask;
      this.#index[at] = slot + 1;
    }
  }
}
