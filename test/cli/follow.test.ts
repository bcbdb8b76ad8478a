// `ftp-inspect follow`, as a user runs it, judged by tshark's own Follow TCP Stream
// (`tshark -q -z follow,tcp,raw,N`) on every fixture and every stream in it: the same bytes,
// turn by turn, and the same "[N bytes missing in capture file]" where the capture has a hole.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLabel, fixtureCaptures, FIXTURES, ROOT } from '../helpers/captures.js';
import { hasTshark } from '../helpers/tshark.js';
import { Conversation } from '../tcp/helpers/conversation.js';

const CLI = join(ROOT, 'dist/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'ftp-inspect-follow-'));

function run(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 1 << 28, ...(input ? { input } : {}), env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined as unknown as string } });
  return { status: r.status, stdout: r.stdout, text: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

type Item = { side: 'client' | 'server'; hex: string } | { side: 'client' | 'server'; missing: number };

interface JsonFollow {
  stream: number;
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  turns: Array<{ from: 'client' | 'server'; offset?: number; length?: number; frames?: number[]; text?: string; base64?: string; missing?: number; end?: string }>;
  bytes: { client: number; server: number };
  missing: { client: number; server: number };
}

/** Consecutive data of one side joined (tshark prints a chunk per segment, we a turn per run of deliveries). */
function joinRuns(items: Item[]): Item[] {
  const out: Item[] = [];
  for (const item of items) {
    const last = out.at(-1);
    if (last && 'hex' in last && 'hex' in item && last.side === item.side) last.hex += item.hex;
    else out.push({ ...item });
  }
  return out;
}

function tsharkFollow(file: string, stream: number): { nodes: string[]; items: Item[] } {
  const text = execFileSync('tshark', ['-r', file, '-q', '-z', `follow,tcp,raw,${stream}`], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  const nodes = [...text.matchAll(/^Node [01]: (.*)$/gm)].map((m) => m[1]!);
  const items: Item[] = [];
  const body = text.split(/^Node 1: .*$/m)[1]?.split(/^=+$/m)[0] ?? '';
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    const node = line.startsWith('\t') ? 1 : 0;
    const hex = line.trim();
    const ascii = Buffer.from(hex, 'hex').toString('latin1');
    const gap = /^\[(\d+) bytes missing in capture file\]\0$/.exec(ascii);
    items.push({ side: node === 0 ? 'A' : 'B', ...(gap ? { missing: Number(gap[1]) } : { hex }) } as unknown as Item);
  }
  return { nodes, items };
}

function ourFollow(file: string, stream: number): JsonFollow {
  const r = run(['follow', file, '--stream', String(stream), '--format', 'json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.text) as JsonFollow;
}

function ourItems(f: JsonFollow): Item[] {
  const items: Item[] = [];
  for (const t of f.turns) {
    if (t.missing !== undefined) items.push({ side: t.from, missing: t.missing });
    else if (t.text !== undefined) items.push({ side: t.from, hex: Buffer.from(t.text, 'utf8').toString('hex') });
    else if (t.base64 !== undefined) items.push({ side: t.from, hex: Buffer.from(t.base64, 'base64').toString('hex') });
  }
  return items;
}

const endpoint = (e: { ip: string; port: number }) => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);

function streamsOf(file: string): number[] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'tcp.stream', '-Y', 'tcp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return [...new Set(out.split('\n').filter(Boolean).map(Number))].sort((a, b) => a - b);
}

/** tshark's nodes (0: the sender of the first frame) mapped onto client/server. */
function sided(items: Item[], nodes: string[], f: JsonFollow): Item[] {
  const aIsClient = nodes[0] === endpoint(f.client);
  expect(nodes).toContain(endpoint(f.client));
  return items.map((i) => ({ ...i, side: (i.side as string) === 'A' ? (aIsClient ? 'client' : 'server') : aIsClient ? 'server' : 'client' }));
}

describe.skipIf(!hasTshark)('follow --stream N: the same bytes as tshark -z follow,tcp,raw,N', () => {
  for (const file of fixtureCaptures()) {
    it(captureLabel(file), () => {
      const streams = streamsOf(file);
      expect(streams.length).toBeGreaterThan(0);
      for (const stream of streams) {
        const theirs = tsharkFollow(file, stream);
        const ours = ourFollow(file, stream);
        expect(ours.stream).toBe(stream);
        const expected = joinRuns(sided(theirs.items, theirs.nodes, ours));
        expect({ stream, items: joinRuns(ourItems(ours)) }).toEqual({ stream, items: expected });
        // Offsets follow on from each other per side, and bytes add up.
        const next = { client: 0, server: 0 };
        for (const t of ours.turns) {
          if (t.offset === undefined) continue;
          expect(t.offset).toBe(next[t.from]);
          next[t.from] += t.length ?? t.missing ?? 0;
        }
        expect(next.client).toBe(ours.bytes.client + ours.missing.client);
        expect(next.server).toBe(ours.bytes.server + ours.missing.server);
      }
    });
  }

  it('names the frames tshark says carried each side\'s bytes (no retransmission counted twice)', () => {
    const file = join(FIXTURES, 'lossy-transfer.pcap');
    const ours = ourFollow(file, 1);
    const listed = new Set(ours.turns.flatMap((t) => t.frames ?? []));
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.len', '-e', 'tcp.analysis.retransmission', '-Y', 'tcp.stream == 1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const carrying = out.split('\n').filter(Boolean).map((l) => l.split('\t')).filter(([, len, re]) => Number(len) > 0 && !re).map(([f]) => Number(f));
    expect(carrying.length).toBeGreaterThan(100);
    for (const f of carrying) expect(listed.has(f), `frame ${f}`).toBe(true);
    for (const f of listed) expect(out).toMatch(new RegExp(`^${f}\\t[1-9]`, 'm'));
  });
});

describe('follow <capture> <session>', () => {
  const pasv = join(FIXTURES, 'pasv-download.pcap');

  it('prints the control conversation with frames, each side in its turn', () => {
    const r = run(['follow', pasv, '1']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.text).toContain('Follow TCP stream 0 (FTP session 1, control connection)');
    expect(r.text).toContain('client 198.51.100.2:58714, server 198.51.100.1:21');
    expect(r.text).toMatch(/^server, frame 4, bytes 0-319 \(320\)\n {4}220---------- Welcome to Pure-FTPd/m);
    expect(r.text).toMatch(/^client, frame 11, bytes 20-33 \(14\)\n {2}USER student$/m);
    const json = JSON.parse(run(['follow', pasv, '1', '--format', 'json']).text) as JsonFollow;
    expect(r.text).toContain(`\nclient ${json.bytes.client} bytes, server ${json.bytes.server} bytes\n`);
    expect(json.bytes.client).toBeGreaterThan(100);
  });

  it('session N and --stream of its control connection give the same conversation', () => {
    const json = JSON.parse(run(['follow', pasv, '1', '--format', 'json']).text) as JsonFollow & { session: number; role: string };
    expect(json.session).toBe(1);
    const byStream = ourFollow(pasv, json.stream);
    expect(byStream.turns).toEqual(json.turns);
  });

  it('--transfer N follows that transfer\'s data connection; auto shows a listing as text, --show hex as a hex dump', () => {
    const report = JSON.parse(run([pasv, '--format', 'json']).text) as { sessions: Array<{ transfers: Array<{ command: string; connection: { stream: number } }> }> };
    const listing = report.sessions[0]!.transfers[0]!;
    expect(listing.command).toBe('LIST');
    const text = run(['follow', pasv, '1', '--transfer', '1']);
    expect(text.status).toBe(0);
    expect(text.text).toContain(`Follow TCP stream ${listing.connection.stream} (FTP session 1, data connection of transfer 1: LIST)`);
    expect(text.text).toMatch(/^ {4}-rw-r--r-- +1 student +student +32768 Jan 15 +2026 active-32k\.bin$/m);
    const hex = run(['follow', pasv, '1', '--transfer', '1', '--show', 'hex']);
    expect(hex.text).toMatch(/^ {4}00000000  2d 72 77 2d 72 2d 2d 72  2d 2d 20 20 20 20 31 20  -rw-r--r --    1$/m);
  });

  it('--raw writes the exact bytes; --from server on a download is the file tshark follows', () => {
    const report = JSON.parse(run([pasv, '--format', 'json']).text) as { sessions: Array<{ transfers: Array<{ command: string; bytes: number; connection: { stream: number } }> }> };
    const download = report.sessions[0]!.transfers.find((t) => t.command === 'RETR')!;
    const out = join(tmp, 'download.bin');
    const r = run(['follow', pasv, '--stream', String(download.connection.stream), '--raw', '--from', 'server', '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(download.bytes);
    if (hasTshark) {
      const theirs = tsharkFollow(pasv, download.connection.stream);
      const serverHex = theirs.items.filter((i) => (i.side as string) === 'B' && 'hex' in i).map((i) => (i as { hex: string }).hex).join('');
      expect(bytes.toString('hex')).toBe(serverHex);
    }
    // To a pipe (not a terminal) raw bytes go to stdout too: both sides, in delivery order.
    const piped = run(['follow', pasv, '1', '--raw']);
    expect(piped.status).toBe(0);
    expect(piped.stdout.subarray(0, 3).toString()).toBe('220');
    expect(piped.stdout.includes(Buffer.from('USER student\r\n'))).toBe(true);
  });

  it('refuses raw bytes to a terminal, with a clear message and status 2', () => {
    const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) return expect.fail('script(1) from util-linux is needed to give the CLI a terminal');
    const r = spawnSync('script', ['-qec', `${process.execPath} ${CLI} follow ${pasv} 1 --raw`, '/dev/null'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('refusing to write raw capture bytes to a terminal');
    expect(r.stdout).not.toContain('220---------- Welcome');
  });

  it('reads standard input with --stream, and says why a session number cannot be used there', () => {
    const input = readFileSync(pasv);
    const piped = run(['follow', '-', '--stream', '0', '--format', 'json'], input);
    expect(piped.status).toBe(0);
    expect((JSON.parse(piped.text) as JsonFollow).turns).toEqual(ourFollow(pasv, 0).turns);
    const session = run(['follow', '-', '1'], input);
    expect(session.status).toBe(2);
    expect(session.stderr).toContain('use --stream N');
  });

  it('usage errors exit 2 with one line: no such session, stream or transfer; neither or both of session and --stream', () => {
    const cases: Array<[string[], RegExp]> = [
      [['follow', pasv, '9'], /no FTP session 9 in .*: its sessions are 1-1/],
      [['follow', pasv, '--stream', '99'], /has no tcp\.stream 99/],
      [['follow', pasv, '1', '--transfer', '7'], /has no transfer 7 \(its transfers are 1-2\)/],
      [['follow', pasv], /either a session number or --stream N/],
      [['follow', pasv, '1', '--stream', '0'], /either a session number or --stream N/],
      // Every argument but a last all-digit one is a capture (several are merged by time).
      [['follow', pasv, 'x', '1'], /cannot read x: no such file/],
      [['follow', pasv, 'x'], /either a session number or --stream N/],
      [['follow', pasv, pasv], /either a session number or --stream N/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout.length).toBe(0);
    }
  });
});

describe('follow: holes, both directions, hostile bytes', () => {
  it('shows "[N bytes missing]" where the capture lost a segment, at the place tshark shows it', () => {
    const c = new Conversation();
    c.handshake();
    c.data('server', '220 hello\r\n');
    c.ack('client');
    c.data('client', 'USER a\r\n');
    c.next.server += 8; // "331 pw\r\n" was never captured
    c.data('server', '230 ok\r\n');
    c.data('client', 'QUIT\r\n');
    c.close();
    const file = c.write('gap.pcap');
    const text = run(['follow', file, '--stream', '0']);
    expect(text.status).toBe(0);
    expect(text.text).toMatch(/^server: \[8 bytes missing\] bytes 11-18, not in the capture/m);
    expect(text.text).toMatch(/^client 14 bytes, server 19 bytes \(8 missing\)$/m);
    const json = ourFollow(file, 0);
    expect(json.turns.filter((t) => t.missing !== undefined)).toEqual([{ from: 'server', offset: 11, missing: 8, reason: 'not-captured', frame: expect.any(Number) }]);
    if (hasTshark) {
      const theirs = tsharkFollow(file, 0);
      expect(joinRuns(ourItems(json))).toEqual(joinRuns(sided(theirs.items, theirs.nodes, json)));
    }
    // Raw output leaves the hole out and says so on stderr.
    const raw = run(['follow', file, '--stream', '0', '--raw', '--from', 'server']);
    expect(raw.status).toBe(0);
    expect(raw.stdout.toString('latin1')).toBe('220 hello\r\n230 ok\r\n');
    expect(raw.stderr).toMatch(/8 bytes from the server missing at offset 11/);
  });

  it('never lets capture bytes drive the terminal: ESC, CSI and bidi overrides are escaped', () => {
    const c = new Conversation();
    c.handshake();
    c.data('server', '220 \u001b]0;owned\u0007 hi\r\n');
    c.data('client', 'USER \u001b[2J\u009b31m x\r\n');
    c.data('server', Buffer.from('331 \u202e evil\r\n', 'utf8'));
    c.close();
    const file = c.write('esc.pcap');
    const r = run(['follow', file, '--stream', '0']);
    expect(r.status).toBe(0);
    expect(r.text).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
    expect(r.text).toContain('220 \\x1b]0;owned\\x07 hi');
    expect(r.text).toContain('USER \\x1b[2J\\x9b31m x');
    expect(r.text).toContain('331 \\u{202e} evil');
    const json = run(['follow', file, '--stream', '0', '--format', 'json']);
    expect(json.text).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
    const turns = (JSON.parse(json.text) as JsonFollow).turns;
    expect(turns.find((t) => t.text?.startsWith('331'))?.text).toBe('331 \u202e evil\r\n');
  });
});
