// Plain-data descriptions of a capture file, as the capture stage hands them on.
// Everything here is serialisable to JSON as is.

import type { CaptureWarning } from './Frame.js';

export type CaptureFormat = 'pcap' | 'pcapng';
export type ByteOrder = 'little-endian' | 'big-endian';

/** Facts from a classic pcap file header (draft-ietf-opsawg-pcap §4). */
export interface PcapInfo {
  format: 'pcap';
  byteOrder: ByteOrder;
  versionMajor: number;
  versionMinor: number;
  /** Magic 0xA1B23C4D: the fraction field counts nanoseconds, not microseconds. */
  nanosecond: boolean;
  snaplen: number;
  /** Link-layer type: the lower 16 bits of the header field. */
  linkType: number;
  /** The LinkType-and-additional-information field exactly as stored. */
  linkTypeField: number;
  /** Bytes of FCS at the end of every packet, when the header's P bit says the length is known. */
  fcsLength?: number;
}

/** One pcapng Section Header Block (draft-ietf-opsawg-pcapng §4.1). */
export interface PcapngSection {
  /** 0-based position among the file's sections. */
  index: number;
  /** Byte offset of the SHB in the (decompressed) file. */
  offset: number;
  byteOrder: ByteOrder;
  versionMajor: number;
  versionMinor: number;
}

/** One pcapng Interface Description Block (draft-ietf-opsawg-pcapng §4.2). */
export interface PcapngInterface {
  /** Index of the section the interface belongs to; interface ids restart in every section. */
  section: number;
  /** Interface id within its section (the order of IDBs in the section). */
  id: number;
  linkType: number;
  /** 0 means "no limit". */
  snaplen: number;
  /** The if_tsresol byte: 10^-n, or 2^-n when the high bit is set. 6 (microseconds) when absent. */
  tsresol: number;
  /** if_tsoffset in seconds, added to every timestamp of the interface. 0 when absent. */
  tsoffset: number;
  /** if_name, when present. */
  name?: string;
  /** if_fcslen (in bits, as the option gives it), when present. */
  fcsLength?: number;
}

export interface PcapngInfo {
  format: 'pcapng';
  sections: PcapngSection[];
  /** Every interface of every section, in file order. */
  interfaces: PcapngInterface[];
}

export type CaptureInfo = PcapInfo | PcapngInfo;

/** What `readCapture` returns once the whole input has been read. */
export interface CaptureSummary {
  format: CaptureFormat;
  /** Number of packet records read (the last frame number handed out). */
  frames: number;
  warnings: CaptureWarning[];
  info: CaptureInfo;
  /** The input was gzip-compressed (recognised by its content). */
  gzip: boolean;
  /** Bytes of capture data read, after decompression. */
  bytes: number;
}

/** Limits that keep a damaged or hostile file from costing unbounded memory. */
export interface CaptureReaderOptions {
  /**
   * Largest captured length accepted for one packet. Default 262144, Wireshark's
   * WTAP_MAX_PACKET_SIZE_STANDARD: tshark rejects longer records as corrupt.
   */
  maxRecordBytes?: number;
  /**
   * Largest pcapng block accepted (block total length). Default 16 MiB, or
   * maxRecordBytes + 64 KiB when that is larger.
   */
  maxBlockBytes?: number;
  /** Warnings kept in the list; further ones are only counted. Default 100. */
  maxWarnings?: number;
  /**
   * Interfaces kept per pcapng section, and entries kept in `info.interfaces` and
   * `info.sections`: a file of nothing but tiny IDBs must not grow memory. Default 65536.
   */
  maxInterfaces?: number;
  /** Name of the input used in error messages, e.g. the file name. */
  name?: string;
}

export interface ResolvedReaderOptions {
  maxRecordBytes: number;
  maxBlockBytes: number;
  maxWarnings: number;
  maxInterfaces: number;
  name: string | undefined;
}

export function resolveReaderOptions(options: CaptureReaderOptions = {}): ResolvedReaderOptions {
  const maxRecordBytes = positiveInteger(options.maxRecordBytes, 262_144, 'maxRecordBytes');
  return {
    maxRecordBytes,
    maxBlockBytes: positiveInteger(options.maxBlockBytes, Math.max(16 * 1024 * 1024, maxRecordBytes + 65_536), 'maxBlockBytes'),
    maxWarnings: positiveInteger(options.maxWarnings, 100, 'maxWarnings'),
    maxInterfaces: positiveInteger(options.maxInterfaces, 65_536, 'maxInterfaces'),
    name: options.name,
  };
}

function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}
