#!/usr/bin/env node
// Command-line wiring only: parse options, call the library, print, choose the exit status.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, relative, resolve, sep } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CaptureFormatError } from './capture/Frame.js';
import type { CaptureWarning } from './capture/Frame.js';
import { analyze, analyzeCredentials, analyzeSeparately, analyzeSessionBySession, type AnalyzeOptions, type SessionBySessionOptions } from './analyze.js';
import { hasCleartextCredentials } from './ftp/FtpAnalyzer.js';
import { listPackets } from './packets.js';
import { renderCredentialsJson, ReportJsonStream } from './report/ftpJson.js';
import { renderCredentialsText, SessionsTextStream } from './report/ftpSessionText.js';
import { MarkdownReportStream } from './report/markdown.js';
import { HtmlReportStream, type HtmlOptions } from './report/html.js';
import { PACKET_FILTERS, type PacketFilter } from './report/PacketList.js';
import { packetListHeader, packetListLine } from './report/packetListText.js';
import { escapeControls } from './report/text.js';
import { OutputWriter } from './report/OutputWriter.js';
import { decorate, leavesPlain, outputTraits, type ColorChoice } from './report/terminal.js';
import { abortOpenOutputs, Output, writeAll, writeAllPieces } from './cli/output.js';
import { registerFollow } from './cli/follow.js';
import { limitHeapGrowth } from './cli/heap.js';
import { registerSessions } from './cli/sessions.js';
import { progressFor, type Progress } from './cli/progress.js';
import type { ReadCaptureOptions } from './capture/readCapture.js';
import { renderStatisticsText, statisticsJsonChunks, statisticsTextPieces } from './stats/statsText.js';
import { FileSink } from './extract/FileSink.js';
import type { ManifestEntry } from './extract/Manifest.js';
import type { Report } from './analyze.js';

const EXIT_USAGE_OR_INPUT = 2;
/** `creds`: at least one cleartext credential was found (a check a script can gate on). */
const EXIT_CREDENTIALS_FOUND = 1;

/** The exit statuses, in every command's --help (and in README). */
const EXIT_STATUS_HELP = `Exit status: 0 success; 1 only from creds, when it found a cleartext credential;
2 usage or input error (unknown option, unreadable or damaged file, no such session).
Warnings (damaged frames, missing bytes) go to standard error and do not change the status.`;

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function parsePorts(value: string, previous: number[] = []): number[] {
  const ports = value.split(',').map((p) => p.trim()).filter(Boolean).map(Number);
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InvalidArgumentError(`'${value}' is not a list of TCP ports (1-65535)`);
  }
  return [...previous, ...ports];
}

/** The progress line being drawn, if any: taken away before anything else goes to standard error. */
let activeProgress: Progress | undefined;

/**
 * Runs `read` with capture options that feed a progress line on standard error (cli/progress.ts),
 * and takes the line away when reading ends, before any output or warning is written.
 * `streamsToStdout`: the command writes its output while reading (packets, follow).
 */
async function withProgress<T>(captures: readonly string[], opts: { quiet?: boolean; output?: string }, streamsToStdout: boolean, read: (capture: ReadCaptureOptions) => Promise<T>): Promise<T> {
  const progress = progressFor(captures, opts, streamsToStdout);
  activeProgress = progress;
  try {
    return await read(progress ? { onInputBytes: progress.add } : {});
  } finally {
    progress?.clear();
    activeProgress = undefined;
  }
}

const QUIET_HELP = 'no progress line on standard error (it is drawn only when standard error is a terminal)';

function warn(message: string): void {
  activeProgress?.clear();
  process.stderr.write(`ftp-inspect: warning: ${escapeControls(message)}\n`);
}

function printCaptureWarnings(name: string, warnings: CaptureWarning[]): void {
  for (const w of warnings) warn(`${name}: frame ${w.frame} (byte ${w.offset}): ${w.message}`);
}

