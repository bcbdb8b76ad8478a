// The HTML report: one self-contained page, capture text escaped, and (when Debian's chromium
// is installed) the page as a browser renders it: tables, SVG plots, no console errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Report } from '../../src/analyze.js';
import { escapeAttr, escapeHtml, renderHtml } from '../../src/report/html.js';
import { collectSeqSeries, decimateAcks, decimateData, MAX_POINTS } from '../../src/report/htmlSegments.js';
import { FIXTURES, ROOT } from '../helpers/captures.js';

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

describe('decimation', () => {
  it('keeps a million segments to a few thousand points, first and last kept, envelope intact', () => {
    const pts: Array<[number, number, number]> = [];
    for (let i = 0; i < 1_000_000; i++) pts.push([i / 1e5, 1 + i * 1448, 1448]);
    const d = decimateData(pts, MAX_POINTS / 2);
    expect(d.length).toBeLessThanOrEqual(MAX_POINTS / 2);
    expect(d[0]![1]).toBe(1);
    const last = d[d.length - 1]!;
    expect(last[1] + last[2]).toBe(1 + 1_000_000 * 1448);
    const acks: Array<[number, number]> = pts.map(([t, s, l]) => [t, s + l]);
    const a = decimateAcks(acks, MAX_POINTS / 2);
    expect(a.length).toBeLessThanOrEqual(MAX_POINTS / 2);
    expect(a[a.length - 1]![1]).toBe(1 + 1_000_000 * 1448);
  });
});

describe('renderHtml', () => {
  it('is one self-contained page with tables and SVG plots for every transfer', async () => {
    const report = await analyze(fixture('pasv-download.pcap'));
    const segments = await collectSeqSeries(fixture('pasv-download.pcap'), report);
    const html = renderHtml(report, { segments });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(externalLoads(html)).toEqual([]);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//);
    const s = report.sessions[0]!;
    for (const c of s.commands) expect(html).toContain(`<td class="num">${c.frame}</td>`);
    expect(html.match(/<svg class="seqplot"/g)).toHaveLength(s.transfers.length);
    for (const t of s.transfers) {
      const series = segments.get(t.connection!.stream)!;
      expect(series.seen.data).toBe(t.connection!.dataFrames);
      expect(html).toContain(`data-stream="${t.connection!.stream}"`);
    }
    expect(html).toContain('<svg class="histogram"');
    expect(html.match(/<rect class="bar"/g)).toHaveLength(30);
  });

  it('without per-segment points (standard input), draws an approximate line and says so', async () => {
    const report = await analyze(fixture('pasv-download.pcap'));
    const html = renderHtml(report);
    expect(html.match(/class="segments approx"/g)).toHaveLength(report.sessions[0]!.transfers.length);
    expect(html).toContain('approximate: per-segment points not available');
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
  it.skipIf(!hasChromium)(`${hasChromium ? '' : 'SKIPPED: '}renders the report: tables and SVG plots in the DOM, no console errors, a readable screenshot`, () => {
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

    const png = join(dir, 'report.png');
    const shot = chromium([`--screenshot=${png}`, '--window-size=1280,2000', `file://${page}`]);
    expect(shot.status).toBe(0);
    expect(pageErrors(shot.stderr)).toEqual([]);
    expect(readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(statSync(png).size).toBeGreaterThan(20_000);
  }, 200_000);
});
