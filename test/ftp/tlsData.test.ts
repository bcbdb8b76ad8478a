// Data connections under AUTH TLS (RFC 4217): after PROT P they carry TLS records, which are
// not the file. Such a transfer is reported 'encrypted' and nothing is written for it; a
// data connection that is in the clear (PROT C) is still extracted, even when the control
// channel around it is encrypted. On the recorded fixtures/auth-tls-accepted.pcap (vsftpd,
// PROT P, RETR tls-8k.bin inside TLS) and on sessions written frame by frame.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeAll } from '../../src/analyze.js';
import { FileSink } from '../../src/extract/FileSink.js';
import { isTlsRecordHeader } from '../../src/ftp/TlsDataGate.js';
import { renderSessionsText } from '../../src/report/ftpSessionText.js';
import type { PcapRecord } from '../helpers/captureWriter.js';
import { FIXTURES } from '../helpers/captures.js';
import { Conn, CLIENT, SERVER, runCapture } from './helpers/synthSession.js';

/** A TLS record of `type` with a small body (the bytes need not decrypt: only the framing is read). */
const record = (type: number, body: number[]) => Uint8Array.from([type, 3, 3, body.length >> 8, body.length & 255, ...body]);
const HELLO = record(0x16, [1, 0, 0, 4, 3, 3, 9, 9]);

