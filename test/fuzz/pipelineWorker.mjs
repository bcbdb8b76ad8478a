// Child process of the pipeline fuzzer (pipeline.fuzz.test.ts): runs everything the CLI commands
// do — packets, report (text, JSON, Markdown, HTML), creds, stats, extract
// into a folder — on one capture per message, against the built library in dist/.
//
// It runs apart from the test so that a hang can be cut off (the parent kills it after a time
// limit) and memory is bounded (the parent starts it with --max-old-space-size; peak RSS is
// reported back). Messages in: { id, file, out, layout, ascii, redact }. Messages out:
// { id, ok: true, outcome, maxRssKiB } or { id, ok: false, error, maxRssKiB }, where a thrown
// error counts as ok only when it is our own CaptureFormatError (a clear "not a capture").
import { analyzeAll, CaptureFormatError, FileSink, listPackets, renderCredentialsJson, renderCredentialsText, renderReportJson, renderSessionsText } from '../../dist/index.js';
import { renderMarkdown } from '../../dist/report/markdown.js';
import { renderHtml } from '../../dist/report/html.js';
import { packetListLine } from '../../dist/report/packetListText.js';
import { renderStatisticsJson, renderStatisticsText } from '../../dist/stats/statsText.js';

async function runCase({ file, out, layout, ascii, redact }) {
  let chars = 0;
  const packets = await listPackets(file, (row) => {
    chars += packetListLine(row).length + JSON.stringify(row).length;
  });
  const sink = await FileSink.create(out, { layout });
  const options = { ftp: { ports: [21], contentDetection: true, redact, extract: { sink, decode: { ascii, ebcdic: 'text' } } } };
  let report;
  try {
    report = await analyzeAll([file], options);
  } finally {
    // The files written so far and their manifest, also when analysis failed.
    await sink.close();
  }
  chars += renderReportJson(report).length;
  chars += renderSessionsText(report, { allReplyLines: true, time: 'relative' }).length;
  chars += renderSessionsText(report, { allReplyLines: false, time: 'epoch' }).length;
  chars += renderMarkdown(report).length;
  chars += renderHtml(report, { extractedHref: (name) => encodeURIComponent(name) }).length;
  chars += renderCredentialsText(report).length + renderCredentialsJson(report).length;
  if (report.statistics) chars += renderStatisticsText(report.statistics).length + renderStatisticsJson(report.schemaVersion, report.statistics).length;
  return `${packets.frames} frames, ${report.sessions.length} sessions, ${packets.warnings.length} warnings, ${chars} characters of output`;
}

process.on('message', async (message) => {
  let reply;
  try {
    const outcome = await runCase(message);
    reply = { id: message.id, ok: true, outcome };
  } catch (error) {
    if (error instanceof CaptureFormatError) reply = { id: message.id, ok: true, outcome: `rejected: ${error.message}` };
    else reply = { id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  reply.maxRssKiB = process.resourceUsage().maxRSS;
  process.send(reply);
});
process.send({ ready: true });
