// `ftp-inspect follow <capture> <session>`: one connection's conversation, as Wireshark's
// Follow TCP Stream shows it. Wiring only; the work is in src/follow.ts and src/report/follow.ts.

import { Command, InvalidArgumentError, Option } from 'commander';
import { analyzeSessionBySession, REPORT_SCHEMA_VERSION, type AnalyzeOptions } from '../analyze.js';
import { followStream, type FollowSide, type FollowTurn } from '../follow.js';
import {
  followJsonFooter, followJsonHeader, followJsonTurn, followTextFooter, followTextHeader, followTextTurn, safeJson, type FollowShow, type FollowTitle,
} from '../report/follow.js';
import { outputTraits, type ColorChoice } from '../report/terminal.js';
import { escapeControls } from '../report/text.js';
import { Output } from './output.js';
import type { ReadCaptureOptions } from '../capture/readCapture.js';
import type { FtpSession } from '../ftp/model.js';
import { UsageError } from './usage.js';

export interface FollowDeps {
  addFtpOptions: (command: Command) => Command;
  analyzeOptions: (opts: never) => AnalyzeOptions;
  warn: (message: string) => void;
  printWarnings: (name: string, warnings: Array<{ frame: number; offset: number; message: string }>) => void;
  exitStatusHelp: string;
  withProgress: <T>(captures: readonly string[], opts: { quiet?: boolean; output?: string }, streamsToStdout: boolean, read: (capture: ReadCaptureOptions) => Promise<T>) => Promise<T>;
}

interface FollowCliOptions {
  stream?: number;
  transfer?: number;
  raw?: boolean;
  from: 'client' | 'server' | 'both';
  show: FollowShow;
  format: 'text' | 'json';
  output?: string;
  color: ColorChoice;
  quiet?: boolean;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${value}' is not a number (0, 1, 2, …)`);
  return n;
}

export function registerFollow(program: Command, deps: FollowDeps): void {
  deps.addFtpOptions(
    program
      .command('follow')
      .description("one connection's conversation as Wireshark's Follow TCP Stream shows it: client and server turns in order, with frames and byte offsets, escaped for the terminal")
      .argument('<captures...>', 'capture files (pcap or pcapng, optionally gzip-compressed; several are merged by time into one trace), or - for standard input (with --stream only); then the FTP session number, as the report and `ftp-inspect sessions` number them (1, 2, …), unless --stream is given')
      .option('--stream <n>', "follow Wireshark's tcp.stream N instead (any TCP connection, FTP or not; what tshark -z follow,tcp,ascii,N shows)", nonNegativeInt)
      .option('--transfer <n>', "with a session: follow the data connection of the session's transfer N (1, 2, … as the report numbers them)", nonNegativeInt)
      .option('--raw', 'write the exact bytes of the stream, nothing else (to -o FILE or a pipe; refused on a terminal)')
      .addOption(new Option('--from <side>', 'only the bytes one side sent (client: the side that sent the SYN)').choices(['client', 'server', 'both']).default('both'))
      .addOption(new Option('--show <how>', 'data as text (lines, escaped) or hex (as Wireshark\'s Hex Dump); auto: text when a turn is printable').choices(['auto', 'text', 'hex']).default('auto'))
      .addOption(new Option('--format <format>', 'output format; json gives every turn with frames, offset, and text (UTF-8) or base64').choices(['text', 'json']).default('text'))
      .option('-o, --output <file>', 'write to FILE instead of standard output (written whole or not at all)')
      .addOption(new Option('--color <when>', 'colour the text output').choices(['auto', 'always', 'never']).default('auto')),
  )
    .addHelpText('after', `
<session> is the FTP session number; --stream N is Wireshark's tcp.stream N. So
  ftp-inspect follow cap.pcap 3              follows FTP session 3's control connection
  ftp-inspect follow cap.pcap 3 --transfer 2 follows the data connection of its 2nd transfer
  ftp-inspect follow cap.pcap --stream 5     follows tcp.stream 5 (tcp.stream eq 5 in Wireshark)
The last argument is the session number when it is all digits (write ./3 for a capture file
named 3). Several captures are one trace merged by time, as in the report, so session and
stream numbers are those of \`ftp-inspect sessions\` on the same captures.
A session number needs the capture read twice (once to find the session), so standard input
works with --stream only. Bytes the capture does not have are shown as "[N bytes missing]"
(Wireshark: "[N bytes missing in capture file]"); with --raw they are skipped with a warning.

Examples:
  ftp-inspect follow fixtures/pasv-download.pcap 1
  ftp-inspect follow fixtures/pasv-download.pcap 1 --transfer 1 --show hex | head
  ftp-inspect follow capture.pcap --stream 4 --raw --from server -o file.bin
  ftp-inspect follow capture.pcap 1 --format json | jq '.turns[] | select(.from == "client") | .text'

${deps.exitStatusHelp}`)
    .action(async (args: string[], opts: FollowCliOptions) => {
      const last = args.at(-1)!;
      const hasSession = args.length > 1 && /^\d+$/.test(last);
      const captures = hasSession ? args.slice(0, -1) : args;
      const session = hasSession ? Number(last) : undefined;
      if (session !== undefined && !Number.isSafeInteger(session)) throw new UsageError(`'${last}' is not a session number`);
      await runFollow(captures, session, opts, deps);
    });
}

