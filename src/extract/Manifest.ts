// DIR/manifest.json: what `ftp-inspect extract` wrote, and how much of each file the
// capture really had. Written once, when extraction ends (FileSink.finish or close), entry by
// entry: the entries of closed files wait in a spool file (util/TextSpool), not in memory.
//
// Format (version "ftp-inspect-extract/1"):
//
//   {
//     "format": "ftp-inspect-extract/1",
//     "layout": "flat" | "tree",      // base names only, or session-N/remote/dirs/name
//     "holes": "zero" | "omit",       // how missing ranges were written (see below)
//     "files": [ ManifestEntry, … ]   // in the order the transfers were opened
//   }
//
// Offsets in `missing` are offsets in the remote file (REST included), whatever `holes` is:
//  - holes "zero": the file on disk has every byte at its own offset; missing ranges read as
//    zeros (written as holes: sparse where the file system allows) and are listed here. A
//    missing end whose size the stream did not tell (an undecodable rest, [start, null]; a
//    transfer shorter than announced, "short") is not padded: the file ends where its data
//    ended. A gap of known size at the end is kept at its size.
//  - holes "omit": the file on disk is only the bytes that came, one after the other; the
//    listed ranges say where the cuts are.
// `[start, null]` means "from start on, an unknown amount": a compressed or framed stream
// that could not be decoded past a gap, or a transfer cut short with no announced size.
// `complete` is true only when nothing is missing — a REST transfer that starts at N lists
// [0, N] as missing (those bytes were not part of it) — and no write failed.
//
// Resumed and appended transfers: when the pieces of one remote file (same server, same
// path, same direction; REST or APPE offsets) cover it from 0 to the end of a piece that
// was a complete transfer, and agree byte for byte where they overlap, one more entry of
// kind "reassembled" is written (holes "zero" only): the whole file, with `pieces` saying
// which range came from which extracted file.

import type { DataWarning } from '../ftp/data/DataDecoder.js';
import type { WireRepresentation } from '../ftp/data/TransferDecoder.js';

export const MANIFEST_FORMAT = 'ftp-inspect-extract/1';

export type ExtractKind = 'file' | 'listing' | 'orphan' | 'reassembled';
export type ExtractDirection = 'download' | 'upload' | 'listing' | 'unknown';

/** Why a range is missing. */
export type MissingReason =
  | 'gap' // the decoder said so (lost segments, not captured, snaplen)
  | 'undecodable' // after a gap or damage, a compressed/framed stream could not go on
  | 'before-rest' // bytes before a REST offset: not part of this transfer
  | 'short' // fewer bytes than the announced size (150 "(N bytes)" or SIZE)
  | 'skipped' // the stream jumped forward without a gap being announced
  | 'aborted'; // the transfer was aborted (ABOR, 426, reset): the rest, of unknown size, never came

export interface MissingRange {
  start: number;
  /** Exclusive; null = unknown (to the end of the file). */
  end: number | null;
  reason: MissingReason;
}

export interface ManifestEntry {
  /** Path of the file relative to the output directory, '/'-separated. */
  name: string;
  /** The remote path as the capture gave it (working directory + argument), if known. */
  originalPath: string | null;
  kind: ExtractKind;
  /** FtpSession.id of the control session, null for orphans. */
  session: number | null;
  /** RETR, STOR, STOU, APPE, LIST, NLST, MLSD; null when not known (orphans). */
  command: string | null;
  argument: string | null;
  direction: ExtractDirection;
  /** Wireshark tcp.stream of the data connection. */
  stream: number | null;
  /** Size of the file on disk. */
  size: number;
  /** Decoded bytes that came from the capture (size minus zero-filled holes). */
  dataBytes: number;
  /** sha256 of the file on disk, hex. */
  sha256: string;
  complete: boolean;
  /** [start, end) in remote-file offsets; end null = unknown. */
  missing: Array<[number, number | null]>;
  /** The same ranges with the reason for each. */
  missingDetail: MissingRange[];
  /**
   * Offset in the remote file of this transfer's first byte: the REST offset it resumed at,
   * or for APPE the remote file's size before the append (the SIZE reply just before it).
   */
  restOffset?: number;
  /**
   * kind 'reassembled': the whole remote file put together from resumed or appended pieces
   * (REST/APPE transfers of the same path on the same server), which range came from which
   * extracted file. Written only when the pieces cover every byte, agree where they overlap,
   * and the piece that reaches the end was a complete transfer.
   */
  pieces?: Array<{ name: string; start: number; end: number }>;
  /** Size announced by the server (150 "(N bytes)", SIZE), when the caller knew it. */
  expectedSize?: number;
  /** How the bytes were on the wire and what was undone. */
  wire: {
    mode: WireRepresentation['mode'] | null;
    type: WireRepresentation['type'] | null;
    byteSize?: number;
    structure?: WireRepresentation['structure'];
    /** Bytes of the data connection (before decoding), when known. */
    bytes: number | null;
    /** e.g. "MODE Z, TYPE A (CR LF -> LF)". */
    decoding: string | null;
  };
  /** First and last frame that carried data for this file. */
  frames: { first: number | null; last: number | null };
  /** Restart markers (MODE B/C) seen in the stream: reported, not written into the file. */
  restartMarkers?: Array<{ marker: string; dataOffset: number; frame: number | null }>;
  /** Decoder and writer warnings, one line each. */
  warnings: string[];
  /** Why the file could not be written (fully), if it could not. */
  error?: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  layout: 'flat' | 'tree';
  holes: 'zero' | 'omit';
  files: ManifestEntry[];
}

/** What FileSink.finish says of the manifest it wrote (the entries went to its listener). */
export interface ManifestWritten {
  format: typeof MANIFEST_FORMAT;
  layout: 'flat' | 'tree';
  holes: 'zero' | 'omit';
  /** The manifest's file name in the output directory (manifest.json, or ` (2)`… when that was taken). */
  name: string;
  /** Entries in the manifest. */
  fileCount: number;
}

/**
 * Hears the manifest while FileSink.finish writes it, entry by entry, so that no one has to
 * hold all of it. A returned promise is awaited before the next call (backpressure).
 */
export interface ManifestListener {
  /** Before the first entry: the manifest's name and how many entries follow. */
  start?(manifest: ManifestWritten): void | Promise<void>;
  /** Each entry, in the manifest's order. */
  entry?(entry: ManifestEntry): void | Promise<void>;
  /** Each piece of manifest.json's text as it is written (together: the whole file). */
  text?(piece: string): void | Promise<void>;
}

/** One line for a decoder warning: "mode-z: message (frames 12-15)". */
export function warningLine(w: DataWarning): string {
  const f = w.frames;
  const frames = f === undefined || f.length === 0 ? '' : f.length === 1 ? ` (frame ${f[0]})` : ` (frames ${f[0]}-${f[f.length - 1]})`;
  return `${w.stage}: ${w.message}${frames}`;
}
