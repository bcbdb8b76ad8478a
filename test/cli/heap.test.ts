// The command line's limit on V8's heap growth (src/cli/heap.ts): set at startup unless the user
// chose a growing factor. What it is worth is measured by the benchmark (README), not here.
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../src/cli/heap.js';

describe('limitHeapGrowth', () => {
  it('leaves a growing factor given in node\'s arguments alone (0: V8\'s own choice)', () => {
    expect(limitHeapGrowth(['--heap-growing-percent=0'])).toBe(false);
    expect(limitHeapGrowth(['--max-old-space-size=512', '--heap_growing_percent', '20'])).toBe(false);
  });

  it('sets its own otherwise, also when other heap flags are given', () => {
    expect(HEAP_GROWING_PERCENT).toBeGreaterThan(0);
    expect(limitHeapGrowth(['--max-old-space-size=512', '--max-semi-space-size=8'])).toBe(true);
    expect(limitHeapGrowth([])).toBe(true);
  });
});
