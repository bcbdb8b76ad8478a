// Expected data connections, as Zeek keeps them: each PORT/EPRT/LPRT command and each
// 227/228/229 reply registers "a connection to this address and port is coming", and a new
// TCP connection that fits one is claimed by it. The match records the rule it was made on,
// so a reader knows how much to trust it.
//
// Rules, strongest first:
//  - address+port: the connection's listening side is the announced address and port
//    (RFC 959 §4.1.2 PORT/PASV, RFC 2428 §2-3 EPRT/EPSV — EPSV names only the port, the
//    address is the control connection's server, RFC 1639 LPRT/LPSV).
//  - port-only: the port matches and the connecting side is the control connection's peer,
//    but the announced address is not the captured one: NAT in front of the server, a
//    private address in a 227, traces whose addresses were rewritten after capture.
//
// The table is bounded: a session keeps at most `perSession` pending expectations (a client
// looping on PASV without connecting must not grow it), all sessions at most `total`; the
// oldest goes first and is reported as expired, never silently dropped.

import type { ConnectionStart, Endpoint } from '../tcp/StreamEvents.js';
import type { BindingRule, DataChannelAnnouncement } from './model.js';
import { SlotMap } from '../util/SlotMap.js';

export interface ExpectationOwner {
  /** The control connection's endpoints (FTP roles). */
  client: Endpoint;
  server: Endpoint;
}

export interface Expectation<O extends ExpectationOwner> {
  owner: O;
  announcement: DataChannelAnnouncement;
  /** Address the connection should go to (the announced one, or the control server's for EPSV). */
  address: string;
  port: number;
  /** Who will listen: the FTP server (passive) or the FTP client (active). */
  listener: 'server' | 'client';
  /** Insertion order, for "most recent wins" among equals. */
  seq: number;
}

export interface ExpectationMatch<O extends ExpectationOwner> {
  expectation: Expectation<O>;
  rule: BindingRule;
  /** True when the TCP stage's client/server are the other way round from the expectation's roles. */
  swapped: boolean;
  note: string | null;
}

export interface ExpectationLimits {
  perSession?: number;
  total?: number;
}

export class DataChannelExpectations<O extends ExpectationOwner> {
  readonly #perSession: number;
  readonly #total: number;
  // Every operation finds what it needs through an index, so none costs more as the table
  // fills: with 4,096 pending (a few hundred sessions announcing ports nobody uses), the table
  // scanned and copied in full for every announcement and every new TCP connection was most
  // of an analysis (claim alone 3.1 s of 8.4 s on a 22 MB capture of that shape).
  /** Pending expectations by `seq`, in the order they were made (oldest first). */
  readonly #bySeq = new SlotMap<number, Expectation<O>>();
  /** Pending expectations by port, oldest first. */
  readonly #byPort = new SlotMap<number, Array<Expectation<O>>>();
  /** Each owner's pending expectations, oldest first (a WeakMap: an owner is never kept alive by it). */
  readonly #byOwner = new WeakMap<O, Array<Expectation<O>>>();
  #seq = 0;
  readonly #onExpired: (e: Expectation<O>) => void;

  constructor(onExpired: (e: Expectation<O>) => void, limits: ExpectationLimits = {}) {
    this.#onExpired = onExpired;
    this.#perSession = limits.perSession ?? 16;
    this.#total = limits.total ?? 4096;
  }

  get size(): number {
    return this.#bySeq.size;
  }

