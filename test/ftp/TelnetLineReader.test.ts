// TelnetLineReader: lines out of one direction's in-order bytes, whatever the segmentation.
import { describe, expect, it } from 'vitest';
import { TelnetLineReader, decodeLine, type ControlLine } from '../../src/ftp/TelnetLineReader.js';
import type { StreamChunk } from '../../src/tcp/StreamEvents.js';
import { bytes } from './helpers/script.js';

/** Feeds (bytes, frame) pieces as one chunk each and collects every line. */
function read(pieces: Array<[string | number[], number]>, options = {}): { lines: ControlLine[]; reader: TelnetLineReader } {
  const reader = new TelnetLineReader(options);
  const lines: ControlLine[] = [];
  let offset = 0;
  for (const [data, frame] of pieces) {
    const b = typeof data === 'string' ? bytes(data) : Uint8Array.from(data);
    reader.begin({ direction: 0, offset, bytes: b, frames: [frame], tsSec: 0, tsNsec: frame });
    offset += b.length;
    for (let l = reader.nextLine(); l; l = reader.nextLine()) lines.push(l);
  }
  return { lines, reader };
}

describe('TelnetLineReader', () => {
  it('ends lines at CRLF and at a bare LF, and says which', () => {
    const { lines } = read([['USER a\r\nPASS b\nNOOP\r\n', 5]]);
    expect(lines.map((l) => [l.text, l.terminator])).toEqual([['USER a', 'crlf'], ['PASS b', 'lf'], ['NOOP', 'crlf']]);
  });

  it('returns several commands of one segment one by one (pipelining), each from that frame', () => {
    const { lines } = read([['USER a\r\nPASS b\r\nSYST\r\n', 7]]);
    expect(lines.map((l) => [l.text, l.frames, l.oneSegment])).toEqual([
      ['USER a', [7], true], ['PASS b', [7], true], ['SYST', [7], true],
    ]);
  });

  it('joins a command split over segments and lists every frame that carried it', () => {
    const { lines } = read([['U', 6], ['S', 8], ['E', 10], ['R', 12], [' ', 14], ['st', 16], ['udent', 18], ['\r', 20], ['\n', 22]]);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.text).toBe('USER student');
    expect(lines[0]!.frames).toEqual([6, 8, 10, 12, 14, 16, 18, 20, 22]);
    expect(lines[0]!.oneSegment).toBe(false);
    expect(lines[0]!.endFrame).toBe(22);
  });

  it('credits a CRLF split between two segments to both', () => {
    const { lines } = read([['PWD\r', 3], ['\nCWD x\r\n', 4]]);
    expect(lines.map((l) => [l.text, l.frames])).toEqual([['PWD', [3, 4]], ['CWD x', [4]]]);
  });

  it('removes Telnet IP and DM (the Synch before ABOR) and notes them with the line', () => {
    const { lines } = read([[[0xff, 0xf4, 0xff, 0xf2, ...bytes('ABOR\r\n')], 9]]);
    expect(lines[0]!.text).toBe('ABOR');
    expect(lines[0]!.telnet).toEqual([{ what: 'IP', frame: 9 }, { what: 'DM', frame: 9 }]);
  });

  it('turns IAC IAC into one 0xFF data byte (RFC 854), kept and shown escaped', () => {
    const { lines } = read([[[...bytes('RETR a'), 0xff, 0xff, ...bytes('b\r\n')], 2]]);
    expect(Array.from(lines[0]!.bytes)).toEqual([...bytes('RETR a'), 0xff, ...bytes('b')]);
    expect(lines[0]!.utf8).toBe(false);
    expect(lines[0]!.text).toBe('RETR a\\xffb');
    expect(lines[0]!.telnet).toEqual([]);
  });

  it('removes WILL/WONT/DO/DONT with their option and SB … IAC SE, across segment boundaries', () => {
    const { lines } = read([
      [[0xff], 2], [[0xfb], 3], [[0x01, ...bytes('NO')], 4],
      [[0xff, 0xfa, 0x18, 0x01, 0x02], 5], [[0xff], 6], [[0xf0, ...bytes('OP\r\n')], 7],
    ]);
    expect(lines[0]!.text).toBe('NOOP');
    expect(lines[0]!.telnet.map((t) => [t.what, t.frame])).toEqual([['WILL 1', 4], ['SB 24 (2 bytes)', 7]]);
    expect(lines[0]!.frames).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('keeps other IAC commands out of the text (AYT, NOP, GA)', () => {
    const { lines } = read([[[0xff, 0xf6, ...bytes('NO'), 0xff, 0xf1, ...bytes('OP'), 0xff, 0xf9, ...bytes('\r\n')], 2]]);
    expect(lines[0]!.text).toBe('NOOP');
    expect(lines[0]!.telnet.map((t) => t.what)).toEqual(['AYT', 'NOP', 'GA']);
  });

  it('reads CR NUL as a bare CR (RFC 854) that stays in the line', () => {
    const { lines } = read([['A\r\0B\r\n', 2]]);
    expect(lines[0]!.text).toBe('A\rB');
  });

  it('keeps bytes that are not UTF-8 and shows them as \\xNN; valid UTF-8 stays as it is', () => {
    const { lines } = read([[[...bytes('RETR caf'), 0xe9, ...bytes('\r\n')], 2], [[...bytes('RETR caf'), 0xc3, 0xa9, ...bytes('\r\n')], 3]]);
    expect(lines.map((l) => [l.text, l.utf8])).toEqual([['RETR caf\\xe9', false], ['RETR café', true]]);
  });

  it('bounds an over-long line: keeps maxLineBytes, counts the rest', () => {
    const long = 'A'.repeat(100);
    const { lines } = read([[`STOR ${long}`, 2], [`${long}\r\n`, 3]], { maxLineBytes: 64 });
    expect(lines[0]!.bytes.length).toBe(64);
    expect(lines[0]!.truncated).toBe(105 + 100 - 64);
    expect(lines[0]!.terminator).toBe('crlf');
  });

  it('bounds the frame list of a line sent in very many segments: first ones, the last, and a count', () => {
    const pieces: Array<[string, number]> = [];
    for (let f = 1; f <= 200; f++) pieces.push(['A', f]);
    pieces.push(['\r\n', 201]);
    const { lines } = read(pieces, { maxLineFrames: 8 });
    expect(lines[0]!.frames).toEqual([1, 2, 3, 4, 5, 6, 7, 201]);
    expect(lines[0]!.framesOmitted).toBe(201 - 8);
  });

  it('flush() ends a line that never got its CRLF, discard() drops it', () => {
    const { reader } = read([['QUI', 2]]);
    expect(reader.inLine).toBe(true);
    const line = reader.flush()!;
    expect([line.text, line.terminator]).toEqual(['QUI', 'none']);
    const again = read([['HALF', 3]]).reader;
    expect(again.discard()).toBe(4);
    expect(again.flush()).toBeUndefined();
  });

  it('can stop mid-chunk and report where (the caller switches to TLS there)', () => {
    const reader = new TelnetLineReader();
    reader.begin({ direction: 1, offset: 0, bytes: bytes('234 go\r\n\x16\x03\x01'), frames: [4], tsSec: 0, tsNsec: 0 });
    expect(reader.nextLine()!.text).toBe('234 go');
    expect(reader.position).toBe(8);
  });

  it('with several frames in one chunk and no offsets, credits a line with all of them', () => {
    const reader = new TelnetLineReader();
    const chunk: StreamChunk = { direction: 0, offset: 0, bytes: bytes('USER a\r\n'), frames: [5, 6], tsSec: 0, tsNsec: 0 };
    reader.begin(chunk);
    const line = reader.nextLine()!;
    expect(line.frames).toEqual([5, 6]);
    expect(line.oneSegment).toBe(false);
  });

  it('with frameOffsets on a merged chunk, credits each line with the frames its bytes came from', () => {
    const reader = new TelnetLineReader();
    const chunk = { direction: 0 as const, offset: 100, bytes: bytes('USER a\r\nPASS b\r\n'), frames: [5, 6], frameOffsets: [100, 108], tsSec: 0, tsNsec: 0 };
    reader.begin(chunk);
    const a = reader.nextLine()!;
    const b = reader.nextLine()!;
    expect([a.frames, a.oneSegment, b.frames, b.oneSegment]).toEqual([[5], true, [6], true]);
  });

  it('decodeLine: printable ASCII kept, other bytes escaped when the line is not UTF-8', () => {
    expect(decodeLine(Uint8Array.from([0x41, 0x1b, 0x80]))).toEqual({ text: 'A\\x1b\\x80', utf8: false });
    expect(decodeLine(bytes('plain'))).toEqual({ text: 'plain', utf8: true });
  });
});
