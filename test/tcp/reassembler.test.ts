import { describe, expect, it } from 'vitest';
import { TcpFlag } from '../../src/decode/Packet.js';
import { DeliveredHistory, ViewRegistry } from '../../src/tcp/DeliveredHistory.js';
import { ReassemblyBudget } from '../../src/tcp/ReassemblyBudget.js';
import type { StreamChunk, StreamGap } from '../../src/tcp/StreamEvents.js';
import { BUFFERED_PIECE_OVERHEAD, StreamReassembler, type ReassemblyLimits, type ReassemblySink } from '../../src/tcp/StreamReassembler.js';
import { seededRandom as rng } from '../helpers/random.js';

type Event = ({ type: 'data' } & Omit<StreamChunk, 'bytes'> & { text: string; bytes: Uint8Array }) | ({ type: 'gap' } & StreamGap);

/** Records what a reassembler hands on, copying the bytes (the chunk's view dies after the call). */
class Recorder implements ReassemblySink {
  readonly events: Event[] = [];

  data(c: StreamChunk): void {
    const bytes = c.bytes.slice();
    this.events.push({ type: 'data', direction: c.direction, offset: c.offset, frames: [...c.frames], tsSec: c.tsSec, tsNsec: c.tsNsec, bytes, text: Buffer.from(bytes).toString('latin1') });
  }

  gap(g: StreamGap): void {
    this.events.push({ type: 'gap', ...g });
  }

  /** Delivered text with gaps shown as [reason:start-end]. */
  get text(): string {
    return this.events.map((e) => (e.type === 'data' ? e.text : `[${e.reason}:${e.start}-${e.end}]`)).join('');
  }

  get gaps(): Array<Pick<StreamGap, 'start' | 'end' | 'reason' | 'frame'>> {
    return this.events.flatMap((e) => (e.type === 'gap' ? [{ start: e.start, end: e.end, reason: e.reason, frame: e.frame }] : []));
  }

  get chunks(): Array<{ offset: number; text: string; frames: number[] }> {
    return this.events.flatMap((e) => (e.type === 'data' ? [{ offset: e.offset, text: e.text, frames: e.frames }] : []));
  }

  /** Checks that chunks and gaps follow each other without overlap from offset 0; returns the end. */
  expectTiled(): number {
    let at = 0;
    for (const e of this.events) {
      const start = e.type === 'data' ? e.offset : e.start;
      const end = e.type === 'data' ? e.offset + e.bytes.length : e.end;
      expect(start, `event ${JSON.stringify(e)}`).toBe(at);
      expect(end).toBeGreaterThan(start);
      at = end;
    }
    return at;
  }
}

const ISN = 1000;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function setup(limits: ReassemblyLimits = {}, budget = new ReassemblyBudget()) {
  const rec = new Recorder();
  const r = new StreamReassembler(0, rec, budget, limits);
  r.setInitialSequence(ISN);
  /** Sends `text` at stream offset `offset` (relative to ISN + 1) in frame `frame`. */
  const send = (offset: number, text: string, frame: number, flags = 0) => r.segment(ISN + 1 + offset, enc(text), text.length, frame, frame, 0, flags);
  return { r, rec, send, budget };
}

