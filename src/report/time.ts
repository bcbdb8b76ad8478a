// Timestamps are kept as whole seconds plus nanoseconds so they stay exact to the
// nanosecond; these helpers print them the way tshark prints frame.time_epoch.

export function formatEpoch(sec: number, nsec: number): string {
  return formatSeconds(sec, nsec);
}

/** (sec, nsec) − (baseSec, baseNsec), printed with nine decimals; negative when time went backwards. */
export function formatDelta(sec: number, nsec: number, baseSec: number, baseNsec: number): string {
  let s = sec - baseSec;
  let n = nsec - baseNsec;
  if (n < 0) {
    n += 1_000_000_000;
    s -= 1;
  }
  return formatSeconds(s, n);
}

function formatSeconds(sec: number, nsec: number): string {
  if (sec < 0) {
    // -1 s + 900 000 000 ns is -0.1 s
    const total = -(sec * 1_000_000_000 + nsec);
    const s = Math.floor(total / 1_000_000_000);
    const n = total - s * 1_000_000_000;
    return `-${s}.${String(n).padStart(9, '0')}`;
  }
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}
