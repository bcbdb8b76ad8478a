// Extraction against tshark's `--export-objects ftp-data,DIR`, on every fixture and every
// public capture: every object tshark exports must be one of our extracted files, byte for
// byte (sha256) — or be one of the differences below, each checked on the capture and with
// the reason tshark is wrong. tshark exports fewer files than we do (it ties a data
// connection to the command right after PASV/PORT only, and skips listings, APPE/STOU and
// EPRT), so the comparison runs from tshark's side.
//
// Matching: tshark names an object by the command's argument ('/' written %2f, and "(1)",
// "(2)" … before the extension for a name it already used), so an object is matched to our
// file with the same base name and the same sha256 first, then to any file with that sha256
// (each of ours once). Ours are extracted with holes 'omit' here: tshark concatenates what
// it has and closes holes silently, so only the bytes that came can be compared; where we
// found holes, our manifest lists them and tshark's file says nothing (noted per capture).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyze, type Report } from '../../src/analyze.js';
import { FileSink } from '../../src/extract/FileSink.js';
import type { Manifest, ManifestEntry } from '../../src/extract/Manifest.js';
import { FIXTURES, captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';
import { hasTshark, tsharkFields, tsharkNote } from '../helpers/tshark.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Control ports tshark has to be told about (fixtures/manifest.json decode_as; MANIFEST.md of the public corpus). */
const DECODE_AS: Record<string, number> = {
  'nonstandard-port-2121.pcap': 2121,
  'wrongdissector.dmp': 137,
  'wrongdissector.pcapng': 443,
  'globus-url-copy.pcap': 2811,
};

interface TsharkObject { name: string; bytes: Buffer; sha256: string }
interface Ours { report: Report; manifest: Manifest; dir: string }

function tsharkObjects(file: string): TsharkObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-tshark-objects-'));
  const port = DECODE_AS[basename(file)];
  execFileSync('tshark', ['-n', '-r', file, ...(port ? ['-d', `tcp.port==${port},ftp`] : []), '-q', '--export-objects', `ftp-data,${dir}`], { stdio: 'ignore' });
  return readdirSync(dir).sort().map((name) => {
    const bytes = readFileSync(join(dir, name));
    return { name, bytes, sha256: sha256(bytes) };
  });
}

async function ours(file: string): Promise<Ours> {
  const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-ours-'));
  const sink = await FileSink.create(dir, { holes: 'omit' });
  const port = DECODE_AS[basename(file)];
  const report = await analyze(file, { ftp: { ports: port ? [21, port] : [21], extract: { sink } } });
  const manifest = await sink.close();
  return { report, manifest, dir };
}

/** tshark's object name as the remote base name: %2f undone, its own "(N)" collision suffix dropped. */
function tsharkBase(name: string): string {
  const decoded = name.replace(/%2f/gi, '/');
  return (decoded.split('/').pop() ?? decoded).replace(/\(\d+\)(?=(\.[^.]*)?$)/, '');
}

const remoteBase = (e: ManifestEntry) => (e.argument ?? '').split('/').pop() ?? '';

/**
 * Objects tshark gets wrong, by capture and object name: what it did, why ours is right, and a
 * check of that claim on the capture itself (it must hold, or the explanation is stale).
 */
const KNOWN: Record<string, Record<string, { why: string; check(o: TsharkObject, ours: Ours, file: string): void }>> = {
  'fixtures/modez-lftp-proftpd.pcap': Object.fromEntries(['modez-notes.txt', 'modez-notes(1).txt', 'uploads%2fmodez-upload.txt'].map((n) => [n, {
    why:
      'MODE Z: tshark writes the deflate stream as it crossed the wire; the file is what it inflates to (zlib, fixtures/MODEZ.md). ' +
      'For the upload tshark also appends the other direction: the empty zlib stream proftpd sends back (78 da 03 00 00 00 00 01)',
    check(o: TsharkObject, x: Ours) {
      const inflated = inflateSync(o.bytes);
      const hit = x.manifest.files.find((f) => f.sha256 === sha256(inflated) && remoteBase(f) === tsharkBase(o.name));
      expect(hit?.wire.mode).toBe('Z');
      const extra = o.bytes.subarray(hit!.wire.bytes!);
      if (hit!.direction === 'upload') expect(Buffer.from(extra).toString('hex')).toBe('78da030000000001');
      else expect(extra.length).toBe(0);
    },
  }])),
  'akumukernel-tarea1/ftp.pcapng': {
    'un-archivo.png': {
      why: 'tshark counts a retransmitted segment twice (1448 bytes too many); the server announced "(79640 bytes)" in its 150 reply, which is what we extract',
      check(o, x) {
        const t = x.report.sessions.flatMap((s) => s.transfers).find((y) => y.arg === 'un-archivo.png')!;
        const f = x.manifest.files.find((y) => y.argument === 'un-archivo.png')!;
        expect(t.preliminary?.announcedSize).toBe(79640);
        expect(f.size).toBe(79640);
        expect(f.complete).toBe(true);
        expect(o.bytes.length - f.size).toBe(1448);
      },
    },
  },
  'ndpi/ftp.pcap': {
    '1MB.zip': {
      why: 'tshark loses the data connection\'s first segment (frame 74: seq 1, 1440 bytes) because it arrived out of order after frame 72; we put it in its place',
      check(o, x, file) {
        const rows = tsharkFields(file, ['frame.number', 'tcp.seq', 'tcp.len'], ['-Y', 'tcp.stream==2 && tcp.analysis.out_of_order']);
        expect(rows.map((r) => [r['frame.number'], r['tcp.seq'], r['tcp.len']])).toEqual([['74', '1', '1440']]);
        const f = x.manifest.files.find((y) => y.argument === '1MB.zip')!;
        const mine = readFileSync(join(x.dir, f.name));
        expect(mine.length - o.bytes.length).toBe(1440);
        expect(sha256(mine.subarray(1440))).toBe(o.sha256);
        // The transfer itself is cut short in the capture (1048576 announced), and we say so.
        expect(f.complete).toBe(false);
      },
    },
  },
};

