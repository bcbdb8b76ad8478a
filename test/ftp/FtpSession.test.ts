// The session policy (FtpSessionBuilder through createFtpAnalyzer): greeting, pairing,
// logins and their outcome, TLS, state, data-port announcements, QUIT, detection, DNS names,
// credentials and --redact — driven by hand-made deliveries.
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/decode/Packet.js';
import { createFtpAnalyzer, hasCleartextCredentials, mergeFtpReports, type FtpAnalyzerOptions } from '../../src/ftp/FtpAnalyzer.js';
import type { FtpReport, FtpSession } from '../../src/ftp/model.js';
import { MAX_PAIRING_SEARCH } from '../../src/ftp/FtpSessionBuilder.js';
import { REDACTED } from '../../src/ftp/redact.js';
import type { ConnectionStart } from '../../src/tcp/StreamEvents.js';
import { START, Script } from './helpers/script.js';

/** Runs one connection through a fresh analyzer; `play` drives it. */
function session(play: (s: Script) => void, options: FtpAnalyzerOptions = {}, start: ConnectionStart = START): { report: FtpReport; s: FtpSession } {
  const analyzer = createFtpAnalyzer(options);
  const consumer = analyzer.factory(start);
  if (!consumer) throw new Error('not taken for FTP');
  const script = new Script(consumer);
  play(script);
  script.close();
  const report = analyzer.finish();
  return { report, s: report.sessions[0]! };
}

const codes = (s: FtpSession) => s.commands.map((c) => [c.command, c.replies.map((r) => r.code)]);
/** Each distinct "VERB code,code" of a session's commands, sorted. */
const shapesOf = (s: FtpSession) => [...new Set(s.commands.map((c) => `${c.command} ${c.replies.map((r) => r.code).join(',')}`))].sort();

describe('greeting', () => {
  it('takes 220 as the greeting and its text (every line) as the banner; names vsFTPd', () => {
    const { s } = session((x) => x.server('220 (vsFTPd 3.0.3)\r\n'));
    expect(s.greeting?.reply.code).toBe(220);
    expect(s.banner).toBe('(vsFTPd 3.0.3)');
    expect(s.serverSoftware).toMatchObject({ name: 'vsFTPd', version: '3.0.3', from: 'banner', frame: 2 });
  });

  it('takes 120 then 220 as one greeting (RFC 959 §5.4)', () => {
    const { s } = session((x) => {
      x.server('120 ready in 1 minute\r\n');
      x.server('220-ProFTPD 1.3.6 Server\r\n220 hello\r\n');
    });
    expect(s.greeting?.preliminary?.code).toBe(120);
    expect(s.greeting?.reply.lines).toEqual(['220-ProFTPD 1.3.6 Server', '220 hello']);
    expect(s.banner).toBe('ProFTPD 1.3.6 Server\nhello');
    expect(s.serverSoftware?.name).toBe('ProFTPD');
  });

  it('keeps commands a client sends before the greeting, and pairs the replies after it', () => {
    const { s } = session((x) => {
      x.client('USER anonymous\r\n');
      x.client('PASS a@b.c\r\n');
      x.client('SYST\r\n');
      x.server('220 py.fake ready\r\n');
      x.server('230 ok\r\n');
      x.server('230 ok\r\n');
      x.server('215 UNIX Type: L8\r\n');
    });
    expect(s.greeting?.reply.text).toBe('py.fake ready');
    expect(codes(s)).toEqual([['USER', [230]], ['PASS', [230]], ['SYST', [215]]]);
    expect(s.systemType).toEqual({ text: 'UNIX Type: L8', frame: 8 });
  });

  it('names FileZilla from SYST when the banner does not', () => {
    const { s } = session((x) => {
      x.server('220 welcome\r\n');
      x.client('SYST\r\n');
      x.server('215 UNIX emulated by FileZilla\r\n');
    });
    expect(s.serverSoftware).toMatchObject({ name: 'FileZilla Server', from: 'SYST' });
  });
});

