// Our sessions against Zeek's expected ftp.log for every public trace that has one: for each
// row Zeek logged, the same command in our session, with the same user, password, argument and
// reply code. Zeek logs one row per command of its `logged_commands` set (the baselines' tests
// add to the default set), written when the reply arrives.
//
// Where we differ, the reason is named (anything else fails):
//  - zeek-keeps-previous-reply: the server answered with a line that is not a valid reply
//    ("SYST not supported", "99 PASV invalid"); Zeek flags a protocol violation and logs the
//    command with the reply it had before (230 PASS OK). We keep the command without a reply
//    and the line as a non-reply line.
//  - zeek-skips-long-commands: the baseline's test set FTP::max_command_length to 100, so Zeek
//    drops the two 132-character commands without removing them from the pairing, and every
//    later reply is logged against the command before it. We pair each reply with its command.
//  - zeek-pairs-with-later-reply: a reply arrives that no visible command asked for — the
//    server closed with an unsolicited 221 (the client sent no QUIT), or the client's RETR
//    segment is missing from the capture while the server's 150/226 for it are there. Zeek logs
//    the earlier command (RETR, PASV) with that reply; we keep the earlier command's own reply
//    and list the orphan among the session's unmatched replies.
// Zeek writes the argument of RETR/STOR/… as a URL (ftp://server/cwd/file): we compare the
// path it ends in, and the directory when our CWD tracking knows it.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FtpCommand, FtpSession } from '../../src/ftp/model.js';
import { hasPublicCaptures, publicCaptures } from '../helpers/captures.js';
import { filePath, quotedPath } from '../../src/ftp/paths.js';
import { analyzeCapture } from './helpers/analyze.js';

type Row = Record<string, string>;

function readZeekLog(path: string): Row[] {
  const rows: Row[] = [];
  let fields: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('#fields')) fields = line.split('\t').slice(1);
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split('\t');
    const row: Row = {};
    fields.forEach((f, i) => (row[f] = cells[i] ?? ''));
    rows.push(row);
  }
  return rows;
}

const URL_COMMANDS = new Set(['RETR', 'STOR', 'STOU', 'APPE', 'DELE']);

type Category = 'zeek-keeps-previous-reply' | 'zeek-skips-long-commands' | 'zeek-pairs-with-later-reply';

interface Outcome {
  matched: number;
  /** RETR/STOR rows whose directory was compared with our CWD tracking. */
  pathsChecked: number;
  explained: Partial<Record<Category, number>>;
  unexplained: string[];
}

/**
 * The user name and password Zeek logs with command `index`: those sent before the reply was
 * logged (a pipelining client may have sent its PASS before the USER was answered).
 */
function credentialsBefore(commands: FtpCommand[], index: number): { user: string; password: string | null } {
  const ours = commands[index]!;
  const loggedAt = ours.replies.find((r) => !r.preliminary)?.frame ?? ours.frame;
  let user = '<unknown>';
  let password: string | null = null;
  for (const c of commands) {
    if (c.frame > loggedAt) break;
    if (c.command === 'USER') user = c.arg;
    if (c.command === 'PASS') password = c.arg;
  }
  return { user, password };
}

/** Our working directory when each command was sent, from the accepted CWD/CDUP and PWD replies. */
function cwdTimeline(s: FtpSession): Array<string | null> {
  const changes = new Map(s.stateChanges.filter((ch) => ch.what === 'CWD').map((ch) => [ch.frame, ch]));
  const out: Array<string | null> = [];
  let cwd: string | null = null;
  for (const c of s.commands) {
    out.push(cwd);
    const final = c.replies.find((r) => !r.preliminary);
    if ((c.command === 'PWD' || c.command === 'XPWD') && final?.code === 257) cwd = quotedPath(final.text) ?? cwd;
    const change = changes.get(c.frame);
    if (change?.accepted) cwd = change.result ?? null;
  }
  return out;
}

