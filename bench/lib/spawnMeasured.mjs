// Runs one external command (a baseline tool, or ftp-inspect's own CLI) and measures it from
// the outside, the same way for every tool: wall time from spawn to exit, peak RSS and CPU time
// from GNU time (`/usr/bin/time -f '%M %U %S'`, the kernel's rusage of the child) when installed,
// otherwise the kernel's high-water mark (VmHWM in /proc/PID/status) sampled every 5 ms.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowMs } from './child.mjs';

const TIME = '/usr/bin/time';

function readHwmKiB(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // already gone
  }
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<{ code: number | string, stderr: string, wallMs: number, maxRssBytes: number,
 *   rssSource: string, cpuUserMs: number | null, cpuSystemMs: number | null }>}
 */
export async function spawnMeasured(cmd, args, options = {}) {
  const useTime = existsSync(TIME);
  const tmp = useTime ? mkdtempSync(join(tmpdir(), 'bench-time-')) : '';
  const timeOut = join(tmp, 'rusage');
  const [exe, argv] = useTime ? [TIME, ['-f', '%M %U %S', '-o', timeOut, cmd, ...args]] : [cmd, args];
  let stderr = '';
  let hwmKiB = 0;
  const t0 = nowMs();
  const child = spawn(exe, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: options.cwd, env: options.env ?? process.env });
  child.stderr.on('data', (d) => { if (stderr.length < 64_000) stderr += d; });
  const sampler = useTime ? undefined : setInterval(() => { hwmKiB = Math.max(hwmKiB, readHwmKiB(child.pid)); }, 5);
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, signal) => resolve(signal ?? c));
  });
  const wallMs = nowMs() - t0;
  if (sampler) clearInterval(sampler);
  if (!useTime) {
    return { code, stderr, wallMs, maxRssBytes: hwmKiB * 1024, rssSource: 'VmHWM sampled every 5 ms (approximate)', cpuUserMs: null, cpuSystemMs: null };
  }
  try {
    // GNU time writes "Command exited with non-zero status N" before its line when the command failed.
    const last = readFileSync(timeOut, 'utf8').trim().split('\n').pop() ?? '';
    const [rssKiB, user, sys] = last.split(' ').map(Number);
    return { code, stderr, wallMs, maxRssBytes: rssKiB * 1024, rssSource: 'GNU time %M', cpuUserMs: user * 1000, cpuSystemMs: sys * 1000 };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
