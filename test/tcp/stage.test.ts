// The TCP stage on conversations built frame by frame for one situation each: what it says about
// the connection (handshake, teardown, figures), what the consumer receives and in which order,
// and — on the very same bytes — that tshark 4.0 flags every segment as we do and follows the
// same streams.
import { describe, expect, it } from 'vitest';
import { TcpFlag } from '../../src/decode/Packet.js';
import { analysisNames, type TcpConnection, type TcpSegmentView } from '../../src/tcp/TcpModel.js';
import { hasTshark, tsharkNote } from '../helpers/tshark.js';
import { compareAnalysis } from './helpers/analysisDiff.js';
import { Conversation, writeMerged } from './helpers/conversation.js';
import { compareFollow } from './helpers/followDiff.js';
import { recordingFactory, runStage, type RecordedEvent } from './helpers/runStage.js';

interface Run {
  file: string;
  views: Map<number, TcpSegmentView>;
  connections: Map<number, TcpConnection>;
  events: RecordedEvent[];
}

async function run(conversation: Conversation | string): Promise<Run> {
  const file = typeof conversation === 'string' ? conversation : conversation.write();
  const events: RecordedEvent[] = [];
  const { views, connections } = await runStage(file, { consumers: recordingFactory(events) });
  return { file, views, connections, events };
}

/** tshark agrees with every segment's analysis and with the followed streams. */
async function expectTsharkAgrees(file: string): Promise<void> {
  if (!hasTshark) return;
  const analysis = await compareAnalysis(file);
  expect(analysis.diffs.join('\n')).toBe('');
  const follow = await compareFollow(file);
  expect(follow.diffs.join('\n')).toBe('');
}

const flagsOf = (r: Run, frame: number) => analysisNames(r.views.get(frame)?.analysis ?? 0);
const text = (r: Run, stream: number, direction: 0 | 1) =>
  r.events.flatMap((e) => (e.type === 'data' && e.stream === stream && e.chunk.direction === direction ? [Buffer.from(e.chunk.bytes).toString('latin1')] : [])).join('');
const eventsOf = (r: Run, stream: number) => r.events.filter((e) => e.stream === stream);

