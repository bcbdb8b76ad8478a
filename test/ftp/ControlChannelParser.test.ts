// ControlChannelParser: commands, replies (single and multi-line), TLS after AUTH, gaps,
// ends — the mechanism only, driven by hand-made deliveries.
import { describe, expect, it } from 'vitest';
import { commandInfo, expectsReply, knownCommands } from '../../src/ftp/commands.js';
import {
  ControlChannelParser, type ControlChannelHandler, type ControlChannelParserOptions, type ParsedCommand, type ParsedReply, type TlsStartReason,
} from '../../src/ftp/ControlChannelParser.js';
import type { ControlLine } from '../../src/ftp/TelnetLineReader.js';
import type { Direction } from '../../src/tcp/StreamEvents.js';
import { Script, bytes } from './helpers/script.js';

type Event =
  | { kind: 'command'; command: string; arg: string; known: boolean; frames: number[] }
  | { kind: 'reply'; code: number; text: string; lines: string[]; frame: number; notes: string[] }
  | { kind: 'non-reply'; text: string }
  | { kind: 'tls'; reason: TlsStartReason; frame: number }
  | { kind: 'encrypted'; direction: Direction; bytes: number; records: number }
  | { kind: 'cleartext'; direction: Direction; frame: number }
  | { kind: 'warning'; frame: number; message: string };

function recorder(): { handler: ControlChannelHandler; events: Event[] } {
  const events: Event[] = [];
  const handler: ControlChannelHandler = {
    command: (c: ParsedCommand) => events.push({ kind: 'command', command: c.command, arg: c.arg, known: c.known, frames: c.line.frames }),
    reply: (r: ParsedReply) => events.push({ kind: 'reply', code: r.code, text: r.text, lines: r.lines.map((l) => l.text), frame: r.endFrame, notes: r.notes }),
    nonReply: (l: ControlLine) => events.push({ kind: 'non-reply', text: l.text }),
    tlsStarted: (reason, frame) => events.push({ kind: 'tls', reason, frame }),
    encrypted: (direction, n, _frames, records) => events.push({ kind: 'encrypted', direction, bytes: n, records }),
    cleartextAgain: (direction, frame) => events.push({ kind: 'cleartext', direction, frame }),
    warning: (frame, message) => events.push({ kind: 'warning', frame, message }),
  };
  return { handler, events };
}

function setup(options: ControlChannelParserOptions = {}) {
  const { handler, events } = recorder();
  const parser = new ControlChannelParser(handler, options);
  const script = new Script({ data: (c) => parser.data(c), gap: (g) => parser.gap(g), end: (e) => parser.end(e), closed: () => parser.close() });
  return { parser, script, events };
}

const of = <K extends Event['kind']>(events: Event[], kind: K) => events.filter((e): e is Extract<Event, { kind: K }> => e.kind === kind);

/** A TLS record: content type, version 3.3, length, body. */
function tlsRecord(type: number, length: number): Uint8Array {
  return Uint8Array.from([type, 3, 3, length >> 8, length & 0xff, ...new Array<number>(length).fill(0xaa)]);
}

describe('command catalogue', () => {
  it('knows every command the issue lists (RFC 959, 2228/4217, 2389, 2428, 2640, 3659, 1639, X-forms, extensions)', () => {
    const listed = `USER PASS ACCT CWD CDUP SMNT REIN QUIT PORT PASV TYPE STRU MODE RETR STOR STOU APPE ALLO REST RNFR RNTO ABOR DELE
      RMD MKD PWD LIST NLST SITE SYST STAT HELP NOOP AUTH ADAT PROT PBSZ CCC MIC CONF ENC FEAT OPTS EPRT EPSV LANG MDTM SIZE MLST
      MLSD LPRT LPSV XPWD XCWD XMKD XRMD XCUP CLNT MFMT HOST`.split(/\s+/);
    for (const verb of listed) expect(commandInfo(verb), verb).toBeDefined();
    expect(knownCommands().length).toBeGreaterThanOrEqual(listed.length);
    expect(commandInfo('pass')?.secret).toBe(true);
  });

  it('allows the reply codes of RFC 959 §5.4 per command, and 421/5xx for any', () => {
    expect(expectsReply('USER', 331)).toBe(true);
    expect(expectsReply('PWD', 331)).toBe(false);
    expect(expectsReply('RETR', 150)).toBe(true);
    expect(expectsReply('PWD', 421)).toBe(true);
    expect(expectsReply('FOO', 299)).toBe(true); // unknown commands take anything
  });
});

describe('ControlChannelParser: commands', () => {
  it('splits verb and argument at the first space, upper-cases the verb, keeps the argument as sent', () => {
    const { script, events } = setup();
    script.client('user Student\r\nPRET LIST \r\nCWD  two  spaces\r\n');
    expect(of(events, 'command').map((e) => [e.command, e.arg])).toEqual([['USER', 'Student'], ['PRET', 'LIST '], ['CWD', ' two  spaces']]);
  });

  it('keeps an unknown command verbatim and says it is not in the catalogue', () => {
    const { script, events } = setup();
    script.client('XYZZY plugh\r\nSITE CHMOD 644 f\r\n');
    expect(of(events, 'command').map((e) => [e.command, e.arg, e.known])).toEqual([['XYZZY', 'plugh', false], ['SITE', 'CHMOD 644 f', true]]);
  });

  it('a command typed one character per segment arrives once, with all its frames', () => {
    const { script, events } = setup();
    const frames = [...'USER bob\r\n'].map((ch) => script.client(ch));
    expect(of(events, 'command')).toEqual([{ kind: 'command', command: 'USER', arg: 'bob', known: true, frames }]);
  });
});

