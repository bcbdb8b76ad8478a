// Hostile FTP conversations through the whole pipeline (analyze, the CLI's reports, extraction):
// data that changes between copies (TCP retransmissions, overlapping IP fragments), a control
// line that never ends, PASV replies that point at the client or are never used, and names and
// commands made to attack the terminal, the report or the file system. Every capture is written
// by the test helpers (Conversation) or streamed while the test runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import { FileSink } from '../../src/extract/FileSink.js';
import { listPackets } from '../../src/packets.js';
import type { PacketRow } from '../../src/report/PacketList.js';
import { writePcap } from '../helpers/captureWriter.js';
import { ROOT } from '../helpers/captures.js';
import { ETH_IPV4, PROTO_TCP, concat, ethernet, internetChecksum, ipv4, ipv4Bytes } from '../helpers/packetBuilder.js';
import { hasTshark, tsharkFields, tsharkNote } from '../helpers/tshark.js';
import { Conversation } from '../tcp/helpers/conversation.js';

const CLI = join(ROOT, 'dist/cli.js');
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;
/** The JSON report's contract (docs/report.schema.json), for outputs with keys the fixtures never have. */
const schemaValid = (() => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8')) as object);
})();
const MiB = 1024 * 1024;
const CLIENT = '198.51.100.2';
/** Text as UTF-8 bytes (Conversation itself takes a string's code units as bytes). */
const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const SERVER = '198.51.100.1';

/** A logged-in control connection: handshake, greeting, USER/PASS. */
function loggedIn(): Conversation {
  const c = new Conversation({ ip: CLIENT, port: 40000 }, { ip: SERVER, port: 21 });
  c.handshake();
  c.data('server', '220 ready\r\n');
  c.data('client', 'USER alice\r\n');
  c.data('server', '331 password please\r\n');
  c.data('client', 'PASS secret\r\n');
  c.data('server', '230 logged in\r\n');
  return c;
}

/** PASV, RETR `name`, a data connection carrying `content` (from the server), 226. Returns the data conversation. */
function retr(ctl: Conversation, name: string, content: Uint8Array | string, port: number, dataSegments?: (d: Conversation) => void): Conversation {
  ctl.data('client', 'PASV\r\n');
  ctl.data('server', `227 Entering Passive Mode (198,51,100,1,${port >> 8},${port & 255})\r\n`);
  ctl.data('client', utf8(`RETR ${name}\r\n`));
  ctl.data('server', '150 opening data connection\r\n');
  const d = new Conversation({ ip: CLIENT, port: 50000 + (port % 10000) }, { ip: SERVER, port }, { client: 7000, server: 9000 }, ctl.time);
  d.handshake();
  if (dataSegments) dataSegments(d);
  else d.data('server', content);
  d.close();
  ctl.time = d.time;
  ctl.data('server', '226 done\r\n');
  return d;
}

/** The conversations merged in time order into one pcap; `frameOf` gives a record's frame number there. */
function merge(conversations: Conversation[]): { file: string; frameOf: (c: Conversation, frame: number) => number } {
  const all = conversations.flatMap((c) => c.records).sort((x, y) => x.tsSec - y.tsSec || (x.tsNsec ?? 0) - (y.tsNsec ?? 0));
  const file = join(mkdtempSync(join(tmpdir(), 'ftp-inspect-hostile-')), 'capture.pcap');
  writeFileSync(file, writePcap({ nanos: true }, all));
  return { file, frameOf: (c, frame) => all.indexOf(c.records[frame - 1]!) + 1 };
}

function writeCapture(conversations: Conversation[]): string {
  return merge(conversations).file;
}

async function rows(file: string): Promise<PacketRow[]> {
  const out: PacketRow[] = [];
  await listPackets(file, (r) => out.push(r));
  return out;
}

