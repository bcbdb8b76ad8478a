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
// Memory. A closed connection stays findable for a while, so late segments — the last ACK, a
// retransmitted FIN, or a capture that replays itself — still count towards it as they do in
// Wireshark, which never forgets a conversation. It is dropped once no segment has touched it
// for the linger time (default 60 s of capture time, TIME_WAIT), and a little of it is
// remembered (see DroppedTuples, a bounded number of them). At most `maxLingering` closed
// connections are held (default 4096): beyond that the oldest go first, those whose teardown
// completed (both FINs acknowledged, or an RST: nothing more is expected) before those still
// waiting for the last ACK. So a capture of a million short connections holds a few thousand
// at a time, not a million, and one of a few hundred is analysed exactly as Wireshark does.
// Open connections stay until they close or the capture ends, within two limits, since nothing
// else bounds them (a flood of connections that are never closed): at most `maxSilent` (default
// 8,192) that have carried no payload either way, and at most `maxOpen` (default 8,192) that
// have. Beyond either the one quiet longest is dropped as a lingering one is; beyond `maxOpen`,
// those no consumer follows (not FTP) go before those one does.

import type { Endpoint } from './StreamEvents.js';
import type { TcpConnectionState } from './TcpConnectionState.js';
import { SlotMap } from '../util/SlotMap.js';
import { DroppedTuples, portKey, type DroppedConnection } from './DroppedTuples.js';

export type { DroppedConnection } from './DroppedTuples.js';

/**
 * How long a closed connection stays findable after its last segment: 60 s of capture time,
 * Linux's TIME_WAIT (RFC 9293 §3.6.1 asks for 2 MSL); a segment of the old connection is not
 * expected after it.
 */
export const DEFAULT_LINGER_NS = 60e9;
/** Closed connections held at most, lingering (about 2 KB each). */
export const DEFAULT_MAX_LINGERING = 4096;
/** Tuples of dropped connections remembered (about 60 bytes each, see DroppedTuples). */
export const DEFAULT_REMEMBERED_TUPLES = 65_536;
/**
 * Open connections that have carried no payload either way, held at most (see `silent`): a SYN
 * flood, connections opened and left idle. Each costs 4-5 KB, one to port 21 about 12 KB in all
 * with its FTP session, and nothing else bounds them: they never close.
 */
export const DEFAULT_MAX_SILENT = 8_192;
/**
 * Open connections that have carried payload, held at most (see `maxOpen`). One no consumer
 * follows costs about 2 KB; an FTP control connection 8-9 KB with its session.
 */
export const DEFAULT_MAX_OPEN = 8_192;

function matches(c: { client: Endpoint; server: Endpoint }, srcIp: string, srcPort: number, dstIp: string, dstPort: number): boolean {
  const client = c.client;
  const server = c.server;
  if (client.port === srcPort && server.port === dstPort && client.ip === srcIp && server.ip === dstIp) return true;
  return client.port === dstPort && server.port === srcPort && client.ip === dstIp && server.ip === srcIp;
}

export class ConnectionTable {
  /**
   * Port-pair key → the connection there, or several (an array) when port pairs collide. A
   * SlotMap, not a Map: connections (and through their consumers whole FTP sessions) come and
   * go by the thousand, and a Map's old hash tables would keep the gone ones alive for the
   * young-generation collector (see util/SlotMap.ts).
   */
  readonly #buckets = new SlotMap<number, TcpConnectionState | TcpConnectionState[]>();
  #size = 0;
  #last: TcpConnectionState | undefined;
  /**
   * Closed connections in the order they closed, checked from the front, and those whose
   * teardown completed, in that order: lists linked through the connections themselves
   * (lingerPrev / lingerNext), so a connection leaving a queue (dropped, replaced on its ports,
   * moved on to the other queue) is unlinked at once and nothing keeps it alive afterwards.
   */
  readonly #closing = new LingerQueue();
  readonly #done = new LingerQueue();
  /**
   * Open connections in order of their last segment, quiet longest first (`touch` moves one to
   * the back): those no payload has come on yet, those that carried payload without a consumer
   * following them, and those with one. Beyond `maxSilent` or `maxOpen` the one quiet longest
   * is dropped as a lingering one is. Which queue holds a connection is its
   * `lingerQueue`: 1 closing, 2 done, 3 silent, 4 open, 5 followed (0 none).
   */
  readonly #silent = new LingerQueue();
  readonly #open = new LingerQueue();
  readonly #followed = new LingerQueue();
  #silentCount = 0;
  /** Connections in #open and #followed. */
  #openCount = 0;
  readonly #maxSilent: number;
  readonly #maxOpen: number;
  /** Open connections that had carried payload dropped at `maxOpen`, and the frame of the first drop. */
  #openDropped = 0;
  #firstOpenDropFrame = 0;
  /** Connections in either queue that are still held. */
  #lingering = 0;
  #nextStream = 0;
  readonly #lingerNs: number;
  readonly #doneLingerNs: number;
  readonly #maxLingering: number;
  /** What is kept of dropped connections, the newest `rememberLimit` of them. */
  readonly #dropped: DroppedTuples;

