// What a data connection holds before its transfer command is known: bounded per connection
// and, through a budget they share, for all of them; each piece held counts its length and
// HELD_PIECE_COST, so a stream of one-byte segments cannot hold a hundred times its size.
import { describe, expect, it } from 'vitest';
import { DataConnectionConsumer, HELD_PIECE_COST } from '../../src/ftp/DataConnectionConsumer.js';
import type { DataSink } from '../../src/ftp/data/DataDecoder.js';
import type { DataConnectionFacts } from '../../src/ftp/model.js';
import { ReassemblyBudget } from '../../src/tcp/ReassemblyBudget.js';
import type { ConnectionStart } from '../../src/tcp/StreamEvents.js';

function consumer(name: string, overflows: string[], holdLimit: number, budget: ReassemblyBudget): DataConnectionConsumer {
  const start: ConnectionStart = {
    stream: 1, client: { ip: '10.0.0.2', port: 50000 }, server: { ip: '10.0.0.1', port: 30000 }, rolesFrom: 'syn', firstFrame: 1, tsSec: 1_700_000_000, tsNsec: 0,
  };
  return new DataConnectionConsumer(start, {} as DataConnectionFacts, { overflow: () => overflows.push(name), closed: () => {} }, holdLimit, budget);
}

let frame = 1;
const chunk = (offset: number, length: number) => ({ direction: 1 as const, offset, bytes: new Uint8Array(length).fill(0x41), frames: [++frame], tsSec: 1_700_000_000, tsNsec: frame });

describe('DataConnectionConsumer: data held before the command', () => {
  it('connections sharing a budget: the one whose bytes do not fit is asked for a direction, and routing gives its share back', () => {
    const piece = 1000 + HELD_PIECE_COST;
    const budget = new ReassemblyBudget(3 * piece);
    const overflows: string[] = [];
    const a = consumer('a', overflows, 1 << 20, budget);
    const b = consumer('b', overflows, 1 << 20, budget);
    a.data(chunk(0, 1000));
    a.data(chunk(1000, 1000));
    b.data(chunk(0, 1000));
    expect(overflows).toEqual([]);
    expect(budget.used).toBe(3 * piece);
    b.data(chunk(1000, 1000)); // does not fit: b is asked, a keeps what it holds
    expect(overflows).toEqual(['b']);
    b.route(1, undefined);
    expect(budget.used).toBe(2 * piece);
    a.data(chunk(2000, 1000));
    expect(overflows).toEqual(['b']);
    a.route(1, undefined);
    expect(budget.used).toBe(0);
  });

  it('one-byte segments and gaps count HELD_PIECE_COST each against the connection\'s limit', () => {
    const overflows: string[] = [];
    const c = consumer('c', overflows, 10 * (1 + HELD_PIECE_COST), new ReassemblyBudget(1 << 20));
    for (let i = 0; i < 10; i++) c.data(chunk(i, 1));
    expect(overflows).toEqual([]);
    c.gap({ direction: 1, start: 10, end: 20, reason: 'not-captured', frame: ++frame });
    expect(overflows).toEqual(['c']);
    // Routed with its held bytes replayed into the sink: nothing is lost.
    const got: number[] = [];
    const sink: DataSink = { data: (bytes) => void got.push(bytes.length), gap: (n) => void got.push(-(n ?? 0)), end: () => {} };
    c.route(1, sink);
    expect(got).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -10]);
  });
});
