// `ftp-inspect packets` as a user runs it: the built CLI in a child process, real fixtures,
// exit statuses, standard input, gzip, damaged files and hostile text.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { PacketRow } from '../../src/report/PacketList.js';
import { writePcap } from '../helpers/captureWriter.js';
import { FIXTURES, ROOT } from '../helpers/captures.js';
import { ethIpv4Tcp } from '../helpers/packetBuilder.js';
import { hasTshark, tsharkFields, tsharkNote } from '../helpers/tshark.js';

const CLI = join(ROOT, 'dist/cli.js');
const PASV = join(FIXTURES, 'pasv-download.pcap');
const ACTIVE = join(FIXTURES, 'active-port.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'ftp-inspect-cli-'));

function run(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

function json(args: string[], input?: Buffer): PacketRow[] {
  const r = run([...args, '--format', 'json'], input);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as PacketRow[];
}

describe('ftp-inspect packets', () => {
  it('prints every frame of a capture as JSON with the documented keys', () => {
    const rows = json(['packets', PASV]);
    const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as unknown;
    const packets = JSON.stringify(manifest).match(/"pasv-download\.pcap"[^}]*?"packets":\s*(\d+)/)?.[1];
    expect(rows.length).toBe(Number(packets ?? 95));
    expect(rows.map((r) => r.frame)).toEqual(rows.map((_, i) => i + 1));
    for (const key of ['frame', 'time', 'relTime', 'length', 'capturedLength', 'linkType', 'src', 'dst', 'protocol', 'info', 'warnings']) {
      expect(rows[0]).toHaveProperty(key);
    }
    expect(rows[0]!.time).toMatch(/^\d+\.\d{9}$/);
    expect(rows[0]!.relTime).toBe('0.000000000');
    expect(rows[0]!.tcp).toMatchObject({ dstPort: 21, flags: 0x002, seq: 0, ack: 0, len: 0 });
    for (const key of ['srcPort', 'dstPort', 'flags', 'seq', 'ack', 'seqRaw', 'ackRaw', 'len', 'window']) expect(rows[0]!.tcp).toHaveProperty(key);
    expect(rows.find((r) => r.info.startsWith('Response: 220'))?.protocol).toBe('FTP');
  });

  it('prints a Wireshark-like text list', () => {
    const r = run(['packets', ACTIVE]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/No\.\s+Time\s+Source\s+Destination\s+Protocol\s+Length\s+Info/);
    expect(lines[1]).toMatch(/^\s+1 0\.000000\s+198\.51\.100\.2\s+198\.51\.100\.1\s+TCP\s+74 \d+ → 21 \[SYN\] Seq=0 Win=\d+ Len=0 MSS=1460 SACK_PERM TSval=\d+ TSecr=0 WS=\d+$/);
    expect(r.stdout).toMatch(/FTP-DATA\s+\d+ FTP Data: \d+ bytes \(PORT\) \(LIST\)/);
  });

  it('--filter handshake lists each connection\'s SYN, SYN/ACK and ACK in order', () => {
    const rows = json(['packets', ACTIVE, '--filter', 'handshake']);
    expect(rows.length % 3).toBe(0);
    expect(rows.length).toBeGreaterThanOrEqual(9); // control + two data connections
    for (let i = 0; i < rows.length; i += 3) {
      expect(rows.slice(i, i + 3).map((r) => r.tcp?.handshake)).toEqual(['SYN', 'SYN/ACK', 'ACK']);
      expect(rows[i]!.tcp!.stream).toBe(rows[i + 2]!.tcp!.stream);
      expect(rows[i + 1]!.tcp!.ack).toBe(1);
      expect(rows[i + 2]!.tcp!.ackRaw).toBe((rows[i + 1]!.tcp!.seqRaw + 1) >>> 0);
    }
  });

  it.skipIf(!hasTshark)(`--filter ftp and ftp-data select the frames tshark labels FTP and FTP-DATA${tsharkNote}`, () => {
    for (const file of [PASV, ACTIVE, join(FIXTURES, 'ipv6-epsv-eprt.pcap'), join(FIXTURES, 'upload-stor.pcap')]) {
      for (const filter of ['ftp', 'ftp-data']) {
        const ours = json(['packets', file, '--filter', filter]).map((r) => r.frame);
        const theirs = tsharkFields(file, ['frame.number'], ['-Y', filter]).map((r) => Number(r['frame.number']));
        expect(ours, `${file} ${filter}`).toEqual(theirs);
      }
    }
  });

  it('reads standard input and gzip-compressed captures the same as the file', () => {
    const plain = json(['packets', PASV]);
    expect(json(['packets', '-'], readFileSync(PASV))).toEqual(plain);
    const gz = join(tmp, 'renamed.bin');
    writeFileSync(gz, gzipSync(readFileSync(PASV)));
    expect(json(['packets', gz])).toEqual(plain);
  });

  it('keeps every whole frame of a truncated capture and warns on stderr', () => {
    const bytes = readFileSync(PASV);
    const cut = join(tmp, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const r = run(['packets', cut, '--format', 'json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as PacketRow[];
    expect(rows.length).toBe(json(['packets', PASV]).length - 1);
    expect(r.stderr).toMatch(/^ftp-inspect: warning: .*cut\.pcap: frame \d+ .*truncated/m);
  });

  it('refuses a file that is not a capture with one line and exit status 2', () => {
    const notes = join(tmp, 'notes.txt');
    writeFileSync(notes, 'Hello, this is not a capture\n');
    const r = run(['packets', notes]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('notes.txt');
    expect(r.stderr).toMatch(/not a pcap or pcapng capture \(starts with 48 65 6c 6c/);
  });

  it('exits 2 with a clear message for a missing file, a bad option or a bad filter', () => {
    const missing = run(['packets', join(tmp, 'nope.pcap')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.pcap: no such file/);
    expect(run(['packets', PASV, '--filter', 'smtp']).status).toBe(2);
    expect(run(['packets', PASV, '--ftp-port', '99999']).status).toBe(2);
    expect(run(['packets']).status).toBe(2);
  });

  it('has --help with examples and --version', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(run(['packets', '--help']).stdout).toContain('--filter');
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    expect(run(['--version']).stdout.trim()).toBe(version);
  });

  it('never lets terminal escape sequences from the capture reach the terminal', () => {
    const evil = Buffer.from('USER \x1b[2J\x1b]0;pwned\x07root\u202e\r\n', 'utf8');
    const file = join(tmp, 'evil.pcap');
    writeFileSync(file, writePcap({}, [{ tsSec: 1, tsNsec: 0, data: ethIpv4Tcp({ srcPort: 40000, dstPort: 21, flags: 0x018, payload: evil }) }]));
    const r = run(['packets', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    expect(r.stdout).toContain('Request: USER \\x1b[2J\\x1b]0;pwned\\x07root\\u{202e}');
  });

  it('--ftp-port labels FTP on a non-standard port', () => {
    const file = join(FIXTURES, 'nonstandard-port-2121.pcap');
    expect(json(['packets', file, '--filter', 'ftp']).length).toBe(0);
    const rows = json(['packets', file, '--filter', 'ftp', '--ftp-port', '2121']);
    expect(rows[0]?.info).toMatch(/^Response: 220/);
  });

  it('stops quietly when the reader of its output goes away', () => {
    const out = execFileSync('sh', ['-c', `node "${CLI}" packets "${PASV}" | head -n 2; echo "status=\${PIPESTATUS:-0}"`], { encoding: 'utf8' });
    expect(out.split('\n').length).toBeGreaterThanOrEqual(3);
  });
});
