// Data-connection bytes out of a capture, by tshark, until the TCP stage and the linking of
// data connections are wired to the decoders: `follow,tcp,raw` for the whole stream of one
// direction, and the TCP segments (frame, offset, payload) to feed a decoder the way the TCP
// stage will — one delivery per segment, with its frame number.

import { execFileSync } from 'node:child_process';
import { tsharkFields } from '../../helpers/tshark.js';

export interface Segment {
  frame: number;
  /** Offset in this direction's byte stream (0 = first byte after the SYN). */
  offset: number;
  bytes: Uint8Array;
}

/** `tshark -q -z follow,tcp,raw,N`: the two directions' bytes (0 = the node that spoke first, the client here). */
export function followRaw(file: string, stream: number): [Uint8Array, Uint8Array] {
  const out = execFileSync('tshark', ['-n', '-r', file, '-q', '-z', `follow,tcp,raw,${stream}`], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const parts: [string[], string[]] = [[], []];
  for (const line of out.split('\n')) {
    const m = /^(\t?)([0-9a-f]+)$/.exec(line);
    if (m !== null) parts[m[1] === '' ? 0 : 1].push(m[2]!);
  }
  return [Buffer.from(parts[0].join(''), 'hex'), Buffer.from(parts[1].join(''), 'hex')];
}

/** The payload-carrying segments of one direction of a TCP stream (by the sender's port), in order. */
export function segments(file: string, stream: number, srcPort: number): Segment[] {
  const rows = tsharkFields(file, ['frame.number', 'tcp.srcport', 'tcp.seq', 'tcp.len', 'tcp.payload'], ['-Y', `tcp.stream == ${stream} && tcp.len > 0`]);
  return rows
    .filter((r) => Number(r['tcp.srcport']) === srcPort)
    .map((r) => ({ frame: Number(r['frame.number']), offset: Number(r['tcp.seq']) - 1, bytes: Buffer.from(r['tcp.payload']!.replace(/:/g, ''), 'hex') }));
}
