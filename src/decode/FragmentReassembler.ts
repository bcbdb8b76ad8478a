// Reassembly of fragmented IP datagrams (RFC 791 §3.2 for IPv4, RFC 8200 §4.5 for IPv6).
//
// Everything a capture holds is untrusted, and fragments are a classic way to make a receiver
// hold memory for data that never completes. So every pending datagram counts against named
// limits (bytes held, datagrams pending, datagram size, age in capture time) and, when a limit
// is hit, the oldest pending datagrams are dropped with a warning on the frame that needed the
// room. Fragments arrive rarely in practice, so this code favours clarity over speed.

/** Bounds on the memory and time fragment reassembly may use. */
export interface ReassemblyLimits {
  /** Bytes held by all pending datagrams together (data buffers plus bookkeeping). */
  maxBytes: number;
  /** Datagrams waiting for more fragments at once. */
  maxDatagrams: number;
  /** Largest datagram payload accepted; IP cannot express more than 65535 (RFC 791 §3.1). */
  maxDatagramSize: number;
  /** Capture-time seconds after its first fragment that an incomplete datagram is given up. */
  timeoutSeconds: number;
}

/** A datagram whose last missing fragment just arrived. */
export interface ReassembledDatagram {
  /** The reassembled payload; a fresh buffer, not a view into any frame. */
  data: Uint8Array;
  /** Frames that contributed, in order of fragment offset. */
  frames: number[];
  /** What the caller passed as `meta` with the fragment at offset 0. */
  meta: number;
}

/** Counters, for reports and tests. */
export interface ReassemblyStats {
  /** Datagrams currently waiting for fragments. */
  pending: number;
  /** Bytes charged to the pending datagrams. */
  bytesHeld: number;
  completed: number;
  /** Given up after `timeoutSeconds`. */
  expired: number;
  /** Dropped to stay within `maxBytes` or `maxDatagrams`. */
  evicted: number;
  /** Dropped because a fragment made them larger than `maxDatagramSize`, or had too many fragments. */
  oversized: number;
}

interface PendingDatagram {
  firstSeen: number;
  /** Holds bytes [0, capacity); only the covered ranges are meaningful. */
  buffer: Uint8Array;
  /** Covered byte ranges as a flat sorted list [start0, end0, start1, end1, …], merged. */
  covered: number[];
  /** Payload length, known once the fragment with More Fragments clear arrives; -1 before. */
  totalLength: number;
  pieces: Array<{ offset: number; frame: number }>;
  meta: number;
  charged: number;
}

// Bookkeeping charged per datagram and per fragment, so that floods of tiny or empty
// fragments also run into `maxBytes`.
const DATAGRAM_OVERHEAD = 256;
const FRAGMENT_OVERHEAD = 48;
const INITIAL_CAPACITY = 2048;
// 65535 / 8: the most distinct fragments a datagram can have, since every fragment but the last
// carries a multiple of 8 bytes. It bounds the work each further fragment can cost.
const MAX_FRAGMENTS_PER_DATAGRAM = 8192;