describe('StreamReassembler: in-order delivery', () => {
  it('hands on in-order segments at once, as views of the payload, with frame and time', () => {
    const { r, rec } = setup();
    const p1 = enc('USER anonymous\r\n');
    const p2 = enc('PASS x\r\n');
    const seen: StreamChunk[] = [];
    const r2 = new StreamReassembler(1, { data: (c) => seen.push(c), gap: () => {} }, new ReassemblyBudget());
    r2.setInitialSequence(ISN);
    expect(r2.segment(ISN + 1, p1, p1.length, 4, 100, 5)).toEqual({ kind: 'new' });
    expect(r2.segment(ISN + 1 + p1.length, p2, p2.length, 6, 101, 7)).toEqual({ kind: 'new' });
    expect(seen).toHaveLength(2);
    expect(seen[0]!.bytes).toBe(p1); // zero-copy
    expect(seen[1]).toMatchObject({ direction: 1, offset: 16, frames: [6], tsSec: 101, tsNsec: 7 });
    expect(seen[1]!.bytes).toBe(p2);
    expect(r2.bufferedBytes).toBe(0);
    expect(r.nextOffset).toBe(0);
    expect(rec.events).toEqual([]);
  });

  it('reassembles segments that arrive in reverse order, one chunk per buffered segment', () => {
    const { r, rec, send } = setup();
    const parts = ['RETR ', 'file', '.txt', '\r\n'];
    let off = 0;
    const offsets = parts.map((p) => ((off += p.length), off - p.length));
    const kinds = [3, 2, 1, 0].map((i) => send(offsets[i]!, parts[i]!, 10 + i).kind);
    expect(kinds).toEqual(['out-of-order', 'out-of-order', 'out-of-order', 'out-of-order']);
    expect(rec.text).toBe('RETR file.txt\r\n');
    expect(rec.chunks.map((c) => c.frames)).toEqual([[10], [11], [12], [13]]);
    expect(r.bufferedBytes).toBe(0);
    expect(r.bufferedSegments).toBe(0);
    rec.expectTiled();
  });

  it('calls a segment that continues the highest data seen "new" even while a hole waits below it', () => {
    const { send, rec } = setup();
    expect(send(0, 'aa', 1).kind).toBe('new');
    expect(send(4, 'cc', 2).kind).toBe('out-of-order'); // leaves a hole
    expect(send(6, 'dd', 3).kind).toBe('new');
    expect(send(2, 'bb', 4).kind).toBe('out-of-order'); // fills it
    expect(rec.text).toBe('aabbccdd');
  });
});

