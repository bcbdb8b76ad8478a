// Memory shared by every reassembler of one analysis for bytes that arrived ahead of a hole.
// Each direction also has its own limit (ReassemblyLimits.maxBufferedBytesPerDirection); this one
// bounds the sum, so a capture with thousands of lossy connections cannot grow without bound.

/** Default for the whole analysis: 64 MiB of out-of-order bytes across all connections. */
export const DEFAULT_REASSEMBLY_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * A counter of bytes held by out-of-order buffers, with an upper limit.
 *
 * When a reservation fails, the reassembler that asked gives up its own oldest hole rather than
 * taking memory from other connections: the connection that needs more memory pays (gopacket's
 * "flush the connection that got the packet"). So one lossy connection cannot stall the others,
 * and the outcome for a connection does not depend on what unrelated connections buffer — as
 * long as the budget is not exhausted.
 */
export class ReassemblyBudget {
  readonly limit: number;
  #used = 0;
  #peak = 0;

  constructor(limitBytes: number = DEFAULT_REASSEMBLY_BUDGET_BYTES) {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) {
      throw new RangeError(`reassembly budget: expected a non-negative whole number of bytes, got ${limitBytes}`);
    }
    this.limit = limitBytes;
  }

  /** Bytes currently reserved. */
  get used(): number {
    return this.#used;
  }

  /** Highest `used` seen, for statistics and tests. */
  get peak(): number {
    return this.#peak;
  }

  /** Reserves `bytes` if they fit under the limit; false (and nothing reserved) otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
    return true;
  }

  /** Returns bytes reserved earlier. */
  release(bytes: number): void {
    this.#used -= bytes;
    if (this.#used < 0) throw new Error(`reassembly budget: released ${bytes} bytes more than were reserved`);
  }
}
