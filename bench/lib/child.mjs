// Shared by the bench/measure-*.mjs scripts: each runs in a fresh node process, measures one
// pass over one capture, and prints exactly one JSON line on stdout for bench/run.mjs:
//   { stage, file, fileBytes, packets, wallMs, maxRssBytes, rssSource, cpuUserMs, cpuSystemMs, ... }
// Anything else a measure script wants to say goes to stderr.
import { statSync } from 'node:fs';

/** The capture named on the command line, with its size; exits 2 on a usage error. */
export function captureArg(scriptName) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write(`usage: node bench/${scriptName} CAPTURE.pcap\n`);
    process.exit(2);
  }
  return { file, fileBytes: statSync(file).size };
}

/** Monotonic clock in milliseconds. */
export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

let cpuAtStart;

/** Marks the start of the measured pass (for the CPU times in the report); returns nowMs(). */
export function startPass() {
  cpuAtStart = process.cpuUsage();
  return nowMs();
}

/**
 * Prints the result line. Peak RSS is this process's own (getrusage maxrss, which Node reports
 * in KiB) unless the caller measured another process and passes maxRssBytes itself. CPU times
 * are this process's since startPass() (all its threads), unless the caller passes its own.
 */
export function report(result) {
  const ru = process.resourceUsage();
  const cpu = process.cpuUsage(cpuAtStart);
  const line = {
    maxRssBytes: ru.maxRSS * 1024,
    rssSource: 'process.resourceUsage().maxRSS',
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    ...result,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Prints the error and exits 1, so run.mjs can show what went wrong in that cell. */
export function fail(err) {
  process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
}
