// Stage "ftp-inspect-read": ftp-inspect's streaming reader alone (readCapture, no decoder), so
// the bench shows how the read + decode time splits. The frame header fields and the data
// length are folded into a printed checksum.
//   node bench/measure-ftp-inspect-read.mjs CAPTURE.pcap
import { captureArg, nowMs, startPass, report, fail } from './lib/child.mjs';
import { loadFtpInspect } from './lib/ftpInspect.mjs';

const { file, fileBytes } = captureArg('measure-ftp-inspect-read.mjs');

try {
  const { readCapture, from } = await loadFtpInspect();
  let packets = 0;
  let check = 0;
  const t0 = startPass();
  const result = await readCapture(file, (frame) => {
    packets++;
    check = (check + frame.no + frame.tsSec + frame.tsNsec + frame.capturedLength + frame.originalLength + frame.linkType + frame.data.length) | 0;
  });
  const wallMs = nowMs() - t0;
  report({
    stage: 'ftp-inspect-read',
    file,
    fileBytes,
    packets,
    wallMs,
    format: result?.format,
    readerFrames: typeof result?.frames === 'number' ? result.frames : undefined,
    readerWarnings: Array.isArray(result?.warnings) ? result.warnings.length : undefined,
    check,
    library: from,
  });
} catch (err) {
  fail(err);
}
