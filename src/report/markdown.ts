// The lab report as GitHub Markdown: one numbered heading per question of
// docs LAB-QUESTIONS.md (1-19), in order, each answered from the report model with the frame
// numbers Wireshark shows as evidence, and a short explanation where the question asks why.
//
// Everything that came from the capture goes through `escapeMarkdown` (or `mdCode` for table
// cells that must stay literal), so a banner or file name cannot add headings, close table
// cells, open code spans, inject HTML or drive a terminal the Markdown is printed on.

import type { Report } from '../analyze.js';
import type { DataConnectionFacts, FtpCredential, FtpEndpoint, FtpSession, FtpTransfer, TcpSegmentFact } from '../ftp/model.js';
import { parseEpochText, secondsBetween } from '../ftp/time.js';
import type { PacketLengthRow } from '../stats/model.js';
import { setAsideNote } from '../stats/statsText.js';
import { SUMMARY_ENTRIES } from '../ftp/ListingParser.js';
import { listingEntryCount, listingEntryLine, listingSummary } from './listingText.js';
import { escapeControls } from './text.js';
import { SessionSpool } from './SessionSpool.js';
import { TextSpool } from '../util/TextSpool.js';

/**
 * Makes capture text inert in Markdown (inline text or a table cell): control characters as
 * \xNN (escapeControls, newlines included, so text never leaves its line), every Markdown
 * punctuation character that can start a construct backslash-escaped (pipes too, so a table
 * cell cannot be closed), and < > & as entities, so no HTML tag or entity survives.
 */
export function escapeMarkdown(text: string | null | undefined): string {
  const s = escapeControls(text ?? '');
  // Most text has nothing to escape: checked at once, not character by character.
  const out = MARKDOWN_SPECIAL.test(s) ? escapePunctuation(s) : s;
  // Block starters at the beginning of a line: list markers, setext underlines, ordered lists
  // (each begins with -, +, = or a digit).
  const c = out.charCodeAt(0);
  if (c !== 0x2d && c !== 0x2b && c !== 0x3d && !(c >= 0x30 && c <= 0x39)) return out;
  return out.replace(/^([-+])(?=\s|$)/, '\\$1').replace(/^(=+)(?=\s*$)/, '\\$1').replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2');
}

/** The characters escapePunctuation changes. */
const MARKDOWN_SPECIAL = /[&<>\\`*_[\]|~#!]/;

function escapePunctuation(s: string): string {
  let out = '';
  for (const ch of s) {
    switch (ch) {
      case '&': out += '&amp;'; break;
      case '<': out += '&lt;'; break;
      case '>': out += '&gt;'; break;
      case '\\': case '`': case '*': case '_': case '[': case ']': case '|': case '~': case '#': case '!':
        out += `\\${ch}`;
        break;
      default: out += ch;
    }
  }
  return out;
}

const md = escapeMarkdown;

function endpoint(e: FtpEndpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Address with the port in bold (IPv6 in brackets, as in a URL). */
function boldPort(e: FtpEndpoint): string {
  return `${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:**${e.port}**`;
}

function frameList(list: readonly number[]): string {
  if (list.length === 0) return '-';
  return list.length > 12 ? `${list.slice(0, 10).join(', ')}, …, ${list[list.length - 1]}` : list.join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map((c) => String(c)).join(' | ')} |`;
  return [line(head), `|${head.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

function seconds(value: number, digits = 6): string {
  return `${value.toFixed(digits)} s`;
}

function trimNs(text: string): string {
  return text.replace(/(\.\d{6})\d{3}$/, '$1');
}

function rate(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1e6) return `${(bytesPerSecond / 1e6).toFixed(2)} MB/s`;
  if (bytesPerSecond >= 1e3) return `${(bytesPerSecond / 1e3).toFixed(1)} kB/s`;
  return `${bytesPerSecond.toFixed(0)} B/s`;
}

export interface MarkdownOptions {
  /** Title of the document (default "FTP lab report: <capture>"). */
  title?: string;
}

/** The numbered questions, as headings. */
export const LAB_QUESTION_TITLES: readonly string[] = [
  "The FTP server's host name and IP address",
  'Ports of the control and data connections',
  'Three-way handshakes',
  'Round-trip time at the handshake',
  'The server\'s "ready" message (220)',
  'Frames with the user name and the password',
  'User name, password and login result',
  'TLS (AUTH TLS / AUTH SSL)',
  'Every command and its reply',
  'PORT / EPRT: active mode',
  'PASV / EPSV: passive mode',
  'FTP-DATA of each transfer',
  'The 125/150 and 226 replies, and one ACK for both',
  'QUIT and the 221 reply',
  'Closing the TCP connections',
  'TCP conversations',
  'Packet lengths',
  'Session duration and throughput',
  'What an eavesdropper learns',
];

/** The whole lab report: one section per question, answering it for every FTP session. */
export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const rel = relativeClock(report.captureStart ?? report.sessions[0]?.start.time);
  const parts = report.sessions.map((s) => sessionParts(s, rel));
  let text = '';
  for (const piece of markdownPieces(report, options, parts.length, (k) => parts.map((p) => p.slots[k]!), () => parts.map((p) => p.facts), report.credentials)) text += piece;
  return text;
}

