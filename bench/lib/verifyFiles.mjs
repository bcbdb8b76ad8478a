// Byte-exact check of what an extraction tool wrote: every file under its output folder is
// compared (sha256) with the originals the capture generator recorded in NAME.files.json next
// to NAME.pcap (bench/make-captures.sh). The same check for every tool: a tool recovered an
// original when one of its output files has the original's sha256; an original sent k times
// (the `many` capture retrieves each pool file many times) counts k times and needs k such
// files. Names do not matter (tools name files differently); listings and other extra outputs
// are ignored. Only files whose size equals some original's size are hashed.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stat } from 'node:fs/promises';

/** The originals of CAPTURE (NAME.pcap → NAME.files.json), or undefined when there is none. */
export function originalsOf(capture) {
  const list = join(dirname(capture), `${basename(capture).replace(/\.pcap$/, '')}.files.json`);
  if (!existsSync(list)) return undefined;
  const { files } = JSON.parse(readFileSync(list, 'utf8'));
  const wanted = new Map(); // sha256 → how many transfers of it the capture holds
  const sizes = new Set();
  let transfers = 0;
  for (const f of files) {
    const times = f.retrieved ?? 1;
    wanted.set(f.sha256, (wanted.get(f.sha256) ?? 0) + times);
    sizes.add(f.size);
    transfers += times;
  }
  return { list, wanted, sizes, transfers };
}

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

function sha256File(path) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * @returns {Promise<{ expected: number, exact: number, outputFiles: number, list: string } | null>}
 *   null when the capture has no NAME.files.json (e.g. a --scale cut).
 */
export async function verifyOutput(capture, outDir) {
  const originals = originalsOf(capture);
  if (!originals) return null;
  const found = new Map();
  let outputFiles = 0;
  for (const path of walk(outDir)) {
    outputFiles++;
    const { size } = await stat(path);
    if (!originals.sizes.has(size)) continue;
    const sha = await sha256File(path);
    if (originals.wanted.has(sha)) found.set(sha, (found.get(sha) ?? 0) + 1);
  }
  let exact = 0;
  for (const [sha, times] of originals.wanted) exact += Math.min(times, found.get(sha) ?? 0);
  return { expected: originals.transfers, exact, outputFiles, list: basename(originals.list) };
}
