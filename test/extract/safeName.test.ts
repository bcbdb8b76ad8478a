import { describe, expect, it } from 'vitest';
import {
  NameAllocator,
  cutToBytes,
  listingName,
  orphanName,
  remotePathParts,
  sanitizeComponent,
} from '../../src/extract/SafeName.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Base name the flat layout would use for a remote path. */
const flat = (remote: string): string => sanitizeComponent(remotePathParts(remote).base);

describe('safe names: remote path -> a name that stays in the output directory', () => {
  const table: Array<[string, string]> = [
    ['../../etc/passwd', 'passwd'],
    ['/etc/shadow', 'shadow'],
    ['..', '_'],
    ['.', '_'],
    ['', '_'],
    ['...', '_'],
    ['pub/..', 'pub'],
    ['C:\\Windows\\System32\\evil.dll', 'evil.dll'],
    ['C:', '_'],
    ['C:evil.txt', 'C_evil.txt'],
    ['\\\\server\\share\\x.doc', 'x.doc'],
    ['dir\\..\\..\\up.txt', 'up.txt'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['Com1', '_Com1'],
    ['lpt9.log', '_lpt9.log'],
    ['CONOUT$', '_CONOUT$'],
    ['console.log', 'console.log'],
    ['a\u202Eb.txt', 'a_b.txt'],
    ['invoice\u202Efdp.exe', 'invoice_fdp.exe'],
    ['zero\u200Bwidth', 'zero_width'],
    ['a\u0000b', 'a_b'],
    ['evil\n\u001b[31mred', 'evil__[31mred'],
    ['tab\there', 'tab_here'],
    ['del\u007f', 'del_'],
    ['c1\u0085x', 'c1_x'],
    ['what?<>|*"', 'what______'],
    ['trailing. . ', 'trailing'],
    ['  lead', 'lead'],
    ['.bashrc', '_.bashrc'],
    ['-rf', '_-rf'],
    ['normal name (1).tar.gz', 'normal name (1).tar.gz'],
    ['ünïcödé.txt', 'ünïcödé.txt'],
    ['e\u0301.txt', '\u00e9.txt'],
  ];
  for (const [remote, want] of table) {
    it(`${JSON.stringify(remote)} -> ${JSON.stringify(want)}`, () => {
      const got = flat(remote);
      expect(got).toBe(want);
      expect(got).not.toMatch(/[/\\\u0000-\u001f\u007f]/);
      expect(got === '.' || got === '..').toBe(false);
    });
  }

  it('keeps every name within 255 bytes of UTF-8 (room left for a suffix), cut at a character boundary, extension kept', () => {
    for (const raw of ['a'.repeat(300) + '.txt', 'é'.repeat(300) + '.pdf', '😀'.repeat(100), 'x'.repeat(10_000), `${'y'.repeat(250)}.${'z'.repeat(40)}`]) {
      const s = sanitizeComponent(raw);
      expect(bytes(s)).toBeLessThanOrEqual(247);
      expect(Buffer.from(s, 'utf8').toString('utf8')).toBe(s); // no broken code point
      expect(s.includes('\uFFFD')).toBe(false);
    }
    expect(sanitizeComponent('a'.repeat(300) + '.txt').endsWith('.txt')).toBe(true);
    expect(sanitizeComponent('😀'.repeat(100))).toBe('😀'.repeat(61)); // 4 bytes each, 244 <= 247
    expect(cutToBytes('abcdef.gz', 5)).toBe('ab.gz');
    expect(cutToBytes('abcdef.gz', 3)).toBe('abc'); // no room for the extension: plain cut
  });

  it('splits remote paths on / and \\ and drops drive letters, UNC prefixes, "." and ".."', () => {
    expect(remotePathParts('/home/student/../../etc/passwd')).toEqual({ dirs: ['home', 'student', 'etc'], base: 'passwd' });
    expect(remotePathParts('\\\\srv\\share\\a\\b.txt')).toEqual({ dirs: ['srv', 'share', 'a'], base: 'b.txt' });
    expect(remotePathParts('C:\\x\\y')).toEqual({ dirs: ['x'], base: 'y' });
    expect(remotePathParts('./a/./b')).toEqual({ dirs: ['a'], base: 'b' });
  });

  it('names orphans and listings clearly', () => {
    expect(orphanName(12, { ip: '198.51.100.1', port: 30017 })).toBe('orphan-stream-12-198.51.100.1-30017.bin');
    expect(orphanName(3, { ip: '2001:db8::1', port: 30001 })).toBe('orphan-stream-3-2001_db8__1-30001.bin');
    expect(listingName(1, 45)).toBe('listing-session1-frame45.txt');
    expect(listingName(2, 7, 'MLSD')).toBe('listing-mlsd-session2-frame7.txt');
  });

  it('never hands out the same name twice: " (2)", " (3)" … before the extension (as browsers do), case- and normalisation-blind', () => {
    const a = new NameAllocator(['manifest.json']);
    expect(a.allocate([], 'x.bin')).toBe('x.bin');
    expect(a.allocate([], 'x.bin')).toBe('x (2).bin');
    expect(a.allocate([], 'X.BIN')).toBe('X (3).BIN');
    expect(a.allocate([], 'archive.tar.gz')).toBe('archive.tar.gz');
    expect(a.allocate([], 'archive.tar.gz')).toBe('archive (2).tar.gz');
    expect(a.allocate([], 'manifest.json')).toBe('manifest (2).json');
    expect(a.allocate([], 'notes')).toBe('notes');
    expect(a.allocate([], 'notes')).toBe('notes (2)');
    expect(a.allocate([], '\u00e9')).toBe('\u00e9');
    expect(a.allocate([], 'e\u0301')).toBe('e\u0301 (2)');
    // a name that already looks suffixed is just another name
    expect(a.allocate([], 'x (2).bin')).toBe('x (2) (2).bin');
    // a directory and a file never share a name
    expect(a.allocate([], 'session-1')).toBe('session-1');
    expect(a.allocate(['session-1'], 'f')).toBe('session-1 (2)/f');
    expect(a.allocate(['session-1 (2)'], 'f')).toBe('session-1 (2)/f (2)');
    const long = 'n'.repeat(247);
    a.allocate([], long);
    const next = a.allocate([], long);
    expect(next.endsWith(' (2)')).toBe(true);
    expect(bytes(next)).toBeLessThanOrEqual(255);
  });

  it('hands out thousands of suffixes for one name quickly (no quadratic retry)', () => {
    const a = new NameAllocator();
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(a.allocate([], 'index.html'));
    expect(seen.size).toBe(5000);
    expect(seen.has('index (5000).html')).toBe(true);
  });

  it('takes the names already on disk first: the output folder at once, a folder below it when first used, symbolic links as files', () => {
    const disk: Record<string, Array<{ name: string; dir: boolean }>> = {
      '': [{ name: 'X.bin', dir: false }, { name: 'session-1', dir: true }, { name: 'pub', dir: false }, { name: 'link', dir: false }],
      'session-1': [{ name: 'f.txt', dir: false }, { name: 'Sub', dir: true }],
      'session-1/Sub': [{ name: 'g.txt', dir: false }],
    };
    const listed: string[] = [];
    const a = new NameAllocator(['manifest.json'], (rel) => {
      listed.push(rel);
      return disk[rel] ?? [];
    });
    expect(listed).toEqual(['']);
    expect(a.allocate([], 'x.bin')).toBe('x (2).bin');
    expect(a.allocate([], 'x.bin')).toBe('x (3).bin');
    // a file on disk named like a folder of ours (or a symbolic link): the folder gets another name, nothing goes through the link
    expect(a.allocate(['pub'], 'a')).toBe('pub (2)/a');
    expect(a.allocate(['link'], 'a')).toBe('link (2)/a');
    expect(listed).toEqual(['']);
    // a folder on disk is reused, and its names are taken when it is first used (by its name on disk)
    expect(a.allocate(['session-1'], 'f.txt')).toBe('session-1/f (2).txt');
    expect(a.allocate(['session-1', 'sub'], 'g.txt')).toBe('session-1/sub/g (2).txt');
    expect(listed).toEqual(['', 'session-1', 'session-1/Sub']);
    // a new folder is not listed
    expect(a.allocate(['session-2'], 'f.txt')).toBe('session-2/f.txt');
    expect(listed).toEqual(['', 'session-1', 'session-1/Sub']);
  });

  it('reads no more than its bound of names from disk (the rest is left to the retry on open)', () => {
    let read = 0;
    function* many(): Generator<{ name: string; dir: boolean }> {
      for (let i = 0; ; i++) {
        read++;
        yield { name: `f${i}`, dir: false };
      }
    }
    const a = new NameAllocator([], () => many(), 100);
    expect(read).toBeLessThanOrEqual(101);
    expect(a.allocate([], 'f5')).toBe('f5 (2)');
    expect(a.allocate([], 'f500')).toBe('f500');
  });
});
