// Whole FTP sessions written frame by frame into a pcap (control connection, data
// connections, in the order a real client and server would produce them), for the edge cases
// no recorded fixture has: MODE B/C, DOS listings, TLS on the data connection, …
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, type Report } from '../../../src/analyze.js';
import { FileSink } from '../../../src/extract/FileSink.js';
import type { Manifest } from '../../../src/extract/Manifest.js';
import { writePcap, type PcapRecord } from '../../helpers/captureWriter.js';
import { ethIpv4Tcp, text } from '../../helpers/packetBuilder.js';

const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;
export const CLIENT = '10.0.0.2';
export const SERVER = '10.0.0.1';
/** Capture time of the first frame: 2023-11-14T22:13:20Z. */
export const T0 = 1_700_000_000;

/** One TCP connection's segments, appended to a shared record list (one millisecond apart). */
export class Conn {
  #seq: [number, number] = [1000, 5000];
  constructor(readonly records: PcapRecord[], readonly a: [string, number], readonly b: [string, number]) {}
  #push(dir: 0 | 1, flags: number, payload?: Uint8Array, skip = false): void {
    const [src, dst] = dir === 0 ? [this.a, this.b] : [this.b, this.a];
    const seq = this.#seq[dir];
    const ack = this.#seq[dir === 0 ? 1 : 0];
    const data = ethIpv4Tcp({ srcPort: src[1], dstPort: dst[1], seq, ack, flags, ...(payload ? { payload } : {}) }, { src: src[0], dst: dst[0] });
    this.#seq[dir] = (seq + (payload?.length ?? 0) + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0;
    if (!skip) this.records.push({ tsSec: T0, tsNsec: this.records.length * 1_000_000, data });
  }
  open(): this {
    this.#push(0, SYN);
    this.#push(1, SYN | ACK);
    this.#push(0, ACK);
    return this;
  }
  /** Sends `s` from side `dir` in segments of at most `mss` bytes; `lost` drops the segment from the capture. */
  send(dir: 0 | 1, s: string | Uint8Array, options: { lost?: boolean; mss?: number } = {}): this {
    const bytes = typeof s === 'string' ? text(s) : s;
    const mss = options.mss ?? 1460;
    for (let o = 0; o < bytes.length; o += mss) this.#push(dir, PSH | ACK, bytes.subarray(o, o + mss), options.lost);
    return this;
  }
  close(first: 0 | 1 = 1): this {
    this.#push(first, FIN | ACK);
    this.#push(first === 0 ? 1 : 0, FIN | ACK);
    this.#push(first, ACK);
    return this;
  }
}

/** A control connection up to a successful login. */
export function login(records: PcapRecord[], port = 40000): Conn {
  return new Conn(records, [CLIENT, port], [SERVER, 21]).open()
    .send(1, '220 ready\r\n').send(0, 'USER u\r\n').send(1, '331 pw\r\n').send(0, 'PASS p\r\n').send(1, '230 ok\r\n');
}

/** PASV, the data connection, `command`, 150, the server's bytes, 226. */
export function passive(records: PcapRecord[], ctl: Conn, command: string, body: Uint8Array | string, dataPort: number, mss = 512): Conn {
  ctl.send(0, 'PASV\r\n').send(1, `227 Entering Passive Mode (10,0,0,1,${dataPort >> 8},${dataPort & 255})\r\n`);
  const d = new Conn(records, [CLIENT, 50000 + (dataPort % 1000)], [SERVER, dataPort]).open();
  ctl.send(0, `${command}\r\n`).send(1, '150 Opening data connection\r\n');
  d.send(1, body, { mss });
  d.close(1);
  ctl.send(1, '226 done\r\n');
  return d;
}

/** Writes the records as a pcap and runs analyze (with extraction when `extract`). */
export async function runCapture(records: PcapRecord[], extract = true): Promise<{ report: Report; manifest: Manifest | null; dir: string; file: string }> {
  const root = mkdtempSync(join(tmpdir(), 'ftp-inspect-synth-'));
  const file = join(root, 'c.pcap');
  writeFileSync(file, writePcap({}, records));
  const dir = join(root, 'out');
  if (!extract) return { report: await analyze(file), manifest: null, dir, file };
  const sink = await FileSink.create(dir);
  const report = await analyze(file, { ftp: { extract: { sink } } });
  const manifest = await sink.close();
  return { report, manifest, dir, file };
}
