// Working-directory bookkeeping for the session record: the path a 257 reply quotes, and
// where CWD/CDUP lead from a known directory. Only Unix-style paths are resolved; anything else
// (MVS data sets, Windows drive letters) is taken as the server states it, or left unknown.

/**
 * The path in a 257 reply: RFC 959 Appendix II puts it in double quotes at the start of the
 * text, with a quote inside the name written twice.
 */
export function quotedPath(text: string): string | undefined {
  const start = text.indexOf('"');
  if (start < 0) return undefined;
  let out = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch !== '"') {
      out += ch;
      continue;
    }
    if (text[i + 1] === '"') {
      out += '"';
      i++;
      continue;
    }
    return out;
  }
  return undefined;
}

/** Where `CWD arg` leads from `cwd` (null when it cannot be told). */
export function changeDirectory(cwd: string | null, arg: string): string | null {
  if (arg.startsWith('/')) return normalise(arg);
  if (cwd === null || !cwd.startsWith('/')) return null;
  return normalise(`${cwd}/${arg}`);
}

/** The parent of `cwd` (CDUP), or null when unknown. */
export function parentDirectory(cwd: string | null): string | null {
  if (cwd === null || !cwd.startsWith('/')) return null;
  return normalise(`${cwd}/..`);
}

function normalise(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
