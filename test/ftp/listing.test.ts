// Directory listings read into entries (src/ftp/ListingParser.ts): on the real listings the
// lab servers sent (fixtures/manifest.json has every line, and the files table the names,
// sizes and the 2026-01-15 date they were made with), on public captures where one session
// lists the same directory with LIST, NLST and MLSD (the three must agree), and on written
// texts for what no capture has: DOS/IIS lines, the year of "Mon DD HH:MM", 8-column ls,
// names with spaces, devices, bytes that are not UTF-8, CRLF and LF, cuts and gaps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ListingCollector, MAX_ENTRIES, MAX_LINE_BYTES, parseListingLine, SUMMARY_ENTRIES, type ListingCommand } from '../../src/ftp/ListingParser.js';
import type { FtpListing, FtpTransfer } from '../../src/ftp/model.js';
import { renderSessionsText } from '../../src/report/ftpSessionText.js';
import { listingEntryCount, listingSummary } from '../../src/report/listingText.js';
import { FIXTURES, PUBLIC_CAPTURES, hasPublicCaptures } from '../helpers/captures.js';
import { seededRandom as seeded } from '../helpers/random.js';
import { analyzeCapture } from './helpers/analyze.js';
import { T0, login, passive, runCapture } from './helpers/synthSession.js';
import type { PcapRecord } from '../helpers/captureWriter.js';

const enc = new TextEncoder();
const REF = Date.UTC(2026, 10, 22, 8, 0); // 2026-11-22 08:00 UTC

function collect(command: ListingCommand, input: string | Uint8Array, cuts: number[] = [], ref: number | null = REF): FtpListing {
  const bytes = typeof input === 'string' ? enc.encode(input) : input;
  const c = new ListingCollector(command, () => ref);
  let o = 0;
  for (const cut of [...cuts, bytes.length]) {
    c.data(bytes.subarray(o, cut), { offset: o });
    o = cut;
  }
  c.end();
  return c.listing;
}

const slim = (l: FtpListing) => l.entries.map(({ raw: _r, line: _l, ...e }) => e);

interface FixtureManifest {
  files: Array<{ role: string; path: string; size: number }>;
  captures: Array<{ file: string; decode_as: string[]; data_connections: Array<{ tcp_stream: number; listing?: string[]; listing_format?: 'unix' | 'mlsd' }> }>;
}