export class FragmentReassembler {
  readonly #limits: ReassemblyLimits;
  readonly #pending = new Map<string, PendingDatagram>();
  #bytesHeld = 0;
  #completed = 0;
  #expired = 0;
  #evicted = 0;
  #oversized = 0;

  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
  }

  get stats(): ReassemblyStats {
    return {
      pending: this.#pending.size,
      bytesHeld: this.#bytesHeld,
      completed: this.#completed,
      expired: this.#expired,
      evicted: this.#evicted,
      oversized: this.#oversized,
    };
  }

  /** Frame numbers of the datagrams still incomplete, oldest first (for end-of-capture reports). */
  pendingFrames(): number[][] {
    return [...this.#pending.values()].map((p) => p.pieces.map((x) => x.frame));
  }

  /**
   * Adds one fragment. `key` identifies the datagram (RFC 791: source, destination, protocol,
   * identification; RFC 8200: source, destination, identification). `bytes` is the fragment's
   * payload; it is copied, so a view into the frame is fine. Returns the datagram when this
   * fragment completes it. Problems go to `warnings`, prefixed with `label`.
   */
  add(
    key: string,
    frame: number,
    time: number,
    offset: number,
    more: boolean,
    bytes: Uint8Array,
    meta: number,
    label: string,
    warnings: string[],
  ): ReassembledDatagram | undefined {
    this.#expire(time);
    const limits = this.#limits;
    const end = offset + bytes.length;

    let entry = this.#pending.get(key);
    if (bytes.length === 0) {
      warnings.push(`${label}: empty fragment at offset ${offset} ignored`);
      return undefined;
    }
    if (entry && entry.pieces.length >= MAX_FRAGMENTS_PER_DATAGRAM) {
      warnings.push(`${label}: more than ${MAX_FRAGMENTS_PER_DATAGRAM} fragments for one datagram; datagram discarded`);
      this.#drop(key, entry);
      this.#oversized++;
      return undefined;
    }
    if (end > limits.maxDatagramSize) {
      warnings.push(`${label}: fragment at offset ${offset} makes the datagram ${end} bytes, over the ${limits.maxDatagramSize}-byte limit; datagram discarded`);
      if (entry) this.#drop(key, entry);
      this.#oversized++;
      return undefined;
    }
    if (entry && entry.totalLength >= 0 && end > entry.totalLength) {
      warnings.push(`${label}: fragment at offset ${offset} runs past the datagram end ${entry.totalLength}; ignored`);
      return undefined;
    }

    if (!entry) {
      if (this.#pending.size >= limits.maxDatagrams) {
        this.#evictOldest(undefined, `${limits.maxDatagrams} pending datagrams`, warnings);
      }
      entry = { firstSeen: time, buffer: new Uint8Array(0), covered: [], totalLength: -1, pieces: [], meta: -1, charged: 0 };
      this.#pending.set(key, entry);
      this.#charge(entry, DATAGRAM_OVERHEAD);
    }

    if (!more) {
      const coveredEnd = entry.covered.length > 0 ? entry.covered[entry.covered.length - 1]! : 0;
      if (entry.totalLength >= 0 && entry.totalLength !== end) {
        warnings.push(`${label}: second last fragment says the datagram ends at ${end}, not ${entry.totalLength}; kept the first`);
        return undefined;
      }
      if (coveredEnd > end) {
        warnings.push(`${label}: last fragment ends at ${end} but earlier fragments reach ${coveredEnd}; ignored`);
        return undefined;
      }
    }

    // Make room before taking the bytes: grow the buffer, charging the growth, and push older
    // datagrams out if the total would pass the limit.
    const needed = this.#capacityFor(entry, end, more ? -1 : end);
    const growth = needed - entry.buffer.length + FRAGMENT_OVERHEAD;
    if (this.#bytesHeld + growth > limits.maxBytes) {
      this.#evictOldest(key, `${limits.maxBytes} bytes`, warnings, growth);
      if (this.#bytesHeld + growth > limits.maxBytes) {
        warnings.push(`${label}: fragment reassembly needs ${entry.charged + growth} bytes for one datagram, over the ${limits.maxBytes}-byte limit; datagram discarded`);
        this.#drop(key, entry);
        this.#evicted++;
        return undefined;
      }
    }
    if (needed > entry.buffer.length) {
      const grown = new Uint8Array(needed);
      grown.set(entry.buffer);
      entry.buffer = grown;
    }
    this.#charge(entry, growth);

    if (!more) entry.totalLength = end;
    if (offset === 0 && entry.meta < 0) entry.meta = meta;
    const merged = this.#merge(entry, offset, bytes);
    if (merged.conflict) {
      warnings.push(`${label}: fragment at offset ${offset} overlaps earlier data with different bytes; kept the first copy`);
    }
    // A conflicting copy that added nothing is not part of the datagram (Wireshark leaves it
    // out of the fragment list too); an identical repeat is, as a retransmission of it.
    if (!merged.conflict || merged.added) entry.pieces.push({ offset, frame });

    const c = entry.covered;
    if (entry.totalLength < 0 || c.length !== 2 || c[0] !== 0 || c[1]! < entry.totalLength) return undefined;

    this.#drop(key, entry);
    this.#completed++;
    const total = entry.totalLength;
    const data = entry.buffer.length === total ? entry.buffer : entry.buffer.slice(0, total);
    entry.pieces.sort((a, b) => a.offset - b.offset || a.frame - b.frame);
    const frames = [...new Set(entry.pieces.map((p) => p.frame))];
    return { data, frames, meta: entry.meta };
  }

  #capacityFor(entry: PendingDatagram, end: number, knownTotal: number): number {
    const current = entry.buffer.length;
    if (end <= current) return current;
    const total = knownTotal >= 0 ? knownTotal : entry.totalLength;
    if (total >= 0) return Math.max(total, end);
    // Unknown final size: double, so a datagram arriving in order costs few copies.
    return Math.max(end, Math.min(this.#limits.maxDatagramSize, Math.max(INITIAL_CAPACITY, current * 2)));
  }

  /**
   * Copies the parts of `bytes` not yet covered into the buffer. Where a fragment repeats
   * bytes already held, the first copy wins, as most stacks do and as Wireshark shows; the
   * result says whether any repeated byte differed (a sign of an evasion attempt or a broken
   * sender — RFC 5722 §4 even tells IPv6 receivers to discard such datagrams) and whether
   * any byte was new.
   */
  #merge(entry: PendingDatagram, offset: number, bytes: Uint8Array): { conflict: boolean; added: boolean } {
    const end = offset + bytes.length;
    const c = entry.covered;
    const buffer = entry.buffer;
    let conflict = false;
    let added = false;
    let pos = offset;
    let firstTouched = -1;
    let lastTouched = -1;
    for (let i = 0; i < c.length; i += 2) {
      const start = c[i]!;
      const stop = c[i + 1]!;
      // Ranges that touch (stop === offset) are merged too, hence <, not <=.
      if (stop < offset) continue;
      if (start > end) break;
      if (firstTouched < 0) firstTouched = i;
      lastTouched = i;
      if (start > pos) {
        buffer.set(bytes.subarray(pos - offset, start - offset), pos);
        added = true;
      }
      const overlapEnd = Math.min(stop, end);
      for (let p = Math.max(start, pos); p < overlapEnd; p++) {
        if (buffer[p] !== bytes[p - offset]) {
          conflict = true;
          break;
        }
      }
      if (overlapEnd > pos) pos = overlapEnd;
    }
    if (pos < end) {
      buffer.set(bytes.subarray(pos - offset), pos);
      added = true;
    }

    if (firstTouched < 0) {
      // No neighbour: insert the new range in order.
      let at = 0;
      while (at < c.length && c[at]! < offset) at += 2;
      c.splice(at, 0, offset, end);
    } else {
      const mergedStart = Math.min(offset, c[firstTouched]!);
      const mergedEnd = Math.max(end, c[lastTouched + 1]!);
      c.splice(firstTouched, lastTouched - firstTouched + 2, mergedStart, mergedEnd);
    }
    return { conflict, added };
  }

  #charge(entry: PendingDatagram, bytes: number): void {
    entry.charged += bytes;
    this.#bytesHeld += bytes;
  }

  #drop(key: string, entry: PendingDatagram): void {
    this.#pending.delete(key);
    this.#bytesHeld -= entry.charged;
  }

  /** Drops the oldest pending datagrams (never `keep`) until `room` more bytes fit, or one datagram if `room` is not given. */
  #evictOldest(keep: string | undefined, limit: string, warnings: string[], room = 0): void {
    for (const [key, entry] of this.#pending) {
      if (room > 0 && this.#bytesHeld + room <= this.#limits.maxBytes) break;
      if (key === keep) continue;
      this.#drop(key, entry);
      this.#evicted++;
      warnings.push(`IP reassembly: limit of ${limit} reached; dropped the incomplete datagram from frame${entry.pieces.length === 1 ? '' : 's'} ${describeFrames(entry)}`);
      if (room === 0) break;
    }
  }

  #expire(time: number): void {
    // The map iterates in insertion order, which is first-seen order for a capture in time
    // order, so the scan stops at the first datagram still young enough.
    for (const [key, entry] of this.#pending) {
      if (time - entry.firstSeen <= this.#limits.timeoutSeconds) break;
      this.#drop(key, entry);
      this.#expired++;
    }
  }
}

function describeFrames(entry: PendingDatagram): string {
  const frames = entry.pieces.map((p) => p.frame);
  return frames.length <= 6 ? frames.join(', ') : `${frames.slice(0, 6).join(', ')} … (${frames.length})`;
}
