import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CREATE_FLAGS, FileSink, type FileSinkOptions, type TransferInfo } from '../../src/extract/FileSink.js';
import { MAX_PENDING_JOBS, WriterThread, type WriterResult } from '../../src/extract/WriterThread.js';
import type { Manifest, ManifestEntry, ManifestWritten } from '../../src/extract/Manifest.js';
import { TransferDecoder } from '../../src/ftp/data/TransferDecoder.js';

const work = mkdtempSync(join(tmpdir(), 'ftp-inspect-extract-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
/** A fresh parent with a sentinel beside the output directory, so escapes would show. */
function fresh(): { parent: string; dir: string } {
  const parent = join(work, `t${n++}`);
  mkdirSync(parent);
  writeFileSync(join(parent, 'sentinel.txt'), 'untouched');
  return { parent, dir: join(parent, 'out') };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const enc = new TextEncoder();

/** Every path under `root` (relative, '/'-separated), symlinks not followed. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      out.push(relative(root, p).split(sep).join('/'));
      const st = lstatSync(p);
      if (st.isDirectory() && !st.isSymbolicLink()) walk(p);
    }
  };
  walk(root);
  return out;
}

function writeAll(sink: FileSink, info: TransferInfo, parts: Array<Uint8Array | number | null>): void {
  const f = sink.open(info);
  let off = 0;
  let frame = 100;
  for (const p of parts) {
    if (p === null) {
      f.gap(null, { offset: off });
    } else if (typeof p === 'number') {
      f.gap(p, { offset: off, frames: [frame++] });
      off += p;
    } else {
      f.data(p, { offset: off, frames: [frame++] });
      off += p.length;
    }
  }
  f.end();
}

const hostile = [
  '../../etc/passwd',
  '/abs/olute/path.bin',
  'C:\\Windows\\win.ini',
  '\\\\server\\share\\doc.txt',
  'CON',
  'nul.txt',
  'a\u202Eb.txt',
  'n'.repeat(300) + '.dat',
  'x'.repeat(10_000),
  'with\u0000nul',
  'new\nline\u001b[2J',
  '..',
  '../..',
  '/',
  'same.txt',
  'same.txt',
  'SAME.TXT',
  'dir/same.txt',
  '../same.txt',
];

// Small files are written by the writer thread by default; every case here runs that way and
// on the main thread (writerThread: false), which must give the same files and manifests.
for (const writerThread of [true, false]) {
  const mode = writerThread ? '' : ' (main thread)';
  const create = (dir: string, options: FileSinkOptions = {}): Promise<FileSink> => FileSink.create(dir, { writerThread, ...options });
  describe(`FileSink${mode}: hostile names never leave the output directory`, () => {
    for (const layout of ['flat', 'tree'] as const) {
      it(`${layout} layout: every hostile name lands inside, unique, with its own content`, async () => {
        const { parent, dir } = fresh();
        const before = tree(parent);
        const sink = await create(dir, { layout });
        hostile.forEach((remotePath, i) =>
          writeAll(sink, { kind: 'file', remotePath, session: 1 + (i % 2), command: 'RETR', direction: 'download' }, [enc.encode(`file ${i}`)]),
        );
        const manifest = await sink.close();
        // outside: exactly what was there, plus the output directory
        expect(tree(parent).filter((p) => !p.startsWith('out'))).toEqual(before);
        expect(readFileSync(join(parent, 'sentinel.txt'), 'utf8')).toBe('untouched');
        // inside: one file per transfer + manifest.json, nothing else, no symlink
        const files = tree(dir).filter((p) => lstatSync(join(dir, p)).isFile());
        expect(files.sort()).toEqual([...manifest.files.map((f) => f.name), 'manifest.json'].sort());
        expect(new Set(manifest.files.map((f) => f.name.toLowerCase())).size).toBe(hostile.length);
        for (const [i, f] of manifest.files.entries()) {
          expect(readFileSync(join(dir, f.name), 'utf8')).toBe(`file ${i}`);
          expect(f.originalPath).toBe(hostile[i]);
          for (const part of f.name.split('/')) {
            expect(Buffer.byteLength(part)).toBeLessThanOrEqual(255);
            expect(part).not.toMatch(/^(\.|\.\.)$|[\u0000-\u001f\u007f\u202e\\:]/);
          }
          if (layout === 'tree') expect(f.name).toMatch(/^session-[12]\//);
          else expect(f.name.includes('/')).toBe(false);
        }
        expect(manifest.files.map((f) => f.name).slice(14, 17)).toEqual(
          layout === 'flat' ? ['same.txt', 'same (2).txt', 'SAME (3).TXT'] : ['session-1/same.txt', 'session-2/same.txt', 'session-1/SAME (2).TXT'],
        );
      });
    }

    it('never follows a planted symlink or overwrites what exists: the next suffix is used', async () => {
      const { parent, dir } = fresh();
      mkdirSync(dir);
      const outsideFile = join(parent, 'sentinel.txt');
      const outsideDir = join(parent, 'elsewhere');
      mkdirSync(outsideDir);
      symlinkSync(outsideFile, join(dir, 'x.bin')); // a file name pointing outside
      symlinkSync(join(parent, 'missing-target'), join(dir, 'dangling.bin')); // dangling: O_CREAT would create the target
      writeFileSync(join(dir, 'report.pdf'), 'old report');
      const sink = await create(dir, { layout: 'tree' });
      // planted after the sink read the folder, so it is found only when the file is written
      symlinkSync(outsideDir, join(dir, 'session-1')); // a directory name pointing outside
      const flatSink = await create(dir);
      writeAll(flatSink, { kind: 'file', remotePath: 'x.bin' }, [enc.encode('new x')]);
      writeAll(flatSink, { kind: 'file', remotePath: 'dangling.bin' }, [enc.encode('new d')]);
      writeAll(flatSink, { kind: 'file', remotePath: 'report.pdf' }, [enc.encode('new report')]);
      writeAll(sink, { kind: 'file', remotePath: '/pub/in-session.txt', session: 1 }, [enc.encode('tree file')]);
      const m1 = await flatSink.close();
      const m2 = await sink.close();
      expect(m1.files.map((f) => f.name)).toEqual(['x (2).bin', 'dangling (2).bin', 'report (2).pdf']);
      expect(readFileSync(outsideFile, 'utf8')).toBe('untouched');
      expect(existsSync(join(parent, 'missing-target'))).toBe(false);
      expect(readdirSync(outsideDir)).toEqual([]);
      expect(readlinkSync(join(dir, 'x.bin'))).toBe(outsideFile);
      expect(readFileSync(join(dir, 'report.pdf'), 'utf8')).toBe('old report');
      // the symlinked session-1 is not used: the directory gets another name (or the file the top level)
      const treeName = m2.files[0]!.name;
      expect(treeName.startsWith('session-1/')).toBe(false);
      expect(readFileSync(join(dir, treeName), 'utf8')).toBe('tree file');
      expect(m2.files[0]!.warnings.join(' ')).toMatch(/could not be used safely/);
      // the second sink found manifest.json taken by the first
      expect(flatSink.manifestName).toBe('manifest.json');
      expect(sink.manifestName).toBe('manifest (2).json');
      // a sink made with the symlink there names its folder apart from the start, without going near it
      const later = await create(dir, { layout: 'tree' });
      writeAll(later, { kind: 'file', remotePath: '/pub/in-session.txt', session: 1 }, [enc.encode('tree file 2')]);
      const m3 = await later.close();
      expect(m3.files[0]!.name).toBe('session-1 (2)/pub/in-session.txt');
      expect(m3.files[0]!.warnings).toEqual([]);
      expect(readdirSync(outsideDir)).toEqual([]);
    });

    for (const layout of ['flat', 'tree'] as const) {
      it(`${layout} layout: extracting again into the same folder names the files in capture order, every time`, async () => {
        let { dir } = fresh();
        const run = async (): Promise<string[]> => {
          const sink = await create(dir, { layout });
          for (let i = 0; i < 40; i++) {
            writeAll(sink, { kind: 'file', remotePath: `/pub/f${i % 4}.bin`, session: 1 }, [enc.encode(`content ${i}`)]);
          }
          const m = await sink.close();
          for (const [i, f] of m.files.entries()) expect(readFileSync(join(dir, f.name), 'utf8')).toBe(`content ${i}`);
          return m.files.map((f) => f.name);
        };
        const first = await run();
        const second = await run();
        const prefix = layout === 'tree' ? 'session-1/pub/' : '';
        expect(first.slice(0, 8)).toEqual(['f0', 'f1', 'f2', 'f3', 'f0 (2)', 'f1 (2)', 'f2 (2)', 'f3 (2)'].map((b) => `${prefix}${b}.bin`));
        const shifted = (by: number): string[] =>
          first.map((name) => name.replace(/(?: \((\d+)\))?\.bin$/, (_m, k: string | undefined) => ` (${Number(k ?? 1) + by}).bin`));
        // the second run's files follow the first's, in the order of their transfers
        expect(second).toEqual(shifted(10));
        // a folder holding only the plain names: the first transfer of each gets " (2)" (before,
        // it got the last suffix: it found its name taken only after the others had theirs)
        const { dir: other } = fresh();
        mkdirSync(join(other, prefix), { recursive: true });
        for (let i = 0; i < 4; i++) writeFileSync(join(other, prefix, `f${i}.bin`), 'old');
        dir = other;
        expect(await run()).toEqual(shifted(1));
      });
    }
  });

  describe(`FileSink${mode}: sizes, hashes, holes`, () => {
    it('sha256 and size on the fly, first and last data frames, listing and orphan names', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      const data = new Uint8Array(3_000_000).map((_, i) => (i * 31 + (i >> 9)) & 255);
      const parts: Uint8Array[] = [];
      for (let o = 0; o < data.length; o += 1448) parts.push(data.subarray(o, o + 1448));
      writeAll(sink, { kind: 'file', remotePath: '/pub/data.bin', session: 1, command: 'RETR', direction: 'download', stream: 4 }, parts);
      writeAll(sink, { kind: 'listing', session: 1, commandFrame: 45, command: 'LIST' }, [enc.encode('-rw-r--r-- 1 u g 3 Jan 1 00:00 a\r\n')]);
      writeAll(sink, { kind: 'orphan', stream: 12, server: { ip: '198.51.100.1', port: 30017 } }, [enc.encode('??')]);
      writeAll(sink, { kind: 'file', remotePath: 'empty.txt', session: 1 }, []);
      const m = await sink.close();
      const [f, l, o, e] = m.files;
      expect(f).toMatchObject({ name: 'data.bin', size: data.length, dataBytes: data.length, sha256: sha(data), complete: true, missing: [], stream: 4 });
      expect(f!.frames).toEqual({ first: 100, last: 100 + parts.length - 1 });
      expect(sha(readFileSync(join(dir, 'data.bin')))).toBe(sha(data));
      expect(l).toMatchObject({ name: 'listing-session1-frame45.txt', kind: 'listing', direction: 'listing' });
      expect(o).toMatchObject({ name: 'orphan-stream-12-198.51.100.1-30017.bin', kind: 'orphan', session: null });
      expect(e).toMatchObject({ name: 'empty.txt', size: 0, complete: true, sha256: sha(new Uint8Array(0)) });
      const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(onDisk).toEqual(m);
      expect(onDisk.format).toBe('ftp-inspect-extract/1');
    });

    it('holes "zero" (default): missing ranges keep their size, read as zeros, and are listed', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      writeAll(sink, { kind: 'file', remotePath: 'holes.bin' }, [enc.encode('AAAA'), 1000, enc.encode('BBBB'), 5]);
      const m = await sink.close();
      const f = m.files[0]!;
      const disk = readFileSync(join(dir, 'holes.bin'));
      expect(disk.length).toBe(1013);
      expect(disk.subarray(4, 1004).every((b) => b === 0)).toBe(true);
      expect(disk.subarray(1004, 1008).toString()).toBe('BBBB');
      expect(f).toMatchObject({ size: 1013, dataBytes: 8, complete: false, missing: [[4, 1004], [1008, 1013]] });
      expect(f.missingDetail.map((x) => x.reason)).toEqual(['gap', 'gap']);
      expect(f.sha256).toBe(sha(disk));
    });

    it('holes "omit": only the bytes that came, the cuts still listed in remote-file offsets', async () => {
      const { dir } = fresh();
      const sink = await create(dir, { holes: 'omit' });
      writeAll(sink, { kind: 'file', remotePath: 'compact.bin' }, [enc.encode('AAAA'), 1000, enc.encode('BBBB')]);
      const m = await sink.close();
      expect(readFileSync(join(dir, 'compact.bin')).toString()).toBe('AAAABBBB');
      expect(m.files[0]).toMatchObject({ size: 8, complete: false, missing: [[4, 1004]] });
      expect(m.holes).toBe('omit');
    });

    it('an undecodable rest (gap of unknown size) is [start, null], or up to the announced size', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      writeAll(sink, { kind: 'file', remotePath: 'z1.bin' }, [enc.encode('abc'), null, enc.encode('ignored')]);
      writeAll(sink, { kind: 'file', remotePath: 'z2.bin', expectedSize: 100 }, [enc.encode('abc'), null]);
      const m = await sink.close();
      expect(m.files[0]).toMatchObject({ size: 3, complete: false, missing: [[3, null]] });
      expect(m.files[0]!.warnings.join()).toMatch(/7 bytes after the end/);
      expect(m.files[1]).toMatchObject({ size: 3, complete: false, missing: [[3, 100]], expectedSize: 100 });
      expect(m.files[1]!.missingDetail[0]!.reason).toBe('undecodable');
    });

    it('a transfer shorter than announced is incomplete; a longer one is kept with a warning', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      writeAll(sink, { kind: 'file', remotePath: 'short.bin', expectedSize: 10 }, [enc.encode('abc')]);
      writeAll(sink, { kind: 'file', remotePath: 'long.bin', expectedSize: 2 }, [enc.encode('abc')]);
      const m = await sink.close();
      expect(m.files[0]).toMatchObject({ size: 3, complete: false, missing: [[3, 10]] });
      expect(m.files[0]!.missingDetail[0]!.reason).toBe('short');
      expect(m.files[1]).toMatchObject({ size: 3, complete: true });
      expect(m.files[1]!.warnings).toEqual(['1 bytes more than the 2 announced']);
    });

    it('REST N: the first byte lands at offset N; [0, N] is listed as not part of the transfer', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      writeAll(sink, { kind: 'file', remotePath: 'resumed.bin', restOffset: 5000, expectedSize: 5010 }, [enc.encode('0123456789')]);
      const omit = await create(join(dir, 'omit'), { holes: 'omit' });
      writeAll(omit, { kind: 'file', remotePath: 'resumed.bin', restOffset: 5000 }, [enc.encode('0123456789')]);
      const m = await sink.close();
      const mo = await omit.close();
      const disk = readFileSync(join(dir, 'resumed.bin'));
      expect(disk.length).toBe(5010);
      expect(disk.subarray(0, 5000).every((b) => b === 0)).toBe(true);
      expect(disk.subarray(5000).toString()).toBe('0123456789');
      expect(m.files[0]).toMatchObject({ size: 5010, restOffset: 5000, complete: false, missing: [[0, 5000]], sha256: sha(disk) });
      expect(m.files[0]!.missingDetail[0]!.reason).toBe('before-rest');
      expect(readFileSync(join(dir, 'omit', 'resumed.bin')).toString()).toBe('0123456789');
      expect(mo.files[0]).toMatchObject({ size: 10, restOffset: 5000, missing: [[0, 5000]] });
    });

    it('pieces of one remote file are put together only where one starts after offset 0 (REST); a file fetched again and again from the start stays as it is', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      const key = (path: string): string => `192.0.2.1|download|${path}`;
      // The same file three times, whole each time: three files, nothing reassembled, no notes.
      for (let i = 0; i < 3; i++) writeAll(sink, { kind: 'file', remotePath: '/again.bin', pieceKey: key('/again.bin'), endsAtFileEnd: true }, [enc.encode('abcdef')]);
      // Cut after five bytes, then resumed there: the whole file once more, from both pieces.
      writeAll(sink, { kind: 'file', remotePath: '/resumed.bin', pieceKey: key('/resumed.bin') }, [enc.encode('01234')]);
      writeAll(sink, { kind: 'file', remotePath: '/resumed.bin', pieceKey: key('/resumed.bin'), restOffset: 5, endsAtFileEnd: true }, [enc.encode('56789')]);
      const m = await sink.close();
      expect(m.files.map((f) => [f.kind, f.name, f.size])).toEqual([
        ['file', 'again.bin', 6], ['file', 'again (2).bin', 6], ['file', 'again (3).bin', 6],
        ['file', 'resumed.bin', 5], ['file', 'resumed (2).bin', 10],
        ['reassembled', expect.stringMatching(/^resumed.*\.bin$/), 10],
      ]);
      expect(m.files.slice(0, 3).every((f) => f.complete && f.warnings.length === 0)).toBe(true);
      expect(readFileSync(join(dir, m.files[5]!.name)).toString()).toBe('0123456789');
      expect(m.files[5]!.sha256).toBe(sha(enc.encode('0123456789')));
    });

    it('bytes that skip ahead without a gap, or arrive twice, are not taken silently', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      const f = sink.open({ kind: 'file', remotePath: 'odd.bin' });
      f.data(enc.encode('abcd'), { offset: 0 });
      f.data(enc.encode('cdef'), { offset: 2 }); // overlap of 2
      f.data(enc.encode('XY'), { offset: 10 }); // skipped 6..10
      f.end();
      const m = await sink.close();
      expect(readFileSync(join(dir, 'odd.bin')).toString('latin1')).toBe('abcdef\0\0\0\0XY');
      expect(m.files[0]).toMatchObject({ complete: false, missing: [[6, 10]] });
      expect(m.files[0]!.missingDetail[0]!.reason).toBe('skipped');
      expect(m.files[0]!.warnings.length).toBe(2);
    });

    it('a decoder chain writes straight into a file: MODE Z + TYPE A native, and its warnings reach the manifest', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      const text = 'one\ntwo\nthree\n'.repeat(500);
      const z = zlib.deflateSync(Buffer.from(text.replaceAll('\n', '\r\n')));
      const good = sink.open({ kind: 'file', remotePath: '/t/notes.txt', session: 1, command: 'RETR', direction: 'download' });
      const dec = new TransferDecoder({ mode: 'Z', type: 'A' }, good, { ascii: 'native' });
      good.attach(dec);
      for (let o = 0; o < z.length; o += 100) dec.data(z.subarray(o, o + 100), { offset: o, frames: [o / 100 + 1] });
      dec.end();
      const cut = sink.open({ kind: 'file', remotePath: '/t/cut.txt', session: 1, command: 'RETR', direction: 'download' });
      const dec2 = new TransferDecoder({ mode: 'Z', type: 'I' }, cut);
      cut.attach(dec2);
      expect(z.length).toBeGreaterThan(40);
      dec2.data(z.subarray(0, 30), { offset: 0, frames: [1] });
      dec2.gap(10, { offset: 30, frames: [2] });
      dec2.data(z.subarray(40), { offset: 40, frames: [3] });
      dec2.end();
      await dec.settled();
      await dec2.settled();
      const m = await sink.close();
      expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe(text);
      expect(m.files[0]).toMatchObject({ complete: true, wire: { mode: 'Z', type: 'A', bytes: z.length, decoding: 'MODE Z, TYPE A (CR LF -> LF)' }, warnings: [] });
      expect(m.files[1]!.complete).toBe(false);
      expect(m.files[1]!.missing).toEqual([[m.files[1]!.size, null]]);
      expect(m.files[1]!.warnings[0]).toMatch(/^mode-z: gap of 10 bytes at wire offset 30-40 .* \(frame 2\)$/);
    });

    it('a file whose data connection never ended is closed at close(), with a warning', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      const f = sink.open({ kind: 'file', remotePath: 'open.bin' });
      f.data(enc.encode('partial'), { offset: 0 });
      const m = await sink.close();
      expect(m.files[0]!.warnings[0]).toMatch(/had not ended/);
      expect(readFileSync(join(dir, 'open.bin'), 'utf8')).toBe('partial');
    });
    it('close() ends an unfinished transfer through its decoder: MODE Z says the stream had no end marker', async () => {
      const { dir } = fresh();
      const sink = await create(dir);
      const z = zlib.deflateSync(Buffer.from('x'.repeat(100_000)));
      const f = sink.open({ kind: 'file', remotePath: 'unfinished.txt' });
      const dec = new TransferDecoder({ mode: 'Z', type: 'I' }, f);
      f.attach(dec);
      dec.data(z.subarray(0, z.length - 6), { offset: 0, frames: [5] });
      const m = await sink.close(); // no dec.end(), no await dec.settled(): close() does both
      const e = m.files[0]!;
      // everything the bytes that came can give (the cut took the last deflate codes with the trailer)
      const most = zlib.inflateSync(z.subarray(0, z.length - 6), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length;
      expect(most).toBeGreaterThan(99_000);
      expect(e.size).toBe(most);
      expect(e.complete).toBe(false);
      expect(e.missing).toEqual([[most, null]]);
      expect(e.warnings.some((w) => w.startsWith('mode-z: MODE Z stream ends before its end marker'))).toBe(true);
      expect(e.warnings.some((w) => w.includes('had not ended'))).toBe(true);
    });

    it('onChunkEnd also waits for input a MODE Z decoder still holds', async () => {
      const { dir } = fresh();
      const sink = await create(dir, { maxBufferedBytes: 1000 });
      const f = sink.open({ kind: 'file', remotePath: 'held.bin' });
      const dec = new TransferDecoder({ mode: 'Z', type: 'I' }, f);
      f.attach(dec);
      const z = zlib.deflateSync(randomBytes(4000));
      dec.data(z, { offset: 0 });
      expect(dec.heldBytes).toBeGreaterThan(1000);
      const wait = sink.onChunkEnd();
      expect(wait).toBeDefined();
      await wait;
      expect(dec.heldBytes).toBe(0);
      dec.end();
      const m = await sink.close();
      expect(m.files[0]).toMatchObject({ size: 4000, complete: true });
    });
  });
}

describe('FileSink: batch buffers reused across files', () => {
  it('files written in turn, in batches, small and large, each keep their own bytes (written batches lend their memory to the next)', async () => {
    const { dir } = fresh();
    const batch = 4096;
    const sink = await FileSink.create(dir, { batchBytes: batch, maxBufferedBytes: 4 * batch });
    // Four files fed in turn, in pieces that straddle batch boundaries, with a hole in one; two
    // end small (written at their end), two are long (written by the pump while others fill).
    const sizes = [3 * batch + 17, batch - 5, 20 * batch + 1, 100];
    const contents = sizes.map((n) => randomBytes(n));
    const files = sizes.map((_, i) => sink.open({ kind: 'file', remotePath: `f${i}.bin`, direction: 'download' }));
    const offsets = sizes.map(() => 0);
    for (let step = 0; offsets.some((o, i) => o < sizes[i]!); step++) {
      for (let i = 0; i < files.length; i++) {
        const o = offsets[i]!;
        if (o >= sizes[i]!) continue;
        const piece = contents[i]!.subarray(o, Math.min(sizes[i]!, o + 1000 + ((step * 7 + i * 131) % 1500)));
        files[i]!.data(piece, { offset: o, frames: [step + 1] });
        offsets[i] = o + piece.length;
        if (offsets[i]! >= sizes[i]!) files[i]!.end();
      }
      const wait = sink.onChunkEnd();
      if (wait !== undefined) await wait;
    }
    const m = await sink.close();
    for (let i = 0; i < files.length; i++) {
      expect(readFileSync(join(dir, `f${i}.bin`)).equals(contents[i]!), `f${i}.bin`).toBe(true);
      expect(m.files[i]).toMatchObject({ name: `f${i}.bin`, size: sizes[i], sha256: sha(contents[i]!), complete: true });
    }
  });
});

describe('FileSink: memory stays bounded', () => {
  it('streams 1 GiB through with onChunkEnd between input chunks: buffered bytes stay under the limit', async () => {
    const { dir } = fresh();
    const limit = 8 * 1024 * 1024;
    const sink = await FileSink.create(dir, { maxBufferedBytes: limit, batchBytes: 1024 * 1024 });
    const f = sink.open({ kind: 'file', remotePath: 'huge.bin', direction: 'download' });
    const chunk = new Uint8Array(64 * 1024);
    const hash = createHash('sha256');
    const total = 1024 * 1024 * 1024;
    const inputChunk = 1024 * 1024; // what one read of the capture delivers between two onChunkEnd calls
    const rss0 = process.memoryUsage().rss;
    let maxRss = rss0;
    for (let off = 0, i = 0; off < total; off += chunk.length, i++) {
      chunk.fill(i & 255, 0, 8); // vary the content a little
      chunk[chunk.length - 1] = (i >> 8) & 255;
      hash.update(chunk);
      f.data(chunk, { offset: off, frames: [i + 1] });
      if ((off + chunk.length) % inputChunk === 0) {
        const wait = sink.onChunkEnd();
        if (wait !== undefined) await wait;
        if (i % 1024 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
      }
    }
    f.end();
    const m = await sink.close();
    expect(sink.peakBufferedBytes).toBeLessThanOrEqual(limit + inputChunk);
    expect(sink.bufferedBytes).toBe(0);
    expect(m.files[0]).toMatchObject({ size: total, dataBytes: total, sha256: hash.digest('hex'), complete: true });
    expect(lstatSync(join(dir, 'huge.bin')).size).toBe(total);
    // loose: the process did not grow by anything like the file's size
    expect(maxRss - rss0).toBeLessThan(256 * 1024 * 1024);
    rmSync(join(dir, 'huge.bin'));
  }, 300_000);
});

describe('FileSink: the writer thread', () => {
  const files = (n: number, tag: string): Array<{ info: TransferInfo; bytes: Uint8Array }> =>
    Array.from({ length: n }, (_, i) => ({ info: { kind: 'file', remotePath: `/pub/${tag}-${i}.bin`, command: 'RETR', direction: 'download' }, bytes: enc.encode(`${tag} ${i} `.repeat(i + 1)) }));

  it('writes the same files and manifest as the main thread, names taken on disk included', async () => {
    const manifests: Manifest[] = [];
    for (const writerThread of [true, false]) {
      const { dir } = fresh();
      mkdirSync(dir);
      writeFileSync(join(dir, 'a-3.bin'), 'there before');
      const sink = await FileSink.create(dir, { writerThread });
      for (const { info, bytes } of files(40, 'a')) writeAll(sink, info, [bytes.subarray(0, 5), 7, bytes.subarray(5)]);
      const m = await sink.close();
      for (const f of m.files) expect(sha(readFileSync(join(dir, f.name)))).toBe(f.sha256);
      expect(readFileSync(join(dir, 'a-3.bin'), 'utf8')).toBe('there before');
      manifests.push(m);
    }
    expect(manifests[0]).toEqual(manifests[1]);
    expect(manifests[0]!.files[3]!.name).toBe('a-3 (2).bin');
  });

  it('jobs of one turn share a batch buffer that goes to the thread with them; a job sent back (name taken) gets its bytes in a buffer of its own', async () => {
    const { dir } = fresh();
    mkdirSync(dir);
    const parent = realpathSync(dir);
    writeFileSync(join(parent, 'taken.txt'), 'there before');
    const w = new WriterThread(CREATE_FLAGS);
    const run = (name: string, part: Uint8Array): Promise<WriterResult> =>
      new Promise((resolve) => expect(w.submit({ abs: join(parent, name), parent, dirs: [], parts: [part], truncate: false }, resolve)).toBe(true));
    for (let turn = 0; turn < 3; turn++) {
      const a = w.space(5);
      a.set(enc.encode(`one-${turn}`));
      const b = w.space(3);
      b.set(enc.encode('abc'));
      expect(a.buffer).toBe(b.buffer);
      const [r1, r2] = await Promise.all([run(`one-${turn}.txt`, a), run('taken.txt', b)]);
      expect(r1).toMatchObject({ status: 'written', size: 5, sha256: sha(enc.encode(`one-${turn}`)) });
      expect(readFileSync(join(parent, `one-${turn}.txt`), 'utf8')).toBe(`one-${turn}`);
      // The batch buffer went to the thread: the views here are empty now.
      expect(a.byteLength).toBe(0);
      expect(r2.status).toBe('taken');
      const back = (r2 as { parts: Uint8Array[] }).parts[0]!;
      expect(Buffer.from(back).toString()).toBe('abc');
      expect(back.buffer.byteLength).toBe(3);
    }
    expect(readFileSync(join(parent, 'taken.txt'), 'utf8')).toBe('there before');
    await w.close();
  });

  it('endInputs ends a file whose input never ended, with a warning, and it closes without finish()', async () => {
    const { dir } = fresh();
    const sink = await FileSink.create(dir);
    const f = sink.open({ kind: 'file', remotePath: '/pub/cut.bin', command: 'RETR', direction: 'download' });
    f.data(enc.encode('half of it'), { offset: 0, frames: [7] });
    let closed = false;
    void f.closed.then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    await sink.endInputs();
    const entry = await f.closed;
    expect(entry.size).toBe(10);
    expect(entry.warnings).toContain('the data connection had not ended when extraction closed (capture ended mid-transfer?)');
    expect(readFileSync(join(dir, entry.name), 'utf8')).toBe('half of it');
    expect((await sink.close()).files).toHaveLength(1);
  });

  it('reuses the first tails of small files without letting one file\'s bytes into the next', async () => {
    for (const writerThread of [true, false]) {
      const { dir } = fresh();
      const sink = await FileSink.create(dir, { writerThread });
      // From more than one first tail (64 KiB) down to 700 bytes, each file its own byte value.
      const contents = Array.from({ length: 100 }, (_, i) => Buffer.alloc(70_000 - i * 693, i + 1));
      contents.forEach((c, i) => writeAll(sink, { kind: 'file', remotePath: `/pub/t-${i}.bin`, command: 'RETR', direction: 'download' }, [c.subarray(0, 10), c.subarray(10)]));
      const m = await sink.close();
      expect(m.files).toHaveLength(100);
      m.files.forEach((f, i) => {
        expect(readFileSync(join(dir, f.name)).equals(contents[i]!)).toBe(true);
        expect(f.sha256).toBe(sha(contents[i]!));
      });
    }
  });

  it(`bounds the files waiting for it: onChunkEnd waits while more than ${MAX_PENDING_JOBS} are unanswered, until half of that`, async () => {
    const { dir } = fresh();
    const sink = await FileSink.create(dir);
    const writer = sink.writer!;
    for (const { info } of files(3000, 'b')) writeAll(sink, info, [enc.encode('8 bytes.')]);
    expect(writer.pending).toBe(3000);
    const wait = sink.onChunkEnd();
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(writer.pending).toBeLessThanOrEqual(MAX_PENDING_JOBS / 2);
    const m = await sink.close();
    expect(m.files).toHaveLength(3000);
    expect(m.files.every((f) => f.complete && f.size === 8)).toBe(true);
  });

  it('a thread that dies: the files it had are failed, saying so; later files are written on the main thread', async () => {
    const { dir } = fresh();
    // Says it is ready, then dies at its first batch of jobs, before writing anything.
    const dying = new WriterThread(CREATE_FLAGS, {
      source: "const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => process.exit(7)); parentPort.postMessage('ready');",
    });
    const sink = await FileSink.create(dir, { writerThread: dying });
    for (const { info, bytes } of files(3, 'c')) writeAll(sink, info, [bytes]);
    await new Promise((r) => setTimeout(r, 200));
    for (const { info, bytes } of files(2, 'd')) writeAll(sink, info, [bytes]);
    const m = await sink.close();
    expect(m.files.slice(0, 3).map((f) => [f.complete, f.size, f.error])).toEqual(Array(3).fill([false, 0, 'not written: the writer thread exited (code 7)']));
    for (const f of m.files.slice(3)) {
      expect(f.complete).toBe(true);
      expect(sha(readFileSync(join(dir, f.name)))).toBe(f.sha256);
    }
  });

  it('a thread that cannot start: every file is written on the main thread', async () => {
    const { dir } = fresh();
    const broken = new WriterThread(CREATE_FLAGS, { source: "throw new Error('no thread today');" });
    const sink = await FileSink.create(dir, { writerThread: broken });
    for (const { info, bytes } of files(3, 'e')) writeAll(sink, info, [bytes]);
    const m = await sink.close();
    // No job is posted before the thread says it is ready: none was lost.
    for (const f of m.files) {
      expect(f.complete).toBe(true);
      expect(sha(readFileSync(join(dir, f.name)))).toBe(f.sha256);
      expect(f.warnings).toEqual(['the writer thread failed: no thread today; written by the main thread']);
    }
    expect(readdirSync(dir).sort()).toEqual([...m.files.map((f) => f.name), 'manifest.json'].sort());
  });
});

describe('FileSink.finish: the manifest entry by entry', () => {
  /** 3,000 small files (their entries, some 1.5 MB, go through the spool file), one of them with a gap. */
  async function manyFiles(dir: string): Promise<FileSink> {
    const sink = await FileSink.create(dir);
    for (let i = 0; i < 3000; i++) {
      const parts = i === 7 ? [enc.encode('head'), 10, enc.encode('tail')] : [enc.encode(`content of file ${i}`)];
      writeAll(sink, { kind: 'file', remotePath: `/pub/dir-${i % 5}/file-${i}.bin`, session: 1 + (i % 3), command: 'RETR', direction: 'download' }, parts);
    }
    return sink;
  }

  it('writes manifest.json as JSON.stringify of the whole manifest would, and the listener hears every entry and all the text', async () => {
    const { dir } = fresh();
    const sink = await manyFiles(dir);
    const entries: ManifestEntry[] = [];
    const pieces: string[] = [];
    let started: ManifestWritten | undefined;
    const written = await sink.finish({
      start: (m) => void (started = m),
      entry: (e) => void entries.push(e),
      text: (t) => void pieces.push(t),
    });
    expect(started).toEqual(written);
    expect(written).toEqual({ format: 'ftp-inspect-extract/1', layout: 'flat', holes: 'zero', name: 'manifest.json', fileCount: 3000 });
    const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    expect(text).toBe(`${JSON.stringify({ format: written.format, layout: written.layout, holes: written.holes, files: entries }, null, 1)}\n`);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(text);
    expect(entries[7]!.missing).toEqual([[4, 14]]);
    for (const f of [entries[0]!, entries[2999]!]) expect(sha(readFileSync(join(dir, f.name)))).toBe(f.sha256);
    // Nothing in the folder but the files and the manifest (the spool was never visible).
    expect(readdirSync(dir).sort()).toEqual([...entries.map((f) => f.name), 'manifest.json'].sort());
  });

  it('a listener that fails (its reader went away) stops hearing, and the manifest is still written whole', async () => {
    const { dir } = fresh();
    const sink = await manyFiles(dir);
    let heard = 0;
    const failing = sink.finish({
      entry: () => {
        if (++heard === 10) throw new Error('EPIPE, say');
      },
    });
    await expect(failing).rejects.toThrow('EPIPE, say');
    expect(heard).toBe(10);
    const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(onDisk.files).toHaveLength(3000);
  });

  it('no files: an empty list, as JSON.stringify writes it', async () => {
    const { dir } = fresh();
    const sink = await FileSink.create(dir);
    const written = await sink.finish();
    expect(written.fileCount).toBe(0);
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(`${JSON.stringify({ format: written.format, layout: 'flat', holes: 'zero', files: [] }, null, 1)}\n`);
  });
});