describe('StreamReassembler: duplicates, retransmissions and overlaps', () => {
  it('delivers an exact duplicate once', () => {
    const { send, rec } = setup();
    send(0, 'hello', 1);
    expect(send(0, 'hello', 2)).toEqual({ kind: 'retransmission' });
    send(10, 'later', 3);
    expect(send(10, 'later', 4)).toEqual({ kind: 'retransmission' }); // duplicate of a buffered one
    expect(rec.text).toBe('hello');
    expect(send(5, 'world', 5).kind).toBe('out-of-order');
    expect(rec.text).toBe('helloworldlater');
    expect(rec.chunks.map((c) => c.frames[0])).toEqual([1, 5, 3]);
  });

  it('treats a retransmission covering several delivered and buffered segments as one', () => {
    const { send, rec } = setup();
    send(0, 'abc', 1);
    send(3, 'def', 2);
    send(9, 'jkl', 3);
    expect(send(0, 'abcdefghijkl', 4)).toEqual({ kind: 'partial-overlap' }); // fills ghi
    expect(rec.chunks).toEqual([
      { offset: 0, text: 'abc', frames: [1] },
      { offset: 3, text: 'def', frames: [2] },
      { offset: 6, text: 'ghi', frames: [4] },
      { offset: 9, text: 'jkl', frames: [3] },
    ]);
    expect(send(0, 'abcdefghijkl', 5)).toEqual({ kind: 'retransmission' });
    expect(rec.text).toBe('abcdefghijkl');
  });

  it('trims partial overlaps on either side', () => {
    const { send, rec } = setup();
    send(0, '0123', 1);
    expect(send(2, '234567', 2).kind).toBe('partial-overlap'); // overlaps delivered bytes on its left
    send(12, 'CDEF', 3);
    expect(send(10, 'ABCD', 4).kind).toBe('partial-overlap'); // overlaps a buffered segment on its right
    expect(send(6, '6789ABCDEFGH', 5).kind).toBe('partial-overlap'); // both
    expect(rec.chunks).toEqual([
      { offset: 0, text: '0123', frames: [1] },
      { offset: 4, text: '4567', frames: [2] },
      { offset: 8, text: '89', frames: [5] },
      { offset: 10, text: 'AB', frames: [4] },
      { offset: 12, text: 'CDEF', frames: [3] },
      { offset: 16, text: 'GH', frames: [5] },
    ]);
    rec.expectTiled();
  });

  it('keeps the first copy of buffered bytes and reports a conflicting overlap with its frames', () => {
    const { send, rec } = setup();
    send(0, 'ab', 1);
    send(4, 'EFGH', 2);
    send(8, 'IJ', 3);
    const res = send(2, 'cdEFxHIy', 7);
    expect(res).toEqual({ kind: 'partial-overlap', conflict: { frames: [2, 3, 7], start: 6, end: 10 } });
    expect(rec.text).toBe('abcdEFGHIJ');
  });

  it('reports a retransmission that disagrees with bytes already delivered, from the history', () => {
    const { send, rec } = setup();
    send(0, 'STOR a.txt\r\n', 1);
    send(12, 'LIST\r\n', 2);
    expect(send(0, 'STOR b.txt\r\n', 3)).toEqual({ kind: 'retransmission', conflict: { frames: [1, 3], start: 5, end: 6 } });
    expect(send(8, 'xt\r\nLIST', 4)).toEqual({ kind: 'retransmission' });
    expect(send(10, '\r\nLOST', 5)).toEqual({ kind: 'retransmission', conflict: { frames: [2, 5], start: 13, end: 14 } });
    expect(rec.text).toBe('STOR a.txt\r\nLIST\r\n');
  });

  it('does not compare a keep-alive byte, and stops comparing beyond the history window', () => {
    const { send } = setup({ historyBytes: 8 });
    send(0, 'abcdefghijklmnop', 1);
    expect(send(15, 'X', 2)).toEqual({ kind: 'retransmission' }); // keep-alive: seq = next - 1, garbage byte
    expect(send(14, 'XX', 3).conflict).toEqual({ frames: [1, 3], start: 14, end: 16 });
    expect(send(0, 'XXXXXXXX', 4)).toEqual({ kind: 'retransmission' }); // bytes 0..7 are no longer held
  });

  it('finds a conflicting retransmission anywhere in the last 64 KiB, across the ring wrap, with the right frames', () => {
    const rec = { data: () => {}, gap: () => {} };
    const r = new StreamReassembler(0, rec, new ReassemblyBudget());
    r.setInitialSequence(ISN);
    const data = new Uint8Array(200_000).map((_, i) => (i * 7919) >>> 5);
    const SEG = 1448;
    for (let o = 0, f = 1; o < data.length; o += SEG, f++) {
      const n = Math.min(SEG, data.length - o);
      r.segment(ISN + 1 + o, data.subarray(o, o + n), n, f, f, 0);
    }
    const frameAt = (o: number) => Math.floor(o / SEG) + 1;
    // Retransmissions of the last 64 KiB, re-cut at odd places, some spanning the ring's wrap.
    for (const [from, len] of [[200_000 - 65_536, 3000], [200_000 - 40_000, 9000], [200_000 - 1000, 1000], [150_000, 20_000]] as const) {
      const copy = data.slice(from, from + len);
      expect(r.segment(ISN + 1 + from, copy, len, 9000, 0, 0)).toEqual({ kind: 'retransmission' });
      const bad = len >> 1;
      copy[bad]! ^= 0xff;
      copy[bad + 1]! ^= 0xff;
      expect(r.segment(ISN + 1 + from, copy, len, 9001, 0, 0)).toEqual({
        kind: 'retransmission',
        conflict: {
          frames: [...new Set([frameAt(from + bad), frameAt(from + bad + 1)]), 9001],
          start: from + bad,
          end: from + bad + 2,
        },
      });
    }
    // Older than the history: trimmed without a check.
    const old = data.slice(1000, 2000).fill(0);
    expect(r.segment(ISN + 1 + 1000, old, 1000, 9002, 0, 0)).toEqual({ kind: 'retransmission' });
  });

  it('forgets the bytes of deliveries beyond historySegments, so every conflict names its frames', () => {
    const { send } = setup({ historySegments: 2 });
    send(0, 'aaaa', 1);
    send(4, 'bbbb', 2);
    send(8, 'cccc', 3);
    expect(send(0, 'xxxx', 4)).toEqual({ kind: 'retransmission' });
    expect(send(2, 'xxbxbbcx', 5).conflict).toEqual({ frames: [2, 3, 5], start: 5, end: 10 }); // bytes 2..3 are forgotten

    const one = setup({ historySegments: 1 });
    one.send(0, 'aaaa', 1);
    one.send(4, 'bbbb', 2);
    expect(one.send(0, 'xxxx', 3)).toEqual({ kind: 'retransmission' });
    expect(one.send(4, 'xxxx', 4).conflict).toEqual({ frames: [2, 4], start: 4, end: 8 });
  });

  it('starts the history over after a gap, so it never compares across one', () => {
    const { r, send, rec } = setup();
    send(0, 'aaaa', 1);
    r.segment(ISN + 1 + 4, enc('bb'), 4, 2, 2, 0); // 2 bytes cut by the snaplen
    send(8, 'cccc', 3);
    expect(rec.text).toBe('aaaabb[snaplen:6-8]cccc');
    expect(send(0, 'xxxx', 4)).toEqual({ kind: 'retransmission' });
    expect(send(8, 'cxcc', 5).conflict).toEqual({ frames: [3, 5], start: 9, end: 10 });
  });

  it('can run without a history', () => {
    const { send, rec } = setup({ historyBytes: 0 });
    send(0, 'abc', 1);
    expect(send(0, 'xyz', 2)).toEqual({ kind: 'retransmission' });
    expect(rec.text).toBe('abc');
  });

  it('stops checking bytes once the peer acknowledged them: the receiver drops any later copy unread', () => {
    const { r, send } = setup();
    send(0, 'RETR a\r\n', 1);
    send(8, 'RETR b\r\n', 2);
    r.acknowledged(ISN + 1 + 8, 3); // the first command is settled, the second still in flight
    expect(send(0, 'RETR x\r\n', 4)).toEqual({ kind: 'retransmission' });
    expect(send(8, 'RETR y\r\n', 5)).toEqual({ kind: 'retransmission', conflict: { frames: [2, 5], start: 13, end: 14 } });
    r.acknowledged(ISN + 1 + 16, 6);
    expect(send(8, 'RETR z\r\n', 7)).toEqual({ kind: 'retransmission' });
  });

  it('with a view registry, keeps views until materialize() and then copies only what is unacknowledged', () => {
    // The same traffic through a copying reassembler and one holding views; the payload buffer
    // is overwritten after each "chunk", as a capture reader reuses its buffer.
    const run = (views: ViewRegistry | undefined) => {
      const rec = new Recorder();
      const r = new StreamReassembler(0, rec, new ReassemblyBudget(), {}, views);
      r.setInitialSequence(ISN);
      const buffer = new Uint8Array(64);
      const results: unknown[] = [];
      const send = (offset: number, text: string, frame: number) => {
        const bytes = buffer.subarray(0, text.length);
        bytes.set(enc(text));
        results.push(r.segment(ISN + 1 + offset, bytes, text.length, frame, frame, 0));
        if (views !== undefined) views.materialize(); // the reader's chunk ends here
        buffer.fill(0x3f); // and its memory is reused
      };
      send(0, 'aaaa', 1);
      send(4, 'bbbb', 2);
      r.acknowledged(ISN + 1 + 4, 3);
      send(0, 'xaaa', 4); // acknowledged: not compared
      send(4, 'bxbb', 5); // in flight: compared against the copy made at materialize()
      send(8, 'cccc', 6);
      send(6, 'bbcx', 7);
      return { results, text: rec.text };
    };
    const copying = run(undefined);
    const viewing = run(new ViewRegistry());
    expect(viewing).toEqual(copying);
    expect(copying.text).toBe('aaaabbbbcccc');
    expect(copying.results.slice(2)).toEqual([
      { kind: 'retransmission' },
      { kind: 'retransmission', conflict: { frames: [2, 5], start: 5, end: 6 } },
      { kind: 'new' },
      { kind: 'retransmission', conflict: { frames: [6, 7], start: 9, end: 10 } },
    ]);
  });
});

