// Where the tests find real captures: the project's own fixtures, and the public corpus in
// ../shared/captures/public when this checkout sits beside it (it does in CI, not on a
// user's machine — tests that need it skip visibly then).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(ROOT, 'fixtures');
export const PUBLIC_CAPTURES = resolve(ROOT, '../shared/captures/public');
export const hasPublicCaptures = existsSync(PUBLIC_CAPTURES);

const CAPTURE_NAME = /\.(pcap|pcapng|cap|dmp)(\.gz)?$/i;

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (CAPTURE_NAME.test(name)) out.push(path);
  }
  return out;
}

/** Captures shipped in fixtures/, as absolute paths. */
export function fixtureCaptures(): string[] {
  return walk(FIXTURES);
}

/** Captures in ../shared/captures/public (empty when absent). */
export function publicCaptures(): string[] {
  return walk(PUBLIC_CAPTURES);
}

/** A short name for test titles. */
export function captureLabel(path: string): string {
  return path.startsWith(PUBLIC_CAPTURES) ? `public/${relative(PUBLIC_CAPTURES, path)}` : relative(ROOT, path);
}

/**
 * Call inside a describe() that loops over publicCaptures(): when the corpus is absent it adds
 * one visibly skipped test naming the missing folder, so the suite is reported as skipped
 * rather than failing as empty.
 */
export function skipWithoutPublicCaptures(): void {
  if (!hasPublicCaptures) it.skip(`public captures not found at ${PUBLIC_CAPTURES}`, () => {});
}
