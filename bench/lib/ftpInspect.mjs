// Loads ftp-inspect's compiled library entry, dist/index.js, so the bench measures exactly what
// `npm run build` produced and what users import.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export async function loadFtpInspect() {
  const entry = join(root, 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const lib = await import(pathToFileURL(entry).href);
  for (const name of ['readCapture', 'PacketDecoder']) {
    if (typeof lib[name] !== 'function') throw new Error(`dist/index.js exports no ${name}: rebuild (npm run build)`);
  }
  return { readCapture: lib.readCapture, PacketDecoder: lib.PacketDecoder, from: 'dist/index.js' };
}