describe('data that differs between copies', () => {
  it('a TCP retransmission of USER with other bytes: the first copy counts, a warning names both frames', async () => {
    const c = new Conversation({ ip: CLIENT, port: 40000 }, { ip: SERVER, port: 21 });
    c.handshake();
    c.data('server', '220 ready\r\n');
    const seq = c.next.client;
    const first = c.data('client', 'USER alice\r\n');
    const second = c.data('client', 'USER mallo\r\n', { seq });
    c.data('server', '331 password please\r\n');
    const file = writeCapture([c]);
    const report = await analyze(file);
    const s = report.sessions[0]!;
    expect(s.logins[0]!.user).toBe('alice');
    expect(s.warnings.map((w) => [w.frame, w.message])).toContainEqual([second, `retransmitted client bytes 5-10 in frame ${second} differ from the copy already received in frame ${first}; the first copy was kept`]);
    expect(report.statistics!.connections[0]!).toBeDefined();
  });

  it('a data connection whose retransmitted segment differs: the extracted file has the first copy, the report lists the conflict', async () => {
    const ctl = loggedIn();
    let firstFrame = 0;
    let secondFrame = 0;
    const d = retr(ctl, 'file.bin', '', 30000, (data) => {
      const seq = data.next.server;
      firstFrame = data.data('server', 'the true content\n');
      secondFrame = data.data('server', 'the evil content\n', { seq });
    });
    const { file, frameOf } = merge([ctl, d]);
    firstFrame = frameOf(d, firstFrame);
    secondFrame = frameOf(d, secondFrame);
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-hostile-out-'));
    const sink = await FileSink.create(dir);
    const report = await analyze(file, { ftp: { extract: { sink } } });
    const manifest = await sink.close();
    const t = report.sessions[0]!.transfers[0]!;
    expect(t.connection!.conflicts).toEqual([{ start: 4, end: 8, frames: [firstFrame, secondFrame] }]);
    expect(t.connection!.conflictCount).toBe(1);
    expect(manifest.files.map((f) => readFileSync(join(dir, f.name), 'utf8'))).toEqual(['the true content\n']);
    const json = spawnSync(process.execPath, [CLI, file, '--format', 'json'], { encoding: 'utf8' });
    expect(schemaValid(JSON.parse(json.stdout)), JSON.stringify(schemaValid.errors)).toBe(true);
    const text = spawnSync(process.execPath, [CLI, file], { encoding: 'utf8' });
    expect(text.stdout).toContain(`CONFLICT    1 retransmission(s) carried different bytes; the first copy was kept: bytes 4-8 (frames ${firstFrame}, ${secondFrame})`);
  });

  it(`overlapping IPv4 fragments with different bytes (teardrop style): the first copy wins, the frame says so${tsharkNote}`, async () => {
    const c = new Conversation({ ip: CLIENT, port: 40000 }, { ip: SERVER, port: 21 });
    c.handshake();
    c.data('server', '220 ready\r\n');
    const userFrame = c.data('client', 'USER alice\r\n');
    c.data('server', '331 password please\r\n');
    // Replace the USER frame by three fragments: the tail " alice\r\n", a second copy of the
    // tail saying " mallo\r\n" at the same offset, then the head (TCP header + "USER"), which
    // completes the datagram.
    const record = c.records[userFrame - 1]!;
    const segment = record.data.subarray(14 + 20);
    const frag = (offset: number, bytes: Uint8Array, more: boolean) => ({
      ...record,
      data: ethernet({ etherType: ETH_IPV4, payload: ipv4({ src: CLIENT, dst: SERVER, protocol: PROTO_TCP, id: 77, fragmentOffset: offset, moreFragments: more, payload: bytes }) }),
      originalLength: undefined,
    });
    const evil = Uint8Array.from(' mallo\r\n', (ch) => ch.charCodeAt(0));
    c.records.splice(userFrame - 1, 1, frag(24, segment.subarray(24), false), frag(24, evil, false), frag(0, segment.subarray(0, 24), true));
    const file = writeCapture([c]);
    const report = await analyze(file);
    expect(report.sessions[0]!.logins[0]!.user).toBe('alice');
    const list = await rows(file);
    // Frames userFrame..userFrame+2 are the fragments; the second is the conflicting copy.
    expect(list[userFrame]!.warnings.join(' ')).toMatch(/fragment at offset 24 overlaps earlier data with different bytes; kept the first copy/);
    if (hasTshark) {
      // tshark, on the same bytes, also shows the first copy.
      const ftp = tsharkFields(file, ['frame.number', 'ftp.request.arg'], ['-Y', 'ftp.request.command == "USER"']);
      expect(ftp.map((r) => r['ftp.request.arg'])).toEqual(['alice']);
    }
  });
});

/**
 * A control connection whose client sends `total` bytes of 'A' and never a line end, as a
 * stream of 64,000-byte segments generated on the fly (nothing the size of the capture exists).
 */
