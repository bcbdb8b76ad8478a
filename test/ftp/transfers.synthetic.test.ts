// Linking and extraction on captures written by the test helpers: hostile file names never
// leave DIR, a PASV nobody used is reported, a port-20 connection without its session is an
// orphan (extracted under a made-up name), an unrelated TCP connection is left alone, and a
// lost data segment makes the transfer incomplete with the exact missing range.
import { lstatSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type AnalyzeOptions, type Report } from '../../src/analyze.js';
import { FileSink } from '../../src/extract/FileSink.js';
import type { Manifest } from '../../src/extract/Manifest.js';
import { writePcap, type PcapRecord } from '../helpers/captureWriter.js';
import { ethIpv4Tcp, text } from '../helpers/packetBuilder.js';
import { MAX_TIMING_CANDIDATES } from '../../src/ftp/DataConnectionLinker.js';

const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;
const C = '10.0.0.2', S = '10.0.0.1';

/** One TCP connection's segments, numbered as they are appended to a shared record list. */
class Conn {
  #seq: [number, number] = [1000, 5000];
  constructor(readonly records: PcapRecord[], readonly a: [string, number], readonly b: [string, number]) {}
  #push(dir: 0 | 1, flags: number, payload?: Uint8Array, skip = false): void {
    const [src, dst] = dir === 0 ? [this.a, this.b] : [this.b, this.a];
    const seq = this.#seq[dir];
    const ack = this.#seq[dir === 0 ? 1 : 0];
    const data = ethIpv4Tcp({ srcPort: src[1], dstPort: dst[1], seq, ack, flags, ...(payload ? { payload } : {}) }, { src: src[0], dst: dst[0] });
    this.#seq[dir] = (seq + (payload?.length ?? 0) + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0;
    if (!skip) this.records.push({ tsSec: 1_700_000_000, tsNsec: this.records.length * 1000, data });
  }
  open(): this {
    this.#push(0, SYN);
    this.#push(1, SYN | ACK);
    this.#push(0, ACK);
    return this;
  }
  send(dir: 0 | 1, s: string | Uint8Array, lost = false): this {
    this.#push(dir, PSH | ACK, typeof s === 'string' ? text(s) : s, lost);
    return this;
  }
  close(first: 0 | 1 = 1): this {
    this.#push(first, FIN | ACK);
    this.#push(first === 0 ? 1 : 0, FIN | ACK);
    this.#push(first, ACK);
    return this;
  }
}

async function run(records: PcapRecord[], tcp?: AnalyzeOptions['tcp']): Promise<{ report: Report; manifest: Manifest; dir: string }> {
  const root = mkdtempSync(join(tmpdir(), 'ftp-inspect-synth-'));
  const file = join(root, 'c.pcap');
  writeFileSync(file, writePcap({}, records));
  const dir = join(root, 'out');
  const sink = await FileSink.create(dir);
  const report = await analyze(file, { ftp: { extract: { sink } }, ...(tcp ? { tcp } : {}) });
  const manifest = await sink.close();
  return { report, manifest, dir };
}

function session(records: PcapRecord[], port = 40000): Conn {
  return new Conn(records, [C, port], [S, 21]).open().send(1, '220 ready\r\n').send(0, 'USER u\r\n').send(1, '331 pw\r\n').send(0, 'PASS p\r\n').send(1, '230 ok\r\n');
}

function passiveRetr(records: PcapRecord[], ctl: Conn, name: string, body: string, dataPort: number, lostAt?: number): void {
  ctl.send(0, 'PASV\r\n').send(1, `227 Entering Passive Mode (10,0,0,1,${dataPort >> 8},${dataPort & 255})\r\n`);
  const d = new Conn(records, [C, 50000 + (dataPort % 1000)], [S, dataPort]).open();
  ctl.send(0, `RETR ${name}\r\n`).send(1, `150 Opening BINARY mode data connection (${body.length} bytes)\r\n`);
  const parts = body.match(/.{1,10}/gs) ?? [];
  parts.forEach((p, i) => d.send(1, p, i === lostAt));
  d.close(1);
  ctl.send(1, '226 done\r\n');
}