describe('pairing replies with commands', () => {
  it('pairs 1xx and the final reply with a transfer command, and a NOOP answered meanwhile', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client('RETR f\r\n');
      x.server('150 opening\r\n');
      x.client('NOOP\r\n');
      x.server('226 done\r\n');
      x.server('200 noop ok\r\n');
    });
    expect(codes(s)).toEqual([['RETR', [150, 226]], ['NOOP', [200]]]);
    expect(s.commands[0]!.replies.map((r) => r.preliminary)).toEqual([true, false]);
  });

  it('pairs pipelined commands in order', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client('TYPE I\r\nPASV\r\nRETR a\r\n');
      x.server('200 binary\r\n227 Entering Passive Mode (10,0,0,1,117,56)\r\n150 go\r\n226 ok\r\n');
    });
    expect(codes(s)).toEqual([['TYPE', [200]], ['PASV', [227]], ['RETR', [150, 226]]]);
  });

  it('pairs 3,000 pipelined commands in order, also when the server passes over one after the first 1,500', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client(`${'NOOP\r\n'.repeat(1500)}SYST\r\n${'NOOP\r\n'.repeat(1499)}`);
      x.server('200 ok\r\n'.repeat(2999));
    });
    expect(s.commands).toHaveLength(3000);
    expect(s.commands.filter((c) => c.command === 'NOOP').every((c) => c.replies.length === 1 && c.replies[0]!.code === 200)).toBe(true);
    const syst = s.commands[1500]!;
    expect([syst.command, syst.replies]).toEqual(['SYST', []]);
    expect(syst.notes?.[0]).toMatch(/^no reply seen \(the server answered a later command, frame \d+, first\)$/);
    expect(s.unmatchedReplies).toEqual([]);
  });

  it('pairs 3,000 pipelined RETRs answered by a run of 150s, a NOOP among them, then the 226s', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client(`${'RETR a\r\n'.repeat(1500)}NOOP\r\n${'RETR b\r\n'.repeat(1500)}`);
      x.server(`${'150 go\r\n'.repeat(1500)}200 ok\r\n${'150 go\r\n'.repeat(1500)}${'226 done\r\n'.repeat(3000)}`);
    });
    expect(s.commands).toHaveLength(3001);
    expect(shapesOf(s)).toEqual(['NOOP 200', 'RETR 150,226']);
    expect(s.unmatchedReplies).toEqual([]);
  });

  it('a final reply none of the commands that had their 1xx may take passes over all of them: 3,000 RETRs with 150s, then 3,000 NOOPs with 200s', () => {
    // Walking the RETRs for every 200 was quadratic (20,000 of each: 31 s); the search is also
    // capped at MAX_PAIRING_SEARCH commands, so without the pass-over the NOOPs went unpaired.
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client(`${'RETR a\r\n'.repeat(3000)}${'NOOP\r\n'.repeat(3000)}`);
      x.server(`${'150 go\r\n'.repeat(3000)}${'200 ok\r\n'.repeat(3000)}${'226 done\r\n'.repeat(3000)}`);
    });
    expect(s.commands).toHaveLength(6000);
    expect(shapesOf(s)).toEqual(['NOOP 200', 'RETR 150,226']);
    expect(s.unmatchedReplies).toEqual([]);
  });

  it('a command answered leaves the count of the front run: an unknown verb answered earlier does not hold a later 200 to the RETRs that had their 150', () => {
    // Any code may answer a verb not in the catalogue: while one is in the front run, a final
    // reply is looked for from the oldest.
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client(`XFOO\r\n${'RETR a\r\n'.repeat(MAX_PAIRING_SEARCH + 100)}NOOP\r\n`);
      x.server(`150 x\r\n226 x\r\n${'150 go\r\n'.repeat(MAX_PAIRING_SEARCH + 100)}200 ok\r\n`);
    });
    expect(codes(s)[0]).toEqual(['XFOO', [150, 226]]);
    expect(codes(s).at(-1)).toEqual(['NOOP', [200]]);
    expect(s.unmatchedReplies).toEqual([]);
  });

  it(`a reply is looked for among the ${MAX_PAIRING_SEARCH.toLocaleString('en-US')} oldest commands waiting at most; beyond them it stays unpaired, with a note`, () => {
    // MKD may not get a 221: QUIT's 221 behind the MKDs nobody answered skips them while QUIT is
    // within reach, and is left unpaired when it is not.
    const play = (n: number) => (x: Script) => {
      x.server('220 hi\r\n');
      x.client(`${'MKD d\r\n'.repeat(n)}QUIT\r\n`);
      x.server('221 bye\r\n');
    };
    const within = session(play(MAX_PAIRING_SEARCH - 1)).s;
    expect(within.commands.at(-1)!.replies.map((r) => r.code)).toEqual([221]);
    expect(within.commands[0]!.notes).toEqual([expect.stringMatching(/^no reply seen \(the server answered a later command/)]);
    const beyond = session(play(MAX_PAIRING_SEARCH)).s;
    expect(beyond.commands.at(-1)!.replies).toEqual([]);
    expect(beyond.unmatchedReplies.map((r) => [r.code, r.notes])).toEqual([
      [221, [`not paired: none of the ${MAX_PAIRING_SEARCH} waiting commands looked at (of ${MAX_PAIRING_SEARCH + 1}) may take a 221 reply, and the search stops there`]],
    ]);
  });

  it('a final reply to a command behind another that had its 1xx: the next 1xx still goes to the next command', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client('RETR a\r\nREIN\r\nRETR c\r\n');
      x.server('150 a\r\n120 wait\r\n220 ready\r\n150 c\r\n226 a\r\n226 c\r\n');
    });
    expect(codes(s)).toEqual([['RETR', [150, 226]], ['REIN', [120, 220]], ['RETR', [150, 226]]]);
  });

  it('passes over a command the server never answered, using the codes each command may get', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client('SYST\r\nQUIT\r\n');
      x.server('SYST not supported\r\n221 bye\r\n');
    });
    expect(codes(s)).toEqual([['SYST', []], ['QUIT', [221]]]);
    expect(s.commands[0]!.notes).toEqual(['no reply seen (the server answered a later command, frame 3, first)']);
    expect(s.nonReplyLines.map((l) => l.text)).toEqual(['SYST not supported']);
  });

  it('ABOR: 426 closes the transfer, 226 answers ABOR; Telnet IP/DM noted', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client('RETR big\r\n');
      x.server('150 go\r\n');
      x.client('\xff\xf4\xff\xf2ABOR\r\n');
      x.server('426 aborted\r\n226 abort ok\r\n');
    });
    expect(codes(s)).toEqual([['RETR', [150, 426]], ['ABOR', [226]]]);
    expect(s.commands[1]!.telnet).toEqual(['IP', 'DM']);
    expect(s.telnet.map((t) => t.what)).toEqual(['IP', 'DM']);
  });

  it('keeps an unsolicited 421 and a reply no command asked for, with a warning for the 421', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.server('425 stray\r\n');
      x.server('421 Timeout.\r\n');
    });
    expect(s.unmatchedReplies.map((r) => r.code)).toEqual([425, 421]);
    expect(s.warnings.map((w) => w.message)).toEqual(['unsolicited 421: the server is closing the control connection (Timeout.)']);
  });

  it('does not force a reply on a command when client bytes were lost since it was sent', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client('CWD 2014\r\n');
      x.gap(0, 8); // "TYPE I\r\n" lost
      x.gap(1, 12); // "250 CWD ok\r\n" lost
      x.server('200 Type set to I\r\n');
    });
    expect(codes(s)).toEqual([['CWD', []]]);
    expect(s.unmatchedReplies.map((r) => [r.code, r.notes])).toEqual([[200, ['probably answers a command lost in the gap before frame 4']]]);
    expect(s.commands[0]!.notes).toContain('whether the directory changed is not known: the working directory shown after this may be wrong');
  });
});

