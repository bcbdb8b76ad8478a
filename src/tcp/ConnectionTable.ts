// Which connection a segment belongs to, and Wireshark's tcp.stream number for it.
//
// Connections are keyed by their address/port 4-tuple, the same both ways. A stream number is
// handed out, in order of first appearance, to every connection: Wireshark numbers streams the
// same way, so reports can cross-reference. A SYN that reuses a tuple with another initial
// sequence number starts a new connection (port reuse); see TcpStage.
//
// Memory. A closed connection (FINs both ways, or an RST) stays findable for a while, so late
// segments — the last ACK, a retransmitted FIN — still count towards it as they do in Wireshark;
// it is dropped once no segment has touched it for `lingerNs` of capture time. Open connections
// stay until the end of the capture (Wireshark never forgets a conversation either).

import type { Endpoint } from './StreamEvents.js';
import type { TcpConnectionState } from './TcpConnectionState.js';

/** How long a closed connection stays findable after its last segment: 120 s of capture time. */
export const DEFAULT_LINGER_NS = 120e9;
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

export class ConnectionTable {
  readonly #byKey = new Map<string, TcpConnectionState>();
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

  /** What is remembered of a connection dropped from the table at `key`, if anything. */
  dropped(key: string): DroppedConnection | undefined {
    return this.#dropped.get(key);
  }

  /** Stream numbers handed out so far. */
  get streamCount(): number {
    return this.#nextStream;
  }

  /** Connections currently held (open, or closed and lingering). */
  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): TcpConnectionState | undefined {
    return this.#byKey.get(key);
  }

  /** The next stream number, consumed. */
  allocateStream(): number {
    return this.#nextStream++;
  }

  set(key: string, connection: TcpConnectionState): void {
    this.#byKey.set(key, connection);
  }

  /** Forgets the connection at `key` if it is `connection`. */
  delete(key: string, connection: TcpConnectionState): void {
    if (this.#byKey.get(key) === connection) this.#byKey.delete(key);
  }

  /** `connection` just closed: drop it once it has been quiet for the linger time. */
  closing(connection: TcpConnectionState): void {
    connection.queuedTime = connection.lastTime;
    this.#closing.push(connection);
  }

  /**
   * Removes closed connections quiet for longer than the linger time at capture time `now`,
   * handing each to `retire`. Cheap when nothing is due: one comparison.
   */
  expire(now: number, retire: (connection: TcpConnectionState) => void): void {
    const queue = this.#closing;
    while (this.#closingHead < queue.length) {
      const c = queue[this.#closingHead]!;
      if (this.#byKey.get(c.key) !== c) {
        this.#closingHead++; // replaced already (port reuse) or retired
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
      this.#byKey.delete(c.key);
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
    this.#dropped.delete(c.key);
    this.#dropped.set(c.key, {
      stream: c.stream,
      ipVersion: c.ipVersion,
      client: c.client,
      server: c.server,
      rolesFrom: c.rolesFrom,
      bases: [client.baseSet ? client.base : undefined, server.baseSet ? server.base : undefined],
    });
    if (this.#dropped.size > this.#rememberLimit) this.#dropped.delete(this.#dropped.keys().next().value!);
  }

  /** Every connection still held, in stream order, and empties the table. */
  drain(): TcpConnectionState[] {
    const all = [...this.#byKey.values()].sort((a, b) => a.stream - b.stream);
    this.#byKey.clear();
    this.#closing = [];
    this.#closingHead = 0;
    return all;
  }
}
