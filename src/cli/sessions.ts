// `ftp-inspect sessions <capture...>`: one line per FTP session. Wiring only; the table is
// src/report/sessionsList.ts.

import { Command, Option } from 'commander';
import { analyzeSessionBySession, type AnalyzeOptions, type Report } from '../analyze.js';
import type { ReadCaptureOptions } from '../capture/readCapture.js';
import { safeJson } from '../report/follow.js';
import { renderSessionsJson, renderSessionsTable, sessionLine, withLateTcpFacts, type SessionLine } from '../report/sessionsList.js';
import { outputTraits, paint, type ColorChoice } from '../report/terminal.js';
import { Output } from './output.js';

export interface SessionsDeps {
  addFtpOptions: (command: Command) => Command;
  analyzeOptions: (opts: never) => AnalyzeOptions;
  separateHelp: string;
  withProgress: <T>(captures: readonly string[], opts: { quiet?: boolean; output?: string }, streamsToStdout: boolean, read: (capture: ReadCaptureOptions) => Promise<T>) => Promise<T>;
  printReportWarnings: (report: Report) => void;
  exitStatusHelp: string;
}

export function registerSessions(program: Command, deps: SessionsDeps): void {
  deps.addFtpOptions(
    program
      .command('sessions')
      .description('one line per FTP session: number, start, client, server, user, commands, transfers, bytes, outcome ("logged in as x, 2 downloads, closed by client")')
      .argument('<captures...>', 'capture files, or - for standard input; several are merged by time into one trace')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
      .option('--separate', deps.separateHelp)
      .option('-o, --output <file>', 'write to FILE instead of standard output (written whole or not at all)')
      .addOption(new Option('--color <when>', 'colour the text output').choices(['auto', 'always', 'never']).default('auto')),
  )
    .addHelpText('after', `
The session numbers are those of the report, so \`ftp-inspect follow CAPTURES… N\` follows one.
Several captures are one trace merged by time (a session split over files is one session);
with --separate each file is analysed alone and the rows are grouped by file.
JSON: { schemaVersion, sessions: [{ id, start, startUtc, duration, client, server, controlStream,
user, login, commands, transfers, downloads, uploads, listings, failedTransfers, bytes,
closedBy, reset, outcome }] }. Bytes are the transfers' file bytes.

Examples:
  ftp-inspect sessions fixtures/*.pcap
  ftp-inspect sessions big.pcap --format json | jq '.sessions[] | select(.login == "accepted") | .id'

${deps.exitStatusHelp}`)
    .action(async (captures: string[], opts: { format: 'text' | 'json'; output?: string; color: ColorChoice; separate?: boolean; quiet?: boolean }) => {
      const rows = await deps.withProgress(captures, opts, false, (capture) => collectSessionLines(captures, { ...deps.analyzeOptions(opts as never), capture }, opts.separate === true));
      const report = rows.report;
      const out = await Output.open(opts.output);
      const traits = outputTraits(opts.color, process.stdout, out.toFile);
      if (opts.format === 'json') renderSessionsJson(report.schemaVersion, rows.lines, (t) => out.write(t), safeJson);
      else {
        renderSessionsTable(rows.lines, (t) => out.write(t), {
          ...(traits.width !== undefined ? { width: traits.width } : {}),
          heading: (s) => paint(s, 'bold', traits.color),
        });
      }
      await out.commit();
      deps.printReportWarnings(report);
    });
}

/**
 * The command's rows, in session order. One line per session, made as each ends; the sessions
 * themselves are not kept (a capture may hold very many), and are let go once their connections
 * closed rather than when the TCP stage stops lingering over them: a row whose control
 * connection's TCP facts (its last frame, who closed it) came later is completed then.
 */
export async function collectSessionLines(captures: readonly string[], options: AnalyzeOptions, separately: boolean): Promise<{ lines: SessionLine[]; report: Report }> {
  const lines: SessionLine[] = [];
  /** Rows still waiting for their TCP facts, by session id, with the session's end as handed on. */
  const waiting = new Map<number, { row: SessionLine; end: { frame: number; time: string } }>();
  const report = await analyzeSessionBySession(captures, options, {
    separately,
    releaseOn: 'close',
    onSession: (s) => {
      const row = sessionLine(s);
      lines.push(row);
      if (s.tcp === null) waiting.set(s.id, { row, end: { frame: s.end.frame, time: s.end.time } });
    },
    onLateTcpFacts: (id, facts) => {
      const w = waiting.get(id);
      if (w === undefined) return;
      waiting.delete(id);
      withLateTcpFacts(w.row, w.end, facts);
    },
  });
  lines.sort((a, b) => a.id - b.id);
  return { lines, report };
}