describe('data connections on synthetic captures', () => {
  it('hostile names never escape DIR and the bytes still come out', async () => {
    const records: PcapRecord[] = [];
    const ctl = session(records);
    ctl.send(0, 'TYPE I\r\n').send(1, '200 ok\r\n');
    const names = ['../../escape.txt', '/etc/passwd', 'a\x1b[31mred', '..', 'x'.repeat(3000)];
    names.forEach((n, i) => passiveRetr(records, ctl, n, `content ${i} `.repeat(5), 30000 + i));
    ctl.send(0, 'QUIT\r\n').send(1, '221 bye\r\n').close(0);
    const { report, manifest, dir } = await run(records);
    const transfers = report.sessions[0]!.transfers;
    expect(transfers).toHaveLength(names.length);
    expect(transfers.every((t) => t.status === 'complete' && t.connection?.binding.rule === 'address+port')).toBe(true);
    expect(manifest.files).toHaveLength(names.length);
    const root = resolve(dir);
    for (const f of manifest.files) {
      expect(resolve(dir, f.name).startsWith(`${root}/`)).toBe(true);
      expect(f.name).not.toMatch(/[\\/\x00-\x1f]/);
      expect(lstatSync(join(dir, f.name)).isFile()).toBe(true);
    }
    // Nothing but the files and the manifest in DIR; nothing written next to it.
    expect(readdirSync(dir).length).toBe(names.length + 1);
    expect(readdirSync(resolve(dir, '..')).sort()).toEqual(['c.pcap', 'out']);
  });

  it('a lost data segment: incomplete with the exact missing range; an unused PASV is reported', async () => {
    const records: PcapRecord[] = [];
    const ctl = session(records);
    ctl.send(0, 'TYPE I\r\n').send(1, '200 ok\r\n');
    passiveRetr(records, ctl, 'f.bin', '0123456789'.repeat(6), 30100, 2);
    ctl.send(0, 'PASV\r\n').send(1, '227 Entering Passive Mode (10,0,0,1,117,200)\r\n');
    ctl.send(0, 'QUIT\r\n').send(1, '221 bye\r\n').close(0);
    const { report, manifest } = await run(records);
    const t = report.sessions[0]!.transfers[0]!;
    expect(t.status).toBe('incomplete');
    expect(t.missing).toEqual([[20, 30]]);
    expect(manifest.files[0]!.missing).toEqual([[20, 30]]);
    expect(report.unusedExpectations).toEqual([expect.objectContaining({ kind: 'PASV', port: 117 * 256 + 200, reason: 'never-connected' })]);
  });

  it('a port-20 connection without its control session is an orphan; an unrelated connection is not', async () => {
    const records: PcapRecord[] = [];
    new Conn(records, [S, 20], [C, 45000]).open().send(0, 'orphan bytes\n').close(0);
    new Conn(records, [C, 45001], [S, 8080]).open().send(0, 'GET / HTTP/1.0\r\n\r\n').send(1, 'HTTP/1.0 200 OK\r\n\r\n').close(1);
    const { report, manifest } = await run(records);
    expect(report.orphans).toHaveLength(1);
    expect(report.orphans![0]!.connection.opener.port).toBe(20);
    expect(manifest.files).toHaveLength(1);
    expect(manifest.files[0]!.kind).toBe('orphan');
    expect(manifest.files[0]!.size).toBe(13);
  });

  it('beyond the TCP stage\'s open-connection limit the quietest connection is set aside: its transfer is incomplete, its session warned', async () => {
    // maxOpen 2. Session A starts a download; its data connection D sends a first part, then A
    // sends a NOOP; session B connects: three open, D quiet longest, set aside. D's second part
    // is not followed. After A's 226, session C connects: B (quiet since its 230) is set aside.
    const records: PcapRecord[] = [];
    const a = session(records, 40000);
    a.send(0, 'TYPE I\r\n').send(1, '200 ok\r\n');
    a.send(0, 'PASV\r\n').send(1, '227 Entering Passive Mode (10,0,0,1,117,120)\r\n');
    const d = new Conn(records, [C, 50300], [S, 117 * 256 + 120]).open();
    a.send(0, 'RETR f.bin\r\n').send(1, '150 Opening BINARY mode data connection (20 bytes)\r\n');
    d.send(1, 'first part');
    a.send(0, 'NOOP\r\n').send(1, '200 ok\r\n');
    const b = session(records, 40001);
    d.send(1, 'second prt').close(1);
    a.send(1, '226 done\r\n');
    // C's greeting is its fifth frame; the limit is checked as the next one (its USER) comes.
    const cUser = records.length + 5;
    session(records, 40002);
    b.send(0, 'QUIT\r\n').send(1, '221 bye\r\n');
    const { report, manifest } = await run(records, { maxOpen: 2 });
    const [sa, sb, sc] = report.sessions;
    const t = sa!.transfers[0]!;
    expect(t.status).toBe('incomplete');
    expect(t.bytes).toBe(10);
    expect(t.notes.join(' ')).toMatch(/stopped following the data connection at frame \d+ \(more connections were open than it holds, maxOpen\)/);
    expect(manifest.files[0]).toMatchObject({ size: 10 });
    expect(sa!.warnings).toEqual([]);
    // B's control connection was set aside when C's greeting made three open: its QUIT is not seen.
    expect(sb!.warnings).toEqual([{ frame: cUser, message: expect.stringMatching(/^the TCP stage stopped following this connection here/) }]);
    expect(sb!.commands.map((c) => c.command)).toEqual(['USER', 'PASS']);
    expect(sc!.warnings).toEqual([]);
  });

  it('connections waiting for their command: a command takes the one its announcement claimed, else the oldest', async () => {
    // Two PASVs, each answered and connected to before any command; RETR a is sent under the
    // second announcement and takes its connection (port 30302), RETR b the one left (30301).
    const records: PcapRecord[] = [];
    const ctl = session(records);
    ctl.send(0, 'TYPE I\r\n').send(1, '200 ok\r\n');
    ctl.send(0, 'PASV\r\n').send(1, '227 Entering Passive Mode (10,0,0,1,118,93)\r\n');
    const first = new Conn(records, [C, 50301], [S, 118 * 256 + 93]).open();
    ctl.send(0, 'PASV\r\n').send(1, '227 Entering Passive Mode (10,0,0,1,118,94)\r\n');
    const second = new Conn(records, [C, 50302], [S, 118 * 256 + 94]).open();
    first.send(1, 'from the first\n');
    second.send(1, 'from the second\n');
    ctl.send(0, 'RETR a\r\n').send(1, '150 go\r\n');
    ctl.send(0, 'RETR b\r\n').send(1, '150 go\r\n');
    second.close(1);
    first.close(1);
    ctl.send(1, '226 done\r\n').send(1, '226 done\r\n');
    const { report } = await run(records);
    const [a, b] = report.sessions[0]!.transfers;
    expect([a!.arg, a!.connection?.opener.port, a!.bytes]).toEqual(['a', 50302, 16]);
    expect([b!.arg, b!.connection?.opener.port, b!.bytes]).toEqual(['b', 50301, 15]);
  });

  it('active mode: the server connects from a port other than 20 after the command', async () => {
    const records: PcapRecord[] = [];
    const ctl = session(records);
    ctl.send(0, 'PORT 10,0,0,2,200,10\r\n').send(1, '200 ok\r\n').send(0, 'STOR up.txt\r\n');
    const d = new Conn(records, [S, 61920], [C, 200 * 256 + 10]).open();
    ctl.send(1, '150 go\r\n');
    d.send(1, 'uploaded\n').close(1);
    ctl.send(1, '226 done\r\n');
    const { report, manifest } = await run(records);
    const t = report.sessions[0]!.transfers[0]!;
    expect(t).toMatchObject({ command: 'STOR', direction: 'upload', mode: 'active', status: 'complete', bytes: 9 });
    expect(t.connection?.openedBy).toBe('server');
    expect(t.announcement?.explanation).toBe('200 × 256 + 10 = 51210');
    expect(manifest.files[0]!.name).toBe('up.txt');
  });
});

