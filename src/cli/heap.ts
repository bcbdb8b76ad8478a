// How far the command line lets V8's old generation grow between two full collections.
//
// Every command streams: each session, connection and file is dropped once it is done, so the
// live heap stays small (tens of MB even on a capture of 10,000 sessions), while a long run
// still promotes objects that die soon after: the reports keep each connection 60 s of capture
// time after its teardown (as Wireshark does), with its session (`extract` and `creds` do not,
// and since util/SlotMap.ts no Map keeps finished sessions alive either). V8 lets the old
// generation grow to up to four times the live heap before collecting it again, a choice made
// for throughput in programs whose live heap is large and long-lived; here most of that growth
// is garbage waiting, and it is most of the peak RSS. A growing factor of 1.75 keeps it near
// the live heap. Measured on the bench captures (README, "Benchmark"): `extract many`
// 250 → 195–200 MB, the text report of many 590 → 359 MB, its JSON 672 → 424 MB, at the same
// time within the noise (`extract bulk`, whose heap is small anyway, unchanged); a factor of
// 1.25 or 1.5 saves a little more and costs 10–40 % more time in collections. After SlotMap,
// `extract many` is 146–150 MB with it and 168–182 MB without.
//
// The library does not do this: a program that imports it owns its process's heap settings.

import { setFlagsFromString } from 'node:v8';

/** V8's --heap-growing-percent for the command line: the old generation grows to 1.75 × the live heap. */
export const HEAP_GROWING_PERCENT = 75;

const FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/**
 * Sets the growing factor unless the user chose one in node's arguments (NODE_OPTIONS cannot
 * carry it): `node --heap-growing-percent=0 …/cli.js` gives V8's own choice back. Returns
 * whether it was set. V8 reads the flag whenever it sets the next limit, so setting it at
 * startup, after the modules loaded, takes effect for the whole run (and worker threads).
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => FLAG.test(a))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