function compare(sessions: FtpSession[], rows: Row[]): Outcome {
  const out: Outcome = { matched: 0, pathsChecked: 0, explained: {}, unexplained: [] };
  const explain = (c: Category) => (out.explained[c] = (out.explained[c] ?? 0) + 1);
  const fail = (m: string) => out.unexplained.length < 20 && out.unexplained.push(m);
  const next = new Map<FtpSession, number>();
  const cwds = new Map(sessions.map((s) => [s, cwdTimeline(s)]));
  for (const row of rows) {
    const s = sessions.find((x) => x.client.ip === row['id.orig_h'] && String(x.client.port) === row['id.orig_p']
      && x.server.ip === row['id.resp_h'] && String(x.server.port) === row['id.resp_p']);
    if (!s) {
      fail(`no session of ours for ${row['id.orig_h']}:${row['id.orig_p']} → ${row['id.resp_h']}:${row['id.resp_p']}`);
      continue;
    }
    const command = row.command!;
    const code = Number(row.reply_code);
    if (command === '<init>') {
      // Zeek's reply_msg is the last line of a multi-line reply; our `text` is the first (as tshark's).
      const last = s.greeting?.reply.lines.at(-1)?.replace(/^\d{3}[ -]?/, '');
      if (s.greeting?.reply.code === code && last === row.reply_msg) out.matched++;
      else fail(`<init>: ours ${s.greeting?.reply.code} ${last}, Zeek ${code} ${row.reply_msg}`);
      continue;
    }
    const from = next.get(s) ?? 0;
    const index = s.commands.findIndex((c, i) => i >= from && c.command === command);
    if (index < 0) {
      fail(`${command}: Zeek logged it, we have no such command after #${from}`);
      continue;
    }
    next.set(s, index + 1);
    const ours = s.commands[index]!;
    const where = `${command} (frame ${ours.frame})`;
    const { user, password } = credentialsBefore(s.commands, index);
    if (row.user !== user) fail(`${where}: user ours ${user}, Zeek ${row.user}`);
    // Zeek hides passwords unless the user is anonymous (or the test asked it to capture them).
    const zPassword = row.password!;
    if (zPassword === '-' ? password !== null : zPassword === '<hidden>' ? password === null : zPassword !== password) {
      fail(`${where}: password ours ${password}, Zeek ${zPassword}`);
    }
    const zArg = row.arg === '-' ? '' : row.arg!;
    if (URL_COMMANDS.has(command)) {
      const path = zArg.replace(/^ftp:\/\/(\[[^\]]+\]|[^/]+)/, '');
      if (!path.endsWith(ours.arg)) fail(`${where}: arg ours ${ours.arg}, Zeek ${zArg}`);
      // Zeek starts from "." as we do when no 257 named the directory: compare the whole path.
      const expected = filePath(cwds.get(s)![index] ?? null, ours.arg);
      if (expected !== null && ours.arg !== '') {
        out.pathsChecked++;
        const zeekPath = path.replace(/^\/(?=\.)/, '');
        if (zeekPath !== expected) fail(`${where}: path ours ${expected}, Zeek ${zeekPath}`);
      }
    } else if (zArg !== '<hidden>' && zArg !== ours.arg) {
      fail(`${where}: arg ours ${JSON.stringify(ours.arg)}, Zeek ${JSON.stringify(zArg)}`);
    }
    const final = ours.replies.filter((r) => !r.preliminary).at(-1);
    if (final?.code === code) {
      out.matched++;
      continue;
    }
    const previous = s.commands.slice(0, index).flatMap((c) => c.replies).at(-1);
    if (!final && previous?.code === code && s.nonReplyLines.length > 0) explain('zeek-keeps-previous-reply');
    else if (s.commands.some((c) => !c.known && c.command.length + c.arg.length > 100)) explain('zeek-skips-long-commands');
    else if (final && s.unmatchedReplies.some((r) => r.code === code && r.frame > final.frame)) {
      explain('zeek-pairs-with-later-reply');
    }
    else fail(`${where}: reply ours ${final?.code}, Zeek ${code}`);
  }
  return out;
}

describe.skipIf(!hasPublicCaptures)("our sessions agree with Zeek's expected ftp.log", () => {
  const traces = publicCaptures().filter((f) => f.includes('/zeek/'));
  for (const file of traces) {
    const log = `${file}.zeek-expected.ftp.log`;
    let rows: Row[];
    try {
      rows = readZeekLog(log);
    } catch {
      continue;
    }
    it(basename(file), async () => {
      const report = await analyzeCapture(file);
      const r = compare(report.sessions, rows);
      console.log(`zeek/${basename(file)}: ${r.matched} of ${rows.length} rows agree (${r.pathsChecked} paths checked against our CWD tracking); explained: ${JSON.stringify(r.explained)}`);
      expect(r.unexplained).toEqual([]);
      expect(r.matched + Object.values(r.explained).reduce((a, b) => a + b, 0)).toBe(rows.length);
    });
  }
});