describe('the timing rule (a data connection no announcement names)', () => {
  /** A session that sends RETR without PASV or PORT, `newer` sessions between the same hosts and `others` between other hosts, then a connection nobody announced. */
  async function waitingBehind(newer: number, others: number) {
    const records: PcapRecord[] = [];
    const waiting = session(records).send(0, 'RETR f.txt\r\n');
    for (let i = 0; i < others; i++) new Conn(records, ['10.0.0.3', 20000 + i], [S, 21]).open().send(1, '220 ready\r\n');
    for (let i = 0; i < newer; i++) session(records, 41000 + i);
    new Conn(records, [C, 50000], [S, 30000]).open().send(1, 'file bytes\n').close(1);
    waiting.send(1, '226 done\r\n');
    const { report } = await run(records);
    return report.sessions.find((x) => x.client.port === 40000)!.transfers[0]!;
  }

  it('finds the session waiting for it among the newest MAX_TIMING_CANDIDATES between the same hosts, whatever other hosts do', async () => {
    const t = await waitingBehind(MAX_TIMING_CANDIDATES - 1, 400);
    expect(t.connection?.binding.rule).toBe('timing');
    expect(t.bytes).toBe(11);
  });

  it('does not look further back: behind as many newer sessions between the same hosts, the connection is nobody\'s', async () => {
    const t = await waitingBehind(MAX_TIMING_CANDIDATES, 0);
    expect(t.connection).toBeNull();
    expect(t.bytes).toBe(0);
  });
});

