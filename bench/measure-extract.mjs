// Stage "extract": the real CLI, `node dist/cli.js extract CAPTURE -o DIR` — the whole pipeline
// (read, decode, TCP, FTP in files-only mode: sessions dropped once over) plus writing every transferred file with
// its sha256 and DIR/manifest.json. Its summary goes to /dev/null. Measured from the outside
// like the baselines: wall time spawn to exit (node start-up included), peak RSS from GNU time.
// Afterwards the files are checked against the originals (bench/lib/verifyFiles.mjs).
//   node bench/measure-extract.mjs CAPTURE.pcap
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runExtraction } from './lib/extractRun.mjs';
import { root } from './lib/ftpInspect.mjs';

const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write(`${cli} is missing: run \`npm run build\` first\n`);
  process.exit(1);
}

await runExtraction({
  stage: 'extract',
  script: 'measure-extract.mjs',
  command: (capture, outDir) => [process.execPath, [cli, 'extract', capture, '-o', outDir]],
  inspect: (outDir) => {
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
    return {
      manifestFiles: manifest.files.length,
      incompleteFiles: manifest.files.filter((f) => !f.complete).length,
    };
  },
  note: 'wall time is spawn to exit (node start-up included), stdout to /dev/null',
});
