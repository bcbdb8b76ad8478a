// Stage "pcap-parser": the pcap-parser package (CommonJS, classic µs pcap only) reading the
// capture with a minimal per-packet callback. It splits records and hands out header objects
// and data slices; it decodes nothing, so it is a floor for a JavaScript reader, not a peer of
// a decoder.
//   node bench/measure-pcap-parser.mjs CAPTURE.pcap
import { createRequire } from 'node:module';
import { captureArg, nowMs, startPass, report, fail } from './lib/child.mjs';

const { file, fileBytes } = captureArg('measure-pcap-parser.mjs');
const require = createRequire(import.meta.url);

try {
  const pcapp = require('pcap-parser');
  let packets = 0;
  let capturedBytes = 0;
  const t0 = startPass();
  await new Promise((resolve, reject) => {
    const parser = pcapp.parse(file);
    parser.on('packet', (packet) => {
      packets++;
      capturedBytes += packet.header.capturedLength;
    });
    parser.on('error', reject);
    parser.on('end', resolve);
  });
  const wallMs = nowMs() - t0;
  report({ stage: 'pcap-parser', file, fileBytes, packets, wallMs, capturedBytes });
} catch (err) {
  fail(err);
}