const program = new Command();
program
  .name('ftp-inspect')
  .description('Reads packet captures (pcap, pcapng, gzip-compressed or not) and explains the FTP traffic in them.')
  .version(version, '-V, --version')
  .showHelpAfterError('(run ftp-inspect --help for usage)')
  .exitOverride()
  .addHelpText('after', `
Examples:
  ftp-inspect capture.pcap                          the lab report: server, handshakes, login, every command and reply, teardown
  ftp-inspect capture.pcap --format json | jq '.sessions[0].commands'
  ftp-inspect creds *.pcap && echo "no cleartext passwords"
  ftp-inspect packets capture.pcapng --filter ftp   only the FTP control traffic, as Wireshark lists it
  tcpdump -w - -i eth0 port 21 | ftp-inspect packets -

Several captures are read as one trace merged by time, as mergecap merges them (report, creds,
sessions and extract take --separate to analyse each alone). While reading, a progress line
(bytes of the total, MB/s, time left) is drawn on standard error when that is a terminal;
-q/--quiet turns it off.

${EXIT_STATUS_HELP}`);

interface FtpCliOptions {
  ftpPort?: number[];
  /** No progress line (`--quiet`). */
  quiet?: boolean;
  /** Analyse each capture alone (`--separate`) instead of merging them into one trace. */
  separate?: boolean;
  detect: boolean;
  redact?: boolean;
  /** Collect the data connections' sequence plot points (`--plots`; the HTML report always does). */
  plots?: boolean;
}

function analyzeOptions(opts: FtpCliOptions): AnalyzeOptions {
  return { ftp: { ports: [21, ...(opts.ftpPort ?? [])], contentDetection: opts.detect, redact: opts.redact === true, plots: opts.plots === true } };
}

/** Several captures are one trace merged by time, unless `--separate` (commands built on the report). */
function analyzeCaptures(captures: readonly string[], opts: { separate?: boolean }, options: AnalyzeOptions): Promise<Report> {
  return opts.separate === true ? analyzeSeparately(captures, options) : analyze(captures, options);
}

const SEPARATE_HELP = 'with several captures: analyse each alone (frame numbers of each file, sessions marked with their file, no statistics) instead of merging them by time into one trace';

function addFtpOptions(command: Command): Command {
  return command
    .option('--ftp-port <ports>', 'extra TCP port(s) of FTP control connections, comma-separated (21 always counts)', parsePorts)
    .option('--no-detect', 'do not look for FTP by content on other ports')
    .option('--redact', 'mask every password in the output')
    .option('-q, --quiet', QUIET_HELP);
}

interface OutputCliOptions {
  output?: string;
  color: ColorChoice;
}

/** -o FILE (written whole or not at all) and --color, for commands printing a report. */
function addOutputOptions(command: Command, colour = true): Command {
  command.option('-o, --output <file>', 'write to FILE instead of standard output (written whole or not at all)');
  if (colour) command.addOption(new Option('--color <when>', 'colour in text output: auto (a terminal, NO_COLOR unset), always, never').choices(['auto', 'always', 'never']).default('auto'));
  return command;
}

/** Text for standard output or -o FILE: fitted to the terminal and coloured when that is wanted (report/terminal.ts). */
async function writeText(opts: OutputCliOptions, text: string, plain = false): Promise<void> {
  const traits = outputTraits(opts.color ?? 'auto', process.stdout, opts.output !== undefined && opts.output !== '-');
  await writeAll(opts.output, plain ? text : decorate(text, traits));
}

interface ExtractCliOptions {
  ascii: 'wire' | 'native';
  ebcdic: 'raw' | 'text';
  layout: 'flat' | 'tree';
}

function addExtractOptions(command: Command): Command {
  return command
    .addOption(new Option('--ascii <how>', 'TYPE A files: as on the wire (CR LF) or native (LF)').choices(['wire', 'native']).default('wire'))
    .addOption(new Option('--ebcdic <how>', 'TYPE E files: raw EBCDIC or text (code page 037 to UTF-8)').choices(['raw', 'text']).default('raw'))
    .addOption(new Option('--layout <layout>', 'flat: every file in DIR; tree: DIR/session-N/remote/dirs/name').choices(['flat', 'tree']).default('flat'));
}

/**
 * The extract command's analysis: every transfer written under `dir`; the caller ends the sink
 * (manifest.json). Only the files and the capture warnings are wanted, so each session is
 * dropped once it is over and no statistics, listings, TCP analysis or checksum verification
 * (whose results only the report shows) are made — memory stays flat however many sessions
 * the capture has. No TCP figures either, so (as for creds) a connection is handed on as soon
 * as its teardown completed, which frees its session without waiting out the linger time.
 */