describe('logins', () => {
  const login = (lines: Array<[0 | 1, string]>) =>
    session((x) => {
      x.server('220 hi\r\n');
      for (const [d, t] of lines) x.send(d, t);
    });

  it('USER/PASS accepted with 230: both frames, the outcome and the reply frame', () => {
    const { s, report } = login([[0, 'USER student\r\n'], [1, '331 Password required\r\n'], [0, 'PASS lab-pass\r\n'], [1, '230 OK\r\n']]);
    expect(s.logins).toEqual([expect.objectContaining({
      user: 'student', userFrames: [3], userOneSegment: true, password: 'lab-pass', passwordFrames: [5], outcome: 'accepted', replyCode: 230, replyFrame: 6, anonymous: false,
    })]);
    expect(s.state).toMatchObject({ loggedIn: true, user: 'student' });
    expect(report.credentials).toEqual([expect.objectContaining({ session: 1, user: 'student', password: 'lab-pass', outcome: 'accepted', frames: [3, 5, 6] })]);
    expect(hasCleartextCredentials(report)).toBe(true);
  });

  it('a failed then a successful attempt are two logins: rejected (530), then accepted', () => {
    const { report } = login([
      [0, 'USER a\r\n'], [1, '331 pw\r\n'], [0, 'PASS wrong\r\n'], [1, '530 Login incorrect.\r\n'],
      [0, 'USER a\r\n'], [1, '331 pw\r\n'], [0, 'PASS right\r\n'], [1, '230 in\r\n'],
    ]);
    expect(report.credentials.map((c) => [c.user, c.password, c.outcome, c.replyCode])).toEqual([['a', 'wrong', 'rejected', 530], ['a', 'right', 'accepted', 230]]);
  });

  it('USER answered 530 straight away is rejected; an attempt without a final answer is unknown', () => {
    const { report } = login([[0, 'USER hello\r\n'], [1, '530 no\r\n'], [0, 'USER x\r\n'], [1, '331 pw\r\n'], [0, 'PASS y\r\n']]);
    expect(report.credentials.map((c) => [c.user, c.password, c.outcome])).toEqual([['hello', null, 'rejected'], ['x', 'y', 'unknown']]);
  });

  it('332 asks for ACCT; the account is part of the credential', () => {
    const { s, report } = login([[0, 'USER u\r\n'], [1, '331 pw\r\n'], [0, 'PASS p\r\n'], [1, '332 need account\r\n'], [0, 'ACCT acme\r\n'], [1, '230 in\r\n']]);
    expect(s.logins).toHaveLength(1);
    expect(s.logins[0]).toMatchObject({ account: 'acme', accountFrames: [7], outcome: 'accepted' });
    expect(report.credentials[0]).toMatchObject({ account: 'acme', frames: [3, 5, 7, 8] });
  });

  it('anonymous (or ftp) with an e-mail address as password; not counted as a cleartext secret', () => {
    const { s, report } = login([[0, 'USER ftp\r\n'], [1, '331 send email\r\n'], [0, 'PASS guest@example.org\r\n'], [1, '230 Guest ok\r\n']]);
    expect(s.logins[0]).toMatchObject({ anonymous: true, email: 'guest@example.org', outcome: 'accepted' });
    expect(hasCleartextCredentials(report)).toBe(false);
  });

  it('anonymous accepted right after USER (no PASS): password null', () => {
    const { report } = login([[0, 'USER anonymous\r\n'], [1, '230 Anonymous user logged in\r\n']]);
    expect(report.credentials).toEqual([expect.objectContaining({ user: 'anonymous', password: null, outcome: 'accepted', anonymous: true })]);
  });

  it('a user name typed one character per segment: all its frames, oneSegment false', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      for (const ch of 'USER bob\r\n') x.client(ch);
      x.server('331 pw\r\n');
    });
    expect(s.logins[0]).toMatchObject({ user: 'bob', userOneSegment: false, userFrames: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
    expect(s.commands[0]).toMatchObject({ frame: 3, oneSegment: false });
  });

  it('REIN logs out: the attempt is marked, state is reset, a new login follows', () => {
    const { s } = login([
      [0, 'USER a\r\n'], [1, '230 in\r\n'], [0, 'TYPE I\r\n'], [1, '200 ok\r\n'], [0, 'REIN\r\n'], [1, '220 again\r\n'], [0, 'USER b\r\n'], [1, '230 in\r\n'],
    ]);
    expect(s.logins.map((l) => [l.user, l.endedByRein ?? null])).toEqual([['a', 7], ['b', null]]);
    expect(s.state).toMatchObject({ type: 'A', user: 'b', loggedIn: true });
    expect(codes(s)).toContainEqual(['REIN', [220]]);
  });
});

