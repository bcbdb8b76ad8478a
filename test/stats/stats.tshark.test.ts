// The statistics against tshark 4.0 on every fixture and every public capture:
// - packet lengths: `-z plen,tree` for the whole capture, and `-z plen,tree,"tcp.stream in {…}"`
//   over the streams we classified as FTP control and as FTP data, cell for cell as tshark prints
//   them (count, average, min, max, rate, percent);
// - conversations: `-z conv,tcp` row for row, printed from our JSON in tshark's format and order;
// - per-connection figures: frame.len min/avg/max each way and retransmission counts per stream,
//   worked out from tshark's per-frame fields.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import type { PacketLengthRow, Statistics, TcpConversation } from '../../src/stats/model.js';
import { plenCells } from '../../src/stats/packetLengths.js';
import { printfFixed } from '../../src/stats/printf.js';
import { captureLabel, fixtureCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';
import { hasTshark, tsharkFields, tsharkNote } from '../helpers/tshark.js';

function tshark(file: string, args: string[]): string {
  return execFileSync('tshark', ['-n', '-r', file, '-q', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Every stats_tree table in tshark's output, each as rows of cells (by the header's column positions). */
function plenTables(out: string): string[][][] {
  const tables: string[][][] = [];
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i]!;
    if (!header.startsWith('Topic / Item')) continue;
    const names = ['Count', 'Average', 'Min Val', 'Max Val', 'Rate (ms)', 'Percent', 'Burst Rate'];
    const starts = names.map((n) => header.indexOf(n));
    const rows: string[][] = [];
    for (let j = i + 2; j < lines.length && !lines[j]!.startsWith('---'); j++) {
      const line = lines[j]!;
      if (line.trim() === '') continue;
      const cells = [line.slice(0, starts[0]).trim()];
      for (let k = 0; k < 6; k++) cells.push(line.slice(starts[k], starts[k + 1]).trim());
      rows.push(cells);
    }
    tables.push(rows);
  }
  return tables;
}

/** A display filter selecting these streams (one matching nothing when there are none). */
function streamFilter(streams: number[]): string {
  return streams.length === 0 ? 'frame.number == 0' : `tcp.stream in {${streams.join(',')}}`;
}

/** wsutil's format_size(…, FORMAT_SIZE_UNIT_BYTES, 0), as tshark's conversation table prints bytes. */
function formatSize(n: number): string {
  const units: Array<[number, string]> = [[1e12, ' TB'], [1e9, ' GB'], [1e6, ' MB'], [1e3, ' kB']];
  for (const [power, unit] of units) if (Math.floor(n / power) >= 10) return `${Math.floor(n / power)}${unit}`;
  return `${n} bytes`;
}

/** Our conversation as tshark 4.0 prints the row, minus the duration (compared numerically). */
function convText(c: TcpConversation): string {
  const ep = (e: { ip: string; port: number }) => `${e.ip}:${e.port}`;
  return [
    `${ep(c.a).padEnd(26)} <-> ${ep(c.b).padEnd(26)}`,
    `  ${String(c.bToA.frames).padStart(6)} ${formatSize(c.bToA.bytes).padEnd(9)}`,
    `  ${String(c.aToB.frames).padStart(6)} ${formatSize(c.aToB.bytes).padEnd(9)}`,
    `  ${String(c.frames).padStart(6)} ${formatSize(c.bytes).padEnd(9)}  `,
    c.relativeStart.toFixed(9).padStart(14),
  ].join('');
}

function convRows(stats: Statistics): Array<{ text: string; duration: number }> {
  // tshark's order: most frames first, ties in order of first appearance.
  return stats.conversations
    .map((c, i) => ({ c, i }))
    .sort((x, y) => y.c.frames - x.c.frames || x.i - y.i)
    .map(({ c }) => ({ text: convText(c), duration: c.duration }));
}

function tsharkConvRows(out: string): Array<{ text: string; duration: number }> {
  return out.split('\n').filter((l) => l.includes(' <-> ')).map((l) => {
    const m = /^(.*?)\s+(\S+)$/.exec(l.trimEnd())!;
    return { text: m[1]!, duration: Number(m[2]) };
  });
}

function cells(rows: PacketLengthRow[]): string[][] {
  return rows.map((r) => plenCells(r));
}

async function compare(file: string): Promise<void> {
  const report = await analyze(file);
  const stats = report.statistics!;
  const { ftpControlStreams, ftpDataStreams } = stats.packetLengths;
  // tshark prints the trees of several -z options in reverse order.
  const out = tshark(file, [
    '-z', 'conv,tcp',
    '-z', `plen,tree,${streamFilter(ftpDataStreams)}`,
    '-z', `plen,tree,${streamFilter(ftpControlStreams)}`,
    '-z', 'plen,tree',
  ]);
  const [all, control, data] = plenTables(out);
  expect(cells(stats.packetLengths.all), 'plen,tree').toEqual(all);
  expect(cells(stats.packetLengths.ftpControl), `plen,tree,${streamFilter(ftpControlStreams)}`).toEqual(control);
  expect(cells(stats.packetLengths.ftpData), `plen,tree,${streamFilter(ftpDataStreams)}`).toEqual(data);

  const ours = convRows(stats);
  const theirs = tsharkConvRows(out);
  expect(ours.map((r) => r.text), 'conv,tcp').toEqual(theirs.map((r) => r.text));
  // tshark rounds its own double difference to 4 decimals; ours is the exact nanosecond span.
  ours.forEach((r, i) => expect(Math.abs(r.duration - theirs[i]!.duration), `conv duration row ${i}`).toBeLessThanOrEqual(0.00005 + 1e-12));

  // Per connection: frame sizes each way and retransmissions, from tshark's per-frame fields.
  const per = new Map<string, { n: number; total: number; min: number; max: number; retx: number }>();
  for (const t of tsharkFields(file, ['tcp.stream', 'tcp.srcport', 'frame.len', 'tcp.analysis.retransmission', 'frame.protocols'])) {
    const layers = (t['frame.protocols'] ?? '').split(':');
    const icmp = layers.findIndex((l) => l === 'icmp' || l === 'icmpv6');
    if (t['tcp.stream'] === '' || (icmp >= 0 && icmp < layers.indexOf('tcp'))) continue;
    const key = `${t['tcp.stream']!.split(',')[0]}/${t['tcp.srcport']!.split(',')[0]}`;
    const len = Number(t['frame.len']);
    const f = per.get(key) ?? { n: 0, total: 0, min: Infinity, max: -Infinity, retx: 0 };
    f.n++;
    f.total += len;
    f.min = Math.min(f.min, len);
    f.max = Math.max(f.max, len);
    if (t['tcp.analysis.retransmission'] !== '') f.retx++;
    per.set(key, f);
  }
  const mismatches: string[] = [];
  for (const c of stats.connections) {
    for (const [side, port] of [['fromClient', c.client.port], ['fromServer', c.server.port]] as const) {
      // A connection to itself (same port both ends) cannot be split by port: skip it.
      if (c.client.port === c.server.port) continue;
      const t = per.get(`${c.stream}/${port}`);
      const d = c[side];
      const expected = t === undefined
        ? { frames: 0, average: null, min: null, max: null, retx: 0 }
        : { frames: t.n, average: Number(printfFixed(t.total / t.n, 2)), min: t.min, max: t.max, retx: t.retx };
      const actual = { ...d.frameSizes, retx: d.retransmissions };
      if (JSON.stringify(actual) !== JSON.stringify(expected) && mismatches.length < 5) {
        mismatches.push(`stream ${c.stream} ${side}: ours ${JSON.stringify(actual)} tshark ${JSON.stringify(expected)}`);
      }
    }
  }
  expect(mismatches).toEqual([]);
}

describe(`statistics against tshark on the fixtures${tsharkNote}`, () => {
  for (const file of fixtureCaptures()) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      await compare(file);
    });
  }
});

describe(`statistics against tshark on the public captures${tsharkNote}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      await compare(file);
    });
  }
});
