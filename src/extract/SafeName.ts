// Names for extracted files. Everything here comes from the capture — a remote path is
// whatever a client or server chose to send — so it is treated as hostile: it must never
// climb out of the output directory, never name a device, never hide what it is from the
// person listing the directory, and never be too long for the file system.
//
// Each path component is cleaned on its own (see `sanitizeComponent`); the components a
// caller keeps (only the base name in the flat layout, `session-N/dirs/base` in the tree
// layout) are joined with '/'. Nothing here touches the disk: FileSink does, and checks
// again there (no symlinks, O_EXCL).

/** Longest component, in UTF-8 bytes (ext4, XFS, APFS, NTFS in UTF-16 units: 255). */
export const MAX_COMPONENT_BYTES = 255;
/** Room kept for a collision suffix (" (12345)") so a suffixed name still fits. */
const SUFFIX_ROOM = 8;
/** Longest extension kept whole when a name must be cut. */
const MAX_EXTENSION_BYTES = 16;

/** UTF-8 bytes of `s` (a lone surrogate counts 3, as the U+FFFD it is written as), without encoding it. */
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

// Characters that are not visible text: C0/C1 controls, DEL, format characters (bidi
// overrides and isolates U+202A–U+202E / U+2066–U+2069, zero-width spaces and joiners,
// BOM, soft hyphen, …), private use, lone surrogates, line and paragraph separators.
// A right-to-left override can make "exe.txt" display as "txt.exe"; a zero-width space
// makes two different names look the same.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/gu;
// Separators and the characters Windows forbids in names (so a directory extracted on Linux
// can be copied to Windows as is): / \ : * ? " < > |
const FORBIDDEN = /[/\\:*?"<>|]/g;
// DOS device names, reserved in every directory, with any extension ("nul.txt" is NUL too).
const DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)(\.|$)/i;

/**
 * One path component, made safe: invisible and forbidden characters become '_', trailing
 * dots and spaces go (Windows drops them, so "CON." would be CON), ".", ".." and "" become
 * "_", a leading '.' or '-' gets a '_' in front (no hidden files, nothing that reads as a
 * command-line option), device names get a '_' in front, and the result is cut to
 * `maxBytes` of UTF-8 (keeping a short extension) at a character boundary.
 */
export function sanitizeComponent(raw: string, maxBytes = MAX_COMPONENT_BYTES - SUFFIX_ROOM): string {
  let s = raw.normalize('NFC').replace(INVISIBLE, '_').replace(FORBIDDEN, '_');
  s = s.replace(/^ +/, '').replace(/[. ]+$/, '');
  if (s === '' || s === '.' || s === '..') s = '_';
  if (s.startsWith('.') || s.startsWith('-')) s = `_${s}`;
  if (DEVICE.test(s)) s = `_${s}`;
  return cutToBytes(s, maxBytes);
}

