// Stage "tcpflow": `tcpflow -r CAPTURE -o DIR`, TCP reassembly only (no FTP): one file per
// direction of every connection. A data connection's file is the transferred file, so the same
// byte-exact check applies (control-connection flows are simply not matched).
//   node bench/measure-tcpflow.mjs CAPTURE.pcap
import { runExtraction } from './lib/extractRun.mjs';

const tcpflow = process.env.BENCH_TCPFLOW ?? 'tcpflow';

await runExtraction({
  stage: 'tcpflow',
  script: 'measure-tcpflow.mjs',
  command: (capture, outDir) => [tcpflow, ['-r', capture, '-o', outDir]],
  note: 'wall time is spawn to exit',
});
