// The whole packet pipeline (read, decode, packet list) on damaged input: a real fixture cut
// at every byte offset, bit-flipped, and given lying lengths. Each case must end with rows
// and warnings or one CaptureFormatError — never another exception, a hang or a big allocation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../src/capture/Frame.js';
import { listPackets } from '../src/packets.js';
import type { PacketRow } from '../src/report/PacketList.js';
import { FIXTURES } from './helpers/captures.js';
import { seededRandom as random } from './helpers/random.js';

const SMALL = readFileSync(join(FIXTURES, 'login-failed-then-ok.pcap'));
const SMALL_NG = readFileSync(join(FIXTURES, 'session.pcapng'));

async function run(bytes: Uint8Array): Promise<{ rows: PacketRow[]; warnings: string[]; error?: CaptureFormatError }> {
  const rows: PacketRow[] = [];
  try {
    const summary = await listPackets(Readable.from([Buffer.from(bytes)]), (row) => rows.push(row));
    return { rows, warnings: summary.warnings.map((w) => w.message) };
  } catch (error) {
    if (error instanceof CaptureFormatError) return { rows, warnings: [], error };
    throw error;
  }
}

describe('packets on damaged captures', () => {
  it('a pcap cut at every byte offset keeps every whole frame and warns about the rest', async () => {
    const whole = await run(SMALL);
    expect(whole.warnings).toEqual([]);
    const boundaries = new Set<number>([24]);
    let offset = 24;
    for (const row of whole.rows) boundaries.add((offset += 16 + row.capturedLength));
    for (let cut = 0; cut < SMALL.length; cut++) {
      const r = await run(SMALL.subarray(0, cut));
      if (cut < 24) {
        expect(r.error, `cut at ${cut}`).toBeInstanceOf(CaptureFormatError);
        continue;
      }
      expect(r.error, `cut at ${cut}`).toBeUndefined();
      // The frames that survive are exactly the first N of the whole capture, and a cut
      // inside a record is reported (a cut on a record boundary is just a shorter capture).
      expect(r.rows, `cut at ${cut}`).toEqual(whole.rows.slice(0, r.rows.length));
      expect(r.rows.length).toBeLessThan(whole.rows.length);
      if (!boundaries.has(cut)) expect(r.warnings.join(' '), `cut at ${cut}`).toMatch(/truncated/);
    }
  });

  it('a pcapng cut at every 7th byte offset never throws anything but a format error', async () => {
    const sectionHeaderLength = SMALL_NG.readUInt32LE(4);
    const boundaries = new Set<number>();
    for (let at = 0; at < SMALL_NG.length; at += SMALL_NG.readUInt32LE(at + 4)) boundaries.add(at);
    for (let cut = 0; cut < SMALL_NG.length; cut += 7) {
      const r = await run(SMALL_NG.subarray(0, cut));
      if (r.error) expect(cut, `cut at ${cut}`).toBeLessThan(sectionHeaderLength);
      else if (!boundaries.has(cut)) expect(r.warnings.length, `cut at ${cut}`).toBeGreaterThan(0);
    }
  });

  it('bit flips anywhere in the file are survived (fixed seed, 400 cases)', async () => {
    const next = random(0x5eed);
    for (let n = 0; n < 400; n++) {
      const bytes = Buffer.from(n % 2 ? SMALL : SMALL_NG);
      const flips = 1 + Math.floor(next() * 8);
      for (let f = 0; f < flips; f++) bytes[Math.floor(next() * bytes.length)]! ^= 1 << Math.floor(next() * 8);
      await run(bytes); // must resolve or give a CaptureFormatError
    }
  });

  it('a record length of 0xFFFFFFFF is reported, not allocated', async () => {
    const bytes = Buffer.from(SMALL);
    bytes.writeUInt32LE(0xffffffff, 24 + 8); // first record's captured length
    const before = process.memoryUsage().arrayBuffers;
    const r = await run(bytes);
    expect(r.rows).toEqual([]);
    expect(r.warnings.join(' ')).toMatch(/4294967295/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('garbage records after a valid header are each listed, malformed layers with warnings', async () => {
    const next = random(42);
    const header = SMALL.subarray(0, 24);
    const records: Buffer[] = [header];
    for (let i = 0; i < 200; i++) {
      const len = Math.floor(next() * 120);
      const rec = Buffer.alloc(16 + len);
      rec.writeUInt32LE(1_700_000_000 + i, 0);
      rec.writeUInt32LE(len, 8);
      rec.writeUInt32LE(len, 12);
      for (let j = 0; j < len; j++) rec[16 + j] = Math.floor(next() * 256);
      records.push(rec);
    }
    const r = await run(Buffer.concat(records));
    expect(r.rows.length).toBe(200);
    expect(r.rows.map((row) => row.frame)).toEqual(r.rows.map((_, i) => i + 1));
    // Random bytes are mostly unknown EtherTypes (no warning: Wireshark shows those as data too);
    // the short ones and the few that claim IP are malformed.
    expect(r.rows.filter((row) => row.warnings.length > 0).length).toBeGreaterThan(10);
  });
});
