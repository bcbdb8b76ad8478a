import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataConnectionWriter } from '../../src/extract/DataConnectionWriter.js';
import { FileSink } from '../../src/extract/FileSink.js';
import { TransferDecoder } from '../../src/ftp/data/TransferDecoder.js';
import type { ConnectionStart, Direction, StreamChunk } from '../../src/tcp/StreamEvents.js';
import { FIXTURES } from '../helpers/captures.js';
import { hasTshark, tsharkNote } from '../helpers/tshark.js';
import { segments } from '../ftp/data/tsharkStreams.js';

const work = mkdtempSync(join(tmpdir(), 'ftp-inspect-dcw-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const enc = new TextEncoder();

const start = (rolesFrom: ConnectionStart['rolesFrom'] = 'syn'): ConnectionStart => ({
  stream: 7,
  client: { ip: '198.51.100.2', port: 40000 },
  server: { ip: '198.51.100.1', port: 30007 },
  rolesFrom,
  firstFrame: 10,
  tsSec: 0,
  tsNsec: 0,
});

function chunk(direction: Direction, offset: number, text: string, frame: number): StreamChunk {
  return { direction, offset, bytes: enc.encode(text), frames: [frame], tsSec: 0, tsNsec: 0 };
}

describe('DataConnectionWriter: a data connection into a decoder and a file', () => {
  it('keeps bytes that arrive before bind(), replays them in order, then streams; the other direction is only counted', async () => {
    const sink = await FileSink.create(join(work, `t${n++}`));
    const w = new DataConnectionWriter(start());
    w.data(chunk(1, 0, 'hello ', 11));
    w.data(chunk(0, 0, '?', 12));
    w.gap({ direction: 1, start: 6, end: 10, reason: 'not-captured', frame: 14 });
    expect(w.heldBytes).toBe(7);
    const file = sink.open({ kind: 'file', remotePath: 'greeting.txt', session: 1, command: 'RETR', direction: 'download', stream: 7 });
    const dec = new TransferDecoder({ mode: 'S', type: 'I' }, file);
    w.bind(1, dec, file);
    expect(w.heldBytes).toBe(0);
    w.data(chunk(1, 10, 'world', 15));
    w.end({ direction: 1, reason: 'fin', frame: 16 });
    w.end({ direction: 0, reason: 'fin', frame: 17 });
    w.closed();
    const m = await sink.close();
    const e = m.files[0]!;
    expect(readFileSync(join(sink.dir, 'greeting.txt'), 'latin1')).toBe('hello \0\0\0\0world');
    expect(e).toMatchObject({ complete: false, missing: [[6, 10]], frames: { first: 11, last: 15 }, wire: { mode: 'S', type: 'I', bytes: 11 } });
    expect(e.warnings).toEqual(['1 bytes travelled the other way on this data connection (not part of the file)']);
    expect(w.bytes).toEqual([1, 11]);
  });

  it('past maxEarlyBytes only the ranges are kept: they become missing, never invented', async () => {
    const sink = await FileSink.create(join(work, `t${n++}`));
    const w = new DataConnectionWriter(start(), { maxEarlyBytes: 4 });
    w.data(chunk(0, 0, 'abcd', 1));
    w.data(chunk(0, 4, 'efgh', 2)); // not kept
    const file = sink.open({ kind: 'file', remotePath: 'up.bin', direction: 'upload' });
    w.bind(0, new TransferDecoder({ mode: 'S', type: 'I' }, file), file);
    w.data(chunk(0, 8, 'ijkl', 3));
    w.end({ direction: 0, reason: 'fin' });
    w.closed();
    const m = await sink.close();
    expect(readFileSync(join(sink.dir, 'up.bin'), 'latin1')).toBe('abcd\0\0\0\0ijkl');
    expect(m.files[0]!.missing).toEqual([[4, 8]]);
    expect(m.files[0]!.warnings.join()).toMatch(/4 bytes arrived before the transfer was identified/);
    expect(w.droppedEarlyBytes).toBe(4);
  });

  it('an RST, a connection the capture caught mid-way, and a bind after close (an orphan decided at the end)', async () => {
    const sink = await FileSink.create(join(work, `t${n++}`));
    const w = new DataConnectionWriter(start('heuristic'));
    w.data(chunk(1, 0, 'partial', 40));
    w.end({ direction: 1, reason: 'rst', frame: 41 });
    w.closed();
    const file = sink.open({ kind: 'orphan', stream: 7, server: { ip: '198.51.100.1', port: 30007 } });
    w.bind(1, new TransferDecoder({ mode: 'S', type: 'I' }, file), file);
    const m = await sink.close();
    expect(m.files[0]!.name).toBe('orphan-stream-7-198.51.100.1-30007.bin');
    expect(m.files[0]!.warnings).toEqual([
      'the capture began after this data connection opened: bytes before the first one captured may be missing',
      'the data connection was reset (RST, frame 41): the transfer may be cut short',
    ]);
  });
});

const modezCapture = join(FIXTURES, 'modez-lftp-proftpd.pcap');
const modez = JSON.parse(readFileSync(join(FIXTURES, 'modez-manifest.json'), 'utf8')) as {
  originals: Record<string, { sha256: string; size: number }>;
  data_connections: Array<{ tcp_stream: number; command: string; type: 'A' | 'I'; client: string; server: string; original: string; first_data_frame: number; last_data_frame: number }>;
};

describe.skipIf(!hasTshark)(`DataConnectionWriter on the MODE Z capture, segment by segment into files${tsharkNote}`, () => {
  it('every transfer of modez-lftp-proftpd.pcap is written byte-exact (TYPE A native), with no warning', async () => {
    const sink = await FileSink.create(join(work, `t${n++}`), { batchBytes: 4096, maxBufferedBytes: 8192 });
    const port = (ep: string): number => Number(ep.slice(ep.lastIndexOf(':') + 1));
    for (const c of modez.data_connections) {
      const w = new DataConnectionWriter({ ...start(), stream: c.tcp_stream });
      // both directions, interleaved by frame, as the TCP stage would deliver them
      const events = [
        ...segments(modezCapture, c.tcp_stream, port(c.client)).map((s) => ({ ...s, direction: 0 as Direction })),
        ...segments(modezCapture, c.tcp_stream, port(c.server)).map((s) => ({ ...s, direction: 1 as Direction })),
      ].sort((a, b) => a.frame - b.frame);
      const fileDir: Direction = c.command === 'STOR' ? 0 : 1;
      const file = sink.open({ kind: 'file', remotePath: `/${c.command.toLowerCase()}-${c.tcp_stream}-${c.original.split('/')[1]}`, session: 1, command: c.command, stream: c.tcp_stream });
      let bound = false;
      for (const e of events) {
        w.data({ direction: e.direction, offset: e.offset, bytes: e.bytes, frames: [e.frame], tsSec: 0, tsNsec: 0 });
        if (!bound) {
          // bind after the first byte, the way a late-deciding linker would
          w.bind(fileDir, new TransferDecoder({ mode: 'Z', type: c.type }, file, { ascii: 'native' }), file);
          bound = true;
        }
        const wait = sink.onChunkEnd();
        if (wait !== undefined) await wait;
      }
      w.end({ direction: 0, reason: 'fin' });
      w.end({ direction: 1, reason: 'fin' });
      w.closed();
    }
    const m = await sink.close();
    expect(m.files.length).toBe(3);
    for (const [i, c] of modez.data_connections.entries()) {
      const e = m.files[i]!;
      const want = modez.originals[c.original]!;
      expect(e.warnings, e.name).toEqual([]);
      expect(e).toMatchObject({ complete: true, size: want.size, sha256: want.sha256 });
      expect(e.frames.first).toBe(c.first_data_frame);
      expect(e.frames.last).toBeLessThanOrEqual(c.last_data_frame);
      expect(sha(readFileSync(join(sink.dir, e.name)))).toBe(want.sha256);
    }
  });
});
