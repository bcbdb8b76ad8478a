import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSink, type FileSinkOptions } from '../../src/extract/FileSink.js';
import { HashThread } from '../../src/extract/HashThread.js';
import type { Manifest } from '../../src/extract/Manifest.js';

const work = mkdtempSync(join(tmpdir(), 'ftp-inspect-hash-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const sha = (...parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe('HashThread', () => {
  it('hashes interleaved streams in order, runs of zeros included; given buffers go and come back with their bytes, others are copied', async () => {
    const t = new HashThread();
    const a = t.start()!;
    const b = t.start()!;
    expect(a).not.toBe(b);
    const parts = [randomBytes(5000), randomBytes(70_000), randomBytes(1)];
    // Own memory (given away) and a view into a shared one (copied: never detached).
    const own = parts.map((p) => {
      const u = new Uint8Array(new ArrayBuffer(p.length + 10), 10, p.length);
      u.set(p);
      return u;
    });
    const pool = Buffer.concat(parts);
    const views = [pool.subarray(0, 5000), pool.subarray(5000, 75_000), pool.subarray(75_000)];
    const backA = t.update(a, own, () => true);
    t.zeros(a, 3 * 1024 * 1024 + 7);
    const backB = t.update(b, views, () => false);
    const backA2 = t.update(a, [new Uint8Array(0)], () => true);
    const [digestA, digestB] = await Promise.all([t.digest(a), t.digest(b)]);
    expect(digestA).toBe(sha(...parts, new Uint8Array(3 * 1024 * 1024 + 7)));
    expect(digestB).toBe(sha(...parts));
    // Given: detached here, back in the same order with the same bytes at the same place.
    expect(own.every((u) => u.byteLength === 0)).toBe(true);
    const back = await backA;
    expect(back.map((x) => x.byteLength)).toEqual(parts.map((p) => p.length + 10));
    back.forEach((x, i) => expect(Buffer.from(x, 10).equals(parts[i]!)).toBe(true));
    // Copied: nothing to give back, and the caller's memory untouched.
    expect(await backB).toEqual([]);
    expect(await backA2).toEqual([]);
    expect(Buffer.concat(views).equals(pool)).toBe(true);
    await t.close();
    expect(t.start()).toBeUndefined();
  });

  it('a thread that dies: pending and later digests are undefined, given buffers are not returned, and start() says no', async () => {
    const t = new HashThread({ source: "const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => process.exit(3)); parentPort.postMessage('ready');" });
    const id = t.start()!;
    const back = t.update(id, [new Uint8Array(new ArrayBuffer(8))], () => true);
    expect(await t.digest(id)).toBeUndefined();
    expect(await back).toEqual([]);
    expect(t.failure).toBe('the hashing thread exited (code 3)');
    expect(t.start()).toBeUndefined();
    await t.close();
  });
});