/**
 * The same report made session by session, for a capture too large to hold every session
 * (analyzeSessionBySession, with listings and statistics): `add` each session as it ends — its
 * answers to every question are made then and kept in a spool file (util/TextSpool), one slot
 * per question — and `pieces(report)` gives, for the analysis's report (its sessions not kept),
 * byte for byte what renderMarkdown gives for the whole report.
 */
export class MarkdownReportStream {
  readonly #options: MarkdownOptions;
  /** Each session's facts (or the session itself, kept whole), by session number. */
  readonly #sessions: SessionSpool;
  /**
   * Each session's answers, one spool per slot (heading, questions 1-15, question 18) by session
   * number: the report reads them question by question, each spool from front to back once.
   * (One spool with a session's slots side by side was read through once per question: 17
   * times its size.)
   */
  readonly #answers: TextSpool[] = [];
  readonly #spoolDir: string | undefined;
  #rel: ((time: string) => string) | undefined;

  /** `spoolDir`: where the spool files go (the output's folder, or the system's temporary one). */
  constructor(options: MarkdownOptions = {}, spoolDir?: string) {
    this.#options = options;
    this.#sessions = new SessionSpool(spoolDir);
    this.#spoolDir = spoolDir;
  }

  /** A session as it ends (FtpAnalyzerOptions.onSession), with the capture's start as the report will give it. */
  add(s: FtpSession, context: { captureStart: string | undefined }): void {
    this.#sessions.note(s);
    if (context.captureStart !== undefined) this.#rel ??= relativeClock(context.captureStart);
    if (this.#rel === undefined) {
      // No frame had a time yet (times then count from the first session): made at the end.
      this.#sessions.keepWhole(s, s.id);
      return;
    }
    const parts = sessionParts(s, this.#rel);
    parts.slots.forEach((lines, k) => (this.#answers[k] ??= new TextSpool(this.#spoolDir, ANSWER_BATCH_BYTES)).put(s.id, spooledLines(lines)));
    this.#sessions.spool.put(s.id, JSON.stringify(parts.facts));
  }

  /** The report in pieces; `report` is the analysis's (its sessions were not kept). */
  *pieces(report: Report): Generator<string> {
    const sessions = this.#sessions;
    const answers = this.#answers;
    try {
      const rel = relativeClock(report.captureStart ?? sessions.firstStart);
      const spool = sessions.spool;
      const ids: number[] = [];
      for (let id = 1; id <= sessions.lastId; id++) if (spool.has(id)) ids.push(id);
      // A session kept whole is answered here, once per question asked (a rare case).
      const partsOf = (id: number) => {
        const kept = sessions.whole(id, id);
        return kept ? sessionParts(kept, rel) : undefined;
      };
      function* slot(k: number): Generator<string[]> {
        for (const id of ids) yield partsOf(id)?.slots[k] ?? unspooledLines(answers[k]!.get(id)!);
      }
      function* facts(): Generator<SessionFacts> {
        for (const id of ids) yield partsOf(id)?.facts ?? (JSON.parse(spool.get(id)!) as SessionFacts);
      }
      yield* markdownPieces(report, this.#options, sessions.count, slot, facts, sessions.credentials());
    } finally {
      sessions.close();
      for (const a of answers) a.close();
    }
  }
}

/**
 * A slot's lines as spooled: after an "L", joined by NUL, when none holds a NUL of its own
 * (escapeControls lets none through from a capture; a table is one element of several lines);
 * otherwise, and for no lines, as JSON (which begins with "["). JSON-escaping every answer and
 * reading it back cost more than making it.
 */
export function spooledLines(lines: readonly string[]): string {
  if (lines.length === 0 || lines.some((l) => l.includes('\0'))) return JSON.stringify(lines);
  return `L${lines.join('\0')}`;
}

/** spooledLines read back (exported with it for tests). */
export function unspooledLines(text: string): string[] {
  return text.startsWith('L') ? text.slice(1).split('\0') : (JSON.parse(text) as string[]);
}

/** Batch of each answer spool (TextSpool): 17 of them are filled side by side. */
const ANSWER_BATCH_BYTES = 256 * 1024;

function relativeClock(base: string | undefined): (time: string) => string {
  const b = parseEpochText(base ?? '');
  return (time: string): string => {
    const t = parseEpochText(time);
    return b && t ? trimNs(secondsBetween(b.sec, b.nsec, t.sec, t.nsec)) : time;
  };
}

/** What question 19 reads of a session. */
interface SessionFacts {
  /** "RETR a.txt": the names its commands put on the wire, each once, in order. */
  names: string[];
  /** Transfers whose contents crossed the network, and their bytes. */
  contents: number;
  contentBytes: number;
  encrypted: boolean;
}

/** A session's answers: its heading, questions 1-15 and its lines of question 18; and its facts. */
interface SessionParts {
  slots: string[][];
  facts: SessionFacts;
}

/** Commands whose argument names a file or directory (question 19). */
const NAMING_COMMANDS = new Set(['RETR', 'STOR', 'STOU', 'APPE', 'DELE', 'RNFR', 'RNTO', 'MKD', 'RMD', 'SIZE', 'CWD']);

function sessionParts(s: FtpSession, rel: (time: string) => string): SessionParts {
  const ctx: Ctx = { rel };
  const slots = [[`### Session ${s.id}: ${endpoint(s.client)} → ${endpoint(s.server)}`], ...SECTIONS.map((section) => section(s, ctx)), q18Lines(s, ctx)];
  const names = new Set<string>();
  for (const c of s.commands) if (NAMING_COMMANDS.has(c.command) && c.arg !== '') names.add(`${c.command} ${c.arg}`);
  const contents = s.transfers.filter((t) => t.connection && t.bytes > 0);
  return { slots, facts: { names: [...names], contents: contents.length, contentBytes: contents.reduce((n, t) => n + t.bytes, 0), encrypted: s.encrypted } };
}

/**
 * Lines joined by newlines into pieces of text; blank lines can be held back and dropped at the
 * end of a question (its trailing blank lines are trimmed), so a question can be written
 * session by session.
 */
class Lines {
  #text = '';
  #first = true;
  #held = 0;

  line(text: string): void {
    for (; this.#held > 0; this.#held--) this.#text += '\n';
    this.#text += this.#first ? text : `\n${text}`;
    this.#first = false;
  }

  /** A blank line, written only if a line follows before `dropBlanks`. */
  blank(): void {
    this.#held++;
  }

  dropBlanks(): void {
    this.#held = 0;
  }

  get size(): number {
    return this.#text.length;
  }

  take(): string {
    const text = this.#text;
    this.#text = '';
    return text;
  }
}

const PIECE = 64 * 1024;

/** The report's text, in pieces: questions 1-15 and 18 from each session's answers, in session order. */
function* markdownPieces(
  report: Report, options: MarkdownOptions, n: number, slot: (k: number) => Iterable<string[]>, facts: () => Iterable<SessionFacts>, credentials: readonly FtpCredential[],
): Generator<string> {
  const capture = report.captures.map((c) => c.name).join(', ');
  const out = new Lines();
  out.line(`# ${options.title !== undefined ? md(options.title) : `FTP lab report: ${md(capture)}`}`);
  out.line('');
  const frames = report.captures.reduce((sum, c) => sum + c.frames, 0);
  out.line(`${plural(frames, 'frame')} read; ${n === 0 ? 'no FTP control connection found' : `${plural(n, 'FTP control connection')} found`}. Frame numbers are Wireshark's; times are seconds since the first frame of the capture.`);
  if (report.redacted) {
    out.line('');
    out.line('Passwords are masked (--redact).');
  }
  const headings = n > 1 ? [...slot(0)] : [];
  for (let q = 1; q <= 15; q++) {
    out.line('');
    out.line(`## ${q}. ${LAB_QUESTION_TITLES[q - 1]}`);
    out.blank();
    if (n === 0) out.line('Not answerable: the capture holds no FTP control connection.');
    let i = 0;
    for (const lines of slot(q)) {
      if (n > 1) {
        out.line(headings[i]![0]!);
        out.blank();
      }
      i++;
      for (const l of lines) {
        if (l === '') out.blank();
        else out.line(l);
      }
      out.blank();
      if (out.size >= PIECE) yield out.take();
    }
    out.dropBlanks();
  }
  const section = (q: number, lines: Iterable<string>) => {
    out.line('');
    out.line(`## ${q}. ${LAB_QUESTION_TITLES[q - 1]}`);
    out.line('');
    for (const l of lines) out.line(l);
  };
  section(16, q16(report));
  section(17, q17(report));
  yield out.take();
  // Question 18: each session's lines, then a note.
  out.line('');
  out.line(`## 18. ${LAB_QUESTION_TITLES[17]}`);
  out.line('');
  let any = false;
  for (const lines of slot(16)) {
    for (const l of lines) {
      out.line(l);
      any = true;
    }
    if (out.size >= PIECE) yield out.take();
  }
  if (!any) out.line('No FTP session.');
  else {
    out.line('');
    out.line('Throughput is the transferred bytes divided by the time from the data connection\'s first frame to its last data frame.');
  }
  section(19, q19(credentials, facts()));
  yield `${out.take()}\n`;
}

interface Ctx {
  rel: (time: string) => string;
}

type Section = (s: FtpSession, ctx: Ctx) => string[];

const q1: Section = (s) => {
  const out = [`- IP address: **${s.server.ip}** (port ${s.server.port}).`];
  if (s.serverName && s.serverNameSource) {
    out.push(`- Host name: **${md(s.serverName)}**, from the DNS answer in frame ${s.serverNameSource.frame} (${s.serverNameSource.type} record, query ${md(s.serverNameSource.query)}).`);
  } else {
    out.push('- Host name: **not in the capture**: no DNS answer for this address was seen before the session, so only the IP address is known.');
  }
  if (s.serverSoftware) {
    out.push(`- Server software: ${md(s.serverSoftware.name)}${s.serverSoftware.version ? ` ${md(s.serverSoftware.version)}` : ''}, recognised in the ${s.serverSoftware.from} of frame ${s.serverSoftware.frame} ("${md(s.serverSoftware.evidence)}").`);
  } else if (s.banner !== null) {
    out.push(`- Server software: not named in the greeting ("${md(s.banner)}").`);
  }
  if (s.systemType) out.push(`- SYST answer (frame ${s.systemType.frame}): ${md(s.systemType.text)}.`);
  return out;
};

const q2: Section = (s) => {
  const rows: Array<Array<string | number>> = [[
    'control', s.controlStream, boldPort(s.server), boldPort(s.client), 'client', `${s.tcp?.handshake?.syn?.frame ?? s.start.frame}`,
  ]];
  for (const t of s.transfers) {
    const c = t.connection;
    if (!c) {
      rows.push([`data #${t.id} (${md(t.command ?? '?')})`, '-', '-', '-', 'not captured', '-']);
      continue;
    }
    const server = c.opener.ip === s.server.ip ? c.opener : c.listener.ip === s.server.ip ? c.listener : c.openedBy === 'server' ? c.opener : c.listener;
    const client = server === c.opener ? c.listener : c.opener;
    const what = t.command === null ? 'command not visible: encrypted' : `${md(t.command)}${t.arg ? ` ${md(t.arg)}` : ''}`;
    rows.push([`data #${t.id} (${what})`, c.stream, boldPort(server), boldPort(client), c.openedBy, c.handshake.syn ?? c.firstFrame]);
  }
  const out = [table(['Connection', 'tcp.stream', 'Server side', 'Client side', 'Opened by', 'First frame'], rows)];
  if (s.transfers.length === 0) out.push('', 'No data connection: the session transferred nothing.');
  else if (s.transfers.some((t) => !t.connection)) out.push('', 'A transfer without a data connection: its connection was not captured (or the command was refused).');
  return out;
};

function segRow(role: string, f: TcpSegmentFact | undefined, what: string): Array<string | number> | undefined {
  if (!f) return undefined;
  const ack = f.flags.includes('ACK') ? `${f.ack} (raw ${f.ackRaw})` : '-';
  return [role, f.frame, f.from === 'client' ? 'client → server' : 'server → client', `${f.seq} (raw ${f.seqRaw})`, ack, what];
}

const q3: Section = (s) => {
  const out: string[] = [];
  const hs = s.tcp?.handshake;
  if (!s.tcp) out.push('Control connection: no TCP facts for it in the report.');
  else if (!hs || (!hs.syn && !hs.synAck)) out.push('Control connection: the handshake is **not in the capture** (it starts after the connection was opened).');
  else {
    out.push(`Control connection (tcp.stream ${s.controlStream}):`, '');
    const rows = [
      segRow('SYN', hs.syn, "the client asks to connect and announces its initial sequence number (ISN)"),
      segRow('SYN, ACK', hs.synAck, "the server accepts, acknowledges the client's SYN (ack = client ISN + 1) and announces its own ISN"),
      segRow('ACK', hs.ack, "the client acknowledges the server's SYN (ack = server ISN + 1): the connection is open"),
    ].filter((r): r is Array<string | number> => r !== undefined);
    out.push(table(['Segment', 'Frame', 'Direction', 'Seq (relative, raw)', 'Ack (relative, raw)', 'Role'], rows));
    out.push('', 'Why: a SYN consumes one sequence number, so each side acknowledges the other\'s ISN + 1; relative numbers (Wireshark\'s default) count from each side\'s ISN, which is why both SYNs show seq 0 and the ACKs show 1.');
  }
  for (const t of s.transfers) {
    const c = t.connection;
    if (!c) continue;
    const h = c.handshake;
    const opener = c.openedBy === 'server' ? 'server' : c.openedBy === 'client' ? 'client' : 'unknown side';
    out.push('', `Data connection #${t.id} (tcp.stream ${c.stream}): ${h.syn !== null || h.synAck !== null ? `SYN frame ${h.syn ?? '-'} (from the ${opener}, ${endpoint(c.opener)}), SYN/ACK frame ${h.synAck ?? '-'}, ACK frame ${h.ack ?? '-'}` : 'handshake not in the capture'}. The report keeps only the frame numbers of data-connection handshakes, not their sequence numbers (see \`ftp-inspect packets --filter handshake\`).`);
  }
  return out;
};

const q4: Section = (s) => {
  const hs = s.tcp?.handshake;
  if (!hs || hs.initialRtt === undefined) return ['Not measurable: the complete handshake of the control connection is not in the capture.'];
  const out = [`Initial RTT **${seconds(hs.initialRtt)}** (Wireshark's tcp.analysis.initial_rtt: SYN in frame ${hs.syn?.frame ?? '?'} to the ACK in frame ${hs.ack?.frame ?? '?'}).`];
  const parts: string[] = [];
  if (hs.synToSynAck !== undefined) parts.push(`SYN → SYN/ACK ${seconds(hs.synToSynAck)} (the path to the server and back, from the capture point)`);
  if (hs.synAckToAck !== undefined) parts.push(`SYN/ACK → ACK ${seconds(hs.synAckToAck)} (the client's side)`);
  if (parts.length > 0) out.push('', `Split: ${parts.join('; ')}. The larger share shows on which side of the capture point the delay lies.`);
  return out;
};

const q5: Section = (s) => {
  if (s.tls?.implicit) return ['Not visible: implicit FTPS (TLS from the first byte), so the greeting is encrypted.'];
  if (!s.greeting) return ['**Not in the capture**: no greeting reply was seen (the capture may start after it).'];
  const g = s.greeting;
  const out: string[] = [];
  if (g.preliminary) out.push(`Frame ${g.preliminary.frame}: ${g.preliminary.code} ${md(g.preliminary.text)} (preliminary: the server will be ready later).`, '');
  out.push(`Frame **${g.reply.frame}**${g.reply.frames.length > 1 ? ` (in frames ${frameList(g.reply.frames)})` : ''}, reply code ${g.reply.code}${g.reply.code === 220 ? ' ("service ready for new user")' : ''}:`, '');
  for (const line of g.reply.lines) out.push(`> ${md(line)}`);
  return out;
};

const q6: Section = (s) => {
  if (s.logins.length === 0) return [s.tls?.accepted ? 'No USER/PASS in cleartext: the login happened inside TLS and is not visible.' : 'No USER/PASS in the capture.'];
  const out: string[] = [];
  s.logins.forEach((l, i) => {
    const user = l.userFrames.length === 0 ? 'no USER' : l.userOneSegment === false
      ? `USER in **${l.userFrames.length} segments** (frames ${frameList(l.userFrames)}): the characters were sent one (or a few) per packet, as a client typing interactively does`
      : `USER in frame **${l.userFrames[0]}**, in a single segment`;
    const pass = l.passwordFrames.length === 0 ? 'no PASS' : l.passwordOneSegment === false
      ? `PASS in ${l.passwordFrames.length} segments (frames ${frameList(l.passwordFrames)})`
      : `PASS in frame **${l.passwordFrames[0]}**${l.passwordOneSegment ? ', in a single segment' : ''}`;
    out.push(`- Login ${i + 1}: ${user}; ${pass}.`);
  });
  return out;
};

const q7: Section = (s) => {
  if (s.logins.length === 0) return ['No login visible in cleartext.'];
  const rows = s.logins.map((l, i) => [
    i + 1,
    l.user === null ? '-' : md(l.user),
    l.password === null ? '-' : md(l.password),
    l.anonymous ? 'yes' : 'no',
    l.replyCode === null ? `${l.outcome} (no reply seen)` : `${l.outcome === 'accepted' ? 'succeeded' : l.outcome === 'rejected' ? 'failed' : 'unknown'}: ${l.replyCode} ${md(l.replyText)}`,
    l.replyFrame ?? '-',
  ]);
  const out = [table(['#', 'User', 'Password', 'Anonymous', 'Result', 'Reply frame'], rows)];
  for (const [i, l] of s.logins.entries()) {
    if (l.anonymous) out.push('', `Login ${i + 1} is anonymous (RFC 1635): ${l.email ? `the password is by convention an e-mail address, ${md(l.email)}` : 'no password was given'}.`);
  }
  return out;
};

const q8: Section = (s) => {
  const tls = s.tls;
  if (!tls) return ['No: the client never sent AUTH TLS or AUTH SSL, so the whole control channel, the password included, crossed the network in cleartext.'];
  const out: string[] = [];
  if (tls.implicit) out.push('Implicit FTPS: TLS from the first byte (port 990); nothing of the FTP dialogue is visible.');
  if (tls.request) {
    const reply = tls.reply ? `the server answered **${tls.reply.code} ${md(tls.reply.text)}** in frame ${tls.reply.frame}` : 'no reply was seen';
    out.push(`Yes: AUTH ${md(tls.request.mechanism)} in frame ${tls.request.frame}; ${reply}. ${tls.accepted ? 'Accepted: the TLS handshake follows and the rest of the control channel is encrypted.' : 'Refused: the session went on in cleartext.'}`);
  }
  if (tls.accepted && tls.encryptedFrom !== null) out.push('', `Encrypted from frame ${tls.encryptedFrom} to frame ${tls.encryptedUntil}.`);
  if (tls.withoutAuth) out.push('', `TLS bytes from the ${tls.withoutAuth.direction} in frame ${tls.withoutAuth.frame} without an accepted AUTH in the capture.`);
  return out;
};

const q9: Section = (s, ctx) => {
  const rows: Array<Array<string | number>> = [];
  if (s.greeting) rows.push(['(greeting)', '', '', ctx.rel(s.greeting.reply.time), s.greeting.reply.frame, s.greeting.reply.code, md(s.greeting.reply.text)]);
  for (const c of s.commands) {
    const first = c.replies[0];
    const frame = c.oneSegment ? String(c.frame) : `${c.frame}…${c.frames[c.frames.length - 1]}`;
    rows.push([frame, md(c.command), md(c.arg), ctx.rel(c.time), first?.frame ?? '-', first?.code ?? '-', first ? `${md(first.text)}${first.lines.length > 1 ? ` (${first.lines.length} lines)` : ''}` : 'no reply seen']);
    for (const r of c.replies.slice(1)) rows.push(['', '', '', ctx.rel(r.time), r.frame, r.code, `${md(r.text)}${r.lines.length > 1 ? ` (${r.lines.length} lines)` : ''}`]);
  }
  if (rows.length === 0) return ['No command in cleartext.'];
  const out = [table(['Frame', 'Command', 'Argument', 'Time', 'Reply frame', 'Code', 'Reply'], rows)];
  if (s.features) out.push('', `FEAT (multi-line reply in frame ${s.features.frame}) lists: ${s.features.list.map(md).join(', ')}.`);
  if (s.unmatchedReplies.length > 0) out.push('', `Replies to no command: ${s.unmatchedReplies.map((r) => `${r.code} in frame ${r.frame}`).join(', ')}.`);
  if (s.tls?.accepted && s.tls.encryptedFrom !== null) out.push('', `From frame ${s.tls.encryptedFrom} on, commands are inside TLS and not readable.`);
  return out;
};

function opened(c: DataConnectionFacts): string {
  return `tcp.stream ${c.stream}: ${endpoint(c.opener)} → ${endpoint(c.listener)}, SYN in frame ${c.handshake.syn ?? '(not captured)'}`;
}

const q10: Section = (s) => {
  const ann = s.dataChannels.filter((d) => d.by === 'client');
  if (ann.length === 0) return ['Not used: the client sent no PORT or EPRT (no active-mode transfer in this session).'];
  const out: string[] = [];
  for (const d of ann) {
    const how = d.explanation
      ? `the last two numbers are the port's high and low byte: p1×256+p2 = ${md(d.explanation)}`
      : `${d.kind} writes the port in decimal (RFC 2428)`;
    const verdict = d.accepted === null ? 'no reply seen' : `${d.accepted ? 'accepted' : 'refused'} (${d.replyCode})`;
    out.push(`- ${md(d.kind)} in frame **${d.frame}**: the client announced **${md(d.address ?? d.impliedAddress ?? '?')} port ${d.port}**; ${how}; ${verdict}.`);
    const t = s.transfers.find((x) => x.announcement?.frame === d.frame);
    if (t?.connection) {
      const c = t.connection;
      out.push(`  - The **${c.openedBy}** opened the data connection (${opened(c)})${c.openedBy === 'server' ? `: active mode, the server connects from port ${c.opener.port}${c.opener.port === 20 ? ' (ftp-data)' : ''}` : ''}.`);
    } else if (t) {
      out.push('  - No data connection for it was captured.');
    }
  }
  return out;
};

const q11: Section = (s) => {
  const ann = s.dataChannels.filter((d) => d.by === 'server');
  if (ann.length === 0) return ['Not used: no PASV or EPSV reply (no passive-mode transfer in this session).'];
  const out: string[] = [];
  for (const d of ann) {
    const how = d.explanation ? ` (p1×256+p2 = ${md(d.explanation)})` : d.kind === 'EPSV' || d.address === null ? ` (${md(d.kind)} gives only the port; the address is the control connection's server, ${md(d.impliedAddress ?? '?')})` : '';
    out.push(`- ${md(d.kind)} reply in frame **${d.frame}** (asked in frame ${d.commandFrame}): the server listens on **${md(d.address ?? d.impliedAddress ?? '?')} port ${d.port}**${how}.`);
    const t = s.transfers.find((x) => x.announcement?.frame === d.frame);
    if (t?.connection) out.push(`  - The client connected to it from port **${t.connection.opener.port}** (${opened(t.connection)}).`);
    else out.push('  - No data connection to it was captured.');
  }
  return out;
};

function transferWhat(t: FtpTransfer): string {
  if (t.command === null) return 'a data connection without a visible command (encrypted control channel)';
  if (t.direction === 'listing') return `a directory listing (${md(t.command)}${t.arg ? ` ${md(t.arg)}` : ''})`;
  const name = md(t.path ?? t.arg);
  if (t.direction === 'download') return `the file ${name}, downloaded`;
  if (t.direction === 'upload') return `the file ${name}, uploaded`;
  return `${md(t.command)} ${name}`;
}

const q12: Section = (s) => {
  if (s.transfers.length === 0) return ['No transfer command in this session: no FTP-DATA.'];
  const rows = s.transfers.map((t) => {
    const c = t.connection;
    return [
      `#${t.id} ${md(t.command ?? '?')}${t.frame !== null ? ` (frame ${t.frame})` : ''}`,
      c ? c.stream : '-',
      c ? (c.firstDataFrame !== null ? `${c.firstDataFrame}–${c.lastDataFrame} (${plural(c.dataFrames, 'frame')})` : 'none (empty)') : 'no data connection captured',
      t.bytes,
      transferWhat(t),
      `${t.status}${t.preliminary?.announcedSize != null ? `; server announced ${t.preliminary.announcedSize} bytes` : ''}${t.size ? `; SIZE ${t.size.value}` : ''}`,
    ];
  });
  const out = [table(['Transfer', 'tcp.stream', 'FTP-DATA frames', 'Bytes', 'What', 'Status'], rows)];
  for (const t of s.transfers) {
    if (t.extracted) out.push('', `Transfer #${t.id} extracted to ${md(t.extracted.name)} (${t.extracted.size} bytes, sha256 ${t.extracted.sha256}).`);
    if (t.listing) {
      const names = t.listing.entries.slice(0, SUMMARY_ENTRIES).map((e) => { const x = listingEntryLine(e); return `${md(x.name)} (${md(x.type)}, ${md(x.size)})`; });
      const more = listingEntryCount(t.listing) - names.length;
      out.push('', `Transfer #${t.id} listing: ${md(listingSummary(t.listing))}${names.length > 0 ? ` — ${names.join(', ')}${more > 0 ? `, and ${more} more` : ''}` : ''}.`);
    }
  }
  if (s.transfers.some((t) => !t.connection)) out.push('', 'Where no data connection was captured, the bytes and content cannot be read from this capture.');
  return out;
};

const q13: Section = (s) => {
  const ts = s.transfers.filter((t) => t.preliminary || t.final);
  if (ts.length === 0) return ['No 125/150 or 226 reply in this session.'];
  const out: string[] = [];
  for (const t of ts) {
    const pre = t.preliminary ? `${t.preliminary.code} in frame **${t.preliminary.frame}** ("${md(t.preliminary.text)}")` : 'no 125/150';
    const fin = t.final ? `${t.final.code} in frame **${t.final.frame}** ("${md(t.final.text)}")` : 'no final reply';
    out.push(`- Transfer #${t.id} (${md(t.command ?? '?')}): ${pre}; ${fin}.`);
    if (t.ackExplanation) out.push(`  - One ACK for both: ${md(t.ackExplanation)}.`);
  }
  const any = ts.some((t) => t.ackExplanation);
  out.push('', any
    ? 'Why one ACK can acknowledge both: the ACK number is cumulative — it says "every byte before this one arrived". The client delayed its ACK of the 150 (delayed ACK, RFC 1122), the 226 arrived meanwhile, and a single ACK with the number after the 226 covers both replies.'
    : 'In this capture the client acknowledged the replies separately (no single ACK covered both); it could have, because a TCP ACK is cumulative and a delayed ACK may cover every byte received so far.');
  return out;
};

const q14: Section = (s) => {
  const q = s.quit;
  if (!q) return ['**No QUIT in the capture.**'];
  const out: string[] = [];
  const cs = q.commandSegment;
  out.push(`- QUIT in frame **${cs?.frame ?? q.frame}**${cs ? `: TCP flags **[${cs.flags}]**, seq ${cs.seq ?? '?'} (raw ${cs.seqRaw}), ack ${cs.ack ?? '?'} (raw ${cs.ackRaw}), ${cs.len} bytes` : ''}.`);
  if (q.replyFrame !== null) {
    const rs = q.replySegment;
    out.push(`- ${q.replyCode} ${md(q.replyText)} in frame **${q.replyFrame}**${rs ? `: TCP flags [${rs.flags}], seq ${rs.seq ?? '?'} (raw ${rs.seqRaw}), ack ${rs.ack ?? '?'} (raw ${rs.ackRaw})` : ''}.`);
  } else {
    out.push('- No reply to QUIT seen.');
  }
  if (cs?.flags.includes('PSH')) out.push('', 'PSH asks the receiver to hand the data to the application at once; ACK is set on every segment after the handshake. QUIT is data, so it carries no FIN: the connection is closed afterwards by separate FIN segments (question 15).');
  return out;
};

const q15: Section = (s) => {
  const out: string[] = [];
  const td = s.tcp?.teardown;
  if (!s.tcp) out.push('Control connection: no TCP facts in the report.');
  else if (!td || td.segments.length === 0) out.push('Control connection: **no FIN or RST in the capture** — it was still open when the capture ended.');
  else {
    out.push(`Control connection (tcp.stream ${s.controlStream}): **the ${td.firstCloser ?? 'unknown side'} closed first**${td.reset ? ', with a reset (RST)' : ''}.`, '');
    out.push(table(['Frame', 'Direction', 'Flags', 'Seq (relative)', 'Seq (raw)', 'Ack (relative)', 'Ack (raw)'], td.segments.map((f) => [
      f.frame, f.from === 'client' ? 'client → server' : 'server → client', f.flags, f.seq, f.seqRaw, f.flags.includes('ACK') ? f.ack : '-', f.flags.includes('ACK') ? f.ackRaw : '-',
    ])));
    if (td.firstCloser) out.push('', `Why: the side whose FIN comes first is the active closer. A FIN consumes one sequence number, so the other side's ACK of it is that FIN's seq + 1. ${td.firstCloser === 'server' ? 'Here the server closed after sending 221, as FTP servers do after QUIT.' : 'Here the client closed first.'}`);
  }
  for (const t of s.transfers) {
    const c = t.connection;
    if (!c) continue;
    const tdd = c.teardown;
    out.push('', `Data connection #${t.id} (tcp.stream ${c.stream}): ${tdd.finFrames.length > 0 ? `FIN in frames ${tdd.finFrames.join(', ')}` : 'no FIN captured'}${tdd.reset ? `; RST in frame ${tdd.rstFrame}` : ''}. (The report keeps frame numbers only for data-connection teardown, not their sequence numbers.)`);
  }
  return out;
};

/** Questions 1-15, answered per session. */
const SECTIONS: readonly Section[] = [q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12, q13, q14, q15];

function q16(report: Report): string[] {
  const st = report.statistics;
  if (!st) return ['Not available: statistics are computed per capture and this report merges several.'];
  const roles = new Map(st.connections.map((c) => [c.stream, c.role]));
  const control = st.conversations.filter((c) => roles.get(c.stream) === 'ftp-control').length;
  const data = st.conversations.filter((c) => roles.get(c.stream) === 'ftp-data').length;
  const out = [`**${plural(st.conversations.length, 'TCP conversation')}**: ${control} FTP control, ${data} FTP data${st.conversations.length - control - data > 0 ? `, ${st.conversations.length - control - data} other` : ''}.`, ''];
  const note = setAsideNote(st);
  if (note !== undefined) out.push(`Note: ${note}`, '');
  out.push(table(['tcp.stream', 'Role', 'A', 'B', 'Packets A→B', 'Bytes A→B', 'Packets B→A', 'Bytes B→A', 'Packets', 'Bytes', 'Start (s)', 'Duration (s)'], st.conversations.map((c) => [
    c.stream, roles.get(c.stream) ?? 'other', endpoint(c.a), endpoint(c.b), c.aToB.frames, c.aToB.bytes, c.bToA.frames, c.bToA.bytes, c.frames, c.bytes, c.relativeStart.toFixed(6), c.duration.toFixed(6),
  ])));
  return out;
}

function plenTable(rows: PacketLengthRow[]): string {
  return table(['Range', 'Count', 'Average', 'Min', 'Max', 'Percent'], rows.map((r) => [
    r.range, r.count, r.average ?? '-', r.min ?? '-', r.max ?? '-', r.percent === null ? '-' : `${r.percent.toFixed(2)}%`,
  ]));
}

function q17(report: Report): string[] {
  const st = report.statistics;
  if (!st) return ['Not available: statistics are computed per capture and this report merges several.'];
  const out = ['All frames (Wireshark Statistics ▸ Packet Lengths; on-the-wire frame length):', '', plenTable(st.packetLengths.all)];
  const sizes = (rows: PacketLengthRow[]) => {
    const root = rows[0];
    return root && root.count > 0 ? `${root.count} frames of ${root.min}–${root.max} bytes, average ${root.average}` : 'no frames';
  };
  out.push('', `- FTP control connection(s): ${sizes(st.packetLengths.ftpControl)}.`);
  out.push(`- FTP data connection(s): ${sizes(st.packetLengths.ftpData)}.`);
  const conns = st.connections.filter((c) => c.role !== null);
  if (conns.length > 0) {
    out.push('', table(['tcp.stream', 'Role', 'Client frames min/avg/max', 'Server frames min/avg/max'], conns.map((c) => {
      const f = (d: typeof c.fromClient) => (d.frameSizes.frames === 0 ? '-' : `${d.frameSizes.min} / ${d.frameSizes.average} / ${d.frameSizes.max}`);
      return [c.stream, c.role ?? '', f(c.fromClient), f(c.fromServer)];
    })));
  }
  out.push('', 'Typically control frames are small (commands and replies of a few dozen bytes) while the sending side of a data transfer fills full-size segments (1514 bytes on Ethernet with MSS 1460), and the receiving side sends bare ACKs.');
  return out;
}

/** A session's lines in question 18: its duration and each transfer's throughput. */
function q18Lines(s: FtpSession, ctx: Ctx): string[] {
  const out = [`- Session ${s.id}: frames ${s.start.frame}–${s.end.frame}, **${trimNs(s.duration)} s** (${ctx.rel(s.start.time)} to ${ctx.rel(s.end.time)}).`];
  for (const t of s.transfers) {
    const c = t.connection;
    const tp = c?.throughput != null ? `**${rate(c.throughput)}** (${(c.throughput * 8 / 1e6).toFixed(3)} Mbit/s)` : 'not measurable';
    out.push(`  - Transfer #${t.id} ${md(t.command ?? '?')}${t.arg ? ` ${md(t.arg)}` : ''}: ${t.bytes} bytes${c?.duration != null ? ` over ${trimNs(c.duration)} s` : ''}, throughput ${tp}${c ? '' : ' (no data connection captured)'}.`);
  }
  return out;
}

function q19(credentials: readonly FtpCredential[], sessions: Iterable<SessionFacts>): string[] {
  const out: string[] = [];
  const creds = credentials.filter((c) => c.user !== null || c.password !== null);
  if (creds.length > 0) {
    out.push(`- **Credentials** in cleartext (${plural(creds.length, 'login')}):`, '');
    out.push(table(['Session', 'Server', 'User', 'Password', 'Outcome', 'Frames'], creds.map((c) => [
      c.session, endpoint(c.server), c.user === null ? '-' : `${md(c.user)}${c.anonymous ? ' (anonymous)' : ''}`, c.password === null ? '-' : md(c.password), c.outcome, frameList(c.frames),
    ])), '');
  } else {
    out.push('- No credentials in cleartext.');
  }
  const names = new Set<string>();
  let contents = 0;
  let contentBytes = 0;
  let encrypted = 0;
  for (const f of sessions) {
    for (const name of f.names) names.add(name);
    contents += f.contents;
    contentBytes += f.contentBytes;
    if (f.encrypted) encrypted++;
  }
  out.push(names.size > 0 ? `- **File and directory names**: ${[...names].slice(0, 30).map(md).join(', ')}.` : '- No file names in cleartext.');
  out.push(contents > 0
    ? `- **File contents and listings**: ${plural(contents, 'transfer')} crossed the network in cleartext (${contentBytes} bytes); anyone capturing them can rebuild the files (\`ftp-inspect extract\`).`
    : '- No file contents captured.');
  if (encrypted > 0) out.push(`- ${plural(encrypted, 'session')} (partly) encrypted: what happened inside TLS cannot be read.`);
  out.push('- Also: the server software and version from the banner, the addresses and ports of every connection, and the timing of the session.');
  out.push('', 'Conclusion: plain FTP protects nothing; use FTPS (AUTH TLS with PROT P) or SFTP.');
  return out;
}