function endlessLine(total: number): Readable {
  const head = loggedIn();
  const headRecords = head.records;
  const payloadSize = 64_000;
  const tcpLength = 20 + payloadSize;
  const template = new Uint8Array(14 + 20 + tcpLength);
  template.set(ethernet({ etherType: ETH_IPV4, payload: new Uint8Array(0) }).subarray(0, 14), 0);
  const ip = ipv4({ src: CLIENT, dst: SERVER, protocol: PROTO_TCP, payload: new Uint8Array(tcpLength) }).subarray(0, 20);
  template.set(ip, 14);
  const t = 34;
  const view = new DataView(template.buffer);
  view.setUint16(t, 40000);
  view.setUint16(t + 2, 21);
  view.setUint32(t + 8, head.next.server);
  view.setUint16(t + 12, (5 << 12) | 0x018);
  view.setUint16(t + 14, 502);
  template.fill(0x41, t + 20);
  // The TCP checksum without the sequence number: added per segment (RFC 1624 style).
  const pseudo = concat(ipv4Bytes(CLIENT), ipv4Bytes(SERVER), [0, PROTO_TCP, tcpLength >> 8, tcpLength & 255]);
  const base = (~internetChecksum(pseudo, template.subarray(t)) & 0xffff) >>> 0;
  const segments = Math.ceil(total / payloadSize);
  return Readable.from((function* () {
    yield writePcap({ nanos: true }, headRecords);
    const recordHeader = new DataView(new ArrayBuffer(16));
    let seq = head.next.client;
    for (let i = 0; i < segments; i++) {
      view.setUint32(t + 4, seq);
      let sum = base + (seq >>> 16) + (seq & 0xffff);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      view.setUint16(t + 16, ~sum & 0xffff);
      recordHeader.setUint32(0, 1_700_000_100 + Math.floor(i / 1000), true);
      recordHeader.setUint32(4, (i % 1000) * 1_000_000, true);
      recordHeader.setUint32(8, template.length, true);
      recordHeader.setUint32(12, template.length, true);
      yield Buffer.concat([new Uint8Array(recordHeader.buffer), template]);
      seq = (seq + payloadSize) >>> 0;
    }
  })());
}

describe('a control channel that never sends a line end', () => {
  it('1 GB without CR LF: the line is cut at 8 KiB with a warning saying how much was dropped, in bounded memory', async () => {
    const total = 1000 * 64_000; // 1.024 GB
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const report = await analyze(endlessLine(total), { capture: { onChunkEnd: () => { peak = Math.max(peak, process.memoryUsage().rss); } } });
    const s = report.sessions[0]!;
    expect(s.logins[0]!.user).toBe('alice');
    const warnings = s.warnings.map((w) => w.message);
    expect(warnings).toContain(`client line longer than kept: ${total - 8192} bytes dropped`);
    expect(warnings.join('\n')).toMatch(/the client side ended inside a line \(no CRLF\)/);
    const last = s.commands[s.commands.length - 1]!;
    expect(last.command.startsWith('AAAA')).toBe(true);
    expect((peak - before) / MiB).toBeLessThan(150);
  }, 600_000);
});

describe('PASV replies', () => {
  it('a 227 that names the client itself is flagged', async () => {
    const ctl = loggedIn();
    ctl.data('client', 'PASV\r\n');
    const reply = ctl.data('server', '227 Entering Passive Mode (198,51,100,2,117,48)\r\n');
    const file = writeCapture([ctl]);
    const report = await analyze(file);
    const s = report.sessions[0]!;
    expect(s.dataChannels[0]).toMatchObject({ kind: 'PASV', address: CLIENT, port: 30000 });
    expect(s.warnings).toContainEqual({ frame: reply, message: `the 227 reply names the client's own address ${CLIENT} (port 30000) as the server's data port: the client would connect to itself — a spoofed or broken reply` });
    expect(report.unusedExpectations).toEqual([{ session: 1, kind: 'PASV', address: CLIENT, port: 30000, frame: reply, reason: 'never-connected' }]);
  });

  it('5,000 PASV replies nobody connects to: the pending table stays at 16 per session, every one is reported', async () => {
    const ctl = loggedIn();
    const frames: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const port = 20000 + i;
      ctl.data('client', 'PASV\r\n');
      frames.push(ctl.data('server', `227 Entering Passive Mode (198,51,100,1,${port >> 8},${port & 255})\r\n`));
    }
    // A late connection to the first port announced.
    const late = new Conversation({ ip: CLIENT, port: 45000 }, { ip: SERVER, port: 20000 }, { client: 1, server: 2 }, ctl.time);
    late.handshake();
    late.data('server', 'late data');
    late.close();
    const file = writeCapture([ctl, late]);
    const report = await analyze(file);
    const unused = report.unusedExpectations ?? [];
    expect(unused.length).toBe(5000);
    expect(unused.filter((u) => u.reason === 'expired').length).toBe(5000 - 16);
    expect(unused.filter((u) => u.reason === 'never-connected').map((u) => u.frame)).toEqual(frames.slice(-16));
    expect(report.sessions[0]!.transfers).toEqual([]);
    // The table's size is an option.
    const wider = await analyze(file, { ftp: { expectations: { perSession: 100 } } });
    expect(wider.unusedExpectations!.filter((u) => u.reason === 'never-connected').length).toBe(100);
    // The first expectation (port 20000) had expired long before: the late connection is not
    // taken for a transfer of this session.
    expect(unused[0]).toEqual({ session: 1, kind: 'PASV', address: SERVER, port: 20000, frame: frames[0], reason: 'expired' });
  });
});

