// Resumed and appended transfers put back together.
//
// A download cut off and resumed with REST N, or an upload finished with APPE after a SIZE
// reply, leaves pieces of one remote file in the capture. Each piece is extracted on its own
// (with its bytes at their remote-file offsets, the ones before its offset listed as
// 'before-rest'); when extraction ends, the pieces of each remote file are looked at
// together and, if they really are the whole file, it is written once more, whole:
//  - every byte from 0 to the end is in some piece (a piece's missing ranges do not count);
//  - the end is known: the piece that reaches it was a complete transfer (the server's
//    success reply, no missing bytes, no reset before its FIN);
//  - wherever two pieces hold the same bytes, they are equal (else the file changed between
//    the transfers, or one copy is damaged: nothing is claimed).
// The pieces are read back from the output directory (they are closed by then) in chunks,
// so memory stays bounded whatever the file size. Nothing is written when a check fails.

import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { TransferInfo } from './FileSink.js';
import type { ManifestEntry } from './Manifest.js';
import { remotePathParts, sanitizeComponent } from './SafeName.js';

const CHUNK = 1024 * 1024;
const CREATE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);

/** A file that may be a piece of a remote file: what reassembly needs of its TransferInfo, and its entry. */
export interface Piece {
  info: Pick<TransferInfo, 'pieceKey' | 'endsAtFileEnd'>;
  entry: ManifestEntry;
}

/** [start, end) ranges of the piece's file that hold captured bytes. */
function presentRanges(e: ManifestEntry): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let pos = 0;
  const missing = [...e.missingDetail].sort((a, b) => a.start - b.start);
  for (const m of missing) {
    const start = Math.min(m.start, e.size);
    if (start > pos) out.push([pos, start]);
    pos = Math.max(pos, m.end === null ? e.size : Math.min(m.end, e.size));
  }
  if (pos < e.size) out.push([pos, e.size]);
  return out;
}

/** "name (reassembled).ext": the extension stays last, so the file still opens as what it is. */
export function reassembledBase(base: string): string {
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 && base.length - dot <= 17 ? base.slice(dot) : '';
  return sanitizeComponent(`${base.slice(0, base.length - ext.length)} (reassembled)${ext}`);
}

async function readAt(fh: FileHandle, buf: Buffer, length: number, position: number): Promise<Buffer> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead <= 0) throw new Error('file shorter than its manifest entry');
    done += bytesRead;
  }
  return buf.subarray(0, length);
}

/**
 * For every group of pieces (same `pieceKey`) that includes a resumed or appended transfer:
 * writes the whole file when the pieces make it up (see above), and returns its entries.
 * `allocate` gives a unique name in the output directory.
 */
