// Working-directory bookkeeping for the session record: the path a 257 reply quotes, and
// where CWD/CDUP lead. A directory is absolute ("/pub") once a 257 reply or an absolute CWD
// told it; before that it is relative to the directory the login started in, written "./pub"
// ("." is that directory itself), so a relative walk is still followed. Only Unix-style paths
// are resolved; anything else (MVS data sets, Windows drive letters) is left unknown (null).

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

/** Where `CWD arg` leads from `cwd` (null: the start directory, not known by name). */
export function changeDirectory(cwd: string | null, arg: string): string | null {
  if (arg.startsWith('/')) return normalise(arg);
  const base = cwd ?? '.';
  if (!base.startsWith('/') && !base.startsWith('.')) return null;
  return normalise(`${base}/${arg}`);
}

/** The parent of `cwd` (CDUP). */
export function parentDirectory(cwd: string | null): string | null {
  return changeDirectory(cwd, '..');
}

/** Where a file named `arg` is, seen from `cwd` (for transfers), or null when unknown. */
export function filePath(cwd: string | null, arg: string): string | null {
  if (arg === '') return null;
  return changeDirectory(cwd, arg);
}

/** Removes "." and empty parts and applies ".."; a relative path keeps the ".." that go above its start. */
function normalise(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else {
      out.push(part);
    }
  }
  if (absolute) return `/${out.join('/')}`;
  return out.length === 0 ? '.' : `./${out.join('/')}`;
}
