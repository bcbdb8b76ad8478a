// Several captures read as one trace, merged by time (src/capture/mergeCaptures.ts). The peer
// is mergecap: what we make of `a b c` must be what we (and tshark) make of
// `mergecap -w merged.pcapng a b c`, frame for frame.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyze, type Report } from '../../src/analyze.js';
import { readCaptures } from '../../src/capture/mergeCaptures.js';
import type { Frame } from '../../src/capture/Frame.js';
import { renderReportJson } from '../../src/report/ftpJson.js';
import { LINKTYPE, timestampUnits, writePcap, writePcapng } from '../helpers/captureWriter.js';
import { FIXTURES, fixtureCaptures, hasPublicCaptures, publicCaptures, ROOT, skipWithoutPublicCaptures } from '../helpers/captures.js';
import { seededRandom } from '../helpers/random.js';
import { hasTshark, tsharkFields } from '../helpers/tshark.js';

const hasMergecap = hasTshark && spawnSync('mergecap', ['-v'], { stdio: 'ignore' }).status === 0 && spawnSync('editcap', ['-v'], { stdio: 'ignore' }).status === 0;
const peerNote = hasMergecap ? '' : ' [SKIPPED: mergecap/editcap/tshark not installed]';
const CLI = join(ROOT, 'dist/cli.js');
const fixture = (name: string) => join(FIXTURES, name);
const tmp = () => mkdtempSync(join(tmpdir(), 'ftp-inspect-merge-'));

function mergecap(files: string[]): string {
  const out = join(tmp(), 'merged.pcapng');
  execFileSync('mergecap', ['-w', out, ...files], { stdio: 'ignore' });
  return out;
}

/** The report without `captures` (which names the files read, so differs by construction). */
function body(report: Report): unknown {
  const json = JSON.parse(renderReportJson(report)) as Record<string, unknown>;
  delete json.captures;
  return json;
}

