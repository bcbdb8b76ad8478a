// The lab report as text: per FTP session, the answers a networking lab asks for (server and
// ports, handshake, greeting, login, TLS, every command and reply, data-port announcements,
// teardown), each with the frame numbers Wireshark shows. Reads the report model only.
//
// Everything that came from the capture goes through escapeControls before it is printed, so
// no banner or file name can move the cursor, change colours or reorder text on a terminal.

import type {
  DataConnectionFacts, FtpCommand, FtpCredential, FtpReply, FtpReport, FtpSession, FtpTransfer, SegmentHeader, TcpSegmentFact,
} from '../ftp/model.js';
import { parseEpochText, secondsBetween } from '../ftp/time.js';
import { SUMMARY_ENTRIES } from '../ftp/ListingParser.js';
import { listingEntryCount, listingEntryLine, listingSummary } from './listingText.js';
import { SessionSpool } from './SessionSpool.js';
import { escapeControls } from './text.js';
import { boxedTable, plainTable, type TableCell } from './textTable.js';

export interface SessionsTextOptions {
  /** Show every line of multi-line replies in the timeline (default false: first line and a count). */
  allReplyLines?: boolean;
  /** Times in the timeline: seconds since the first frame of the capture (Wireshark's default), or epoch. Default 'relative'. */
  time?: 'relative' | 'epoch';
}

/** Capture text made safe for a terminal. */
const safe = (text: string | null | undefined): string => escapeControls(text ?? '');

function frames(list: readonly number[], omitted?: number): string {
  if (list.length === 0) return '-';
  const shown = list.length > 12 ? `${list.slice(0, 10).join(', ')}, …, ${list[list.length - 1]}` : list.join(', ');
  const more = omitted ? ` (+${omitted} more)` : '';
  return `${shown}${more}`;
}

