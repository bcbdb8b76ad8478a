// The TCP stage's public API as a library user imports it: from the package entry only.
import { describe, expect, it } from 'vitest';
import {
  PacketDecoder, ReassemblyBudget, TcpStage, readCapture,
  type ReassemblyLimits, type TcpSegmentAck, type TcpSideOptions, type TcpStageOptions,
} from '../../src/index.js';
import { Conversation } from './helpers/conversation.js';

describe('library entry: TCP types and classes', () => {
  it('TcpSegmentAck, ReassemblyBudget and ReassemblyLimits are exported and work together', async () => {
    const c = new Conversation();
    c.handshake();
    const reply150 = c.data('server', '150 Opening data connection\r\n');
    const reply226 = c.data('server', '226 Transfer complete\r\n');
    const ack = c.ack('client'); // one ACK covers both replies
    c.close();
    const acks: TcpSegmentAck[] = [];
    const budget = new ReassemblyBudget(1024 * 1024);
    const limits: ReassemblyLimits = { maxBufferedBytesPerDirection: 64 * 1024, historyBytes: 4096 };
    let serverOptions: TcpSideOptions | undefined;
    const options: TcpStageOptions = {
      budget,
      limits,
      consumers: () => ({ data: () => {}, gap: () => {}, end: () => {}, closed: () => {} }),
      onSegmentAcked: (a) => acks.push(a),
      onConnection: (conn) => (serverOptions = conn.handshake.serverOptions),
    };
    const stage = new TcpStage(options);
    const decoder = new PacketDecoder();
    await readCapture(c.write(), (frame) => void stage.process(decoder.decode(frame)));
    stage.finish();
    expect(acks.filter((a) => a.ackFrame === ack)).toEqual([
      { stream: 0, from: 'server', frame: reply150, ackFrame: ack },
      { stream: 0, from: 'server', frame: reply226, ackFrame: ack },
    ]);
    expect(serverOptions).toEqual({ mss: 1460, windowScale: 7, sackPermitted: true, timestamps: false });
    expect(budget.used).toBe(0);
  });
});