async function analyzeExtracting(
  captures: string[], opts: FtpCliOptions & ExtractCliOptions, dir: string, capture: ReadCaptureOptions,
): Promise<{ report: Report; sink: FileSink }> {
  const sink = await FileSink.create(dir, { layout: opts.layout });
  const base = { ...analyzeOptions(opts), capture };
  const ftp = { ...base.ftp, extract: { sink, decode: { ascii: opts.ascii, ebcdic: opts.ebcdic } }, keepSessions: false, releaseOn: 'close' as const, listings: false };
  const report = await analyzeCaptures(captures, opts, { ...base, ftp, statistics: false, tcp: { analysis: false, checksums: false, doneLingerNs: 0 } });
  return { report, sink };
}

/** One line of `extract`'s summary per file written. */
function extractionLine(f: ManifestEntry): string {
  const what = f.command ? `${f.command}${f.argument ? ` ${f.argument}` : ''}` : 'orphan data connection';
  const state = f.complete ? 'complete' : `INCOMPLETE, missing ${f.missing.map(([a, b]) => `${a}-${b ?? 'end'}`).join(', ')}`;
  const where = f.pieces ? `whole file from ${f.pieces.length} pieces: ${f.pieces.map((p) => `${escapeControls(p.name)} ${p.start}-${p.end}`).join(', ')}` : `stream ${f.stream ?? '?'}`;
  return `  ${escapeControls(f.name)}  ${f.size} bytes  sha256 ${f.sha256}  ${escapeControls(what)}  (${where}, ${state})\n`;
}

/**
 * Ends extraction, writing manifest.json, and prints the summary as the manifest is written,
 * entry by entry (a capture of a million files has a manifest longer than a string can be):
 * a line per file, or with `json` the manifest itself.
 */
async function finishExtraction(sink: FileSink, dir: string, json: boolean): Promise<void> {
  const out = new OutputWriter(process.stdout);
  let since = 0;
  const pace = (text: string) => {
    out.write(text);
    since += text.length;
    if (since < 1024 * 1024) return undefined;
    since = 0;
    return out.drained();
  };
  await sink.finish(json
    ? { text: pace }
    : {
      start: (m) => void out.write(`${m.fileCount} file${m.fileCount === 1 ? '' : 's'} written to ${dir} (${m.name}):\n`),
      entry: (f) => pace(extractionLine(f)),
    });
  await out.end();
}

function printReportWarnings(report: { captures: Array<{ name: string; warnings: CaptureWarning[] }> }): void {
  for (const capture of report.captures) printCaptureWarnings(capture.name === '-' ? 'standard input' : capture.name, capture.warnings);
}

/** Where a report made session by session keeps its sessions meanwhile: beside -o FILE, else the system's temporary folder. */
function spoolDir(output: string | undefined): string {
  return output !== undefined && output !== '-' ? dirname(resolve(output)) : tmpdir();
}

type ReportCliOptions = FtpCliOptions & OutputCliOptions & ExtractCliOptions & { extract?: string };

/**
 * The report's analysis session by session (analyzeSessionBySession), each session handed to
 * `onSession` as it ends; with --extract every transfer is also written under DIR (a session is
 * handed on once its files are written, so its transfers name them) and manifest.json is
 * written before the report. Listings are parsed for a summary (their first entries and counts:
 * all the text and Markdown reports show) unless `listings` says otherwise (the JSON report has
 * every entry, the HTML report none).
 */
function reportSessions(
  captures: string[],
  opts: ReportCliOptions,
  statistics: boolean,
  onSession: NonNullable<SessionBySessionOptions['onSession']>,
  listings: boolean | 'summary' = 'summary',
): Promise<Report> {
  return withProgress(captures, opts, false, async (capture) => {
    const base: AnalyzeOptions = { ...analyzeOptions(opts), capture };
    const sink = opts.extract !== undefined ? await FileSink.create(opts.extract, { layout: opts.layout }) : undefined;
    const options: AnalyzeOptions = sink ? { ...base, ftp: { ...base.ftp, extract: { sink, decode: { ascii: opts.ascii, ebcdic: opts.ebcdic } } } } : base;
    const report = await analyzeSessionBySession(captures, options, { separately: opts.separate === true, listings, statistics, onSession });
    await sink?.finish();
    return report;
  });
}

