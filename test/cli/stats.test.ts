// `ftp-inspect stats` as a user runs it: the built CLI on a fixture, text and JSON, and the full
// report's JSON carrying the same statistics object.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/analyze.js';
import type { Statistics } from '../../src/stats/model.js';
import { FIXTURES, ROOT } from '../helpers/captures.js';

const CLI = join(ROOT, 'dist/cli.js');
const fixture = (name: string) => join(FIXTURES, name);

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

const RANGES = ['Packet Lengths', '0-19', '20-39', '40-79', '80-159', '160-319', '320-639', '640-1279', '1280-2559', '2560-5119', '5120 and greater'];

describe('ftp-inspect stats', () => {
  it('prints the packet-length tables, conversations, frame sizes and transfers as text', () => {
    const r = run(['stats', fixture('pasv-download.pcap')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    // tshark -q -z plen,tree on this capture: 95 frames, average 348.15, 66-1514, 3.8782/ms.
    expect(r.stdout).toMatch(/Packet Lengths\s+95\s+348\.15\s+66\s+1514\s+3\.8782\s+100%/);
    expect(r.stdout).toMatch(/1280-2559\s+17\s+1511\.65\s+1474\s+1514\s+0\.6940\s+17\.89%/);
    expect(r.stdout).toContain('FTP control connections (tcp.stream in {0})');
    expect(r.stdout).toContain('FTP data connections (tcp.stream in {1,2})');
    expect(r.stdout).toMatch(/198\.51\.100\.2:58714\s+198\.51\.100\.1:21\s+24\s+1863\s+23\s+2813\s+47\s+4676/);
    expect(r.stdout).toMatch(/RETR lab-data-24k\.bin\s+complete\s+2\s+24576/);
    for (const line of r.stdout.split('\n')) expect(line).toBe(line.trimEnd());
  });

  it('--format json gives { schemaVersion, statistics } with the documented shape, the same as the report JSON', () => {
    const r = run(['stats', fixture('pasv-download.pcap'), '--format', 'json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { schemaVersion: number; statistics: Statistics };
    expect(out.schemaVersion).toBe(1);
    const p = out.statistics.packetLengths;
    for (const rows of [p.all, p.ftpControl, p.ftpData]) {
      expect(rows.map((x) => x.range)).toEqual(RANGES);
      for (const row of rows) expect(Object.keys(row).sort()).toEqual(['average', 'count', 'max', 'min', 'percent', 'range', 'rate']);
    }
    expect(p.all[0]).toEqual({ range: 'Packet Lengths', count: 95, average: 348.15, min: 66, max: 1514, rate: 3.8782, percent: 100 });
    expect(p.all[1]).toEqual({ range: '0-19', count: 0, average: null, min: null, max: null, rate: 0, percent: 0 });
    expect(p.ftpControlStreams).toEqual([0]);
    expect(p.ftpDataStreams).toEqual([1, 2]);
    expect(p.ftpData[8]).toMatchObject({ range: '1280-2559', count: 17, min: 1474, max: 1514 });
    const data = out.statistics.connections.find((c) => c.stream === 2)!;
    expect(data).toMatchObject({ role: 'ftp-data', session: 1 });
    expect(data.fromServer.frameSizes.max).toBe(1514);
    expect(out.statistics.conversations).toHaveLength(3);
    expect(out.statistics.sessions[0]!.transfers.map((t) => [t.command, t.stream, t.retransmissions])).toEqual([['LIST', 1, 0], ['RETR', 2, 0]]);

    const full = JSON.parse(run([fixture('pasv-download.pcap'), '--format', 'json']).stdout) as Report;
    expect(full.statistics).toEqual(out.statistics);
  });

  it('exits 2 on a missing file, and documents the JSON in --help', () => {
    const missing = run(['stats', fixture('no-such.pcap')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no such file');
    const help = run(['stats', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('packetLengths.{all, ftpControl, ftpData}');
  });
});
