// The FTP stage against tshark on every fixture and every public capture: the (frame, command,
// argument) and (frame, reply code, reply text) lists of
//   tshark -r F -Y ftp -T fields -e frame.number -e ftp.request.command -e ftp.request.arg
//          -e ftp.response.code -e ftp.response.arg
// must match ours, except where the two are known to differ for a reason. Every such reason is
// a named category below; anything else fails the test.
//
// Why they differ: tshark's FTP dissector reads each TCP segment on its own and only its first
// line, while we read the reassembled stream, every line of it. So:
//  - split-line: a command sent in several segments (one character per packet) is one
//    command for us, and a fragment per segment for tshark; the same for a reply line longer
//    than a segment, of which tshark shows the part in the first segment;
//  - split-line-tail: a segment that starts with the rest of a line begun earlier is, for
//    tshark, a new "request" or "response" made of that tail;
//  - multi-line-continuation: a segment in the middle of a multi-line reply that begins with
//    "xyz-" looks like a new reply to tshark; for us it is a line of the reply in progress;
//  - not-first-in-segment: a command or reply that shares a segment with an earlier one
//    (pipelining, or 150 and 226 sent together) is invisible to tshark;
//  - non-reply-line: a server line without a three-digit code (tshark shows it as a reply
//    with no code, we keep it as a non-reply line);
//  - encrypted: after AUTH TLS was accepted we do not parse the channel; tshark hands it to
//    its TLS dissector too, but may still label the odd segment FTP;
//  - bad-reply-code: "230_no_space" is code 230 for us (with a warning) and for tshark a
//    reply whose text starts without the separator;
//  - retransmission: tshark dissects a retransmitted segment again (a second row for the same
//    command); we see each byte once.
// A tshark FTP row in a connection we did not take for FTP control is never explained away.
import { describe, expect, it } from 'vitest';
import type { FtpReport, FtpSession } from '../../src/ftp/model.js';
import { captureLabel, fixtureCaptures, hasPublicCaptures, publicCaptures } from '../helpers/captures.js';
import { hasTshark, tsharkFields, tsharkNote } from '../helpers/tshark.js';
import { analyzeCapture } from './helpers/analyze.js';

const FIELDS = ['frame.number', 'tcp.stream', 'ftp.request.command', 'ftp.request.arg', 'ftp.response.code', 'ftp.response.arg', 'tcp.analysis.retransmission', 'tcp.len'];

type Category =
  | 'split-line' | 'split-line-tail' | 'multi-line-continuation' | 'not-first-in-segment' | 'non-reply-line'
  | 'encrypted' | 'bad-reply-code' | 'retransmission';

interface Comparison {
  matched: number;
  explained: Partial<Record<Category, number>>;
  unexplained: string[];
}

interface OurLine {
  kind: 'command' | 'reply';
  frames: number[];
  firstFrame: number;
  command?: string;
  arg?: string;
  code?: number;
  text?: string;
  oneSegment: boolean;
  /** A reply whose code was not followed by a space or '-'. */
  noSpace?: boolean;
  /** A reply of several lines. */
  multiLine?: boolean;
  /** The line came in more segments than the model lists (framesOmitted). */
  omitted?: boolean;
}

/** Our commands and replies of one session as lines keyed by the frame they start in. */
function ourLines(s: FtpSession): OurLine[] {
  const out: OurLine[] = [];
  const reply = (r: FtpSession['commands'][number]['replies'][number]) =>
    out.push({
      kind: 'reply', frames: r.frames, firstFrame: r.frames[0] ?? r.frame, code: r.code, text: r.text, oneSegment: r.frames.length === 1,
      noSpace: (r.notes ?? []).some((n) => n.startsWith('no space after the reply code')),
      omitted: (r.framesOmitted ?? 0) > 0,
      multiLine: r.lines.length > 1,
    });
  if (s.greeting?.preliminary) reply(s.greeting.preliminary);
  if (s.greeting) reply(s.greeting.reply);
  for (const c of s.commands) {
    out.push({ kind: 'command', frames: c.frames, firstFrame: c.frame, command: c.command, arg: c.arg, oneSegment: c.oneSegment, omitted: (c.framesOmitted ?? 0) > 0 });
    for (const r of c.replies) reply(r);
  }
  for (const r of s.unmatchedReplies) reply(r);
  return out;
}

