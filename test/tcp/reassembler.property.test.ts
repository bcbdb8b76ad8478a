import { describe, expect, it } from 'vitest';
import { TcpFlag } from '../../src/decode/Packet.js';
import { ReassemblyBudget } from '../../src/tcp/ReassemblyBudget.js';
import type { StreamChunk, StreamGap } from '../../src/tcp/StreamEvents.js';
import { StreamReassembler, type FinishReason } from '../../src/tcp/StreamReassembler.js';
import { seededRandom as rng } from '../helpers/random.js';

// mulberry32: a small deterministic PRNG, so every case can be replayed from its seed.

/** One captured frame of the simulated direction: original stream range, bytes captured, flags. */
interface Sent {
  frame: number;
  start: number;
  end: number;
  captured: number;
  fin: boolean;
}

type Step = { kind: 'seg'; sent: Sent } | { kind: 'ack'; to: number; frame: number };

interface Case {
  seed: number;
  data: Uint8Array;
  isn: number;
  syn: 'segment' | 'call' | 'none';
  steps: Step[];
  maxBuffered: number;
  budget: number;
  historyBytes: number;
  finish: FinishReason;
  acks: boolean;
}

/** Random data, cut into random segments, then lost, duplicated, re-cut, truncated and reordered. */
function makeCase(seed: number): Case {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[(rand() * xs.length) | 0]!;
  const total = pick([0, 1, 10, 500, 5_000, 30_000]) + ((rand() * 2000) | 0);
  const data = new Uint8Array(total).map(() => (rand() * 256) | 0);
  const maxSeg = pick([1, 7, 100, 1448, 4000]);
  const loss = pick([0, 0, 0.02, 0.1, 0.3]);
  const dup = pick([0, 0.05, 0.2]);
  const resend = pick([0, 0.03, 0.1]);
  const truncate = pick([0, 0, 0.05, 0.3]);
  const reorderWindow = pick([0, 2, 5, 50]);
  const acks = rand() < 0.5;
  const isn = pick([0xffffffff - ((rand() * 20_000) | 0), (rand() * 2 ** 32) >>> 0]);

  let frame = 0;
  const capture = (start: number, end: number, fin: boolean): Sent => {
    const len = end - start;
    const captured = len > 0 && rand() < truncate ? (rand() * len) | 0 : len;
    return { frame: 0, start, end, captured, fin };
  };
  const cuts: Array<[number, number]> = [];
  for (let o = 0; o < total; ) {
    const n = Math.min(total - o, 1 + ((rand() * maxSeg) | 0));
    cuts.push([o, o + n]);
    o += n;
  }
  const withFin = rand() < 0.7;
  const order: Sent[] = [];
  cuts.forEach(([a, b], i) => {
    const fin = withFin && i === cuts.length - 1;
    if (rand() >= loss) order.push(capture(a, b, fin));
    if (rand() < dup) order.push(capture(a, b, fin));
    if (rand() < resend && total > 0) {
      // A retransmission cut differently: covers several original segments or parts of them.
      const s = (rand() * total) | 0;
      const e = Math.min(total, s + 1 + ((rand() * 3 * maxSeg) | 0));
      order.push(capture(s, e, false));
    }
  });
  if (withFin && cuts.length === 0) order.push(capture(0, 0, true));
  // Local reordering: each element moves at most `reorderWindow` places.
  for (let i = 0; i < order.length && reorderWindow > 0; i++) {
    const j = Math.min(order.length - 1, i + ((rand() * reorderWindow) | 0));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const steps: Step[] = [];
  let highestSent = 0;
  for (const s of order) {
    s.frame = ++frame;
    steps.push({ kind: 'seg', sent: s });
    highestSent = Math.max(highestSent, s.end);
    if (acks && rand() < 0.3) {
      // The receiver acknowledges a prefix of what exists; it may well be ahead of the capture.
      const to = Math.min(total, (rand() * (highestSent + maxSeg)) | 0);
      steps.push({ kind: 'ack', to, frame: ++frame });
    }
  }
  return {
    seed,
    data,
    isn,
    syn: pick(['segment', 'call', 'none'] as const),
    steps,
    maxBuffered: pick([200, 3_000, 20_000, 4 * 1024 * 1024]),
    budget: pick([500, 64 * 1024 * 1024]),
    historyBytes: pick([0, 100, 64 * 1024]),
    finish: pick(['fin', 'rst', 'end-of-capture'] as const),
    acks,
  };
}

/** A plain assertion for the inner loops: expect() costs microseconds, and they run 10^5 times. */
function check(ok: boolean, ctx: string, what: string): void {
  if (!ok) throw new Error(`${ctx}: expected ${what}`);
}

describe('StreamReassembler property: delivered bytes and gaps tile the stream exactly', () => {
  const CASES = 400;
  it(`${CASES} random cases (loss, duplicates, re-cut retransmissions, snaplen, reordering, ACKs, limits)`, () => {
    let deliveredTotal = 0;
    let gapTotal = 0;
    const reasons = new Set<string>();
    for (let seed = 1; seed <= CASES; seed++) {
      const c = makeCase(seed);
      const ctx = `seed ${seed}`;
      const events: Array<{ start: number; end: number; chunk?: StreamChunk & { copy: Uint8Array }; gap?: StreamGap }> = [];
      const budget = new ReassemblyBudget(c.budget);
      const r = new StreamReassembler(0, {
        data: (chunk) => events.push({ start: chunk.offset, end: chunk.offset + chunk.bytes.length, chunk: { ...chunk, copy: chunk.bytes.slice() } }),
        gap: (gap) => events.push({ start: gap.start, end: gap.end, gap }),
      }, budget, { maxBufferedBytesPerDirection: c.maxBuffered, historyBytes: c.historyBytes });

      // Where the reassembler's offset 0 lies in the original stream.
      let origin: number | undefined;
      if (c.syn === 'call') {
        r.setInitialSequence(c.isn);
        origin = 0;
      } else if (c.syn === 'segment') {
        expect(r.segment(c.isn, new Uint8Array(0), 0, 0, 0, 0, TcpFlag.SYN).kind).toBe('new');
        origin = 0;
      }
      const byFrame = new Map<number, Sent>();
      let finCaptured = false;
      for (const step of c.steps) {
        if (step.kind === 'ack') {
          r.acknowledged((c.isn + 1 + step.to + (step.to === c.data.length ? 1 : 0)) >>> 0, step.frame);
        } else {
          const s = step.sent;
          byFrame.set(s.frame, s);
          if (origin === undefined && (s.end > s.start || s.fin)) origin = s.start;
          const res = r.segment((c.isn + 1 + s.start) >>> 0, c.data.subarray(s.start, s.start + s.captured), s.end - s.start, s.frame, s.frame, 7, s.fin ? TcpFlag.FIN | TcpFlag.ACK : TcpFlag.ACK);
          if (res.conflict) throw new Error(`${ctx}: unexpected conflict ${JSON.stringify(res.conflict)}`); // every copy carries the same bytes
          if (s.fin && origin !== undefined && s.end >= origin) finCaptured = true;
        }
        check(r.bufferedBytes <= c.maxBuffered && budget.used <= c.budget, ctx, 'buffered bytes within both limits');
      }
      r.finish(c.finish);
      expect(budget.used, ctx).toBe(0);
      expect(r.bufferedBytes, ctx).toBe(0);

      // Tiling: from offset 0, each event starts where the previous ended.
      let at = 0;
      for (const e of events) {
        check(e.start === at, ctx, 'e.start === at');
        check(e.end > e.start, ctx, 'e.end > e.start');
        at = e.end;
        if (e.chunk) {
          const orig = (origin ?? 0) + e.start;
          check(Buffer.compare(e.chunk.copy, c.data.subarray(orig, orig + e.chunk.copy.length)) === 0, ctx, 'Buffer.compare(e.chunk.copy, c.data.subarray(orig, orig + e.chunk.copy.length)) === 0');
          check(e.chunk.frames.length === 1, ctx, 'e.chunk.frames.length === 1');
          const s = byFrame.get(e.chunk.frames[0]!)!;
          check(orig >= s.start, ctx, 'orig >= s.start');
          check(orig + e.chunk.copy.length <= s.start + s.captured, ctx, 'orig + e.chunk.copy.length <= s.start + s.captured');
          check(e.chunk.tsSec === s.frame, ctx, 'e.chunk.tsSec === s.frame');
          deliveredTotal += e.end - e.start;
        } else {
          const g = e.gap!;
          reasons.add(g.reason);
          gapTotal += g.end - g.start;
          if (g.reason === 'snaplen') {
            // Only bytes some frame carried but the capture cut.
            const s = byFrame.get(g.frame)!;
            check((origin ?? 0) + g.start >= s.start + s.captured, ctx, '(origin ?? 0) + g.start >= s.start + s.captured');
            check((origin ?? 0) + g.end <= s.end, ctx, '(origin ?? 0) + g.end <= s.end');
          } else if (!c.acks && c.maxBuffered >= 4 * 1024 * 1024 && c.budget >= 1024 * 1024) {
            // Nothing forced a hole to be given up early: no captured byte may lie in it.
            for (const s of byFrame.values()) {
              const a = Math.max(s.start, (origin ?? 0) + g.start);
              const b = Math.min(s.start + s.captured, (origin ?? 0) + g.end);
              if (b > a) throw new Error(`${ctx}: gap ${JSON.stringify(g)} hides bytes of frame ${s.frame}`);
            }
          }
        }
      }
      const total = c.data.length - (origin ?? 0);
      expect(at, ctx).toBeLessThanOrEqual(Math.max(0, total));
      if (finCaptured) expect(at, ctx).toBe(total);
    }
    // The generator must actually reach the interesting paths.
    expect([...reasons].sort()).toEqual(['buffer-limit', 'end-of-capture', 'not-captured', 'snaplen']);
    expect(deliveredTotal).toBeGreaterThan(1_000_000);
    expect(gapTotal).toBeGreaterThan(10_000);
  });
});