describe(`TcpStage on built conversations${tsharkNote}`, () => {
  it('a clean session: handshake, options, RTTs, interleaved deliveries in frame order, orderly close', async () => {
    const c = new Conversation();
    const [syn, synAck, ack] = c.handshake();
    const greeting = c.data('server', '220 ready\r\n');
    const user = c.data('client', 'USER student\r\n');
    const reply = c.data('server', '331 password\r\n');
    const ackReply = c.ack('client');
    const [finC, finS, lastAck] = c.close();
    const r = await run(c);

    const conn = r.connections.get(0)!;
    expect(conn.rolesFrom).toBe('syn');
    expect(conn.client).toEqual({ ip: '198.51.100.2', port: 40000 });
    expect(conn.handshake.syn).toMatchObject({ frame: syn, from: 'client', seq: 0, seqRaw: 1000, flags: TcpFlag.SYN });
    expect(conn.handshake.synAck).toMatchObject({ frame: synAck, from: 'server', seq: 0, ack: 1, seqRaw: 5000, ackRaw: 1001 });
    expect(conn.handshake.ack).toMatchObject({ frame: ack, seq: 1, ack: 1, seqRaw: 1001, ackRaw: 5001 });
    expect(conn.handshake.synToSynAckNs).toBe(1_000_000);
    expect(conn.handshake.initialRttNs).toBe(2_000_000); // Wireshark's iRTT: SYN to the third ACK
    expect(conn.handshake.clientOptions).toEqual({ mss: 1460, windowScale: 7, sackPermitted: true, timestamps: false });
    expect(conn.handshake).toMatchObject({ windowScaling: true, sackPermitted: true, timestamps: false });
    expect(conn.teardown).toMatchObject({ activeCloser: 'client', state: 'closed', halfClose: false, rstAfterFin: false });
    expect(conn.teardown.client.fin).toMatchObject({ frame: finC, seq: 15, ackedBy: { frame: finS } });
    expect(conn.teardown.server.fin).toMatchObject({ frame: finS, ackedBy: { frame: lastAck } });
    expect(conn.fromClient.payloadBytes).toBe(14);
    expect(conn.analysis.retransmission).toBe(0);
    expect(r.views.get(ackReply)?.acksFrame).toBe(reply);
    expect(r.views.get(syn)?.handshake).toBe('SYN');
    expect(r.views.get(lastAck)?.handshake).toBeUndefined();

    // Command and replies arrive in frame order, whatever the direction.
    const order = eventsOf(r, 0).map((e) => (e.type === 'data' ? `${e.chunk.direction}:${e.chunk.frames.join(',')}` : e.type === 'end' ? `end${e.end.direction}:${e.end.reason}` : e.type));
    expect(order).toEqual([`1:${greeting}`, `0:${user}`, `1:${reply}`, 'end0:fin', 'end1:fin', 'closed']);
    await expectTsharkAgrees(r.file);
  });

  it('says which frame acknowledged each segment: one client ACK can cover a 150 and a 226 reply', async () => {
    const c = new Conversation();
    c.handshake();
    const retr = c.data('client', 'RETR f\r\n');
    const ackRetr = c.ack('server');
    const opening = c.data('server', '150 Opening\r\n');
    const complete = c.data('server', '226 Done\r\n');
    const both = c.ack('client');
    const file = c.write();
    const { PacketDecoder } = await import('../../src/decode/PacketDecoder.js');
    const { readCapture } = await import('../../src/capture/readCapture.js');
    const { TcpStage } = await import('../../src/tcp/TcpStage.js');
    const decoder = new PacketDecoder();
    const acks: Array<{ from: string; frame: number; ackFrame: number }> = [];
    const stage = new TcpStage({ onSegmentAcked: ({ from, frame, ackFrame }) => acks.push({ from, frame, ackFrame }) });
    await readCapture(file, (frame) => stage.process(decoder.decode(frame)));
    stage.finish();
    expect(acks).toEqual([
      { from: 'client', frame: 1, ackFrame: 2 }, // the SYN, by the SYN/ACK
      { from: 'server', frame: 2, ackFrame: 3 }, // the SYN/ACK, by the handshake ACK
      { from: 'client', frame: retr, ackFrame: ackRetr },
      { from: 'server', frame: opening, ackFrame: both },
      { from: 'server', frame: complete, ackFrame: both },
    ]);
    // Wireshark's acks_frame names only the last of them.
    const r = await run(file);
    expect(r.views.get(both)?.acksFrame).toBe(complete);
    await expectTsharkAgrees(r.file);
  });

  it('a repeated SYN stays in the connection and is listed; the handshake RTT counts from the last SYN', async () => {
    const c = new Conversation();
    const opts = [2, 4, 5, 180];
    const syn = c.send('client', { flags: TcpFlag.SYN, options: opts, noAdvance: true });
    const again = c.send('client', { flags: TcpFlag.SYN, options: opts, after: 1 });
    c.send('server', { flags: TcpFlag.SYN | TcpFlag.ACK, options: opts, after: 0.002 });
    c.ack('client', { after: 0.001 });
    c.data('client', 'QUIT\r\n');
    const r = await run(c);
    expect(r.connections.size).toBe(1);
    expect(r.connections.get(0)!.handshake.synRetransmissions).toEqual([again]);
    expect(r.connections.get(0)!.handshake.syn?.frame).toBe(syn);
    expect(flagsOf(r, again)).toEqual(['retransmission']);
    expect(r.connections.get(0)!.handshake.initialRttNs).toBe(3_000_000);
    await expectTsharkAgrees(r.file);
  });

  it('port reuse: a SYN with a new ISN on a closed tuple is a new stream, summarised after the old one', async () => {
    const c = new Conversation();
    c.handshake();
    c.data('client', 'QUIT\r\n');
    c.data('server', '221 bye\r\n');
    c.close();
    c.next.client = 777_777;
    c.next.server = 3_000_000_000;
    const [syn2] = c.handshake();
    c.data('client', 'NOOP\r\n');
    const r = await run(c);
    expect([...r.connections.keys()]).toEqual([0, 1]);
    expect(r.views.get(syn2)).toMatchObject({ stream: 1, seq: 0 });
    expect(flagsOf(r, syn2)).toEqual(['reused_ports']);
    expect(text(r, 1, 0)).toBe('NOOP\r\n');
    // The first connection was closed for its consumer before the second one opened.
    const closed0 = r.events.findIndex((e) => e.stream === 0 && e.type === 'closed');
    const first1 = r.events.findIndex((e) => e.stream === 1);
    expect(closed0).toBeGreaterThanOrEqual(0);
    expect(closed0).toBeLessThan(first1);
    await expectTsharkAgrees(r.file);
  });

  it('an RST in mid-transfer ends both directions and the connection', async () => {
    const c = new Conversation({ ip: '198.51.100.2', port: 40001 }, { ip: '198.51.100.1', port: 30001 });
    c.handshake();
    c.data('server', 'a'.repeat(1000));
    c.data('server', 'b'.repeat(1000));
    c.ack('client');
    const rst = c.rst('client');
    const r = await run(c);
    const conn = r.connections.get(0)!;
    expect(conn.teardown).toMatchObject({ state: 'reset', activeCloser: 'client', rstAfterFin: false });
    expect(conn.teardown.client.rst?.frame).toBe(rst);
    expect(eventsOf(r, 0).filter((e) => e.type === 'end').map((e) => e.type === 'end' && e.end.reason)).toEqual(['rst', 'rst']);
    expect(eventsOf(r, 0).at(-1)?.type).toBe('closed');
    expect(text(r, 0, 1)).toBe('a'.repeat(1000) + 'b'.repeat(1000));
    await expectTsharkAgrees(r.file);
  });

  it('a capture that starts mid-connection: roles by port, relative numbers from 1, stream from the first byte seen', async () => {
    const c = new Conversation({ ip: '198.51.100.2', port: 51000 }, { ip: '198.51.100.1', port: 21 }, { client: 70_000, server: 90_000 });
    c.data('server', '226 Transfer complete\r\n');
    c.data('client', 'QUIT\r\n');
    c.data('server', '221 Goodbye\r\n');
    const r = await run(c);
    const conn = r.connections.get(0)!;
    expect(conn.rolesFrom).toBe('heuristic');
    expect(conn.server.port).toBe(21);
    expect(r.views.get(1)).toMatchObject({ seq: 1, ack: 1, direction: 1 });
    expect(text(r, 0, 1)).toBe('226 Transfer complete\r\n221 Goodbye\r\n');
    expect(conn.handshake.syn).toBeUndefined();
    expect(conn.teardown.state).toBe('open');
    await expectTsharkAgrees(r.file);
  });

  it('reordering: a segment overtaken by the next one is out-of-order, and the stream is whole and in order', async () => {
    const c = new Conversation({ ip: '198.51.100.2', port: 40002 }, { ip: '198.51.100.1', port: 30002 });
    c.handshake();
    const base = c.next.server;
    const a = c.data('server', 'AAAA');
    const overtaking = c.data('server', 'CCCC', { seq: base + 8, after: 0.0001 });
    const overtaken = c.data('server', 'BBBB', { seq: base + 4, after: 0.0001 });
    c.next.server = base + 12;
    c.ack('client');
    const r = await run(c);
    expect(flagsOf(r, overtaking)).toEqual(['lost_segment']);
    expect(flagsOf(r, overtaken)).toEqual(['out_of_order']);
    expect(text(r, 0, 1)).toBe('AAAABBBBCCCC');
    // Each chunk names its frame: the overtaking segment waited for the overtaken one.
    const frames = eventsOf(r, 0).flatMap((e) => (e.type === 'data' ? e.chunk.frames : []));
    expect(frames).toEqual([a, overtaken, overtaking]);
    await expectTsharkAgrees(r.file);
  });

  it('duplicates and retransmissions are delivered once; a repeat of acknowledged data is spurious', async () => {
    const c = new Conversation({ ip: '198.51.100.2', port: 40003 }, { ip: '198.51.100.1', port: 30003 });
    c.handshake();
    const base = c.next.server;
    const first = c.data('server', 'hello ');
    const dup = c.data('server', 'hello ', { seq: base, after: 0.2 });
    c.ack('client');
    const spurious = c.data('server', 'hello ', { seq: base, after: 0.3 });
    c.data('server', 'world');
    c.ack('client');
    const r = await run(c);
    expect(flagsOf(r, first)).toEqual([]);
    expect(flagsOf(r, dup)).toEqual(['retransmission']);
    expect(flagsOf(r, spurious)).toEqual(['spurious_retransmission']);
    expect(text(r, 0, 1)).toBe('hello world');
    expect(r.connections.get(0)!.analysis).toMatchObject({ retransmission: 1, spurious_retransmission: 1 });
    await expectTsharkAgrees(r.file);
  });

  it('duplicate ACKs then a fast retransmission; lost bytes acknowledged later are a gap, not zeros', async () => {
    const c = new Conversation({ ip: '198.51.100.2', port: 40004 }, { ip: '198.51.100.1', port: 30004 });
    c.handshake();
    const base = c.next.server;
    c.data('server', '1111');
    c.next.server = base + 8; // '2222' at base + 4 is lost before the capture point
    c.data('server', '3333');
    const ack1 = c.ack('client', { ack: base + 4 });
    c.data('server', '4444');
    const dup1 = c.ack('client', { ack: base + 4 });
    c.data('server', '5555');
    const dup2 = c.ack('client', { ack: base + 4 });
    const fast = c.data('server', '2222', { seq: base + 4, after: 0.0005 });
    c.ack('client', { ack: base + 20 });
    const r = await run(c);
    expect(r.views.get(dup1)).toMatchObject({ dupAckNum: 1, dupAckFrame: ack1 });
    expect(r.views.get(dup2)).toMatchObject({ dupAckNum: 2, dupAckFrame: ack1 });
    expect(flagsOf(r, fast)).toEqual(['fast_retransmission']);
    expect(text(r, 0, 1)).toBe('11112222333344445555');
    await expectTsharkAgrees(r.file);

    // The same without the retransmission: the peer's ACK gives the hole up as a gap.
    const g = new Conversation({ ip: '198.51.100.2', port: 40005 }, { ip: '198.51.100.1', port: 30005 });
    g.handshake();
    const b2 = g.next.server;
    g.data('server', '1111');
    g.next.server = b2 + 8;
    const after = g.data('server', '3333');
    g.ack('client', { ack: b2 + 12 });
    const rg = await run(g);
    expect(flagsOf(rg, after)).toEqual(['lost_segment']);
    const gaps = eventsOf(rg, 0).filter((e) => e.type === 'gap');
    expect(gaps).toEqual([{ type: 'gap', stream: 0, gap: { direction: 1, start: 4, end: 8, reason: 'not-captured', frame: after } }]);
    expect(text(rg, 0, 1)).toBe('11113333');
    await expectTsharkAgrees(rg.file);
  });

  it('zero window, probes and their ACKs; window full; window update', async () => {
    const c = new Conversation({ ip: '198.51.100.2', port: 40006 }, { ip: '198.51.100.1', port: 30006 });
    c.send('client', { flags: TcpFlag.SYN });
    c.send('server', { flags: TcpFlag.SYN | TcpFlag.ACK });
    c.ack('client', { window: 8 });
    const full = c.data('server', '12345678'); // exactly the 8 bytes the client offers
    const zero = c.ack('client', { window: 0 });
    const probe = c.data('server', 'x', { noAdvance: true, after: 0.2 });
    const probeAck = c.ack('client', { window: 0, after: 0.0001 });
    const update = c.ack('client', { window: 4096, after: 0.3 });
    const r = await run(c);
    expect(flagsOf(r, full)).toEqual(['window_full']);
    expect(flagsOf(r, zero)).toEqual(['zero_window']);
    expect(flagsOf(r, probe)).toEqual(['zero_window_probe']);
    expect(flagsOf(r, probeAck)).toEqual(['zero_window', 'zero_window_probe_ack']);
    expect(flagsOf(r, update)).toEqual(['window_update']);
    await expectTsharkAgrees(r.file);
  });

  it('keep-alives (empty, and with one garbage byte) and their ACKs; the garbage byte is not stream data', async () => {
    const c = new Conversation();
    c.handshake();
    c.data('client', 'NOOP\r\n');
    c.data('server', '200 ok\r\n');
    c.ack('client');
    const ka = c.ack('client', { seq: c.next.client - 1, after: 60 });
    const kaAck = c.ack('server', { after: 0.0001 });
    const ka1 = c.send('client', { flags: TcpFlag.ACK, seq: c.next.client - 1, payload: '\0', after: 60 });
    const r = await run(c);
    expect(flagsOf(r, ka)).toEqual(['keep_alive']);
    expect(flagsOf(r, kaAck)).toEqual(['keep_alive_ack']);
    expect(flagsOf(r, ka1)).toEqual(['keep_alive']);
    expect(text(r, 0, 0)).toBe('NOOP\r\n');
    await expectTsharkAgrees(r.file);
  });

  it('half-close, and an RST after the FINs', async () => {
    const c = new Conversation({ ip: '198.51.100.2', port: 40007 }, { ip: '198.51.100.1', port: 30007 });
    c.handshake();
    const fin = c.fin('client');
    c.data('server', 'still sending after the client closed');
    c.ack('client');
    c.fin('server');
    c.ack('client');
    c.rst('server');
    const r = await run(c);
    expect(r.connections.get(0)!.teardown).toMatchObject({ activeCloser: 'client', halfClose: true, rstAfterFin: true, state: 'reset' });
    expect(r.connections.get(0)!.teardown.client.fin?.frame).toBe(fin);
    expect(text(r, 0, 1)).toBe('still sending after the client closed');
    await expectTsharkAgrees(r.file);
  });

  it('flags bad checksums and counts them, and says "unchecked" for a cut payload', async () => {
    const c = new Conversation();
    c.handshake();
    const bad = c.data('client', 'USER x\r\n', { badChecksum: true });
    const cut = c.data('server', '331 ' + 'y'.repeat(200) + '\r\n', { snap: 100 });
    c.ack('client');
    const r = await run(c);
    expect(r.views.get(bad)?.checksum).toBe('bad');
    expect(r.views.get(1)?.checksum).toBe('good');
    expect(r.views.get(cut)?.checksum).toBe('unchecked');
    const conn = r.connections.get(0)!;
    expect(conn.badChecksums).toBe(1);
    expect(conn.badChecksumFrames).toEqual([bad]);
    // The cut-off part is an explicit gap, never bytes.
    expect(eventsOf(r, 0).filter((e) => e.type === 'gap').map((e) => e.type === 'gap' && e.gap.reason)).toEqual(['snaplen']);
    // Analysed like any other segment.
    expect(text(r, 0, 0)).toBe('USER x\r\n');
    await expectTsharkAgrees(r.file);
  });

  it('IPv6 connections are tracked the same way', async () => {
    const c = new Conversation({ ip: '2001:db8::2', port: 40008 }, { ip: '2001:db8::1', port: 21 });
    c.handshake();
    c.data('server', '220 v6\r\n');
    c.close();
    const r = await run(c);
    const conn = r.connections.get(0)!;
    expect(conn.ipVersion).toBe(6);
    expect(conn.teardown.state).toBe('closed');
    expect(r.views.get(4)?.checksum).toBe('good');
    expect(text(r, 0, 1)).toBe('220 v6\r\n');
    await expectTsharkAgrees(r.file);
  });

  it('several connections at once get Wireshark stream numbers in order of first frame', async () => {
    const convs = [0, 1, 2].map((i) => new Conversation({ ip: '198.51.100.2', port: 41000 + i }, { ip: '198.51.100.1', port: 21 }, { client: 100 * i + 7, server: 9000 + i }, 1_700_000_000 + i * 0.0003));
    for (const c of convs) c.handshake();
    for (const c of convs) c.data('server', '220 hi\r\n');
    const r = await run(writeMerged(convs));
    expect([...r.connections.values()].map((c) => c.client.port)).toEqual([41000, 41001, 41002]);
    for (const s of [0, 1, 2]) expect(text(r, s, 1)).toBe('220 hi\r\n');
    await expectTsharkAgrees(r.file);
  });
});

