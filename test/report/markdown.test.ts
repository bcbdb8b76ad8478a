// The Markdown lab report: one numbered heading per lab question, frames equal to the model's,
// and capture text that cannot break out of its place in the document.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type Report } from '../../src/analyze.js';
import { escapeMarkdown, LAB_QUESTION_TITLES, renderMarkdown, spooledLines, unspooledLines } from '../../src/report/markdown.js';
import { escapeControls } from '../../src/report/text.js';
import { FIXTURES, ROOT } from '../helpers/captures.js';
import { seededRandom } from '../helpers/random.js';

const fixture = (name: string) => join(FIXTURES, name);

const HOSTILE = [
  '| pipe | closes cells',
  '`code` span',
  '# heading',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  'line\nbreak\r\n# injected heading',
  '\x1b[31mred\x1b[0m',
  '[link](http://evil.example/)',
  '**bold** _em_ ~~strike~~',
  '&amp; entity',
  '\u202eevil\u202c',
];

describe('escapeMarkdown', () => {
  it.each(HOSTILE)('makes %j inert', (input) => {
    const out = escapeMarkdown(input);
    expect(out).not.toMatch(/[\x00-\x1f\x7f\u202a-\u202e]/);
    expect(out).not.toMatch(/(^|[^\\])\|/);
    expect(out).not.toMatch(/(^|[^\\])`/);
    expect(out).not.toMatch(/<|>/);
    expect(out).not.toMatch(/^#/);
    expect(out).not.toMatch(/(^|[^\\])[[\]*_~]/);
    expect(out).not.toContain('\n');
  });

  it('keeps ordinary text readable', () => {
    expect(escapeMarkdown('vsFTPd 3.0.3')).toBe('vsFTPd 3.0.3');
    expect(escapeMarkdown('198.51.100.2')).toBe('198.51.100.2');
    expect(escapeMarkdown('a|b')).toBe('a\\|b');
    expect(escapeMarkdown('<b>')).toBe('&lt;b&gt;');
    expect(escapeMarkdown('1. item')).toBe('1\\. item');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('a\x1bb')).toBe(String.raw`a\\x1bb`);
  });

  it('escapes character by character as the rules say, whether or not the text has anything to escape', () => {
    // The rules written out plainly (the function skips the walk when nothing needs escaping
    // and the block-starter replacements when the first character cannot start a block).
    const oracle = (text: string) => {
      let out = '';
      for (const ch of escapeControls(text)) {
        if (ch === '&') out += '&amp;';
        else if (ch === '<') out += '&lt;';
        else if (ch === '>') out += '&gt;';
        else if ('\\`*_[]|~#!'.includes(ch)) out += `\\${ch}`;
        else out += ch;
      }
      return out.replace(/^([-+])(?=\s|$)/, '\\$1').replace(/^(=+)(?=\s*$)/, '\\$1').replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2');
    };
    const random = seededRandom(0x3d5);
    const alphabet = ['a', 'Z', ' ', '\t', '-', '+', '=', '1', '9', '.', ')', '&', '<', '>', '\\', '`', '*', '_', '[', ']', '|', '~', '#', '!', '\x1b', '\n', 'é', '😀', '\u202e'];
    let plain = 0;
    for (let i = 0; i < 20_000; i++) {
      let t = '';
      for (let n = Math.floor(random() * 12); n > 0; n--) t += alphabet[Math.floor(random() * (random() < 0.7 ? 4 : alphabet.length))];
      if (escapeMarkdown(t) === t) plain++;
      expect(escapeMarkdown(t), JSON.stringify(t)).toBe(oracle(t));
    }
    expect(plain).toBeGreaterThan(2_000);
    expect(escapeMarkdown(null)).toBe('');
  });
});

describe('a session\'s answer lines as spooled', () => {
  it('come back as they were: none, empty lines, lines that look like the encoding, lines with line ends or NULs of their own', () => {
    const random = seededRandom(0x5b0);
    const pieces = ['', 'L', '[', ']', '"', '\\', '\n', '\r', '\0', 'x', '- item', '| a | b |', 'é', '😀'];
    const cases: string[][] = [[], [''], ['', ''], ['L'], ['[]'], ['["a"]'], ['a\nb'], ['a', '', 'b'], ['\n'], ['\0'], ['a\0b', 'c']];
    for (let i = 0; i < 3000; i++) {
      const lines: string[] = [];
      for (let n = Math.floor(random() * 6); n > 0; n--) {
        let l = '';
        for (let m = Math.floor(random() * 5); m > 0; m--) l += pieces[Math.floor(random() * pieces.length)];
        lines.push(l);
      }
      cases.push(lines);
    }
    let joined = 0;
    for (const lines of cases) {
      const text = spooledLines(lines);
      if (text.startsWith('L')) joined++;
      expect(unspooledLines(text), JSON.stringify(lines)).toEqual(lines);
    }
    expect(joined).toBeGreaterThan(1000);
  });
});