async function runFollow(captures: string[], session: number | undefined, opts: FollowCliOptions, deps: FollowDeps): Promise<void> {
  const capture = captures.join(', ');
  if ((session === undefined) === (opts.stream === undefined)) throw new UsageError('follow needs either a session number or --stream N (not both)');
  if (opts.transfer !== undefined && session === undefined) throw new UsageError('--transfer N goes with a session number');
  if (opts.raw && opts.format === 'json') throw new UsageError('--raw and --format json do not go together');
  if (opts.raw && (opts.output === undefined || opts.output === '-') && process.stdout.isTTY === true) {
    throw new UsageError('refusing to write raw capture bytes to a terminal: give -o FILE, pipe the output, or leave out --raw for escaped text');
  }
  const title: FollowTitle & { session?: number; transfer?: number } = { stream: opts.stream ?? -1 };
  if (session !== undefined) {
    if (captures.includes('-')) throw new UsageError('a session number needs the capture read twice; standard input can be read once: use --stream N');
    // Only the session asked for is kept; the others are dropped as they end (a capture may hold
    // very many), once their connections closed: the streams and transfers read of it are known
    // then, its TCP facts are not needed.
    const found: { session?: FtpSession; count: number } = { count: 0 };
    await deps.withProgress(captures, opts, false, (capture) => analyzeSessionBySession(captures, { ...deps.analyzeOptions(opts as never), capture }, {
      releaseOn: 'close',
      onSession: (x) => {
        found.count++;
        if (x.id === session) found.session = x;
      },
    }));
    const s = found.session;
    const sessions = found.count;
    if (!s) {
      const have = sessions === 0 ? 'it has no FTP session' : `its sessions are 1-${sessions}`;
      throw new UsageError(`no FTP session ${session} in ${capture}: ${have}`);
    }
    title.session = session;
    if (opts.transfer === undefined) {
      title.stream = s.controlStream;
      title.role = `FTP session ${session}, control connection`;
    } else {
      const t = s.transfers.find((x) => x.id === opts.transfer);
      if (!t) throw new UsageError(`FTP session ${session} has no transfer ${opts.transfer}${s.transfers.length > 0 ? ` (its transfers are 1-${s.transfers.length})` : ''}`);
      if (!t.connection) throw new UsageError(`transfer ${opts.transfer} of FTP session ${session} (${escapeControls(t.command ?? '?')}) has no data connection in the capture`);
      title.stream = t.connection.stream;
      title.transfer = opts.transfer;
      title.role = `FTP session ${session}, data connection of transfer ${opts.transfer}: ${t.command ?? '?'}${t.arg ? ` ${t.arg}` : ''}`;
    }
  }

  const out = await Output.open(opts.output);
  const traits = outputTraits(opts.color, process.stdout, out.toFile);
  const wanted = (side: FollowSide) => opts.from === 'both' || opts.from === side;
  const json = opts.format === 'json';
  let started = false;
  let turns = 0;
  const name = captures.length === 1 && captures[0] === '-' ? 'standard input' : capture;
  const onTurn = (turn: FollowTurn): void => {
    if (!wanted(turn.from)) return;
    if (opts.raw) {
      if (turn.kind === 'data') out.writer.writeBytes(turn.bytes);
      else if (turn.kind === 'gap') deps.warn(`${name}: tcp.stream ${title.stream}: ${turn.length} bytes from the ${turn.from} missing at offset ${turn.offset} (frame ${turn.frame}); left out of the raw output`);
      return;
    }
    if (json) out.write(`${turns === 0 ? '\n' : ',\n'}${safeJson(followJsonTurn(turn))}`);
    else out.write(followTextTurn(turn, opts.show, traits.color));
    turns++;
  };
  const result = await deps.withProgress(captures, opts, true, (progress) => followStream(captures, title.stream, onTurn, {
    capture: { ...progress, onChunkEnd: () => out.writer.drained() },
    onStart: (c) => {
      started = true;
      if (opts.raw) return;
      out.write(json ? followJsonHeader(REPORT_SCHEMA_VERSION, capture, title, c) : followTextHeader(title, c, traits.color));
    },
  }));
  if (!started) {
    await out.abort();
    throw new UsageError(`${capture} has no tcp.stream ${title.stream}${result.summary.frames === 0 ? ' (it has no frames)' : ''}`);
  }
  const bytes = { client: wanted('client') ? result.bytes.client : 0, server: wanted('server') ? result.bytes.server : 0 };
  const missing = { client: wanted('client') ? result.missing.client : 0, server: wanted('server') ? result.missing.server : 0 };
  if (json) out.write(`${turns === 0 ? '' : '\n'}${followJsonFooter(bytes, missing)}`);
  else if (!opts.raw) out.write(followTextFooter(bytes, missing));
  await out.commit();
  result.summaries.forEach((summary, i) => deps.printWarnings(captures[i] === '-' ? 'standard input' : captures[i]!, summary.warnings));
}