/** (time, length) of every frame as tshark reads `file`: equal lists mean the same frames in the same order. */
function tsharkFrames(file: string): string[] {
  return tsharkFields(file, ['frame.number', 'frame.time_epoch', 'frame.len']).map((r) => `${r['frame.number']} ${r['frame.time_epoch']} ${r['frame.len']}`);
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  // A shuffle that happens to keep the order would not test anything: reverse instead.
  return out.every((x, i) => x === items[i]) ? [...items].reverse() : out;
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

describe(`captures split with editcap -c and given shuffled are one trace again${peerNote}`, () => {
  for (const file of fixtureCaptures()) {
    it.skipIf(!hasMergecap)(basename(file), async () => {
      const dir = tmp();
      const frames = tsharkFrames(file).length;
      // About five pieces; a session is cut in the middle of its commands and transfers.
      execFileSync('editcap', ['-c', String(Math.max(1, Math.ceil(frames / 5))), file, join(dir, `piece${file.endsWith('.pcapng') ? '.pcapng' : '.pcap'}`)], { stdio: 'ignore' });
      const pieces = readdirSync(dir).sort().map((n) => join(dir, n));
      expect(pieces.length).toBeGreaterThan(1);
      const given = shuffled(pieces, frames);
      const merged = await analyze(given);
      // Frame for frame what mergecap makes of the pieces.
      expect(body(merged)).toEqual(body(await analyze(mergecap(given))));
      // And the whole original, unless two frames on either side of a cut have the same time
      // stamp: mergecap then puts the later piece's frame first, and so do we.
      const sameOrder = JSON.stringify(tsharkFrames(mergecap(given))) === JSON.stringify(tsharkFrames(file));
      if (sameOrder) expect(body(merged)).toEqual(body(await analyze(file)));
      else expect(basename(file)).not.toBe('pasv-download.pcap'); // the fixture the CLI test below relies on
      expect(merged.statistics?.packetLengths.all[0]?.count).toBe(frames);
      expect(merged.captures.map((c) => c.name)).toEqual(given);
      expect(merged.captures.reduce((n, c) => n + c.frames, 0)).toBe(frames);
      // Each piece names the trace's numbers of its first and last frame: the pieces tile 1…frames.
      const ranges = merged.captures.map((c) => [c.firstFrame!, c.lastFrame!]).sort((a, b) => a[0]! - b[0]!);
      expect(ranges[0]![0]).toBe(1);
      expect(ranges.at(-1)![1]).toBe(frames);
    }, 60_000);
  }

  it.skipIf(!hasMergecap)('extract: the same files with the same sha256 as from the whole capture', () => {
    const dir = tmp();
    const file = fixture('pasv-download.pcap');
    execFileSync('editcap', ['-c', '17', file, join(dir, 'p.pcap')], { stdio: 'ignore' });
    const pieces = shuffled(readdirSync(dir).sort().map((n) => join(dir, n)), 7);
    const whole = run(['extract', file, '-o', join(tmp(), 'whole'), '--format', 'json']);
    const split = run(['extract', ...pieces, '-o', join(tmp(), 'split'), '--format', 'json']);
    expect(split.status, split.stderr).toBe(0);
    const files = (out: string) => (JSON.parse(out) as { files: Array<{ name: string; sha256: string; complete: boolean; size: number }> }).files.map((f) => [f.name, f.sha256, f.complete, f.size]);
    expect(files(split.stdout)).toEqual(files(whole.stdout));
    expect(files(whole.stdout).length).toBe(2);
  });
});

describe(`different captures merged: frames and FTP commands as tshark shows mergecap's output${peerNote}`, () => {
  const cases: Record<string, string[]> = {
    'two pcap fixtures': ['upload-stor.pcap', 'pasv-download.pcap'].map(fixture),
    // pcap and pcapng, Ethernet, Linux cooked SLL2, raw IP, IPv6, and one gzip-compressed. (Only
    // one of the session-* fixtures: they are one recording in four forms, and the same
    // connection given twice is a retransmission to our TCP stage, while tshark's FTP dissector
    // shows each copy's command again.)
    'pcap + pcapng + different link types': ['session-any-sll2.pcap', 'upload-stor.pcap.rawip.pcapng', 'ipv6-epsv-eprt.pcap', 'active-port.pcap.gz', 'login-failed-then-ok.pcap'].map(fixture),
  };
  for (const [name, files] of Object.entries(cases)) {
    it.skipIf(!hasMergecap)(name, async () => {
      const dir = tmp();
      const inputs: string[] = [];
      for (const f of files) {
        if (f.endsWith('.gz')) {
          const gz = join(dir, basename(f));
          writeFileSync(gz, gzipSync(readFileSync(f.slice(0, -3))));
          inputs.push(gz);
        } else if (f.endsWith('.rawip.pcapng')) {
          inputs.push(await asRawIp(f.slice(0, -'.rawip.pcapng'.length), join(dir, basename(f))));
        } else inputs.push(f);
      }
      const merged = mergecap(inputs);
      const packets = run(['packets', ...inputs, '--format', 'json']);
      expect(packets.status, packets.stderr).toBe(0);
      const rows = JSON.parse(packets.stdout) as Array<{ frame: number; time: string; length: number; linkType: number; capture: number; captureFrame: number; tcp?: { stream: number } }>;
      const peer = tsharkFields(merged, ['frame.number', 'frame.time_epoch', 'frame.len', 'tcp.stream']);
      expect(rows.map((r) => [String(r.frame), r.time, String(r.length), r.tcp ? String(r.tcp.stream) : ''])).toEqual(
        peer.map((p) => [p['frame.number'], p['frame.time_epoch'], p['frame.len'], p['tcp.stream']]),
      );
      // Every input's frames are all there, in their own order.
      inputs.forEach((_, i) => {
        const own = rows.filter((r) => r.capture === i).map((r) => r.captureFrame);
        expect(own).toEqual(own.map((_, k) => k + 1));
        expect(own.length).toBeGreaterThan(0);
      });
      if (name.includes('link types')) expect(new Set(rows.map((r) => r.linkType)).size).toBeGreaterThanOrEqual(3);
      // FTP commands with their frame numbers, as tshark's FTP dissector sees them in mergecap's output.
      const report = await analyze(inputs);
      const ours = report.sessions.flatMap((s) => s.commands.map((c) => `${c.frame} ${c.command}`)).sort();
      const theirs = tsharkFields(merged, ['frame.number', 'ftp.request.command'], ['-Y', 'ftp.request.command'])
        .flatMap((p) => p['ftp.request.command']!.split(',').map((c) => `${p['frame.number']} ${c}`)).sort();
      expect(ours.length).toBeGreaterThan(10);
      expect(ours).toEqual(theirs);
      // Statistics are those of the merged trace.
      expect(report.statistics?.packetLengths.all[0]?.count).toBe(peer.length);
    }, 60_000);
  }

  it.skipIf(!hasMergecap)('equal time stamps: the capture given later goes first, as in mergecap (also with 12 inputs)', async () => {
    const dir = tmp();
    const T = 1_700_000_000;
    // Every input has frames at the same few instants; lengths tell the inputs apart.
    const inputs = Array.from({ length: 12 }, (_, i) => {
      const path = join(dir, `tie${i}.${i % 2 === 0 ? 'pcap' : 'pcapng'}`);
      const times = [0, 0, 1, 2, 2, 2, 5].map((t) => t * 1000 + (i % 3 === 0 ? 0 : 1000 * (i % 2)));
      const data = (k: number) => new Uint8Array(60 + i * 10 + k);
      writeFileSync(path, i % 2 === 0
        ? writePcap({ nanos: i % 4 === 0 }, times.map((t, k) => ({ tsSec: T, tsNsec: t, data: data(k) })))
        : writePcapng([{ blocks: [{ type: 'idb', linkType: LINKTYPE.ETHERNET, tsresol: 9 }, ...times.map((t, k) => ({ type: 'epb' as const, timestamp: timestampUnits(T, t, 9), data: data(k) }))] }]));
      return path;
    });
    const seen: string[] = [];
    await readCaptures(inputs, (f: Frame) => void seen.push(`${f.no} ${f.tsSec}.${String(f.tsNsec).padStart(9, '0')} ${f.originalLength}`));
    expect(seen).toEqual(tsharkFrames(mergecap(inputs)));
  });
});

/** An Ethernet capture rewritten as raw IP (LINKTYPE 101) in a pcapng with nanosecond time stamps. */
async function asRawIp(file: string, out: string): Promise<string> {
  const records: Array<{ type: 'epb'; timestamp: bigint; data: Uint8Array }> = [];
  await readCaptures([file], (f) => void records.push({ type: 'epb', timestamp: timestampUnits(f.tsSec, f.tsNsec, 9), data: f.data.slice(14) }));
  writeFileSync(out, writePcapng([{ blocks: [{ type: 'idb', linkType: 101, tsresol: 9 }, ...records] }]));
  return out;
}

describe(`every public capture at once${peerNote}`, () => {
  skipWithoutPublicCaptures();
  if (!hasPublicCaptures) return;
  it.skipIf(!hasMergecap)('frame numbers, times and lengths equal tshark\'s on mergecap\'s output of all of them; the report is that of mergecap\'s file', async () => {
    const files = publicCaptures();
    const merged = mergecap(files);
    const r = spawnSync(process.execPath, [CLI, 'packets', ...files, '--format', 'json'], { maxBuffer: 1 << 30 });
    expect(r.status, r.stderr.toString()).toBe(0);
    const rows = JSON.parse(r.stdout.toString()) as Array<{ frame: number; time: string | null; length: number }>;
    const peer = tsharkFields(merged, ['frame.number', 'frame.time_epoch', 'frame.len']);
    expect(rows.length).toBeGreaterThan(1000);
    expect(rows.map((x) => `${x.frame} ${x.time ?? ''} ${x.length}`)).toEqual(peer.map((p) => `${p['frame.number']} ${p['frame.time_epoch']} ${p['frame.len']}`));
    const report = await analyze(files);
    expect(report.sessions.length).toBeGreaterThan(10);
    expect(body(report)).toEqual(body(await analyze(merged)));
  }, 300_000);
});

describe('bad inputs among several', () => {
  it('a file that is not a capture stops the run with one line naming it', () => {
    const r = run(['sessions', fixture('active-port.pcap'), join(ROOT, 'package.json'), fixture('upload-stor.pcap')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/package\.json: not a pcap or pcapng capture/);
    expect(r.stdout).toBe('');
  });

  it('a cut-off capture is a warning naming it; the other captures are read to their end', async () => {
    const dir = tmp();
    const cut = join(dir, 'cut.pcap');
    copyFileSync(fixture('active-port.pcap'), cut);
    truncateSync(cut, statSync(cut).size - 20);
    const report = await analyze([cut, fixture('upload-stor.pcap')]);
    expect(report.captures[0]!.warnings.length).toBe(1);
    expect(report.captures[1]!.warnings).toEqual([]);
    expect(report.captures[1]!.frames).toBe((await analyze(fixture('upload-stor.pcap'))).captures[0]!.frames);
    const r = run(['sessions', cut, fixture('upload-stor.pcap')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`warning: ${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: frame \\d+`));
    expect(r.stdout).toMatch(/1 upload/);
  });

  it('an empty file among several is named; standard input can be given only once', async () => {
    const dir = tmp();
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, '');
    const r = run(['packets', fixture('active-port.pcap'), empty]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/empty\.pcap: empty file/);
    await expect(readCaptures(['-', '-'], () => {})).rejects.toThrow(/only once/);
  });
});

describe('more inputs than open files allowed', () => {
  it('says which file could not be opened and what to do, exit status 2', () => {
    const dir = tmp();
    const one = readFileSync(fixture('active-port.pcap'));
    const files = Array.from({ length: 80 }, (_, i) => {
      const path = join(dir, `c${String(i).padStart(2, '0')}.pcap`);
      writeFileSync(path, one);
      return path;
    });
    const r = spawnSync('sh', ['-c', 'ulimit -n 60 && exec "$0" "$@"', process.execPath, CLI, 'packets', ...files], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ftp-inspect: cannot open .*c\d\d\.pcap: too many files open at once; .*ulimit -n/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('many inputs', () => {
  it('200 generated captures interleave frame by frame, and memory does not grow with their size', () => {
    const T = 1_700_000_000;
    const script = `
      import { readCaptures } from ${JSON.stringify(join(ROOT, 'dist/capture/mergeCaptures.js'))};
      const files = JSON.parse(process.argv[1]);
      let n = 0, ok = true;
      await readCaptures(files, (f) => { if (f.capture !== n % files.length) ok = false; n++; });
      console.log(JSON.stringify({ n, ok, maxRss: process.resourceUsage().maxRSS * 1024 }));`;
    const measure = (framesPerFile: number, size: number) => {
      const dir = tmp();
      const files = Array.from({ length: 200 }, (_, i) => {
        const path = join(dir, `c${String(i).padStart(3, '0')}.pcap`);
        // File i's frame k at instant k*200+i: the merged trace visits the files in turn.
        writeFileSync(path, writePcap({ nanos: true }, Array.from({ length: framesPerFile }, (_, k) => ({ tsSec: T, tsNsec: (k * 200 + i) * 1000, data: new Uint8Array(size) }))));
        return path;
      });
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(files)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { n: number; ok: boolean; maxRss: number };
    };
    // Both runs large enough that every input's read buffers fill (with 10 KB files, as this
    // test had, most of their 200 × 3 × 64 KiB stayed untouched in the small run only, and the
    // difference — 39 MB of buffer pages plus the heap — passed or failed with the machine's state).
    const small = measure(25, 10_000); // 50 MB in all
    const large = measure(100, 10_000); // 200 MB in all
    expect(small).toMatchObject({ n: 5000, ok: true });
    expect(large).toMatchObject({ n: 20_000, ok: true });
    // 150 MB more input, four times as much; measured: 2–4 MB more RSS.
    expect(large.maxRss - small.maxRss).toBeLessThan(24 * 1024 * 1024);
  }, 120_000);
});