describe('TLS', () => {
  it('AUTH TLS accepted: encrypted, request and reply frames, nothing after parsed', () => {
    const { s, report } = session((x) => {
      x.server('220 hi\r\n');
      x.client('AUTH TLS\r\n');
      x.server('234 Proceed\r\n');
      x.client(Uint8Array.from([22, 3, 1, 0, 4, 1, 2, 3, 4]));
      x.server(Uint8Array.from([22, 3, 3, 0, 2, 9, 9]));
    });
    expect(s.encrypted).toBe(true);
    expect(s.tls).toMatchObject({ request: { frame: 3, mechanism: 'TLS' }, reply: { frame: 4, code: 234 }, accepted: true, encryptedFrom: 5, encryptedUntil: 6, records: { client: 1, server: 1 } });
    expect(s.commands.map((c) => c.command)).toEqual(['AUTH']);
    expect(s.bytes).toMatchObject({ encryptedClient: 9, encryptedServer: 7 });
    expect(report.credentials).toEqual([]);
  });

  it('AUTH TLS refused: not encrypted, the login in cleartext is a credential', () => {
    const { s, report } = session((x) => {
      x.server('220 hi\r\n');
      x.client('AUTH TLS\r\n');
      x.server('500 This security scheme is not implemented\r\n');
      x.client('USER u\r\n');
      x.server('230 in\r\n');
    });
    expect(s.encrypted).toBe(false);
    expect(s.tls).toMatchObject({ accepted: false, reply: { code: 500 } });
    expect(report.credentials).toHaveLength(1);
  });

  it('port 990 is implicit FTPS: encrypted, not parsed', () => {
    const { s } = session((x) => {
      x.client(Uint8Array.from([22, 3, 1, 0, 2, 1, 1]));
      x.server(Uint8Array.from([22, 3, 3, 0, 1, 1]));
    }, {}, { ...START, server: { ip: START.server.ip, port: 990 } });
    expect(s).toMatchObject({ detectedBy: 'implicit-tls-port', encrypted: true, tls: { implicit: true, accepted: true } });
    expect(s.commands).toEqual([]);
  });
});

