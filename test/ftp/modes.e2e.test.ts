// MODE B and MODE C end to end: whole sessions written frame by frame (control connection
// with TYPE, MODE, PASV or PORT, RETR/STOR/LIST, the data connection carrying the block- or
// compressed-mode bytes with restart markers, EOR and EOF), read through capture → TCP →
// linker → decoders → extraction. The file that comes out must be the original byte for
// byte, the restart markers must be reported (never written), and the report must say
// which mode was on the wire. No common server speaks these modes (vsftpd, pure-ftpd and
// proftpd refuse MODE B/C), so the encoders in test/ftp/data/helpers.ts play the sender.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSessionsText } from '../../src/report/ftpSessionText.js';
import type { PcapRecord } from '../helpers/captureWriter.js';
import { seededRandom } from '../helpers/random.js';
import { encodeModeB, encodeModeC, modeBBlock, concatAll } from './data/helpers.js';
import { CLIENT, Conn, SERVER, login, runCapture } from './helpers/synthSession.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A file with long runs (zeros, one repeated byte) between random stretches: what MODE C compresses. */
function runsFile(n: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; ) {
    const kind = rnd();
    const len = Math.min(n - i, 1 + Math.floor(rnd() * 300));
    if (kind < 0.3) out.fill(0, i, i + len);
    else if (kind < 0.5) out.fill(Math.floor(rnd() * 256), i, i + len);
    else for (let k = 0; k < len; k++) out[i + k] = Math.floor(rnd() * 256);
    i += len;
  }
  return out;
}

function randomFile(n: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
}

