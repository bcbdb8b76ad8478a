// tshark is the reference peer. CI installs it; on a machine without it the differential
// tests are skipped and say so in their titles.
import { execFileSync, spawnSync } from 'node:child_process';

export const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
export const tsharkNote = hasTshark ? '' : ' [SKIPPED: tshark not installed]';

// CI sets this so a missing tshark fails the run instead of silently skipping the peer checks.
if (!hasTshark && process.env.FTP_INSPECT_REQUIRE_TSHARK) {
  throw new Error('FTP_INSPECT_REQUIRE_TSHARK is set but tshark is not on PATH');
}

/**
 * Runs `tshark -r file -T fields` with the given fields and returns one record per frame,
 * each a map from field name to its text ('' when absent). Extra tshark options go in `args`.
 */
export function tsharkFields(file: string, fields: string[], args: string[] = []): Array<Record<string, string>> {
  const out = execFileSync(
    'tshark',
    ['-n', '-r', file, ...args, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,',
      ...fields.flatMap((f) => ['-e', f])],
    { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' },
  );
  const rows: Array<Record<string, string>> = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const cells = line.split('\t');
    const row: Record<string, string> = {};
    fields.forEach((f, i) => (row[f] = cells[i] ?? ''));
    rows.push(row);
  }
  return rows;
}
