// The FTP command catalogue: every verb the control-channel parser knows, where it is
// specified, what it does, and which reply codes the standard allows for it. The reply codes
// let the session pair a reply with the right command when a client pipelines or a server
// stays silent (the idea of Zeek's cmd_reply_code table), and they come from each RFC's
// command-reply list (RFC 959 §5.4 for the base set).

export interface CommandInfo {
  verb: string;
  /** Where the command is specified, e.g. "RFC 959 §4.1.1". */
  spec: string;
  /** One line saying what the command asks for. */
  summary: string;
  /** Reply codes the specification lists for the command (preliminary ones included). */
  replies: readonly number[];
  /** Opens a data connection (RETR, STOR, LIST, …): may get 1xx then a final reply. */
  transfer?: boolean;
  /** Carries a secret in its argument (PASS, ACCT): masked by --redact. */
  secret?: boolean;
}

// Shorthands for the reply lists RFC 959 §5.4 repeats.
const TRANSFER = [110, 125, 150, 226, 250, 425, 426, 451, 450, 451, 452, 500, 501, 502, 421, 530, 532, 550, 551, 552, 553];
const PARAM = [200, 500, 501, 504, 421, 530];
const ACTION = [250, 500, 501, 502, 421, 530, 550];

const LIST: CommandInfo[] = [
  // RFC 959 §4.1.1 access control
  { verb: 'USER', spec: 'RFC 959 §4.1.1', summary: 'user name', replies: [230, 530, 500, 501, 421, 331, 332] },
  { verb: 'PASS', spec: 'RFC 959 §4.1.1', summary: 'password', replies: [230, 202, 530, 500, 501, 503, 421, 332], secret: true },
  { verb: 'ACCT', spec: 'RFC 959 §4.1.1', summary: 'account', replies: [230, 202, 530, 500, 501, 503, 421], secret: true },
  { verb: 'CWD', spec: 'RFC 959 §4.1.1', summary: 'change working directory', replies: ACTION },
  { verb: 'CDUP', spec: 'RFC 959 §4.1.1', summary: 'change to parent directory', replies: [200, 250, 500, 501, 502, 421, 530, 550] },
  { verb: 'SMNT', spec: 'RFC 959 §4.1.1', summary: 'structure mount', replies: [202, 250, 500, 501, 502, 421, 530, 550] },
  { verb: 'REIN', spec: 'RFC 959 §4.1.1', summary: 'reinitialize (log out, keep the connection)', replies: [120, 220, 421, 500, 502] },
  { verb: 'QUIT', spec: 'RFC 959 §4.1.1', summary: 'log out and close', replies: [221, 500] },
  // RFC 959 §4.1.2 transfer parameters
  { verb: 'PORT', spec: 'RFC 959 §4.1.2', summary: 'active mode: client address and port for data', replies: [200, 500, 501, 421, 530] },
  { verb: 'PASV', spec: 'RFC 959 §4.1.2', summary: 'passive mode: server opens a port for data', replies: [227, 500, 501, 502, 421, 530] },
  { verb: 'TYPE', spec: 'RFC 959 §4.1.2', summary: 'representation type (A ASCII, I image, E EBCDIC, L local)', replies: PARAM },
  { verb: 'STRU', spec: 'RFC 959 §4.1.2', summary: 'file structure (F file, R record, P page)', replies: PARAM },
  { verb: 'MODE', spec: 'RFC 959 §4.1.2', summary: 'transfer mode (S stream, B block, C compressed)', replies: PARAM },
  // RFC 959 §4.1.3 service commands
  { verb: 'RETR', spec: 'RFC 959 §4.1.3', summary: 'download a file', replies: TRANSFER, transfer: true },
  { verb: 'STOR', spec: 'RFC 959 §4.1.3', summary: 'upload a file', replies: TRANSFER, transfer: true },
  { verb: 'STOU', spec: 'RFC 959 §4.1.3', summary: 'upload under a unique name', replies: TRANSFER, transfer: true },
  { verb: 'APPE', spec: 'RFC 959 §4.1.3', summary: 'append to a file', replies: TRANSFER, transfer: true },
  { verb: 'ALLO', spec: 'RFC 959 §4.1.3', summary: 'allocate storage', replies: [200, 202, 500, 501, 504, 421, 530] },
  { verb: 'REST', spec: 'RFC 959 §4.1.3, RFC 3659 §5', summary: 'restart the next transfer at a marker/offset', replies: [350, 500, 501, 502, 421, 530] },
  { verb: 'RNFR', spec: 'RFC 959 §4.1.3', summary: 'rename from', replies: [350, 450, 550, 500, 501, 502, 421, 530] },
  { verb: 'RNTO', spec: 'RFC 959 §4.1.3', summary: 'rename to', replies: [250, 532, 553, 500, 501, 502, 503, 421, 530] },
  { verb: 'ABOR', spec: 'RFC 959 §4.1.3', summary: 'abort the transfer in progress', replies: [225, 226, 426, 500, 501, 502, 421] },
  { verb: 'DELE', spec: 'RFC 959 §4.1.3', summary: 'delete a file', replies: [250, 450, 550, 500, 501, 502, 421, 530] },
  { verb: 'RMD', spec: 'RFC 959 §4.1.3', summary: 'remove a directory', replies: ACTION },
  { verb: 'MKD', spec: 'RFC 959 §4.1.3', summary: 'make a directory', replies: [257, 500, 501, 502, 421, 530, 550] },
  { verb: 'PWD', spec: 'RFC 959 §4.1.3', summary: 'print working directory', replies: [257, 500, 501, 502, 421, 550] },
  { verb: 'LIST', spec: 'RFC 959 §4.1.3', summary: 'directory listing (long form)', replies: TRANSFER, transfer: true },
  { verb: 'NLST', spec: 'RFC 959 §4.1.3', summary: 'name list', replies: TRANSFER, transfer: true },
  { verb: 'SITE', spec: 'RFC 959 §4.1.3', summary: 'site-specific command', replies: [200, 202, 214, 250, 500, 501, 502, 530, 550] },
  { verb: 'SYST', spec: 'RFC 959 §4.1.3', summary: 'operating system type', replies: [215, 500, 501, 502, 421] },
  { verb: 'STAT', spec: 'RFC 959 §4.1.3', summary: 'status', replies: [211, 212, 213, 450, 500, 501, 502, 421, 530] },
  { verb: 'HELP', spec: 'RFC 959 §4.1.3', summary: 'help', replies: [211, 214, 500, 501, 502, 421] },
  { verb: 'NOOP', spec: 'RFC 959 §4.1.3', summary: 'no operation', replies: [200, 500, 421] },
  // RFC 775: the experimental X-forms, still sent by some clients
  { verb: 'XCWD', spec: 'RFC 775', summary: 'CWD (experimental form)', replies: ACTION },
  { verb: 'XCUP', spec: 'RFC 775', summary: 'CDUP (experimental form)', replies: [200, 250, 500, 501, 502, 421, 530, 550] },
  { verb: 'XMKD', spec: 'RFC 775', summary: 'MKD (experimental form)', replies: [257, 500, 501, 502, 421, 530, 550] },
  { verb: 'XRMD', spec: 'RFC 775', summary: 'RMD (experimental form)', replies: ACTION },
  { verb: 'XPWD', spec: 'RFC 775', summary: 'PWD (experimental form)', replies: [257, 500, 501, 502, 421, 550] },
  // RFC 2228 security extensions, RFC 4217 TLS
  { verb: 'AUTH', spec: 'RFC 2228 §3, RFC 4217 §4', summary: 'start a security mechanism (TLS, SSL, GSSAPI)', replies: [234, 334, 502, 504, 534, 431, 500, 501, 421] },
  { verb: 'ADAT', spec: 'RFC 2228 §3', summary: 'security data exchange', replies: [235, 335, 503, 501, 535, 500, 421] },
  { verb: 'PROT', spec: 'RFC 2228 §3, RFC 4217 §9', summary: 'data channel protection level (C, S, E, P)', replies: [200, 504, 536, 503, 534, 431, 500, 501, 421, 530] },
  { verb: 'PBSZ', spec: 'RFC 2228 §3, RFC 4217 §8', summary: 'protection buffer size', replies: [200, 503, 500, 501, 421, 530] },
  { verb: 'CCC', spec: 'RFC 2228 §3, RFC 4217 §12', summary: 'clear command channel (back to cleartext)', replies: [200, 500, 533, 534] },
  { verb: 'MIC', spec: 'RFC 2228 §3', summary: 'integrity-protected command', replies: [535, 533, 500, 501, 421, 631, 632, 633] },
  { verb: 'CONF', spec: 'RFC 2228 §3', summary: 'confidentiality-protected command', replies: [535, 533, 500, 501, 421, 631, 632, 633] },
  { verb: 'ENC', spec: 'RFC 2228 §3', summary: 'private (encrypted) command', replies: [535, 533, 500, 501, 421, 631, 632, 633] },
  // RFC 2389 feature negotiation
  { verb: 'FEAT', spec: 'RFC 2389 §3', summary: 'list supported extensions', replies: [211, 500, 502] },
  { verb: 'OPTS', spec: 'RFC 2389 §4', summary: 'options for a command', replies: [200, 451, 500, 501, 502, 504] },
  // RFC 2428 IPv6 / NAT
  { verb: 'EPRT', spec: 'RFC 2428 §2', summary: 'extended PORT (any address family)', replies: [200, 500, 501, 522, 421, 530] },
  { verb: 'EPSV', spec: 'RFC 2428 §3', summary: 'extended PASV (port only); EPSV ALL: only EPSV from now on', replies: [229, 200, 500, 501, 502, 522, 421, 530] },
  // RFC 2640 internationalisation
  { verb: 'LANG', spec: 'RFC 2640 §4.1', summary: 'language of replies', replies: [200, 500, 501, 502, 504, 421] },
  // RFC 3659 extensions
  { verb: 'MDTM', spec: 'RFC 3659 §3', summary: 'modification time', replies: [213, 500, 501, 550] },
  { verb: 'SIZE', spec: 'RFC 3659 §4', summary: 'file size', replies: [213, 500, 501, 550] },
  { verb: 'MLST', spec: 'RFC 3659 §7', summary: 'machine-readable facts about one path', replies: [250, 500, 501, 550] },
  { verb: 'MLSD', spec: 'RFC 3659 §7', summary: 'machine-readable directory listing', replies: TRANSFER, transfer: true },
  // RFC 1639 long address forms
  { verb: 'LPRT', spec: 'RFC 1639 §2', summary: 'long PORT (any address length)', replies: [200, 500, 501, 521, 421, 530] },
  { verb: 'LPSV', spec: 'RFC 1639 §2', summary: 'long PASV', replies: [228, 500, 501, 502, 421, 530] },
  // RFC 7151 virtual hosts
  { verb: 'HOST', spec: 'RFC 7151 §3', summary: 'virtual host name', replies: [220, 120, 421, 500, 501, 502, 503, 504, 530] },
  // Common extensions without an RFC (drafts, server documentation)
  { verb: 'CLNT', spec: 'extension (client name)', summary: 'client software name', replies: [200, 500, 501, 502] },
  { verb: 'MFMT', spec: 'draft-somers-ftp-mfxx', summary: 'set modification time', replies: [213, 500, 501, 550] },
  { verb: 'MFCT', spec: 'draft-somers-ftp-mfxx', summary: 'set creation time', replies: [213, 500, 501, 550] },
  { verb: 'MFF', spec: 'draft-somers-ftp-mfxx', summary: 'set file facts', replies: [213, 500, 501, 504, 550] },
  { verb: 'PRET', spec: 'extension (drftpd/pure-ftpd)', summary: 'announce the next transfer command before PASV', replies: [200, 500, 501, 502, 530, 550] },
  { verb: 'AVBL', spec: 'extension (draft-peterson-streamlined-ftp)', summary: 'available space', replies: [213, 500, 501, 502, 550] },
  { verb: 'HASH', spec: 'draft-bryan-ftpext-hash', summary: 'file hash', replies: [213, 500, 501, 502, 504, 550] },
  { verb: 'XMD5', spec: 'extension', summary: 'MD5 of a file', replies: [213, 250, 500, 501, 502, 504, 550] },
  { verb: 'XSHA1', spec: 'extension', summary: 'SHA-1 of a file', replies: [213, 250, 500, 501, 502, 504, 550] },
  { verb: 'XSHA256', spec: 'extension', summary: 'SHA-256 of a file', replies: [213, 250, 500, 501, 502, 504, 550] },
  { verb: 'XCRC', spec: 'extension', summary: 'CRC32 of a file', replies: [213, 250, 500, 501, 502, 504, 550] },
  { verb: 'MD5', spec: 'draft-twine-ftpmd5', summary: 'MD5 of a file', replies: [251, 500, 501, 502, 504, 550] },
  { verb: 'SPSV', spec: 'extension (Serv-U)', summary: 'single-port passive', replies: [227, 229, 500, 501, 502] },
  { verb: 'DSIZ', spec: 'extension', summary: 'directory size', replies: [213, 500, 501, 502, 550] },
  { verb: 'RMDA', spec: 'extension', summary: 'remove a directory tree', replies: [250, 500, 501, 502, 550] },
  { verb: 'CSID', spec: 'extension (client/server id)', summary: 'exchange software ids', replies: [200, 500, 501, 502] },
  { verb: 'THMB', spec: 'extension', summary: 'thumbnail of an image', replies: TRANSFER, transfer: true },
];

const CATALOGUE: ReadonlyMap<string, CommandInfo> = new Map(LIST.map((c) => [c.verb, c]));

/** The catalogue entry for a verb (any case), or undefined for a command the catalogue does not know. */
export function commandInfo(verb: string): CommandInfo | undefined {
  return CATALOGUE.get(verb.toUpperCase());
}

/** Every known verb, in the order above. */
export function knownCommands(): string[] {
  return LIST.map((c) => c.verb);
}

/** Verbs that carry a secret in their argument. */
export function isSecretCommand(verb: string): boolean {
  return commandInfo(verb)?.secret === true;
}

/**
 * True when `code` is a reply the standard allows for `verb`. Unknown verbs accept anything:
 * a server may implement commands the catalogue has never heard of. 421 (service closing)
 * may answer any command (RFC 959 §4.2).
 */
export function expectsReply(verb: string, code: number): boolean {
  if (code === 421) return true;
  const info = commandInfo(verb);
  if (!info) return true;
  if (info.replies.includes(code)) return true;
  // RFC 959 §4.2: 500/501/502/504 "syntax error / not implemented" answer any command a server lacks;
  // 530 "not logged in" answers any command sent before login.
  return code === 500 || code === 501 || code === 502 || code === 504 || code === 530;
}