function compare(file: string, report: FtpReport): Comparison {
  const decodeAs = [...new Set(report.sessions.filter((s) => s.server.port !== 21).map((s) => s.server.port))]
    .flatMap((p) => ['-d', `tcp.port==${p},ftp`]);
  const rows = tsharkFields(file, FIELDS, [...decodeAs, '-Y', 'ftp']);
  const byStream = new Map(report.sessions.map((s) => [s.controlStream, s]));
  const result: Comparison = { matched: 0, explained: {}, unexplained: [] };
  const explain = (c: Category) => (result.explained[c] = (result.explained[c] ?? 0) + 1);
  const fail = (msg: string) => result.unexplained.length < 30 && result.unexplained.push(msg.length > 300 ? `${msg.slice(0, 300)}…` : msg);
  const seen = new Set<string>();

  // Index our lines by stream and by the frame they start in, and every frame they touch.
  const starts = new Map<string, OurLine[]>();
  const touches = new Map<string, OurLine>();
  for (const s of report.sessions) {
    for (const l of ourLines(s)) {
      const k = `${s.controlStream}/${l.firstFrame}`;
      (starts.get(k) ?? starts.set(k, []).get(k)!).push(l);
      for (const f of l.frames) if (!touches.has(`${s.controlStream}/${f}`)) touches.set(`${s.controlStream}/${f}`, l);
    }
  }
  // A line listed with omitted frames covers every frame between its first and its last.
  const ranges = report.sessions.flatMap((s) =>
    ourLines(s).filter((l) => l.omitted).map((l) => ({ stream: s.controlStream, from: l.firstFrame, to: Math.max(...l.frames), line: l })));
  const frameInLine = (s: FtpSession, f: number): OurLine | undefined =>
    touches.get(`${s.controlStream}/${f}`) ?? ranges.find((r) => r.stream === s.controlStream && f >= r.from && f <= r.to)?.line;

  for (const row of rows) {
    const frame = Number(row['frame.number']);
    const stream = Number(row['tcp.stream']);
    const isRequest = row['ftp.request.command'] !== '' || (row['ftp.response.code'] === '' && row['ftp.request.arg'] !== '');
    const isResponse = row['ftp.response.code'] !== '';
    const s = byStream.get(stream);
    if (!s) {
      fail(`frame ${frame}: tshark shows FTP in tcp.stream ${stream}, which we did not take for an FTP control connection`);
      continue;
    }
    if (row['tcp.analysis.retransmission'] !== '' || seen.has(`${stream}/${frame}`)) {
      explain('retransmission');
      continue;
    }
    seen.add(`${stream}/${frame}`);
    if (s.tls?.encryptedFrom != null && frame >= s.tls.encryptedFrom && frame <= (s.tls.encryptedUntil ?? Infinity)) {
      explain('encrypted');
      continue;
    }
    const here = (starts.get(`${stream}/${frame}`) ?? [])[0];
    if (!here) {
      const inside = frameInLine(s, frame);
      if (inside?.kind === 'command') explain(inside.oneSegment ? 'split-line-tail' : 'split-line');
      else if (inside?.kind === 'reply') explain(inside.multiLine ? 'multi-line-continuation' : 'split-line');
      else if (s.nonReplyLines.some((n) => n.frame === frame)) explain('non-reply-line');
      else if (!isRequest && !isResponse) explain('non-reply-line');
      else fail(`frame ${frame}: tshark ${JSON.stringify(row)}, nothing of ours starts or continues there`);
      continue;
    }
    if (here.kind === 'command') {
      if (!here.oneSegment) {
        explain('split-line');
        continue;
      }
      const tCommand = row['ftp.request.command'] ?? '';
      const tArg = row['ftp.request.arg'] ?? '';
      if (tCommand.toUpperCase() === here.command!.toUpperCase() && tArg === here.arg) result.matched++;
      else fail(`frame ${frame}: ours ${JSON.stringify([here.command, here.arg])}, tshark ${JSON.stringify([tCommand, tArg])}`);
      continue;
    }
    const tCode = Number(row['ftp.response.code']);
    const tText = row['ftp.response.arg'] ?? '';
    if (!isResponse) {
      fail(`frame ${frame}: ours reply ${here.code}, tshark no code ${JSON.stringify(row)}`);
      continue;
    }
    if (tCode === here.code && tText === here.text) result.matched++;
    else if (tCode === here.code && here.noSpace) explain('bad-reply-code');
    else if (tCode === here.code && here.frames.length > 1 && here.text!.startsWith(tText)) explain('split-line');
    else fail(`frame ${frame}: ours ${JSON.stringify([here.code, here.text])}, tshark ${JSON.stringify([tCode, tText])}`);
  }

  // The other way round: everything of ours that starts a segment must be in tshark's list.
  const theirFrames = new Set(rows.map((r) => `${r['tcp.stream']}/${r['frame.number']}`));
  for (const s of report.sessions) {
    const firstAt = new Set<number>();
    for (const l of ourLines(s)) {
      if (firstAt.has(l.firstFrame)) {
        explain('not-first-in-segment');
        continue;
      }
      firstAt.add(l.firstFrame);
      const k = `${s.controlStream}/${l.firstFrame}`;
      if (theirFrames.has(k)) continue;
      // A line that starts in a segment holding the end of an earlier line is not first there.
      const previous = touches.get(k);
      if (previous && previous !== l) explain('not-first-in-segment');
      else fail(`frame ${l.firstFrame}: our ${l.kind} ${JSON.stringify([l.command ?? l.code, l.arg ?? l.text])} is not in tshark's list`);
    }
  }
  return result;
}

function suite(title: string, files: string[]) {
  describe(`${title}${tsharkNote}`, () => {
    for (const file of files) {
      it.skipIf(!hasTshark)(captureLabel(file), async () => {
        const report = await analyzeCapture(file);
        const r = compare(file, report);
        // The explanation counts end up in the test output, so a reader sees what differed and why.
        console.log(`${captureLabel(file)}: ${r.matched} lines agree; explained differences: ${JSON.stringify(r.explained)}`);
        expect(r.unexplained).toEqual([]);
      });
    }
  });
}

suite('FTP commands and replies agree with tshark on the fixtures', fixtureCaptures());
describe.skipIf(!hasPublicCaptures)('public captures', () => {
  suite('FTP commands and replies agree with tshark on the public captures', publicCaptures());
});