/**
 * The text report made session by session (analyzeSessionBySession): each session's text is
 * made as it ends and kept in a spool file beside the output (or in the system's temporary
 * folder), so memory does not grow with the sessions; the report is then written in order,
 * byte for byte what the whole-report renderer gives, fitted and coloured piece by piece.
 */
async function textReportBySession(captures: string[], opts: ReportCliOptions & { allLines?: boolean; time: 'relative' | 'epoch' }): Promise<void> {
  const stream = new SessionsTextStream({ allReplyLines: opts.allLines === true, time: opts.time }, spoolDir(opts.output));
  const report = await reportSessions(captures, opts, false, (s, context) => stream.add(s, context));
  const out = await Output.open(opts.output);
  const traits = outputTraits(opts.color ?? 'auto', process.stdout, out.toFile);
  // Not fitted nor coloured (a file, a pipe): the sessions' text goes out as the spool's bytes.
  const plain = leavesPlain(traits);
  let since = 0;
  for (const piece of plain ? stream.output(report) : stream.pieces(report)) {
    if (typeof piece !== 'string') out.writer.writeBytes(piece, true);
    // Whole lines each: fitting to the terminal and colouring look at nothing beyond a session.
    else out.write(plain ? piece : `${decorate(piece.slice(0, -1), traits)}\n`);
    since += piece.length;
    if (since >= 1024 * 1024) {
      since = 0;
      await out.writer.drained();
    }
  }
  await out.commit();
  printReportWarnings(report);
}

/**
 * The JSON report made session by session (as textReportBySession): each session's JSON is made
 * as it ends and kept in a spool file; the report is then written in pieces, byte for byte the
 * whole report's JSON.
 */
async function jsonReportBySession(captures: string[], opts: ReportCliOptions): Promise<void> {
  const stream = new ReportJsonStream(spoolDir(opts.output));
  // Every entry of every listing: the JSON report has them all.
  const report = await reportSessions(captures, opts, true, (s) => stream.add(s), true);
  await writeAllPieces(opts.output, stream.output(report));
  printReportWarnings(report);
}

/** The Markdown report made session by session (as textReportBySession), byte for byte the whole report's. */
async function markdownReportBySession(captures: string[], opts: ReportCliOptions): Promise<void> {
  const stream = new MarkdownReportStream({}, spoolDir(opts.output));
  const report = await reportSessions(captures, opts, true, (s, context) => stream.add(s, context));
  await writeAllPieces(opts.output, stream.pieces(report));
  printReportWarnings(report);
}

/** The HTML report made session by session (as textReportBySession), byte for byte the whole report's; plots included. */
async function htmlReportBySession(captures: string[], opts: ReportCliOptions): Promise<void> {
  const stream = new HtmlReportStream(htmlOptions(opts), spoolDir(opts.output));
  // Listings are not parsed: the HTML report shows none (without --extract a listing's bytes are
  // then not decoded at all; nothing else reads that decoding).
  const report = await reportSessions(captures, opts, true, (s, context) => stream.add(s, context), false);
  await writeAllPieces(opts.output, stream.output(report));
  printReportWarnings(report);
}

/** With --extract, the HTML report links each transfer to its file, relative to the report's folder. */
function htmlOptions(opts: { output?: string; extract?: string }): HtmlOptions {
  const from = opts.output !== undefined ? dirname(resolve(opts.output)) : process.cwd();
  const extractDir = opts.extract;
  return extractDir === undefined ? {}
    : { extractedHref: (name: string) => relative(from, resolve(extractDir, name)).split(sep).map(encodeURIComponent).join('/') };
}

