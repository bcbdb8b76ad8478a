// The TCP stage without Wireshark's per-segment analysis (`analysis: false`): everything else
// — stream numbers, relative numbers, handshake and teardown facts, reassembled bytes and gaps —
// must be exactly what the full stage gives, on a real lossy, reordering recording.
import { describe, expect, it } from 'vitest';
import { TcpAnalysis } from '../../src/tcp/TcpModel.js';
import { recordingFactory, runStage, type RecordedEvent } from './helpers/runStage.js';

const FILE = 'fixtures/lossy-transfer.pcap';

describe('TcpStage with analysis off', () => {
  it(`${FILE}: same streams, numbers, summaries (but analysis counts) and bytes; no flags`, async () => {
    const fullEvents: RecordedEvent[] = [];
    const lightEvents: RecordedEvent[] = [];
    const full = await runStage(FILE, { consumers: recordingFactory(fullEvents) });
    const light = await runStage(FILE, { consumers: recordingFactory(lightEvents), analysis: false });

    // The recording really is lossy: the full analysis flags lost and re-sent segments in it.
    const flagged = [...full.views.values()].filter((v) => (v.analysis & (TcpAnalysis.LOST_SEGMENT | TcpAnalysis.RETRANSMISSION | TcpAnalysis.FAST_RETRANSMISSION | TcpAnalysis.OUT_OF_ORDER)) !== 0);
    expect(flagged.length).toBeGreaterThan(0);

    expect(light.views.size).toBe(full.views.size);
    for (const [frame, f] of full.views) {
      const l = light.views.get(frame)!;
      expect({ frame, analysis: l.analysis, acksFrame: l.acksFrame, dupAckNum: l.dupAckNum }).toEqual({ frame, analysis: 0, acksFrame: 0, dupAckNum: 0 });
      const same = (v: typeof f) => ({ frame, stream: v.stream, direction: v.direction, seq: v.seq, ack: v.ack, window: v.window, handshake: v.handshake, checksum: v.checksum, initialRttNs: v.initialRttNs });
      expect(same(l)).toEqual(same(f));
    }
    expect(lightEvents).toEqual(fullEvents);
    expect(fullEvents.filter((e) => e.type === 'data').length).toBeGreaterThan(100);

    expect([...light.connections.keys()]).toEqual([...full.connections.keys()]);
    for (const [stream, f] of full.connections) {
      const l = light.connections.get(stream)!;
      expect(Object.values(l.analysis).every((n) => n === 0)).toBe(true);
      expect({ ...l, analysis: undefined }).toEqual({ ...f, analysis: undefined });
    }
  });
});
