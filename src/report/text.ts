// Turning untrusted capture bytes into text that is safe to print on a terminal or embed
// in a report: nothing from a capture may move a cursor, change colours or reorder text.

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes as UTF-8 when they are valid UTF-8, and otherwise keeps printable ASCII and
 * writes every other byte as \xNN; then escapes control characters (see `escapeControls`).
 */
export function bytesToSafeText(bytes: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    let out = '';
    for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : hexEscape(b);
    return out;
  }
  return escapeControls(text);
}

/**
 * Escapes C0 and C1 control characters, DEL, and the Unicode controls that reorder or hide
 * text (bidirectional overrides and isolates, line/paragraph separators), as \xNN or \u{…}.
 * Backslashes are left alone, so escaped output is readable rather than reversible.
 */
export function escapeControls(text: string): string {
  // Fast path: most FTP text is plain printable ASCII.
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_GLOBAL, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? hexEscape(code) : `\\u{${code.toString(16)}}`;
  });
}

const UNSAFE_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]';
const UNSAFE = new RegExp(UNSAFE_CLASS);
const UNSAFE_GLOBAL = new RegExp(UNSAFE_CLASS, 'g');

function hexEscape(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}
