// Extraction end to end on real captures: every file fixtures/record.sh transferred comes out
// byte-exact (sha256 from fixtures/manifest.json and modez-manifest.json), and the public
// captures whose MANIFEST.md states what was transferred give those files — including where
// tshark's --export-objects ftp-data gets it wrong (EPRT, active mode from a port other than
// 20, APPE/STOU/listings, rewritten addresses) — with honest completeness where data is missing.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Report } from '../../src/analyze.js';
import { FileSink } from '../../src/extract/FileSink.js';
import type { Manifest } from '../../src/extract/Manifest.js';
import { FIXTURES, PUBLIC_CAPTURES, hasPublicCaptures } from '../helpers/captures.js';

interface FixtureManifest {
  captures: Array<{
    file: string;
    decode_as: string[];
    transfers: Array<{ name: string; direction: string; size: number; sha256: string; tls: boolean; type?: 'A'; wire_sha256?: string; wire_size?: number }>;
    pieces: Array<{ name: string; direction: string; offset: number; file_size: number; file_sha256: string; tcp_stream: number; bytes: number; sha256: string; to_end: boolean }>;
  }>;
}
const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as FixtureManifest;

async function extract(file: string, options: { ports?: number[]; ascii?: 'wire' | 'native' } = {}): Promise<{ report: Report; manifest: Manifest }> {
  const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-extract-'));
  const sink = await FileSink.create(dir);
  const report = await analyze(file, { ftp: { ports: [21, ...(options.ports ?? [])], extract: { sink, decode: { ascii: options.ascii ?? 'wire' } } } });
  const manifest = await sink.close();
  // manifest.json is written entry by entry; its text is what JSON.stringify gives for the whole.
  expect(readFileSync(join(dir, sink.manifestName!), 'utf8')).toBe(`${JSON.stringify(manifest, null, 1)}\n`);
  return { report, manifest };
}

describe('every file of every fixture is extracted byte-exact (fixtures/manifest.json)', () => {
  for (const c of fixtures.captures) {
    const ports = c.decode_as.map((d) => Number(/tcp\.port==(\d+)/.exec(d)?.[1])).filter((n) => n > 0);
    if (c.transfers.length === 0 && (c.pieces?.length ?? 0) > 0) continue; // pieces: tested below
    it(`${c.file}: ${c.transfers.map((t) => t.name).join(', ') || 'no transfers'}`, async () => {
      const { report, manifest } = await extract(join(FIXTURES, c.file), { ports });
      // TYPE A (ascii-type-a.pcap): by default the wire's CR LF copy; --ascii native gives the LF original.
      const native = c.transfers.some((t) => t.type === 'A') ? (await extract(join(FIXTURES, c.file), { ports, ascii: 'native' })).manifest : undefined;
      for (const t of c.transfers) {
        const all = report.sessions.flatMap((s) => s.transfers);
        if (t.tls) {
          // AUTH TLS + PROT P: the command is encrypted and so are the bytes: reported as a data
          // connection of the session (timing rule), never extracted as if it were the file.
          expect(all).toHaveLength(1);
          expect(all[0]!.command).toBeNull();
          expect(all[0]!.connection?.binding.rule).toBe('timing');
          expect(manifest.files).toHaveLength(0);
          continue;
        }
        const transfer = all.find((x) => x.arg === t.name || x.arg.endsWith(`/${t.name}`));
        expect(transfer, t.name).toBeDefined();
        expect(transfer!.status).toBe('complete');
        expect(transfer!.direction).toBe(t.direction);
        const find = (m: Manifest) => m.files.find((f) => f.command !== null && (f.argument === t.name || f.argument?.endsWith(`/${t.name}`)));
        const file = find(manifest);
        if (t.type === 'A') {
          expect(transfer!.type).toBe('A');
          expect(file?.sha256, `${t.name} as on the wire`).toBe(t.wire_sha256);
          expect(file?.size).toBe(t.wire_size);
          const orig = find(native!);
          expect(orig?.sha256, `${t.name} --ascii native`).toBe(t.sha256);
          expect(orig?.size).toBe(t.size);
          expect(orig?.complete).toBe(true);
          continue;
        }
        expect(file?.sha256, t.name).toBe(t.sha256);
        expect(file?.size).toBe(t.size);
        expect(file?.complete).toBe(true);
      }
      // Every transfer is tied to a data connection on the strongest rule.
      for (const t of report.sessions.flatMap((s) => s.transfers)) {
        if (t.connection && !report.sessions.find((s) => s.encrypted)) expect(t.connection.binding.rule).toBe('address+port');
      }
    });
  }

  it('ipv6-epsv-eprt.pcap: EPSV is passive (client opens), EPRT active (server opens)', async () => {
    const { report } = await extract(join(FIXTURES, 'ipv6-epsv-eprt.pcap'));
    const files = report.sessions.flatMap((s) => s.transfers).filter((t) => t.command === 'RETR');
    expect(files.map((t) => [t.mode, t.connection?.openedBy])).toEqual([['extended-passive', 'client'], ['extended-active', 'server']]);
  });

  it('active-port.pcap: PORT from port 20, p1×256+p2 shown, handshake frames', async () => {
    const { report } = await extract(join(FIXTURES, 'active-port.pcap'));
    const t = report.sessions[0]!.transfers.find((x) => x.command === 'RETR')!;
    expect(t.connection?.opener.port).toBe(20);
    expect(t.announcement?.explanation).toMatch(/× 256 \+/);
    expect(t.connection?.handshake.syn).toBeGreaterThan(0);
    expect(t.preliminary?.announcedSize).toBe(32768);
    expect(t.final?.code).toBe(226);
  });

  it('modez-lftp-proftpd.pcap: MODE Z inflated, TYPE A native, upload too (fixtures/modez-manifest.json)', async () => {
    const mz = JSON.parse(readFileSync(join(FIXTURES, 'modez-manifest.json'), 'utf8')) as { originals: Record<string, { sha256: string }> };
    const { manifest } = await extract(join(FIXTURES, 'modez-lftp-proftpd.pcap'), { ascii: 'native' });
    const want = Object.values(mz.originals).map((o) => o.sha256).sort();
    expect([...new Set(manifest.files.map((f) => f.sha256))].sort()).toEqual(want);
    expect(manifest.files.every((f) => f.complete && f.wire.mode === 'Z')).toBe(true);
  });
});

