import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CaptureFormatError, type Frame } from '../../src/capture/Frame.js';
import { frames, readCapture } from '../../src/capture/readCapture.js';
import { LINKTYPE, timestampUnits, writePcap, writePcapng } from '../helpers/captureWriter.js';

const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 5 + seed) & 0xff);
const T = 1_700_000_000;
const records = Array.from({ length: 50 }, (_, i) => ({ tsSec: T + i, tsNsec: i * 1000, data: bytes(60 + i * 20, i) }));
const pcap = writePcap({ linkType: LINKTYPE.ETHERNET }, records);
const pcapng = writePcapng([{ blocks: [{ type: 'idb', tsresol: 9 }, ...records.map((r) => ({ type: 'epb' as const, timestamp: timestampUnits(r.tsSec, r.tsNsec, 9), data: r.data }))] }]);

/** What a frame says, with its bytes copied (they are only valid during the callback). */
const snapshot = (f: Frame) => ({ no: f.no, tsSec: f.tsSec, tsNsec: f.tsNsec, len: f.originalLength, data: Buffer.from(f.data).toString('hex') });
const expected = records.map((r, i) => ({ no: i + 1, tsSec: r.tsSec, tsNsec: r.tsNsec, len: r.data.length, data: Buffer.from(r.data).toString('hex') }));

async function collect(source: Parameters<typeof readCapture>[0], options?: Parameters<typeof readCapture>[2]) {
  const seen: ReturnType<typeof snapshot>[] = [];
  const summary = await readCapture(source, (f) => seen.push(snapshot(f)), options);
  return { seen, summary };
}