describe('DeliveredHistory', () => {
  it('copies a few unacknowledged bytes into a small ring and grows it as more wait, comparing across the growth', () => {
    // A connection left open with one unacknowledged byte keeps its ring to the end of the
    // capture: a flood of such connections must not cost kilobytes each.
    const views = new ViewRegistry();
    const h = new DeliveredHistory(64 * 1024, 1024, views);
    const frame = new Uint8Array(8192);
    frame[0] = 0x78;
    h.append(0, frame.subarray(0, 1), 1);
    views.materialize();
    frame.fill(0x3f);
    expect(h.capacityBytes).toBe(64);
    // 5,000 more bytes wait for their ACK: the ring doubles until they fit.
    for (let i = 0; i < 5000; i++) frame[i] = i & 0xff;
    h.append(1, frame.subarray(0, 5000), 2);
    views.materialize();
    frame.fill(0x3f);
    expect(h.capacityBytes).toBe(8192);
    expect(h.length).toBe(5001);
    const found: Array<[number, number, number[]]> = [];
    const claimed = new Uint8Array(5001);
    claimed[0] = 0x78;
    for (let i = 0; i < 5000; i++) claimed[i + 1] = i & 0xff;
    claimed[4000] = claimed[4000]! ^ 1;
    h.compare(0, claimed, { add: (start, end, frames) => void found.push([start, end, [...frames]]) });
    expect(found).toEqual([[4000, 4001, [2]]]);
  });
});

