#!/usr/bin/env node
// `npm run bench`: ftp-inspect against its baselines on two real FTP captures.
//
// For every capture in CAPTURES and every stage in STAGES, a fresh child process
// (`node bench/<stage script> <capture>`) makes one pass over the capture and prints one JSON
// line (see bench/lib/child.mjs). Each pair runs once untimed first (warm-up: JIT, and the
// capture into the page cache), then BENCH_RUNS timed rounds, interleaved across stages.
// Throughput is file bytes / wall time, median of the runs; peak RSS is the highest of the runs.
//
// To add a stage (reassembly, FTP, extraction, ...): write bench/measure-<id>.mjs that reports
// through bench/lib/child.mjs, and add one entry to STAGES (and, if it has targets, to GOALS).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanPcap } from './lib/pcapScan.mjs';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const root = join(benchDir, '..');
const dataDir = process.env.BENCH_DATA ?? join(benchDir, 'data');

/** The captures, made by bench/make-captures.sh. */
const CAPTURES = [
  { name: 'bulk', file: 'bulk.pcap', about: 'a few large RETR/STOR transfers' },
  { name: 'many', file: 'many.pcap', about: 'thousands of short sessions: login, LIST, small RETR, QUIT' },
];

/**
 * The stages. `role: 'ours'` rows are ftp-inspect code and get ratios against every
 * `role: 'baseline'` row of the same `group` ('read' when absent): 'read' stages read and
 * decode, 'pipeline' stages do a whole extraction, and their output files are checked
 * byte for byte against the originals. `countsPackets: false` means the script cannot count
 * packets and the capture's frame count (from bench/lib/pcapScan.mjs) stands in.
 */
const STAGES = [
  { id: 'ftp-inspect', script: 'measure-ftp-inspect.mjs', role: 'ours', label: 'ftp-inspect read + decode' },
  { id: 'ftp-inspect-tcp', script: 'measure-ftp-inspect-tcp.mjs', role: 'ours', label: 'ftp-inspect read + decode + TCP stage (analysis, reassembly)' },
  { id: 'ftp-inspect-read', script: 'measure-ftp-inspect-read.mjs', role: 'ours', label: 'ftp-inspect read only' },
  { id: 'pcap-parser', script: 'measure-pcap-parser.mjs', role: 'baseline', label: 'pcap-parser read (JS, no decoding)' },
  { id: 'tcpdump', script: 'measure-tcpdump.mjs', role: 'baseline', countsPackets: false, label: 'tcpdump -r F -w /dev/null (native)' },
  { id: 'extract', script: 'measure-extract.mjs', role: 'ours', group: 'pipeline', countsPackets: false, label: 'ftp-inspect extract (CLI: FTP analysis + every file)', tool: '**ftp-inspect extract** (FTP analysis + every file written)' },
  { id: 'tshark-export', script: 'measure-tshark-export.mjs', role: 'baseline', group: 'pipeline', countsPackets: false, label: 'tshark --export-objects ftp-data', tool: 'tshark `--export-objects ftp-data`' },
  { id: 'tcpflow', script: 'measure-tcpflow.mjs', role: 'baseline', group: 'pipeline', countsPackets: false, label: 'tcpflow -r F -o DIR (reassembly, no FTP)', tool: 'tcpflow (TCP reassembly only, no FTP, C++)' },
];
const groupOf = (s) => s.group ?? 'read';

/**
 * Targets printed as PASS/MISS next to the numbers. capture '*' means every capture. Metrics:
 * mbps, pps, rssMB (peak RSS, MB), speedVs (throughput ratio to `baseline`), filesExact
 * (originals recovered byte-exact; PASS when all of them, in every run), extraCost (wall time
 * over that of stage `relativeTo`, minus 1; PASS when at most `max`).
 */
const GOALS = [
  { stage: 'ftp-inspect', capture: 'bulk', metric: 'mbps', min: 1000, text: 'throughput ≥ 1,000 MB/s on bulk' },
  { stage: 'ftp-inspect', capture: 'many', metric: 'pps', min: 700_000, text: '≥ 700,000 packets/s on many' },
  { stage: 'ftp-inspect', capture: '*', metric: 'rssMB', max: 100, text: 'peak RSS < 100 MB' },
  { stage: 'extract', capture: 'bulk', metric: 'speedVs', baseline: 'tshark-export', min: 5, text: '≥ 5× tshark export-objects on bulk' },
  { stage: 'extract', capture: 'bulk', metric: 'speedVs', baseline: 'tcpflow', min: 1, text: '≥ 1× tcpflow on bulk' },
  { stage: 'extract', capture: 'many', metric: 'speedVs', baseline: 'tshark-export', min: 7, text: '≥ 7× tshark export-objects on many' },
  { stage: 'extract', capture: '*', metric: 'rssMB', max: 200, text: 'peak RSS < 200 MB' },
  { stage: 'extract', capture: '*', metric: 'filesExact', text: 'every file byte-exact' },
  // extraCost: wall time over that of stage `relativeTo`, minus 1 (issue #3: the TCP stage costs
  // at most a third of read + decode).
  { stage: 'ftp-inspect-tcp', capture: '*', metric: 'extraCost', relativeTo: 'ftp-inspect', max: 0.33, text: 'costs ≤ 33% on top of read + decode' },
  // Our own target for the TCP stage, the reader's carried over (issue #3 asks only that memory stay bounded).
  { stage: 'ftp-inspect-tcp', capture: '*', metric: 'rssMB', max: 100, text: 'peak RSS < 100 MB' },
];

