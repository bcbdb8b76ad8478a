// The packet-level view of a capture: every frame decoded and described as a row of
// Wireshark's packet list. Used by `ftp-inspect packets` and by the library.

import type { CaptureSummary } from './capture/CaptureInfo.js';
import { readCaptures } from './capture/mergeCaptures.js';
import type { CaptureSource, ReadCaptureOptions } from './capture/readCapture.js';
import { PacketDecoder, type DecoderOptions } from './decode/PacketDecoder.js';
import { PacketList, type PacketFilter, type PacketRow } from './report/PacketList.js';
import { TcpStage } from './tcp/TcpStage.js';

export interface ListPacketsOptions {
  /** Only rows passing this filter are handed on (frame numbers stay those of the whole capture). */
  filter?: PacketFilter;
  /** TCP ports carrying FTP control traffic (default 21). */
  ftpPorts?: number[];
  capture?: ReadCaptureOptions;
  decoder?: DecoderOptions;
}

/**
 * Reads a capture and calls `onRow` for each frame in order, with the row Wireshark's packet
 * list would show. Resolves to the capture summary (format, frame count, warnings).
 */
export async function listPackets(
  source: CaptureSource,
  onRow: (row: PacketRow) => void,
  options?: ListPacketsOptions,
): Promise<CaptureSummary>;
/**
 * Several captures as one trace merged by time (as mergecap merges them): rows are numbered
 * as in mergecap's output and name their capture (`capture`, `captureFrame`). Resolves to one
 * summary per capture.
 */
export async function listPackets(
  sources: readonly CaptureSource[],
  onRow: (row: PacketRow) => void,
  options?: ListPacketsOptions,
): Promise<CaptureSummary[]>;
export async function listPackets(
  source: CaptureSource | readonly CaptureSource[],
  onRow: (row: PacketRow) => void,
  options: ListPacketsOptions = {},
): Promise<CaptureSummary | CaptureSummary[]> {
  const several = Array.isArray(source);
  const sources: readonly CaptureSource[] = several ? source : [source as CaptureSource];
  const decoder = new PacketDecoder(options.decoder);
  const list = new PacketList({ ...(options.ftpPorts ? { ftpPorts: options.ftpPorts } : {}), tcpStage: 'external' });
  // Wireshark does not verify checksums by default, and the list shows nothing about them.
  const tcp = new TcpStage({ checksums: false });
  const filter = options.filter;
  const summaries = await readCaptures(
    sources,
    (frame) => {
      const packet = decoder.decode(frame);
      const row = list.row(packet, tcp.process(packet));
      if (frame.capture !== undefined) {
        row.capture = frame.capture;
        row.captureFrame = frame.captureFrame!;
      }
      if (filter === undefined || PacketList.matches(row, filter)) onRow(row);
    },
    options.capture,
  );
  tcp.finish();
  return several ? summaries : summaries[0]!;
}