function endpoint(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function secondsText(value: number): string {
  return `${value.toFixed(6)} s`;
}

class Clock {
  readonly #base: { sec: number; nsec: number } | undefined;
  readonly #mode: 'relative' | 'epoch';

  constructor(base: string | undefined, mode: 'relative' | 'epoch') {
    this.#base = base === undefined ? undefined : parseEpochText(base);
    this.#mode = mode;
  }

  /** Seconds since the capture's first frame, six decimals (as Wireshark's Time column for µs captures). */
  show(time: string): string {
    if (this.#mode === 'epoch' || !this.#base) return time;
    const t = parseEpochText(time);
    if (!t) return time;
    // Nine decimals, always (secondsBetween): the last three go.
    return secondsBetween(this.#base.sec, this.#base.nsec, t.sec, t.nsec).slice(0, -3);
  }
}

/** The whole lab report: every session, then the credentials table and what an eavesdropper learns. */
export function renderSessionsText(report: FtpReport, options: SessionsTextOptions = {}): string {
  // Without the capture's first frame (no packets were shown to the analyzer), count from the first session.
  const base = report.captureStart ?? report.sessions[0]?.start.time;
  const clock = new Clock(base, options.time ?? 'relative');
  const n = report.sessions.length;
  const out = headerLines(n, report.redacted);
  const closing = new Closing();
  for (const s of report.sessions) {
    out.push('', sessionText(s, clock, options));
    closing.add(sessionFacts(s));
  }
  out.push(...closing.lines(report, n, report.credentials));
  return `${out.join('\n')}\n`;
}

/**
 * The same report made session by session, for a capture too large to hold every session
 * (analyzeSessionBySession): `add` each session as it ends — its text is made then and kept in
 * a spool file (util/TextSpool) with the little the closing sections need of it — and `pieces`
 * gives the report, byte for byte what renderSessionsText gives, in pieces of whole lines.
 */
export class SessionsTextStream {
  readonly #options: SessionsTextOptions;
  readonly #sessions: SessionSpool;
  #clock: Clock | undefined;

  /** `spoolDir`: where the spool file goes (the output's folder, or the system's temporary one). */
  constructor(options: SessionsTextOptions = {}, spoolDir?: string) {
    this.#options = options;
    this.#sessions = new SessionSpool(spoolDir);
  }

  /** A session as it ends (FtpAnalyzerOptions.onSession), with the capture's start as the report will give it. */
  add(s: FtpSession, context: { captureStart: string | undefined }): void {
    this.#sessions.note(s);
    const facts = sessionFacts(s);
    const clock = this.#clockFor(context.captureStart);
    // No frame had a time yet (relative times count from the first session then): made at the end.
    // The text goes in as it is, after a first line of JSON (which has no line end of its own):
    // JSON-escaping every session's text and reading it back cost more than making it.
    this.#sessions.spool.put(s.id, clock ? `${JSON.stringify(facts)}\n${sessionText(s, clock, this.#options)}` : JSON.stringify({ session: s, facts }));
  }

  /** The report, each piece whole lines ending in a newline; `report` is the analysis's (its sessions were not kept). */
  *pieces(report: FtpReport): Generator<string> {
    yield* this.#parts(report, false) as Generator<string>;
  }

  /**
   * The same text, with each session's lines as the UTF-8 bytes kept in the spool (a Buffer of
   * the caller's own, between a newline before and one after), for writing without decoding and
   * encoding them again; not whole lines each, so only for output that is not fitted or coloured.
   */
  *output(report: FtpReport): Generator<string | Buffer> {
    yield* this.#parts(report, true);
  }

  *#parts(report: FtpReport, asBytes: boolean): Generator<string | Buffer> {
    const sessions = this.#sessions;
    try {
      const n = sessions.count;
      yield `${headerLines(n, report.redacted).join('\n')}\n`;
      const clock = new Clock(report.captureStart ?? sessions.firstStart, this.#options.time ?? 'relative');
      const closing = new Closing();
      for (let id = 1; id <= sessions.lastId; id++) {
        if (asBytes) {
          const kept = sessions.spool.takeBytes(id);
          if (kept === undefined) continue;
          const nl = kept.indexOf(0x0a);
          if (nl >= 0) {
            yield '\n';
            yield kept.subarray(nl + 1);
            yield '\n';
            closing.add(JSON.parse(kept.toString('utf8', 0, nl)) as SessionFacts);
            continue;
          }
          yield this.#whole(kept.toString('utf8'), clock, closing);
          continue;
        }
        const kept = sessions.spool.get(id);
        if (kept === undefined) continue;
        const nl = kept.indexOf('\n');
        if (nl >= 0) {
          yield `\n${kept.slice(nl + 1)}\n`;
          closing.add(JSON.parse(kept.slice(0, nl)) as SessionFacts);
        } else yield this.#whole(kept, clock, closing);
      }
      const tail = closing.lines(report, n, sessions.credentials());
      if (tail.length > 0) yield `${tail.join('\n')}\n`;
    } finally {
      sessions.close();
    }
  }

  /** The text of a session kept whole (its slot's JSON), made now. */
  #whole(kept: string, clock: Clock, closing: Closing): string {
    const { session, facts } = JSON.parse(kept) as { session: FtpSession; facts: SessionFacts };
    closing.add(facts);
    return `\n${sessionText(session, clock, this.#options)}\n`;
  }

  #clockFor(captureStart: string | undefined): Clock | undefined {
    const mode = this.#options.time ?? 'relative';
    if (mode === 'relative' && captureStart === undefined) return undefined;
    // The capture's start never changes once known: one clock serves every session.
    this.#clock ??= new Clock(captureStart, mode);
    return this.#clock;
  }
}

function headerLines(n: number, redacted: boolean): string[] {
  const out = [n === 0 ? 'No FTP control connection found.' : `${n} FTP control connection${n === 1 ? '' : 's'} found.`];
  if (redacted) out.push('Passwords are masked (--redact).');
  return out;
}

/** Commands whose argument names a file or directory an eavesdropper reads. */
const NAMING_COMMANDS = new Set(['RETR', 'STOR', 'STOU', 'APPE', 'DELE', 'RNFR', 'RNTO', 'MKD', 'RMD', 'SIZE', 'MDTM', 'CWD']);

/** What the closing sections read of one session (its credentials come separately). */
interface SessionFacts {
  /** "RETR a.txt": the names its commands put on the wire, each once, in order. */
  names: string[];
  encrypted: boolean;
  dataChannels: boolean;
}

function sessionFacts(s: FtpSession): SessionFacts {
  const names = new Set<string>();
  for (const c of s.commands) if (NAMING_COMMANDS.has(c.command) && c.arg !== '') names.add(`${c.command} ${c.arg}`);
  return { names: [...names], encrypted: s.encrypted, dataChannels: s.dataChannels.length > 0 };
}

/** The sections after the sessions, gathered session by session in the report's order. */
class Closing {
  readonly #files = new Set<string>();
  #encrypted = 0;
  #dataChannels = false;

  add(f: SessionFacts): void {
    for (const name of f.names) this.#files.add(name);
    if (f.encrypted) this.#encrypted++;
    if (f.dataChannels) this.#dataChannels = true;
  }

  /** Data connections without a session, the credentials table and what an eavesdropper learns. */
  lines(report: FtpReport, sessions: number, credentials: FtpCredential[]): string[] {
    const out: string[] = [];
    const extra = orphansText(report);
    if (extra.length > 0) out.push('', 'Data connections without a session', ...extra);
    if (sessions > 0) {
      out.push('', 'Credentials', renderCredentialsText({ ...report, credentials }, { indent: '  ' }));
      out.push('', 'What an eavesdropper learns', this.#eavesdropper(credentials));
    }
    return out;
  }

  #eavesdropper(credentials: readonly FtpCredential[]): string {
    const out: string[] = [];
    const creds = credentials.filter((c) => c.password !== null || (c.user !== null && !c.anonymous));
    if (creds.length > 0) out.push(`  ${creds.length} login${creds.length === 1 ? '' : 's'} in cleartext: user names${creds.some((c) => c.password !== null) ? ' and passwords' : ''} (see Credentials)`);
    if (this.#files.size > 0) {
      const list = [...this.#files];
      out.push(`  file and directory names: ${list.slice(0, 20).map(safe).join(', ')}${list.length > 20 ? `, … (${list.length} in all)` : ''}`);
    }
    const encrypted = this.#encrypted;
    if (encrypted > 0) out.push(`  ${encrypted} session${encrypted === 1 ? ' is' : 's are'} (partly) encrypted: what happened inside TLS cannot be read`);
    if (this.#dataChannels) out.push('  where data connections go (addresses and ports above); file contents travel in those connections, in cleartext unless protected');
    if (out.length === 0) out.push('  nothing beyond the addresses and ports');
    return out.join('\n');
  }
}

function sessionText(s: FtpSession, clock: Clock, options: SessionsTextOptions): string {
  const out: string[] = [];
  const title = `FTP session ${s.id}${s.capture ? ` (${safe(s.capture)})` : ''}: ${endpoint(s.client)} → ${endpoint(s.server)}, control connection tcp.stream ${s.controlStream}`;
  out.push(title, '='.repeat(Math.min(title.length, 100)));

  // Server and ports (lab questions 1, 2)
  out.push('Server and ports');
  const name = s.serverName
    ? `${safe(s.serverName)} (DNS answer in frame ${s.serverNameSource?.frame}, ${s.serverNameSource?.type} record for ${safe(s.serverNameSource?.query)})`
    : 'not known: no DNS answer for this address before the session';
  out.push(`  Server      ${s.server.ip}, port ${s.server.port}${s.detectedBy === 'content' ? ' (found by content: server greets with 220, client answers with FTP commands)' : ''}`);
  out.push(`  Host name   ${name}`);
  out.push(`  Client      ${s.client.ip}, port ${s.client.port}`);
  if (s.serverSoftware) {
    const v = s.serverSoftware.version ? ` ${safe(s.serverSoftware.version)}` : '';
    out.push(`  Software    ${safe(s.serverSoftware.name)}${v} (from the ${s.serverSoftware.from} in frame ${s.serverSoftware.frame})`);
  }
  if (s.systemType) out.push(`  System      ${safe(s.systemType.text)} (SYST reply, frame ${s.systemType.frame})`);
  out.push(`  Session     frames ${s.start.frame}–${s.end.frame}, from ${clock.show(s.start.time)} to ${clock.show(s.end.time)}, ${s.duration.replace(/(\.\d{6})\d{3}$/, '$1')} s`);
  if (s.rolesFrom === 'heuristic') out.push('  Note        the capture starts inside this connection: roles guessed, greeting and login may be missing');

  out.push('', 'Connection set-up (TCP three-way handshake)', ...handshakeText(s));

  // Greeting (lab question 5)
  out.push('', 'Greeting');
  if (s.tls?.implicit) out.push('  not visible: implicit FTPS (TLS from the first byte, port 990)');
  else if (!s.greeting) out.push('  not in the capture');
  else {
    const g = s.greeting;
    if (g.preliminary) out.push(`  frame ${g.preliminary.frame}: ${g.preliminary.code} ${safe(g.preliminary.text)} (preliminary: ready later)`);
    out.push(`  frame ${g.reply.frame}: ${g.reply.code} "ready" reply${g.reply.lines.length > 1 ? `, ${g.reply.lines.length} lines` : ''}${g.reply.frames.length > 1 ? ` in frames ${frames(g.reply.frames)}` : ''}:`);
    for (const line of g.reply.lines) out.push(`    ${safe(line)}`);
  }

  out.push('', 'Login', ...loginText(s));
  out.push('', 'TLS', ...tlsText(s));
  out.push('', 'Commands and replies', timeline(s, clock, options));
  const data = dataText(s);
  if (data.length > 0) out.push('', 'Data connections announced', ...data);
  if (s.transfers.length > 0) out.push('', 'Transfers and their data connections', ...transfersText(s, clock));
  const state = stateText(s);
  if (state.length > 0) out.push('', 'Session state', ...state);
  out.push('', 'Teardown', ...teardownText(s));
  if (s.warnings.length > 0) {
    out.push('', 'Warnings');
    for (const w of s.warnings.slice(0, 50)) out.push(`  frame ${w.frame}: ${safe(w.message)}`);
    if (s.warnings.length > 50) out.push(`  … and ${s.warnings.length - 50} more`);
  }
  return out.join('\n');
}

function segmentLine(role: string, f: TcpSegmentFact | undefined, what: string): string | undefined {
  if (!f) return undefined;
  const dir = f.from === 'client' ? 'client → server' : 'server → client';
  return `  ${role.padEnd(9)} frame ${String(f.frame).padEnd(6)} ${dir}  seq ${f.seq} (raw ${f.seqRaw}), ack ${f.flags.includes('ACK') ? `${f.ack} (raw ${f.ackRaw})` : '-'}  ${what}`;
}

function handshakeText(s: FtpSession): string[] {
  const hs = s.tcp?.handshake;
  if (!s.tcp) return ['  no TCP facts for this connection'];
  if (!hs || (!hs.syn && !hs.synAck)) return ['  not in the capture (it starts after the handshake)'];
  const lines = [
    segmentLine('SYN', hs.syn, 'client asks to connect and announces its initial sequence number'),
    segmentLine('SYN, ACK', hs.synAck, "server accepts, acknowledges the client's SYN and announces its own"),
    segmentLine('ACK', hs.ack, "client acknowledges the server's SYN: the connection is open"),
  ].filter((l): l is string => l !== undefined);
  if (hs.initialRtt !== undefined) {
    const parts = [`initial RTT ${secondsText(hs.initialRtt)} (SYN to the ACK completing the handshake)`];
    if (hs.synToSynAck !== undefined) parts.push(`SYN → SYN/ACK ${secondsText(hs.synToSynAck)}`);
    if (hs.synAckToAck !== undefined) parts.push(`SYN/ACK → ACK ${secondsText(hs.synAckToAck)}`);
    lines.push(`  RTT       ${parts.join('; ')}`);
  }
  return lines;
}

function loginText(s: FtpSession): string[] {
  if (s.logins.length === 0) {
    if (s.tls?.accepted) return ['  no USER/PASS in cleartext: a login inside TLS is not visible'];
    return ['  no USER/PASS in the capture'];
  }
  const rows: TableCell[][] = [];
  const notes: string[] = [];
  s.logins.forEach((l, i) => {
    const result = l.replyCode === null ? l.outcome : `${l.outcome} (${l.replyCode} ${safe(l.replyText)})`;
    rows.push([
      i + 1,
      l.user === null ? '-' : `${safe(l.user)}${l.anonymous ? ' (anonymous)' : ''}`,
      frames(l.userFrames),
      l.password === null ? '-' : safe(l.password),
      frames(l.passwordFrames),
      result,
      l.replyFrame ?? '-',
    ]);
    if (l.userOneSegment === false) {
      notes.push(`  #${i + 1}: the user name was sent in ${l.userFrames.length} segments (frames ${frames(l.userFrames)}), e.g. typed one character per packet`);
    } else if (l.userOneSegment === true) {
      notes.push(`  #${i + 1}: the user name came in a single segment (frame ${l.userFrames[0]})`);
    }
    if (l.passwordOneSegment === false) notes.push(`  #${i + 1}: the password was sent in ${l.passwordFrames.length} segments (frames ${frames(l.passwordFrames)})`);
    if (l.anonymous) notes.push(`  #${i + 1}: anonymous login${l.email ? `; the password is by convention an e-mail address: ${safe(l.email)}` : ' without a password'}`);
    if (l.account !== null) notes.push(`  #${i + 1}: account (ACCT) ${safe(l.account)} in frames ${frames(l.accountFrames)}`);
    if (l.endedByRein !== undefined) notes.push(`  #${i + 1}: ended by REIN in frame ${l.endedByRein}`);
  });
  return [boxedTable(['#', 'User', 'USER frames', 'Password', 'PASS frames', 'Result', 'Reply frame'], rows, '  '), ...notes];
}

function tlsText(s: FtpSession): string[] {
  const tls = s.tls;
  if (!tls) return ['  not requested: the whole control channel, password included, crossed the network in cleartext'];
  const out: string[] = [];
  if (tls.implicit) out.push('  implicit FTPS (port 990): TLS from the first byte; nothing of the FTP dialogue is visible');
  if (tls.request) {
    const reply = tls.reply ? `${tls.reply.code} ${safe(tls.reply.text)} (frame ${tls.reply.frame})` : 'no reply seen';
    out.push(`  AUTH ${safe(tls.request.mechanism)} in frame ${tls.request.frame} → ${reply}`);
    if (!tls.accepted) out.push('  refused: the session went on in cleartext');
  }
  if (tls.withoutAuth) out.push(`  a TLS handshake from the ${tls.withoutAuth.direction} in frame ${tls.withoutAuth.frame}, without an accepted AUTH in the capture`);
  if (tls.accepted && tls.encryptedFrom !== null) {
    out.push(`  encrypted from frame ${tls.encryptedFrom} to frame ${tls.encryptedUntil}: ${s.bytes.encryptedClient} bytes from the client, ${s.bytes.encryptedServer} from the server (${tls.records.client} + ${tls.records.server} TLS records); not parsed as FTP`);
  }
  if (tls.cleartextAgain) out.push(`  cleartext again from frame ${tls.cleartextAgain.frame} (${tls.cleartextAgain.direction} side first): ${safe(tls.cleartextAgain.after)}`);
  return out;
}

type Row = { frame: number; order: number; cells: Array<string | number> };

function timeline(s: FtpSession, clock: Clock, options: SessionsTextOptions): string {
  const rows: Row[] = [];
  let order = 0;
  const replyRow = (r: FtpReply, answers: string) => {
    const extra = r.lines.length > 1 && !options.allReplyLines ? ` (+${r.lines.length - 1} lines)` : '';
    const notes = r.notes?.length ? ` [${r.notes.map(safe).join('; ')}]` : '';
    rows.push({ frame: r.frames[0] ?? r.frame, order: order++, cells: [r.frame, clock.show(r.time), 'S→C', r.code, `${safe(r.text)}${extra}${notes}`, answers] });
    if (options.allReplyLines) for (const l of r.lines.slice(1)) rows.push({ frame: r.frames[0] ?? r.frame, order: order++, cells: ['', '', '', '', safe(l), ''] });
  };
  if (s.greeting?.preliminary) replyRow(s.greeting.preliminary, 'greeting');
  if (s.greeting) replyRow(s.greeting.reply, 'greeting');
  for (const c of s.commands) {
    rows.push({ frame: c.frame, order: order++, cells: [frameCell(c), clock.show(c.time), 'C→S', safe(c.command), `${safe(c.arg)}${commandNotes(c)}`, ''] });
    for (const r of c.replies) replyRow(r, `${c.command === '' ? 'line' : safe(c.command)} ${c.frame}`);
  }
  for (const r of s.unmatchedReplies) replyRow(r, 'no command');
  for (const l of s.nonReplyLines) rows.push({ frame: l.frame, order: order++, cells: [l.frame, '', 'S→C', '', `${safe(l.text)} [not a reply: no code]`, ''] });
  if (s.tls?.encryptedFrom != null && s.tls.accepted) {
    rows.push({ frame: s.tls.encryptedFrom, order: order++, cells: [s.tls.encryptedFrom, '', '', '', `— TLS from here to frame ${s.tls.encryptedUntil}: not readable —`, ''] });
  }
  if (rows.length === 0) return '  nothing';
  rows.sort((a, b) => a.frame - b.frame || a.order - b.order);
  return plainTable(['Frame', 'Time', 'Dir', 'Cmd/Code', 'Argument / Text', 'Answers'], rows.map((r) => r.cells));
}

function frameCell(c: FtpCommand): string {
  return c.oneSegment ? String(c.frame) : `${c.frame}…${c.frames[c.frames.length - 1]}`;
}

function commandNotes(c: FtpCommand): string {
  const notes = [...(c.telnet ?? []).map((t) => `Telnet ${t}`), ...(c.notes ?? [])];
  if (!c.oneSegment) notes.unshift(`in ${c.frames.length + (c.framesOmitted ?? 0)} segments: frames ${frames(c.frames, c.framesOmitted)}`);
  return notes.length > 0 ? ` [${notes.map(safe).join('; ')}]` : '';
}

function dataText(s: FtpSession): string[] {
  const out: string[] = [];
  for (const d of s.dataChannels) {
    const address = d.address ?? `${d.impliedAddress ?? '?'} (the control connection's server: ${d.kind} gives only a port)`;
    const how = d.explanation ? ` (${d.explanation})` : '';
    const who = d.by === 'client'
      ? `${d.kind} in frame ${d.frame}: the client will listen on ${address} port ${d.port}${how}; the server connects to it (active mode)`
      : `${d.kind} reply in frame ${d.frame} (asked in frame ${d.commandFrame}): the server listens on ${address} port ${d.port}${how}; the client connects to it (passive mode)`;
    const verdict = d.by === 'client' ? (d.accepted === null ? ', no reply seen' : d.accepted ? `, accepted (${d.replyCode})` : `, refused (${d.replyCode})`) : '';
    out.push(`  ${who}${verdict}`);
  }
  return out;
}

function stateText(s: FtpSession): string[] {
  const out: string[] = [];
  for (const c of s.stateChanges) {
    const result = c.result !== undefined ? ` → ${safe(c.result)}` : '';
    out.push(`  ${c.what} ${safe(c.value)}${result}: ${c.accepted ? 'accepted' : 'refused'} (frame ${c.frame}${c.replyFrame !== null ? `, reply frame ${c.replyFrame}` : ''})`);
  }
  const st = s.state;
  out.push(`  at the end: TYPE ${safe(st.type)}, MODE ${safe(st.mode)}, STRU ${safe(st.stru)}, directory ${st.cwd === null ? 'not known' : safe(st.cwd)}${st.rest !== null ? `, REST ${safe(st.rest)} pending` : ''}${st.epsvAll ? ', EPSV ALL' : ''}${st.prot !== null ? `, PROT ${safe(st.prot)}` : ''}`);
  if (s.features) out.push(`  FEAT (frame ${s.features.frame}): ${s.features.list.map(safe).join(', ')}`);
  if (s.telnet.length > 0) out.push(`  Telnet commands: ${s.telnet.slice(0, 20).map((t) => `${safe(t.what)} (${t.direction}, frame ${t.frame})`).join(', ')}`);
  return out;
}

function headerText(h: SegmentHeader | undefined, frame: number): string {
  if (!h) return '';
  const which = h.frame !== frame ? `; its first segment, frame ${h.frame}, has` : ',';
  const rel = h.seq !== undefined ? `seq ${h.seq} (raw ${h.seqRaw})${h.ack !== undefined ? `, ack ${h.ack} (raw ${h.ackRaw})` : ''}` : `seq raw ${h.seqRaw}, ack raw ${h.ackRaw}`;
  return `${which} TCP flags [${h.flags}], ${rel}, ${h.len} bytes`;
}

function teardownText(s: FtpSession): string[] {
  const out: string[] = [];
  const q = s.quit;
  if (q) {
    const quitEnd = q.commandSegment?.frame ?? q.frame;
    out.push(`  QUIT in frame ${quitEnd === q.frame ? q.frame : `${q.frame}…${quitEnd}`}${headerText(q.commandSegment, quitEnd)}`);
    out.push(q.replyFrame !== null ? `  ${q.replyCode} ${safe(q.replyText)} in frame ${q.replyFrame}${headerText(q.replySegment, q.replyFrame)}` : '  no reply to QUIT seen');
  } else {
    out.push('  no QUIT in the capture');
  }
  const td = s.tcp?.teardown;
  if (!s.tcp) out.push('  no TCP facts for this connection');
  else if (!td || td.segments.length === 0) out.push('  no FIN or RST in the capture: the connection was still open when it ended');
  else {
    out.push(`  ${td.firstCloser ? `the ${td.firstCloser} closed first` : 'closing side not known'}${td.reset ? ', with a reset (RST)' : ''}:`);
    for (const f of td.segments) {
      const dir = f.from === 'client' ? 'client → server' : 'server → client';
      out.push(`    frame ${String(f.frame).padEnd(6)} ${dir}  [${f.flags}]  seq ${f.seq} (raw ${f.seqRaw}), ack ${f.flags.includes('ACK') ? `${f.ack} (raw ${f.ackRaw})` : '-'}`);
    }
  }
  return out;
}

export interface CredentialsTextOptions {
  /** Prefix for every line (default none). */
  indent?: string;
}

/** The credentials table: session, server, user, password, outcome, frames. */
export function renderCredentialsText(report: FtpReport, options: CredentialsTextOptions = {}): string {
  const indent = options.indent ?? '';
  if (report.credentials.length === 0) return `${indent}No cleartext credentials found.`;
  const multi = report.credentials.some((c) => c.capture !== undefined);
  const head = [...(multi ? ['Capture'] : []), 'Session', 'Server', 'User', 'Password', 'Outcome', 'Frames'];
  const lines = [boxedTable(head, report.credentials.map((c) => credentialRow(c, multi)), indent)];
  if (report.redacted) lines.push(`${indent}Passwords masked (--redact).`);
  return lines.join('\n');
}

function credentialRow(c: FtpCredential, multi: boolean): TableCell[] {
  const server = `${endpoint(c.server)}${c.serverName ? ` (${safe(c.serverName)})` : ''}`;
  const user = c.user === null ? '-' : `${safe(c.user)}${c.anonymous ? ' (anonymous)' : ''}`;
  const outcome = c.replyCode !== undefined ? `${c.outcome} (${c.replyCode})` : c.outcome;
  return [...(multi ? [safe(c.capture)] : []), c.session, server, user, c.password === null ? '-' : safe(c.password), outcome, frames(c.frames)];
}

/** Lab questions 2, 10-13 and 18: per transfer, its data connection with ports, frames, bytes and replies. */
function transfersText(s: FtpSession, clock: Clock): string[] {
  const out: string[] = [];
  for (const t of s.transfers) {
    const what = t.command === null ? 'data connection without a visible command' : `${t.command}${t.arg ? ` ${safe(t.arg)}` : ''}${t.frame !== null ? ` (frame ${t.frame})` : ''}`;
    const dir = t.direction === 'listing' ? 'directory listing' : t.direction;
    out.push(`  #${t.id} ${what}: ${dir}${t.path && t.direction !== 'listing' ? ` of ${safe(t.path)}` : ''}, ${t.mode} mode, TYPE ${safe(t.type)}, MODE ${safe(t.transmissionMode)}, STRU ${safe(t.stru)}${t.rest !== null ? `, REST ${t.rest}` : ''}`);
    const a = t.announcement;
    if (a) {
      const addr = a.address ?? a.impliedAddress ?? '?';
      out.push(`      announced   ${a.kind} in frame ${a.frame}: ${addr} port ${a.port}${a.explanation ? ` = ${a.explanation}` : ' (decimal, RFC 2428)'}`);
    }
    const c = t.connection;
    if (c) out.push(...connectionLines(c, clock, '      '));
    else out.push('      no data connection in the capture');
    if (t.preliminary) {
      out.push(`      ${t.preliminary.code}         frame ${t.preliminary.frame}: ${safe(t.preliminary.text)}${t.preliminary.announcedSize !== null ? ` (announces ${t.preliminary.announcedSize} bytes)` : ''}`);
    }
    if (t.final) out.push(`      ${t.final.code}         frame ${t.final.frame}: ${safe(t.final.text)}`);
    if (t.size) out.push(`      SIZE        ${t.size.value} bytes (213 in frame ${t.size.frame})`);
    if (t.ackExplanation) out.push(`      one ACK     ${safe(t.ackExplanation)}`);
    const missing = t.missing.length > 0 ? `; missing ${t.missing.slice(0, 8).map(([x, y]) => `${x}-${y ?? 'end'}`).join(', ')}${t.missing.length > 8 ? `, … (${t.missing.length} ranges)` : ''}` : '';
    out.push(`      status      ${t.status.toUpperCase()}: ${t.bytes} bytes${missing}`);
    for (const n of t.notes) out.push(`                  ${safe(n)}`);
    if (t.extracted) out.push(`      extracted   ${safe(t.extracted.name)} (${t.extracted.size} bytes, sha256 ${t.extracted.sha256})`);
    if (t.listing) {
      out.push(`      listing     ${listingSummary(t.listing)}`);
      const shown = t.listing.entries.slice(0, SUMMARY_ENTRIES).map(listingEntryLine);
      const w = { type: Math.max(0, ...shown.map((e) => e.type.length)), size: Math.max(0, ...shown.map((e) => e.size.length)), modified: Math.max(0, ...shown.map((e) => e.modified.length)) };
      for (const e of shown) out.push(`                  ${e.type.padEnd(w.type)}  ${e.size.padStart(w.size)}  ${e.modified.padEnd(w.modified)}  ${safe(e.name)}`);
      const more = listingEntryCount(t.listing) - shown.length;
      if (more > 0) out.push(`                  … ${more} more (every entry is in --format json)`);
    }
  }
  return out;
}

function connectionLines(c: DataConnectionFacts, clock: Clock, indent: string): string[] {
  const out: string[] = [];
  const opener = c.openedBy === 'server' ? 'the server opened it (active mode)' : c.openedBy === 'client' ? 'the client opened it (passive mode)' : 'opened by an unknown side';
  out.push(`${indent}connection  tcp.stream ${c.stream}: ${endpoint(c.opener)} → ${endpoint(c.listener)}; ${opener}`);
  const rule = c.binding.rule === 'address+port' ? `matched on address and port${c.binding.expectationFrame !== null ? ` of frame ${c.binding.expectationFrame}` : ''}` : c.binding.rule === 'port-only' ? 'matched on the PORT ONLY' : 'tied by TIMING only';
  out.push(`${indent}linked      ${rule}${c.binding.note ? `: ${safe(c.binding.note)}` : ''}`);
  if (c.conflicts && c.conflicts.length > 0) {
    const shown = c.conflicts.slice(0, 8).map((x) => `bytes ${x.start}-${x.end} (frames ${x.frames.join(', ')})`).join('; ');
    out.push(`${indent}CONFLICT    ${c.conflictCount ?? c.conflicts.length} retransmission(s) carried different bytes; the first copy was kept: ${shown}${(c.conflictCount ?? 0) > 8 ? '; …' : ''}`);
  }
  const hs = c.handshake;
  if (hs.syn !== null || hs.synAck !== null) out.push(`${indent}handshake   SYN ${hs.syn ?? '-'}, SYN/ACK ${hs.synAck ?? '-'}, ACK ${hs.ack ?? '-'}`);
  out.push(`${indent}FTP-DATA    ${c.dataFrames} frame${c.dataFrames === 1 ? '' : 's'} with data, first ${c.firstDataFrame ?? '-'}, last ${c.lastDataFrame ?? '-'}; bytes ${c.bytesFromOpener} from the opener, ${c.bytesFromListener} from the listener`);
  const tp = c.throughput !== null ? `, ${formatRate(c.throughput)}` : '';
  out.push(`${indent}time        from ${clock.show(c.start)}${c.duration !== null ? `, connection lasted ${c.duration.replace(/(\.\d{6})\d{3}$/, '$1')} s` : ''}${tp}`);
  const td = c.teardown;
  if (td.finFrames.length > 0 || td.reset) out.push(`${indent}closed      ${td.finFrames.length > 0 ? `FIN in frame${td.finFrames.length === 1 ? '' : 's'} ${td.finFrames.join(', ')}` : ''}${td.reset ? `${td.finFrames.length > 0 ? '; ' : ''}RST in frame ${td.rstFrame}` : ''}`);
  return out;
}

function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1e6) return `${(bytesPerSecond / 1e6).toFixed(2)} MB/s`;
  if (bytesPerSecond >= 1e3) return `${(bytesPerSecond / 1e3).toFixed(1)} kB/s`;
  return `${bytesPerSecond.toFixed(0)} B/s`;
}

function orphansText(report: FtpReport): string[] {
  const out: string[] = [];
  for (const o of report.orphans ?? []) {
    out.push(`  ${safe(o.reason)}`);
    // Orphans have no session clock of their own: times are shown as captured.
    out.push(...connectionLines(o.connection, new Clock(report.captureStart ?? o.connection.start, 'relative'), '    '));
    if (o.extracted) out.push(`    extracted   ${safe(o.extracted.name)} (${o.extracted.size} bytes, sha256 ${o.extracted.sha256})`);
  }
  for (const u of report.unusedExpectations ?? []) {
    const why = u.reason === 'never-connected' ? 'nobody connected to it in the capture' : u.reason === 'refused' ? 'the server refused it' : 'dropped: too many announcements pending';
    out.push(`  session ${u.session}: ${u.kind} in frame ${u.frame} announced ${u.address ?? '?'} port ${u.port}: ${why}`);
  }
  return out;
}
