// DroppedTuples against a plain model: a list of every connection remembered, of which the
// newest `limit` count, and a lookup takes the newest of them on the tuple, either way round.
// Ports are drawn from a few values and addresses from two, so tuples repeat, port pairs
// collide in the index, and remembered entries are written over while others of their probe
// run stay: the moves of the index's deletion are what this exercises.
import { describe, expect, it } from 'vitest';
import { DroppedTuples, type DroppedConnection } from '../../src/tcp/DroppedTuples.js';
import { seededRandom } from '../helpers/random.js';

type Entry = DroppedConnection;

function modelFind(list: Entry[], limit: number, srcIp: string, srcPort: number, dstIp: string, dstPort: number): Entry | undefined {
  const kept = list.slice(Math.max(0, list.length - limit));
  for (let i = kept.length - 1; i >= 0; i--) {
    const e = kept[i]!;
    if (e.client.ip === srcIp && e.client.port === srcPort && e.server.ip === dstIp && e.server.port === dstPort) return e;
    if (e.client.ip === dstIp && e.client.port === dstPort && e.server.ip === srcIp && e.server.port === srcPort) return e;
  }
  return undefined;
}

describe('DroppedTuples', () => {
  for (const limit of [0, 1, 5, 64, 100, 300]) {
    it(`finds what a plain list finds, limit ${limit}`, () => {
      const random = seededRandom(0xd7 + limit);
      const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const ips = ['198.51.100.1', '198.51.100.2', '2001:db8::1'];
      // Few ports, so tuples repeat; 0 and 65535 for the packing of ports into one number.
      const ports = [0, 21, 20, 1024, 40000, 40001, 65535, 50000, 50001, 50002, 50003];
      const roles = ['syn', 'syn-ack', 'heuristic'] as const;
      const store = new DroppedTuples(limit);
      const list: Entry[] = [];
      let finds = 0;
      for (let step = 0; step < 6000; step++) {
        if (random() < 0.5) {
          const entry: Entry = {
            stream: step,
            ipVersion: random() < 0.5 ? 4 : 6,
            client: { ip: pick(ips), port: pick(ports) },
            server: { ip: pick(ips), port: pick(ports) },
            rolesFrom: pick(roles),
            bases: [random() < 0.8 ? Math.floor(random() * 2 ** 32) : undefined, random() < 0.8 ? Math.floor(random() * 2 ** 32) : undefined],
          };
          list.push(entry);
          store.remember(entry.stream, entry.ipVersion, entry.client, entry.server, entry.rolesFrom, entry.bases[0], entry.bases[1]);
        } else {
          const a = { ip: pick(ips), port: pick(ports) };
          const b = { ip: pick(ips), port: pick(ports) };
          const want = modelFind(list, limit, a.ip, a.port, b.ip, b.port);
          expect(store.find(a.ip, a.port, b.ip, b.port), `step ${step}`).toEqual(want);
          if (want !== undefined) finds++;
        }
        expect(store.size).toBe(Math.min(list.length, limit));
      }
      // The run must have found things (and, with a limit, forgotten things) to mean anything.
      if (limit >= 5) expect(finds).toBeGreaterThan(limit >= 64 ? 100 : 10);
      if (limit > 0 && limit < 300) expect(list.length).toBeGreaterThan(2 * limit);
    });
  }

  it('forgets the oldest first, and only beyond the limit', () => {
    const store = new DroppedTuples(3);
    const at = (port: number) => ({ ip: '198.51.100.2', port });
    const server = { ip: '198.51.100.1', port: 21 };
    for (const port of [40000, 40001, 40002]) store.remember(port, 4, at(port), server, 'syn', 1, 2);
    expect(store.find('198.51.100.1', 21, '198.51.100.2', 40000)?.stream).toBe(40000);
    store.remember(40003, 4, at(40003), server, 'syn', 1, 2);
    expect(store.find('198.51.100.1', 21, '198.51.100.2', 40000)).toBeUndefined();
    for (const port of [40001, 40002, 40003]) expect(store.find('198.51.100.2', port, '198.51.100.1', 21)?.stream).toBe(port);
  });

  it('keeps bases that are unset apart from bases of 0', () => {
    const store = new DroppedTuples(4);
    store.remember(7, 6, { ip: '2001:db8::2', port: 40000 }, { ip: '2001:db8::1', port: 21 }, 'heuristic', 0, undefined);
    expect(store.find('2001:db8::2', 40000, '2001:db8::1', 21)).toEqual({
      stream: 7, ipVersion: 6, client: { ip: '2001:db8::2', port: 40000 }, server: { ip: '2001:db8::1', port: 21 }, rolesFrom: 'heuristic', bases: [0, undefined],
    });
  });
});