describe('StreamReassembler: holes and gaps', () => {
  it('fills a hole that arrives late', () => {
    const { r, send, rec } = setup();
    send(0, 'one ', 1);
    send(8, 'three', 3);
    expect(r.bufferedSegments).toBe(1);
    expect(r.bufferedBytes).toBe(5 + BUFFERED_PIECE_OVERHEAD);
    expect(send(4, 'two ', 9).kind).toBe('out-of-order');
    expect(rec.text).toBe('one two three');
    expect(r.bufferedBytes).toBe(0);
  });

  it('reports a hole never filled at finish, with its exact range and the frame beyond it', () => {
    const { r, send, rec } = setup();
    send(0, 'aaaa', 1);
    send(10, 'cccc', 3);
    send(20, 'eeee', 5);
    send(24, '', 6, TcpFlag.FIN);
    expect(r.finOffset).toBe(24);
    expect(r.finReached).toBe(false);
    r.finish('fin');
    expect(rec.text).toBe('aaaa[not-captured:4-10]cccc[not-captured:14-20]eeee');
    expect(rec.gaps.map((g) => g.frame)).toEqual([3, 5]);
    expect(rec.expectTiled()).toBe(24);
    expect(r.finished).toBe(true);
  });

  it('reports missing bytes before a FIN, and labels holes open at the end of the capture', () => {
    const a = setup();
    a.send(0, 'abc', 1);
    a.send(8, '', 4, TcpFlag.FIN);
    a.r.finish('rst');
    expect(a.rec.gaps).toEqual([{ start: 3, end: 8, reason: 'not-captured', frame: 4 }]);

    const b = setup();
    b.send(0, 'abc', 1);
    b.send(5, 'fg', 2);
    b.r.finish('end-of-capture');
    expect(b.rec.text).toBe('abc[end-of-capture:3-5]fg');
  });

  it('gives a hole up as soon as the peer acknowledges beyond it, and flows on without buffering', () => {
    const { r, send, rec } = setup();
    send(0, 'aaaa', 1);
    send(8, 'cccc', 3);
    send(12, 'dddd', 4);
    r.acknowledged(ISN + 1 + 12, 5); // the receiver got bytes 4..8 that the capture missed
    expect(rec.text).toBe('aaaa[not-captured:4-8]ccccdddd');
    expect(rec.gaps[0]!.frame).toBe(3); // the first frame beyond the hole
    expect(r.bufferedBytes).toBe(0);
    expect(send(16, 'eeee', 6).kind).toBe('new');
    expect(send(4, 'bbbb', 7)).toEqual({ kind: 'old' }); // too late: already reported as a gap
    expect(rec.text).toBe('aaaa[not-captured:4-8]ccccddddeeee');
  });

  it('acknowledgements of bytes never seen: holds back the last unit (it may be a FIN) unless the FIN is known', () => {
    const { r, send, rec } = setup();
    send(0, 'aaaa', 1);
    r.acknowledged(ISN + 1 + 10, 2);
    expect(rec.gaps).toEqual([{ start: 4, end: 9, reason: 'not-captured', frame: 2 }]);
    expect(send(9, 'j', 3).kind).toBe('new');
    expect(send(10, 'k', 4).kind).toBe('new');
    send(11, '', 5, TcpFlag.FIN);
    r.acknowledged(ISN + 1 + 11 + 1, 6); // acknowledges the FIN: nothing missing
    expect(r.finReached).toBe(true);
    expect(rec.text).toBe('aaaa[not-captured:4-9]jk');

    const b = setup();
    b.send(0, 'aa', 1);
    b.send(6, '', 2, TcpFlag.FIN);
    b.r.acknowledged(ISN + 1 + 7, 3);
    expect(b.rec.text).toBe('aa[not-captured:2-6]');
    expect(b.r.finReached).toBe(true);
  });

  it('ignores acknowledgements at or below what was handed on', () => {
    const { r, send, rec } = setup();
    send(0, 'abc', 1);
    r.acknowledged(ISN + 1, 2);
    r.acknowledged(ISN + 1 + 3, 3);
    r.acknowledged(ISN - 5, 4);
    expect(rec.gaps).toEqual([]);
  });

  it('delivers the captured part of a snaplen-truncated segment and reports the rest', () => {
    const { r, rec } = setup();
    const full = enc('0123456789');
    r.segment(ISN + 1, full.subarray(0, 6), 10, 1, 1, 0);
    r.segment(ISN + 1 + 10, enc('abcd'), 4, 2, 2, 0);
    // Out of order: the truncated segment waits in the buffer with its missing tail.
    r.segment(ISN + 1 + 20, enc('KLM'), 5, 4, 4, 0);
    r.segment(ISN + 1 + 14, enc('efghij'), 6, 3, 3, 0);
    expect(rec.text).toBe('012345[snaplen:6-10]abcdefghijKLM[snaplen:23-25]');
    expect(rec.gaps.map((g) => g.frame)).toEqual([1, 4]);
    expect(r.nextOffset).toBe(25);
    // A retransmission of the truncated range is not delivered again.
    expect(r.segment(ISN + 1 + 23, enc('NO'), 2, 5, 5, 0)).toEqual({ kind: 'retransmission' });
    rec.expectTiled();
  });
});