describe('readCapture.test.ts: paths, gzip, standard input and streams', () => {
  it('reads a pcap file by path, in small chunks, and summarises it', async () => {
    const path = file('trace.pcap', pcap);
    const { seen, summary } = await collect(path, { chunkSize: 333 });
    expect(seen).toEqual(expected);
    expect(summary).toMatchObject({ format: 'pcap', frames: 50, warnings: [], gzip: false, bytes: pcap.length });
    expect(summary.info).toMatchObject({ format: 'pcap', linkType: 1 });
  });

  it('reads a pcapng file by path', async () => {
    const { seen, summary } = await collect(file('trace.pcapng', pcapng));
    expect(seen).toEqual(expected);
    expect(summary.format).toBe('pcapng');
    expect(summary.info.format === 'pcapng' && summary.info.interfaces).toHaveLength(1);
  });

  it('recognises gzip by content, not by name', async () => {
    const zipped = file('looks-plain.pcap', gzipSync(pcapng));
    const { seen, summary } = await collect(zipped, { chunkSize: 100 });
    expect(seen).toEqual(expected);
    expect(summary).toMatchObject({ gzip: true, bytes: pcapng.length, warnings: [] });

    const notZipped = await collect(file('not-really.pcap.gz', pcap));
    expect(notZipped.seen).toEqual(expected);
    expect(notZipped.summary.gzip).toBe(false);
  });

  it('reads concatenated gzip members', async () => {
    const half = 24 + records.slice(0, 10).reduce((n, r) => n + 16 + r.data.length, 0);
    const twoMembers = Buffer.concat([gzipSync(pcap.subarray(0, half)), gzipSync(pcap.subarray(half))]);
    expect((await collect(file('two.pcap.gz', twoMembers))).seen).toEqual(expected);
  });

  it('keeps the frames of a cut-short gzip file and warns', async () => {
    const zipped = gzipSync(pcap);
    const { seen, summary } = await collect(file('cut.pcap.gz', zipped.subarray(0, Math.floor(zipped.length * 0.6))));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(50);
    expect(seen).toEqual(expected.slice(0, seen.length));
    expect(summary.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/^gzip data is damaged or cut short/));
  });

  it("reads standard input for '-'", async () => {
    const stdin = Readable.from([pcap.subarray(0, 1), pcap.subarray(1, 100), pcap.subarray(100)]);
    const spy = vi.spyOn(process, 'stdin', 'get').mockReturnValue(stdin as unknown as typeof process.stdin);
    try {
      const { seen, summary } = await collect('-');
      expect(seen).toEqual(expected);
      expect(summary.format).toBe('pcap');
    } finally {
      spy.mockRestore();
    }
  });

  it("names standard input in errors for '-'", async () => {
    const stdin = Readable.from([Buffer.from('not a capture')]);
    const spy = vi.spyOn(process, 'stdin', 'get').mockReturnValue(stdin as unknown as typeof process.stdin);
    try {
      await expect(collect('-')).rejects.toThrow('standard input: not a pcap or pcapng capture (starts with 6e 6f 74 20 "not ")');
    } finally {
      spy.mockRestore();
    }
  });

  it('reads a stream, gzip included, delivered in awkward pieces', async () => {
    const zipped = gzipSync(pcapng);
    const stream = new PassThrough();
    const done = collect(stream, { name: 'pipe' });
    for (let o = 0; o < zipped.length; o += 7) stream.write(zipped.subarray(o, o + 7));
    stream.end();
    const { seen, summary } = await done;
    expect(seen).toEqual(expected);
    expect(summary.gzip).toBe(true);
  });

  it('offers an async iterator whose return value is the summary', async () => {
    const path = file('iter.pcap', pcap);
    const seen: ReturnType<typeof snapshot>[] = [];
    for await (const f of frames(path, { chunkSize: 1000 })) seen.push(snapshot(f));
    expect(seen).toEqual(expected);

    const it = frames(file('iter2.pcapng', pcapng));
    let r = await it.next();
    let n = 0;
    while (r.done !== true) {
      n++;
      r = await it.next();
    }
    expect(n).toBe(50);
    expect(r.value).toMatchObject({ format: 'pcapng', frames: 50 });
  });

  it('says in one line what a non-capture file starts with', async () => {
    const path = file('notes.txt', 'Hello, this is not a capture\n');
    await expect(collect(path)).rejects.toThrow(CaptureFormatError);
    await expect(collect(path)).rejects.toThrow(`${path}: not a pcap or pcapng capture (starts with 48 65 6c 6c "Hell")`);
    await expect(collect(path, { name: 'notes.txt' })).rejects.toThrow('notes.txt: not a pcap or pcapng capture (starts with 48 65 6c 6c "Hell")');
  });

  it('never echoes control characters from the file', async () => {
    const error = await collect(file('evil.bin', Buffer.from('\x1b[2J\x07more')), { name: 'evil.bin' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CaptureFormatError);
    expect((error as Error).message).toBe('evil.bin: not a pcap or pcapng capture (starts with 1b 5b 32 4a ".[2J")');
  });

  it('explains empty, tiny and gzip-wrapped non-captures', async () => {
    await expect(collect(file('empty.pcap', ''), { name: 'empty.pcap' })).rejects.toThrow('empty.pcap: empty file (0 bytes), not a pcap or pcapng capture');
    await expect(collect(file('tiny.pcap', Buffer.of(0xd4)), { name: 'tiny.pcap' })).rejects.toThrow('tiny.pcap: only 1 byte (d4 "."), too short for a pcap or pcapng capture');
    await expect(collect(file('text.gz', gzipSync('just text')), { name: 'text.gz' })).rejects.toThrow('text.gz: not a pcap or pcapng capture (starts with 6a 75 73 74 "just")');
    await expect(collect(file('empty.gz', gzipSync(Buffer.alloc(0))), { name: 'empty.gz' })).rejects.toThrow('empty.gz: empty file (0 bytes)');
  });

  it('passes file-system errors through', async () => {
    await expect(collect(join(dir, 'missing.pcap'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses text streams', async () => {
    await expect(collect(Readable.from(['text chunks']))).rejects.toThrow(/must deliver bytes/);
  });

  it('waits for onChunkEnd after each chunk before reading on', async () => {
    const path = file('paced.pcap', pcap);
    const events: string[] = [];
    let pending = 0;
    const summary = await readCapture(path, () => {
      expect(pending).toBe(0);
      events.push('frame');
    }, {
      chunkSize: 500,
      onChunkEnd: async () => {
        pending++;
        events.push('chunk');
        await new Promise((r) => setTimeout(r, 1));
        pending--;
      },
    });
    expect(summary.frames).toBe(50);
    expect(events.filter((e) => e === 'chunk')).toHaveLength(Math.ceil(pcap.length / 500));
    expect(events.filter((e) => e === 'frame')).toHaveLength(50);
  });

  it('stops reading when the callback throws', async () => {
    const path = file('throw.pcap', pcap);
    let calls = 0;
    await expect(readCapture(path, () => { if (++calls === 3) throw new Error('enough'); }, { chunkSize: 64 })).rejects.toThrow('enough');
    expect(calls).toBe(3);
  });
});