describe('AUTH TLS data connections', () => {
  it('fixtures/auth-tls-accepted.pcap: the PROT P download is "encrypted", its TLS bytes are not written as a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-tls-'));
    const sink = await FileSink.create(dir);
    const report = await analyze(join(FIXTURES, 'auth-tls-accepted.pcap'), { ftp: { extract: { sink } } });
    const manifest = await sink.close();
    const m = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { captures: Array<{ file: string; data_connections: Array<{ bytes: number; content: string }> }> };
    const wire = m.captures.find((c) => c.file === 'auth-tls-accepted.pcap')!.data_connections[0]!;
    expect(wire.content).toBe('encrypted (TLS)');
    const ts = report.sessions[0]!.transfers;
    expect(ts).toHaveLength(1);
    expect(ts[0]!.status).toBe('encrypted');
    expect(ts[0]!.bytes).toBe(wire.bytes);
    expect(ts[0]!.notes.join(' ')).toMatch(/TLS record header.*RFC 4217 §9/);
    expect(ts[0]!.extracted).toBeUndefined();
    expect(manifest.files).toEqual([]);
    expect(readdirSync(dir)).toEqual(['manifest.json']);
    expect(renderSessionsText(report)).toMatch(/status\s+ENCRYPTED: 10290 bytes/);
  });

  it('after an encrypted session ends, a new connection between the same hosts is a session of its own, not its data', async () => {
    // Merged (as mergecap would), auth-tls-accepted's session ends (its FINs) two
    // seconds before nonstandard-port-2121's control connection opens from the same client to
    // the same server. The encrypted session cannot show which connection its commands asked
    // for, so it takes new connections between its hosts — but only while its control
    // connection is open; the later one must be found as FTP by its content (port 2121).
    const report = await analyzeAll([join(FIXTURES, 'auth-tls-accepted.pcap'), join(FIXTURES, 'nonstandard-port-2121.pcap')]);
    expect(report.sessions.map((s) => [s.server.port, s.encrypted, s.transfers.map((t) => t.status)])).toEqual([
      [21, true, ['encrypted']],
      [2121, false, ['complete']],
    ]);
    const alone = await analyze(join(FIXTURES, 'nonstandard-port-2121.pcap'));
    expect(report.sessions[1]!.commands.map((c) => `${c.command} ${c.arg}`)).toEqual(alone.sessions[0]!.commands.map((c) => `${c.command} ${c.arg}`));
  });

  it('isTlsRecordHeader: content types 20-23, version 3.x, a record length', () => {
    expect(isTlsRecordHeader(HELLO)).toBe(true);
    expect(isTlsRecordHeader(record(0x17, [1]))).toBe(true);
    expect(isTlsRecordHeader(Uint8Array.from([0x16, 3, 1, 0xff, 0xff]))).toBe(false); // longer than any record
    expect(isTlsRecordHeader(new TextEncoder().encode('-rw-r'))).toBe(false);
    expect(isTlsRecordHeader(Uint8Array.from([0x16, 2, 0, 0, 1]))).toBe(false); // SSL 2 / not TLS
    expect(isTlsRecordHeader(Uint8Array.from([0x16, 3]))).toBe(false);
  });

  it('control channel back in cleartext (CCC): a PROT P download is encrypted, a PROT C one is extracted', async () => {
    const records: PcapRecord[] = [];
    const ctl = new Conn(records, [CLIENT, 40000], [SERVER, 21]).open().send(1, '220 ready\r\n').send(0, 'AUTH TLS\r\n').send(1, '234 go\r\n');
    // TLS on the control channel, then both sides drop it (RFC 4217 §12) and go on in cleartext.
    ctl.send(0, HELLO).send(1, record(0x16, [2, 0, 0, 1, 7])).send(0, record(0x15, [1, 0])).send(1, record(0x15, [1, 0]));
    ctl.send(0, 'PASV\r\n').send(1, '227 Entering Passive Mode (10,0,0,1,117,48)\r\n');
    const d1 = new Conn(records, [CLIENT, 50001], [SERVER, 30000]).open();
    ctl.send(0, 'RETR secret.bin\r\n').send(1, '150 Opening BINARY mode data connection for secret.bin (4 bytes)\r\n');
    d1.send(0, HELLO).send(1, record(0x16, [2, 0, 0, 2, 1, 1])).send(1, record(0x17, [0xaa, 0xbb, 0xcc, 0xdd, 0xee]));
    d1.close(1);
    ctl.send(1, '226 done\r\n');
    ctl.send(0, 'PROT C\r\n').send(1, '200 PROT now Clear\r\n');
    ctl.send(0, 'PASV\r\n').send(1, '227 Entering Passive Mode (10,0,0,1,117,49)\r\n');
    const d2 = new Conn(records, [CLIENT, 50002], [SERVER, 30001]).open();
    ctl.send(0, 'RETR clear.txt\r\n').send(1, '150 Opening BINARY mode data connection for clear.txt (12 bytes)\r\n');
    d2.send(1, 'hello world\n').close(1);
    ctl.send(1, '226 done\r\n').send(0, 'QUIT\r\n').send(1, '221 bye\r\n').close(0);
    const { report, manifest, dir } = await runCapture(records);
    const s = report.sessions[0]!;
    expect(s.tls?.accepted).toBe(true);
    expect(s.tls?.cleartextAgain).not.toBeNull();
    expect(s.transfers.map((t) => [t.command, t.arg, t.status])).toEqual([['RETR', 'secret.bin', 'encrypted'], ['RETR', 'clear.txt', 'complete']]);
    expect(manifest!.files.map((f) => f.name)).toEqual(['clear.txt']);
    expect(readFileSync(join(dir, 'clear.txt'), 'utf8')).toBe('hello world\n');
    expect(readdirSync(dir).sort()).toEqual(['clear.txt', 'manifest.json']);
  });

  it('control channel encrypted, data connection in the clear (PROT C inside TLS): reported and extracted under a made-up name', async () => {
    const records: PcapRecord[] = [];
    const ctl = new Conn(records, [CLIENT, 40000], [SERVER, 21]).open().send(1, '220 ready\r\n').send(0, 'AUTH TLS\r\n').send(1, '234 go\r\n');
    ctl.send(0, HELLO).send(1, record(0x16, [2, 0, 0, 1, 7])).send(0, record(0x17, [1, 2, 3])).send(1, record(0x17, [4, 5, 6]));
    const d = new Conn(records, [SERVER, 20], [CLIENT, 50003]).open();
    d.send(0, 'plain file bytes\n').close(0);
    ctl.send(1, record(0x17, [7, 8, 9])).close(0);
    const { report, manifest, dir } = await runCapture(records);
    const t = report.sessions[0]!.transfers[0]!;
    expect(t.command).toBeNull();
    expect(t.status).not.toBe('encrypted');
    expect(manifest!.files).toHaveLength(1);
    expect(readFileSync(join(dir, manifest!.files[0]!.name), 'utf8')).toBe('plain file bytes\n');
  });
});
