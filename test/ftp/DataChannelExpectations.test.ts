// DataChannelExpectations finds what it needs through indexes (by port, by owner, by age). Its
// answers must be those of the plain reading of its rules, written out below as a list scanned
// in full for every operation (the class's own first form): random announcements, withdrawals,
// connections and session ends, on a small space of addresses and ports so that matches,
// replacements, per-session and total limits, NAT-style port-only matches, heuristic roles and
// equal ports all happen, compared after every step.
import { describe, expect, it } from 'vitest';
import {
  DataChannelExpectations,
  type Expectation,
  type ExpectationMatch,
  type ExpectationOwner,
} from '../../src/ftp/DataChannelExpectations.js';
import type { DataChannelAnnouncement } from '../../src/ftp/model.js';
import type { ConnectionStart, Endpoint } from '../../src/tcp/StreamEvents.js';
import { seededRandom } from '../helpers/random.js';

class ScanningTable<O extends ExpectationOwner> {
  pending: Array<Expectation<O>> = [];
  #seq = 0;
  constructor(readonly onExpired: (e: Expectation<O>) => void, readonly perSession: number, readonly total: number) {}

  register(owner: O, a: DataChannelAnnouncement): Expectation<O> {
    const listener = a.by === 'server' ? 'server' : 'client';
    const address = a.address ?? a.impliedAddress ?? owner.server.ip;
    const e: Expectation<O> = { owner, announcement: a, address, port: a.port, listener, seq: this.#seq++ };
    this.pending = this.pending.filter((p) => !(p.owner === owner && p.port === e.port && p.listener === e.listener));
    this.pending.push(e);
    const mine = this.pending.filter((p) => p.owner === owner);
    if (mine.length > this.perSession) this.expire(mine[0]!);
    if (this.pending.length > this.total) this.expire(this.pending[0]!);
    return e;
  }

  remove(e: Expectation<O>): void {
    this.pending = this.pending.filter((p) => p !== e);
  }

  expire(e: Expectation<O>): void {
    this.remove(e);
    this.onExpired(e);
  }

  claim(start: ConnectionStart): ExpectationMatch<O> | undefined {
    let best: ExpectationMatch<O> | undefined;
    const rank = (x: ExpectationMatch<O>) => (x.rule === 'address+port' ? 2 : 1);
    for (const e of this.pending) {
      const orientations: Array<[Endpoint, Endpoint, boolean]> = [[start.client, start.server, false]];
      if (start.rolesFrom === 'heuristic') orientations.push([start.server, start.client, true]);
      for (const [connector, listening, swapped] of orientations) {
        if (listening.port !== e.port) continue;
        const ctl = e.owner;
        const expectedConnector = e.listener === 'server' ? ctl.client.ip : ctl.server.ip;
        const expectedListener = e.listener === 'server' ? ctl.server.ip : ctl.client.ip;
        let m: ExpectationMatch<O> | undefined;
        if (listening.ip === e.address) m = { expectation: e, rule: 'address+port', swapped, note: null };
        else if (connector.ip === expectedConnector || listening.ip === expectedListener) {
          m = {
            expectation: e,
            rule: 'port-only',
            swapped,
            note: `announced ${e.address} port ${e.port} but the connection went to ${listening.ip}; matched on the port and the control connection's ${e.listener === 'server' ? 'client' : 'server'} ${connector.ip} (NAT or rewritten addresses)`,
          };
        }
        if (m && (!best || rank(m) > rank(best) || (rank(m) === rank(best) && m.expectation.seq > best.expectation.seq))) best = m;
      }
    }
    if (best) this.remove(best.expectation);
    return best;
  }
}

const HOSTS = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '203.0.113.9'];

