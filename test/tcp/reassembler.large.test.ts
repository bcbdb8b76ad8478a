import { describe, expect, it } from 'vitest';
import { ReassemblyBudget } from '../../src/tcp/ReassemblyBudget.js';
import type { StreamChunk, StreamGap } from '../../src/tcp/StreamEvents.js';
import { BUFFERED_PIECE_OVERHEAD, StreamReassembler, type ReassemblySink } from '../../src/tcp/StreamReassembler.js';

const GiB = 2 ** 30;

describe('StreamReassembler: streams beyond 4 GiB', () => {
  it('gives a 5 GiB stream monotonically increasing offsets across two sequence wraps, in constant memory', () => {
    // 64 KiB segments generated on the fly into one reused buffer; each carries its index at
    // both ends, so the sink can tell which segment's bytes it got and where.
    const SEG = 64 * 1024;
    const COUNT = (5 * GiB) / SEG;
    const LOST = COUNT - 100; // beyond 4 GiB: lost, then given up on an ACK
    const isn = 0xffff0000; // the first wrap comes after 64 KiB, the second after 4 GiB
    const buf = new Uint8Array(SEG);
    const view = new DataView(buf.buffer);
    const stamp = (i: number) => {
      view.setFloat64(0, i);
      view.setFloat64(SEG - 8, i);
    };

    let expected = 0;
    let hash = 0;
    let chunks = 0;
    const gaps: StreamGap[] = [];
    const sink: ReassemblySink = {
      data(c: StreamChunk) {
        if (c.offset !== expected || c.bytes.length !== SEG) throw new Error(`chunk at ${c.offset} (+${c.bytes.length}), expected ${expected}`);
        const dv = new DataView(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength);
        const i = dv.getFloat64(0);
        if (i !== c.offset / SEG || dv.getFloat64(SEG - 8) !== i || c.frames[0] !== i + 1) throw new Error(`segment ${i} delivered at ${c.offset}`);
        hash = (Math.imul(hash ^ i, 0x01000193) + c.frames[0]!) | 0;
        expected += SEG;
        chunks++;
      },
      gap(g: StreamGap) {
        gaps.push(g);
        expected = g.end;
      },
    };
    const r = new StreamReassembler(0, sink, new ReassemblyBudget());
    r.setInitialSequence(isn);
    let maxBuffered = 0;
    const send = (i: number) => {
      stamp(i);
      const res = r.segment((isn + 1 + i * SEG) >>> 0, buf, SEG, i + 1, i, 0);
      if (r.bufferedBytes > maxBuffered) maxBuffered = r.bufferedBytes;
      return res;
    };
    for (let i = 0; i < COUNT; i++) {
      if (i === LOST) continue;
      if (i % 10_000 === 5 && i + 1 < COUNT) {
        send(i + 1); // swapped with its successor: buffered, then flushed
        send(i);
        i++;
        continue;
      }
      send(i);
      if (i % 20_000 === 7 && send(i) !== send(i)) throw new Error('a duplicate is not a plain retransmission'); // shared result constants
      if (i === LOST + 3) {
        // The receiver acknowledges past the lost segment: it will never be retransmitted.
        expect(r.bufferedSegments).toBe(3);
        r.acknowledged((isn + 1 + (LOST + 2) * SEG) >>> 0, 10_000_000);
        expect(r.bufferedSegments).toBe(0);
      }
    }
    r.finish('fin');
    expect(gaps).toEqual([{ direction: 0, start: LOST * SEG, end: (LOST + 1) * SEG, reason: 'not-captured', frame: LOST + 2 }]);

    const expectedHash = (() => {
      let h = 0;
      for (let i = 0; i < COUNT; i++) if (i !== LOST) h = (Math.imul(h ^ i, 0x01000193) + i + 1) | 0;
      return h;
    })();
    expect(r.nextOffset).toBe(5 * GiB);
    expect(chunks).toBe(COUNT - 1);
    expect(hash).toBe(expectedHash);
    expect(maxBuffered).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});

/**
 * Streams `total` bytes of `size`-byte segments through segment(), reusing one payload, into a
 * sink that only counts. Optionally every `lossEvery`-th segment arrives `delay` segments late
 * (so everything between is buffered and flushed). Speed is the benchmark's business
 * (`npm run bench`); this checks what flows through and how much is held.
 */
function stream(opts: { total: number; size: number; lossEvery?: number; delay?: number }) {
  const { total, size } = opts;
  const payload = new Uint8Array(size).fill(0x61);
  let delivered = 0;
  const r = new StreamReassembler(0, { data: (c) => void (delivered += c.bytes.length), gap: () => {} }, new ReassemblyBudget());
  const isn = 0xfff00000;
  r.setInitialSequence(isn);
  const count = Math.floor(total / size);
  const late: number[] = [];
  let maxBuffered = 0;
  const sendLate = () => {
    const j = late.shift()! - opts.delay!;
    r.segment((isn + 1 + j * size) >>> 0, payload, size, count + j, 0, 0);
  };
  for (let i = 0; i < count; i++) {
    if (opts.lossEvery !== undefined && i % opts.lossEvery === 1) late.push(i + opts.delay!);
    else r.segment((isn + 1 + i * size) >>> 0, payload, size, i + 1, 0, 0);
    if (r.bufferedBytes > maxBuffered) maxBuffered = r.bufferedBytes;
    if (late[0] === i) sendLate();
  }
  while (late.length > 0) sendLate();
  r.finish('end-of-capture');
  return { delivered, maxBuffered };
}

describe('StreamReassembler: a 1 GB transfer', () => {
  it('flows through in order without buffering, and late segments cost only the bytes behind them', () => {
    const inOrder = stream({ total: 1e9, size: 1448 });
    const lossy = stream({ total: 1e9, size: 1448, lossEvery: 100, delay: 20 });
    expect(inOrder.delivered).toBe(Math.floor(1e9 / 1448) * 1448);
    expect(inOrder.maxBuffered).toBe(0);
    expect(lossy.delivered).toBe(inOrder.delivered);
    expect(lossy.maxBuffered).toBeGreaterThan(0);
    expect(lossy.maxBuffered).toBeLessThan(21 * (1448 + BUFFERED_PIECE_OVERHEAD));
  });
});