describe('listings of the recorded fixtures (fixtures/manifest.json)', () => {
  const m = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as FixtureManifest;
  const withListing = m.captures.filter((c) => c.data_connections.some((d) => d.listing));
  it('has fixtures with listings', () => expect(withListing.length).toBeGreaterThanOrEqual(3));
  for (const c of withListing) {
    it(`${c.file}: every line is an entry with the name, size and date the lab gave the file`, async () => {
      const report = await analyzeCapture(join(FIXTURES, c.file));
      const listings = report.sessions.flatMap((s) => s.transfers).filter((t) => t.direction === 'listing');
      for (const d of c.data_connections.filter((x) => x.listing)) {
        const t = listings.find((x) => x.connection?.stream === d.tcp_stream);
        expect(t?.listing, `stream ${d.tcp_stream}`).toBeDefined();
        const l = t!.listing!;
        expect(l.format).toBe(d.listing_format ?? 'unix');
        expect(l.unparsed).toEqual([]);
        expect(l.entries.map((e) => e.raw)).toEqual(d.listing);
        expect(l.entries.map((e) => e.line)).toEqual(d.listing!.map((_, i) => i + 1));
        if (l.format === 'mlsd') {
          // MLSD (mlsd-epsv-all.pcap, pure-ftpd): facts, not ls columns. The lab's files with their
          // sizes, the directories (cdir ".", pdir "..", uploads), modify= in UTC (RFC 3659 §2.3).
          for (const e of l.entries) {
            const f = m.files.find((x) => x.role === 'home' && x.path === e.name);
            if (e.type === 'file') expect(e.size, e.name).toBe(f?.size);
            else expect([e.facts?.type, e.name]).toSatisfy(([type, name]: [string, string]) => (type === 'cdir' && name === '.') || (type === 'pdir' && name === '..') || (type === 'dir' && name === 'uploads'));
            expect(e.modified).toBe('2026-01-15T12:00:00Z');
          }
          expect(l.entries.filter((e) => e.type === 'file').map((e) => e.name).sort()).toEqual(m.files.filter((x) => x.role === 'home' && !x.path.includes('/')).map((x) => x.path).sort());
          continue;
        }
        for (const e of l.entries) {
          // Files the lab made (fixtures/README.md "Files"), with their sizes; directories are the rest.
          const f = m.files.find((x) => x.path === e.name || x.path.endsWith(`/${e.name}`));
          if (e.type === 'file') expect(e.size, e.name).toBe(f?.size);
          else expect([e.type, e.name]).toSatisfy(([type, name]: [string, string]) => type === 'dir' && ['uploads', 'pub'].includes(name));
          // Made on 2026-01-15 (MDTM 20260115120000); more than six months before the recording, so ls gave the year.
          expect(e.modified).toBe('2026-01-15');
          expect(e.yearInferred).toBeUndefined();
          expect(e.permissions).toMatch(/^[-d]rw[-x]r-[-x]r-[-x]$/);
          expect(e.links).toBeGreaterThan(0);
        }
      }
    });
  }

  it('pasv-download.pcap: the listing is saved as text by extract, byte for byte what was sent', async () => {
    const { FileSink } = await import('../../src/extract/FileSink.js');
    const { analyze } = await import('../../src/analyze.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'ftp-inspect-listing-'));
    const sink = await FileSink.create(dir);
    const report = await analyze(join(FIXTURES, 'pasv-download.pcap'), { ftp: { extract: { sink } } });
    const manifest = await sink.close();
    const entry = manifest.files.find((f) => f.kind === 'listing')!;
    expect(entry.command).toBe('LIST');
    expect(entry.name).toMatch(/^listing-session1-frame\d+\.txt$/);
    const lines = m.captures.find((x) => x.file === 'pasv-download.pcap')!.data_connections.find((d) => d.listing)!.listing!;
    expect(readFileSync(join(dir, entry.name), 'utf8')).toBe(lines.map((l) => `${l}\r\n`).join(''));
    // Parsed as well when extracting (the parser reads the same decoded bytes).
    const t = report.sessions[0]!.transfers.find((x) => x.command === 'LIST')!;
    expect(t.listing?.entries).toHaveLength(lines.length);
    expect(t.extracted?.name).toBe(entry.name);
  });

  it('the text report shows the entries briefly', async () => {
    const report = await analyzeCapture(join(FIXTURES, 'pasv-download.pcap'));
    const text = renderSessionsText(report);
    expect(text).toMatch(/listing\s+8 entries \(ls -l\): 7 files, 1 directory/);
    expect(text).toContain('lab-data-24k.bin');
  });
});

describe.skipIf(!hasPublicCaptures)(`listings of public captures${hasPublicCaptures ? '' : ' [SKIPPED: ../shared/captures/public absent]'}`, () => {
  const listingsOf = async (rel: string): Promise<FtpTransfer[]> =>
    (await analyzeCapture(join(PUBLIC_CAPTURES, rel))).sessions.flatMap((s) => s.transfers).filter((t) => t.listing !== undefined);

  it('suricata ruletype-firewall-116: LIST, NLST and MLSD of one directory name the same files, with the same sizes', async () => {
    const ls = await listingsOf('suricata-verify/ruletype-firewall-116-ftp-all-data-ipv4/input.pcap');
    expect(ls.map((t) => `${t.command}:${t.listing!.format}`)).toEqual(['LIST:unix', 'NLST:nlst', 'MLSD:mlsd', 'LIST:unix', 'NLST:nlst', 'MLSD:mlsd']);
    for (let i = 0; i < ls.length; i += 3) {
      const [list, nlst, mlsd] = [ls[i]!.listing!, ls[i + 1]!.listing!, ls[i + 2]!.listing!];
      const names = (l: FtpListing) => l.entries.filter((e) => e.type !== 'cdir' && e.type !== 'pdir').map((e) => e.name).sort();
      expect(names(list).length).toBeGreaterThan(5);
      expect(names(nlst)).toEqual(names(list));
      expect(names(mlsd)).toEqual(names(list));
      for (const e of mlsd.entries) {
        const u = list.entries.find((x) => x.name === e.name)!;
        if (e.type === 'file') expect(e.size).toBe(u.size);
        expect(e.modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        // The LIST time (no year: within six months of the capture) is the MLSD time, in minutes, unless the server's zone is not UTC.
        expect(u.yearInferred).toBe(true);
        expect(u.modified!.slice(0, 4)).toBe(e.modified!.slice(0, 4));
      }
      for (const l of [list, nlst, mlsd]) expect(l.unparsed).toEqual([]);
    }
  });

  it('luguifang ftp-cmd-data: symlinks split into name and target, years given by the server', async () => {
    const ls = await listingsOf('luguifang-protocol-pcap/ftp-cmd-data.pcap');
    const links = ls.flatMap((t) => t.listing!.entries).filter((e) => e.type === 'link');
    expect(links.length).toBeGreaterThan(5);
    for (const e of links) {
      expect(e.raw).toContain(`${e.name} -> ${e.target}`);
      expect(e.name).not.toContain(' -> ');
    }
    const pscp = ls.flatMap((t) => t.listing!.entries).find((e) => e.name === 'pscp.exe');
    // The same session's SIZE pscp.exe answered 262144 and the RETR moved as many bytes.
    expect(pscp).toMatchObject({ type: 'file', size: 262144, modified: '2005-02-23' });
  });

  it('ppa wrongdissector.dmp (BisonWare): a left-aligned year column is not part of the name', async () => {
    const ls = await listingsOf('ppa-markofu/wrongdissector.dmp');
    expect(ls[0]!.listing!.entries.map((e) => [e.name, e.size, e.modified])).toEqual([
      ['adv001.zip', 4906281, '2000-11-30'],
      ['logfile.txt', 298055, '2000-12-01'],
    ]);
  });

  it('chrissanders wrongdissector.pcapng: MLSD with only type and modify', async () => {
    const ls = await listingsOf('chrissanders-packets/wrongdissector.pcapng');
    expect(slim(ls[0]!.listing!)).toEqual([{ name: 'wmiislog', type: 'dir', size: null, modified: '2009-02-10T02:06:06Z', facts: { type: 'dir', modify: '20090210020606' } }]);
  });
});

describe('ls -l lines', () => {
  it('pure-ftpd, vsftpd, proftpd shapes; 8 columns without group; devices; symlinks; ISO dates; total', () => {
    const l = collect('LIST', [
      'total 24',
      '-rw-r--r--    1 student    student         32768 Jan 15  2026 active-32k.bin',
      '-rw-r--r--    1 2026     2026        16384 Jan 15  2026 ipv6-eprt-16k.bin',
      '-rw-r--r--   1 ftp      ftp          1234 Nov 20 10:15 proftpd.txt',
      '-rw-r--r--   1 owner    4321 Oct 01 09:05 no-group.txt',
      'drwxr-xr-x+  3 root     root        4096 Jan  2  2020 acl dir',
      'lrwxrwxrwx   1 root     root           7 Jan  2  2020 lib -> usr/lib',
      'crw-rw-rw-   1 root     root       1,   3 Jan  2  2020 null',
      'brw-rw----   1 root     disk       8,  0 Jan  2  2020 sda',
      'prw-r--r--   1 root     root           0 Jan  2  2020 fifo',
      'srwxrwxrwx   1 root     root           0 Jan  2  2020 sock',
      '-rw-r--r-- 1 u g 5 2024-03-04 05:06 iso name',
      '-rw-r--r--   1 u        g              5 Jan 15 12:00  leading spaces',
      '-rw-r--r--   1 u        g              5 Jan 15 12:00 trailing ',
      '-rw-r--r--   1 u        g              5 Jan 15 12:00 a -> b (not a link)',
    ].join('\r\n') + '\r\n');
    expect(l.format).toBe('unix');
    expect(l.total).toBe(24);
    expect(l.unparsed).toEqual([]);
    expect(slim(l).map((e) => [e.name, e.type, e.size, e.modified, e.owner, e.group ?? null])).toEqual([
      ['active-32k.bin', 'file', 32768, '2026-01-15', 'student', 'student'],
      ['ipv6-eprt-16k.bin', 'file', 16384, '2026-01-15', '2026', '2026'],
      ['proftpd.txt', 'file', 1234, '2026-11-20T10:15', 'ftp', 'ftp'],
      ['no-group.txt', 'file', 4321, '2026-10-01T09:05', 'owner', null],
      ['acl dir', 'dir', 4096, '2020-01-02', 'root', 'root'],
      ['lib', 'link', 7, '2020-01-02', 'root', 'root'],
      ['null', 'char-device', null, '2020-01-02', 'root', 'root'],
      ['sda', 'block-device', null, '2020-01-02', 'root', 'disk'],
      ['fifo', 'fifo', 0, '2020-01-02', 'root', 'root'],
      ['sock', 'socket', 0, '2020-01-02', 'root', 'root'],
      ['iso name', 'file', 5, '2024-03-04T05:06', 'u', 'g'],
      [' leading spaces', 'file', 5, '2026-01-15T12:00', 'u', 'g'],
      ['trailing ', 'file', 5, '2026-01-15T12:00', 'u', 'g'],
      ['a -> b (not a link)', 'file', 5, '2026-01-15T12:00', 'u', 'g'],
    ]);
    expect(l.entries[5]!.target).toBe('usr/lib');
    expect(l.entries[6]!.device).toEqual({ major: 1, minor: 3 });
    expect(l.entries[4]!.permissions).toBe('drwxr-xr-x+');
    expect(l.entries.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it('"Mon DD HH:MM" gets the year that puts it within the six months before the capture (ls\'s rule), one day of slack', () => {
    const line = (d: string) => `-rw-r--r-- 1 u g 1 ${d} f`;
    const year = (d: string, ref: number) => collect('LIST', `${line(d)}\n`, [], ref).entries[0]!.modified;
    const jan5 = Date.UTC(2027, 0, 5, 12, 0);
    expect(year('Dec 30 23:59', jan5)).toBe('2026-12-30T23:59'); // last week, across new year
    expect(year('Jan  5 11:00', jan5)).toBe('2027-01-05T11:00'); // an hour ago
    expect(year('Jan  6 11:00', jan5)).toBe('2027-01-06T11:00'); // a day ahead: clocks and zones differ
    expect(year('Jan  7 11:00', jan5)).toBe('2026-01-07T11:00'); // two days ahead: last year's
    expect(year('Jul 10 08:00', jan5)).toBe('2026-07-10T08:00');
    expect(year('Feb 29 12:00', Date.UTC(2024, 2, 1))).toBe('2024-02-29T12:00');
    expect(collect('LIST', `${line('Jan 15 12:00')}\n`).entries[0]!.yearInferred).toBe(true);
    // No capture time to go by: ISO 8601 without a year.
    expect(collect('LIST', `${line('Jan 15 12:00')}\n`, [], null).entries[0]!.modified).toBe('--01-15T12:00');
  });

  it('lines that are not entries are kept with their line numbers and why', () => {
    const l = collect('LIST', 'hello world\n-rw-r--r-- 1 u g 1 Foo 15 12:00 bad-month\n-rw-r--r-- 1 u g 1 Jan 15 25:00 bad-hour\n');
    expect(l.format).toBe('unknown');
    expect(l.entries).toEqual([]);
    expect(l.unparsed.map((u) => [u.line, u.raw])).toEqual([[1, 'hello world'], [2, '-rw-r--r-- 1 u g 1 Foo 15 12:00 bad-month'], [3, '-rw-r--r-- 1 u g 1 Jan 15 25:00 bad-hour']]);
    expect(l.unparsed[0]!.reason).toMatch(/neither/);
  });
});

describe('DOS / IIS lines', () => {
  it('<DIR> and sizes, AM/PM and 24 h, 2- and 4-digit years, names with spaces', () => {
    const l = collect('LIST', [
      '01-15-26  12:00PM       <DIR>          uploads',
      '01-15-26  12:05AM                32768 active-32k.bin',
      '11-30-99  09:41PM                  123 old file.txt',
      '02-03-2024  17:45                 7 twentyfour.log',
      '07-04-21  01:00PM       <JUNCTION>     link',
    ].join('\r\n') + '\r\n');
    expect(l.format).toBe('dos');
    expect(l.unparsed).toEqual([]);
    expect(slim(l)).toEqual([
      { name: 'uploads', type: 'dir', size: null, modified: '2026-01-15T12:00' },
      { name: 'active-32k.bin', type: 'file', size: 32768, modified: '2026-01-15T00:05' },
      { name: 'old file.txt', type: 'file', size: 123, modified: '1999-11-30T21:41' },
      { name: 'twentyfour.log', type: 'file', size: 7, modified: '2024-02-03T17:45' },
      { name: 'link', type: 'link', size: null, modified: '2021-07-04T13:00' },
    ]);
  });

  it('a LIST mixing both shapes says so', () => {
    const l = collect('LIST', '01-15-26  12:00PM       <DIR>          a\n-rw-r--r-- 1 u g 1 Jan 15  2026 b\n');
    expect(l.format).toBe('mixed');
    expect(l.entries.map((e) => e.name)).toEqual(['a', 'b']);
  });
});

describe('MLSD facts (RFC 3659 §7)', () => {
  it('fact names without regard to case, cdir/pdir, sizd, unix facts, slinks, names with ";" and spaces, fractional UTC times', () => {
    const l = collect('MLSD', [
      'Type=cdir;Modify=20260115120000;Perm=flcdmpe;UNIX.mode=0755; /home/student',
      'type=pdir;modify=20260115120000;perm=flcdmpe; ..',
      'TYPE=file;SIZE=24576;MODIFY=20260115120000.123;PERM=adfrw;UNIQUE=fd01g1234;UNIX.mode=0644;UNIX.owner=student; lab-data-24k.bin',
      'type=dir;sizd=4096;modify=20260115120000; uploads',
      'type=OS.unix=slink:/etc/hosts;modify=20260115120000; hosts link',
      'type=file;size=1;modify=20260115120000; semi;colon name',
      ' no-facts-at-all',
    ].join('\r\n') + '\r\n');
    expect(l.format).toBe('mlsd');
    expect(l.unparsed).toEqual([]);
    expect(slim(l).map((e) => [e.name, e.type, e.size, e.modified, e.target ?? null])).toEqual([
      ['/home/student', 'cdir', null, '2026-01-15T12:00:00Z', null],
      ['..', 'pdir', null, '2026-01-15T12:00:00Z', null],
      ['lab-data-24k.bin', 'file', 24576, '2026-01-15T12:00:00.123Z', null],
      ['uploads', 'dir', 4096, '2026-01-15T12:00:00Z', null],
      ['hosts link', 'link', null, '2026-01-15T12:00:00Z', '/etc/hosts'],
      ['semi;colon name', 'file', 1, '2026-01-15T12:00:00Z', null],
      ['no-facts-at-all', 'unknown', null, null, null],
    ]);
    expect(l.entries[2]!.facts).toEqual({ type: 'file', size: '24576', modify: '20260115120000.123', perm: 'adfrw', unique: 'fd01g1234', 'unix.mode': '0644', 'unix.owner': 'student' });
  });

  it('broken MLSD lines are unparsed, not guessed', () => {
    const l = collect('MLSD', 'type=file;size=1 no-separator\n=x; name\n');
    expect(l.entries).toEqual([]);
    expect(l.unparsed.map((u) => u.line)).toEqual([1, 2]);
  });

  it('parseListingLine: a LIST answered with MLSD-style lines is read as MLSD', () => {
    expect(parseListingLine('LIST', 'type=file;size=3; x', REF)).toMatchObject({ kind: 'entry', format: 'mlsd', entry: { name: 'x', size: 3 } });
  });
});

describe('NLST, line ends, bytes, cuts, gaps and limits', () => {
  it('NLST: one name per line, CRLF or LF, paths kept, empty lines skipped but counted', () => {
    const l = collect('NLST', 'a.txt\r\ndir/b.txt\n\nname with  spaces\r\n');
    expect(l.format).toBe('nlst');
    expect(l.entries.map((e) => [e.name, e.line, e.type])).toEqual([['a.txt', 1, 'unknown'], ['dir/b.txt', 2, 'unknown'], ['name with  spaces', 4, 'unknown']]);
    expect(l.lines).toBe(4);
  });

  it('CRLF and LF give the same entries; a bare CR inside a name stays', () => {
    const lines = ['-rw-r--r-- 1 u g 1 Jan 15  2026 a', '-rw-r--r-- 1 u g 2 Jan 15  2026 b\rc'];
    expect(slim(collect('LIST', lines.join('\r\n') + '\r\n'))).toEqual(slim(collect('LIST', lines.join('\n') + '\n')));
    expect(collect('LIST', lines.join('\n')).entries[1]!.name).toBe('b\rc');
  });

  it('any cut of the stream gives the same listing', () => {
    const text = `total 3\r\n-rw-r--r-- 1 u g 10 Jan 15 12:00 éà ü.txt\r\n01-15-26  12:00PM <DIR> d\r\n-rw-r--r-- 1 u g 1 Jan 15  2026 last`;
    const whole = collect('LIST', text);
    const bytes = enc.encode(text);
    const rnd = seeded(5);
    for (let k = 0; k < 50; k++) {
      const cuts = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => Math.floor(rnd() * bytes.length)))].sort((a, b) => a - b);
      expect(collect('LIST', bytes, cuts)).toEqual(whole);
    }
    expect(whole.entries.map((e) => e.name)).toEqual(['éà ü.txt', 'd', 'last']);
    expect(whole.notes).toContain('the listing does not end with a line end');
  });

  it('bytes that are not UTF-8 (a Latin-1 server) are shown as \\xNN and said so', () => {
    const bytes = Uint8Array.from([...enc.encode('-rw-r--r-- 1 u g 1 Jan 15  2026 caf'), 0xe9, 0x0d, 0x0a]);
    const l = collect('LIST', bytes);
    expect(l.entries[0]!.name).toBe('caf\\xe9');
    expect(l.notes.some((n) => /line 1 is not UTF-8/.test(n))).toBe(true);
  });

  it('a gap breaks the lines it touches: they are unparsed, the others kept', () => {
    const c = new ListingCollector('NLST', () => REF);
    c.data(enc.encode('one\ntw'), { offset: 0 });
    c.gap(10, { offset: 6, frames: [42] });
    c.data(enc.encode('ee\nfour\n'), { offset: 16 });
    c.end();
    expect(c.listing.entries.map((e) => e.name)).toEqual(['one', 'four']);
    expect(c.listing.unparsed.map((u) => [u.raw, u.reason])).toEqual([['tw', 'cut by missing bytes'], ['ee', 'begins after missing bytes']]);
    expect(c.listing.notes[0]).toMatch(/10 bytes of the listing are missing at offset 6 \(frame 42\)/);
  });

  it('bounded: a huge line is cut, entries past the cap are counted', () => {
    const l = collect('NLST', `${'x'.repeat(MAX_LINE_BYTES * 3)}\nok\n`);
    expect(l.unparsed[0]!.raw).toHaveLength(MAX_LINE_BYTES);
    expect(l.unparsed[0]!.reason).toMatch(/longer than/);
    expect(l.entries.map((e) => e.name)).toEqual(['ok']);
    const many = collect('NLST', Array.from({ length: MAX_ENTRIES + 5 }, (_, i) => `f${i}`).join('\n'));
    expect(many.entries).toHaveLength(MAX_ENTRIES);
    expect(many.entriesOmitted).toBe(5);
  });

  it('parsed for a summary: the first entries kept, every entry within the cap counted by type, the report\'s text the same', () => {
    const random = seeded(0x11571);
    const kinds = ['-rw-r--r--', 'drwxr-xr-x', 'lrwxrwxrwx', 'crw-rw-rw-', 'prw-r--r--'];
    for (const count of [0, 3, SUMMARY_ENTRIES, SUMMARY_ENTRIES + 1, 500, MAX_ENTRIES, MAX_ENTRIES + 7]) {
      const lines = ['total 42'];
      for (let i = 0; i < count; i++) {
        const kind = kinds[Math.floor(random() * kinds.length)]!;
        const size = kind.startsWith('c') ? '1,   3' : String(Math.floor(random() * 1e6));
        lines.push(`${kind}    1 ftp      ftp      ${size} Jan 15 12:00 n${i}${kind.startsWith('l') ? ` -> t${i}` : ''}`);
        if (i % 97 === 5) lines.push('not a listing line');
      }
      const bytes = enc.encode(`${lines.join('\r\n')}\r\n`);
      const whole = new ListingCollector('LIST', () => REF);
      const summary = new ListingCollector('LIST', () => REF, true);
      // The same pieces to both, cut anywhere.
      for (let o = 0; o < bytes.length;) {
        const n = 1 + Math.floor(random() * 3000);
        whole.data(bytes.subarray(o, o + n), { offset: o });
        summary.data(bytes.subarray(o, o + n), { offset: o });
        o += n;
      }
      whole.end();
      summary.end();
      const w = whole.listing;
      const l = summary.listing;
      expect(l.entries, `${count}`).toEqual(w.entries.slice(0, SUMMARY_ENTRIES));
      expect(l.entriesNotKept).toBe(Math.max(0, Math.min(count, MAX_ENTRIES) - SUMMARY_ENTRIES));
      expect(l.entriesOmitted).toBe(w.entriesOmitted);
      expect(listingEntryCount(l)).toBe(count);
      expect(listingSummary(l)).toBe(listingSummary(w));
      const types: Record<string, number> = {};
      for (const e of w.entries) types[e.type] = (types[e.type] ?? 0) + 1;
      expect(l.entryTypes).toEqual(types);
      for (const k of ['format', 'lines', 'unparsed', 'unparsedOmitted', 'total', 'notes'] as const) expect(l[k], k).toEqual(w[k]);
    }
  });
});

describe('the "total" line of ls -l', () => {
  it('is read in any case, with trailing blanks, and nothing else is', () => {
    const read = (text: string) => parseListingLine('LIST', text, REF);
    for (const [text, value] of [['total 42', 42], ['TOTAL 7', 7], ['Total\t3  ', 3], ['tOtAl   0', 0]] as const) expect(read(text), text).toEqual({ kind: 'total', value });
    for (const text of [' total 5', 'total', 'total x', 'totals 5', 'xtotal 5', 'total 5 6']) expect(read(text).kind, text).not.toBe('total');
  });
});

describe('a line read for its type only', () => {
  it('has the kind, format and type (or the reason it was not read) of the whole reading, for lines right and nearly right', () => {
    const random = seeded(0x7e0);
    const base = [
      '-rw-r--r--    1 ftp      ftp         32768 Jan 15 12:00 a file',
      'drwxr-xr-x    2 ftp      ftp          4096 Jan 15  2026 dir',
      'lrwxrwxrwx    1 ftp      ftp             7 Feb  3 23:59 link -> target',
      'crw-rw-rw-    1 root     root       1,   3 Dec 31 00:00 null',
      'srwxr-xr-x    1 ftp         0 Mar 01  1999 sock',
      '-rw-r--r--+   1 ftp      ftp            12 2026-01-15 12:00 iso',
      '-rw-r--r-- ftp ftp 12 2026-01-15 12:00:59.123 +0100 iso2',
      'prw-r--r--    1 ftp      ftp             0 Nov 30 2000  adv001.zip',
      '?---------    1 ftp      ftp             0 jan 9 9:05 q',
      'Drwxr-xr-x    1 ftp      ftp             0 JAN 31 10:10 door',
      '01-15-26  12:00PM       <DIR>          uploads',
      'type=file;size=12;modify=20260115120000; x.bin',
      'total 12',
    ];
    // Characters that make a line nearly right: a wrong month, day 0 or 32, hour 24, minute 60.
    const swaps = ['0', '3', '9', '24', '32', '60', 'Jxn', ' ', ':', '-', 'a', '00'];
    const lines = [...base];
    for (let i = 0; i < 6000; i++) {
      let t = base[Math.floor(random() * base.length)]!;
      for (let k = 1 + Math.floor(random() * 2); k > 0; k--) {
        const at = Math.floor(random() * t.length);
        const cut = Math.floor(random() * 3);
        t = t.slice(0, at) + swaps[Math.floor(random() * swaps.length)] + t.slice(at + cut);
      }
      lines.push(t);
    }
    // Dates and times of every shape around the limits: months in any case, days, hours and
    // minutes from 0 to 99 with and without a leading zero, years, ISO dates.
    const months = ['Jan', 'jan', 'JAN', 'jAn', 'Sep', 'sEP', 'Dec', 'Xyz', 'Ja1', 'May', 'Mai'];
    const num = () => { const n = Math.floor(random() * 100); return random() < 0.3 ? String(n).padStart(2, '0') : String(n); };
    for (let i = 0; i < 6000; i++) {
      const month = months[Math.floor(random() * months.length)]!;
      const gap = random() < 0.8 ? ' ' : random() < 0.5 ? '  ' : '\t';
      const when = random() < 0.6 ? `${num()}${gap}${num()}:${num()}` : random() < 0.7 ? `${num()}${gap}${random() < 0.8 ? '2026' : '226'}` : `${num()}`;
      const date = random() < 0.15 ? `2026-${num()}-${num()} ${num()}:${num()}` : `${month}${gap}${when}`;
      const name = random() < 0.9 ? ' name' : random() < 0.5 ? '' : '  spaced name';
      lines.push(`-rw-r--r--    1 ftp      ftp         32768 ${date}${name}`);
    }
    const seen = new Set<string>();
    for (const text of lines) {
      const whole = parseListingLine('LIST', text, REF);
      const typeOnly = parseListingLine('LIST', text, REF, true);
      const brief = (r: ReturnType<typeof parseListingLine>) =>
        r.kind === 'entry' ? `entry ${r.format} ${r.entry.type}` : r.kind === 'total' ? `total ${r.value}` : `unparsed ${r.reason}`;
      expect(brief(typeOnly), text).toBe(brief(whole));
      seen.add(brief(whole));
    }
    // The lines reached every outcome that matters here.
    for (const b of ['entry unix file', 'entry unix dir', 'entry unix link', 'entry unix char-device', 'entry unix socket', 'entry unix fifo', 'entry unix other', 'entry dos dir', 'entry mlsd file', 'total 12']) {
      expect(seen, b).toContain(b);
    }
    expect([...seen].some((b) => b.startsWith('unparsed'))).toBe(true);
  });
});

describe('listings through a whole synthetic session', () => {
  it('a DOS listing over PASV: parsed with its capture time, shown in the report, saved as text', async () => {
    const records: PcapRecord[] = [];
    const ctl = login(records);
    const body = '11-13-23  09:00PM       <DIR>          uploads\r\n11-13-23  09:05PM                 1234 report 2023.pdf\r\n';
    passive(records, ctl, 'LIST', body, 30010, 20);
    ctl.send(0, 'NLST\r\n'); // refused: no listing, no entries
    ctl.send(1, '550 No files found\r\n');
    passive(records, ctl, 'LIST -la', '-rw-r--r--   1 u  g  77 Nov 14 21:00 new.txt\r\n-rw-r--r--   1 u  g  77 Dec 24 21:00 old.txt\r\n', 30011);
    ctl.send(0, 'QUIT\r\n').send(1, '221 bye\r\n').close(0);
    const { report, manifest, dir } = await runCapture(records);
    const ts = report.sessions[0]!.transfers;
    expect(ts[0]!.listing).toMatchObject({ format: 'dos', entries: [{ name: 'uploads', type: 'dir' }, { name: 'report 2023.pdf', size: 1234 }] });
    expect(ts[1]!.status).toBe('refused');
    expect(ts[1]!.listing).toBeUndefined();
    // The capture is from 2023-11-14 (T0): "Nov 14" is this year, "Dec 24" last year's.
    expect(new Date(T0 * 1000).toISOString().slice(0, 10)).toBe('2023-11-14');
    expect(ts[2]!.listing!.entries.map((e) => e.modified)).toEqual(['2023-11-14T21:00', '2022-12-24T21:00']);
    const saved = manifest!.files.filter((f) => f.kind === 'listing');
    expect(saved).toHaveLength(2);
    expect(readFileSync(join(dir, saved[0]!.name), 'utf8')).toBe(body);
    const text = renderSessionsText(report);
    expect(text).toMatch(/listing\s+2 entries \(DOS\/IIS\): 1 file, 1 directory/);
    expect(JSON.parse(JSON.stringify(report)).sessions[0].transfers[0].listing.entries[1].name).toBe('report 2023.pdf');
  });
});