describe('ControlChannelParser: replies', () => {
  it('reads a one-line reply: code, text after the space', () => {
    const { script, events } = setup();
    script.server('230 Login successful.\r\n');
    expect(of(events, 'reply').map((r) => [r.code, r.text])).toEqual([[230, 'Login successful.']]);
  });

  it('joins a multi-line reply until the line with the same code and a space, whatever comes between', () => {
    const { script, events } = setup();
    script.server('211-Features:\r\n EPRT\r\n');
    const last = script.server('230 not the end\r\n211-still not\r\n211 End\r\n');
    const replies = of(events, 'reply');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.lines).toEqual(['211-Features:', ' EPRT', '230 not the end', '211-still not', '211 End']);
    expect([replies[0]!.code, replies[0]!.text, replies[0]!.frame]).toEqual([211, 'Features:', last]);
  });

  it('notes a code not followed by a space; hands on a line without a code as a non-reply', () => {
    const { script, events } = setup();
    script.server('230_no_space\r\nSYST not supported\r\n99 short\r\n');
    expect(of(events, 'reply').map((r) => [r.code, r.text, r.notes])).toEqual([[230, '_no_space', ['no space after the reply code (RFC 959 §4.2)']]]);
    expect(of(events, 'non-reply').map((r) => r.text)).toEqual(['SYST not supported', '99 short']);
  });

  it('a reply split over segments is one reply, completed by the last frame', () => {
    const { script, events } = setup();
    script.server('22');
    script.server('0 rea');
    const f = script.server('dy\r\n');
    expect(of(events, 'reply').map((r) => [r.code, r.text, r.frame])).toEqual([[220, 'ready', f]]);
  });

  it('an unfinished multi-line reply is handed on, marked, when the server side ends', () => {
    const { script, events } = setup();
    script.server('220-Welcome\r\n more\r\n');
    script.close();
    const r = of(events, 'reply')[0]!;
    expect(r.lines).toEqual(['220-Welcome', ' more']);
    expect(r.notes).toEqual(['multi-line reply not finished: the server side ended']);
  });
});

