// Which connection a segment belongs to, and Wireshark's tcp.stream number for it.
//
// Connections are found by their address/port 4-tuple, the same both ways. A stream number is
// handed out, in order of first appearance, to every connection: Wireshark numbers streams the
// same way, so reports can cross-reference. A SYN that reuses a tuple with another initial
// sequence number starts a new connection (port reuse); see TcpStage.
//
// Lookup is on the hot path, so it builds no string: connections sit in buckets keyed by a
// small number mixed from the two ports (symmetric, below 2^30 so V8 keeps it a small integer),
// and a bucket is searched by comparing ports and addresses. The connection of the previous
// segment is tried first: segments of one connection come in runs.
//
// Memory. A closed connection (FINs both ways, or an RST) stays findable for a while, so late
// segments — the last ACK, a retransmitted FIN — still count towards it as they do in Wireshark;
// it is dropped once no segment has touched it for `lingerNs` of capture time, and a little of
// it is remembered (DroppedConnection, a bounded number of them). Open connections stay until
// the end of the capture (Wireshark never forgets a conversation either).

import type { Endpoint } from './StreamEvents.js';
import type { TcpConnectionState } from './TcpConnectionState.js';

/**
 * How long a closed connection stays findable after its last segment: 60 s of capture time,
 * Linux's TIME_WAIT (RFC 9293 §3.6.1 asks for 2 MSL); a segment of the old connection is not
 * expected after it.
 */
export const DEFAULT_LINGER_NS = 60e9;
/** Tuples of dropped connections remembered (about 200 bytes each). */
export const DEFAULT_REMEMBERED_TUPLES = 65_536;

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

function portKey(a: number, b: number): number {
  return ((a ^ b) & 0xffff) | (((a + b) & 0x3fff) << 16);
}

function matches(c: TcpConnectionState, srcIp: string, srcPort: number, dstIp: string, dstPort: number): boolean {
  const client = c.client;
  const server = c.server;
  if (client.port === srcPort && server.port === dstPort && client.ip === srcIp && server.ip === dstIp) return true;
  return client.port === dstPort && server.port === srcPort && client.ip === dstIp && server.ip === srcIp;
}

/** Text key of a tuple, the same both ways; only for the rare paths (dropped connections). */
function tupleKey(aIp: string, aPort: number, bIp: string, bPort: number): string {
  return aIp < bIp || (aIp === bIp && aPort <= bPort) ? `${aIp} ${aPort} ${bIp} ${bPort}` : `${bIp} ${bPort} ${aIp} ${aPort}`;
}

export class ConnectionTable {
  /** Port-pair key → the connection there, or several (an array) when port pairs collide. */
  readonly #buckets = new Map<number, TcpConnectionState | TcpConnectionState[]>();
  #size = 0;
  #last: TcpConnectionState | undefined;
  /** Closed connections in the order they closed; checked from the front. */
  #closing: TcpConnectionState[] = [];
  #closingHead = 0;
  #nextStream = 0;
  readonly #lingerNs: number;
  /** Dropped connections by tuple, oldest first; bounded by #rememberLimit. */
  readonly #dropped = new Map<string, DroppedConnection>();
  readonly #rememberLimit: number;

  constructor(lingerNs = DEFAULT_LINGER_NS, rememberLimit = DEFAULT_REMEMBERED_TUPLES) {
    this.#lingerNs = lingerNs;
    this.#rememberLimit = rememberLimit;
  }

  /** Stream numbers handed out so far. */
  get streamCount(): number {
    return this.#nextStream;
  }

  /** Connections currently held (open, or closed and lingering). */
  get size(): number {
    return this.#size;
  }

  /** The connection held for this tuple (either way round), if any. */
  find(srcIp: string, srcPort: number, dstIp: string, dstPort: number): TcpConnectionState | undefined {
    const last = this.#last;
    if (last !== undefined && matches(last, srcIp, srcPort, dstIp, dstPort)) return last;
    const bucket = this.#buckets.get(portKey(srcPort, dstPort));
    if (bucket === undefined) return undefined;
    if (!Array.isArray(bucket)) {
      if (!matches(bucket, srcIp, srcPort, dstIp, dstPort)) return undefined;
      this.#last = bucket;
      return bucket;
    }
    for (let i = 0; i < bucket.length; i++) {
      const c = bucket[i]!;
      if (matches(c, srcIp, srcPort, dstIp, dstPort)) {
        this.#last = c;
        return c;
      }
    }
    return undefined;
  }