describe('StreamReassembler: memory limits', () => {
  it('gives up the oldest hole when the direction limit is hit, then continues', () => {
    const per = 10 + BUFFERED_PIECE_OVERHEAD;
    const { r, send, rec } = setup({ maxBufferedBytesPerDirection: 2 * per });
    send(0, 'head', 1);
    send(10, '0123456789', 2);
    send(30, '0123456789', 3);
    expect(r.bufferedBytes).toBe(2 * per);
    send(50, '0123456789', 4); // no room: the hole 4..10 goes
    expect(rec.gaps).toEqual([{ start: 4, end: 10, reason: 'buffer-limit', frame: 2 }]);
    expect(r.bufferedBytes).toBe(2 * per);
    expect(r.bufferedSegments).toBe(2);
    send(20, 'abcdefghij', 5);
    expect(rec.text).toBe('head[buffer-limit:4-10]0123456789abcdefghij0123456789');
    r.finish('end-of-capture');
    expect(rec.text).toBe('head[buffer-limit:4-10]0123456789abcdefghij0123456789[end-of-capture:40-50]0123456789');
    expect(r.bufferedBytes).toBe(0);
  });

  it('delivers a segment past its hole when it cannot be buffered at all', () => {
    const { send, rec } = setup({ maxBufferedBytesPerDirection: 8 });
    send(0, 'ab', 1);
    send(5, 'fgh', 2);
    expect(rec.text).toBe('ab[buffer-limit:2-5]fgh');
    expect(send(2, 'cde', 3)).toEqual({ kind: 'old' });
  });

  it('shares one budget across directions: the one that needs memory gives up its own hole', () => {
    const budget = new ReassemblyBudget(3 * (4 + BUFFERED_PIECE_OVERHEAD));
    const a = setup({}, budget);
    const b = setup({}, budget);
    a.send(10, 'AAAA', 1);
    a.send(20, 'BBBB', 2);
    b.send(10, 'cccc', 3);
    expect(budget.used).toBe(budget.limit);
    b.send(20, 'dddd', 4); // b has to make room in its own buffer
    expect(b.rec.text).toBe('[buffer-limit:0-10]cccc');
    expect(a.rec.text).toBe('');
    b.send(30, 'eeee', 5);
    expect(b.rec.text).toBe('[buffer-limit:0-10]cccc[buffer-limit:14-20]dddd');
    a.r.finish('end-of-capture');
    b.r.finish('end-of-capture');
    expect(budget.used).toBe(0);
    expect(budget.peak).toBe(budget.limit);
  });
});

