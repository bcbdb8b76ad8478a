// Loads ftp-inspect's compiled library from dist/. The public entry (dist/index.js) is
// preferred; while it does not yet export the reader and decoder, the modules are taken from
// their own files. Either way the bench measures the code `npm run build` produced.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const dist = join(root, 'dist');

export async function loadFtpInspect() {
  const entry = join(dist, 'index.js');
  if (existsSync(entry)) {
    const lib = await import(pathToFileURL(entry).href);
    if (typeof lib.readCapture === 'function' && typeof lib.PacketDecoder === 'function') {
      return { readCapture: lib.readCapture, PacketDecoder: lib.PacketDecoder, CaptureReader: lib.CaptureReader, from: 'dist/index.js' };
    }
  }
  const readerFile = join(dist, 'capture', 'readCapture.js');
  const decoderFile = join(dist, 'decode', 'PacketDecoder.js');
  for (const f of [readerFile, decoderFile]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first (or the module is not written yet)`);
  }
  const reader = await import(pathToFileURL(readerFile).href);
  const decoder = await import(pathToFileURL(decoderFile).href);
  if (typeof reader.readCapture !== 'function') throw new Error('dist/capture/readCapture.js exports no readCapture');
  if (typeof decoder.PacketDecoder !== 'function') throw new Error('dist/decode/PacketDecoder.js exports no PacketDecoder');
  return { readCapture: reader.readCapture, PacketDecoder: decoder.PacketDecoder, CaptureReader: reader.CaptureReader, from: 'dist/capture/readCapture.js + dist/decode/PacketDecoder.js' };
}