function headings(md: string): string[] {
  return md.split('\n').filter((l) => /^## \d+\. /.test(l));
}

describe('renderMarkdown on fixtures', () => {
  it.each(['active-port.pcap', 'pasv-download.pcap', 'upload-stor.pcap', 'auth-tls-accepted.pcap'])('%s: a heading for every lab question, in order', async (name) => {
    const report = await analyze(fixture(name));
    const md = renderMarkdown(report);
    expect(headings(md)).toEqual(LAB_QUESTION_TITLES.map((t, i) => `## ${i + 1}. ${t}`));
    expect(LAB_QUESTION_TITLES).toHaveLength(19);
  });

  it('active-port.pcap: frames as the model has them, with the p1×256+p2 and one-ACK explanations', async () => {
    const report = await analyze(fixture('active-port.pcap'));
    const md = renderMarkdown(report);
    const s = report.sessions[0]!;
    const hs = s.tcp!.handshake!;
    expect(md).toContain(`| SYN | ${hs.syn!.frame} | client → server | 0 (raw ${hs.syn!.seqRaw}) | - |`);
    expect(md).toContain(`| SYN, ACK | ${hs.synAck!.frame} | server → client | 0 (raw ${hs.synAck!.seqRaw}) | 1 (raw ${hs.synAck!.ackRaw}) |`);
    expect(md).toContain(`Frame **${s.greeting!.reply.frame}**, reply code 220`);
    for (const c of s.commands) expect(md).toMatch(new RegExp(`^\\| ${c.frame} \\| ${c.command} \\|`, 'm'));
    const port = s.dataChannels.find((d) => d.kind === 'PORT')!;
    expect(md).toContain(`PORT in frame **${port.frame}**`);
    expect(md).toContain(`p1×256+p2 = ${port.explanation}`);
    expect(md).toContain('The **server** opened the data connection');
    const t = s.transfers.find((x) => x.command === 'RETR')!;
    expect(md).toContain(`${t.preliminary!.code} in frame **${t.preliminary!.frame}**`);
    expect(md).toContain(`${t.final!.code} in frame **${t.final!.frame}**`);
    expect(md).toMatch(/One ACK for both: frame \d+ acknowledges both/);
    expect(md).toContain(`QUIT in frame **${s.quit!.commandSegment!.frame}**: TCP flags **[PSH, ACK]**`);
    expect(md).toContain(`**the ${s.tcp!.teardown!.firstCloser} closed first**`);
    for (const f of s.tcp!.teardown!.segments) expect(md).toContain(`| ${f.frame} | `);
    expect(md).toContain('Host name: **not in the capture**');
    expect(md).toContain('lab-pass-2026');
  });

  it('pasv-download.pcap: the server\'s announced port and the client port that connected', async () => {
    const report = await analyze(fixture('pasv-download.pcap'));
    const md = renderMarkdown(report);
    const s = report.sessions[0]!;
    for (const t of s.transfers) {
      expect(md).toContain(`PASV reply in frame **${t.announcement!.frame}**`);
      expect(md).toContain(`The client connected to it from port **${t.connection!.opener.port}**`);
      expect(md).toContain(`| ${t.connection!.firstDataFrame}–${t.connection!.lastDataFrame} (`);
    }
    expect(md).toContain('Not used: the client sent no PORT or EPRT');
  });

  it('hostile capture text stays inside its cell and line', async () => {
    const report: Report = structuredClone(await analyze(fixture('active-port.pcap')));
    const s = report.sessions[0]!;
    const evil = '| x `y` <script>alert(1)</script>\n# owned \x1b[2J';
    s.greeting!.reply.lines = [evil];
    s.greeting!.reply.text = evil;
    s.commands[0]!.arg = evil;
    s.logins[0]!.user = evil;
    s.transfers[1]!.arg = evil;
    s.transfers[1]!.path = evil;
    const md = renderMarkdown(report);
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('\x1b');
    expect(md).not.toMatch(/^# owned/m);
    expect(md).toContain(String.raw`\| x \`y\` &lt;script&gt;alert(1)&lt;/script&gt;\\x0a\# owned \\x1b\[2J`);
    // Every table row keeps its column count.
    for (const block of md.split('\n\n')) {
      const rows = block.split('\n').filter((l) => l.startsWith('| '));
      if (rows.length < 2) continue;
      const cols = (l: string) => l.replace(/\\\|/g, '').split('|').length;
      for (const r of rows) expect(cols(r)).toBe(cols(rows[0]!));
    }
  });
});

describe('renderMarkdown without FTP', () => {
  it('says for every question that the capture cannot answer it', async () => {
    const report: Report = structuredClone(await analyze(fixture('active-port.pcap')));
    report.sessions = [];
    report.credentials = [];
    delete report.statistics;
    const md = renderMarkdown(report);
    expect(headings(md)).toHaveLength(19);
    expect(md.match(/Not answerable: the capture holds no FTP control connection\./g)).toHaveLength(15);
    expect(md).toContain('Not available: statistics are computed per capture');
  });
});

describe('ftp-inspect --format md', () => {
  const CLI = join(ROOT, 'dist/cli.js');
  it('prints the lab report, and -o writes it to a file', () => {
    const r = spawnSync(process.execPath, [CLI, fixture('active-port.pcap'), '--format', 'md']);
    expect(r.status).toBe(0);
    const out = r.stdout.toString('utf8');
    expect(out).toMatch(/^# FTP lab report: /);
    expect(headings(out)).toHaveLength(19);
    const file = join(mkdtempSync(join(tmpdir(), 'ftp-inspect-md-')), 'report.md');
    const w = spawnSync(process.execPath, [CLI, fixture('active-port.pcap'), '--format', 'md', '-o', file]);
    expect(w.status).toBe(0);
    expect(w.stdout.toString('utf8')).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(out);
  });
});
