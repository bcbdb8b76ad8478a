// A capture of one FTP session with one very long passive download, generated on the fly as a
// pcap byte stream (nothing is held whole): login, PASV, RETR, then `segments` data segments
// from the server's data port, an ACK from the client after every second one, a retransmission
// of an earlier segment (after a 4 ms pause) every `retransmitEvery` segments, and the 226 and QUIT at the end.
//
// Data frames keep only their headers (snap length 54: Ethernet, IPv4, TCP), as `tcpdump -s 54`
// would record them, so a million 1448-byte segments make about 70 MB of capture instead of
// 1.5 GB; their TCP length comes from the IP header, as in any header-only capture. Everything
// else (handshakes, control lines, ACKs) is whole, with correct checksums.
import { Readable } from 'node:stream';
import { ethIpv4Tcp, internetChecksum, ipv4Bytes, text } from './packetBuilder.js';

const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;
const C = '10.0.0.2', S = '10.0.0.1';
const DATA_PORT = 30000; // 117 × 256 + 48
const HEADERS = 54; // Ethernet 14 + IPv4 20 + TCP 20

export interface LargeTransferOptions {
  /** Data segments of the download (default 1,000,000). */
  segments?: number;
  /** Payload bytes per segment (default 1448). */
  segmentSize?: number;
  /** Resend an earlier segment after every this many (default 0: never). */
  retransmitEvery?: number;
  /** Microseconds between data segments (default 10). */
  gapMicros?: number;
}

/** What the generated capture holds, for a test to check against. */
export interface LargeTransferFacts {
  dataSegments: number;
  retransmissions: number;
  /** ACK segments the client sent on the data connection. */
  acks: number;
  bytes: number;
  /** tcp.stream of the data connection (the control connection is 0). */
  dataStream: number;
}

export function largeTransferFacts(options: LargeTransferOptions = {}): LargeTransferFacts {
  const n = options.segments ?? 1_000_000;
  const every = options.retransmitEvery ?? 0;
  const retransmissions = every > 0 ? Math.floor(n / every) : 0;
  // The client's ACK segments on the data connection: the handshake's, one per two data
  // segments (and one after an odd last), and its FIN/ACK.
  return { dataSegments: n + retransmissions, retransmissions, acks: 1 + Math.ceil(n / 2) + 1, bytes: n * (options.segmentSize ?? 1448), dataStream: 1 };
}

/** The capture as a stream of pcap bytes (nanosecond time stamps, Ethernet). */
export function largeTransferCapture(options: LargeTransferOptions = {}): Readable {
  return Readable.from(generate(options), { objectMode: false });
}

