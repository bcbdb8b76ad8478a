// A report written in pieces, some of them UTF-8 bytes read back from a spool (the streams'
// `output(report)`), as the one text the CLI writes of them.

export function textOfPieces(pieces: Iterable<string | Uint8Array>): string {
  const bytes: Uint8Array[] = [];
  for (const piece of pieces) bytes.push(typeof piece === 'string' ? Buffer.from(piece) : piece);
  return Buffer.concat(bytes).toString('utf8');
}
