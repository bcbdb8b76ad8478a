import type { PacketRow } from './PacketList.js';

/**
 * One text line per row, in the columns of Wireshark's packet list (No., Time, Source,
 * Destination, Protocol, Length, Info). Rows are printed as they come, so a capture of any
 * size streams through; widths are fixed rather than measured for that reason.
 */
export function packetListHeader(): string {
  return `${'No.'.padStart(7)} ${'Time'.padEnd(decimalsWidth(6))} ${'Source'.padEnd(17)} ${'Destination'.padEnd(17)} ${'Protocol'.padEnd(8)} ${'Length'.padStart(6)} Info`;
}

/** `decimals`: 6 for microsecond captures, 9 for nanosecond ones, as tshark prints. */
export function packetListLine(row: PacketRow, decimals = 6): string {
  const time = row.relTime === null ? '-' : trimDecimals(row.relTime, decimals);
  const info = row.warnings.length && !row.info.includes(row.warnings[0] ?? '')
    ? `${row.info} [Malformed: ${row.warnings.join('; ')}]`.trim()
    : row.info;
  return `${String(row.frame).padStart(7)} ${time.padEnd(decimalsWidth(decimals))} ${row.src.padEnd(17)} ${row.dst.padEnd(17)} ${row.protocol.padEnd(8)} ${String(row.length).padStart(6)} ${info}`;
}

function decimalsWidth(decimals: number): number {
  return 5 + decimals;
}

function trimDecimals(nineDecimals: string, decimals: number): string {
  return decimals >= 9 ? nineDecimals : nineDecimals.slice(0, nineDecimals.length - (9 - decimals));
}
