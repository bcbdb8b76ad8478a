// Stage "tcpdump": the native baseline, `tcpdump -r CAPTURE -w /dev/null` (libpcap reads every
// record and writes it out again, no dissection). Wall time runs from spawn to exit. Peak RSS
// is tcpdump's own: from GNU time (`/usr/bin/time -f %M`) when installed, otherwise the
// kernel's high-water mark (VmHWM in /proc/PID/status) sampled until the process exits.
// tcpdump does not count packets here; run.mjs fills in the capture's frame count.
//   node bench/measure-tcpdump.mjs CAPTURE.pcap
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureArg, nowMs, report, fail } from './lib/child.mjs';

const { file, fileBytes } = captureArg('measure-tcpdump.mjs');
const TIME = '/usr/bin/time';
const tcpdump = process.env.BENCH_TCPDUMP ?? 'tcpdump';
// -Z root: stay root when started as root, so the tcpdump user needs no read access to the
// capture. It changes nothing in the work done.
const args = ['-r', file, '-w', '/dev/null'];
if (process.getuid?.() === 0) args.push('-Z', 'root');

function readHwmKiB(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // already gone
  }
}

try {
  const useTime = existsSync(TIME);
  const tmp = useTime ? mkdtempSync(join(tmpdir(), 'bench-tcpdump-')) : '';
  const timeOut = join(tmp, 'rss');
  const [cmd, argv] = useTime ? [TIME, ['-f', '%M %U %S', '-o', timeOut, tcpdump, ...args]] : [tcpdump, args];

  let stderr = '';
  let hwmKiB = 0;
  const t0 = nowMs();
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => { stderr += d; });
  const sampler = useTime ? undefined : setInterval(() => { hwmKiB = Math.max(hwmKiB, readHwmKiB(child.pid)); }, 5);
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, signal) => resolve(signal ? signal : c));
  });
  const wallMs = nowMs() - t0;
  if (sampler) clearInterval(sampler);
  if (code !== 0) throw new Error(`tcpdump exited with ${code}: ${stderr.trim()}`);

  // CPU times are tcpdump's when GNU time is there; null otherwise (this process's would mislead).
  let maxRssBytes, rssSource, cpuUserMs = null, cpuSystemMs = null;
  if (useTime) {
    const [rssKiB, user, sys] = readFileSync(timeOut, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    maxRssBytes = rssKiB * 1024;
    cpuUserMs = user * 1000;
    cpuSystemMs = sys * 1000;
    rssSource = 'GNU time %M';
    rmSync(tmp, { recursive: true, force: true });
  } else {
    maxRssBytes = hwmKiB * 1024;
    rssSource = 'VmHWM sampled every 5 ms (approximate)';
  }
  report({
    stage: 'tcpdump', file, fileBytes, packets: null, wallMs, maxRssBytes, rssSource, cpuUserMs, cpuSystemMs,
    note: 'wall time is spawn to exit',
  });
} catch (err) {
  fail(err);
}
