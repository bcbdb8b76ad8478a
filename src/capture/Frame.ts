/**
 * One packet record as the capture file holds it, before any decoding.
 *
 * `data` is a view into the reader's buffer: it stays valid until the next
 * `append()` on the reader that produced it. Copy it if you keep it longer.
 */
export interface Frame {
  /** Wireshark's frame number: 1-based; every packet record counts (pcapng: EPB, SPB, OPB). */
  no: number;
  /** Whole seconds since the Unix epoch (may be negative only for broken files). */
  tsSec: number;
  /** Nanoseconds within `tsSec`, 0 … 999 999 999. */
  tsNsec: number;
  /** Bytes present in the file (`frame.cap_len`). */
  capturedLength: number;
  /** Bytes on the wire (`frame.len`). */
  originalLength: number;
  /** LINKTYPE_* value of the interface the frame was captured on (FCS bits stripped). */
  linkType: number;
  /** pcapng interface index within its section; 0 for classic pcap. */
  interfaceId: number;
  /** The captured bytes. */
  data: Uint8Array;
  /**
   * True when the record carries no timestamp at all (a pcapng Simple Packet Block);
   * `tsSec` and `tsNsec` are then 0. Wireshark shows no time for such frames. Absent otherwise.
   */
  timestampMissing?: boolean;
  /**
   * When several captures are read as one trace (readCaptures): the 0-based index of the
   * capture this frame came from, in the order given, and its frame number within that file.
   * Absent when one capture is read.
   */
  capture?: number;
  captureFrame?: number;
}

/** Something the reader noticed about the file that did not stop it. */
export interface CaptureWarning {
  /** Frame number the warning concerns, or the number the next frame would have had. */
  frame: number;
  /** Byte offset in the (decompressed) file where the problem was found. */
  offset: number;
  message: string;
}

/** Raised when the input cannot be read as a capture at all. */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
}
