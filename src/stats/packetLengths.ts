// Wireshark's Packet Lengths statistic (Statistics ▸ Packet Lengths, `tshark -z plen,tree`):
// frame.len counted into ten fixed buckets under a root row, with count, average, min, max,
// rate and percent computed and rounded as Wireshark's stats_tree does:
//   average = (float)total / count, printed "%.2f"   (single precision, as in stats_tree.c)
//   rate    = (float)count / elapsed ms, "%.4f"       (elapsed: first to last frame counted)
//   percent = count × 100.0 / root count, "%.2f%%"    (the root row itself: "100%")

import type { PacketLengthRow } from './model.js';
import { printfFixed } from './printf.js';

/** The buckets as Wireshark names them, smallest first. */
export const PLEN_RANGES = [
  '0-19', '20-39', '40-79', '80-159', '160-319', '320-639', '640-1279', '1280-2559', '2560-5119', '5120 and greater',
] as const;
export const PLEN_BUCKETS = PLEN_RANGES.length;
/** Name of tshark's root row. */
export const PLEN_ROOT = 'Packet Lengths';

/** Bucket index of a frame length: at most four comparisons. */
export function plenBucket(length: number): number {
  if (length < 320) return length < 40 ? (length < 20 ? 0 : 1) : length < 80 ? 2 : length < 160 ? 3 : 4;
  return length < 1280 ? (length < 640 ? 5 : 6) : length < 2560 ? 7 : length < 5120 ? 8 : 9;
}

/**
 * Capture time as Wireshark's stats_tree sees it: nstime_to_msec of the frame's time relative
 * to the capture's first frame (nstime_delta keeps seconds and nanoseconds of one sign).
 */
export function relativeMs(tsSec: number, tsNsec: number, startSec: number, startNsec: number): number {
  let secs = tsSec - startSec;
  let nsecs = tsNsec - startNsec;
  if (secs > 0 && nsecs < 0) {
    nsecs += 1e9;
    secs--;
  } else if (secs < 0 && nsecs > 0) {
    nsecs -= 1e9;
    secs++;
  }
  return secs * 1000 + nsecs / 1e6;
}

/**
 * Bucket figures of any number of histograms side by side in typed arrays (slot = histogram ×
 * 10 + bucket), growing as histograms are added: the whole capture is one histogram, each TCP
 * connection another. Adding a frame writes four numbers and allocates nothing.
 */
export class BucketArrays {
  count: Uint32Array<ArrayBuffer>;
  total: Float64Array<ArrayBuffer>;
  min: Float64Array<ArrayBuffer>;
  max: Float64Array<ArrayBuffer>;
  #histograms: number;

  constructor(histograms = 1) {
    this.#histograms = Math.max(1, histograms);
    const slots = this.#histograms * PLEN_BUCKETS;
    this.count = new Uint32Array(slots);
    this.total = new Float64Array(slots);
    this.min = new Float64Array(slots).fill(Infinity);
    this.max = new Float64Array(slots).fill(-Infinity);
  }

  /** Makes room for histogram `index`. */
  ensure(index: number): void {
    if (index < this.#histograms) return;
    let n = this.#histograms;
    while (n <= index) n *= 2;
    const slots = n * PLEN_BUCKETS;
    const grow = <T extends Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(old: T, fresh: T, fill?: number): T => {
      if (fill !== undefined) fresh.fill(fill, old.length);
      fresh.set(old);
      return fresh;
    };
    this.count = grow(this.count, new Uint32Array(slots));
    this.total = grow(this.total, new Float64Array(slots));
    this.min = grow(this.min, new Float64Array(slots), Infinity);
    this.max = grow(this.max, new Float64Array(slots), -Infinity);
    this.#histograms = n;
  }

  add(histogram: number, length: number): void {
    const slot = histogram * PLEN_BUCKETS + plenBucket(length);
    this.count[slot]!++;
    this.total[slot]! += length;
    if (length < this.min[slot]!) this.min[slot] = length;
    if (length > this.max[slot]!) this.max[slot] = length;
  }
}

/** The figures of one table before rounding: per-bucket sums merged from any histograms. */
export class LengthTable {
  readonly count = new Float64Array(PLEN_BUCKETS);
  readonly total = new Float64Array(PLEN_BUCKETS);
  readonly min = new Float64Array(PLEN_BUCKETS).fill(Infinity);
  readonly max = new Float64Array(PLEN_BUCKETS).fill(-Infinity);
  /** Milliseconds from the first to the last frame counted (stats_tree's `elapsed`). */
  elapsedMs = 0;

  merge(from: BucketArrays, histogram: number): void {
    const base = histogram * PLEN_BUCKETS;
    for (let b = 0; b < PLEN_BUCKETS; b++) {
      const n = from.count[base + b]!;
      if (n === 0) continue;
      this.count[b]! += n;
      this.total[b]! += from.total[base + b]!;
      this.min[b] = Math.min(this.min[b]!, from.min[base + b]!);
      this.max[b] = Math.max(this.max[b]!, from.max[base + b]!);
    }
  }

  /** tshark's rows: the root row, then the ten buckets. */
  rows(): PacketLengthRow[] {
    let count = 0;
    let total = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let b = 0; b < PLEN_BUCKETS; b++) {
      count += this.count[b]!;
      total += this.total[b]!;
      min = Math.min(min, this.min[b]!);
      max = Math.max(max, this.max[b]!);
    }
    const rate = (n: number): number | null => (this.elapsedMs !== 0 ? Number(printfFixed(Math.fround(n) / this.elapsedMs, 4)) : null);
    const root: PacketLengthRow = { range: PLEN_ROOT, count, ...figures(count, total, min, max), rate: rate(count), percent: 100 };
    const rows = [root];
    for (let b = 0; b < PLEN_BUCKETS; b++) {
      const n = this.count[b]!;
      rows.push({
        range: PLEN_RANGES[b]!,
        count: n,
        ...figures(n, this.total[b]!, this.min[b]!, this.max[b]!),
        rate: rate(n),
        percent: count !== 0 ? Number(printfFixed((n * 100.0) / count, 2)) : null,
      });
    }
    return rows;
  }
}

function figures(count: number, total: number, min: number, max: number): Pick<PacketLengthRow, 'average' | 'min' | 'max'> {
  if (count === 0) return { average: null, min: null, max: null };
  // stats_tree.c: ((float)node->total.int_total) / node->counter, a single-precision division.
  const average = Math.fround(Math.fround(total) / Math.fround(count));
  return { average: Number(printfFixed(average, 2)), min, max };
}

/**
 * A row's cells as tshark prints them ("Packet Lengths", "95", "348.15", "66", "1514",
 * "3.8782", "100%"), for text output and for comparing with tshark.
 */
export function plenCells(row: PacketLengthRow): [string, string, string, string, string, string, string] {
  const root = row.range === PLEN_ROOT;
  // An empty bucket prints "-"; an empty root row (no frame at all) prints nothing.
  const none = root ? '' : '-';
  return [
    row.range,
    String(row.count),
    row.average === null ? none : printfFixed(row.average, 2),
    row.min === null ? none : String(row.min),
    row.max === null ? none : String(row.max),
    row.rate === null ? '' : printfFixed(row.rate, 4),
    root ? '100%' : row.percent === null ? '' : `${printfFixed(row.percent, 2)}%`,
  ];
}
