// The TCP stage's per-segment view against tshark 4.0's TCP fields for one capture file:
// shared by the differential test over real captures and the synthetic scenarios.
import { analysisPrefix } from '../../../src/report/PacketList.js';
import { analysisFieldNames, TCP_ANALYSIS_NAMES, type TcpSegmentView } from '../../../src/tcp/TcpModel.js';
import { tsharkFields } from '../../helpers/tshark.js';
import { runStage } from './runStage.js';

const FLAG_FIELDS = [...TCP_ANALYSIS_NAMES.map(([, name]) => `tcp.analysis.${name}`)];
const FIELDS = [
  'frame.number', 'frame.protocols', 'tcp.srcport', 'tcp.stream', 'tcp.seq', 'tcp.ack', 'tcp.seq_raw', 'tcp.ack_raw',
  'tcp.window_size', 'tcp.window_size_scalefactor',
  'tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt', 'tcp.analysis.initial_rtt',
  'tcp.analysis.duplicate_ack_num', 'tcp.analysis.duplicate_ack_frame',
  ...FLAG_FIELDS, '_ws.col.Info',
];

function first(value: string | undefined): string {
  return (value ?? '').split(',')[0] ?? '';
}

/** Seconds with nine decimals, as tshark prints time offsets. */
function seconds(ns: number): string {
  return ns < 0 ? '' : (ns / 1e9).toFixed(9);
}

/** The "[TCP …] " labels at the start of tshark's Info column. */
function infoPrefix(info: string): string {
  const m = /^(\[TCP (?!segment of)[^\]]*\] )*/.exec(info);
  return m?.[0] ?? '';
}

/** Frames where tshark's TCP layer is its own segment (not a TCP header quoted inside ICMP). */
function tsharkHasTcp(row: Record<string, string>): boolean {
  const layers = (row['frame.protocols'] ?? '').split(':');
  const tcpAt = layers.indexOf('tcp');
  const icmpAt = layers.findIndex((l) => l === 'icmp' || l === 'icmpv6');
  return tcpAt >= 0 && (icmpAt < 0 || icmpAt > tcpAt) && row['tcp.srcport'] !== '';
}

export interface Comparison {
  segments: number;
  flagged: number;
  diffs: string[];
}

/** Every disagreement (at most 30), and how many segments and flagged segments were compared. */
export async function compareAnalysis(file: string, label = file): Promise<Comparison> {
  const { views } = await runStage(file);
  const theirs = tsharkFields(file, FIELDS);
  const checks = tsharkFields(file, ['frame.number', 'frame.protocols', 'tcp.srcport', 'tcp.checksum.status', 'ip.checksum.status'],
    ['-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE']);
  const diffs: string[] = [];
  let segments = 0;
  let flagged = 0;
  const note = (frame: string, what: string, ours: unknown, tshark: unknown) => {
    if (diffs.length < 30) diffs.push(`frame ${frame}: ${what}: ours ${JSON.stringify(ours)}, tshark ${JSON.stringify(tshark)}`);
  };
  for (let i = 0; i < theirs.length; i++) {
    const t = theirs[i]!;
    const no = t['frame.number']!;
    const v: TcpSegmentView | undefined = views.get(Number(no));
    if (!tsharkHasTcp(t)) {
      if (v) note(no, 'has TCP', true, false);
      continue;
    }
    if (!v) {
      note(no, 'has TCP', false, true);
      continue;
    }
    segments++;
    const theirFlags = FLAG_FIELDS.filter((f) => first(t[f]) !== '').map((f) => f.slice('tcp.analysis.'.length));
    const ourFlags = analysisFieldNames(v.analysis);
    if (ourFlags.length) flagged++;
    const pairs: Array<[string, unknown, string]> = [
      ['tcp.stream', v.stream, first(t['tcp.stream'])],
      ['tcp.seq', v.seq, first(t['tcp.seq'])],
      ['tcp.ack', v.ack, first(t['tcp.ack']) || String(v.ack)],
      ['tcp.window_size', v.window, first(t['tcp.window_size'])],
      ['tcp.window_size_scalefactor', v.windowScale, first(t['tcp.window_size_scalefactor']) || String(v.windowScale)],
      ['tcp.analysis', ourFlags.sort().join(' '), theirFlags.sort().join(' ')],
      ['tcp.analysis.duplicate_ack_num', v.dupAckNum || '', first(t['tcp.analysis.duplicate_ack_num'])],
      ['tcp.analysis.duplicate_ack_frame', v.dupAckFrame || '', first(t['tcp.analysis.duplicate_ack_frame'])],
      ['tcp.analysis.acks_frame', v.acksFrame || '', first(t['tcp.analysis.acks_frame'])],
      // tshark leaves out an RTT of exactly zero.
      ['tcp.analysis.ack_rtt', v.acksFrame && v.ackRttNs !== 0 ? seconds(v.ackRttNs) : '', first(t['tcp.analysis.ack_rtt'])],
      // Wireshark prints the initial RTT only inside a frame's "SEQ/ACK analysis" subtree, which
      // exists only when there is something else to show (flags, acks_frame, bytes in flight);
      // our view carries it on every frame once known. So: equal wherever tshark shows it.
      ['tcp.analysis.initial_rtt', first(t['tcp.analysis.initial_rtt']) ? seconds(v.initialRttNs) : '', first(t['tcp.analysis.initial_rtt'])],
      ['Info labels', analysisPrefix(v), infoPrefix(t['_ws.col.Info'] ?? '')],
    ];
    for (const [name, ours, tshark] of pairs) if (String(ours) !== tshark) note(no, name, ours, tshark);
  }
  for (const c of checks) {
    if (!tsharkHasTcp(c)) continue;
    const no = c['frame.number']!;
    const v = views.get(Number(no));
    if (!v) continue;
    // tshark's status per layer: 0 bad, 1 good, 2 unverified; ours covers the IPv4 header and TCP together.
    const statuses = [first(c['tcp.checksum.status']), ...(c['ip.checksum.status'] ?? '').split(',').slice(-1)].filter((s) => s !== '');
    const tshark = statuses.includes('0') ? 'bad' : statuses.includes('1') ? 'good' : 'unchecked';
    if (v.checksum !== tshark && !(v.checksum === 'unchecked')) note(no, 'checksum', v.checksum, tshark);
  }
  if (process.env.TCP_DIFFS && diffs.length) console.log(`DIFFS ${label}\n${diffs.join('\n')}`);
  return { segments, flagged, diffs };
}

