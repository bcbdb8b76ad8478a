// Connection summaries against tshark 4.0 on every fixture and public capture:
// - `tshark -q -z conv,tcp`, row for row (frames and bytes each way, relative start, duration),
//   printed from our summaries in tshark's own format and order;
// - per tcp.stream: the first SYN, SYN/ACK and handshake ACK, tcp.analysis.initial_rtt, the first
//   FIN and RST of each side with the frame that acknowledged each FIN, and the active closer.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TcpFlag } from '../../src/decode/Packet.js';
import type { TcpConnection } from '../../src/tcp/TcpModel.js';
import { seqDiff } from '../../src/tcp/sequence.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from '../helpers/captures.js';
import { hasTshark, tsharkFields, tsharkNote } from '../helpers/tshark.js';
import { runStage } from './helpers/runStage.js';

/** wsutil's format_size(…, FORMAT_SIZE_UNIT_BYTES, 0): SI prefixes, integer division, no grouping. */
function formatSize(n: number): string {
  const units: Array<[number, string]> = [[1e12, ' TB'], [1e9, ' GB'], [1e6, ' MB'], [1e3, ' kB']];
  for (const [power, unit] of units) if (Math.floor(n / power) >= 10) return `${Math.floor(n / power)}${unit}`;
  return `${n} bytes`;
}

/** nstime_to_sec: whole seconds plus nanoseconds / 1e9, as a double. */
function seconds(ns: number): number {
  const whole = Math.trunc(ns / 1e9);
  return whole + (ns - whole * 1e9) / 1e9;
}

function endpoint(ip: string, port: number): string {
  return `${ip}:${port}`;
}

/** One row of tshark's conversation table, as tap-iousers prints it. */
function convRow(c: TcpConnection): { frames: number; text: string } {
  const aIsClient = c.firstSender === 'client';
  const a = aIsClient ? c.client : c.server;
  const b = aIsClient ? c.server : c.client;
  const tx = aIsClient ? c.fromClient : c.fromServer;
  const rx = aIsClient ? c.fromServer : c.fromClient;
  const cols = [
    `${endpoint(a.ip, a.port).padEnd(26)} <-> ${endpoint(b.ip, b.port).padEnd(26)}`,
    `  ${String(rx.frames).padStart(6)} ${formatSize(rx.bytes).padEnd(9)}`,
    `  ${String(tx.frames).padStart(6)} ${formatSize(tx.bytes).padEnd(9)}`,
    `  ${String(tx.frames + rx.frames).padStart(6)} ${formatSize(tx.bytes + rx.bytes).padEnd(9)}  `,
    (c.relativeStartNs / 1e9).toFixed(9).padStart(14),
    // tshark subtracts the two times as doubles in seconds, then rounds: so do we, to print
    // the same last digit.
    `   ${(seconds(c.relativeStartNs + c.durationNs) - seconds(c.relativeStartNs)).toFixed(4).padStart(12)}`,
  ];
  return { frames: tx.frames + rx.frames, text: cols.join('') };
}

/** Our table: most frames first, ties in order of first appearance (tshark's order). */
function ourTable(connections: Iterable<TcpConnection>): string[] {
  const rows = [...connections].sort((x, y) => x.stream - y.stream).map(convRow);
  return rows.map((r, i) => ({ ...r, i })).sort((x, y) => y.frames - x.frames || x.i - y.i).map((r) => r.text);
}