addExtractOptions(addFtpOptions(
  program
    .command('report', { isDefault: true })
    .description('the lab report (default command): per FTP session the server and ports, handshake, greeting, login and credentials, every command and reply with frames, TLS, teardown')
    .argument('<captures...>', 'capture files (pcap or pcapng, optionally gzip-compressed), or - for standard input; several are merged by time into one trace, as mergecap does')
    .addOption(new Option('--format <format>', 'output format: text, json, md (Markdown lab report), html (one self-contained page with plots; use -o)').choices(['text', 'json', 'md', 'html']).default('text'))
    .option('--separate', SEPARATE_HELP)
    .option('-o, --output <file>', 'write the report to FILE instead of standard output (written whole or not at all)')
    .addOption(new Option('--color <when>', 'colour in text output: auto (a terminal, NO_COLOR unset), always, never').choices(['auto', 'always', 'never']).default('auto'))
    .option('--all-lines', 'show every line of multi-line replies (FEAT, HELP, STAT)')
    .addOption(new Option('--time <kind>', 'times in the timeline').choices(['relative', 'epoch']).default('relative'))
    .option('--extract <dir>', 'also write every transferred file (downloads, uploads, listings) to DIR, with DIR/manifest.json')
    .option('--plots', "JSON: add each data connection's time-sequence graph points (connection.plot, at most 2000 per series); html always has them"),
))
  .addHelpText('after', `
JSON: { schemaVersion, captures, sessions, credentials, … }; each session has id, client and
server ({ip, port}), controlStream (Wireshark's tcp.stream), banner, serverName, logins,
encrypted, and commands: [{frame, frames, command, arg, replies: [{frame, code, text}]}].
Every key is described in docs/json-schema.md (JSON Schema: docs/report.schema.json).

Examples:
  ftp-inspect fixtures/active-port.pcap
  ftp-inspect capture.pcap --ftp-port 2121 --redact
  ftp-inspect capture.pcap --format json | jq '.credentials'
  ftp-inspect capture.pcap --format md -o lab-report.md      the lab questions answered in order, paste-ready
  ftp-inspect capture.pcap --format html -o report.html --extract files/
                                                    one offline page: timeline, tables, plots, links to files/

Text output is wrapped to the terminal's width (COLUMNS, else the terminal's own) and coloured
only on a terminal with NO_COLOR unset (FORCE_COLOR or --color always force it); piped or
written with -o it is neither wrapped nor coloured.

${EXIT_STATUS_HELP}`)
  .action(async (captures: string[], opts: FtpCliOptions & ExtractCliOptions & OutputCliOptions & { format: 'text' | 'json' | 'md' | 'html'; allLines?: boolean; time: 'relative' | 'epoch'; extract?: string }) => {
    if (opts.format === 'html') opts.plots = true;
    // Every format is made session by session (memory does not grow with the sessions),
    // byte for byte what the whole-report renderers give (test/report/*Stream.test.ts).
    if (opts.format === 'json') await jsonReportBySession(captures, opts);
    else if (opts.format === 'md') await markdownReportBySession(captures, opts);
    else if (opts.format === 'html') await htmlReportBySession(captures, opts);
    else await textReportBySession(captures, opts);
  });

addExtractOptions(addFtpOptions(
  program
    .command('extract')
    .description('write every file transferred over FTP (downloads, uploads, listings) to DIR, decoded (MODE Z/B/C, TYPE A/E as asked), with sha256 and DIR/manifest.json')
    .argument('<captures...>', 'capture files, or - for standard input')
    .requiredOption('-o, --output <dir>', 'output directory (created if needed; nothing in it is overwritten)')
    .option('--separate', SEPARATE_HELP)
    .addOption(new Option('--format <format>', 'summary format').choices(['text', 'json']).default('text')),
))
  .addHelpText('after', `
Names are the remote base names, sanitised (never outside DIR, never over an existing file);
listings are saved as text; an incomplete file is still written and its missing ranges listed.

Examples:
  ftp-inspect extract capture.pcap -o out/
  ftp-inspect extract capture.pcap -o out/ --ascii native && jq '.files[] | {name, sha256, complete}' out/manifest.json

${EXIT_STATUS_HELP}`)
  .action(async (captures: string[], opts: FtpCliOptions & ExtractCliOptions & { output: string; format: 'text' | 'json' }) => {
    const { report, sink } = await withProgress(captures, { quiet: opts.quiet }, false, (capture) => analyzeExtracting(captures, opts, opts.output, capture));
    await finishExtraction(sink, opts.output, opts.format === 'json');
    printReportWarnings(report);
  });

