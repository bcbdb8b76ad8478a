// The HTML report: one self-contained page, capture text escaped, and (when Debian's chromium
// is installed) the page as a browser renders it: tables, SVG plots, no console errors.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Report } from '../../src/analyze.js';
import { escapeAttr, escapeHtml, renderHtml } from '../../src/report/html.js';
import type { Packet } from '../../src/decode/Packet.js';
import type { SeqPlot } from '../../src/ftp/model.js';
import { MAX_CONNECTIONS, MAX_POINTS, MAX_RETRANSMISSIONS, SeqPlotCollector } from '../../src/ftp/SeqPlotCollector.js';
import { TcpAnalysis } from '../../src/tcp/TcpModel.js';
import { FIXTURES, ROOT } from '../helpers/captures.js';
import { largeTransferCapture, largeTransferFacts } from '../helpers/largeTransfer.js';

const fixture = (name: string) => join(FIXTURES, name);
const CLI = join(ROOT, 'dist/cli.js');
const EVIL = `"><script>alert(1)</script><img src=x onerror=alert(2)> ' \` = \x1b[2J & <style>@import url(https://evil.example/x.css)</style>`;

/** Every way a page could load something from elsewhere: looked for in real tags and style sheets only (escaped text is just text). */
function externalLoads(html: string): string[] {
  const found: string[] = [];
  const remote = /^\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i;
  for (const tag of html.matchAll(/<([a-z][a-z0-9-]*)\b([^>]*)>/gi)) {
    const name = tag[1]!.toLowerCase();
    if (['script', 'link', 'iframe', 'object', 'embed', 'base'].includes(name)) found.push(tag[0]);
    for (const attr of tag[2]!.matchAll(/\b(src|href|srcset|action|poster|data|xlink:href|style)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi)) {
      const value = attr[2]!.replace(/^["']|["']$/g, '');
      if (remote.test(value) || (attr[1]!.toLowerCase() === 'style' && /url\(|@import/i.test(value))) found.push(attr[0]);
    }
  }
  for (const css of html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)) {
    if (/url\(|@import/i.test(css[1]!)) found.push('style sheet with url() or @import');
  }
  return found;
}

describe('escapeHtml / escapeAttr', () => {
  it('leaves no markup, entity or control character from the capture', () => {
    const text = escapeHtml(EVIL);
    expect(text).not.toMatch(/[<>"'\x00-\x1f]/);
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).toContain('&amp; &lt;style&gt;');
    expect(text).toContain('\\x1b[2J');
    const attr = escapeAttr(EVIL);
    expect(attr).not.toMatch(/[<>"'`=\x00-\x1f]/);
    expect(escapeHtml('vsFTPd 3.0.3')).toBe('vsFTPd 3.0.3');
  });
});

/** The points a rendered seqplot SVG draws: I-bars of the segments path, ACK steps, retransmission marks. */
function drawnPoints(svg: string): { stream: number; attrs: { points: number; acks: number; retransmissions: number }; bars: number; ackSteps: number; marks: number } {
  const attr = (name: string) => Number(svg.match(new RegExp(`data-${name}="(\\d+)"`))?.[1] ?? NaN);
  const path = (cls: string) => svg.match(new RegExp(`<path class="${cls}" d="([^"]*)"`))?.[1] ?? '';
  const acks = path('acks');
  return {
    stream: attr('stream'),
    attrs: { points: attr('points'), acks: attr('acks'), retransmissions: attr('retransmissions') },
    bars: (path('segments').match(/M/g) ?? []).length,
    ackSteps: acks === '' ? 0 : 1 + (acks.match(/H/g) ?? []).length,
    marks: (path('retransmissions').match(/M/g) ?? []).length,
  };
}

function seqplots(html: string): string[] {
  return html.match(/<svg class="seqplot"[\s\S]*?<\/svg>/g) ?? [];
}

describe('SeqPlotCollector: millions of data segments stay a bounded, shape-keeping series', () => {
  it('merges into equal time buckets (lowest seq, highest seq+len), counts every segment, keeps retransmissions up to the cap', () => {
    const plots = new SeqPlotCollector();
    plots.watch(7, 1_700_000_000, 0);
    const N = 3_000_000, LEN = 1448; // 4.3 GB: the sequence numbers wrap once
    const packet = { frame: { tsSec: 0, tsNsec: 0 }, tcp: { length: LEN, flags: 0x18 } } as unknown as Packet;
    const ackPacket = { frame: { tsSec: 0, tsNsec: 0 }, tcp: { length: 0, flags: 0x10 } } as unknown as Packet;
    const view = { stream: 7, direction: 1 as 0 | 1, seq: 0, ack: 1, window: 65535, analysis: 0 };
    let frame = 0, retransmissions = 0;
    const at = (p: Packet, i: number) => {
      p.frame.tsSec = 1_700_000_000 + Math.floor(i / 100_000);  // 10 µs apart
      p.frame.tsNsec = (i % 100_000) * 10_000;
    };
    for (let i = 0; i < N; i++) {
      at(packet, i);
      // Relative seq wraps past 4 GiB, as the TCP stage's 32-bit tcp.seq does.
      view.direction = 1;
      view.seq = (i * LEN + 1) % 2 ** 32;
      view.analysis = 0;
      plots.segment(++frame, view, packet);
      if (i % 997 === 996) {
        view.seq = ((i - 1) * LEN + 1) % 2 ** 32;
        view.analysis = TcpAnalysis.RETRANSMISSION;
        retransmissions++;
        plots.segment(++frame, view, packet);
      }
      if (i % 2 === 1) {
        at(ackPacket, i);
        view.direction = 0;
        view.ack = ((i + 1) * LEN + 1) % 2 ** 32;
        view.analysis = 0;
        plots.segment(++frame, view, ackPacket);
      }
    }
    const facts = { stream: 7, bytesFromOpener: 0, bytesFromListener: N * LEN } as Parameters<SeqPlotCollector['plotOf']>[0];
    const plot = plots.plotOf(facts) as SeqPlot;
    expect(plot.sender).toBe('listener');
    const d = plot.data.points;
    expect(d.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(d.length).toBeGreaterThan(MAX_POINTS / 4);
    expect(plot.data.segments).toBe(N + retransmissions);
    expect(d.reduce((n, p) => n + p.segments, 0)).toBe(N + retransmissions);
    expect(d.reduce((n, p) => n + p.retransmissions, 0)).toBe(retransmissions);
    // The envelope: first byte, last byte (unwrapped past 4 GiB), and no hole between buckets.
    expect(d[0]!.seq).toBe(1);
    expect(Math.max(...d.map((p) => p.end))).toBe(N * LEN + 1);
    for (let k = 1; k < d.length; k++) expect(d[k]!.seq).toBeLessThanOrEqual(d[k - 1]!.end);
    // Equal buckets: every point in a bucket of its own, in time order.
    const w = plot.data.bucketSeconds;
    expect(w).toBeGreaterThan(0);
    const buckets = d.map((p) => Math.floor(Math.round(p.time * 1e9) / Math.round(w * 1e9)));
    for (let k = 1; k < buckets.length; k++) expect(buckets[k]!).toBeGreaterThan(buckets[k - 1]!);
    expect(plot.acks.segments).toBe(N / 2);
    expect(plot.acks.points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(plot.acks.points.at(-1)!.ack).toBe(N * LEN + 1);
    expect(plot.retransmissions.segments).toBe(retransmissions);
    expect(plot.retransmissions.points).toHaveLength(Math.min(retransmissions, MAX_RETRANSMISSIONS));
  });

  it('gives plots to the first MAX_CONNECTIONS data connections only, and says so on the page for the others', async () => {
    const plots = new SeqPlotCollector();
    for (let stream = 0; stream <= MAX_CONNECTIONS; stream++) plots.watch(stream, 1_700_000_000, 0);
    const facts = (stream: number) => ({ stream, bytesFromOpener: 0, bytesFromListener: 0 }) as Parameters<SeqPlotCollector['plotOf']>[0];
    expect(plots.plotOf(facts(MAX_CONNECTIONS - 1))).not.toBeNull();
    expect(plots.plotOf(facts(MAX_CONNECTIONS))).toBeNull();
    expect(plots.plotOf(facts(MAX_CONNECTIONS + 1))).toBeUndefined(); // never a data connection
    const report: Report = structuredClone(await analyze(fixture('pasv-download.pcap'), { ftp: { plots: true } }));
    for (const t of report.sessions[0]!.transfers) t.connection!.plot = null;
    const html = renderHtml(report);
    expect(html.match(/class="segments approx"/g)).toHaveLength(report.sessions[0]!.transfers.length);
    expect(html).toContain('approximate: this report holds plot points for its first data connections only');
  });

  it('keeps every segment as its own point while a transfer is short', async () => {
    const report = await analyze(fixture('lossy-transfer.pcap'), { ftp: { plots: true } });
    const c = report.sessions[0]!.transfers.find((t) => t.command === 'RETR')!.connection!;
    const plot = c.plot!;
    expect(plot.data.bucketSeconds).toBe(0);
    expect(plot.data.points).toHaveLength(plot.data.segments);
    // The same retransmissions the statistics count (Wireshark's tcp.analysis.retransmission), in the sender's direction.
    const conn = report.statistics!.connections.find((x) => x.stream === c.stream)!;
    const senderIsServer = (plot.sender === 'opener' ? c.opener : c.listener).port === conn.server.port;
    expect(plot.retransmissions.segments).toBe((senderIsServer ? conn.fromServer : conn.fromClient).retransmissions);
    expect(plot.retransmissions.segments).toBeGreaterThan(0);
    expect(plot.data.points.filter((p) => p.retransmissions > 0).map((p) => p.frame)).toEqual(plot.retransmissions.points.map((p) => p.frame));
  });
});

describe('renderHtml', () => {
  it('is one self-contained page with tables and SVG plots for every transfer', async () => {
    const report = await analyze(fixture('pasv-download.pcap'), { ftp: { plots: true } });
    const html = renderHtml(report);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(externalLoads(html)).toEqual([]);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//);
    const s = report.sessions[0]!;
    for (const c of s.commands) expect(html).toContain(`<td class="num">${c.frame}</td>`);
    expect(html.match(/<svg class="seqplot"/g)).toHaveLength(s.transfers.length);
    const drawn = seqplots(html).map(drawnPoints);
    for (const t of s.transfers) {
      const plot = t.connection!.plot!;
      expect(plot.data.segments).toBe(t.connection!.dataFrames);
      const d = drawn.find((x) => x.stream === t.connection!.stream)!;
      expect(d.bars).toBe(plot.data.points.length);
      expect(d.ackSteps).toBe(plot.acks.points.length);
      expect(d.attrs).toEqual({ points: plot.data.points.length, acks: plot.acks.points.length, retransmissions: plot.retransmissions.points.length });
    }
    expect(html).toContain('<svg class="histogram"');
    expect(html.match(/<rect class="bar"/g)).toHaveLength(30);
  });

  it('from a report built without plot points, draws an approximate line and says so', async () => {
    const report = await analyze(fixture('pasv-download.pcap'));
    const html = renderHtml(report);
    expect(html.match(/class="segments approx"/g)).toHaveLength(report.sessions[0]!.transfers.length);
    expect(html).toContain('approximate: the report was built without plot points');
  });

  it('escapes hostile capture text in text and attribute contexts', async () => {
    const report: Report = structuredClone(await analyze(fixture('active-port.pcap')));
    const s = report.sessions[0]!;
    s.banner = EVIL;
    s.greeting!.reply.text = EVIL;
    s.commands[0]!.arg = EVIL;
    s.commands[0]!.command = EVIL;
    s.logins[0]!.user = EVIL;
    s.transfers[1]!.arg = EVIL;
    s.transfers[1]!.extracted = { name: EVIL, size: 1, sha256: 'x', complete: true };
    const html = renderHtml(report, { extractedHref: (name) => name });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<style>@import');
    expect(html).not.toContain('\x1b');
    expect(externalLoads(html)).toEqual([]);
    expect(html).toMatch(/<a href="&quot;&gt;&lt;script&gt;[^"]*">/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

/** Debian's chromium; FTP_INSPECT_CHROMIUM points elsewhere (or at nothing, to see the skip). */
const CHROMIUM = process.env.FTP_INSPECT_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';

function chromium(args: string[]) {
  const profile = mkdtempSync(join(tmpdir(), 'ftp-inspect-chromium-'));
  const r = spawnSync(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...args,
  ], { timeout: 90_000, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout?.toString('utf8') ?? '', stderr: r.stderr?.toString('utf8') ?? '', error: r.error };
}

/** Lines Chromium logs for the page itself: console messages and uncaught exceptions. */
function pageErrors(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /CONSOLE|Uncaught|Refused to|net::ERR_/i.test(l));
}

describe(hasChromium ? 'headless Chromium' : inCi ? 'headless Chromium (missing in CI)' : `SKIPPED: headless Chromium (${CHROMIUM} not installed)`, () => {
  if (!hasChromium && inCi) {
    it('is installed in CI', () => {
      throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
    });
    return;
  }
  it.skipIf(!hasChromium)(`${hasChromium ? '' : 'SKIPPED: '}renders the report: tables and SVG plots in the DOM, no console errors, a readable screenshot`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-html-'));
    const page = join(dir, 'report.html');
    const made = spawnSync(process.execPath, [CLI, fixture('active-port.pcap'), '--format', 'html', '-o', page, '--extract', join(dir, 'files')]);
    expect(made.status, made.stderr.toString()).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(externalLoads(html)).toEqual([]);
    expect(html).toContain('href="files/active-32k.bin"');

    const dom = chromium(['--dump-dom', `file://${page}`]);
    expect(dom.error).toBeUndefined();
    expect(dom.status).toBe(0);
    for (const cls of ['commands', 'transfers', 'plen', 'conversations', 'teardown', 'logins']) expect(dom.stdout).toContain(`<table class="${cls}">`);
    expect(dom.stdout.match(/<svg class="seqplot"/g)).toHaveLength(2);
    expect(dom.stdout).toContain('<svg class="histogram"');
    expect(dom.stdout).toContain('<svg class="timeline"');
    expect(dom.stdout).toMatch(/<path class="segments" d="M/);
    expect(dom.stdout).toMatch(/<path class="acks" d="M/);
    expect(pageErrors(dom.stderr)).toEqual([]);
    // What the browser drew is the model's series: one bar per data point, one step per ACK point.
    const model = await analyze(fixture('active-port.pcap'), { ftp: { plots: true } });
    const drawn = seqplots(dom.stdout).map(drawnPoints);
    const plotted = model.sessions[0]!.transfers.filter((t) => t.connection);
    expect(drawn.map((d) => d.stream)).toEqual(plotted.map((t) => t.connection!.stream));
    for (const t of plotted) {
      const plot = t.connection!.plot!;
      const d = drawn.find((x) => x.stream === t.connection!.stream)!;
      expect(plot.data.points.length).toBeGreaterThan(0);
      expect({ bars: d.bars, acks: d.ackSteps, marks: d.marks }).toEqual({ bars: plot.data.points.length, acks: plot.acks.points.length, marks: plot.retransmissions.points.length });
    }

    const png = join(dir, 'report.png');
    const shot = chromium([`--screenshot=${png}`, '--window-size=1280,2000', `file://${page}`]);
    expect(shot.status).toBe(0);
    expect(pageErrors(shot.stderr)).toEqual([]);
    expect(readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(statSync(png).size).toBeGreaterThan(20_000);
  }, 200_000);

  it.skipIf(!hasChromium)(`${hasChromium ? '' : 'SKIPPED: '}a million data segments (streamed into standard input): the plot stays within the cap and the page renders`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-html-big-'));
    const page = join(dir, 'report.html');
    const options = { segments: 1_000_000, retransmitEvery: 5000 };
    const facts = largeTransferFacts(options);
    const cli = spawn(process.execPath, [CLI, '-', '--format', 'html', '-o', page], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    largeTransferCapture(options).pipe(cli.stdin);
    const status = await new Promise<number | null>((done) => cli.on('close', done));
    expect(status, stderr).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(statSync(page).size).toBeLessThan(1_000_000);

    const dom = chromium(['--dump-dom', `file://${page}`]);
    expect(dom.status).toBe(0);
    expect(pageErrors(dom.stderr)).toEqual([]);
    const plots = seqplots(dom.stdout);
    expect(plots).toHaveLength(1);
    const d = drawnPoints(plots[0]!);
    expect(d.stream).toBe(facts.dataStream);
    expect(d.bars).toBe(d.attrs.points);
    expect(d.ackSteps).toBe(d.attrs.acks);
    expect(d.marks).toBe(facts.retransmissions);
    expect(d.bars).toBeGreaterThan(MAX_POINTS / 4);
    expect(d.bars).toBeLessThanOrEqual(MAX_POINTS);
    expect(d.ackSteps).toBeLessThanOrEqual(MAX_POINTS);
    // Every segment and ACK counted before merging, as the caption says.
    expect(html).toContain(`${facts.dataSegments} data segments from 10.0.0.1:30000, ${facts.acks} ACKs, ${facts.retransmissions} retransmissions; merged into ${d.bars} + ${d.ackSteps} points`);

    const png = join(dir, 'report.png');
    const shot = chromium([`--screenshot=${png}`, '--window-size=1280,2000', `file://${page}`]);
    expect(shot.status).toBe(0);
    expect(pageErrors(shot.stderr)).toEqual([]);
    expect(statSync(png).size).toBeGreaterThan(20_000);
  }, 600_000);
});