const pub = (p: string) => join(PUBLIC_CAPTURES, p);
const INDEX_HTML = '5ef391d886d04116cf84b584ae37ef136f83950ab69b7bfb2a6da7506f7b3a57';

describe.skipIf(!hasPublicCaptures)('public captures (../shared/captures/public/MANIFEST.md)', () => {
  for (const [file, verb] of [
    ['suricata-verify/ftp-download-active/input.pcap', 'RETR'],
    ['suricata-verify/ftp-download-passive/input.pcap', 'RETR'],
    ['suricata-verify/ftp-upload-active/input.pcap', 'STOR'],
    ['suricata-verify/ftp-upload-passive/input.pcap', 'STOR'],
  ] as const) {
    it(`${file}: ${verb} index.html (39 B, as tshark exports it) and both NLST listings`, async () => {
      const { report, manifest } = await extract(pub(file));
      const f = manifest.files.find((x) => x.command === verb)!;
      expect(f.sha256).toBe(INDEX_HTML);
      expect(manifest.files.filter((x) => x.command === 'NLST')).toHaveLength(2);
      expect(report.sessions[0]!.transfers.every((t) => t.status === 'complete')).toBe(true);
    });
  }

  it('ftp-ippair-leak-5204: all 10 replayed sessions linked (tshark: 1), 9 by port only because PORT names 192.168.0.13', async () => {
    const { report, manifest } = await extract(pub('suricata-verify/ftp-ippair-leak-5204/input.pcap'));
    expect(report.sessions).toHaveLength(10);
    const retr = report.sessions.flatMap((s) => s.transfers).filter((t) => t.command === 'RETR');
    expect(retr).toHaveLength(10);
    const rules = retr.map((t) => t.connection?.binding.rule);
    expect(rules.filter((r) => r === 'address+port')).toHaveLength(1);
    expect(rules.filter((r) => r === 'port-only')).toHaveLength(9);
    expect(new Set(manifest.files.filter((f) => f.command === 'RETR').map((f) => f.sha256)).size).toBe(1);
    expect(manifest.files.filter((f) => f.command === 'RETR').every((f) => f.size === 1164)).toBe(true);
  });

  it('ruletype-firewall-116 (IPv4) and 117 (IPv6): all 14 data commands per capture, STOR/APPE/STOU/LIST/NLST/MLSD/RETR (tshark exports 4 and 2)', async () => {
    for (const file of ['suricata-verify/ruletype-firewall-116-ftp-all-data-ipv4/input.pcap', 'suricata-verify/ruletype-firewall-117-ftp-all-data-ipv6/input.pcap']) {
      const { report, manifest } = await extract(pub(file));
      const transfers = report.sessions.flatMap((s) => s.transfers);
      expect(transfers).toHaveLength(14);
      expect(transfers.every((t) => t.connection !== null && t.status === 'complete')).toBe(true);
      expect(manifest.files).toHaveLength(14);
      expect(manifest.files.filter((f) => f.command === 'RETR').every((f) => f.sha256 === INDEX_HTML)).toBe(true);
    }
  });

  it('zeek/ipv4.pcap: the active connections come from port 61920, not 20 (tshark misses them), robots.txt twice', async () => {
    const { report, manifest } = await extract(pub('zeek/ipv4.pcap'));
    const transfers = report.sessions.flatMap((s) => s.transfers);
    expect(transfers.map((t) => t.mode)).toEqual(['passive', 'passive', 'active', 'active']);
    expect(transfers.filter((t) => t.mode === 'active').every((t) => t.connection?.opener.port !== 20)).toBe(true);
    const robots = manifest.files.filter((f) => f.argument === 'robots.txt');
    expect(robots.map((f) => f.size)).toEqual([77, 77]);
    expect(new Set(robots.map((f) => f.sha256)).size).toBe(1);
  });

  it('ndpi/ftp.pcap: 1MB.zip cut short is incomplete despite the 226, with the missing range', async () => {
    const { report } = await extract(pub('ndpi/ftp.pcap'));
    const t = report.sessions.flatMap((s) => s.transfers).find((x) => x.command === 'RETR')!;
    expect(t.status).not.toBe('complete');
    expect(t.missing.length).toBeGreaterThan(0);
    expect(t.extracted?.complete).toBe(false);
  });

  it('zeek/bigtransfer.pcap: >4 GiB RETR incomplete, missing exactly the 5416642848 bytes Zeek files.log reports', async () => {
    const report = await analyze(pub('zeek/bigtransfer.pcap'));
    const t = report.sessions[0]!.transfers.find((x) => x.command === 'RETR')!;
    expect(t.status).toBe('incomplete');
    expect(t.bytes).toBe(23822);
    const missing = t.missing.reduce((n, [a, b]) => n + ((b ?? 0) - a), 0);
    const zeek = readFileSync(pub('zeek/bigtransfer.pcap.zeek-expected.files.log'), 'utf8');
    expect(zeek).toContain(String(missing));
    expect(missing).toBe(5416642848);
  });
});
