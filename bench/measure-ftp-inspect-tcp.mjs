// Stage "ftp-inspect-tcp": the streaming reader, the packet decoder and the TCP stage
// (connection tracking, Wireshark's per-segment analysis, checksum verification, and reassembly
// of every connection's bytes for a consumer), as `analyze` runs them, without FTP on top. The
// consumer counts what it is handed and folds the first byte of each chunk into a printed
// checksum, so the work cannot be optimised away. Compare its time with stage "ftp-inspect"
// (read + decode) for the cost of the TCP stage.
//   node bench/measure-ftp-inspect-tcp.mjs CAPTURE.pcap
// BENCH_TCP_ANALYSIS=0 measures the stage without the per-segment analysis flags (TcpStage's
// `analysis: false`), BENCH_TCP_CHECKSUMS=0 without checksum verification: for profiling only,
// bench/run.mjs measures the defaults.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { captureArg, nowMs, startPass, report, fail } from './lib/child.mjs';
import { loadFtpInspect, root } from './lib/ftpInspect.mjs';

const { file, fileBytes } = captureArg('measure-ftp-inspect-tcp.mjs');

try {
  const { readCapture, PacketDecoder, from } = await loadFtpInspect();
  const { TcpStage } = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);
  if (typeof TcpStage !== 'function') throw new Error('dist/index.js exports no TcpStage: rebuild (npm run build)');

  let chunks = 0;
  let deliveredBytes = 0;
  let gaps = 0;
  let missingBytes = 0;
  let streamsClosed = 0;
  let connections = 0;
  let check = 0;
  const consumer = {
    data(chunk) {
      chunks++;
      deliveredBytes += chunk.bytes.length;
      check = (check + chunk.bytes[0] + chunk.frames[0]) | 0;
    },
    gap(gap) {
      gaps++;
      missingBytes += gap.end - gap.start;
    },
    end() {},
    closed() {
      streamsClosed++;
    },
  };
  const options = {
    // As analyze() runs it: the reader's chunk lives until onChunkEnd, which calls chunkEnd().
    frameData: 'chunk',
    consumers: () => consumer,
    onConnection: (c) => {
      connections++;
      check = (check + c.fromClient.frames + c.badChecksums) | 0;
    },
  };
  if (process.env.BENCH_TCP_ANALYSIS === '0') options.analysis = false;
  if (process.env.BENCH_TCP_CHECKSUMS === '0') options.checksums = false;
  const decoder = new PacketDecoder();
  const tcp = new TcpStage(options);
  let packets = 0;
  let tcpSegments = 0;
  let flagged = 0;
  let maxHeld = 0;

  const t0 = startPass();
  const result = await readCapture(file, (frame) => {
    const p = decoder.decode(frame);
    packets++;
    const view = tcp.process(p);
    if (view !== undefined) {
      tcpSegments++;
      if (view.analysis !== 0) flagged++;
      check = (check + view.stream + view.seq) | 0;
      if ((packets & 0xfff) === 0 && tcp.connectionsHeld > maxHeld) maxHeld = tcp.connectionsHeld;
    }
  }, { onChunkEnd: () => tcp.chunkEnd() });
  tcp.finish();
  const wallMs = nowMs() - t0;

  report({
    stage: 'ftp-inspect-tcp',
    file,
    fileBytes,
    packets,
    wallMs,
    format: result?.format,
    readerFrames: typeof result?.frames === 'number' ? result.frames : undefined,
    tcpSegments,
    segmentsWithAnalysisFlags: flagged,
    connections,
    streams: tcp.streamCount,
    maxConnectionsHeld: maxHeld,
    chunks,
    deliveredBytes,
    gaps,
    missingBytes,
    streamsClosed,
    analysis: options.analysis !== false,
    checksums: options.checksums !== false,
    check,
    library: from,
  });
} catch (err) {
  fail(err);
}