async function check(file: string): Promise<void> {
  const objects = tsharkObjects(file);
  if (objects.length === 0) return;
  const x = await ours(file);
  const used = new Set<ManifestEntry>();
  const known = Object.entries(KNOWN).find(([k]) => file.endsWith(`/${k}`))?.[1] ?? {};
  const unexplained: string[] = [];
  for (const o of objects) {
    const hit =
      x.manifest.files.find((f) => !used.has(f) && f.sha256 === o.sha256 && remoteBase(f) === tsharkBase(o.name)) ??
      x.manifest.files.find((f) => !used.has(f) && f.sha256 === o.sha256);
    if (hit) {
      used.add(hit);
      // Same bytes under another name: tshark tied the data connection to the wrong command.
      if (remoteBase(hit) !== tsharkBase(o.name)) unexplained.push(`${o.name}: same bytes as our ${hit.name} (${hit.command} ${hit.argument}), but tshark names it otherwise`);
      continue;
    }
    const k = known[o.name];
    if (!k) {
      unexplained.push(`${o.name} (${o.bytes.length} bytes, sha256 ${o.sha256.slice(0, 12)}): none of our ${x.manifest.files.length} files has these bytes`);
      continue;
    }
    k.check(o, x, file);
  }
  expect(unexplained).toEqual([]);
  // Every explanation of this capture was needed (a fixed tshark or a re-recorded fixture shows here).
  for (const name of Object.keys(known)) expect(objects.map((o) => o.name), `known difference ${name}`).toContain(name);
}

describe(`extract agrees with tshark --export-objects ftp-data on the fixtures${tsharkNote}`, () => {
  it('has fixtures', () => expect(fixtureCaptures().length).toBeGreaterThan(5));
  for (const file of fixtureCaptures()) it.skipIf(!hasTshark)(captureLabel(file), () => check(file), 60_000);

  it.skipIf(!hasTshark)('fixtures: where tshark exports nothing, we still extract the recorded files (curl sends TYPE/SIZE between PASV and RETR)', async () => {
    const m = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { captures: Array<{ file: string; transfers: Array<{ sha256: string; tls: boolean }> }> };
    const c = m.captures.find((x) => x.file === 'upload-stor.pcap')!;
    expect(tsharkObjects(join(FIXTURES, c.file))).toEqual([]);
    const x = await ours(join(FIXTURES, c.file));
    expect(x.manifest.files.map((f) => f.sha256)).toEqual(c.transfers.map((t) => t.sha256));
  }, 60_000);
});

describe(`extract agrees with tshark --export-objects ftp-data on the public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}${tsharkNote}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) it.skipIf(!hasTshark)(captureLabel(file), () => check(file), 120_000);

  it.skipIf(!hasTshark || !hasPublicCaptures)('where tshark closes a hole silently, our manifest lists it (aliawa ftp_active, zeek bigtransfer)', async () => {
    for (const [rel, arg, hole] of [
      ['aliawa-saved-pcaps/ftp_active.pcap', '/PRODUCTION/SIS/IMPORT/M19JRIB3.T16U.51', 9660],
      ['zeek/bigtransfer.pcap', 'rand.txt', 5_416_666_670 - 23_822],
    ] as const) {
      const file = join(publicCaptures()[0]!.split('/public/')[0]!, 'public', rel);
      const o = tsharkObjects(file);
      const x = await ours(file);
      const f = x.manifest.files.find((y) => y.argument === arg)!;
      expect(o.map((y) => y.sha256)).toContain(f.sha256);
      expect(f.complete).toBe(false);
      const missing = f.missing.reduce((n, [a, b]) => n + ((b ?? a) - a), 0);
      expect(missing).toBe(hole);
    }
  }, 120_000);
});