export async function reassemblePieces(dir: string, pieces: Piece[], allocate: (dirs: string[], base: string) => string): Promise<ManifestEntry[]> {
  const groups = new Map<string, Piece[]>();
  for (const p of pieces) {
    const key = p.info.pieceKey;
    if (key === undefined || p.entry.kind !== 'file' || p.entry.error !== undefined || p.entry.dataBytes === 0) continue;
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  const out: ManifestEntry[] = [];
  for (const group of groups.values()) {
    if (group.length < 2 || !group.some((p) => (p.entry.restOffset ?? 0) > 0)) continue;
    const entry = await reassembleGroup(dir, group, allocate).catch((err: unknown) => {
      for (const p of group) p.entry.warnings.push(`reassembly failed: ${(err as Error).message}`);
      return undefined;
    });
    if (entry) out.push(entry);
  }
  return out;
}

async function reassembleGroup(dir: string, group: Piece[], allocate: (dirs: string[], base: string) => string): Promise<ManifestEntry | undefined> {
  const note = (why: string) => {
    for (const p of group) p.entry.warnings.push(`not reassembled with the other pieces of this file: ${why}`);
    return undefined;
  };
  // The file ends where the furthest piece ends, and only a piece transferred completely says
  // that its end is the file's end (a complete STOR followed by an APPE is not the whole file).
  const total = Math.max(...group.map((p) => p.entry.size));
  const enders = group.filter((p) => p.info.endsAtFileEnd === true && p.entry.size === total && presentRanges(p.entry).length > 0);
  if (enders.length === 0) return note(`the piece that reaches offset ${total} was not transferred completely, so the end of the file is not known`);
  const ranges = group.map((p) => ({ p, r: presentRanges(p.entry).map(([a, b]) => [a, Math.min(b, total)] as [number, number]).filter(([a, b]) => b > a) }));
  // Which bytes come from which piece: from 0 on, the piece that holds the current offset and reaches furthest.
  const plan: Array<{ p: Piece; start: number; end: number }> = [];
  for (let pos = 0; pos < total; ) {
    let best: { p: Piece; end: number } | undefined;
    for (const { p, r } of ranges) {
      for (const [a, b] of r) if (a <= pos && b > pos && (best === undefined || b > best.end)) best = { p, end: b };
    }
    if (best === undefined) return note(`bytes from offset ${pos} are in no piece`);
    plan.push({ p: best.p, start: pos, end: best.end });
    pos = best.end;
  }
  const handles = new Map<Piece, FileHandle>();
  const handle = async (p: Piece) => {
    let fh = handles.get(p);
    if (!fh) {
      fh = await open(join(dir, ...p.entry.name.split('/')), fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
      handles.set(p, fh);
    }
    return fh;
  };
  try {
    // Where two pieces hold the same bytes, they must be the same bytes.
    const a = Buffer.allocUnsafe(CHUNK);
    const b = Buffer.allocUnsafe(CHUNK);
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        for (const [s1, e1] of ranges[i]!.r) {
          for (const [s2, e2] of ranges[j]!.r) {
            const s = Math.max(s1, s2);
            const e = Math.min(e1, e2);
            for (let off = s; off < e; off += CHUNK) {
              const n = Math.min(CHUNK, e - off);
              const x = await readAt(await handle(ranges[i]!.p), a, n, off);
              const y = await readAt(await handle(ranges[j]!.p), b, n, off);
              if (!x.equals(y)) {
                return note(`${ranges[i]!.p.entry.name} and ${ranges[j]!.p.entry.name} differ in bytes ${off}-${off + n} they both hold`);
              }
            }
          }
        }
      }
    }
    const last = plan[plan.length - 1]!.p;
    const base = reassembledBase(sanitizeComponent(remotePathParts(last.entry.originalPath ?? last.entry.name).base));
    const dirs = last.entry.name.split('/').slice(0, -1);
    const hash = createHash('sha256');
    let out: FileHandle | undefined;
    let name = '';
    for (let attempt = 0; out === undefined; attempt++) {
      name = allocate(dirs, base);
      try {
        out = await open(join(dir, ...name.split('/')), CREATE_FLAGS, 0o644);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'EEXIST' && code !== 'ELOOP') || attempt > 1000) throw err;
      }
    }
    try {
      for (const seg of plan) {
        const fh = await handle(seg.p);
        for (let off = seg.start; off < seg.end; off += CHUNK) {
          const n = Math.min(CHUNK, seg.end - off);
          const bytes = await readAt(fh, a, n, off);
          hash.update(bytes);
          let w = 0;
          while (w < n) w += (await out.write(bytes, w, n - w, off + w)).bytesWritten;
        }
      }
    } finally {
      await out.close();
    }
    const e = last.entry;
    const firsts = group.map((p) => p.entry.frames.first).filter((f): f is number => f !== null);
    const lasts = group.map((p) => p.entry.frames.last).filter((f): f is number => f !== null);
    for (const p of group) p.entry.warnings.push(`one of ${group.length} pieces of ${name}, the whole file reassembled`);
    return {
      name,
      originalPath: e.originalPath,
      kind: 'reassembled',
      session: e.session,
      command: e.command,
      argument: e.argument,
      direction: e.direction,
      stream: null,
      size: total,
      dataBytes: total,
      sha256: hash.digest('hex'),
      complete: true,
      missing: [],
      missingDetail: [],
      wire: { mode: null, type: null, bytes: null, decoding: null },
      frames: { first: firsts.length > 0 ? Math.min(...firsts) : null, last: lasts.length > 0 ? Math.max(...lasts) : null },
      pieces: plan.map((s) => ({ name: s.p.entry.name, start: s.start, end: s.end })),
      warnings: [],
    };
  } finally {
    for (const fh of handles.values()) await fh.close();
  }
}