function tsharkTable(file: string): string[] {
  const out = execFileSync('tshark', ['-n', '-r', file, '-q', '-z', 'conv,tcp'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.includes(' <-> '));
}

const FIELDS = ['frame.number', 'frame.protocols', 'tcp.srcport', 'ip.src', 'ipv6.src', 'tcp.stream', 'tcp.flags', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.analysis.initial_rtt'];

function first(v: string | undefined): string {
  return (v ?? '').split(',')[0] ?? '';
}

interface StreamFacts {
  syn?: number;
  synAck?: number;
  ack?: number;
  initialRtt?: string;
  fin: [number | undefined, number | undefined];
  finAckedBy: [number | undefined, number | undefined];
  rst: [number | undefined, number | undefined];
  closer?: 'client' | 'server';
}

/** Handshake and teardown frames per stream, worked out from tshark's per-frame fields. */
function tsharkFacts(file: string, connections: Map<number, TcpConnection>): Map<number, StreamFacts> {
  const facts = new Map<number, StreamFacts>();
  const finEnd: Array<[number, number]> = [];
  for (const t of tsharkFields(file, FIELDS)) {
    const layers = (t['frame.protocols'] ?? '').split(':');
    const icmp = layers.findIndex((l) => l === 'icmp' || l === 'icmpv6');
    if (!layers.includes('tcp') || (icmp >= 0 && icmp < layers.indexOf('tcp'))) continue;
    const stream = Number(first(t['tcp.stream']));
    const c = connections.get(stream);
    if (!c) continue;
    let f = facts.get(stream);
    if (!f) {
      f = { fin: [undefined, undefined], finAckedBy: [undefined, undefined], rst: [undefined, undefined] };
      facts.set(stream, f);
      finEnd[stream] = [0, 0];
    }
    const frame = Number(t['frame.number']);
    const flags = parseInt(first(t['tcp.flags']), 16);
    const srcs = [...(t['ip.src'] ?? '').split(','), ...(t['ipv6.src'] ?? '').split(',')].filter(Boolean);
    const src = c.ipVersion === 6 ? (t['ipv6.src'] ?? '').split(',').pop() : (t['ip.src'] ?? '').split(',').pop();
    void srcs;
    const d = Number(first(t['tcp.srcport'])) === c.client.port && src === c.client.ip ? 0 : 1;
    const seq = Number(first(t['tcp.seq_raw']));
    const ack = Number(first(t['tcp.ack_raw']));
    const len = Number(first(t['tcp.len']));
    const syn = (flags & TcpFlag.SYN) !== 0;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    if (syn && !hasAck) f.syn ??= frame;
    if (syn && hasAck && f.syn !== undefined) f.synAck ??= frame;
    if (!syn && hasAck && f.synAck !== undefined && f.ack === undefined && d === 0) f.ack = frame;
    const irtt = first(t['tcp.analysis.initial_rtt']);
    if (irtt) f.initialRtt ??= irtt;
    const other = d === 0 ? 1 : 0;
    if (hasAck && f.fin[other] !== undefined && f.finAckedBy[other] === undefined && seqDiff(ack, finEnd[stream]![other]!) > 0) f.finAckedBy[other] = frame;
    if ((flags & TcpFlag.FIN) !== 0 && f.fin[d] === undefined) {
      f.fin[d] = frame;
      finEnd[stream]![d] = (seq + len) >>> 0;
      f.closer ??= d === 0 ? 'client' : 'server';
    }
    if ((flags & TcpFlag.RST) !== 0) {
      f.rst[d] ??= frame;
      f.closer ??= d === 0 ? 'client' : 'server';
    }
  }
  return facts;
}

function ourFacts(c: TcpConnection): StreamFacts {
  const h = c.handshake;
  const t = c.teardown;
  return {
    ...(h.syn ? { syn: h.syn.frame } : {}),
    ...(h.synAck ? { synAck: h.synAck.frame } : {}),
    ...(h.ack ? { ack: h.ack.frame } : {}),
    ...(h.initialRttNs !== undefined ? { initialRtt: (h.initialRttNs / 1e9).toFixed(9) } : {}),
    fin: [t.client.fin?.frame, t.server.fin?.frame],
    finAckedBy: [t.client.fin?.ackedBy?.frame, t.server.fin?.ackedBy?.frame],
    rst: [t.client.rst?.frame, t.server.rst?.frame],
    ...(t.activeCloser ? { closer: t.activeCloser } : {}),
  };
}

async function compare(file: string): Promise<string[]> {
  const { connections } = await runStage(file);
  const diffs: string[] = [];
  const ours = ourTable(connections.values());
  const theirs = tsharkTable(file);
  if (ours.join('\n') !== theirs.join('\n')) {
    for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
      if (ours[i] !== theirs[i] && diffs.length < 10) diffs.push(`conv row ${i}:\n  ours   ${ours[i]}\n  tshark ${theirs[i]}`);
    }
  }
  const facts = tsharkFacts(file, connections);
  for (const [stream, theirFacts] of facts) {
    const ourF = ourFacts(connections.get(stream)!);
    const a = JSON.stringify(ourF);
    const b = JSON.stringify(theirFacts, Object.keys(ourF).length ? undefined : undefined);
    if (JSON.stringify(normalise(ourF)) !== JSON.stringify(normalise(theirFacts)) && diffs.length < 20) {
      diffs.push(`stream ${stream}: ours ${a}, tshark ${b}`);
    }
  }
  if (facts.size !== connections.size) diffs.push(`streams: ours ${connections.size}, tshark ${facts.size}`);
  if (process.env.TCP_DIFFS && diffs.length) console.log(`DIFFS ${captureLabel(file)}\n${diffs.join('\n')}`);
  return diffs;
}

function normalise(f: StreamFacts): Record<string, unknown> {
  return {
    syn: f.syn, synAck: f.synAck, ack: f.ack, initialRtt: f.initialRtt,
    fin: f.fin, finAckedBy: f.finAckedBy, rst: f.rst, closer: f.closer,
  };
}

describe(`connection summaries agree with tshark on the fixtures${tsharkNote}`, () => {
  for (const file of fixtureCaptures()) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      expect((await compare(file)).join('\n')).toBe('');
    });
  }
});

describe(`connection summaries agree with tshark on the public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}${tsharkNote}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      expect((await compare(file)).join('\n')).toBe('');
    });
  }
});
