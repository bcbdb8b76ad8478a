// `ftp-inspect sessions <capture...>`: one line per FTP session. Wiring only; the table is
// src/report/sessionsList.ts.

import { Command, Option } from 'commander';
import { analyzeSessionBySession, type AnalyzeOptions, type Report } from '../analyze.js';
import type { ReadCaptureOptions } from '../capture/readCapture.js';
import { safeJson } from '../report/follow.js';
import { renderSessionsJson, renderSessionsTable, sessionLine, type SessionLine } from '../report/sessionsList.js';
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
      // One line per session, made as each ends; the sessions themselves are not kept (a capture may hold very many).
      const rows: SessionLine[] = [];
      const report = await deps.withProgress(captures, opts, false, (capture) => analyzeSessionBySession(captures, { ...deps.analyzeOptions(opts as never), capture }, {
        separately: opts.separate === true,
        onSession: (s) => void rows.push(sessionLine(s)),
      }));
      rows.sort((a, b) => a.id - b.id);
      const out = await Output.open(opts.output);
      const traits = outputTraits(opts.color, process.stdout, out.toFile);
      if (opts.format === 'json') renderSessionsJson(report.schemaVersion, rows, (t) => out.write(t), safeJson);
      else {
        renderSessionsTable(rows, (t) => out.write(t), {
          ...(traits.width !== undefined ? { width: traits.width } : {}),
          heading: (s) => paint(s, 'bold', traits.color),
        });
      }
      await out.commit();
      deps.printReportWarnings(report);
    });
}