  register(owner: O, a: DataChannelAnnouncement): Expectation<O> {
    const listener = a.by === 'server' ? 'server' : 'client';
    const address = a.address ?? a.impliedAddress ?? owner.server.ip;
    const e: Expectation<O> = { owner, announcement: a, address, port: a.port, listener, seq: this.#seq++ };
    // A new announcement for the same port replaces an older one of the same session.
    const mine = this.#byOwner.get(owner);
    if (mine !== undefined) {
      for (const p of mine.filter((p) => p.port === e.port && p.listener === e.listener)) this.remove(p);
    }
    this.#bySeq.set(e.seq, e);
    const samePort = this.#byPort.get(e.port);
    if (samePort === undefined) this.#byPort.set(e.port, [e]);
    else samePort.push(e);
    const owned = mine ?? [];
    if (mine === undefined) this.#byOwner.set(owner, owned);
    owned.push(e);
    if (owned.length > this.#perSession) this.#expire(owned[0]!);
    if (this.#bySeq.size > this.#total) this.#expire(this.#bySeq.values().next().value!);
    return e;
  }

  /** Withdraws an expectation (its PORT was refused, its session ended). */
  remove(e: Expectation<O>): void {
    if (this.#bySeq.get(e.seq) !== e) return;
    this.#bySeq.delete(e.seq);
    const samePort = this.#byPort.get(e.port)!;
    if (samePort.length === 1) this.#byPort.delete(e.port);
    else samePort.splice(samePort.indexOf(e), 1);
    const owned = this.#byOwner.get(e.owner)!;
    owned.splice(owned.indexOf(e), 1);
  }

  /** Every pending expectation of an owner. */
  pendingOf(owner: O): Array<Expectation<O>> {
    return [...(this.#byOwner.get(owner) ?? [])];
  }

  /** Finds and removes the expectation a new connection fulfils, if any. */
  claim(start: ConnectionStart): ExpectationMatch<O> | undefined {
    // Only an expectation for the port the connection went to can match it; with a SYN the
    // roles are known, and a connection whose start was not captured may be either way round.
    // The best match is the same whatever the order the candidates are looked at in: the
    // stronger rule wins, then the most recent announcement.
    let best = this.#bestFor(this.#byPort.get(start.server.port), start.client, start.server, false, undefined);
    if (start.rolesFrom === 'heuristic') best = this.#bestFor(this.#byPort.get(start.client.port), start.server, start.client, true, best);
    if (best) this.remove(best.expectation);
    return best;
  }

  #bestFor(candidates: ReadonlyArray<Expectation<O>> | undefined, connector: Endpoint, listening: Endpoint, swapped: boolean, best: ExpectationMatch<O> | undefined): ExpectationMatch<O> | undefined {
    if (candidates === undefined) return best;
    for (const e of candidates) {
      const ctl = e.owner;
      // The side that connects is the control connection's other party: the FTP client in
      // passive mode, the FTP server in active mode (RFC 959 §3.2).
      const expectedConnector = e.listener === 'server' ? ctl.client.ip : ctl.server.ip;
      const expectedListener = e.listener === 'server' ? ctl.server.ip : ctl.client.ip;
      let m: ExpectationMatch<O>;
      if (listening.ip === e.address) {
        m = { expectation: e, rule: 'address+port', swapped, note: null };
      } else if (connector.ip === expectedConnector || listening.ip === expectedListener) {
        const who = e.listener === 'server' ? 'server' : 'client';
        m = {
          expectation: e,
          rule: 'port-only',
          swapped,
          note: `announced ${e.address} port ${e.port} but the connection went to ${listening.ip}; matched on the port and the control connection's ${who === 'server' ? 'client' : 'server'} ${connector.ip} (NAT or rewritten addresses)`,
        };
      } else {
        continue;
      }
      if (!best || rank(m) > rank(best) || (rank(m) === rank(best) && m.expectation.seq > best.expectation.seq)) best = m;
    }
    return best;
  }

  /** Removes and returns every expectation still pending (for the report, at the end). */
  drain(): Array<Expectation<O>> {
    const all = [...this.#bySeq.values()];
    for (const e of all) this.remove(e);
    return all;
  }

  #expire(e: Expectation<O>): void {
    this.remove(e);
    this.#onExpired(e);
  }
}

function rank(m: ExpectationMatch<ExpectationOwner>): number {
  return m.rule === 'address+port' ? 2 : 1;
}