describe('DataChannelExpectations', () => {
  it('answers as a table scanned in full would, step by step (random operations, three limit settings)', () => {
    for (const [seed, perSession, total, ports] of [[1, 8, 30, 12], [2, 3, 10, 6], [3, 1, 4, 6]] as const) {
      const random = seededRandom(0xe7ec + seed);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
      const port = () => 20000 + Math.floor(random() * ports);
      const rules = { addressAndPort: 0, portOnly: 0, swapped: 0 };
      const owners: ExpectationOwner[] = Array.from({ length: 6 }, () => ({
        client: { ip: pick(HOSTS), port: 40000 + Math.floor(random() * 1000) },
        server: { ip: pick(HOSTS), port: 21 },
      }));
      const expiredTheirs: number[] = [];
      const expiredOurs: number[] = [];
      const theirs = new ScanningTable<ExpectationOwner>((e) => expiredTheirs.push(e.seq), perSession, total);
      const ours = new DataChannelExpectations<ExpectationOwner>((e) => expiredOurs.push(e.seq), { perSession, total });
      // Expectations are compared by seq: both tables number them alike.
      const registered = new Map<number, [Expectation<ExpectationOwner>, Expectation<ExpectationOwner>]>();
      const seqs = (list: ReadonlyArray<Expectation<ExpectationOwner>>) => list.map((e) => e.seq);
      for (let step = 0; step < 4000; step++) {
        const what = random();
        const context = `seed ${seed}, step ${step}`;
        if (what < 0.45) {
          const owner = pick(owners);
          const by = random() < 0.5 ? 'server' : 'client';
          const epsv = random() < 0.2;
          const a = {
            kind: epsv ? 'EPSV' : by === 'server' ? 'PASV' : 'PORT',
            port: port(),
            frame: step,
            commandFrame: step,
            by,
            replyCode: null,
            accepted: null,
            ...(epsv ? { impliedAddress: pick(HOSTS) } : { address: pick(HOSTS) }),
          } as DataChannelAnnouncement;
          const t = theirs.register(owner, a);
          const o = ours.register(owner, a);
          expect(o, context).toEqual(t);
          registered.set(t.seq, [t, o]);
        } else if (what < 0.85) {
          const client = { ip: pick(HOSTS), port: random() < 0.3 ? port() : 50000 + Math.floor(random() * 10) };
          const server = { ip: pick(HOSTS), port: random() < 0.8 ? port() : client.port };
          const start: ConnectionStart = {
            stream: step, client, server, rolesFrom: random() < 0.3 ? 'heuristic' : 'syn', firstFrame: step, tsSec: 0, tsNsec: 0,
          };
          const t = theirs.claim(start);
          const o = ours.claim(start);
          expect(o === undefined, context).toBe(t === undefined);
          if (t && o) {
            if (t.rule === 'address+port') rules.addressAndPort++;
            else rules.portOnly++;
            if (t.swapped) rules.swapped++;
            expect({ ...o, expectation: o.expectation.seq }, context).toEqual({ ...t, expectation: t.expectation.seq });
            expect(o.expectation, context).toBe(registered.get(t.expectation.seq)![1]);
          }
        } else if (what < 0.95) {
          // A withdrawal (refused PORT), now and then of one already gone.
          const all = [...registered.values()];
          if (all.length === 0) continue;
          const [t, o] = pick(all);
          theirs.remove(t);
          ours.remove(o);
        } else {
          // A session ends: its pending ones, in order, withdrawn.
          const owner = pick(owners);
          const t = theirs.pending.filter((p) => p.owner === owner);
          const o = ours.pendingOf(owner);
          expect(seqs(o), context).toEqual(seqs(t));
          for (const e of t) theirs.remove(e);
          for (const e of o) ours.remove(e);
        }
        expect(ours.size, context).toBe(theirs.pending.length);
        expect(expiredOurs, context).toEqual(expiredTheirs);
      }
      expect(seqs(ours.drain())).toEqual(seqs(theirs.pending));
      expect(ours.size).toBe(0);
      expect(ours.drain()).toEqual([]);
      // The limits were reached and matches of both kinds, either way round, were made on the way.
      expect(expiredTheirs.length, `seed ${seed}`).toBeGreaterThan(10);
      expect(Math.min(rules.addressAndPort, rules.portOnly, rules.swapped), `seed ${seed}: ${JSON.stringify(rules)}`).toBeGreaterThan(10);
    }
  });

  it('claims through its indexes with thousands pending (300 sessions × 16 announcements, 20,000 connections)', () => {
    const expired: number[] = [];
    const table = new DataChannelExpectations<ExpectationOwner>((e) => expired.push(e.seq));
    const owners = Array.from({ length: 300 }, (_, i) => ({ client: { ip: '198.51.100.2', port: 30000 + i }, server: { ip: '198.51.100.1', port: 21 } }));
    for (let round = 0; round < 20; round++) {
      for (const [i, owner] of owners.entries()) {
        table.register(owner, { kind: 'PASV', port: 20000 + round * 300 + i, frame: 0, commandFrame: 0, by: 'server', replyCode: 227, accepted: true, address: '198.51.100.1' });
      }
    }
    // 16 kept per session at first, then the total of 4,096: the oldest went first.
    expect(table.size).toBe(4096);
    expect(expired.length).toBe(6000 - 4096);
    let claimed = 0;
    for (let k = 0; k < 20000; k++) {
      const m = table.claim({ stream: k, client: { ip: '198.51.100.2', port: 50000 + (k % 10000) }, server: { ip: '198.51.100.1', port: 20000 + (k % 8000) }, rolesFrom: 'syn', firstFrame: 0, tsSec: 0, tsNsec: 0 });
      if (m) {
        claimed++;
        expect(m.rule).toBe('address+port');
        expect(m.expectation.port).toBe(20000 + (k % 8000));
      }
    }
    expect(claimed).toBe(4096);
    expect(table.size).toBe(0);
  });
});