describe('state', () => {
  it('follows TYPE, MODE, STRU, the working directory (257, CWD, CDUP), REST, FEAT and QUIT/221', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client('FEAT\r\n');
      x.server('211-Features:\r\n MDTM\r\n REST STREAM\r\n211 End\r\n');
      x.client('PWD\r\n');
      x.server('257 "/home/a ""quoted""" is current\r\n');
      x.client('CWD pub\r\n');
      x.server('250 ok\r\n');
      x.client('CDUP\r\n');
      x.server('200 ok\r\n');
      x.client('CWD nowhere\r\n');
      x.server('550 no\r\n');
      x.client('TYPE I\r\n');
      x.server('200 ok\r\n');
      x.client('MODE B\r\n');
      x.server('504 no\r\n');
      x.client('STRU R\r\n');
      x.server('200 ok\r\n');
      x.client('REST 100\r\n');
      x.server('350 Restarting at 100\r\n');
      x.client('RETR f\r\n');
      x.server('150 go\r\n226 ok\r\n');
      x.client('QUIT\r\n');
      x.server('221 bye\r\n');
    });
    expect(s.features).toEqual({ frame: 4, list: ['MDTM', 'REST STREAM'] });
    expect(s.stateChanges.map((c) => [c.what, c.value, c.accepted, c.result ?? null])).toEqual([
      ['CWD', 'pub', true, '/home/a "quoted"/pub'],
      ['CWD', '..', true, '/home/a "quoted"'],
      ['CWD', 'nowhere', false, null],
      ['TYPE', 'I', true, null],
      ['MODE', 'B', false, null],
      ['STRU', 'R', true, null],
      ['REST', '100', true, null],
    ]);
    expect(s.state).toMatchObject({ type: 'I', mode: 'S', stru: 'R', cwd: '/home/a "quoted"', rest: null });
    expect(s.commands.find((c) => c.command === 'RETR')?.notes).toEqual(['restart at 100 (REST)']);
    expect(s.quit).toMatchObject({ frame: 23, replyFrame: 24, replyCode: 221, replyText: 'bye' });
  });

  it('records PORT/EPRT/LPRT and 227/228/229 announcements, with p1 × 256 + p2 and the verdict', () => {
    const { s } = session((x) => {
      x.server('220 hi\r\n');
      x.client('PORT 192,0,2,10,157,215\r\n');
      x.server('200 PORT command successful\r\n');
      x.client('EPRT |2|2001:db8::2|57883|\r\n');
      x.server('522 Network protocol not supported\r\n');
      x.client('PASV\r\n');
      x.server('227 Entering Passive Mode (192,0,2,21,117,56).\r\n');
      x.client('EPSV\r\n');
      x.server('229 Entering Extended Passive Mode (|||30059|)\r\n');
      x.client('EPSV ALL\r\n');
      x.server('200 EPSV ALL ok\r\n');
    });
    expect(s.dataChannels.map((d) => [d.kind, d.by, d.address ?? d.impliedAddress, d.port, d.explanation ?? null, d.accepted, d.frame, d.commandFrame])).toEqual([
      ['PORT', 'client', '192.0.2.10', 40407, '157 × 256 + 215 = 40407', true, 3, 3],
      ['EPRT', 'client', '2001:db8::2', 57883, null, false, 5, 5],
      ['PASV', 'server', '192.0.2.21', 30008, '117 × 256 + 56 = 30008', true, 8, 7],
      ['EPSV', 'server', '192.0.2.21', 30059, null, true, 10, 9],
    ]);
    expect(s.state.epsvAll).toBe(true);
  });
});