/** `n` control connections 2 s apart, each: handshake, a 220, both FINs and the last ACK, then `more`. */
function closedConnections(n: number, firstPort: number, more?: (c: Conversation) => void): string {
  const convs = Array.from({ length: n }, (_, i) => {
    const c = new Conversation({ ip: '198.51.100.2', port: firstPort + i }, { ip: '198.51.100.1', port: 21 }, { client: 1000 + i, server: 2000 + i }, 1_700_000_000 + i * 2);
    c.handshake();
    c.data('server', '220 hi\r\n');
    c.close();
    more?.(c);
    return c;
  });
  return writeMerged(convs);
}

/** Runs a TcpStage made with `options` over `file`, calling `each` after every frame. */
async function stageOver(file: string, options: import('../../src/tcp/TcpStage.js').TcpStageOptions, each: (stage: import('../../src/tcp/TcpStage.js').TcpStage, frameNo: number, view: TcpSegmentView | undefined) => void) {
  const { PacketDecoder } = await import('../../src/decode/PacketDecoder.js');
  const { readCapture } = await import('../../src/capture/readCapture.js');
  const { TcpStage } = await import('../../src/tcp/TcpStage.js');
  const decoder = new PacketDecoder();
  const stage = new TcpStage(options);
  await readCapture(file, (frame) => each(stage, frame.no, stage.process(decoder.decode(frame))));
  return stage;
}

