// Reassembled streams against `tshark -q -z follow,tcp,raw,N` for one capture file: shared by
// the differential test over real captures and the synthetic scenarios. What is normalised
// and why is described in test/tcp/follow.tshark.test.ts.
import { execFileSync } from 'node:child_process';
import { recordingFactory, runStage, type RecordedEvent } from './runStage.js';

/**
 * Where we deliberately differ. An ACK that covers bytes never seen makes our stream give them
 * up at once (a streaming consumer should not wait for bytes the peer already has); tshark's
 * Follow waits until later bytes of that direction show up, and bytes that then arrive late,
 * inside the hole, still reach its output. In these streams the late bytes are a
 * retransmission of data never seen before; we report a gap instead, so our output is tshark's
 * up to the gap.
 */
const GIVEN_UP_EARLY: Record<string, Array<[stream: number, direction: 0 | 1]>> = {
  'public/pcapplusplus/Ftp.pcap': [[1, 0]], // frame 4 ACKs 23 unseen bytes; frame 8 brings 3 of them
};

type Piece = { kind: 'data'; hex: string } | { kind: 'gap'; n: number };

/** Merges adjacent pieces of the same kind and renders them as one comparable string. */
function render(pieces: Piece[]): string {
  const out: string[] = [];
  let data = '';
  let gap = 0;
  const flush = () => {
    if (data) out.push(data);
    if (gap) out.push(`GAP(${gap})`);
    data = '';
    gap = 0;
  };
  for (const p of pieces) {
    if (p.kind === 'data') {
      if (gap) flush();
      data += p.hex;
    } else {
      if (data) {
        out.push(data);
        data = '';
      }
      gap += p.n;
    }
  }
  flush();
  return out.join('\n');
}

const MISSING = /^\[(\d+) bytes missing in capture file\]\0$/;

interface FollowStream {
  nodes: [string, string];
  pieces: [Piece[], Piece[]];
}

/** tshark's Follow output for the given streams (one tshark run per batch). */
function tsharkFollow(file: string, streams: number[]): Map<number, FollowStream> {
  const result = new Map<number, FollowStream>();
  for (let i = 0; i < streams.length; i += 200) {
    const batch = streams.slice(i, i + 200);
    const out = execFileSync('tshark', ['-n', '-r', file, '-q', ...batch.flatMap((s) => ['-z', `follow,tcp,raw,${s}`])],
      { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
    let current: FollowStream | undefined;
    for (const line of out.split('\n')) {
      const filter = /^Filter: tcp\.stream eq (\d+)$/.exec(line);
      if (filter) {
        current = { nodes: ['', ''], pieces: [[], []] };
        result.set(Number(filter[1]), current);
        continue;
      }
      const node = /^Node ([01]): (.*)$/.exec(line);
      if (node && current) {
        current.nodes[Number(node[1]) as 0 | 1] = node[2]!;
        continue;
      }
      if (!current || line.startsWith('=') || line === '' || line.startsWith('Follow:')) continue;
      const server = line.startsWith('\t');
      const hex = line.trim();
      const text = Buffer.from(hex, 'hex').toString('latin1');
      const missing = MISSING.exec(text);
      current.pieces[server ? 1 : 0].push(missing ? { kind: 'gap', n: Number(missing[1]) } : { kind: 'data', hex });
    }
  }
  return result;
}

/** Our deliveries for one stream and direction, brought to the common form (see the top). */
function ourPieces(events: RecordedEvent[], stream: number, direction: 0 | 1): Piece[] {
  const pieces: Piece[] = [];
  for (const e of events) {
    if (e.stream !== stream) continue;
    if (e.type === 'data' && e.chunk.direction === direction) pieces.push({ kind: 'data', hex: Buffer.from(e.chunk.bytes).toString('hex') });
    if (e.type === 'gap' && e.gap.direction === direction) {
      if (e.gap.reason === 'end-of-capture') break;
      if (e.gap.reason === 'not-captured' || e.gap.reason === 'buffer-limit') pieces.push({ kind: 'gap', n: e.gap.end - e.gap.start });
    }
  }
  while (pieces.length && pieces[pieces.length - 1]!.kind === 'gap') pieces.pop();
  return pieces;
}

function endpointText(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Every disagreement (at most 10) between our streams and tshark's Follow output, per stream and direction. */
export async function compareFollow(file: string, label = file): Promise<{ streams: number; bytes: number; diffs: string[] }> {
  const events: RecordedEvent[] = [];
  const { connections } = await runStage(file, { consumers: recordingFactory(events) });
  const theirs = tsharkFollow(file, [...connections.keys()]);
  const diffs: string[] = [];
  let bytes = 0;
  for (const [stream, c] of [...connections].sort((a, b) => a[0] - b[0])) {
    const t = theirs.get(stream);
    if (!t) {
      diffs.push(`stream ${stream}: tshark printed nothing`);
      continue;
    }
    const node0IsClient = t.nodes[0] === endpointText(c.client.ip, c.client.port) || t.nodes[0] === ':0';
    for (const d of [0, 1] as const) {
      const ours = render(ourPieces(events, stream, d));
      const tsharkSide = node0IsClient ? d : d === 0 ? 1 : 0;
      let tshark = render(t.pieces[tsharkSide]);
      bytes += ours.length / 2;
      if (GIVEN_UP_EARLY[label]?.some(([s, dir]) => s === stream && dir === d) && tshark.startsWith(ours)) tshark = ours;
      if (ours !== tshark && diffs.length < 10) {
        diffs.push(`stream ${stream} from ${d === 0 ? 'client' : 'server'}:\n  ours   ${clip(ours)}\n  tshark ${clip(tshark)}`);
      }
    }
  }
  if (process.env.TCP_DIFFS && diffs.length) console.log(`DIFFS ${label}\n${diffs.join('\n')}`);
  return { streams: connections.size, bytes, diffs };
}

function clip(s: string): string {
  const flat = s.replace(/\n/g, ' | ');
  if (flat.length < 300) return flat;
  // Show where they start to matter: the first GAP marker or the length.
  const gap = flat.indexOf('GAP');
  return `${flat.slice(0, 120)} … ${gap >= 0 ? flat.slice(Math.max(0, gap - 40), gap + 40) : ''} … (${flat.length} chars)`;
}