describe('MODE B and MODE C through the whole pipeline', () => {
  it('MODE B download (PASV), with restart markers, EOR and EOF: the file comes out byte-exact, markers reported', async () => {
    const file = randomFile(50_000, 1);
    const markers = new Map([[8192, 'R8192'], [32768, 'R32768']]);
    const wire = encodeModeB(file, [4096, 1000, 65535, 7]);
    const withMarkers = encodeModeB(file, [4096, 1000, 65535, 7], markers);
    expect(withMarkers.length).toBeGreaterThan(wire.length);
    const records: PcapRecord[] = [];
    const ctl = login(records);
    ctl.send(0, 'TYPE I\r\n').send(1, '200 Type set to I\r\n').send(0, 'MODE B\r\n').send(1, '200 Mode set to B\r\n');
    ctl.send(0, 'PASV\r\n').send(1, '227 Entering Passive Mode (10,0,0,1,117,48)\r\n');
    const d = new Conn(records, [CLIENT, 50001], [SERVER, 30000]).open();
    ctl.send(0, 'RETR big.bin\r\n').send(1, '150 Opening BINARY mode data connection for big.bin (50000 bytes)\r\n');
    d.send(1, withMarkers, { mss: 1448 }).close(1);
    ctl.send(1, '226 Transfer complete\r\n').send(0, 'QUIT\r\n').send(1, '221 bye\r\n').close(0);
    const { report, manifest, dir } = await runCapture(records);
    const t = report.sessions[0]!.transfers[0]!;
    expect(t.transmissionMode).toBe('B');
    expect(t.status).toBe('complete');
    expect(t.bytes).toBe(withMarkers.length); // on the wire
    const f = manifest!.files[0]!;
    expect(f.name).toBe('big.bin');
    expect(f.wire).toMatchObject({ mode: 'B', type: 'I', bytes: withMarkers.length, decoding: 'MODE B, TYPE I' });
    expect(f.complete).toBe(true);
    expect(f.sha256).toBe(sha256(file));
    expect(sha256(readFileSync(join(dir, f.name)))).toBe(sha256(file));
    expect(f.restartMarkers?.map((m) => [m.marker, m.dataOffset])).toEqual([['R8192', 8192], ['R32768', 32768]]);
    expect(t.extracted?.sha256).toBe(sha256(file));
    expect(t.notes.join(' ')).toMatch(/50000 bytes after decoding \(MODE B, TYPE I\)/);
    expect(renderSessionsText(report)).toMatch(/RETR big\.bin.*MODE B/);
  });

  it('MODE C upload (STOR, active mode PORT from the server\'s port 20) of a file full of runs: byte-exact, smaller on the wire', async () => {
    const file = runsFile(40_000, 2);
    const wire = encodeModeC(file, 0x00, new Map([[10_000, 'mark-1']]));
    expect(wire.length).toBeLessThan(file.length * 0.8);
    const records: PcapRecord[] = [];
    const ctl = login(records);
    ctl.send(0, 'TYPE I\r\n').send(1, '200 ok\r\n').send(0, 'MODE C\r\n').send(1, '200 Mode set to C\r\n');
    ctl.send(0, 'PORT 10,0,0,2,195,80\r\n').send(1, '200 PORT ok\r\n');
    ctl.send(0, 'STOR runs.dat\r\n');
    const d = new Conn(records, [SERVER, 20], [CLIENT, 50000]).open();
    ctl.send(1, '150 Ok to send data\r\n');
    d.send(1, wire, { mss: 1000 }).close(1);
    ctl.send(1, '226 Transfer complete\r\n').close(0);
    const { report, manifest } = await runCapture(records);
    const t = report.sessions[0]!.transfers[0]!;
    expect([t.command, t.direction, t.mode, t.transmissionMode, t.status]).toEqual(['STOR', 'upload', 'active', 'C', 'complete']);
    expect(t.connection?.binding.rule).toBe('address+port');
    const f = manifest!.files[0]!;
    expect(f.wire).toMatchObject({ mode: 'C', bytes: wire.length });
    expect(f.size).toBe(file.length);
    expect(f.sha256).toBe(sha256(file));
    expect(f.restartMarkers?.map((m) => [m.marker, m.dataOffset])).toEqual([['mark-1', 10_000]]);
  });

  it('MODE C with TYPE A: filler items are spaces; the listing sent that way is parsed too', async () => {
    const listing = '-rw-r--r--    1 ftp      ftp          1234 Jan 15  2026 padded        name.txt\r\n';
    const wire = encodeModeC(new TextEncoder().encode(listing), 0x20);
    expect(Array.from(wire).some((b) => (b & 0xc0) === 0xc0)).toBe(true); // it does use filler items
    const records: PcapRecord[] = [];
    const ctl = login(records);
    ctl.send(0, 'MODE C\r\n').send(1, '200 ok\r\n');
    ctl.send(0, 'PASV\r\n').send(1, '227 Entering Passive Mode (10,0,0,1,117,50)\r\n');
    const d = new Conn(records, [CLIENT, 50002], [SERVER, 30002]).open();
    ctl.send(0, 'LIST\r\n').send(1, '150 Here comes the listing\r\n');
    d.send(1, wire).close(1);
    ctl.send(1, '226 ok\r\n').close(0);
    for (const extract of [false, true]) {
      const { report, manifest, dir } = await runCapture(records, extract);
      const t = report.sessions[0]!.transfers[0]!;
      expect(t.transmissionMode).toBe('C');
      expect(t.listing?.entries.map((e) => [e.name, e.size])).toEqual([['padded        name.txt', 1234]]);
      if (extract) expect(readFileSync(join(dir, manifest!.files[0]!.name), 'utf8')).toBe(listing);
    }
  });

  it('MODE B without its EOF block (connection cut): the bytes that came are written, the transfer is not called complete', async () => {
    const file = randomFile(3000, 3);
    const wire = concatAll([modeBBlock(0, file.subarray(0, 1000)), modeBBlock(0, file.subarray(1000, 2000))]);
    const records: PcapRecord[] = [];
    const ctl = login(records);
    ctl.send(0, 'MODE B\r\n').send(1, '200 ok\r\n').send(0, 'PASV\r\n').send(1, '227 Entering Passive Mode (10,0,0,1,117,51)\r\n');
    const d = new Conn(records, [CLIENT, 50003], [SERVER, 30003]).open();
    ctl.send(0, 'RETR cut.bin\r\n').send(1, '150 go\r\n');
    d.send(1, wire).close(1);
    ctl.send(1, '426 Connection closed; transfer aborted\r\n').close(0);
    const { report, manifest } = await runCapture(records);
    const t = report.sessions[0]!.transfers[0]!;
    expect(t.status).toBe('aborted');
    const f = manifest!.files[0]!;
    expect(f.complete).toBe(false);
    expect(f.dataBytes).toBe(2000);
    expect(f.missing).toEqual([[2000, null]]);
    expect(f.warnings.join(' ')).toMatch(/without an EOF block/);
    expect(t.notes.join(' ')).toMatch(/426/);
  });
});
