import type { CaptureInfo, ResolvedReaderOptions } from './CaptureInfo.js';
import type { Frame } from './Frame.js';
import type { StreamBuffer } from './StreamBuffer.js';
import type { WarningLog } from './WarningLog.js';

/** What PcapReader and PcapngReader share with CaptureReader, which feeds them. */
export interface ReaderContext {
  buffer: StreamBuffer;
  log: WarningLog;
  options: ResolvedReaderOptions;
}

/** A parser for one file format, pulling records out of the shared StreamBuffer. */
export interface FormatReader {
  /** File facts, known once the file header (pcap) or first section header (pcapng) was read. */
  readonly info: CaptureInfo | undefined;
  /** Packet records handed out so far. */
  readonly frames: number;
  /** A fault made further reading unreliable; remaining input is ignored. */
  readonly stopped: boolean;
  /** The next packet record, or undefined when more input is needed (or reading stopped). */
  next(): Frame | undefined;
  /** End of input, called once `next()` returned undefined: reports an incomplete last record. */
  finish(): void;
}