describe('StreamReassembler: sequence numbers', () => {
  it('follows the sequence number across the 2^32 wrap in the middle of a transfer', () => {
    const rec = new Recorder();
    const r = new StreamReassembler(0, rec, new ReassemblyBudget());
    const isn = 0xfffffff0;
    r.setInitialSequence(isn);
    const data = enc('abcdefghijklmnopqrstuvwxyz0123456789');
    const at = (o: number, n: number, frame: number) => r.segment((isn + 1 + o) >>> 0, data.subarray(o, o + n), n, frame, frame, 0);
    at(0, 10, 1); // 0xfffffff1 … 0xfffffffa
    at(20, 10, 3); // crosses zero: 0x00000005 …
    at(10, 10, 2); // 0xfffffffb … 0x00000004
    at(30, 6, 4);
    expect(rec.text).toBe('abcdefghijklmnopqrstuvwxyz0123456789');
    expect(rec.chunks.map((c) => c.offset)).toEqual([0, 10, 20, 30]);
    r.acknowledged((isn + 1 + 36) >>> 0, 5);
    expect(rec.gaps).toEqual([]);
  });

  it('without a SYN, the first segment with data is offset 0 and anything before it is "old"', () => {
    const rec = new Recorder();
    const r = new StreamReassembler(1, rec, new ReassemblyBudget());
    expect(r.segment(5000, new Uint8Array(0), 0, 1, 1, 0, TcpFlag.ACK).kind).toBe('new'); // a pure ACK fixes nothing
    expect(r.segment(7000, enc('second'), 6, 2, 2, 0).kind).toBe('new');
    expect(r.segment(6994, enc('first-'), 6, 3, 3, 0)).toEqual({ kind: 'old' });
    expect(r.segment(6997, enc('st-sec'), 6, 4, 4, 0)).toEqual({ kind: 'old' });
    expect(r.segment(6997, enc('st-second!'), 10, 5, 5, 0)).toEqual({ kind: 'partial-overlap' });
    expect(rec.text).toBe('second!');
  });

  it('counts the SYN: data on a SYN (TCP Fast Open) starts at offset 0', () => {
    const rec = new Recorder();
    const r = new StreamReassembler(0, rec, new ReassemblyBudget());
    expect(r.segment(ISN, enc('GET'), 3, 1, 1, 0, TcpFlag.SYN).kind).toBe('new');
    expect(r.segment(ISN + 4, enc(' /'), 2, 3, 3, 0).kind).toBe('new');
    expect(r.segment(ISN, enc('GET'), 3, 4, 4, 0, TcpFlag.SYN)).toEqual({ kind: 'retransmission' });
    expect(r.segment(ISN, new Uint8Array(0), 0, 5, 5, 0, TcpFlag.SYN)).toEqual({ kind: 'retransmission' });
    expect(r.segment(ISN + 77, new Uint8Array(0), 0, 6, 6, 0, TcpFlag.SYN)).toEqual({ kind: 'old' });
    expect(r.setInitialSequence(ISN)).toBe(true);
    expect(r.setInitialSequence(ISN + 1)).toBe(false);
    expect(rec.chunks).toEqual([
      { offset: 0, text: 'GET', frames: [1] },
      { offset: 3, text: ' /', frames: [3] },
    ]);
  });

  it('counts the FIN: its offset ends the stream, a repeat is a retransmission, a second one elsewhere is old', () => {
    const { r, send, rec } = setup();
    send(0, 'QUIT', 1);
    expect(send(4, '\r\n', 2, TcpFlag.FIN | TcpFlag.ACK).kind).toBe('new');
    expect(r.finOffset).toBe(6);
    expect(r.finReached).toBe(true);
    expect(send(6, '', 3, TcpFlag.FIN)).toEqual({ kind: 'retransmission' });
    expect(send(4, '\r\n', 4, TcpFlag.FIN)).toEqual({ kind: 'retransmission' });
    expect(send(9, '', 5, TcpFlag.FIN)).toEqual({ kind: 'old' });
    r.finish('fin');
    expect(send(6, '', 6, TcpFlag.FIN)).toEqual({ kind: 'retransmission' });
    expect(send(6, 'more', 7)).toEqual({ kind: 'old' });
    expect(rec.text).toBe('QUIT\r\n');
  });

  it('a FIN that overtakes the last data waits for it', () => {
    const { r, send, rec } = setup();
    send(0, 'ab', 1);
    expect(send(4, '', 3, TcpFlag.FIN).kind).toBe('out-of-order');
    expect(r.finReached).toBe(false);
    expect(send(2, 'cd', 2).kind).toBe('out-of-order');
    expect(r.finReached).toBe(true);
    r.finish('fin');
    expect(rec.text).toBe('abcd');
  });

  it('ignores the payload of an RST and does nothing after finish', () => {
    const { r, send, rec } = setup();
    send(0, 'ab', 1);
    expect(send(2, 'reset reason', 2, TcpFlag.RST).kind).toBe('new');
    r.finish('rst');
    r.finish('end-of-capture');
    r.acknowledged(ISN + 100, 3);
    expect(send(2, 'cd', 4)).toEqual({ kind: 'old' });
    expect(rec.events.length).toBe(1);
    expect(rec.text).toBe('ab');
  });

  it('rejects nonsensical limits', () => {
    expect(() => new StreamReassembler(0, new Recorder(), new ReassemblyBudget(), { maxBufferedBytesPerDirection: -1 })).toThrow(RangeError);
    expect(() => new ReassemblyBudget(1.5)).toThrow(RangeError);
  });
});