addOutputOptions(addFtpOptions(
  program
    .command('creds')
    .description('cleartext FTP credentials in one or more captures; exit status 1 when any was found, 0 when none, 2 on error')
    .argument('<captures...>', 'capture files, or - for standard input; several are merged by time into one trace')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--separate', SEPARATE_HELP),
), true)
  .addHelpText('after', `
Examples:
  ftp-inspect creds capture.pcap
  ftp-inspect creds --redact --format json day1.pcap day2.pcapng
  if ! ftp-inspect creds upload.pcap > /dev/null; then echo "cleartext FTP login found"; fi

${EXIT_STATUS_HELP}`)
  .action(async (captures: string[], opts: FtpCliOptions & OutputCliOptions & { format: 'text' | 'json' }) => {
    // Sessions are dropped as they end and only their credentials kept: an auditor's capture may be large.
    const report = await withProgress(captures, opts, false, (capture) => analyzeCredentials(captures, { ...analyzeOptions(opts), capture }, opts.separate === true));
    await writeText(opts, opts.format === 'json' ? renderCredentialsJson(report) : renderCredentialsText(report), opts.format === 'json');
    printReportWarnings(report);
    if (hasCleartextCredentials(report)) exitStatus = EXIT_CREDENTIALS_FOUND;
  });

addOutputOptions(addFtpOptions(
  program
    .command('stats')
    .description("the statistics alone: Wireshark's Packet Lengths (all frames, FTP control, FTP data), TCP conversations (as tshark -z conv,tcp), frame sizes each way per connection, session durations and transfer throughput")
    .argument('<captures...>', 'capture files (pcap or pcapng, optionally gzip-compressed), or - for standard input; several are merged by time into one trace, as mergecap does')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')),
), true)
  .addHelpText('after', `
JSON: { schemaVersion, statistics }, the same statistics object as the full report's:
packetLengths.{all, ftpControl, ftpData}: [{range, count, average, min, max, rate, percent}]
(first row "Packet Lengths" is the total, then "0-19" … "5120 and greater"), conversations,
connections, sessions.

Examples:
  ftp-inspect stats fixtures/pasv-download.pcap
  ftp-inspect stats capture.pcap --format json | jq '.statistics.packetLengths.ftpData'

${EXIT_STATUS_HELP}`)
  .action(async (captures: string[], opts: FtpCliOptions & OutputCliOptions & { format: 'text' | 'json' }) => {
    // The statistics need a little of each session; the sessions themselves are not kept, and
    // are let go once their connections closed: the TCP facts the statistics read of them come
    // from the connection summaries the statistics keep anyway (analyze.ts, withTcpFigures).
    const report = await withProgress(captures, opts, false, (capture) => analyzeSessionBySession(captures, { ...analyzeOptions(opts), capture }, { statistics: true, releaseOn: 'close' }));
    const statistics = report.statistics;
    if (statistics === undefined) throw new Error('no statistics for this capture');
    // In pieces (the tables of every connection a batch of rows at a time), unless the text is
    // to be fitted to a terminal or coloured, which takes it whole.
    const traits = outputTraits(opts.color ?? 'auto', process.stdout, opts.output !== undefined && opts.output !== '-');
    if (opts.format === 'json') await writeAllPieces(opts.output, statisticsJsonChunks(report.schemaVersion, statistics));
    else if (leavesPlain(traits)) await writeAllPieces(opts.output, statisticsTextPieces(statistics));
    else await writeText(opts, renderStatisticsText(statistics));
    printReportWarnings(report);
  });