describe('ControlChannelParser: TLS', () => {
  it('after AUTH TLS and 234, reads nothing as text: TLS bytes are counted, never reported as commands', () => {
    const { script, events } = setup();
    script.client('AUTH TLS\r\n');
    const f = script.server('234 Proceed with negotiation.\r\n');
    script.client(tlsRecord(22, 200)); // ClientHello
    script.server(tlsRecord(22, 1000));
    script.client(Uint8Array.from([...tlsRecord(23, 40), ...bytes('USER x\r\n').map((b) => b ^ 0x55)]).subarray(0, 45));
    expect(of(events, 'tls')).toEqual([{ kind: 'tls', reason: { kind: 'auth', mechanism: 'TLS', replyCode: 234 }, frame: f }]);
    expect(of(events, 'command').map((c) => c.command)).toEqual(['AUTH']);
    expect(of(events, 'non-reply')).toEqual([]);
    expect(of(events, 'encrypted').reduce((n, e) => n + e.bytes, 0)).toBe(205 + 1005 + 45);
  });

  it('treats bytes after the 234 in the same segment as TLS', () => {
    const { script, events } = setup();
    script.client('AUTH SSL\r\n');
    script.server(Uint8Array.from([...bytes('234 AUTH SSL OK\r\n'), ...tlsRecord(22, 10)]));
    expect(of(events, 'encrypted')).toEqual([{ kind: 'encrypted', direction: 1, bytes: 15, records: 1 }]);
  });

  it('accepts 334 as the go-ahead for AUTH SSL (pre-RFC 4217 servers), but not for AUTH GSSAPI', () => {
    const ssl = setup();
    ssl.script.client('AUTH SSL\r\n');
    ssl.script.server('334 SSL enabled, start negotiation\r\n');
    expect(of(ssl.events, 'tls')).toHaveLength(1);
    const gss = setup();
    gss.script.client('AUTH GSSAPI\r\n');
    gss.script.server('334 Using authentication type GSSAPI; ADAT must follow\r\n');
    gss.script.client('ADAT YIIC\r\n');
    expect(of(gss.events, 'tls')).toHaveLength(0);
    expect(of(gss.events, 'command').map((c) => c.command)).toEqual(['AUTH', 'ADAT']);
  });

  it('stays in text when AUTH TLS is refused', () => {
    const { script, events } = setup();
    script.client('AUTH TLS\r\n');
    script.server('500 This security scheme is not implemented\r\n');
    script.client('USER a\r\n');
    expect(of(events, 'tls')).toEqual([]);
    expect(of(events, 'command').map((c) => c.command)).toEqual(['AUTH', 'USER']);
  });

  it('finds the 234 to AUTH even when a pipelined command was answered in between', () => {
    const { script, events } = setup();
    script.client('FEAT\r\nAUTH TLS\r\n');
    script.server('211 no features\r\n');
    script.server('234 go\r\n');
    expect(of(events, 'tls')).toHaveLength(1);
  });

  it('notices the return to cleartext after TLS ends (CCC, RFC 4217 §12) and reads text again', () => {
    const { script, events } = setup();
    script.client('AUTH TLS\r\n');
    script.server('234 go\r\n');
    script.client(tlsRecord(22, 100));
    script.server(tlsRecord(22, 300));
    script.client(tlsRecord(21, 26)); // close_notify
    script.server(tlsRecord(21, 26));
    const f = script.client('PASV\r\n');
    script.server('227 Entering Passive Mode (10,0,0,1,4,1).\r\n');
    expect(of(events, 'cleartext')).toEqual([{ kind: 'cleartext', direction: 0, frame: f }, { kind: 'cleartext', direction: 1, frame: f + 1 }]);
    expect(of(events, 'command').map((c) => c.command)).toEqual(['AUTH', 'PASV']);
    expect(of(events, 'reply').map((r) => r.code)).toEqual([234, 227]);
  });

  it('switches to TLS when a handshake appears where a line should start, without any AUTH', () => {
    const { script, events } = setup();
    const f = script.client(tlsRecord(22, 50));
    expect(of(events, 'tls')).toEqual([{ kind: 'tls', reason: { kind: 'handshake-seen', direction: 0 }, frame: f }]);
    expect(of(events, 'command')).toEqual([]);
  });

  it('starts in TLS for implicit FTPS and parses nothing', () => {
    const { script, events } = setup({ startEncrypted: true });
    script.client(tlsRecord(22, 50));
    script.server(tlsRecord(22, 80));
    expect(of(events, 'command')).toEqual([]);
    expect(of(events, 'encrypted').map((e) => e.bytes)).toEqual([55, 85]);
  });

  it('bytes after TLS that are neither records nor text stay unparsed', () => {
    const { script, events } = setup();
    script.client('AUTH TLS\r\n');
    script.server('234 go\r\n');
    script.client(Uint8Array.from([0x01, 0x02, 0x03, 0x0d, 0x0a]));
    expect(of(events, 'command').map((c) => c.command)).toEqual(['AUTH']);
    expect(of(events, 'warning').map((w) => w.message)).toEqual(['client bytes after TLS are neither TLS records nor text; not parsed']);
  });
});

describe('ControlChannelParser: gaps and ends', () => {
  it('a gap drops the partial line before it and the tail after it, with warnings, and reading goes on', () => {
    const { script, events } = setup();
    script.client('RETR fi');
    script.gap(0, 100);
    script.client('le.txt\r\nNOOP\r\n');
    expect(of(events, 'warning').map((w) => w.message)).toEqual([
      '100 bytes missing from the client side (not-captured) at stream offset 7',
      'a partial client line of 7 bytes before the gap was dropped',
      'client line after the gap dropped as the tail of a lost line: "le.txt"',
    ]);
    expect(of(events, 'command').map((c) => [c.command, c.arg])).toEqual([['NOOP', '']]);
  });

  it('after a gap at a line boundary, the next whole command or reply is kept', () => {
    const { script, events } = setup();
    script.gap(0, 5);
    script.client('CWD pub\r\n');
    script.gap(1, 12);
    script.server('250 ok\r\n');
    expect(of(events, 'command').map((c) => c.command)).toEqual(['CWD']);
    expect(of(events, 'reply').map((r) => r.code)).toEqual([250]);
  });

  it('a gap inside a multi-line reply hands on what was read, marked incomplete', () => {
    const { script, events } = setup();
    script.server('211-Features:\r\n UTF8\r\n');
    script.gap(1, 50);
    script.server('200 ok\r\n');
    expect(of(events, 'reply').map((r) => [r.code, r.lines.length, r.notes])).toEqual([
      [211, 2, ['multi-line reply not finished: bytes missing (gap)']],
      [200, 1, []],
    ]);
  });

  it('a side that ends inside a line still hands the line on, with a warning', () => {
    const { script, events } = setup();
    script.client('QUIT');
    script.close();
    expect(of(events, 'command').map((c) => c.command)).toEqual(['QUIT']);
    expect(of(events, 'warning').map((w) => w.message)).toEqual(['the client side ended inside a line (no CRLF)']);
  });

  it('an over-long line is cut with a warning, and the next line is read normally', () => {
    const { script, events } = setup({ maxLineBytes: 32 });
    script.client(`STOR ${'x'.repeat(100)}\r\nNOOP\r\n`);
    expect(of(events, 'command').map((c) => [c.command, c.arg.length])).toEqual([['STOR', 27], ['NOOP', 0]]);
    expect(of(events, 'warning')[0]!.message).toBe('client line longer than kept: 73 bytes dropped');
  });
});