describe('StreamReassembler: random arrival orders', () => {
  // Deterministic PRNG (mulberry32) so failures reproduce.

  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`seed ${seed}: any permutation of the segments gives back the original bytes and frames`, () => {
      const rand = rng(seed);
      const data = new Uint8Array(20_000).map(() => (rand() * 256) | 0);
      const segs: Array<{ start: number; end: number; frame: number }> = [];
      for (let o = 0; o < data.length; ) {
        const n = Math.min(data.length - o, 1 + ((rand() * 1500) | 0));
        segs.push({ start: o, end: o + n, frame: segs.length + 1 });
        o += n;
      }
      for (let i = segs.length - 1; i > 0; i--) {
        const j = (rand() * (i + 1)) | 0;
        [segs[i], segs[j]] = [segs[j]!, segs[i]!];
      }
      const rec = new Recorder();
      const isn = (rand() * 2 ** 32) >>> 0;
      const r = new StreamReassembler(0, rec, new ReassemblyBudget());
      r.setInitialSequence(isn);
      for (const s of segs) r.segment((isn + 1 + s.start) >>> 0, data.subarray(s.start, s.end), s.end - s.start, s.frame, s.frame, 0);
      r.finish('end-of-capture');
      expect(rec.expectTiled()).toBe(data.length);
      expect(rec.gaps).toEqual([]);
      const frameOf = new Map(segs.map((s) => [s.start, s.frame]));
      for (const c of rec.events) {
        if (c.type !== 'data') continue;
        expect(c.frames).toEqual([frameOf.get(c.offset)]);
        expect(c.tsSec).toBe(c.frames[0]);
        expect(Buffer.compare(c.bytes, data.subarray(c.offset, c.offset + c.bytes.length))).toBe(0);
      }
    });
  }
});