  constructor(
    lingerNs = DEFAULT_LINGER_NS,
    rememberLimit = DEFAULT_REMEMBERED_TUPLES,
    doneLingerNs = lingerNs,
    maxLingering = DEFAULT_MAX_LINGERING,
    maxSilent = DEFAULT_MAX_SILENT,
    maxOpen = DEFAULT_MAX_OPEN,
  ) {
    this.#maxSilent = Math.max(0, maxSilent);
    this.#maxOpen = Math.max(0, maxOpen);
    this.#lingerNs = lingerNs;
    this.#dropped = new DroppedTuples(rememberLimit);
    this.#doneLingerNs = doneLingerNs;
    this.#maxLingering = Math.max(0, maxLingering);
  }

  /** Closed connections held, lingering. */
  get lingering(): number {
    return this.#lingering;
  }

  /** Open connections that had carried payload dropped at `maxOpen` (`limit`) so far, and the frame being processed at the first. */
  get openDropped(): { count: number; limit: number; firstFrame: number } {
    return { count: this.#openDropped, limit: this.#maxOpen, firstFrame: this.#firstOpenDropFrame };
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
    return this.#dropped.find(srcIp, srcPort, dstIp, dstPort);
  }

  /** The next stream number, consumed. */
  allocateStream(): number {
    return this.#nextStream++;
  }

  /**
   * Holds `connection` (its tuple must not be held already). Unless it is lingering already (a
   * continuation), it counts as silent until its first payload (`touch`).
   */
  add(connection: TcpConnectionState): void {
    if (connection.lingerQueue === 0) this.#enqueue(connection, 3);
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
    this.#unqueue(connection);
    this.#size--;
    if (this.#last === connection) this.#last = undefined;
    return true;
  }

  /**
   * A segment came on `connection`, open (queued as silent, open or followed): it goes to the
   * back of its queue, which it leaves for the open or followed one at its first payload.
   */
  touch(connection: TcpConnectionState, payload: boolean): void {
    const q = connection.lingerQueue;
    if (q < 3) return;
    if (q === 3 && payload) {
      this.#unqueue(connection);
      this.#enqueue(connection, connection.streams !== undefined ? 5 : 4);
      return;
    }
    connection.queuedTime = connection.lastTime;
    const queue = q === 3 ? this.#silent : q === 4 ? this.#open : this.#followed;
    if (queue.last !== connection) {
      queue.unlink(connection);
      queue.append(connection);
    }
  }

  /** No consumer follows `connection` any longer (it let go): among the first to go beyond `maxOpen`, in order of its last segment. */
  detached(connection: TcpConnectionState): void {
    if (connection.lingerQueue !== 5) return;
    this.#unqueue(connection);
    this.#enqueue(connection, 4);
  }

  /** `connection` just closed (FINs both ways, or an RST): drop it once quiet for the linger time. */
  closing(connection: TcpConnectionState): void {
    if (connection.lingerQueue >= 3) this.#unqueue(connection);
    if (connection.lingerQueue === 0) this.#enqueue(connection, 1);
  }

  /** `connection`'s teardown completed (its FINs acknowledged, or an RST): drop it after the shorter linger. */
  done(connection: TcpConnectionState): void {
    if (connection.lingerQueue === 2) return;
    this.#unqueue(connection);
    this.#enqueue(connection, 2);
  }

  /** Queues `c` (in none) at the back of queue `q`, as of its last segment. */
  #enqueue(c: TcpConnectionState, q: 1 | 2 | 3 | 4 | 5): void {
    c.queuedTime = c.lastTime;
    c.lingerQueue = q;
    this.#queue(q).append(c);
    if (q <= 2) this.#lingering++;
    else if (q === 3) this.#silentCount++;
    else this.#openCount++;
  }

  /** Takes `c` out of the queue holding it, if any. */
  #unqueue(c: TcpConnectionState): void {
    const q = c.lingerQueue;
    if (q === 0) return;
    this.#queue(q).unlink(c);
    c.lingerQueue = 0;
    if (q <= 2) this.#lingering--;
    else if (q === 3) this.#silentCount--;
    else this.#openCount--;
  }