program
  .command('packets')
  .description("list frames as Wireshark's packet list does: No., Time, Source, Destination, Protocol, Length, Info")
  .argument('<captures...>', 'capture files (pcap or pcapng, optionally gzip-compressed), or - for standard input; several are merged by time into one trace, numbered as in mergecap\'s output')
  .addOption(new Option('-f, --filter <kind>', 'show only frames of one kind (ftp means the FTP control ports; analysis: frames with TCP analysis flags, as tcp.analysis.flags in Wireshark)').choices(PACKET_FILTERS))
  .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
  .option('--ftp-port <ports>', 'extra TCP port(s) carrying FTP control traffic, comma-separated (21 always counts)', parsePorts)
  .option('-o, --output <file>', 'write to FILE instead of standard output (written whole or not at all)')
  .option('-q, --quiet', QUIET_HELP)
  .addHelpText('after', `
JSON: an array with one object per frame: frame, time (epoch seconds, nine decimals), relTime,
length, capturedLength, linkType, src, dst, protocol, info, warnings, and for TCP
tcp: {stream, srcPort, dstPort, flags, seq, ack (relative), seqRaw, ackRaw, len, window, windowRaw},
and when Wireshark would show them: handshake, analysis (tcp.analysis.* names), dupAckNum,
dupAckFrame, acksFrame. With several captures each row also has capture (0-based index of
its file, in the order given) and captureFrame (its number within that file).

Examples:
  ftp-inspect packets fixtures/pasv-download.pcap --filter handshake
  ftp-inspect packets capture.pcap --filter analysis       retransmissions, lost segments, dup ACKs, …
  ftp-inspect packets capture.pcap --format json | jq '.[] | select(.tcp.flags == 2) | .frame'

${EXIT_STATUS_HELP}`)
  .action(async (captures: string[], opts: { filter?: PacketFilter; format: 'text' | 'json'; ftpPort?: number[]; output?: string; quiet?: boolean }) => {
    const target = await Output.open(opts.output);
    const out = target.writer;
    const json = opts.format === 'json';
    let first = true;
    if (json) out.write('[');
    else out.write(`${packetListHeader()}\n`);
    const summaries = await withProgress(captures, opts, true, (capture) => listPackets(
      captures,
      (row) => {
        if (json) {
          out.write(`${first ? '\n' : ',\n'}${JSON.stringify(row)}`);
          first = false;
        } else {
          out.write(`${packetListLine(row)}\n`);
        }
      },
      {
        ...(opts.filter ? { filter: opts.filter } : {}),
        ftpPorts: [21, ...(opts.ftpPort ?? [])],
        capture: { ...capture, onChunkEnd: () => out.drained() },
      },
    ));
    if (json) out.write(first ? ']\n' : '\n]\n');
    await target.commit();
    summaries.forEach((summary, i) => printCaptureWarnings(captures[i] === '-' ? 'standard input' : captures[i]!, summary.warnings));
  });

registerFollow(program, { addFtpOptions, withProgress, analyzeOptions: analyzeOptions as (opts: never) => AnalyzeOptions, warn, printWarnings: printCaptureWarnings, exitStatusHelp: EXIT_STATUS_HELP });
registerSessions(program, { addFtpOptions, withProgress, separateHelp: SEPARATE_HELP, analyzeOptions: analyzeOptions as (opts: never) => AnalyzeOptions, printReportWarnings, exitStatusHelp: EXIT_STATUS_HELP });

/** Set by a command whose result is an exit status of its own (creds). */
let exitStatus = 0;

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return exitStatus;
  } catch (error) {
    await abortOpenOutputs();
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE_OR_INPUT;
    }
    if (error instanceof CaptureFormatError) {
      process.stderr.write(`ftp-inspect: ${escapeControls(error.message)}\n`);
      return EXIT_USAGE_OR_INPUT;
    }
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EPIPE') return 0; // the reader went away (| head): not an error of ours
    if (code === 'EMFILE' || code === 'ENFILE') {
      // Several captures are merged with every one of them open at once (as mergecap does).
      const path = (error as NodeJS.ErrnoException).path ?? '';
      process.stderr.write(`ftp-inspect: cannot open ${escapeControls(path)}: too many files open at once; several captures are read together, each kept open — raise the limit (ulimit -n) or give fewer captures (mergecap can join them first)\n`);
      return EXIT_USAGE_OR_INPUT;
    }
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      const path = (error as NodeJS.ErrnoException).path ?? '';
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : 'is a directory';
      process.stderr.write(`ftp-inspect: cannot read ${escapeControls(path)}: ${why}\n`);
      return EXIT_USAGE_OR_INPUT;
    }
    process.stderr.write(`ftp-inspect: ${escapeControls(error instanceof Error ? error.message : String(error))}\n`);
    return EXIT_USAGE_OR_INPUT;
  }
}

// A reader that went away (`ftp-inspect --help | head -1`) makes writes fail with EPIPE. The
// commands' outputs notice it and stop (main); text printed by commander itself (help,
// version, usage errors) has no one listening, and an unheard 'error' event would end the
// process with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

limitHeapGrowth();
process.exitCode = await main(process.argv);
