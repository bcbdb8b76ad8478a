// Recognises FTP server software from the text servers volunteer: the greeting banner
// (RFC 959 leaves its text free, and most servers put their name there), the SYST answer
// (RFC 959 §4.1.3: the system type, which some servers decorate with their own name), and
// HELP/STAT texts. Banners are configurable, so a match is evidence, not proof: the report
// shows the text it came from.

export interface SoftwareMatch {
  name: string;
  version?: string;
  evidence: string;
}

interface Pattern {
  name: string;
  re: RegExp;
  /** Builds the version from the match (default: group 1). */
  version?: (m: RegExpExecArray) => string | undefined;
}

const PATTERNS: Pattern[] = [
  { name: 'vsFTPd', re: /\bvsFTPd\s+([0-9][\w.]*)/i },
  { name: 'Pure-FTPd', re: /\bPure-FTPd\b/i },
  { name: 'ProFTPD', re: /\bProFTPD\b(?:\s+([0-9][\w.]*))?/i },
  { name: 'FileZilla Server', re: /\bFileZilla Server\b(?:\s+version)?\s*v?([0-9][\w.]*(?:\s+beta)?)?/i },
  { name: 'FileZilla Server', re: /\bemulated by FileZilla\b/i },
  { name: 'Microsoft FTP Service', re: /\bMicrosoft FTP Service\b/i },
  { name: 'Serv-U', re: /\bServ-U FTP Server\s+v?([0-9][\w.]*)?/i },
  { name: 'wu-ftpd', re: /\bVersion wu-([0-9][\w.()-]*)/i },
  { name: 'NetBSD ftpd', re: /\bNetBSD-ftpd\s+([0-9]+)/i },
  { name: 'tnftpd', re: /\btnftpd\s+([0-9]+)/i },
  { name: 'Linux ftpd (OpenBSD port)', re: /\bLinux-ftpd-([0-9][\w.]*)/i },
  { name: 'OpenBSD ftpd', re: /\bVersion\s+([0-9][\w.]*)\/OpenBSD\b/i },
  { name: 'FreeBSD ftpd', re: /\bFTP server \(Version\s+([0-9][\w.]*LS)\)/i },
  { name: 'Digital UNIX ftpd', re: /\bDigital UNIX Version\s+([0-9][\w.]*)/i },
  { name: 'GridFTP Server', re: /\bGridFTP Server\s+([0-9][\w.]*)/i },
  { name: 'Apache mod_ftp', re: /\bmod_ftp\/([0-9][\w.]*)/i },
  { name: 'BisonWare FTPServer', re: /\bFTPServer\s+V([0-9][\w.]*)\s+by BisonWare/i },
  { name: 'IBM i FTP (QTCP)', re: /\bQTCP at\b/ },
  { name: 'IBM z/OS FTP', re: /\bIBM FTP CS\s+(V\w+)/i },
  { name: 'Xlight FTP Server', re: /\bXlight FTP Server\s+([0-9][\w.]*)?/i },
  { name: 'Gene6 FTP Server', re: /\bGene6 FTP Server\s+v?([0-9][\w.]*)?/i },
  { name: 'WS_FTP Server', re: /\bWS_FTP Server\s+([0-9][\w.]*)?/i },
  { name: 'glFTPd', re: /\bglFTPd\s+([0-9][\w.]*)?/i },
  { name: 'Titan FTP Server', re: /\bTitan FTP Server\s+([0-9][\w.]*)?/i },
  { name: 'Cerberus FTP Server', re: /\bCerberus FTP Server\b/i },
  { name: 'CrushFTP', re: /\bCrushFTP\s*([0-9][\w.]*)?/i },
  { name: 'Wing FTP Server', re: /\bWing FTP Server\b/i },
  { name: 'pyftpdlib', re: /\bpyftpdlib\s+([0-9][\w.]*)/i },
  { name: 'Twisted FTP', re: /\bTwisted\s+([0-9][\w.]*)\s+FTP Server/i },
  { name: 'bftpd', re: /\bbftpd\s+([0-9][\w.]*)/i },
  { name: 'NcFTPd', re: /\bNcFTPd Server\b/i },
  { name: 'MikroTik FTP', re: /\bMikroTik\s+([0-9][\w.]*)/i },
  { name: 'Multicraft FTP', re: /\bMulticraft\s+([0-9][\w.]*)\s+FTP/i },
];

/** The server software a banner, SYST, HELP or STAT text names, if any. */
export function recogniseServerSoftware(text: string): SoftwareMatch | undefined {
  // Every session with one server sends the same greeting: answered from the last ones seen.
  const known = recent.get(text);
  if (known !== undefined) return known ?? undefined;
  const match = recognise(text);
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value as string);
  recent.set(text, match ?? null);
  return match;
}

/** Texts recognised lately (null: no match), oldest first; a match is never modified by its users. */
const recent = new Map<string, SoftwareMatch | null>();
const RECENT_MAX = 64;

function recognise(text: string): SoftwareMatch | undefined {
  for (const p of PATTERNS) {
    const m = p.re.exec(text);
    if (!m) continue;
    const version = p.version ? p.version(m) : m[1]?.trim();
    const evidence = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    return version ? { name: p.name, version, evidence } : { name: p.name, evidence };
  }
  return undefined;
}
