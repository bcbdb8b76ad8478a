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
  #pending: Array<Expectation<O>> = [];
  #seq = 0;
  readonly #onExpired: (e: Expectation<O>) => void;

  constructor(onExpired: (e: Expectation<O>) => void, limits: ExpectationLimits = {}) {
    this.#onExpired = onExpired;
    this.#perSession = limits.perSession ?? 16;
    this.#total = limits.total ?? 4096;
  }

  get size(): number {
    return this.#pending.length;
  }

  register(owner: O, a: DataChannelAnnouncement): Expectation<O> {
    const listener = a.by === 'server' ? 'server' : 'client';
    const address = a.address ?? a.impliedAddress ?? owner.server.ip;
    const e: Expectation<O> = { owner, announcement: a, address, port: a.port, listener, seq: this.#seq++ };
    // A new announcement for the same port replaces an older one of the same session.
    this.#pending = this.#pending.filter((p) => !(p.owner === owner && p.port === e.port && p.listener === e.listener));
    this.#pending.push(e);
    const mine = this.#pending.filter((p) => p.owner === owner);
    if (mine.length > this.#perSession) this.#expire(mine[0]!);
    if (this.#pending.length > this.#total) this.#expire(this.#pending[0]!);
    return e;
  }

  /** Withdraws an expectation (its PORT was refused, its session ended). */
  remove(e: Expectation<O>): void {
    this.#pending = this.#pending.filter((p) => p !== e);
  }

  /** Every pending expectation of an owner. */
  pendingOf(owner: O): Array<Expectation<O>> {
    return this.#pending.filter((p) => p.owner === owner);
  }

  /** Finds and removes the expectation a new connection fulfils, if any. */
  claim(start: ConnectionStart): ExpectationMatch<O> | undefined {
    let best: ExpectationMatch<O> | undefined;
    const consider = (m: ExpectationMatch<O>) => {
      const rank = (x: ExpectationMatch<O>) => (x.rule === 'address+port' ? 2 : 1);
      if (!best || rank(m) > rank(best) || (rank(m) === rank(best) && m.expectation.seq > best.expectation.seq)) best = m;
    };
    for (const e of this.#pending) {
      // With a SYN the roles are known; a connection whose start was not captured may be either way round.
      const orientations: Array<[Endpoint, Endpoint, boolean]> = [[start.client, start.server, false]];
      if (start.rolesFrom === 'heuristic') orientations.push([start.server, start.client, true]);
      for (const [connector, listening, swapped] of orientations) {
        if (listening.port !== e.port) continue;
        const ctl = e.owner;
        // The side that connects is the control connection's other party: the FTP client in
        // passive mode, the FTP server in active mode (RFC 959 §3.2).
        const expectedConnector = e.listener === 'server' ? ctl.client.ip : ctl.server.ip;
        const expectedListener = e.listener === 'server' ? ctl.server.ip : ctl.client.ip;
        if (listening.ip === e.address) {
          consider({ expectation: e, rule: 'address+port', swapped, note: null });
        } else if (connector.ip === expectedConnector || listening.ip === expectedListener) {
          const who = e.listener === 'server' ? 'server' : 'client';
          consider({
            expectation: e,
            rule: 'port-only',
            swapped,
            note: `announced ${e.address} port ${e.port} but the connection went to ${listening.ip}; matched on the port and the control connection's ${who === 'server' ? 'client' : 'server'} ${connector.ip} (NAT or rewritten addresses)`,
          });
        }
      }
    }
    if (best) this.remove(best.expectation);
    return best;
  }

  /** Removes and returns every expectation still pending (for the report, at the end). */
  drain(): Array<Expectation<O>> {
    const all = this.#pending;
    this.#pending = [];
    return all;
  }

  #expire(e: Expectation<O>): void {
    this.remove(e);
    this.#onExpired(e);
  }
}