function* generate(options: LargeTransferOptions): Generator<Buffer> {
  const n = options.segments ?? 1_000_000;
  const size = options.segmentSize ?? 1448;
  const every = options.retransmitEvery ?? 0;
  const gapNs = (options.gapMicros ?? 10) * 1000;
  let ns = 0;
  const START = 1_700_000_000;
  const out = new Chunker();
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b23c4d, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262_144, 16);
  header.writeUInt32LE(1, 20);
  yield header;

  const record = (data: Uint8Array, originalLength = data.length, captured = data.length) => {
    const r = out.reserve(16 + captured);
    r.buf.writeUInt32LE(START + Math.floor(ns / 1e9), r.at);
    r.buf.writeUInt32LE(ns % 1e9, r.at + 4);
    r.buf.writeUInt32LE(captured, r.at + 8);
    r.buf.writeUInt32LE(originalLength, r.at + 12);
    r.buf.set(data.subarray(0, captured), r.at + 16);
  };

  // The control connection and the data connection's handshake, frame by frame.
  const seqs = new Map<string, number>();
  const key = (a: number, b: number) => `${a}>${b}`;
  const conn = (cPort: number, sPort: number) => {
    seqs.set(key(cPort, sPort), 1000);
    seqs.set(key(sPort, cPort), 5000);
    const send = (fromClient: boolean, flags: number, payload?: string) => {
      const [src, dst, sp, dp] = fromClient ? [C, S, cPort, sPort] : [S, C, sPort, cPort];
      const seq = seqs.get(key(sp, dp))!;
      const ack = (flags & ACK) !== 0 ? seqs.get(key(dp, sp))! : 0;
      const body = payload === undefined ? undefined : text(payload);
      record(ethIpv4Tcp({ srcPort: sp, dstPort: dp, seq, ack, flags, window: 502, ...(body ? { payload: body } : {}) }, { src, dst }));
      seqs.set(key(sp, dp), (seq + (body?.length ?? 0) + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0);
      ns += 100_000;
    };
    return {
      open: () => { send(true, SYN); send(false, SYN | ACK); send(true, ACK); },
      client: (line: string) => send(true, PSH | ACK, line),
      server: (line: string) => send(false, PSH | ACK, line),
      send,
      seq: (fromClient: boolean) => seqs.get(fromClient ? key(cPort, sPort) : key(sPort, cPort))!,
    };
  };
  const ctl = conn(40000, 21);
  ctl.open();
  for (const [c, s] of [['', '220 big transfer test\r\n'], ['USER u\r\n', '331 password please\r\n'], ['PASS p\r\n', '230 ok\r\n'], ['TYPE I\r\n', '200 binary\r\n'], ['PASV\r\n', `227 Entering Passive Mode (10,0,0,1,${DATA_PORT >> 8},${DATA_PORT & 255})\r\n`]] as const) {
    if (c) ctl.client(c);
    ctl.server(s);
  }
  yield* out.flush();
  const data = conn(50000, DATA_PORT);
  data.open();
  ctl.client('RETR big.bin\r\n');
  ctl.server(`150 Opening BINARY mode data connection for big.bin (${n * size} bytes)\r\n`);

  // Templates patched in place: the server's data segments (headers only) and the client's ACKs.
  const seq0 = data.seq(false);
  const clientSeq = data.seq(true);
  const seg = Buffer.from(ethIpv4Tcp({ srcPort: DATA_PORT, dstPort: 50000, seq: seq0, ack: clientSeq, flags: ACK, window: 502, payload: new Uint8Array(size) }, { src: S, dst: C }));
  const segLength = seg.length;
  const ack = Buffer.from(ethIpv4Tcp({ srcPort: 50000, dstPort: DATA_PORT, seq: clientSeq, ack: seq0, flags: ACK, window: 502 }, { src: C, dst: S }));
  const pseudo = new Uint8Array([...ipv4Bytes(C), ...ipv4Bytes(S), 0, 6, 0, 20]);
  const sendData = (i: number) => {
    seg.writeUInt32BE((seq0 + i * size) >>> 0, 38);
    record(seg, segLength, HEADERS);
    ns += gapNs;
  };
  const sendAck = (upTo: number) => {
    ack.writeUInt32BE((seq0 + upTo * size) >>> 0, 42);
    ack.writeUInt16BE(0, 50);
    ack.writeUInt16BE(internetChecksum(pseudo, ack.subarray(34)), 50);
    record(ack);
  };
  for (let i = 0; i < n; i++) {
    sendData(i);
    if (every > 0 && (i + 1) % every === 0) {
      // After a pause longer than Wireshark's 3 ms out-of-order window: a retransmission.
      ns += 4_000_000;
      sendData(i - 1);
    }
    if (i % 2 === 1 || i === n - 1) sendAck(i + 1);
    if (out.full) yield* out.flush();
  }
  // The data connection closes (server first), then the 226 and QUIT.
  seqs.set(key(DATA_PORT, 50000), (seq0 + n * size) >>> 0);
  data.send(false, FIN | ACK);
  data.send(true, FIN | ACK);
  data.send(false, ACK);
  ctl.server('226 Transfer complete\r\n');
  ctl.client('QUIT\r\n');
  ctl.server('221 bye\r\n');
  ctl.send(false, FIN | ACK);
  ctl.send(true, FIN | ACK);
  ctl.send(false, ACK);
  yield* out.flush();
}

/** Fills 1 MiB buffers with records and hands them out whole. */
class Chunker {
  #buf = Buffer.alloc(1 << 20);
  #at = 0;
  get full(): boolean {
    return this.#at > this.#buf.length - 4096;
  }
  reserve(n: number): { buf: Buffer; at: number } {
    if (this.#at + n > this.#buf.length) throw new Error('record larger than the chunk left: flush first');
    const at = this.#at;
    this.#at += n;
    return { buf: this.#buf, at };
  }
  *flush(): Generator<Buffer> {
    if (this.#at === 0) return;
    yield this.#buf.subarray(0, this.#at);
    this.#buf = Buffer.alloc(1 << 20);
    this.#at = 0;
  }
}
