// TextSpool: texts (here manifest entries as JSON) by slot, in a spool file that is never seen in its folder, or in memory when none can be made.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TextSpool } from '../../src/util/TextSpool.js';
import type { ManifestEntry } from '../../src/extract/Manifest.js';

function entry(name: string, extra: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    name, originalPath: `/pub/${name}`, kind: 'file', session: 1, command: 'RETR', argument: name, direction: 'download', stream: 3,
    size: 10, dataBytes: 10, sha256: 'ab'.repeat(32), complete: true, missing: [], missingDetail: [],
    wire: { mode: 'S', type: 'I', bytes: 10, decoding: 'MODE S, TYPE I' }, frames: { first: 1, last: 2 }, warnings: [], ...extra,
  };
}

const work = mkdtempSync(join(tmpdir(), 'ftp-inspect-entries-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** 6,000 entries (several MiB) put in scrambled slot order, the multi-byte and long ones included. */
/** The entry put at `slot`, parsed again. */
const back = (store: TextSpool, slot: number): ManifestEntry | undefined => {
  const text = store.get(slot);
  return text === undefined ? undefined : (JSON.parse(text) as ManifestEntry);
};

function fill(store: TextSpool): Map<number, ManifestEntry> {
  const put = new Map<number, ManifestEntry>();
  for (let i = 0; i < 6000; i++) {
    const slot = (i * 7919) % 6000;
    const e = entry(`файл-${slot}-😀.bin`, { warnings: [`warning ${'x'.repeat(slot % 300)}`], missing: [[slot, null]], missingDetail: [{ start: slot, end: null, reason: 'gap' }] });
    store.put(slot, JSON.stringify(e));
    put.set(slot, e);
  }
  return put;
}

describe('TextSpool', () => {
  it('with a folder: entries go to a spool file that is never seen there, memory stays at one chunk, every entry comes back', () => {
    const dir = mkdtempSync(join(work, 'spool-'));
    const store = new TextSpool(dir);
    const put = fill(store);
    expect(store.spooling).toBe(true);
    expect(store.heldBytes).toBe(1024 * 1024);
    // The spool was unlinked as soon as it was made: the user's folder holds nothing of it.
    expect(readdirSync(dir)).toEqual([]);
    for (const [slot, e] of put) expect(back(store, slot)).toEqual(e);
    // A large entry after the spool started, and entries still in the unspooled chunk.
    const big = entry('holes.bin', { missing: Array.from({ length: 100_000 }, (_, i): [number, number] => [2 * i, 2 * i + 1]) });
    store.put(6000, JSON.stringify(big));
    store.put(6001, JSON.stringify(entry('last.bin')));
    expect(back(store, 6000)).toEqual(big);
    expect(back(store, 6001)!.name).toBe('last.bin');
    expect(back(store, 17)).toEqual(put.get(17));
    expect([store.has(17), store.has(6001), store.has(6002), store.has(1_000_000)]).toEqual([true, true, false, false]);
    store.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads spooled texts back through a window: one read serves many texts wanted in the order they were put; any order still gives each back', () => {
    const store = new TextSpool(mkdtempSync(join(work, 'spool-')));
    const put = fill(store);
    expect(store.spoolReads).toBe(0);
    // In the order put (as files close and sessions end, nearly): texts of ~1,000 bytes, one read per 64 KiB window.
    for (const [slot, e] of put) expect(back(store, slot)).toEqual(e);
    expect(store.spoolReads).toBeGreaterThan(0);
    expect(store.spoolReads).toBeLessThan(put.size / 20);
    // In slot order (scrambled against the order put) and backwards.
    for (let slot = 0; slot < 6000; slot++) expect(back(store, slot)).toEqual(put.get(slot));
    for (let slot = 5999; slot >= 0; slot--) expect(back(store, slot)).toEqual(put.get(slot));
    // Texts put after a window was read (the spool grew past it), one larger than the window.
    store.put(6000, JSON.stringify(entry('later.bin', { warnings: ['w'.repeat(70_000)] })));
    for (let i = 6001; i < 9000; i++) store.put(i, JSON.stringify(entry(`later-${i}.bin`)));
    expect(back(store, 6000)!.warnings[0]).toHaveLength(70_000);
    for (let i = 6001; i < 9000; i++) expect(back(store, i)!.name).toBe(`later-${i}.bin`);
    expect(back(store, 17)).toEqual(put.get(17));
    store.close();
  });

  it('when no spool can be made there (no such folder), keeps the entries in memory and gives every one back', () => {
    const store = new TextSpool(join(work, 'does-not-exist'));
    const put = fill(store);
    expect(store.spooling).toBe(false);
    expect(store.heldBytes).toBeGreaterThan(2 * 1024 * 1024);
    for (const [slot, e] of put) expect(back(store, slot)).toEqual(e);
  });

  it('gives back every entry as it was put, in any order of slots, across chunks and with multi-byte names', () => {
    const store = new TextSpool();
    // Slots put out of order (files close in any order), enough entries to fill several 1 MiB chunks.
    const put = fill(store);
    expect(store.heldBytes).toBeGreaterThan(2 * 1024 * 1024);
    for (const [slot, e] of put) expect(back(store, slot)).toEqual(e);
    expect(back(store, 6000)).toBeUndefined();
    expect(back(store, 1_000_000)).toBeUndefined();
  });

  it('an entry larger than a chunk (thousands of missing ranges) gets a chunk of its own', () => {
    const store = new TextSpool();
    const ranges: Array<[number, number | null]> = Array.from({ length: 100_000 }, (_, i) => [2 * i, 2 * i + 1]);
    const big = entry('holes.bin', { missing: ranges, complete: false });
    store.put(0, JSON.stringify(entry('before.bin')));
    store.put(1, JSON.stringify(big));
    store.put(2, JSON.stringify(entry('after.bin')));
    expect(back(store, 1)).toEqual(big);
    expect(back(store, 0)!.name).toBe('before.bin');
    expect(back(store, 2)!.name).toBe('after.bin');
  });

  it('with a smaller batch: memory stays at that batch, every entry comes back, one larger than it too', () => {
    const dir = mkdtempSync(join(work, 'spool-'));
    const store = new TextSpool(dir, 64 * 1024);
    const put = fill(store);
    expect(store.spooling).toBe(true);
    expect(store.heldBytes).toBe(64 * 1024);
    const big = entry('holes.bin', { missing: Array.from({ length: 20_000 }, (_, i): [number, number] => [2 * i, 2 * i + 1]) });
    store.put(6000, JSON.stringify(big));
    for (const [slot, e] of put) expect(back(store, slot)).toEqual(e);
    expect(back(store, 6000)).toEqual(big);
    store.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takeBytes: each text\'s UTF-8 bytes in a buffer of the caller\'s own, unchanged by later reads (spooled, read alone, in memory)', () => {
    for (const dir of [mkdtempSync(join(work, 'spool-')), undefined]) {
      const store = new TextSpool(dir);
      const put = fill(store);
      const big = JSON.stringify(entry('holes.bin', { missing: Array.from({ length: 20_000 }, (_, i): [number, number] => [2 * i, 2 * i + 1]) }));
      store.put(6000, big);
      store.put(6001, JSON.stringify(entry('last.bin')));
      const taken = new Map<number, Buffer>();
      // In the order they were put (the window's case), then a few out of order.
      for (let slot = 0; slot <= 6001; slot++) taken.set(slot, store.takeBytes(slot)!);
      for (const slot of [5999, 3, 6001, 4000]) taken.set(-slot - 1, store.takeBytes(slot)!);
      for (const [slot, e] of put) expect(JSON.parse(taken.get(slot)!.toString('utf8'))).toEqual(e);
      expect(taken.get(6000)!.toString('utf8')).toBe(big);
      expect(taken.get(-4001)!.toString('utf8')).toBe(JSON.stringify(put.get(4000)));
      expect(store.takeBytes(6002)).toBeUndefined();
      store.close();
    }
  });
});
