// SegmentHeaderWatch (FtpAnalyzer.ts) keeps the TCP headers of the last RING segments for the
// few frames the report names (QUIT and its 221). A frame asked for after it left the ring
// (its bytes were delivered late, behind a gap) never comes again: the wish must not be kept.
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/decode/Packet.js';
import { SegmentHeaderWatch } from '../../src/ftp/FtpAnalyzer.js';

const segment = (no: number): Packet => ({ frame: { no }, tcp: { flags: 0x18, seq: 1000 + no, ack: 7, length: 6 } }) as unknown as Packet;

describe('SegmentHeaderWatch', () => {
  it('answers a frame in the ring at once, a later one when it comes, and forgets one already gone', () => {
    const watch = new SegmentHeaderWatch();
    for (let no = 1; no <= 300; no++) watch.saw(segment(no));
    const got: number[] = [];
    watch.want(290, (h) => got.push(h.frame));
    expect(got).toEqual([290]);
    watch.want(10, (h) => got.push(h.frame)); // left the ring 44 segments ago
    expect(watch.waiting).toBe(0);
    watch.want(305, (h) => got.push(h.seqRaw));
    expect(watch.waiting).toBe(1);
    for (let no = 301; no <= 305; no++) watch.saw(segment(no));
    expect(got).toEqual([290, 1305]);
    expect(watch.waiting).toBe(0);
  });
});
