import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type DataPosition, type DataSink, WarningList } from '../../../src/ftp/data/DataDecoder.js';
import { ModeZDecoder } from '../../../src/ftp/data/ModeZDecoder.js';
import { TransferDecoder } from '../../../src/ftp/data/TransferDecoder.js';
import { FIXTURES } from '../../helpers/captures.js';
import { hasTshark, tsharkNote } from '../../helpers/tshark.js';
import { CollectSink, cutPlans, feed, mixedBytes, randomCuts, sha256, warningCodes } from './helpers.js';
import { followRaw, segments } from './tsharkStreams.js';

const enc = new TextEncoder();

function decoder(options: ConstructorParameters<typeof ModeZDecoder>[2] = {}) {
  const sink = new CollectSink();
  const warnings = new WarningList();
  const d = new ModeZDecoder(sink, warnings.add, options);
  return { sink, warnings: warnings.list, d };
}

/** Deflate the way proftpd sends: zlib format, a Z_SYNC_FLUSH after every piece, Z_FINISH at the end. */
async function syncFlushed(pieces: Uint8Array[], level = 7): Promise<Buffer> {
  const def = zlib.createDeflate({ level });
  const out: Buffer[] = [];
  def.on('data', (b: Buffer) => out.push(b));
  for (const p of pieces) {
    def.write(p);
    await new Promise<void>((r) => def.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
  }
  await new Promise<void>((r) => def.end(() => r()));
  await new Promise<void>((r) => (def.readableEnded ? r() : def.on('end', r)));
  return Buffer.concat(out);
}

/** Counts bytes without keeping them (for bombs). */
class CountingSink implements DataSink {
  bytes = 0;
  gaps: Array<number | null> = [];
  ended = false;
  data(b: Uint8Array): void {
    this.bytes += b.length;
  }
  gap(length: number | null, _at: DataPosition): void {
    this.gaps.push(length);
  }
  end(): void {
    this.ended = true;
  }
}

function isPrefix(part: Uint8Array, whole: Uint8Array): boolean {
  return part.length <= whole.length && Buffer.from(whole.subarray(0, part.length)).equals(Buffer.from(part));
}

describe('MODE Z (deflate, as proftpd mod_deflate and lftp send it)', () => {
  const file = enc.encode('MODE Z test: hello hello hello, deflate!\n');
  const stream = zlib.deflateSync(file);

  it('inflates a zlib stream split at every possible chunk boundary (one and two cuts, and byte by byte)', async () => {
    expect(stream.length).toBeLessThanOrEqual(48);
    for (const cuts of cutPlans(stream.length)) {
      const { sink, warnings, d } = decoder();
      await feed(d, stream, cuts, 100);
      expect(Buffer.from(sink.bytes).toString(), `cuts ${cuts.join(',')}`).toBe(Buffer.from(file).toString());
      expect(warnings).toEqual([]);
      expect(sink.gaps).toEqual([]);
      expect(sink.ends).toBe(1);
      expect(sink.contiguous).toBe(true);
      expect(d.detectedFormat).toBe('zlib');
    }
  });

  it('tells raw deflate (the draft\'s window bits -15) from zlib by the first two bytes', async () => {
    const raw = zlib.deflateRawSync(file);
    for (const cuts of [[], [1], [1, 2]]) {
      const { sink, warnings, d } = decoder();
      await feed(d, raw, cuts);
      expect(Buffer.from(sink.bytes).toString()).toBe(Buffer.from(file).toString());
      expect(warnings).toEqual([]);
      expect(d.detectedFormat).toBe('raw');
    }
    const forced = decoder({ format: 'zlib' });
    await feed(forced.d, raw, []);
    expect(warningCodes(forced.warnings)).toContain('mode-z-bad-header');
  });

  it('inflates a sync-flushed stream (00 00 ff ff after every write, as proftpd sends) and 4 MB in random chunks', async () => {
    const big = mixedBytes(4 * 1024 * 1024, 5);
    const pieces: Uint8Array[] = [];
    for (let o = 0; o < big.length; o += 65536) pieces.push(big.subarray(o, o + 65536));
    const s = await syncFlushed(pieces);
    expect(s.subarray(0, 2).toString('hex')).toBe('78da');
    expect(s.includes(Buffer.from('0000ffff', 'hex'))).toBe(true);
    for (const seed of [1, 2]) {
      const { sink, warnings, d } = decoder();
      await feed(d, s, randomCuts(s.length, 1460, seed));
      expect(sha256(sink.bytes)).toBe(sha256(big));
      expect(warnings).toEqual([]);
      expect(d.heldBytes).toBe(0);
    }
  });

  it('an empty zlib stream (proftpd\'s reply direction on an upload) decodes to nothing, silently', async () => {
    const { sink, warnings, d } = decoder();
    await feed(d, Buffer.from('78da030000000001', 'hex'), [3]);
    expect(sink.bytes.length).toBe(0);
    expect(warnings).toEqual([]);
    expect(sink.gaps).toEqual([]);
  });

  it('stops at a gap: says where, keeps everything decodable before it, marks the rest as lost', async () => {
    const big = mixedBytes(300_000, 9);
    const s = zlib.deflateSync(big);
    const cut = Math.floor(s.length / 2);
    const { sink, warnings, d } = decoder();
    d.data(s.subarray(0, cut), { offset: 0, frames: [10, 11] });
    d.gap(1000, { offset: cut, frames: [12] });
    d.data(s.subarray(cut + 1000), { offset: cut + 1000, frames: [13] });
    d.end();
    await d.settled();
    expect(isPrefix(sink.bytes, big)).toBe(true);
    // everything the bytes before the gap can give, no less
    const most = zlib.inflateSync(s.subarray(0, cut), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length;
    expect(sink.bytes.length).toBe(most);
    expect(sink.gaps).toEqual([{ offset: sink.bytes.length, length: null }]);
    expect(warningCodes(warnings)).toEqual(['mode-z-gap', 'mode-z-ignored']);
    expect(warnings[0]).toMatchObject({ offset: cut, frames: [12] });
    expect(warnings[0]!.message).toContain(`of 1000 bytes at wire offset ${cut}-${cut + 1000}`);
    expect(warnings[1]!.message).toContain(`${s.length - cut - 1000} compressed bytes`);
  });

  it('a gap after the end of the deflate stream loses nothing, and says so', async () => {
    const small = zlib.deflateSync(file);
    const { sink, warnings, d } = decoder();
    d.data(small, { offset: 0 });
    d.gap(5, { offset: small.length });
    d.end();
    await d.settled();
    expect(Buffer.from(sink.bytes).toString()).toBe(Buffer.from(file).toString());
    expect(sink.gaps).toEqual([]);
    expect(warningCodes(warnings)).toEqual(['mode-z-gap', 'mode-z-gap-after-end']);
  });

  it('reports corrupt deflate data with the chunk it was in and keeps what came before', async () => {
    const big = mixedBytes(200_000, 13);
    const s = Buffer.from(zlib.deflateSync(big));
    const at = Math.floor(s.length * 0.6);
    for (let k = 0; k < 16; k++) s[at + k] = s[at + k]! ^ 0xa5;
    const { sink, warnings, d } = decoder();
    await feed(d, s, randomCuts(s.length, 1460, 3));
    // What the bytes before the damage decode to is right; deflate has no check before the
    // Adler-32 trailer, so a few bytes decoded from the damaged part may not be.
    const good = zlib.inflateSync(s.subarray(0, at), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(good.length).toBeGreaterThan(0);
    expect(isPrefix(sink.bytes.subarray(0, good.length), big)).toBe(true);
    expect(sink.bytes.length).toBeGreaterThanOrEqual(good.length);
    expect(warningCodes(warnings)[0]).toBe('mode-z-corrupt');
    // zlib notices the damage at or after it: the chunk named is never before the damaged bytes
    expect(warnings[0]!.offset + 1460).toBeGreaterThan(at);
    expect(sink.gaps.at(-1)).toEqual({ offset: sink.bytes.length, length: null });
  });

  it('says when the stream ends before its end marker (cut short), and when bytes follow the end', async () => {
    const s = zlib.deflateSync(mixedBytes(50_000, 2));
    const short = decoder();
    await feed(short.d, s.subarray(0, s.length - 10), [100]);
    expect(warningCodes(short.warnings)).toEqual(['mode-z-truncated']);
    expect(short.sink.gaps.at(-1)?.length).toBeNull();

    const extra = decoder();
    await feed(extra.d, Buffer.concat([s, Buffer.from('garbage')]), [s.length - 3]);
    expect(sha256(extra.sink.bytes)).toBe(sha256(mixedBytes(50_000, 2)));
    expect(warningCodes(extra.warnings)).toEqual(['mode-z-trailing']);
    expect(extra.warnings[0]!.message).toContain('7 bytes');
    expect(extra.sink.gaps).toEqual([]);

    const one = decoder();
    await feed(one.d, Uint8Array.of(0x78), []);
    expect(warningCodes(one.warnings)).toEqual(['mode-z-truncated']);
  });

  it('bounds a decompression bomb by size: exactly maxOutputBytes come out, then a warning', async () => {
    const bomb = zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024));
    const sink = new CountingSink();
    const w = new WarningList();
    const d = new ModeZDecoder(sink, w.add, { maxOutputBytes: 1024 * 1024 });
    await feed(d, bomb, randomCuts(bomb.length, 1460, 1));
    expect(sink.bytes).toBe(1024 * 1024);
    expect(warningCodes(w.list)[0]).toBe('mode-z-limit');
    expect(sink.gaps).toEqual([null]);
    expect(sink.ended).toBe(true);
  });

  it('bounds a 256 MiB bomb by ratio with the default limits (stops at the 64 MiB grace), holding little', async () => {
    const bomb = await syncFlushed(Array.from({ length: 256 }, () => new Uint8Array(1024 * 1024)), 9);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const sink = new CountingSink();
    const w = new WarningList();
    const d = new ModeZDecoder(sink, w.add);
    let maxHeld = 0;
    let frame = 1;
    for (let o = 0; o < bomb.length; o += 1460) {
      d.data(bomb.subarray(o, o + 1460), { offset: o, frames: [frame++] });
      maxHeld = Math.max(maxHeld, d.heldBytes);
      if (frame % 64 === 0) await d.settled(); // what the capture reader's onChunkEnd does
    }
    d.end();
    await d.settled();
    expect(sink.bytes).toBe(64 * 1024 * 1024);
    expect(warningCodes(w.list)).toEqual(['mode-z-limit', 'mode-z-ignored']);
    expect(w.list[0]!.message).toContain('expansion limit');
    expect(maxHeld).toBeLessThanOrEqual(64 * 1460);
  });

  it('bounds by ratio when asked for a lower one', async () => {
    const bomb = zlib.deflateSync(Buffer.alloc(16 * 1024 * 1024));
    const sink = new CountingSink();
    const w = new WarningList();
    const d = new ModeZDecoder(sink, w.add, { maxRatio: 100, ratioGraceBytes: 1024 * 1024 });
    await feed(d, bomb, []);
    expect(sink.bytes).toBe(Math.max(1024 * 1024, 100 * bomb.length));
    expect(warningCodes(w.list)).toEqual(['mode-z-limit']);
  });
});

interface ModezConnection {
  tcp_stream: number;
  command: string;
  client: string;
  server: string;
  direction: 'server-to-client' | 'client-to-server';
  type: 'A' | 'I';
  mode: 'Z';
  wire_sha256: string;
  wire_bytes: number;
  inflated_sha256: string;
  inflated_bytes: number;
  first_data_frame: number;
  last_data_frame: number;
  original: string;
  reverse_direction?: { bytes: number };
}

const modezCapture = join(FIXTURES, 'modez-lftp-proftpd.pcap');
const modez = JSON.parse(readFileSync(join(FIXTURES, 'modez-manifest.json'), 'utf8')) as {
  originals: Record<string, { sha256: string; size: number }>;
  data_connections: ModezConnection[];
};

describe.skipIf(!hasTshark)(`MODE Z on the real capture fixtures/modez-lftp-proftpd.pcap (proftpd + lftp)${tsharkNote}`, () => {
  it('has the three transfers: RETR in TYPE I, RETR in TYPE A, STOR', () => {
    expect(modez.data_connections.map((c) => `${c.command} ${c.type}`)).toEqual(['RETR I', 'RETR A', 'STOR I']);
  });

  for (const c of modez.data_connections) {
    it(`stream ${c.tcp_stream} (${c.command}, TYPE ${c.type}): tcp follow bytes inflate to the original's sha256`, async () => {
      const [fromClient, fromServer] = followRaw(modezCapture, c.tcp_stream);
      const wire = c.direction === 'server-to-client' ? fromServer : fromClient;
      expect(sha256(wire)).toBe(c.wire_sha256);
      const sink = new CollectSink();
      const t = new TransferDecoder({ mode: 'Z', type: c.type }, sink, { ascii: 'native' });
      await feed(t, wire, []);
      expect(t.warnings).toEqual([]);
      expect(sha256(sink.bytes)).toBe(modez.originals[c.original]!.sha256);
      expect(sink.bytes.length).toBe(modez.originals[c.original]!.size);
    });

    it(`stream ${c.tcp_stream} (${c.command}): segment by segment, frames and offsets as the TCP stage delivers`, async () => {
      const [host, port] = splitEndpoint(c.direction === 'server-to-client' ? c.server : c.client);
      expect(host).toMatch(/^198\.51\.100\./);
      const segs = segments(modezCapture, c.tcp_stream, port);
      const sink = new CollectSink();
      // wire representation kept: TYPE A stays CR LF, so the inflated bytes are compared too
      const t = new TransferDecoder({ mode: 'Z', type: c.type }, sink);
      for (const s of segs) t.data(s.bytes, { offset: s.offset, frames: [s.frame] });
      t.end();
      await t.settled();
      expect(sha256(sink.bytes)).toBe(c.inflated_sha256);
      expect(sink.bytes.length).toBe(c.inflated_bytes);
      expect(t.wireBytes).toBe(c.wire_bytes);
      expect(sink.frames[0]).toBeGreaterThanOrEqual(c.first_data_frame);
      expect(sink.frames.at(-1)).toBeLessThanOrEqual(c.last_data_frame);
      expect(t.describe()).toBe(`MODE Z, TYPE ${c.type}`);
    });
  }

  it('the upload\'s other direction is proftpd\'s empty zlib stream: 8 bytes, nothing decoded, no warning', async () => {
    const stor = modez.data_connections.find((c) => c.command === 'STOR')!;
    expect(stor.reverse_direction?.bytes).toBe(8);
    const [, fromServer] = followRaw(modezCapture, stor.tcp_stream);
    expect(Buffer.from(fromServer).toString('hex')).toBe('78da030000000001');
    const { sink, warnings, d } = decoder();
    await feed(d, fromServer, []);
    expect(sink.bytes.length).toBe(0);
    expect(warnings).toEqual([]);
  });
});

function splitEndpoint(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}
