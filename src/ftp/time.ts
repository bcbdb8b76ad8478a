// Capture times in the FTP model: epoch seconds with nine decimals, as tshark prints
// frame.time_epoch, so they are exact and compare as text.

/** (sec, nsec) as "sec.nnnnnnnnn". */
export function epochText(sec: number, nsec: number): string {
  return signedSeconds(sec, nsec);
}

/** (sec2, nsec2) − (sec1, nsec1) as seconds with nine decimals (negative when time went backwards). */
export function secondsBetween(sec1: number, nsec1: number, sec2: number, nsec2: number): string {
  let s = sec2 - sec1;
  let n = nsec2 - nsec1;
  if (n < 0) {
    n += 1_000_000_000;
    s -= 1;
  }
  return signedSeconds(s, n);
}

/** Parses "sec.nnnnnnnnn" (as written above) back into whole seconds and nanoseconds. */
export function parseEpochText(text: string): { sec: number; nsec: number } | undefined {
  // The form epochText writes for a time not before 1970, "digits.nnnnnnnnn", read without a
  // regular expression (reports read one per line of their timelines); anything else by
  // parseEpochTextAny.
  const dot = text.length - 10;
  if (dot > 0 && text.charCodeAt(dot) === 0x2e && allDigits(text, 0, dot) && allDigits(text, dot + 1, text.length)) {
    return { sec: Number(text.slice(0, dot)), nsec: Number(text.slice(dot + 1)) };
  }
  return parseEpochTextAny(text);
}

/** parseEpochText for any text (optional minus, digits, up to nine decimals); exported for tests. */
export function parseEpochTextAny(text: string): { sec: number; nsec: number } | undefined {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (!m) return undefined;
  const sec = Number(m[2]);
  const nsec = Number((m[3] ?? '').padEnd(9, '0'));
  if (m[1] !== '-') return { sec, nsec };
  // -1.100000000 is -2 s + 900 000 000 ns
  return nsec === 0 ? { sec: -sec, nsec: 0 } : { sec: -sec - 1, nsec: 1_000_000_000 - nsec };
}

function allDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

// Every command, reply and connection event gets a time, and consecutive ones mostly share
// their second: its text is kept from the last call.
let lastSec = -1;
let lastSecText = '';

function signedSeconds(sec: number, nsec: number): string {
  if (sec < 0) {
    const total = -(sec * 1_000_000_000 + nsec);
    const s = Math.floor(total / 1_000_000_000);
    return `-${s}.${String(total - s * 1_000_000_000).padStart(9, '0')}`;
  }
  if (sec !== lastSec) {
    lastSec = sec;
    lastSecText = `${sec}.`;
  }
  return lastSecText + (nsec >= 100_000_000 ? String(nsec) : String(nsec).padStart(9, '0'));
}
