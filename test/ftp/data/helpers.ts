// Shared by the data-decoder tests: a sink that records what comes out, a way to feed a
// stream cut at chosen places, and small encoders that produce MODE B / MODE C streams from
// a known file (no common server speaks them, so the tests make their own).

import { createHash } from 'node:crypto';
import type { DataDecoder, DataPosition, DataSink, DataWarning, RestartMarker } from '../../../src/ftp/data/DataDecoder.js';
import { seededRandom as seeded } from '../../helpers/random.js';
export { seeded };

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export interface Collected {
  bytes: Uint8Array;
  gaps: Array<{ offset: number; length: number | null }>;
  ends: number;
  /** Offsets handed to data() were contiguous with what came before (gaps included). */
  contiguous: boolean;
  frames: number[];
}

/** A DataSink that keeps everything (tests only: small inputs). */
export class CollectSink implements DataSink {
  #parts: Uint8Array[] = [];
  #len = 0;
  #expect = 0;
  gaps: Array<{ offset: number; length: number | null }> = [];
  ends = 0;
  contiguous = true;
  frames: number[] = [];

  data(bytes: Uint8Array, at: DataPosition): void {
    if (at.offset !== this.#expect) this.contiguous = false;
    this.#parts.push(bytes.slice());
    this.#len += bytes.length;
    this.#expect += bytes.length;
    for (const f of at.frames ?? []) if (this.frames[this.frames.length - 1] !== f) this.frames.push(f);
  }

  gap(length: number | null, at: DataPosition): void {
    if (at.offset !== this.#expect) this.contiguous = false;
    this.gaps.push({ offset: at.offset, length });
    if (length !== null) this.#expect += length;
  }

  end(): void {
    this.ends++;
  }

  get bytes(): Uint8Array {
    const out = new Uint8Array(this.#len);
    let o = 0;
    for (const p of this.#parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  result(): Collected {
    return { bytes: this.bytes, gaps: this.gaps, ends: this.ends, contiguous: this.contiguous, frames: this.frames };
  }
}

/** Feeds `input` cut at `cuts` (sorted offsets), each piece with a made-up frame number, then ends. */
export async function feed(decoder: DataDecoder, input: Uint8Array, cuts: number[], startOffset = 0): Promise<void> {
  let prev = 0;
  let frame = 1;
  for (const c of [...cuts, input.length]) {
    if (c > prev) decoder.data(input.subarray(prev, c), { offset: startOffset + prev, frames: [frame++] });
    prev = c;
  }
  decoder.end();
  await decoder.settled();
}

/** Every way to cut `n` bytes once, and (for n <= maxPairs) twice; plus one byte at a time. */
export function cutPlans(n: number, maxPairs = 48): number[][] {
  const plans: number[][] = [[]];
  for (let i = 1; i < n; i++) plans.push([i]);
  if (n <= maxPairs) for (let i = 1; i < n; i++) for (let j = i + 1; j < n; j++) plans.push([i, j]);
  plans.push(Array.from({ length: Math.max(0, n - 1) }, (_, i) => i + 1));
  return plans;
}

/** Random cut points, chunks of 1..maxChunk bytes, from a seeded generator. */
export function randomCuts(n: number, maxChunk: number, seed: number): number[] {
  const rnd = seeded(seed);
  const cuts: number[] = [];
  for (let o = 0; ; ) {
    o += 1 + Math.floor(rnd() * maxChunk);
    if (o >= n) break;
    cuts.push(o);
  }
  return cuts;
}


/** Bytes that are partly random, partly runs (so MODE C and deflate have something to do). */
export function mixedBytes(n: number, seed: number): Uint8Array {
  const rnd = seeded(seed);
  const out = new Uint8Array(n);
  const noise = new Uint8Array(Math.min(n, 4096)).map(() => Math.floor(rnd() * 256));
  for (let i = 0; i < n; ) {
    const kind = rnd();
    const len = Math.min(n - i, 1 + Math.floor(rnd() * 300));
    if (kind < 0.3) out.fill(Math.floor(rnd() * 256), i, i + len);
    else if (kind < 0.45) out.fill(0x20, i, i + len);
    else for (let k = 0; k < len; k++) out[i + k] = noise[(i + k) % noise.length]!;
    i += len;
  }
  return out;
}

export function warningCodes(ws: readonly DataWarning[]): string[] {
  return ws.map((w) => w.code);
}

// --- MODE B (RFC 959 §3.4.2) ------------------------------------------------------------

export interface ModeBBlock {
  descriptor: number;
  data: Uint8Array;
}

export function modeBBlock(descriptor: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + data.length);
  out[0] = descriptor;
  out[1] = data.length >> 8;
  out[2] = data.length & 0xff;
  out.set(data, 3);
  return out;
}

/** A file as MODE B blocks of the given sizes (cycled), a restart marker before some blocks, EOF last. */
export function encodeModeB(file: Uint8Array, sizes: number[], markers: Map<number, string> = new Map()): Uint8Array {
  const parts: Uint8Array[] = [];
  let o = 0;
  let k = 0;
  do {
    const m = markers.get(o);
    if (m !== undefined) parts.push(modeBBlock(16, new TextEncoder().encode(m)));
    // A marker stands between blocks: a block that would run past one ends there.
    const nextMarker = Math.min(...[...markers.keys()].filter((x) => x > o), Number.POSITIVE_INFINITY);
    const n = Math.min(sizes[k++ % sizes.length]!, file.length - o, nextMarker - o);
    const last = o + n >= file.length;
    parts.push(modeBBlock(last ? 64 : 0, file.subarray(o, o + n)));
    o += n;
  } while (o < file.length);
  return concatAll(parts);
}

// --- MODE C (RFC 959 §3.4.3) ------------------------------------------------------------

/**
 * A file as MODE C: runs of the filler byte as filler items, other runs of >= 3 as replicated
 * bytes, everything else as byte strings (<= 127); restart markers (escape 16 + a string)
 * at chosen offsets; the EOF escape last.
 */
export function encodeModeC(file: Uint8Array, filler: number, markers: Map<number, string> = new Map()): Uint8Array {
  const out: number[] = [];
  let lit: number[] = [];
  const flush = (): void => {
    for (let i = 0; i < lit.length; i += 127) {
      const piece = lit.slice(i, i + 127);
      out.push(piece.length, ...piece);
    }
    lit = [];
  };
  let i = 0;
  while (i < file.length) {
    const m = markers.get(i);
    if (m !== undefined) {
      flush();
      const mb = [...new TextEncoder().encode(m)];
      out.push(0x00, 16, mb.length, ...mb);
    }
    const b = file[i]!;
    let run = 1;
    while (i + run < file.length && file[i + run] === b && run < 63 && !markers.has(i + run)) run++;
    if (b === filler && run >= 1 && (run >= 2 || lit.length === 0)) {
      flush();
      out.push(0xc0 | run);
      i += run;
    } else if (run >= 3) {
      flush();
      out.push(0x80 | run, b);
      i += run;
    } else {
      lit.push(b);
      i++;
      if (markers.has(i)) flush();
    }
  }
  flush();
  out.push(0x00, 64);
  return Uint8Array.from(out);
}

export function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export type { RestartMarker };
