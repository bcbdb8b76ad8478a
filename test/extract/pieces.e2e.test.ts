// Resumed (REST), appended (APPE) and aborted transfers in the lab recordings, through the real
// `ftp-inspect extract` CLI: every piece's bytes and offset as fixtures/manifest.json records them
// (manifest.py found each piece in the file by content), the aborted ones never called complete,
// and the whole file reassembled from the pieces with the original's sha256.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/analyze.js';
import type { Manifest } from '../../src/extract/Manifest.js';
import { FIXTURES, ROOT } from '../helpers/captures.js';

interface Piece { name: string; direction: string; offset: number; file_size: number; file_sha256: string; tcp_stream: number; bytes: number; sha256: string; to_end: boolean }
const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { captures: Array<{ file: string; pieces: Piece[] }> };
const pieces = (file: string) => fixtures.captures.find((c) => c.file === file)!.pieces;

function extract(file: string): { manifest: Manifest; report: Report; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-pieces-'));
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), join(FIXTURES, file), '--extract', dir, '--format', 'json'], { maxBuffer: 1 << 26 });
  expect(r.status, r.stderr.toString()).toBe(0);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return { manifest, report: JSON.parse(r.stdout.toString()) as Report, stdout: r.stdout.toString() };
}

describe('resumed, appended and aborted transfers (fixtures/manifest.json pieces)', () => {
  it('resume-rest.pcap: the reset first piece is aborted despite pure-ftpd\'s 226, REST 6000 is recorded, the whole file is reassembled', () => {
    const { manifest, report } = extract('resume-rest.pcap');
    const [first, second] = pieces('resume-rest.pcap');
    const retr = report.sessions[0]!.transfers.filter((t) => t.command === 'RETR');
    expect(retr).toHaveLength(2);
    // The first data connection was reset by the client before the server's FIN: whatever the 226 says, not complete.
    expect(retr[0]!.final?.code).toBe(226);
    expect(retr[0]!.status).toBe('aborted');
    expect(retr[0]!.notes.join(' ')).toMatch(/RST in frame \d+ before the sender's FIN/);
    expect(retr[0]!.bytes).toBe(first!.bytes);
    expect(retr[1]!.rest).toBe(6000);
    expect(retr[1]!.status).toBe('complete');
    expect(retr[1]!.bytes).toBe(second!.bytes);
    const files = manifest.files.filter((f) => f.kind === 'file');
    expect(files.map((f) => [f.stream, f.sha256, f.restOffset ?? 0])).toEqual([[first!.tcp_stream, first!.sha256, 0], [second!.tcp_stream, expect.any(String), 6000]]);
    expect(files[0]!.complete).toBe(false);
    expect(files[0]!.missingDetail).toEqual([{ start: first!.bytes, end: null, reason: 'aborted' }]);
    expect(files[1]!.missingDetail).toEqual([{ start: 0, end: 6000, reason: 'before-rest' }]);
    const whole = manifest.files.filter((f) => f.kind === 'reassembled');
    expect(whole).toHaveLength(1);
    expect(whole[0]!.sha256).toBe(first!.file_sha256);
    expect(whole[0]!.size).toBe(first!.file_size);
    expect(whole[0]!.complete).toBe(true);
    expect(whole[0]!.pieces).toEqual([{ name: files[0]!.name, start: 0, end: first!.bytes }, { name: files[1]!.name, start: first!.bytes, end: first!.file_size }]);
  });

  it('append-appe.pcap: STOR of 10000 bytes, then SIZE (213 10000) + APPE at offset 10000, the uploaded file reassembled', () => {
    const { manifest, report } = extract('append-appe.pcap');
    const [first, second] = pieces('append-appe.pcap');
    expect(second!.offset).toBe(10000);
    const ups = report.sessions.flatMap((s) => s.transfers).filter((t) => t.direction === 'upload');
    expect(ups.map((t) => [t.command, t.status, t.bytes])).toEqual([['STOR', 'complete', first!.bytes], ['APPE', 'complete', second!.bytes]]);
    expect(ups[1]!.notes.join(' ')).toMatch(/appends at offset 10000: the remote file's size in the SIZE reply/);
    const files = manifest.files.filter((f) => f.kind === 'file');
    expect(files[1]!.restOffset).toBe(10000);
    expect(files[0]!.sha256).toBe(first!.sha256);
    const whole = manifest.files.find((f) => f.kind === 'reassembled');
    expect(whole?.sha256).toBe(first!.file_sha256);
    expect(whole?.size).toBe(first!.file_size);
    expect(whole?.direction).toBe('upload');
  });

  it('abort-abor.pcap: ABOR and a reset while vsftpd was sending: 426, aborted, missing to the announced 262144, nothing reassembled', () => {
    const { manifest, report } = extract('abort-abor.pcap');
    const [piece] = pieces('abort-abor.pcap');
    const t = report.sessions[0]!.transfers.find((x) => x.command === 'RETR')!;
    expect(t.final?.code).toBe(426);
    expect(t.status).toBe('aborted');
    expect(t.preliminary?.announcedSize).toBe(piece!.file_size);
    expect(t.bytes).toBe(piece!.bytes);
    expect(manifest.files).toHaveLength(1);
    const f = manifest.files[0]!;
    expect(f.sha256).toBe(piece!.sha256);
    expect(f.complete).toBe(false);
    expect(f.missing).toEqual([[piece!.bytes, piece!.file_size]]);
  });
});

describe('more lab recordings', () => {
  it('parallel-sessions.pcap: three sessions at once from one client, each file bound to its own session', () => {
    const { manifest, report } = extract('parallel-sessions.pcap');
    expect(report.sessions).toHaveLength(3);
    for (const s of report.sessions) {
      const retr = s.transfers.filter((t) => t.command === 'RETR');
      expect(retr).toHaveLength(1);
      expect(retr[0]!.connection?.binding.rule).toBe('address+port');
      const f = manifest.files.find((x) => x.session === s.id && x.command === 'RETR');
      expect(f?.argument).toBe(retr[0]!.arg);
    }
    // They overlapped in time: each session's data started before another session ended.
    const spans = report.sessions.map((s) => [s.transfers[0]!.connection!.firstFrame, s.transfers[0]!.connection!.lastFrame!]);
    expect(spans.some(([a, b]) => spans.some(([c]) => c !== a && c! > a! && c! < b!))).toBe(true);
  });

  it('active-ephemeral-port.pcap: vsftpd opens the active data connections from a port other than 20', () => {
    const { report } = extract('active-ephemeral-port.pcap');
    const ts = report.sessions[0]!.transfers;
    expect(ts.map((t) => [t.command, t.mode, t.connection?.openedBy, t.status])).toEqual([['LIST', 'active', 'server', 'complete'], ['RETR', 'active', 'server', 'complete']]);
    for (const t of ts) {
      expect(t.connection!.opener.port).not.toBe(20);
      expect(t.connection!.binding.rule).toBe('address+port');
    }
  });

  it('mlsd-epsv-all.pcap: after EPSV ALL every data connection is EPSV; the MLSD listing is saved and parsed', () => {
    const { manifest, report } = extract('mlsd-epsv-all.pcap');
    const s = report.sessions[0]!;
    expect(s.state.epsvAll).toBe(true);
    expect(s.transfers.map((t) => [t.command, t.mode, t.status])).toEqual([['MLSD', 'extended-passive', 'complete'], ['RETR', 'extended-passive', 'complete']]);
    expect(s.transfers[0]!.listing?.format).toBe('mlsd');
    expect(manifest.files.map((f) => f.kind)).toEqual(['listing', 'file']);
  });
});
