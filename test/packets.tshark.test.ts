// `ftp-inspect packets` against tshark, frame by frame, on every fixture and every public
// capture: frame numbers, timestamps to the nanosecond, addresses, ports, TCP flags, raw and
// relative sequence numbers, stream index and lengths; which frames carry TCP analysis flags
// (--filter analysis), and the Protocol column of those frames.
import { describe, expect, it } from 'vitest';
import { listPackets } from '../src/packets.js';
import type { PacketRow } from '../src/report/PacketList.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures, skipWithoutPublicCaptures } from './helpers/captures.js';
import { hasTshark, tsharkFields, tsharkNote } from './helpers/tshark.js';

const FIELDS = [
  'frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.protocols',
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst',
  'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.seq', 'tcp.ack', 'tcp.stream',
  'tcp.analysis.flags', '_ws.col.Protocol',
];

function first(value: string | undefined): string {
  return (value ?? '').split(',')[0] ?? '';
}

/** Every disagreement between our rows and tshark's fields, as readable lines. */
async function compare(file: string): Promise<{ frames: number; diffs: string[] }> {
  const rows: PacketRow[] = [];
  await listPackets(file, (row) => rows.push(row));
  const theirs = tsharkFields(file, FIELDS);
  const diffs: string[] = [];
  const note = (frame: number | string, what: string, ours: unknown, tshark: unknown) => {
    if (diffs.length < 20) diffs.push(`frame ${frame}: ${what}: ours ${JSON.stringify(ours)}, tshark ${JSON.stringify(tshark)}`);
  };
  if (rows.length !== theirs.length) note('-', 'frame count', rows.length, theirs.length);
  for (let i = 0; i < Math.min(rows.length, theirs.length); i++) {
    const o = rows[i]!;
    const t = theirs[i]!;
    const no = t['frame.number'];
    if (String(o.frame) !== no) note(no ?? '?', 'frame number', o.frame, no);
    if ((o.time ?? '') !== t['frame.time_epoch']) note(no ?? '?', 'time', o.time, t['frame.time_epoch']);
    if (String(o.length) !== t['frame.len']) note(no ?? '?', 'frame.len', o.length, t['frame.len']);
    if (String(o.capturedLength) !== t['frame.cap_len']) note(no ?? '?', 'frame.cap_len', o.capturedLength, t['frame.cap_len']);

    // Wireshark's Source/Destination columns show the innermost IP header (IPv6 in IPv4 shows
    // the IPv6 addresses), but not the header an ICMP error quotes.
    const layers = (t['frame.protocols'] ?? '').split(':');
    const icmp = layers.findIndex((l) => l === 'icmp' || l === 'icmpv6');
    const outer = icmp < 0 ? layers : layers.slice(0, icmp);
    const v4 = outer.filter((l) => l === 'ip').length;
    const v6 = outer.filter((l) => l === 'ipv6').length;
    const innerIsV6 = outer.lastIndexOf('ipv6') > outer.lastIndexOf('ip');
    const pick = (field: string, n: number) => (t[field] ?? '').split(',')[n - 1] ?? '';
    const src = innerIsV6 ? pick('ipv6.src', v6) : v4 ? pick('ip.src', v4) : '';
    const dst = innerIsV6 ? pick('ipv6.dst', v6) : v4 ? pick('ip.dst', v4) : '';
    if (src && o.src !== src) note(no ?? '?', 'source', o.src, src);
    if (dst && o.dst !== dst) note(no ?? '?', 'destination', o.dst, dst);

    // TCP quoted inside an ICMP error is tshark's extra dissection, not a TCP segment of the capture.
    const tcpAt = layers.indexOf('tcp');
    const icmpAt = layers.findIndex((l) => l === 'icmp' || l === 'icmpv6');
    const tsharkTcp = tcpAt >= 0 && (icmpAt < 0 || icmpAt > tcpAt) && t['tcp.srcport'] !== '';
    if (tsharkTcp !== (o.tcp !== undefined)) {
      note(no ?? '?', 'has TCP', o.tcp !== undefined, `${tsharkTcp} (${t['frame.protocols']})`);
      continue;
    }
    if (!o.tcp) continue;
    const pairs: Array<[string, number, string]> = [
      ['tcp.srcport', o.tcp.srcPort, first(t['tcp.srcport'])],
      ['tcp.dstport', o.tcp.dstPort, first(t['tcp.dstport'])],
      ['tcp.flags', o.tcp.flags, String(parseInt(first(t['tcp.flags']), 16))],
      ['tcp.seq_raw', o.tcp.seqRaw, first(t['tcp.seq_raw'])],
      ['tcp.ack_raw', o.tcp.ackRaw, first(t['tcp.ack_raw'])],
      ['tcp.len', o.tcp.len, first(t['tcp.len'])],
      ['tcp.seq', o.tcp.seq, first(t['tcp.seq'])],
      ['tcp.ack', o.tcp.ack, first(t['tcp.ack']) || '0'],
      ['tcp.stream', o.tcp.stream, first(t['tcp.stream'])],
    ];
    for (const [name, ours, tshark] of pairs) if (String(ours) !== tshark) note(no ?? '?', name, ours, tshark);
    // --filter analysis lists exactly the frames Wireshark's "tcp.analysis.flags" selects.
    if ((o.tcp.analysis !== undefined) !== (first(t['tcp.analysis.flags']) !== '')) note(no ?? '?', 'tcp.analysis.flags', o.tcp.analysis ?? null, t['tcp.analysis.flags']);
    // A retransmitted or out-of-order segment is not handed to FTP, so Wireshark lists it as TCP.
    if (o.tcp.analysis !== undefined && ['TCP', 'FTP', 'FTP-DATA'].includes(t['_ws.col.Protocol'] ?? '') && o.protocol !== t['_ws.col.Protocol']) {
      note(no ?? '?', 'protocol of a frame with analysis flags', o.protocol, t['_ws.col.Protocol']);
    }
  }
  return { frames: rows.length, diffs };
}

describe(`packets agrees with tshark on the fixtures${tsharkNote}`, () => {
  const files = fixtureCaptures();
  it('has fixtures to compare', () => expect(files.length).toBeGreaterThan(5));
  for (const file of files) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      const { frames, diffs } = await compare(file);
      expect(frames).toBeGreaterThan(0);
      expect(diffs).toEqual([]);
    });
  }
});

describe(`packets agrees with tshark on the public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}${tsharkNote}`, () => {
  skipWithoutPublicCaptures();
  for (const file of publicCaptures()) {
    it.skipIf(!hasTshark)(captureLabel(file), async () => {
      const { diffs } = await compare(file);
      expect(diffs).toEqual([]);
    });
  }
});
