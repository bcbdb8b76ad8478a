// Stage "ftp-inspect": ftp-inspect's streaming reader plus its packet decoder over every frame
// of one capture. Each decoded packet's fields are folded into a checksum that is printed, so
// the work cannot be optimised away; the fields touched are the ones the TCP conversation
// tracker reads (addresses, ports, seq/ack, flags, payload length) plus the frame header.
//   node bench/measure-ftp-inspect.mjs CAPTURE.pcap
import { captureArg, nowMs, startPass, report, fail } from './lib/child.mjs';
import { loadFtpInspect } from './lib/ftpInspect.mjs';

const { file, fileBytes } = captureArg('measure-ftp-inspect.mjs');

try {
  const { readCapture, PacketDecoder, from } = await loadFtpInspect();
  const decoder = new PacketDecoder();
  let packets = 0;
  let tcpSegments = 0;
  let payloadBytes = 0;
  let warnings = 0;
  let check = 0;

  const t0 = startPass();
  const result = await readCapture(file, (frame) => {
    const p = decoder.decode(frame);
    packets++;
    check = (check + p.frame.capturedLength + p.frame.tsNsec + p.protocol.length) | 0;
    const ip = p.ip;
    if (ip !== undefined) {
      check = (check + ip.version + ip.src.length + ip.dst.length + ip.protocol + ip.payloadLength) | 0;
    }
    const tcp = p.tcp;
    if (tcp !== undefined) {
      tcpSegments++;
      payloadBytes += tcp.payload.length;
      check = ((check ^ tcp.seq ^ tcp.ack) + tcp.flags + tcp.srcPort + tcp.dstPort + tcp.window) | 0;
    }
    const udp = p.udp;
    if (udp !== undefined) check = (check + udp.srcPort + udp.dstPort + udp.payload.length) | 0;
    if (p.warnings.length !== 0) warnings++;
  });
  const wallMs = nowMs() - t0;

  report({
    stage: 'ftp-inspect',
    file,
    fileBytes,
    packets,
    wallMs,
    format: result?.format,
    readerFrames: typeof result?.frames === 'number' ? result.frames : undefined,
    readerWarnings: Array.isArray(result?.warnings) ? result.warnings.length : undefined,
    tcpSegments,
    payloadBytes,
    packetsWithWarnings: warnings,
    check,
    library: from,
  });
} catch (err) {
  fail(err);
}
