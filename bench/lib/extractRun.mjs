// Shared by the extraction stages (ftp-inspect extract, tshark --export-objects, tcpflow): runs
// the tool as a child into a fresh temporary folder, measures it from the outside
// (spawnMeasured.mjs: wall time spawn to exit, peak RSS and CPU from GNU time), then — outside
// the timed part — checks every recovered file against the originals (verifyFiles.mjs), removes
// the folder, and prints the result line (child.mjs). Before the timed part, `sync`: the
// previous run's gigabyte of files is still being written back to the disk, and a tool timed
// while the kernel does that ran up to twice as slow (extract on bulk: 1.9 s in the first run,
// 3.6 s in the next two, behind tcpflow's writes).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureArg, report, fail } from './child.mjs';
import { spawnMeasured } from './spawnMeasured.mjs';
import { verifyOutput } from './verifyFiles.mjs';

/**
 * @param {{ stage: string, script: string, command: (capture: string, outDir: string) => [string, string[]],
 *   okCodes?: Array<number | string>, inspect?: (outDir: string) => object, note: string }} spec
 */
export async function runExtraction(spec) {
  const { file, fileBytes } = captureArg(spec.script);
  // BENCH_TMP: where the tools write (default the system temp folder, i.e. a real disk here).
  const work = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), `bench-${spec.stage}-`));
  const outDir = join(work, 'out');
  try {
    const [cmd, args] = spec.command(file, outDir);
    try {
      execFileSync('sync', { stdio: 'ignore' });
    } catch {
      // No sync(1) (not Linux or macOS): timed as before.
    }
    const run = await spawnMeasured(cmd, args);
    if (!(spec.okCodes ?? [0]).includes(run.code)) {
      throw new Error(`${cmd} exited with ${run.code}: ${run.stderr.trim().split('\n').slice(-4).join(' | ')}`);
    }
    const files = process.env.BENCH_VERIFY === '0' ? null : await verifyOutput(file, outDir);
    const extra = spec.inspect ? spec.inspect(outDir) : {};
    report({
      stage: spec.stage, file, fileBytes, packets: null,
      wallMs: run.wallMs, maxRssBytes: run.maxRssBytes, rssSource: run.rssSource,
      cpuUserMs: run.cpuUserMs, cpuSystemMs: run.cpuSystemMs,
      files, ...extra, note: spec.note,
    });
  } catch (err) {
    fail(err);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