describe('finding control connections', () => {
  const other: ConnectionStart = { ...START, server: { ip: START.server.ip, port: 2121 } };

  it('takes port 21 and --ftp-port ports; ignores other ports when content detection is off', () => {
    expect(createFtpAnalyzer().factory(START)).toBeDefined();
    expect(createFtpAnalyzer({ ports: [21, 2121] }).factory(other)).toBeDefined();
    expect(createFtpAnalyzer({ contentDetection: false }).factory(other)).toBeUndefined();
  });

  it('finds FTP on another port by content: 220 first, then an FTP command; replays what it held', () => {
    const analyzer = createFtpAnalyzer();
    const script = new Script(analyzer.factory(other)!);
    script.server('220 FTP ready\r\n');
    script.client('USER x\r\n');
    script.server('331 pw\r\n');
    script.close();
    const [s] = analyzer.finish().sessions;
    expect(s).toMatchObject({ detectedBy: 'content', server: { port: 2121 } });
    expect(s!.greeting?.reply.frame).toBe(2);
    expect(s!.commands.map((c) => [c.command, c.replies.map((r) => r.code)])).toEqual([['USER', [331]]]);
  });

  it('does not take SMTP (220 then EHLO), a client that speaks first, or a server that does not greet with 220', () => {
    const cases: Array<Array<[0 | 1, string]>> = [
      [[1, '220 mail.example ESMTP\r\n'], [0, 'EHLO me\r\n']],
      [[0, 'GET / HTTP/1.1\r\n'], [1, 'HTTP/1.1 200 OK\r\n']],
      [[1, 'SSH-2.0-OpenSSH\r\n'], [0, 'SSH-2.0-client\r\n']],
    ];
    for (const lines of cases) {
      const analyzer = createFtpAnalyzer();
      const script = new Script(analyzer.factory(other)!);
      for (const [d, t] of lines) script.send(d, t);
      script.close();
      expect(analyzer.finish().sessions).toEqual([]);
    }
  });

  it('swaps the roles when the TCP stage guessed them and the FTP port is on its client side', () => {
    const guessed: ConnectionStart = { ...START, rolesFrom: 'heuristic', client: START.server, server: START.client };
    const analyzer = createFtpAnalyzer();
    const script = new Script(analyzer.factory(guessed)!);
    script.send(1, 'PWD\r\n'); // the TCP stage's "server" is the FTP client
    script.send(0, '257 "/" ok\r\n');
    script.close();
    const [s] = analyzer.finish().sessions;
    expect(s).toMatchObject({ client: START.client, server: START.server, greeting: null });
    expect(s!.commands.map((c) => [c.command, c.replies.map((r) => r.code)])).toEqual([['PWD', [257]]]);
  });
});