describe('TcpStage memory', () => {
  it('drops closed connections from its table once quiet, and summarises each once', async () => {
    const file = closedConnections(300, 20000);
    const summarised: number[] = [];
    let maxHeld = 0;
    const stage = await stageOver(file, { lingerNs: 10e9, onConnection: (c) => summarised.push(c.stream), consumers: recordingFactory([]) }, (st) => {
      maxHeld = Math.max(maxHeld, st.connectionsHeld);
    });
    // 2 s apart and dropped 10 s after their last frame: about 6 held at any time, not 300.
    expect(maxHeld).toBeLessThanOrEqual(8);
    stage.finish();
    expect(summarised).toEqual([...Array(300).keys()]);
    expect(stage.bufferedBytes).toBe(0);
  });

  it('doneLingerNs 0: a connection is summarised at the first later frame after its teardown completed; a stray segment keeps its stream', async () => {
    // The last ACK again, after the teardown completed.
    const file = closedConnections(3, 30000, (c) => c.ack('client', { after: 0.5 }));
    const summarised: Array<[stream: number, atFrame: number, packets: number]> = [];
    const streams: number[] = [];
    let frameNo = 0;
    const stage = await stageOver(file, {
      doneLingerNs: 0,
      // Called inside process(), before `each` for the same frame: the frame being processed is frameNo + 1.
      onConnection: (c) => summarised.push([c.stream, frameNo + 1, c.fromClient.frames + c.fromServer.frames]),
      consumers: recordingFactory([]),
    }, (_, no, view) => {
      frameNo = no;
      streams.push(view!.stream);
    });
    stage.finish();
    // Eight frames per connection (handshake, 220, FIN, FIN, ACK, stray ACK), 2 s apart: each
    // summary comes at its own stray ACK, the first later frame, which it does not count (with
    // the default linger all three would come at the end, with 8 frames each).
    expect(streams).toEqual(Array.from({ length: 24 }, (_, i) => Math.floor(i / 8)));
    expect(summarised).toEqual([[0, 8, 7], [1, 16, 7], [2, 24, 7]]);
  });

  it('port reuse is still seen after 20,000 other connections came and went, as tshark sees it', async () => {
    // Connection 0, then 20,000 others on other ports, each dropped from the table 60 s after
    // it closed; then a SYN with a new ISN on connection 0's ports. Wireshark never forgets a
    // tuple; the table remembers the last 65,536 dropped (it was 16,384, and on the bench's
    // `many` capture 77 SYNs lost their "Port numbers reused" that way).
    const n = 20_001;
    const file = closedConnections(n, 20_000, (c) => {
      if (c.client.port !== 20_000) return;
      c.next.client = 999_999;
      c.send('client', { flags: TcpFlag.SYN, after: 3 * n }); // the capture's last frame
    });
    const { views, frames } = await runStage(file);
    expect(frames).toBe(7 * n + 1);
    const last = frames;
    expect(views.get(last)).toMatchObject({ stream: n, seq: 0, direction: 0 });
    expect(analysisNames(views.get(last)!.analysis)).toEqual(['reused_ports']);
    // The analysis only: following 20,001 streams one by one with tshark would take an hour.
    if (hasTshark) expect((await compareAnalysis(file)).diffs.join('\n')).toBe('');
  }, 120_000);

  it('holds at most maxSilent open connections that carried no payload (a SYN flood), quiet longest first; one that spoke stays', async () => {
    // 2,000 SYNs nobody answers, 1 ms apart; among them connection A (the first) repeats its
    // SYN every 50 ms to the end, so it is never among the 100 quiet longest; connection B (the second)
    // sends a byte after its SYN and is no longer silent. Connection C (the third) gets a SYN
    // retransmission at the very end, long after it was dropped.
    const flood = Array.from({ length: 2000 }, (_, i) => {
      const c = new Conversation({ ip: '203.0.113.7', port: 10_000 + i }, { ip: '198.51.100.1', port: i < 1000 ? 21 : 80 }, { client: 7000 + i, server: 0 }, 1_700_000_000 + i * 0.001);
      c.send('client', { flags: TcpFlag.SYN });
      return c;
    });
    const [a, b, cc] = flood as [Conversation, Conversation, Conversation];
    for (let k = 1; k <= 42; k++) a.send('client', { flags: TcpFlag.SYN, seq: 7000, after: k * 0.05 - (a.time - 1_700_000_000) });
    b.data('client', 'x');
    cc.send('client', { flags: TcpFlag.SYN, seq: 7002, after: 10 });
    const file = writeMerged(flood);
    const summarised: number[] = [];
    const streams: number[] = [];
    let maxHeld = 0;
    const stage = await stageOver(file, { maxSilent: 100, onConnection: (c) => summarised.push(c.stream), consumers: recordingFactory([]) }, (st, _, view) => {
      maxHeld = Math.max(maxHeld, st.connectionsHeld);
      streams.push(view!.stream);
    });
    stage.finish();
    // 100 silent ones at most (one more for a frame until the next one drops it), and B.
    expect(maxHeld).toBeLessThanOrEqual(102);
    // Every connection summarised once; A and B were among the 101 held to the end (handed on
    // by finish() in stream order), C's late SYN kept its stream.
    expect([...summarised].sort((x, y) => x - y)).toEqual([...Array(2000).keys()]);
    expect(summarised.slice(-101, -99)).toEqual([0, 1]);
    expect(summarised.indexOf(2)).toBeLessThan(1900);
    expect(streams[streams.length - 1]).toBe(2);
    expect(new Set(streams).size).toBe(2000);
  });

  it('keeps every connection by default as long as fewer than 8,192 are silent at once', async () => {
    const flood = Array.from({ length: 8192 }, (_, i) => {
      const c = new Conversation({ ip: '203.0.113.8', port: 10_000 + i }, { ip: '198.51.100.1', port: 80 }, { client: 1, server: 0 }, 1_700_000_000 + i * 0.001);
      c.send('client', { flags: TcpFlag.SYN });
      return c;
    });
    // One more frame afterwards (the last SYN repeated): the limit is checked as a frame comes.
    flood[8191]!.send('client', { flags: TcpFlag.SYN, seq: 1, after: 1 });
    let maxHeld = 0;
    const summarised: number[] = [];
    const stage = await stageOver(writeMerged(flood), { onConnection: (c) => summarised.push(c.stream) }, (st) => {
      maxHeld = Math.max(maxHeld, st.connectionsHeld);
    });
    expect(maxHeld).toBe(8192);
    expect(summarised).toEqual([]);
    stage.finish();
    expect(summarised).toHaveLength(8192);
  });

  it('holds at most maxOpen open connections that carried payload, quiet longest first, those no consumer follows before the followed', async () => {
    // 300 connections, 10 ms apart, each a handshake and one byte from the client, never closed.
    // Even ones are followed (the consumer records them), odd ones not. Connection 0 sends a byte
    // every 100 ms to the end, so it is never the one quiet longest.
    const conns = Array.from({ length: 300 }, (_, i) => {
      const c = new Conversation({ ip: '203.0.113.9', port: 20_000 + i }, { ip: '198.51.100.1', port: 2121 }, { client: 1000 * i, server: 500 }, 1_700_000_000 + i * 0.01);
      c.handshake();
      c.data('client', 'x');
      return c;
    });
    for (let k = 1; k <= 31; k++) conns[0]!.data('client', 'y', { after: 0.1 });
    const file = writeMerged(conns);
    const events: RecordedEvent[] = [];
    const summarised: number[] = [];
    let maxOpen = 0;
    const order: number[] = [];
    const stage = await stageOver(file, { maxOpen: 50, onConnection: (c) => summarised.push(c.stream), consumers: recordingFactory(events, (stream) => stream % 2 === 0) }, (st) => {
      maxOpen = Math.max(maxOpen, st.connectionsHeld);
      const dropped = st.openDropped.count;
      if (dropped > order.length) order.push(...summarised.slice(order.length - dropped));
    });
    const dropped = stage.openDropped;
    stage.finish();
    // 50 open, and for a frame one more: the one whose byte just came (the limit is checked as
    // the next frame comes); the next one's SYN comes after that.
    expect(maxOpen).toBe(51);
    expect(dropped.count).toBe(250);
    expect(dropped.firstFrame).toBeGreaterThan(0);
    // Every connection summarised once; connection 0 held to the end.
    expect([...summarised].sort((x, y) => x - y)).toEqual([...Array(300).keys()]);
    expect(summarised.slice(250)).toContain(0);
    // While unfollowed (odd) ones were open they went first: when the limit was first passed,
    // 25 odd ones were open and each new connection made one go; the 50 held to the end are all
    // followed ones (even).
    expect(order.slice(0, 40).every((s) => s % 2 === 1)).toBe(true);
    expect(order.some((s) => s % 2 === 0)).toBe(true);
    expect(summarised.slice(250).every((s) => s % 2 === 0)).toBe(true);
    // A followed one dropped at the limit ends with 'connection-limit' both ways, then 'closed';
    // one held to the end with 'end-of-capture'.
    const endsOf = (stream: number) => events.filter((e) => e.stream === stream && e.type !== 'data').map((e) => (e.type === 'end' ? `end:${e.end.reason}` : e.type));
    const firstFollowedDropped = order.find((s) => s % 2 === 0)!;
    expect(endsOf(firstFollowedDropped)).toEqual(['end:connection-limit', 'end:connection-limit', 'closed']);
    const endEvent = events.find((e) => e.stream === firstFollowedDropped && e.type === 'end');
    expect(endEvent?.type === 'end' && endEvent.end.frame).toBeGreaterThan(0);
    expect(endsOf(0)).toEqual(['end:end-of-capture', 'end:end-of-capture', 'closed']);
  });

  it('keeps every connection by default as long as fewer than 8,192 that carried payload are open at once', async () => {
    const conns = Array.from({ length: 8192 }, (_, i) => {
      const c = new Conversation({ ip: '203.0.113.10', port: 10_000 + i }, { ip: '198.51.100.1', port: 80 }, { client: 1, server: 0 }, 1_700_000_000 + i * 0.001);
      c.send('client', { flags: TcpFlag.PSH | TcpFlag.ACK, payload: 'x' });
      return c;
    });
    conns[8191]!.send('client', { flags: TcpFlag.PSH | TcpFlag.ACK, payload: 'y', after: 1 });
    let maxHeld = 0;
    const summarised: number[] = [];
    const stage = await stageOver(writeMerged(conns), { onConnection: (c) => summarised.push(c.stream) }, (st) => {
      maxHeld = Math.max(maxHeld, st.connectionsHeld);
    });
    expect(maxHeld).toBe(8192);
    expect(summarised).toEqual([]);
    expect(stage.openDropped.count).toBe(0);
    stage.finish();
    expect(summarised).toHaveLength(8192);
  });

  it("stops reassembling a connection its consumer let go of (detached): nothing more is told, the figures stop there", async () => {
    const c = new Conversation();
    c.handshake();
    c.data('server', 'SSH-2.0-x\r\n');
    const later = c.data('client', 'more bytes nobody wants');
    c.data('server', 'and more');
    // Out of order, 100 bytes ahead: a followed connection would buffer it.
    c.send('client', { flags: TcpFlag.PSH | TcpFlag.ACK, seq: c.next.client + 100, payload: 'ahead', noAdvance: true });
    c.close();
    const file = c.write();
    const told: string[] = [];
    let detached = false;
    const summaries: TcpConnection[] = [];
    let maxBuffered = 0;
    const stage = await stageOver(file, {
      onConnection: (s) => summaries.push(s),
      consumers: () => ({
        data: (chunk) => {
          told.push(`data:${Buffer.from(chunk.bytes).toString('latin1')}`);
          detached = true; // the first delivery decides: not ours
        },
        gap: () => told.push('gap'),
        end: (e) => told.push(`end:${e.reason}`),
        closed: () => told.push('closed'),
        get detached() {
          return detached;
        },
      }),
    }, (st) => {
      maxBuffered = Math.max(maxBuffered, st.bufferedBytes);
    });
    stage.finish();
    expect(told).toEqual(['data:SSH-2.0-x\r\n']);
    expect(later).toBeGreaterThan(0);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.reassembly).toEqual({
      client: { deliveredBytes: 0, missingBytes: 0, gaps: 0, conflicts: 0 },
      server: { deliveredBytes: 11, missingBytes: 0, gaps: 0, conflicts: 0 },
    });
    // The TCP figures go on: every payload byte counted.
    expect(summaries[0]!.fromClient.payloadBytes).toBe(28);
    expect(summaries[0]!.fromServer.payloadBytes).toBe(19);
    expect(maxBuffered).toBe(0);
  });

  it('a long transfer flows through with nothing buffered', async () => {
    const c = new Conversation({ ip: '198.51.100.2', port: 40010 }, { ip: '198.51.100.1', port: 30010 });
    c.handshake();
    const chunk = 'z'.repeat(1448);
    for (let i = 0; i < 3000; i++) {
      c.data('server', chunk, { after: 0.00001 });
      if (i % 2 === 1) c.ack('client', { after: 0.00001 });
    }
    c.close();
    const file = c.write();
    const { PacketDecoder } = await import('../../src/decode/PacketDecoder.js');
    const { readCapture } = await import('../../src/capture/readCapture.js');
    const { TcpStage } = await import('../../src/tcp/TcpStage.js');
    const decoder = new PacketDecoder();
    let delivered = 0;
    let maxBuffered = 0;
    const stage = new TcpStage({
      consumers: () => ({ data: (chunkIn) => { delivered += chunkIn.bytes.length; }, gap: () => {}, end: () => {}, closed: () => {} }),
    });
    await readCapture(file, (frame) => {
      stage.process(decoder.decode(frame));
      maxBuffered = Math.max(maxBuffered, stage.bufferedBytes);
    });
    stage.finish();
    expect(delivered).toBe(3000 * 1448);
    expect(maxBuffered).toBe(0);
  });
});
