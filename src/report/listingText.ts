// A directory listing (FtpTransfer.listing) in a few words and lines, for the text and
// Markdown reports. The JSON report has every entry; these show the first few.
import type { FtpListing, ListingEntry } from '../ftp/model.js';

const FORMAT_NAMES: Record<FtpListing['format'], string> = {
  unix: 'ls -l', dos: 'DOS/IIS', mlsd: 'MLSD facts', nlst: 'names only', mixed: 'mixed formats', unknown: 'format not recognised', empty: 'empty',
};

const TYPE_NAMES: Partial<Record<ListingEntry['type'], [string, string]>> = {
  file: ['file', 'files'], dir: ['directory', 'directories'], link: ['link', 'links'],
  'block-device': ['block device', 'block devices'], 'char-device': ['character device', 'character devices'],
  fifo: ['FIFO', 'FIFOs'], socket: ['socket', 'sockets'], other: ['other', 'others'],
};

/** Entries in the listing: kept, parsed but not kept (a summary's), and past the cap. */
export function listingEntryCount(l: FtpListing): number {
  return l.entries.length + (l.entriesNotKept ?? 0) + (l.entriesOmitted ?? 0);
}

/** "8 entries (ls -l): 7 files, 1 directory; 1 line not understood". */
export function listingSummary(l: FtpListing): string {
  const n = listingEntryCount(l);
  // Types of the entries within the cap: counted as they were parsed (a summary's), or here.
  const counts = new Map<string, number>();
  if (l.entryTypes !== undefined) for (const [t, c] of Object.entries(l.entryTypes)) counts.set(t, c);
  else for (const e of l.entries) if (TYPE_NAMES[e.type]) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  const kinds = Object.entries(TYPE_NAMES).filter(([t]) => counts.has(t)).map(([t, names]) => {
    const c = counts.get(t)!;
    return `${c} ${names[c === 1 ? 0 : 1]}`;
  });
  const bad = l.unparsed.length + (l.unparsedOmitted ?? 0);
  return `${n} entr${n === 1 ? 'y' : 'ies'} (${FORMAT_NAMES[l.format]})${kinds.length > 0 ? `: ${kinds.join(', ')}` : ''}${bad > 0 ? `; ${bad} line${bad === 1 ? '' : 's'} not understood` : ''}`;
}

/** One short line per entry: type, size, time, name (-> target). Unescaped: the caller escapes. */
export function listingEntryLine(e: ListingEntry): { type: string; size: string; modified: string; name: string } {
  return {
    type: e.type,
    size: e.size === null ? (e.device ? `${e.device.major},${e.device.minor}` : '-') : String(e.size),
    modified: e.modified ?? '-',
    name: e.target !== undefined ? `${e.name} -> ${e.target}` : e.name,
  };
}