describe('server names from DNS, credentials, --redact', () => {
  it('names the server from a DNS answer seen before the session, with its frame', () => {
    const analyzer = createFtpAnalyzer();
    const dns = (no: number, name: string, address: string) => ({
      frame: { no, tsSec: 1, tsNsec: 0 },
      dns: { id: 1, response: true, rcode: 0, questions: [{ name, type: 'A' }], answers: [{ name: `cdn.${name}`, type: 'A', data: address }] },
    }) as unknown as Packet;
    analyzer.onPacket(dns(1, 'ftp.example.org', START.server.ip));
    analyzer.onPacket(dns(50, 'later.example.org', START.server.ip)); // after the session started: not used
    const script = new Script(analyzer.factory({ ...START, firstFrame: 3 })!);
    script.server('220 hi\r\n');
    script.close();
    const report = analyzer.finish();
    expect(report.sessions[0]).toMatchObject({ serverName: 'ftp.example.org', serverNameSource: { frame: 1, query: 'ftp.example.org', type: 'A' } });
    expect(report.captureStart).toBe('1.000000000');
  });

  it('--redact masks every password: credentials, logins, PASS/ACCT arguments; user names stay', () => {
    const { report } = session((x) => {
      x.server('220 hi\r\n');
      x.client('USER anonymous\r\n');
      x.server('331 pw\r\n');
      x.client('PASS me@example.org\r\n');
      x.server('332 acct\r\n');
      x.client('ACCT secret-acct\r\n');
      x.server('230 ok\r\n');
    }, { redact: true });
    const json = JSON.stringify(report);
    for (const secret of ['me@example.org', 'secret-acct']) expect(json).not.toContain(secret);
    expect(report.redacted).toBe(true);
    expect(report.credentials[0]).toMatchObject({ user: 'anonymous', password: REDACTED, account: REDACTED });
    expect(report.sessions[0]!.commands.map((c) => c.arg)).toEqual(['anonymous', REDACTED, REDACTED]);
  });

  it('merges reports of several captures, numbering sessions again and naming the capture', () => {
    const a = session((x) => { x.server('220 a\r\n'); x.client('USER a\r\n'); }).report;
    const b = session((x) => { x.server('220 b\r\n'); x.client('USER b\r\n'); }).report;
    const merged = mergeFtpReports([{ capture: 'a.pcap', report: a }, { capture: 'b.pcap', report: b }]);
    expect(merged.sessions.map((s) => [s.id, s.capture])).toEqual([[1, 'a.pcap'], [2, 'b.pcap']]);
    expect(merged.credentials.map((c) => [c.session, c.capture, c.user])).toEqual([[1, 'a.pcap', 'a'], [2, 'b.pcap', 'b']]);
  });
});

describe('TCP facts from the TCP stage', () => {
  const seg = (frame: number, from: 'client' | 'server', flags: number, seq: number, ack: number) =>
    ({ frame, from, flags, seq, ack, seqRaw: seq + (from === 'client' ? 1000 : 5000), ackRaw: ack + (from === 'client' ? 5000 : 1000), len: 0, tsSec: 1_700_000_000, tsNsec: frame * 1000 });
  const summary = (stream: number) => ({
    stream, lastFrame: 40, startTsSec: 1_700_000_000, startTsNsec: 0, durationNs: 2_500_000_000,
    fromClient: { frames: 20, bytes: 1500 }, fromServer: { frames: 20, bytes: 2500 },
    handshake: { syn: seg(1, 'client', 0x002, 0, 0), synAck: seg(2, 'server', 0x012, 0, 1), ack: seg(3, 'client', 0x010, 1, 1), initialRttNs: 1_500_000, synToSynAckNs: 1_000_000, synAckToAckNs: 500_000 },
    teardown: {
      client: { fin: { ...seg(38, 'client', 0x011, 50, 300), ackedBy: seg(39, 'server', 0x011, 300, 51) } },
      server: { fin: { ...seg(39, 'server', 0x011, 300, 51), ackedBy: seg(40, 'client', 0x010, 51, 301) } },
      activeCloser: 'client' as const,
    },
  });

  it("maps a connection summary onto the session: handshake, RTT, FIN/ACK segments, who closed, the end", () => {
    const analyzer = createFtpAnalyzer();
    const script = new Script(analyzer.factory(START)!);
    script.server('220 hi\r\n');
    script.client('QUIT\r\n');
    script.server('221 bye\r\n');
    script.close();
    analyzer.onConnection(summary(0));
    analyzer.onConnection(summary(7)); // not an FTP control connection: ignored
    const [s] = analyzer.finish().sessions;
    expect(s!.tcp?.handshake).toMatchObject({
      syn: { frame: 1, flags: 'SYN', seq: 0, seqRaw: 1000 }, synAck: { frame: 2, flags: 'SYN, ACK', ack: 1, ackRaw: 1001 }, ack: { frame: 3, flags: 'ACK' },
      initialRtt: 0.0015, synToSynAck: 0.001, synAckToAck: 0.0005,
    });
    expect(s!.tcp?.teardown).toEqual({ firstCloser: 'client', reset: false, segments: [expect.objectContaining({ frame: 38, flags: 'FIN, ACK' }), expect.objectContaining({ frame: 39 }), expect.objectContaining({ frame: 40, flags: 'ACK' })] });
    expect(s!.end).toEqual({ frame: 40, time: '1700000002.500000000' });
    expect(s!.duration).toBe('2.500000000');
  });
});
