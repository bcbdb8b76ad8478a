// End to end, live: scripts/e2e-transfers.sh starts pure-ftpd in a private lab (network
// namespaces, documentation addresses only), moves freshly generated random files (new seed
// every run; 1 byte to 1 MiB, downloads and uploads, passive and active, IPv4 and IPv6,
// curl and lftp) while tcpdump records, and the built `ftp-inspect extract` CLI must give
// back every one of them byte for byte. Needs root and the lab's tools: skipped with the
// reason otherwise — except where FTP_INSPECT_REQUIRE_E2E is set (CI), where a skip fails.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/analyze.js';
import type { Manifest } from '../../src/extract/Manifest.js';
import { ROOT } from '../helpers/captures.js';

const TOOLS = ['ip', 'ethtool', 'tcpdump', 'capinfos', 'pure-ftpd', 'curl', 'lftp', 'openssl', 'ping', 'unshare', 'ss', 'sysctl'];
const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
if (spawnSync('test', ['-x', '/usr/bin/python3']).status !== 0) missing.push('/usr/bin/python3');
const isRoot = process.getuid?.() === 0;
const skipReason = !isRoot ? 'not root (network namespaces need it)' : missing.length > 0 ? `missing: ${missing.join(', ')}` : '';
if (skipReason !== '' && process.env.FTP_INSPECT_REQUIRE_E2E) {
  throw new Error(`FTP_INSPECT_REQUIRE_E2E is set but the live FTP test cannot run: ${skipReason}`);
}

const CLI = join(ROOT, 'dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'ftp-inspect-live-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(skipReason !== '')(`live transfers through a real server and client${skipReason ? ` [SKIPPED: ${skipReason}]` : ''}`, () => {
  it('every random file, up and down, passive and active, IPv4 and IPv6, comes out of `ftp-inspect extract` byte-exact', () => {
    const rec = spawnSync('bash', [join(ROOT, 'scripts/e2e-transfers.sh'), join(work, 'run')], { timeout: 90_000, encoding: 'utf8' });
    expect(rec.status, `e2e-transfers.sh failed:\n${rec.stderr}`).toBe(0);
    const expected = readFileSync(join(work, 'run/expected.tsv'), 'utf8').trim().split('\n').map((l) => {
      const [direction, name, size, sha256] = l.split('\t');
      return { direction: direction!, name: name!, size: Number(size), sha256: sha256! };
    });
    expect(expected.length).toBe(10);
    const out = join(work, 'out');
    const ex = spawnSync(process.execPath, [CLI, 'extract', join(work, 'run/live.pcap'), '-o', out], { encoding: 'utf8' });
    expect(ex.status, ex.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    for (const e of expected) {
      const f = manifest.files.find((x) => x.argument === e.name);
      expect(f, e.name).toBeDefined();
      expect([f!.direction, f!.size, f!.sha256, f!.complete]).toEqual([e.direction, e.size, e.sha256, true]);
      // What the manifest says is what is on disk.
      expect(createHash('sha256').update(readFileSync(join(out, f!.name))).digest('hex')).toBe(e.sha256);
    }
    // The run covered what it claims: every mode, both address families, both directions.
    const report = JSON.parse(spawnSync(process.execPath, [CLI, join(work, 'run/live.pcap'), '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout) as Report;
    const transfers = report.sessions.flatMap((s) => s.transfers.map((t) => ({ t, v6: s.server.ip.includes(':') })));
    const seen = new Set(transfers.filter(({ t }) => t.command === 'RETR' || t.command === 'STOR').map(({ t, v6 }) => `${t.direction} ${t.mode} ${v6 ? 'v6' : 'v4'}`));
    for (const want of ['download passive v4', 'download active v4', 'download extended-passive v6', 'download extended-active v6',
      'upload passive v4', 'upload active v4', 'upload extended-passive v6', 'upload extended-active v6']) expect(seen, want).toContain(want);
    expect(transfers.every(({ t }) => t.status === 'complete' && t.connection?.binding.rule === 'address+port')).toBe(true);
  });
});
