// Vitest global setup: every temporary folder the tests make (os.tmpdir(), which reads TMPDIR
// each time it is called) and every CLI they spawn go into one folder of this run, removed at
// the end; the suites themselves need not clean up after each test, and a run leaves nothing
// in the system's temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'ftp-inspect-tests-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true });
  };
}