  #queue(q: 1 | 2 | 3 | 4 | 5): LingerQueue {
    return q === 1 ? this.#closing : q === 2 ? this.#done : q === 3 ? this.#silent : q === 4 ? this.#open : this.#followed;
  }

  /**
   * Drops closed connections quiet for longer than their linger time at capture time `now`,
   * and the oldest beyond `maxLingering`, handing each to `retire`. Cheap when nothing is due:
   * a comparison per queue.
   */
  expire(now: number, retire: (connection: TcpConnectionState) => void, openRetire: (connection: TcpConnectionState) => void = retire, frame = 0): void {
    // Over the limit, the done queue gives up its oldest first.
    if (this.#done.first !== undefined) this.#expireQueue(this.#done, now, this.#doneLingerNs, retire);
    if (this.#closing.first !== undefined) this.#expireQueue(this.#closing, now, this.#lingerNs, retire);
    if (this.#silentCount > this.#maxSilent) this.#dropQuietest(this.#silent, retire);
    if (this.#openCount > this.#maxOpen) {
      if (this.#firstOpenDropFrame === 0) this.#firstOpenDropFrame = frame;
      const before = this.#openCount;
      this.#dropQuietest(this.#open, openRetire);
      this.#dropQuietest(this.#followed, openRetire);
      this.#openDropped += before - this.#openCount;
    }
  }

  /**
   * Beyond its limit (`maxSilent`, `maxOpen`): drops the connections of `queue` quiet longest
   * (its front: `touch` keeps it in order of last segment) until within it.
   */
  #dropQuietest(queue: LingerQueue, retire: (connection: TcpConnectionState) => void): void {
    const silent = queue === this.#silent;
    for (let c = queue.first; c !== undefined && (silent ? this.#silentCount > this.#maxSilent : this.#openCount > this.#maxOpen); c = queue.first) {
      this.#drop(c);
      retire(c);
    }
  }

  #expireQueue(queue: LingerQueue, now: number, linger: number, retire: (connection: TcpConnectionState) => void): void {
    for (let c = queue.first; c !== undefined; c = queue.first) {
      const tooMany = this.#lingering > this.#maxLingering;
      if (!tooMany && now - c.lastTime <= linger) {
        // Touched since it was queued: to the back, so it does not hold up the others.
        if (c.lastTime === c.queuedTime) break;
        queue.requeue(c);
        continue;
      }
      this.#drop(c);
      retire(c);
    }
  }

  /** Drops `c` from the table, remembering what a late segment needs. */
  #drop(c: TcpConnectionState): void {
    this.remove(c);
    this.#remember(c);
  }

  #remember(c: TcpConnectionState): void {
    // Indexed, not destructured: destructuring an array goes through its iterator.
    const client = c.analyzer.flows[0];
    const server = c.analyzer.flows[1];
    this.#dropped.remember(c.stream, c.ipVersion, c.client, c.server, c.rolesFrom, client.baseSet ? client.base : undefined, server.baseSet ? server.base : undefined);
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
    this.#closing.clear();
    this.#done.clear();
    this.#silent.clear();
    this.#open.clear();
    this.#followed.clear();
    this.#lingering = 0;
    this.#silentCount = 0;
    this.#openCount = 0;
    for (const c of all) {
      c.lingerQueue = 0;
      c.lingerPrev = c.lingerNext = undefined;
    }
    return all;
  }
}

/** A queue of connections linked through their lingerPrev / lingerNext fields. */
class LingerQueue {
  first: TcpConnectionState | undefined;
  last: TcpConnectionState | undefined;

  append(c: TcpConnectionState): void {
    c.lingerNext = undefined;
    c.lingerPrev = this.last;
    if (this.last === undefined) this.first = c;
    else this.last.lingerNext = c;
    this.last = c;
  }

  /** `c` (in this queue, touched since it was queued) goes to the back, queued as of its last segment. */
  requeue(c: TcpConnectionState): void {
    c.queuedTime = c.lastTime;
    this.unlink(c);
    this.append(c);
  }

  /** Takes `c` (which must be in this queue) out of it. */
  unlink(c: TcpConnectionState): void {
    const prev = c.lingerPrev;
    const next = c.lingerNext;
    if (prev === undefined) this.first = next;
    else prev.lingerNext = next;
    if (next === undefined) this.last = prev;
    else next.lingerPrev = prev;
    c.lingerPrev = c.lingerNext = undefined;
  }

  clear(): void {
    this.first = this.last = undefined;
  }
}
