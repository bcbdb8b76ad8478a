// SlotMap: a Map's behaviour for keys that come and go by the thousand, without a Map's old
// hash tables keeping deleted values alive for V8's young-generation collector.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SlotMap } from '../../src/util/SlotMap.js';

describe('SlotMap', () => {
  it('gets, sets, deletes and iterates like a Map, in the order keys were first set', () => {
    const m = new SlotMap<number, string>();
    const ref = new Map<number, string>();
    // Keys come and go; a deleted key set again goes to the end, as in a Map; a value replaced keeps its place.
    const ops: Array<[number, string | null]> = [[1, 'a'], [2, 'b'], [3, 'c'], [2, null], [4, 'd'], [1, 'A'], [2, 'B'], [5, 'e'], [3, null], [6, 'f']];
    for (const [k, v] of ops) {
      if (v === null) expect(m.delete(k)).toBe(ref.delete(k));
      else {
        m.set(k, v);
        ref.set(k, v);
      }
      expect([...m]).toEqual([...ref]);
      expect(m.size).toBe(ref.size);
    }
    expect([...m.keys()]).toEqual([1, 4, 2, 5, 6]);
    expect([...m.values()]).toEqual(['A', 'd', 'B', 'e', 'f']);
    expect([m.get(3), m.has(3), m.delete(3), m.get(4), m.has(4)]).toEqual([undefined, false, false, 'd', true]);
    m.clear();
    expect([m.size, [...m], m.get(1)]).toEqual([0, [], undefined]);
  });

  it('reuses freed slots: 100,000 keys through it, a few at a time, all right', () => {
    const m = new SlotMap<string, { n: number }>();
    for (let i = 0; i < 100_000; i++) {
      m.set(`k${i}`, { n: i });
      if (i >= 8) {
        expect(m.get(`k${i - 8}`)!.n).toBe(i - 8);
        m.delete(`k${i - 8}`);
      }
    }
    expect(m.size).toBe(8);
    expect([...m.values()].map((v) => v.n)).toEqual([99_992, 99_993, 99_994, 99_995, 99_996, 99_997, 99_998, 99_999]);
  });

  it('a deleted value is not promoted to the old generation: churning 200,000 session-like values promotes a few MB, not the values', () => {
    // In a child, as V8 itself counts it (--trace-gc-nvp: bytes promoted by each scavenge). The
    // built SlotMap (npm test builds first) against a Map used the same way.
    const script = `
      const { SlotMap } = await import(${JSON.stringify(join(process.cwd(), 'dist/util/SlotMap.js'))});
      const kind = process.argv[1];
      const m = kind === 'map' ? new Map() : new SlotMap();
      // Old enough to be in the old generation, as the pipeline's long-lived maps are.
      for (let i = 0; i < 1000; i++) m.set(-i - 1, { i });
      for (let i = 0; i < 1000; i++) m.delete(-i - 1);
      globalThis.gc();
      globalThis.gc();
      let n = 0;
      for (let i = 0; i < 200000; i++) {
        const s = { id: i, lines: [] };
        for (let k = 0; k < 20; k++) s.lines.push({ k, text: 'line ' + k + ' of ' + i });
        m.set(i, s);
        if (i >= 10) m.delete(i - 10);
        n += m.size;
      }
      console.log('n=' + n);
    `;
    const promoted = (kind: string): number => {
      const out = execFileSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', '--input-type=module', '-e', script, kind], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(out).toContain('n=');
      let bytes = 0;
      for (const m of out.matchAll(/ gc=s .*? promoted=(\d+)/g)) bytes += Number(m[1]);
      return bytes / 1e6;
    };
    const slot = promoted('slot');
    const map = promoted('map');
    // About 400 MB allocated either way. What a Map does is V8's business (Node 20: ~100 MB
    // promoted); what matters here is that SlotMap promotes little, and less than a Map.
    expect(slot).toBeLessThan(10);
    expect(slot).toBeLessThanOrEqual(map);
  }, 60_000);
});
