// Stage "tshark-export": `tshark -r CAPTURE --export-objects ftp-data,DIR -q`, the only peer
// that extracts FTP files (Wireshark's FTP-DATA export objects). Wall time spawn to exit, peak
// RSS from GNU time; its files are then checked against the originals like ours.
//   node bench/measure-tshark-export.mjs CAPTURE.pcap
import { runExtraction } from './lib/extractRun.mjs';

const tshark = process.env.BENCH_TSHARK ?? 'tshark';

await runExtraction({
  stage: 'tshark-export',
  script: 'measure-tshark-export.mjs',
  command: (capture, outDir) => [tshark, ['-r', capture, '--export-objects', `ftp-data,${outDir}`, '-q']],
  note: 'wall time is spawn to exit',
});