describe('FileSink with the hashing thread', () => {
  /** Files of several batches, with holes at the start, in the middle and at the end (written by the pump). */
  async function pumped(options: FileSinkOptions): Promise<{ dir: string; m: Manifest; contents: Buffer[] }> {
    const dir = join(work, `t${n++}`);
    const batch = 4096;
    const sink = await FileSink.create(dir, { batchBytes: batch, maxBufferedBytes: 4 * batch, ...options });
    const shapes: Array<Array<Buffer | number>> = [
      [randomBytes(3 * batch + 11), 5000, randomBytes(batch * 2)],
      [7000, randomBytes(5 * batch)],
      [randomBytes(2 * batch + 1), 9000],
    ];
    const contents: Buffer[] = [];
    shapes.forEach((parts, i) => {
      const f = sink.open({ kind: 'file', remotePath: `/pub/p${i}.bin`, direction: 'download' });
      let off = 0;
      for (const p of parts) {
        if (typeof p === 'number') f.gap(p, { offset: off });
        else {
          // In pieces, so batches are made of several tails.
          for (let at = 0; at < p.length; at += 1500) f.data(p.subarray(at, at + 1500), { offset: off + at, frames: [i + 1] });
        }
        off += typeof p === 'number' ? p : p.length;
      }
      f.end();
      contents.push(Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.alloc(p) : p))));
    });
    const m = await sink.close();
    expect(sink.bufferedBytes).toBe(0);
    return { dir, m, contents };
  }

  it('the thread, the main thread and a thread that died all give the sha256 of the file on disk', async () => {
    const runs = [
      { options: { hashThread: true }, warning: undefined },
      { options: { hashThread: false }, warning: undefined },
      {
        options: { hashThread: new HashThread({ source: "const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => process.exit(5)); parentPort.postMessage('ready');" }) },
        warning: 'sha256 computed by reading the file back: the hashing thread exited (code 5)',
      },
      {
        options: { hashThread: new HashThread({ source: "throw new Error('no thread today');" }) },
        warning: 'sha256 computed by reading the file back: the hashing thread failed: no thread today',
      },
    ];
    for (const { options, warning } of runs) {
      const { dir, m, contents } = await pumped(options);
      expect(m.files).toHaveLength(3);
      m.files.forEach((f, i) => {
        const onDisk = readFileSync(join(dir, f.name));
        expect(onDisk.equals(contents[i]!)).toBe(true);
        expect(f.sha256).toBe(sha(onDisk));
        expect(f.size).toBe(contents[i]!.length);
        expect(f.error).toBeUndefined();
        expect(f.warnings).toEqual(warning === undefined ? [] : [warning]);
      });
    }
  });
});

describe('FileSink on a disk that fills up', () => {
  // A 256 KiB tmpfs (root only: mount(8)); a file of several batches outgrows it.
  const mountPoint = join(work, 'small-disk');
  let mounted = false;
  try {
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    mounted = true;
  } catch {
    // not root, or no mount(8)
  }
  afterAll(() => {
    if (mounted) execFileSync('umount', [mountPoint]);
  });
  const test = mounted ? it : it.skip;

  test(`the file that does not fit is failed (ENOSPC) with the sha256 of what was handed in, the next one still written${mounted ? '' : ' (skipped: mounting a small tmpfs needs root)'}`, async () => {
    for (const hashThread of [true, false]) {
      const dir = join(mountPoint, `out-${hashThread}`);
      const sink = await FileSink.create(dir, { batchBytes: 64 * 1024, maxBufferedBytes: 256 * 1024, hashThread });
      const big = randomBytes(1024 * 1024);
      const f = sink.open({ kind: 'file', remotePath: '/pub/big.bin', direction: 'download' });
      for (let at = 0; at < big.length; at += 32 * 1024) {
        f.data(big.subarray(at, at + 32 * 1024), { offset: at, frames: [1] });
        const wait = sink.onChunkEnd();
        if (wait !== undefined) await wait;
      }
      f.end();
      const entry = await f.closed;
      expect(entry.error).toMatch(/^write failed: .*ENOSPC/);
      expect(entry.complete).toBe(false);
      expect(entry.size).toBeLessThan(big.length);
      // The hash is of the bytes handed in up to the failure: what was written and the batch
      // that failed (the bytes came in pieces of 32 KiB, so it ends at a multiple of that).
      const hashedUpTo = Array.from({ length: 33 }, (_, k) => k * 32 * 1024).find((n) => sha(big.subarray(0, n)) === entry.sha256);
      expect(hashedUpTo, `hashThread ${hashThread}`).toBeGreaterThan(entry.size);
      expect(hashedUpTo).toBeLessThanOrEqual(entry.dataBytes);
      rmSync(join(dir, entry.name));
      const small = randomBytes(5000);
      const g = sink.open({ kind: 'file', remotePath: '/pub/small.bin', direction: 'download' });
      g.data(small, { offset: 0, frames: [2] });
      g.end();
      const m = await sink.close();
      expect(m.files[1]).toMatchObject({ size: 5000, sha256: sha(small), complete: true });
      expect(sink.bufferedBytes).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
