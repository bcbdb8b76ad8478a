// Walks the record headers of a classic pcap file (no decoding) and counts what the bench
// needs to know about a capture: frames, bytes, largest frame, link type, timestamp unit.
// Independent of ftp-inspect's own reader on purpose: it is the yardstick the stages are
// checked against (every stage must see the same number of frames).
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const MAGIC = new Map([
  [0xa1b2c3d4, { little: false, nanos: false }],
  [0xa1b23c4d, { little: false, nanos: true }],
  [0xd4c3b2a1, { little: true, nanos: false }],
  [0x4d3cb2a1, { little: true, nanos: true }],
]);

/**
 * @param {string} file
 * @param {number} [limitBytes] stop before the first record that would end beyond this file
 *   offset (bench/run.mjs --scale uses it to find where to cut a capture)
 * @returns {{ fileBytes: number, frames: number, capturedBytes: number, maxCapturedLength: number,
 *   maxOriginalLength: number, truncatedFrames: number, linkType: number, snapLength: number,
 *   timestamps: 'us' | 'ns', firstTs: number, lastTs: number, trailingBytes: number }}
 */
export function scanPcap(file, limitBytes = Infinity) {
  const fd = openSync(file, 'r');
  try {
    const fileBytes = fstatSync(fd).size;
    const chunk = Buffer.allocUnsafe(8 << 20);
    let got = readSync(fd, chunk, 0, 24, 0);
    if (got < 24) throw new Error(`${file}: too short for a pcap header`);
    const kind = MAGIC.get(chunk.readUInt32BE(0));
    if (!kind) {
      throw new Error(`${file}: not a classic pcap file (magic ${chunk.toString('hex', 0, 4)}); pcapng is not used by the bench`);
    }
    const u32 = kind.little ? (b, o) => b.readUInt32LE(o) : (b, o) => b.readUInt32BE(o);
    const snapLength = u32(chunk, 16);
    const linkType = u32(chunk, 20) & 0x0fffffff;
    let pos = 24; // file offset of the next record header
    let frames = 0, capturedBytes = 0, maxCap = 0, maxOrig = 0, truncated = 0;
    let firstTs = NaN, lastTs = NaN;
    const unit = kind.nanos ? 1e-9 : 1e-6;
    // Read big chunks; records straddling a chunk edge are re-read at the next chunk start.
    let bufStart = 0, bufLen = 0;
    for (;;) {
      if (pos + 16 > bufStart + bufLen) {
        bufStart = pos;
        bufLen = readSync(fd, chunk, 0, chunk.length, pos);
        if (bufLen < 16) break;
      }
      const o = pos - bufStart;
      const cap = u32(chunk, o + 8);
      const orig = u32(chunk, o + 12);
      if (pos + 16 + cap > fileBytes) break; // cut-off last record
      if (pos + 16 + cap > limitBytes) break;
      const ts = u32(chunk, o) + u32(chunk, o + 4) * unit;
      if (frames === 0) firstTs = ts;
      lastTs = ts;
      frames++;
      capturedBytes += cap;
      if (cap > maxCap) maxCap = cap;
      if (orig > maxOrig) maxOrig = orig;
      if (cap < orig) truncated++;
      pos += 16 + cap;
    }
    return {
      fileBytes, frames, capturedBytes, maxCapturedLength: maxCap, maxOriginalLength: maxOrig,
      truncatedFrames: truncated, linkType, snapLength, timestamps: kind.nanos ? 'ns' : 'us',
      firstTs, lastTs, trailingBytes: fileBytes - pos,
    };
  } finally {
    closeSync(fd);
  }
}

// `node bench/lib/pcapScan.mjs FILE` prints the scan as JSON (make-captures.sh uses it).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/lib/pcapScan.mjs FILE.pcap');
    process.exit(2);
  }
  console.log(JSON.stringify(scanPcap(file)));
}