describe('hostile names and commands', () => {
  // (A name with a newline cannot reach a transfer: LF ends the command line, as it does for
  // vsftpd and pure-ftpd, so "RETR two\nlines" is RETR "two" and a command "lines".)
  const names = [
    '../../etc/passwd',
    '../../x',
    '/etc/passwd',
    '/etc/shadow',
    `${'x'.repeat(10_000)}.txt`,
    '\x1b[2J\x1b]0;owned\x07clear.txt',
    'invoice\u202Etxt.exe',
    'nul\x00byte.txt',
    `${'long-'.repeat(1200)}.bin`,
    '<script>alert(1)</script>.html',
    'pipe|`tick`|# heading.md',
  ];
  // The 10,000-character name is longer than a control line is kept (8,192 bytes, README "Limits"):
  // the argument is cut there, with a warning, and the file is extracted under the cut name.
  const args = names.map((n) => (Buffer.byteLength(`RETR ${n}`) > 8192 ? n.slice(0, 8192 - 'RETR '.length) : n));
  const ctl = loggedIn();
  const data = names.map((name, i) => retr(ctl, name, `content ${i}\n`, 30000 + i));
  ctl.data('client', utf8('SITE \x1b]52;c;ZXZpbA==\x07 \u202E\r\n'));
  ctl.data('server', utf8('500 \x1b[31mred\x1b[0m \u2066isolate\r\n'));
  const file = writeCapture([ctl, ...data]);
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 1 << 26 });
  const RAW_DANGER = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

  it('text and Markdown reports show no raw control, escape or bidi character', () => {
    for (const args of [[file], [file, '--format', 'md'], ['creds', file], ['packets', file], ['stats', file]]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(args[0] === 'creds' ? 1 : 0);
      const out = r.stdout.toString('utf8');
      expect(out.match(RAW_DANGER), args.join(' ')).toBeNull();
      expect(r.stderr.toString('utf8').match(RAW_DANGER)).toBeNull();
    }
    const text = run([file]).stdout.toString('utf8');
    expect(text).toContain('RETR ../../etc/passwd');
    expect(text).toContain('\\x1b[2J\\x1b]0;owned\\x07clear.txt');
    expect(text).toContain('invoice\\u{202e}txt.exe');
  });

  it('the HTML report escapes every name and the JSON report keeps them exactly, with no raw bidi or control character', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-hostile-html-'));
    expect(run([file, '--format', 'html', '-o', join(dir, 'r.html')]).status).toBe(0);
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;.html');
    expect(html.match(RAW_DANGER)).toBeNull();
    const r = run([file, '--format', 'json']);
    const json = r.stdout.toString('utf8');
    expect(json.match(RAW_DANGER)).toBeNull();
    const report = JSON.parse(json) as { sessions: Array<{ transfers: Array<{ arg: string }> }> };
    expect(report.sessions[0]!.transfers.map((t) => t.arg)).toEqual(args);
  });

  it('extraction keeps every file inside the folder under a sanitised name', () => {
    const parent = mkdtempSync(join(tmpdir(), 'ftp-inspect-hostile-extract-'));
    const dir = join(parent, 'out');
    for (const layout of ['flat', 'tree']) {
      const out = join(dir, layout);
      const r = run(['extract', file, '-o', out, '--layout', layout]);
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(r.stdout.toString('utf8').match(RAW_DANGER)).toBeNull();
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: Array<{ name: string; argument: string | null }> };
      expect(manifest.files.map((f) => f.argument)).toEqual(args);
      const contents = manifest.files.map((f) => readFileSync(join(out, f.name), 'utf8'));
      expect(contents).toEqual(names.map((_, i) => `content ${i}\n`));
      for (const f of manifest.files) {
        expect(relative(out, join(out, f.name)).startsWith('..'), f.name).toBe(false);
        expect(f.name.match(RAW_DANGER), f.name).toBeNull();
        for (const part of f.name.split('/')) {
          expect(Buffer.byteLength(part), f.name).toBeLessThanOrEqual(255);
          expect(['', '.', '..']).not.toContain(part);
        }
      }
    }
    // Nothing beside the output folder.
    expect(readdirSync(parent)).toEqual(['out']);
  });
});