const CHILD_TIMEOUT_MS = Number(process.env.BENCH_CHILD_TIMEOUT_S ?? 900) * 1000;

// ---------------------------------------------------------------------------------------------

function usage(code) {
  const text = `usage: npm run bench -- [options]      (or: node bench/run.mjs [options])

Measures, in one run, ftp-inspect's reader + decoder against pcap-parser and tcpdump, and
the whole \`ftp-inspect extract\` against tshark --export-objects and tcpflow, on the
captures in ${shown(dataDir)}/ (${CAPTURES.map((c) => c.file).join(', ')}).

options:
  --json             print the results as JSON on stdout (progress still goes to stderr)
  --runs N           timed runs per stage and capture (default: BENCH_RUNS or 3); median is used
  --warmup N         untimed runs per stage and capture before the timed ones (default 1; every
                     run is a fresh process, so a warm-up only puts the capture into the page
                     cache — 0 is fine when it is there already)
  --captures LIST    comma-separated subset of: ${CAPTURES.map((c) => c.name).join(', ')}
  --stages LIST      comma-separated subset of: ${STAGES.map((s) => s.id).join(', ')}
  --make             make missing captures first (runs bench/make-captures.sh, as root)
  --build            run \`npm run build\` first (the bench measures dist/)
  --check-goals      exit 1 when a goal is missed
  --scale            instead of the stages: peak RSS of \`ftp-inspect extract\` as the capture grows,
                     on cuts of each capture (editcap -r, kept in ${shown(join(dataDir, 'scale'))}/)
  --scale-sizes LIST fractions of each capture for --scale (default 0.25,0.5,1: bulk gives
                     ~0.25, 0.5 and 1 GB)
  -h, --help         this text

environment: BENCH_RUNS, BENCH_DATA (capture directory), BENCH_BULK_MB / BENCH_MANY_MB (sizes
for --make), BENCH_CHILD_TIMEOUT_S (per child process, default 900).
exit status: 0 done, 1 a measurement failed (or --check-goals and a goal missed),
2 usage error or captures missing.`;
  (code === 0 ? process.stdout : process.stderr).write(`${text}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const opts = {
    json: false,
    runs: Number(process.env.BENCH_RUNS ?? 3),
    warmup: 1,
    captures: CAPTURES.map((c) => c.name),
    stages: STAGES.map((s) => s.id),
    make: false,
    build: false,
    checkGoals: false,
    scale: false,
    scaleSizes: [0.25, 0.5, 1],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) usage(2);
      return v;
    };
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    switch (name) {
      case '--json': opts.json = true; break;
      case '--runs': opts.runs = Number(value()); break;
      case '--warmup': opts.warmup = Number(value()); break;
      case '--captures': opts.captures = value().split(',').filter(Boolean); break;
      case '--stages': opts.stages = value().split(',').filter(Boolean); break;
      case '--make': opts.make = true; break;
      case '--build': opts.build = true; break;
      case '--check-goals': opts.checkGoals = true; break;
      case '--scale': opts.scale = true; break;
      case '--scale-sizes': opts.scale = true; opts.scaleSizes = value().split(',').filter(Boolean).map(Number); break;
      case '-h': case '--help': usage(0); break;
      default: process.stderr.write(`unknown option ${a}\n`); usage(2);
    }
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1 || opts.runs > 100) {
    process.stderr.write('--runs / BENCH_RUNS must be an integer from 1 to 100\n');
    process.exit(2);
  }
  if (!Number.isInteger(opts.warmup) || opts.warmup < 0 || opts.warmup > 10) {
    process.stderr.write('--warmup must be an integer from 0 to 10\n');
    process.exit(2);
  }
  if (!opts.scaleSizes.length || opts.scaleSizes.some((f) => !(f > 0 && f <= 1))) {
    process.stderr.write('--scale-sizes: fractions of a capture, each above 0 and at most 1\n');
    process.exit(2);
  }
  for (const c of opts.captures) {
    if (!CAPTURES.some((x) => x.name === c)) { process.stderr.write(`unknown capture ${c}\n`); usage(2); }
  }
  for (const s of opts.stages) {
    if (!STAGES.some((x) => x.id === s)) { process.stderr.write(`unknown stage ${s}\n`); usage(2); }
  }
  return opts;
}

const log = (s = '') => process.stderr.write(`${s}\n`);
/** A path as the user would type it: relative to the repository when inside it. */
const shown = (p) => { const r = relative(root, p); return r.startsWith('..') ? p : r; };

// ---------------------------------------------------------------------------------------------
// Running one measurement

function runChild(stage, file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-deprecation', join(benchDir, stage.script), file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); err += `\nkilled after ${CHILD_TIMEOUT_MS / 1000} s`; }, CHILD_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      if (code === 0 && line) {
        try {
          resolve({ ok: true, result: JSON.parse(line) });
          return;
        } catch { /* fall through */ }
      }
      const why = err.trim().split('\n').slice(0, 6).join('\n') || `exit ${signal ?? code}, no output`;
      resolve({ ok: false, error: why });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------------------------------------
// Formatting

const int = (n) => (n == null || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const fix = (n, d = 1) => (n == null || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const mb = (bytes) => bytes / 1e6;
const ratio = (r) => (r == null || !Number.isFinite(r) ? '–' : `${r >= 10 ? fix(r, 1) : fix(r, 2)}×`);

function table(rows, align) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (align[i] === 'r' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

function markdownTable(header, rows, align) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

/** The lines `cmd args` prints, or [] when it cannot run. */
function toolLines(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.error ? [] : `${r.stdout}${r.stderr}`.trim().split('\n');
}

// ---------------------------------------------------------------------------------------------

/** "median of N timed run(s) after W warm-up run(s)", for the Markdown notes. */
let runText = '';

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  runText = `median of ${opts.runs} timed run${opts.runs === 1 ? '' : 's'} after ${opts.warmup} warm-up run${opts.warmup === 1 ? '' : 's'}`;
  const captures = CAPTURES.filter((c) => opts.captures.includes(c.name)).map((c) => ({ ...c, path: join(dataDir, c.file) }));
  const stages = STAGES.filter((s) => opts.stages.includes(s.id));

  let missing = captures.filter((c) => !existsSync(c.path));
  if (missing.length && opts.make) {
    const script = join(benchDir, 'make-captures.sh');
    const asRoot = process.getuid?.() === 0;
    const cmd = asRoot ? script : 'sudo';
    const args = asRoot ? missing.map((c) => c.name) : ['--preserve-env=BENCH_BULK_MB,BENCH_MANY_MB,BENCH_DATA', script, ...missing.map((c) => c.name)];
    log(`making ${missing.map((c) => c.name).join(', ')}: ${asRoot ? '' : 'sudo '}bench/make-captures.sh ${missing.map((c) => c.name).join(' ')}`);
    const r = spawnSync(cmd, args, { stdio: ['inherit', process.stderr, 'inherit'], cwd: root });
    if (r.status !== 0) {
      log(`bench/make-captures.sh failed (${r.error ? r.error.message : `exit ${r.status}`})`);
      process.exit(2);
    }
    missing = captures.filter((c) => !existsSync(c.path));
  }
  if (missing.length) {
    log(`missing capture${missing.length > 1 ? 's' : ''}: ${missing.map((c) => shown(c.path)).join(', ')}`);
    log('Make them (needs root: network namespaces, tcpdump, pure-ftpd):');
    log(`  sudo bench/make-captures.sh ${missing.map((c) => c.name).join(' ')}`);
    log('  (quick small ones: sudo BENCH_BULK_MB=50 BENCH_MANY_MB=20 bench/make-captures.sh)');
    log('or let the bench do it: npm run bench -- --make');
    process.exit(2);
  }

  if (opts.build) {
    log('npm run build');
    const r = spawnSync('npm', ['run', 'build'], { stdio: ['ignore', process.stderr, 'inherit'], cwd: root });
    if (r.status !== 0) { log('npm run build failed'); process.exit(1); }
  }

  // What is being measured.
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 1e9),
    node: process.version,
    tcpdump: toolLines('tcpdump', ['--version']).find((l) => l.startsWith('tcpdump')),
    libpcap: toolLines('tcpdump', ['--version']).find((l) => l.startsWith('libpcap')),
  };
  const distStale = staleDist();
  for (const c of captures) {
    c.scan = scanPcap(c.path);
    const metaFile = join(dataDir, `${c.name}.meta.json`);
    c.meta = existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, 'utf8')) : undefined;
  }

  if (opts.scale) {
    const code = await runScale(opts, captures, machine, distStale);
    process.exit(code);
  }

  log(`ftp-inspect bench: ${captures.length} capture(s) × ${stages.length} stage(s), ${opts.runs} timed run(s) each`);
  log(`${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB; node ${machine.node}; ${machine.tcpdump ?? 'tcpdump not found'}`);
  if (distStale) log(`warning: ${distStale}`);
  log('');

  const results = [];
  for (const c of captures) {
    c.loadBefore = loadavg()[0];
    log(`${c.name}: ${shown(c.path)}, ${fix(mb(c.scan.fileBytes))} MB, ${int(c.scan.frames)} frames, largest ${c.scan.maxCapturedLength} B; load average ${fix(c.loadBefore, 2)}`);
    const cells = stages.map((s) => ({ capture: c.name, stage: s.id, runs: [], error: undefined }));
    // Warm-up: one untimed run of each stage (also puts the capture into the page cache).
    for (let k = 0; k < opts.warmup; k++) {
      for (const [i, s] of stages.entries()) {
        if (cells[i].error) continue;
        log(`  warm-up  ${s.id}`);
        const r = await runChild(s, c.path);
        if (!r.ok) cells[i].error = r.error;
      }
    }
    for (let run = 1; run <= opts.runs; run++) {
      for (const [i, s] of stages.entries()) {
        if (cells[i].error) continue;
        const r = await runChild(s, c.path);
        if (!r.ok) { cells[i].error = r.error; log(`  run ${run}    ${s.id}: FAILED`); continue; }
        cells[i].runs.push(r.result);
        const exact = r.result.files ? `  files ${r.result.files.exact}/${r.result.files.expected} byte-exact` : '';
        log(`  run ${run}    ${s.id.padEnd(16)} ${fix(r.result.wallMs, 0).padStart(8)} ms  ${fix(mb(c.scan.fileBytes) / (r.result.wallMs / 1000), 0).padStart(7)} MB/s  RSS ${fix(mb(r.result.maxRssBytes))} MB${exact}`);
      }
    }
    for (const [i, s] of stages.entries()) {
      const cell = cells[i];
      if (cell.error) { log(`  ${s.id} failed: ${cell.error.split('\n')[0]}`); results.push(cell); continue; }
      const wallMs = median(cell.runs.map((r) => r.wallMs));
      const counted = cell.runs[0].packets;
      const packets = s.countsPackets === false || counted == null ? c.scan.frames : counted;
      const packetMismatch = s.countsPackets !== false && counted != null && counted !== c.scan.frames;
      if (packetMismatch) log(`  warning: ${s.id} saw ${int(counted)} packets, the capture has ${int(c.scan.frames)} frames`);
      results.push({
        ...cell,
        wallMs,
        mbps: mb(c.scan.fileBytes) / (wallMs / 1000),
        pps: packets / (wallMs / 1000),
        packets,
        packetMismatch,
        cpuMs: cell.runs.every((r) => r.cpuUserMs != null) ? median(cell.runs.map((r) => r.cpuUserMs + r.cpuSystemMs)) : null,
        maxRssBytes: Math.max(...cell.runs.map((r) => r.maxRssBytes)),
        rssSource: cell.runs[0].rssSource,
        // Extraction stages: the byte-exact check of the worst run (every run is checked).
        files: worstFiles(cell.runs),
        ...(cell.runs[0].manifestFiles != null ? { manifestFiles: cell.runs[0].manifestFiles, incompleteFiles: Math.max(...cell.runs.map((r) => r.incompleteFiles ?? 0)) } : {}),
      });
    }
    log('');
  }

  // Ratios: every 'ours' stage against every baseline, on throughput (same file, so MB/s and
  // packets/s give the same ratio).
  const ratios = [];
  for (const c of captures) {
    for (const s of stages.filter((x) => x.role === 'ours')) {
      const ours = results.find((r) => r.capture === c.name && r.stage === s.id);
      for (const b of stages.filter((x) => x.role === 'baseline' && groupOf(x) === groupOf(s))) {
        const base = results.find((r) => r.capture === c.name && r.stage === b.id);
        const value = ours?.mbps && base?.mbps ? ours.mbps / base.mbps : null;
        ratios.push({ capture: c.name, stage: s.id, baseline: b.id, speed: value });
      }
    }
  }

  const goals = [];
  for (const g of GOALS) {
    if (!stages.some((s) => s.id === g.stage)) continue;
    for (const c of captures) {
      if (g.capture !== '*' && g.capture !== c.name) continue;
      const r = results.find((x) => x.capture === c.name && x.stage === g.stage);
      let value = null;
      let target = g.min ?? g.max;
      if (r && !r.error) {
        if (g.metric === 'rssMB') value = mb(r.maxRssBytes);
        else if (g.metric === 'extraCost') {
          const ref = results.find((x) => x.capture === c.name && x.stage === g.relativeTo);
          value = ref && !ref.error ? r.wallMs / ref.wallMs - 1 : null;
        }
        else if (g.metric === 'speedVs') value = ratios.find((x) => x.capture === c.name && x.stage === g.stage && x.baseline === g.baseline)?.speed ?? null;
        else if (g.metric === 'filesExact') { value = r.files?.exact ?? null; target = r.files?.expected ?? null; }
        else value = r[g.metric];
      }
      const pass = value == null ? null : g.metric === 'filesExact' ? value === target : g.metric === 'extraCost' ? value <= g.max : g.min != null ? value >= g.min : value < g.max;
      goals.push({ stage: g.stage, capture: c.name, goal: g.text, metric: g.metric, ...(g.baseline ? { baseline: g.baseline } : {}), ...(g.relativeTo ? { relativeTo: g.relativeTo } : {}), target, value, status: pass == null ? 'n/a' : pass ? 'PASS' : 'MISS' });
    }
  }

  const method = {
    timedRuns: opts.runs,
    warmupRuns: opts.warmup,
    warmup: 'each stage ran warmupRuns times untimed per capture before the timed runs (every run is a fresh process: a warm-up only fills the page cache); the captures were read from the page cache, not from disk',
    throughput: 'capture file bytes / wall time of the pass, median of the timed runs (MB = 10^6 bytes)',
    wallTime: 'read stages (node): inside the child, from opening the capture to the last packet (node start-up and module loading excluded); tcpdump and the pipeline stages (extract, tshark-export, tcpflow): spawn to exit',
    peakRss: 'highest of the timed runs: the child\'s own getrusage maxrss (process.resourceUsage().maxRSS); tcpdump and the pipeline stages: GNU time %M',
    filesExact: 'pipeline stages: after every run, every output file whose size matches an original is hashed; an original transferred k times needs k output files with its sha256; worst run shown',
    cpu: 'cpuMs: median user + system CPU time of the pass (node: process.cpuUsage() since the pass began, all threads; tcpdump: GNU time, whole process)',
    isolation: 'every run is a fresh child process; stages interleaved round by round',
  };

  const readStages = stages.filter((s) => groupOf(s) === 'read');
  const pipelineStages = stages.filter((s) => groupOf(s) === 'pipeline');
  const md = [
    readStages.length ? renderMarkdown(captures, readStages, results, ratios, goals.filter((g) => readStages.some((s) => s.id === g.stage))) : '',
    pipelineStages.length ? renderPipelineMarkdown(captures, pipelineStages, results, ratios, goals.filter((g) => pipelineStages.some((s) => s.id === g.stage))) : '',
  ].filter(Boolean).join('\n\n');
  const failed = results.some((r) => r.error);
  const missed = goals.some((g) => g.status === 'MISS');

  if (opts.json) {
    const out = {
      date: new Date().toISOString(),
      machine,
      distWarning: distStale ?? null,
      method,
      captures: captures.map((c) => ({ name: c.name, file: shown(c.path), about: c.about, ...c.scan, loadAverageBefore: c.loadBefore, meta: c.meta ?? null })),
      stages: stages.map(({ id, script, role, label }) => ({ id, script: `bench/${script}`, role, label })),
      results,
      ratios,
      goals,
      markdown: md,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const w = (s = '') => process.stdout.write(`${s}\n`);
    w(`ftp-inspect bench — ${new Date().toISOString().slice(0, 10)}, ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${machine.tcpdump ?? 'no tcpdump'}`);
    w(`Each number: median of ${opts.runs} timed run(s), each in a fresh process, after ${opts.warmup} untimed warm-up run(s)`);
    w('per stage and capture (the captures were read from the page cache, not from disk). MB = 10^6 bytes.');
    w('Peak RSS: the highest of the timed runs. CPU ms: user + system time of the pass (median; for node all its');
    w('threads, GC included; tcpdump: the whole process); wall time far above it means the run waited for the CPU.');
    w();
    for (const c of captures) {
      const meta = c.meta ? `; ${describeMeta(c.meta)}` : '';
      w(`${c.name} — ${c.about}: ${fix(mb(c.scan.fileBytes))} MB, ${int(c.scan.frames)} frames, largest frame ${c.scan.maxCapturedLength} B${meta}`);
      const busy = c.loadBefore > machine.cores ? ' — busy machine: other processes competed for the CPU, numbers may be low and noisy' : '';
      w(`  load average before the runs: ${fix(c.loadBefore, 2)} on ${machine.cores} cores${busy}`);
      const rows = [['stage', 'MB/s', 'packets/s', 'peak RSS MB', 'median ms', 'CPU ms', 'runs ms']];
      for (const s of stages) {
        const r = results.find((x) => x.capture === c.name && x.stage === s.id);
        if (r.error) { rows.push([s.label, 'FAILED', '', '', '', '', r.error.split('\n')[0].slice(0, 80)]); continue; }
        rows.push([s.label + (r.packetMismatch ? ' (!)' : ''), fix(r.mbps, 0), int(r.pps), fix(mb(r.maxRssBytes)), fix(r.wallMs, 0), fix(r.cpuMs, 0), r.runs.map((x) => fix(x.wallMs, 0)).join(' ')]);
      }
      w(table(rows, ['l', 'r', 'r', 'r', 'r', 'r', 'l']).replace(/^/gm, '  '));
      const rs = ratios.filter((r) => r.capture === c.name);
      if (rs.length) w(`  speed ratios: ${rs.map((r) => `${r.stage} / ${r.baseline} = ${ratio(r.speed)}`).join(', ')}`);
      w();
    }
    if (pipelineStages.length) {
      w('Full pipeline: extraction to a temporary folder (MB/s = capture bytes / wall time from spawn to exit;');
      w('files byte-exact = originals recovered with the right sha256, worst of the runs):');
      const { header, rows, align } = pipelineRows(captures, pipelineStages, results, false);
      w(table([header, ...rows], align).replace(/^/gm, '  '));
      for (const line of pipelineRatioLines(captures, pipelineStages, ratios)) w(`  ${line}`);
      w();
    }
    if (goals.length) {
      w('Goals:');
      for (const g of goals) {
        const v = goalValue(g);
        w(`  ${g.status.padEnd(4)}  ${g.stage} ${g.goal}${g.goal.endsWith(g.capture) ? '' : ` (${g.capture})`}: ${v}`);
      }
      w();
    }
    w('Markdown (for the README):');
    w();
    w(md);
    if (distStale) { w(); w(`warning: ${distStale}`); }
  }
  process.exit(failed || (opts.checkGoals && missed) ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// --scale: peak RSS of the extract stage on growing cuts of each capture

const SCALE_STAGE = 'extract';
const SCALE_RSS_MAX_MB = 200;
/** "Flat": peak RSS on the whole capture at most this many times the RSS on the smallest cut. */
const SCALE_FLAT_FACTOR = 1.25;

/** The first `fraction` of a capture, whole records only, cut with `editcap -r` (cached). */
function cutCapture(c, fraction) {
  if (fraction >= 1) return { path: c.path, scan: c.scan };
  const dir = join(dataDir, 'scale');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${c.name}-${Math.round(fraction * 1000)}.pcap`);
  const frames = scanPcap(c.path, fraction * c.scan.fileBytes).frames;
  if (existsSync(path) && statSync(path).mtimeMs > statSync(c.path).mtimeMs) {
    const scan = scanPcap(path);
    if (scan.frames === frames) return { path, scan };
  }
  log(`  cutting ${shown(path)}: editcap -F pcap -r ${shown(c.path)} ${shown(path)} 1-${frames}`);
  const r = spawnSync('editcap', ['-F', 'pcap', '-r', c.path, path, `1-${frames}`], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`editcap failed: ${r.error?.message ?? r.stderr.trim()}`);
  return { path, scan: scanPcap(path) };
}

async function runScale(opts, captures, machine, distStale) {
  const stage = STAGES.find((s) => s.id === SCALE_STAGE);
  log(`ftp-inspect bench --scale: ${stage.label}, ${opts.runs} run(s) per size, sizes ${opts.scaleSizes.join(', ')} of each capture`);
  if (distStale) log(`warning: ${distStale}`);
  const rows = [];
  let failed = false;
  for (const c of captures) {
    for (const fraction of [...opts.scaleSizes].sort((a, b) => a - b)) {
      const cut = cutCapture(c, fraction);
      const runs = [];
      let error;
      const load = loadavg()[0];
      for (let run = 1; run <= opts.runs; run++) {
        const r = await runChild(stage, cut.path);
        if (!r.ok) { error = r.error; break; }
        runs.push(r.result);
        log(`  ${c.name} ${fix(mb(cut.scan.fileBytes), 0).padStart(5)} MB  run ${run}  ${fix(r.result.wallMs, 0).padStart(7)} ms  RSS ${fix(mb(r.result.maxRssBytes))} MB`);
      }
      if (error) { failed = true; log(`  ${c.name} ${fraction}: FAILED ${error.split('\n')[0]}`); }
      const wallMs = runs.length ? median(runs.map((r) => r.wallMs)) : null;
      rows.push({
        capture: c.name, fraction, file: shown(cut.path), fileBytes: cut.scan.fileBytes, frames: cut.scan.frames, loadAverageBefore: load,
        error: error ?? null,
        wallMs, mbps: wallMs ? mb(cut.scan.fileBytes) / (wallMs / 1000) : null,
        maxRssBytes: runs.length ? Math.max(...runs.map((r) => r.maxRssBytes)) : null,
        files: worstFiles(runs),
      });
    }
  }
  const verdicts = [];
  for (const c of captures) {
    const mine = rows.filter((r) => r.capture === c.name && r.maxRssBytes != null);
    if (!mine.length) continue;
    const small = mine[0];
    const big = mine[mine.length - 1];
    const growth = big.maxRssBytes / small.maxRssBytes;
    const under = mine.every((r) => mb(r.maxRssBytes) < SCALE_RSS_MAX_MB);
    verdicts.push({ capture: c.name, goal: `peak RSS < ${SCALE_RSS_MAX_MB} MB at every size`, status: under ? 'PASS' : 'MISS', value: Math.max(...mine.map((r) => mb(r.maxRssBytes))) });
    if (mine.length > 1) {
      verdicts.push({ capture: c.name, goal: `flat: RSS at ${fix(mb(big.fileBytes), 0)} MB ≤ ${SCALE_FLAT_FACTOR}× RSS at ${fix(mb(small.fileBytes), 0)} MB`, status: growth <= SCALE_FLAT_FACTOR ? 'PASS' : 'MISS', value: growth });
    }
  }
  const header = ['capture', 'size MB', 'frames', 'MB/s', 'peak RSS MB', 'files byte-exact'];
  const align = ['l', 'r', 'r', 'r', 'r', 'r'];
  const cells = rows.map((r) => [
    `${r.capture} ×${r.fraction}`, fix(mb(r.fileBytes), 0), int(r.frames),
    r.error ? 'failed' : fix(r.mbps, 0), r.error ? '' : fix(mb(r.maxRssBytes), 0),
    r.files ? `${int(r.files.exact)} of ${int(r.files.expected)}` : '– (cut)',
  ]);
  const md = `${markdownTable(header, cells, align)}\n\n${verdicts.map((v) => `- ${v.status === 'PASS' ? '✅ PASS' : '❌ MISS'} ${v.capture}: ${v.goal} (${v.goal.startsWith('flat') ? `${fix(v.value, 2)}×` : `${fix(v.value)} MB`})`).join('\n')}`;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), machine, distWarning: distStale ?? null, stage: stage.id, runs: opts.runs, rows, verdicts, markdown: md }, null, 2)}\n`);
  } else {
    const w = (s = '') => process.stdout.write(`${s}\n`);
    w(`ftp-inspect bench --scale — ${new Date().toISOString().slice(0, 10)}, ${machine.cpu}, ${machine.cores} cores, node ${machine.node}`);
    w(`${stage.label} on the first part of each capture (cut at whole records with editcap -r; cuts end mid-transfer,`);
    w(`so they are not checked byte for byte). Peak RSS: GNU time, highest of ${opts.runs} run(s); MB/s: median, first run not a warm-up.`);
    w();
    w(table([header, ...cells], align).replace(/^/gm, '  '));
    w();
    for (const v of verdicts) w(`  ${v.status.padEnd(4)}  ${v.capture}: ${v.goal} (${v.goal.startsWith('flat') ? `${fix(v.value, 2)}×` : `${fix(v.value)} MB`})`);
    w();
    w('Markdown (for the README):');
    w();
    w(md);
  }
  return failed || (opts.checkGoals && verdicts.some((v) => v.status === 'MISS')) ? 1 : 0;
}

function describeMeta(meta) {
  const parts = [];
  if (meta.transfers != null) parts.push(`${meta.transfers} transfers`);
  if (meta.sessions != null) parts.push(`${int(meta.sessions)} sessions`);
  if (meta.droppedByKernel != null) parts.push(`${meta.droppedByKernel} dropped by kernel`);
  return parts.join(', ');
}

/** A result's byte-exact check: the run with the fewest originals recovered (null without one). */
function worstFiles(runs) {
  const checked = runs.map((r) => r.files).filter(Boolean);
  if (!checked.length) return null;
  return checked.reduce((a, b) => (b.exact < a.exact ? b : a));
}

function goalValue(g) {
  if (g.value == null) return 'no result';
  switch (g.metric) {
    case 'mbps': return `${fix(g.value, 0)} MB/s`;
    case 'pps': return `${int(g.value)} packets/s`;
    case 'speedVs': return `${ratio(g.value)} ${g.baseline}`;
    case 'filesExact': return `${int(g.value)} of ${int(g.target)}`;
    case 'extraCost': return `+${fix(g.value * 100, 0)}% over ${g.relativeTo}`;
    default: return `${fix(g.value)} MB`;
  }
}

/** The issue-style table: one row per tool, one throughput column per capture. */
function pipelineRows(captures, stages, results, markdown) {
  const header = ['tool', ...captures.map((c) => `${c.name} (${fix(mb(c.scan.fileBytes), 0)} MB) MB/s`), 'peak RSS MB', 'files byte-exact'];
  const align = ['l', ...captures.map(() => 'r'), 'r', 'r'];
  const rows = [];
  for (const s of stages) {
    const cells = captures.map((c) => results.find((x) => x.capture === c.name && x.stage === s.id));
    const each = (f) => cells.map((r) => (!r || r.error ? 'failed' : f(r))).join(' / ');
    rows.push([
      markdown ? s.tool ?? s.id : s.label,
      ...cells.map((r) => (!r || r.error ? 'failed' : fix(r.mbps, r.mbps < 10 ? 1 : 0))),
      each((r) => fix(mb(r.maxRssBytes), 0)),
      each((r) => (r.files ? `${int(r.files.exact)} of ${int(r.files.expected)}` : '–')),
    ]);
  }
  if (captures.length > 1) {
    header[header.length - 2] += ` (${captures.map((c) => c.name).join(' / ')})`;
    header[header.length - 1] += ` (${captures.map((c) => c.name).join(' / ')})`;
  }
  return { header, rows, align };
}

function pipelineRatioLines(captures, stages, ratios) {
  const lines = [];
  for (const s of stages.filter((x) => x.role === 'ours')) {
    for (const b of stages.filter((x) => x.role === 'baseline')) {
      const parts = captures.map((c) => `${c.name} ${ratio(ratios.find((x) => x.capture === c.name && x.stage === s.id && x.baseline === b.id)?.speed)}`);
      lines.push(`${s.id} / ${b.id} speed: ${parts.join(', ')}`);
    }
  }
  return lines;
}

function renderPipelineMarkdown(captures, stages, results, ratios, goals) {
  const { header, rows, align } = pipelineRows(captures, stages, results, true);
  const ratioText = pipelineRatioLines(captures, stages, ratios).map((l) => `- ${l.replace(/ speed: /, ' throughput ratio: ')}`).join('\n');
  const goalText = goals.map((g) => `- ${g.status === 'PASS' ? '✅ PASS' : g.status === 'MISS' ? '❌ MISS' : 'n/a'} ${g.stage} ${g.goal}${g.goal.endsWith(g.capture) ? '' : ` (${g.capture})`}: ${goalValue(g)}`).join('\n');
  return [
    markdownTable(header, rows, align),
    `Wall time from spawn to exit (start-up included), files written to a temporary folder, ${runText}; peak RSS from GNU time, highest of the runs; byte-exact: sha256 against the generated originals, worst run. MB = 10^6 bytes.`,
    ratioText,
    goalText,
  ].filter(Boolean).join('\n\n');
}

function renderMarkdown(captures, stages, results, ratios, goals) {
  const baselines = stages.filter((s) => s.role === 'baseline');
  const header = ['capture', 'stage', 'MB/s', 'packets/s', 'peak RSS (MB)', ...baselines.map((b) => `vs ${b.id}`)];
  const align = ['l', 'l', 'r', 'r', 'r', ...baselines.map(() => 'r')];
  const rows = [];
  for (const c of captures) {
    for (const s of stages) {
      const r = results.find((x) => x.capture === c.name && x.stage === s.id);
      const capCell = `${c.name} (${fix(mb(c.scan.fileBytes), 0)} MB, ${int(c.scan.frames)} pkts)`;
      if (r.error) { rows.push([capCell, s.id, 'failed', '', '', ...baselines.map(() => '')]); continue; }
      const mark = (metric, text) => {
        const g = goals.find((x) => x.capture === c.name && x.stage === s.id && x.metric === metric);
        return g && g.status !== 'n/a' ? `${text} ${g.status === 'PASS' ? '✅' : '❌'}` : text;
      };
      const vs = baselines.map((b) => {
        if (s.role !== 'ours') return '';
        return ratio(ratios.find((x) => x.capture === c.name && x.stage === s.id && x.baseline === b.id)?.speed);
      });
      rows.push([capCell, s.role === 'ours' ? `**${s.id}**` : s.id, mark('mbps', fix(r.mbps, 0)), mark('pps', int(r.pps)), mark('rssMB', fix(mb(r.maxRssBytes))), ...vs]);
    }
  }
  const goalLine = goals.length ? `\n\nGoals: ${[...new Set(goals.map((g) => `${g.stage} ${g.goal}`))].join('; ')}.` : '';
  return `${markdownTable(header, rows, align)}\n\n${runText[0].toUpperCase()}${runText.slice(1)} (page cache warm); each run a fresh process; MB = 10^6 bytes.${goalLine}`;
}

/** A note when dist/ is missing or older than src/, so nobody benchmarks stale code. */
function staleDist() {
  const dist = join(root, 'dist');
  if (!existsSync(dist)) return 'dist/ is missing: run `npm run build` first';
  const newest = (dir) => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  return newest(join(root, 'src')) > newest(dist) ? 'src/ has changes newer than dist/: run `npm run build` to bench the current code' : undefined;
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
