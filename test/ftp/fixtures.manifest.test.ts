// The FTP stage on every fixture against fixtures/manifest.json, whose command/reply pairs
// were reconstructed from the TCP streams when the fixtures were recorded: sessions, greeting,
// every command with the first line of each reply, TLS, and the credentials.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FtpReport, FtpSession } from '../../src/ftp/model.js';
import { FIXTURES } from '../helpers/captures.js';
import { analyzeCapture } from './helpers/analyze.js';

interface ManifestSession {
  greeting: string;
  greeting_lines: number;
  exchanges: Array<{ command: string; replies: string[]; codes: number[] }>;
  encrypted_after_auth_tls: boolean;
  tcp_stream: number;
  client: string;
  server: string;
}
interface ManifestCapture {
  file: string;
  decode_as: string[];
  credentials: Array<{ user: string; password: string; result: string }>;
  control_sessions: ManifestSession[];
}

const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { captures: ManifestCapture[] };

function endpoint(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Extra control ports from the manifest's tshark decode-as hints ("tcp.port==2121,ftp"). */
function extraPorts(c: ManifestCapture): number[] {
  return c.decode_as.map((d) => Number(/tcp\.port==(\d+)/.exec(d)?.[1])).filter((n) => n > 0);
}

/** "USER student": the command line as the manifest writes it (verb as sent, a space, the argument). */
function commandLine(cmd: FtpSession['commands'][number]): string {
  return cmd.arg === '' ? cmd.command : `${cmd.command} ${cmd.arg}`;
}

describe('FTP sessions agree with fixtures/manifest.json', () => {
  it('has the manifest', () => expect(manifest.captures.length).toBeGreaterThanOrEqual(14));

  for (const c of manifest.captures) {
    describe(c.file, () => {
      let report: FtpReport;
      const load = async () => (report ??= await analyzeCapture(join(FIXTURES, c.file), { ports: [21, ...extraPorts(c)] }));

      it('finds every control session, with its endpoints, stream and greeting', async () => {
        const r = await load();
        expect(r.sessions.map((s) => s.controlStream)).toEqual(c.control_sessions.map((m) => m.tcp_stream));
        for (const m of c.control_sessions) {
          const s = r.sessions.find((x) => x.controlStream === m.tcp_stream)!;
          expect(endpoint(s.client)).toBe(m.client);
          expect(endpoint(s.server)).toBe(m.server);
          expect(s.greeting?.reply.lines[0]).toBe(m.greeting);
          expect(s.greeting?.reply.lines.length).toBe(m.greeting_lines);
          expect(s.encrypted).toBe(m.encrypted_after_auth_tls);
          expect(s.warnings).toEqual([]);
        }
      });

      it('pairs every command with the replies the manifest lists', async () => {
        const r = await load();
        for (const m of c.control_sessions) {
          const s = r.sessions.find((x) => x.controlStream === m.tcp_stream)!;
          const ours = s.commands.map((cmd) => ({
            command: commandLine(cmd),
            replies: cmd.replies.map((rep) => rep.lines[0]),
            codes: cmd.replies.map((rep) => rep.code),
          }));
          // The manifest keeps the verb as sent; ours is upper-cased (RFC 959 §5.3: case does not matter).
          const theirs = m.exchanges.map((e) => ({ ...e, command: e.command.replace(/^[A-Za-z]+/, (v) => v.toUpperCase()) }));
          expect(ours).toEqual(theirs);
          // The one note a well-formed session gets: the REST offset on the transfer it applies to (resume-rest.pcap).
          for (const cmd of s.commands) expect((cmd.notes ?? []).filter((n) => !/^restart at \d+ \(REST\)$/.test(n))).toEqual([]);
          expect(s.unmatchedReplies).toEqual([]);
          expect(s.nonReplyLines).toEqual([]);
        }
      });

      it('lists the credentials the manifest names, with their outcome', async () => {
        const r = await load();
        const visible = c.credentials.filter((cr) => !cr.result.includes('not visible'));
        expect(r.credentials.map((cr) => ({ user: cr.user, password: cr.password ?? '', outcome: cr.outcome }))).toEqual(
          visible.map((cr) => ({ user: cr.user, password: cr.password, outcome: cr.result.split(' ')[0] })),
        );
      });
    });
  }
});