describe('completeness and rarer announcements on synthetic captures (issue #5)', () => {
  function retrPassive(records: PcapRecord[], ctl: Conn, dataPort: number, announce: string, preliminary: string): Conn {
    ctl.send(0, 'TYPE I\r\n').send(1, '200 ok\r\n').send(0, announce.startsWith('228') ? 'LPSV\r\n' : 'PASV\r\n').send(1, announce);
    const d = new Conn(records, [C, 50100], [S, dataPort]).open();
    ctl.send(0, 'RETR f.bin\r\n').send(1, preliminary);
    return d;
  }

  it('fewer bytes than the 150 announced, on a cleanly closed connection: size-mismatch, the short end listed as missing', async () => {
    const records: PcapRecord[] = [];
    const ctl = session(records);
    const d = retrPassive(records, ctl, 117 * 256 + 48, '227 Entering Passive Mode (10,0,0,1,117,48)\r\n', '150 Opening BINARY mode data connection for f.bin (100 bytes)\r\n');
    d.send(1, 'x'.repeat(60)).close(1);
    ctl.send(1, '226 done\r\n').send(0, 'QUIT\r\n').send(1, '221 bye\r\n').close(0);
    const { report, manifest } = await run(records);
    const t = report.sessions[0]!.transfers[0]!;
    expect(t.status).toBe('size-mismatch');
    expect(t.notes.join(' ')).toMatch(/60 bytes seen but 100 announced/);
    expect(manifest.files[0]!.missingDetail).toEqual([{ start: 60, end: 100, reason: 'short' }]);
    expect(manifest.files[0]!.complete).toBe(false);
  });

  it('a data frame cut by the snaplen: truncated, with the cut bytes as the missing range', async () => {
    const records: PcapRecord[] = [];
    const ctl = session(records);
    const d = retrPassive(records, ctl, 117 * 256 + 49, '227 Entering Passive Mode (10,0,0,1,117,49)\r\n', '150 go\r\n');
    d.send(1, 'a'.repeat(40));
    // The second data segment was captured with only its first 10 payload bytes (caplen < len).
    d.send(1, 'b'.repeat(40));
    const r = records[records.length - 1]!;
    records[records.length - 1] = { ...r, data: r.data.subarray(0, r.data.length - 30), originalLength: r.data.length };
    d.send(1, 'c'.repeat(40)).close(1);
    ctl.send(1, '226 done\r\n').send(0, 'QUIT\r\n').send(1, '221 bye\r\n').close(0);
    const { report, manifest } = await run(records);
    const t = report.sessions[0]!.transfers[0]!;
    expect(t.status).toBe('truncated');
    expect(t.notes.join(' ')).toMatch(/snaplen/);
    expect(t.missing).toEqual([[50, 80]]);
    expect(manifest.files[0]!.missing).toEqual([[50, 80]]);
    expect(manifest.files[0]!.size).toBe(120);
  });

  it('LPSV (RFC 1639): the 228 reply\'s long address is linked like PASV', async () => {
    const records: PcapRecord[] = [];
    const ctl = session(records);
    const d = retrPassive(records, ctl, 117 * 256 + 50, '228 Entering Long Passive Mode (4,4,10,0,0,1,2,117,50)\r\n', '150 go\r\n');
    d.send(1, 'long passive\n').close(1);
    ctl.send(1, '226 done\r\n').send(0, 'QUIT\r\n').send(1, '221 bye\r\n').close(0);
    const { report, manifest } = await run(records);
    const t = report.sessions[0]!.transfers[0]!;
    expect(t.connection?.binding.rule).toBe('address+port');
    expect(t.announcement?.port).toBe(117 * 256 + 50);
    expect(t.status).toBe('complete');
    expect(manifest.files[0]!.size).toBe(13);
  });
});