  /** What is remembered of a connection dropped from the table on this tuple, if anything. */
  dropped(srcIp: string, srcPort: number, dstIp: string, dstPort: number): DroppedConnection | undefined {
    return this.#dropped.size === 0 ? undefined : this.#dropped.get(tupleKey(srcIp, srcPort, dstIp, dstPort));
  }

  /** The next stream number, consumed. */
  allocateStream(): number {
    return this.#nextStream++;
  }

  /** Holds `connection` (its tuple must not be held already). */
  add(connection: TcpConnectionState): void {
    const key = portKey(connection.client.port, connection.server.port);
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) this.#buckets.set(key, connection);
    else if (Array.isArray(bucket)) bucket.push(connection);
    else this.#buckets.set(key, [bucket, connection]);
    this.#size++;
    this.#last = connection;
  }

  /** Stops holding `connection`; true if it was held. */
  remove(connection: TcpConnectionState): boolean {
    const key = portKey(connection.client.port, connection.server.port);
    const bucket = this.#buckets.get(key);
    if (bucket === connection) {
      this.#buckets.delete(key);
    } else {
      const at = Array.isArray(bucket) ? bucket.indexOf(connection) : -1;
      if (at < 0) return false;
      const list = bucket as TcpConnectionState[];
      list.splice(at, 1);
      if (list.length === 1) this.#buckets.set(key, list[0]!);
    }
    this.#size--;
    if (this.#last === connection) this.#last = undefined;
    return true;
  }

  /** `connection` just closed: drop it once it has been quiet for the linger time. */
  closing(connection: TcpConnectionState): void {
    connection.queuedTime = connection.lastTime;
    this.#closing.push(connection);
  }

  /**
   * Drops closed connections quiet for longer than the linger time at capture time `now`,
   * handing each to `retire`. Cheap when nothing is due: one comparison.
   */
  expire(now: number, retire: (connection: TcpConnectionState) => void): void {
    const queue = this.#closing;
    while (this.#closingHead < queue.length) {
      const c = queue[this.#closingHead]!;
      if (c.retired) {
        this.#closingHead++; // replaced already (port reuse)
        continue;
      }
      if (now - c.lastTime <= this.#lingerNs) {
        // Touched since it was queued: to the back, so it does not hold up the others.
        if (c.lastTime === c.queuedTime) break;
        this.#closingHead++;
        c.queuedTime = c.lastTime;
        queue.push(c);
        continue;
      }
      this.#closingHead++;
      this.remove(c);
      this.#remember(c);
      retire(c);
    }
    if (this.#closingHead > 1024 && this.#closingHead * 2 > queue.length) {
      this.#closing = queue.slice(this.#closingHead);
      this.#closingHead = 0;
    }
  }

  #remember(c: TcpConnectionState): void {
    const [client, server] = c.analyzer.flows;
    const key = tupleKey(c.client.ip, c.client.port, c.server.ip, c.server.port);
    this.#dropped.delete(key);
    this.#dropped.set(key, {
      stream: c.stream,
      ipVersion: c.ipVersion,
      client: c.client,
      server: c.server,
      rolesFrom: c.rolesFrom,
      bases: [client.baseSet ? client.base : undefined, server.baseSet ? server.base : undefined],
    });
    if (this.#dropped.size > this.#rememberLimit) this.#dropped.delete(this.#dropped.keys().next().value!);
  }

  /** Every connection still held, in stream order; empties the table. */
  drain(): TcpConnectionState[] {
    const all: TcpConnectionState[] = [];
    for (const bucket of this.#buckets.values()) {
      if (Array.isArray(bucket)) all.push(...bucket);
      else all.push(bucket);
    }
    all.sort((a, b) => a.stream - b.stream);
    this.#buckets.clear();
    this.#size = 0;
    this.#last = undefined;
    this.#closing = [];
    this.#closingHead = 0;
    return all;
  }
}
