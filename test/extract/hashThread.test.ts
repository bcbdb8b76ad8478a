import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