/** Splits a name into stem and extension ("a.tar.gz" -> "a", ".tar.gz"; "notes" -> "notes", ""). */
export function splitExtension(name: string): { stem: string; ext: string } {
  const tar = /^(.+?)(\.tar\.[A-Za-z0-9]{1,8})$/.exec(name);
  if (tar !== null) return { stem: tar[1]!, ext: tar[2]! };
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

/** Cuts a name to `maxBytes` of UTF-8 at a code point boundary, keeping a short extension. */
export function cutToBytes(name: string, maxBytes: number): string {
  // No UTF-16 unit takes more than 3 bytes of UTF-8 (a pair of surrogates takes 4 for two).
  if (name.length * 3 <= maxBytes || byteLength(name) <= maxBytes) return name;
  let { stem, ext } = splitExtension(name);
  if (byteLength(ext) > MAX_EXTENSION_BYTES || byteLength(ext) >= maxBytes) {
    stem = name;
    ext = '';
  }
  const budget = maxBytes - byteLength(ext);
  let out = '';
  let used = 0;
  for (const ch of stem) {
    const n = byteLength(ch);
    if (used + n > budget) break;
    out += ch;
    used += n;
  }
  return (out === '' ? '_' : out) + ext;
}

/**
 * A remote path as components. Both '/' and '\' separate (Windows servers send either);
 * drive letters ("C:"), UNC prefixes ("\\server\share"), "." and ".." are dropped — they say
 * where the file was, never where it goes. The base name is the last remaining component.
 */
export function remotePathParts(remotePath: string): { dirs: string[]; base: string } {
  const parts = remotePath
    .split(/[/\\]+/)
    .filter((p, i) => p !== '' && p !== '.' && p !== '..' && !(i === 0 && /^[A-Za-z]:$/.test(p)));
  const base = parts.pop() ?? '';
  return { dirs: parts, base };
}

export interface NameEndpoint {
  ip: string;
  port: number;
}

/** Name of a data connection whose control session is not in the capture. */
export function orphanName(stream: number, server: NameEndpoint, ext = '.bin'): string {
  return sanitizeComponent(`orphan-stream-${stream}-${server.ip.replace(/[:%]/g, '_')}-${server.port}${ext}`);
}

/** Name of a directory listing (LIST, NLST, MLSD), by session and the frame of its command. */
export function listingName(session: number, frame: number, command = 'LIST'): string {
  return sanitizeComponent(`${command === 'LIST' ? 'listing' : `listing-${command.toLowerCase()}`}-session${session}-frame${frame}.txt`);
}

/**
 * Hands out relative paths that are unique in one output directory: "x.bin", then
 * "x (2).bin", "x (3).bin" … — the way Windows Explorer and Edge name a second download of
 * the same file (the first is the implicit "(1)"; Chrome starts at " (1)", which reads as
 * if the original were numbered 0). The suffix goes before the extension (".tar.gz" counts
 * as one), so the file still opens with the right program. Names are compared without case and after NFC normalisation (two names
 * that differ only there are the same file on macOS and Windows). Directories and files
 * share the name space, so a file never takes a directory's name or the other way round.
 *
 * With a `lister`, names already on disk are taken from the start: the output directory's at
 * once, a directory's below it when the directory is first handed out and was on disk. So a
 * second run into the same folder names its files by their order in the capture ("x (2).bin"
 * for the first), not by which of them happened to find its name taken first.
 */
export class NameAllocator {
  #taken = new Map<string, 'file' | 'dir'>();
  #lastSuffix = new Map<string, number>();
  readonly #lister: NameLister | undefined;
  /** Directories seen on disk, not yet listed: key -> their relative path as on disk. */
  #unlisted = new Map<string, string>();
  /** Names still to take from disk before the rest is left to the retry on EEXIST. */
  #budget: number;

  constructor(reserved: string[] = [], lister?: NameLister, maxNamesFromDisk = MAX_NAMES_FROM_DISK) {
    for (const r of reserved) this.#taken.set(key(r), 'file');
    this.#lister = lister;
    this.#budget = maxNamesFromDisk;
    this.#takeFromDisk('');
  }

  /**
   * A unique file path for `dirs` + `base` (already sanitised); reserves the directories too.
   * Asking again with the same arguments gives the next suffix (after a name turned out to
   * exist on disk).
   */
  allocate(dirs: string[], base: string): string {
    const prefix = this.#reserveDirs(dirs);
    return this.#unique(prefix, base);
  }

  isTaken(rel: string): boolean {
    return this.#taken.has(key(rel));
  }

  #reserveDirs(dirs: string[]): string {
    let prefix = '';
    for (const d of dirs) {
      let name = d;
      // A file already has this name: the directory gets a distinct one.
      for (let k = 1; this.#taken.get(key(prefix + name)) === 'file'; k++) name = suffixed(d, k, true);
      const dirKey = key(prefix + name);
      this.#taken.set(dirKey, 'dir');
      prefix += `${name}/`;
      const onDisk = this.#unlisted.get(dirKey);
      if (onDisk !== undefined) {
        this.#unlisted.delete(dirKey);
        this.#takeFromDisk(`${onDisk}/`);
      }
    }
    return prefix;
  }

  /** Takes the names in directory `prefix` ('' or "a/b/") as the lister finds them. */
  #takeFromDisk(prefix: string): void {
    if (this.#lister === undefined || this.#budget <= 0) return;
    for (const { name, dir } of this.#lister(prefix === '' ? '' : prefix.slice(0, -1))) {
      if (--this.#budget < 0) return;
      const k = key(prefix + name);
      if (this.#taken.has(k)) continue;
      this.#taken.set(k, dir ? 'dir' : 'file');
      if (dir) this.#unlisted.set(k, prefix + name);
    }
  }

  #unique(prefix: string, base: string): string {
    let name = base;
    const baseKey = key(prefix + base);
    let nameKey = baseKey;
    // Many files of one name (a client fetching "index.html" a thousand times): count on
    // from the last suffix handed out instead of trying 1, 2, 3 … again each time.
    const start = this.#lastSuffix.get(baseKey) ?? 0;
    let k = start;
    if (start > 0 || this.#taken.has(baseKey)) {
      do {
        name = suffixed(base, ++k, false);
        nameKey = key(prefix + name);
      } while (this.#taken.has(nameKey));
      this.#lastSuffix.set(baseKey, k);
    }
    this.#taken.set(nameKey, 'file');
    return prefix + name;
  }
}

/**
 * The entries of a directory under the output directory ('' is the output directory itself),
 * `dir` only for real directories (a symbolic link counts as a file: nothing goes through it).
 */
export type NameLister = (relDir: string) => Iterable<{ name: string; dir: boolean }>;

/** A bound on the names read from disk (about 100 bytes each held; a folder of millions of files); beyond it, names found taken on open still get the next suffix. */
const MAX_NAMES_FROM_DISK = 100_000;

function key(rel: string): string {
  return rel.normalize('NFC').toLowerCase();
}

/** "name.ext" + k -> "name (k+1).ext" (directories: "name (k+1)"), still within the length bound. */
function suffixed(base: string, k: number, isDir: boolean): string {
  const { stem, ext } = isDir ? { stem: base, ext: '' } : splitExtension(base);
  const tail = ` (${k + 1})${ext}`;
  return cutToBytes(stem, MAX_COMPONENT_BYTES - byteLength(tail)) + tail;
}
