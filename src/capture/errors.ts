import { CaptureFormatError } from './Frame.js';

/** A CaptureFormatError whose one-line message names the input when its name is known. */
export function captureFormatError(name: string | undefined, message: string): CaptureFormatError {
  return new CaptureFormatError(name === undefined ? message : `${name}: ${message}`);
}

/**
 * Bytes as hex plus their printable-ASCII reading, e.g. `48 65 6c 6c "Hell"`, for messages
 * that quote the start of a file. Anything outside printable ASCII (and the quote itself)
 * shows as '.', so file content can never put control characters on the user's terminal.
 */
export function describeBytes(bytes: Uint8Array): string {
  let hex = '';
  let text = '';
  for (const b of bytes) {
    hex += (hex === '' ? '' : ' ') + b.toString(16).padStart(2, '0');
    text += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : '.';
  }
  return `${hex} "${text}"`;
}

export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}
