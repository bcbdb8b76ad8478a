// Hostile packet shapes through the whole pipeline: VLAN tags nested thousands deep and an IPv6
// extension-header chain that never reaches an upper layer. Each must cost time and memory in
// proportion to its bytes only, and end in a decoded packet or a warning on its frame.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import { listPackets } from '../../src/packets.js';
import type { PacketRow } from '../../src/report/PacketList.js';
import { writePcap, type PcapRecord } from '../helpers/captureWriter.js';
import { ETH_IPV6, PROTO_TCP, concat, ethernet, ipv6, tcp } from '../helpers/packetBuilder.js';
import { Conversation } from '../tcp/helpers/conversation.js';

function write(records: PcapRecord[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ftp-inspect-hostile-')), 'capture.pcap');
  writeFileSync(file, writePcap({ nanos: true }, records));
  return file;
}

async function rows(file: string): Promise<PacketRow[]> {
  const out: PacketRow[] = [];
  await listPackets(file, (r) => out.push(r));
  return out;
}

describe('VLAN tags nested thousands deep', () => {
  it('an FTP session with 3,000 802.1Q/802.1ad tags on every frame is still found and read', async () => {
    const c = new Conversation();
    c.handshake();
    c.data('server', '220 ready\r\n');
    c.data('client', 'USER alice\r\n');
    c.data('server', '331 password please\r\n');
    c.close();
    const tags: number[] = [];
    for (let i = 0; i < 3000; i++) tags.push(...(i % 2 ? [0x81, 0x00] : [0x88, 0xa8]), (i >> 8) & 0x0f, i & 0xff);
    const records = c.records.map((r) => ({ ...r, data: concat(r.data.subarray(0, 12), tags, r.data.subarray(12)), originalLength: undefined }));
    const file = write(records);
    const report = await analyze(file);
    expect(report.sessions.length).toBe(1);
    expect(report.sessions[0]!.logins[0]!.user).toBe('alice');
    const list = await rows(file);
    expect(list.map((r) => r.protocol)).toEqual(['TCP', 'TCP', 'TCP', 'FTP', 'FTP', 'FTP', 'TCP', 'TCP', 'TCP']);
    expect(list[4]!.info).toBe('Request: USER alice');
    expect(list.every((r) => r.length === 12 + 3000 * 4 + (c.records[r.frame - 1]!.data.length - 12))).toBe(true);
  });
});

describe('an IPv6 extension-header chain that never ends', () => {
  it('stops after 16 headers with a warning on the frame; the frames around it decode normally', async () => {
    // 4,000 Destination Options headers (8 bytes each), each naming another as next header.
    const chain = new Uint8Array(4000 * 8);
    for (let i = 0; i < 4000; i++) chain[i * 8] = 60;
    const endless = ethernet({ etherType: ETH_IPV6, payload: ipv6({ nextHeader: 60, payload: chain }) });
    // And one that is cut off in the middle of a header, claiming more than the packet holds.
    const cut = ethernet({ etherType: ETH_IPV6, payload: ipv6({ nextHeader: 60, payload: chain.subarray(0, 8 * 10 + 3), payloadLength: 65535 }) });
    const good = ethernet({ etherType: ETH_IPV6, payload: ipv6({ nextHeader: PROTO_TCP, extensions: [{ type: 0 }, { type: 60 }], payload: tcp({ srcPort: 40000, dstPort: 21, flags: 0x002 }) }) });
    const file = write([good, endless, cut, good].map((data, i) => ({ tsSec: 1_700_000_000 + i, data })));
    const list = await rows(file);
    expect(list.map((r) => r.protocol)).toEqual(['TCP', 'IPv6', 'IPv6', 'TCP']);
    expect(list[1]!.warnings).toContain('IPv6: more than 16 extension headers; stopped');
    expect(list[2]!.warnings.join(' ')).toMatch(/IPv6: /);
    const report = await analyze(file);
    expect(report.captures[0]!.frames).toBe(4);
    expect(report.statistics!.packetLengths.all[0]!.count).toBe(4);
  });
});
