// The statistics for people (`ftp-inspect stats`): Wireshark's Packet Lengths tables as tshark
// prints their cells, TCP conversations as Statistics ▸ Conversations shows them, frame sizes
// each way per connection, and per FTP session the duration and each transfer's throughput.
// Reads the statistics model only; text from the capture (transfer arguments) is escaped.

import { escapeUnsafe, jsonTextChunks } from '../report/ftpJson.js';
import { escapeControls } from '../report/text.js';
import type { ConnectionDirection, ConnectionStatistics, PacketLengthRow, Statistics, StatsEndpoint, TcpConversation } from './model.js';
import { plenCells } from './packetLengths.js';
import { plainTable, plainTablePieces } from '../report/textTable.js';
import { printfFixed } from './printf.js';

function table(head: string[], rows: string[][], rightFrom = 1): string {
  return plainTable(head, rows, rightFrom);
}

function endpoint(e: StatsEndpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** 1234567 → "1.23 Mbit/s" (SI prefixes, as Wireshark's bits/s columns). */
function bitRate(bps: number | null): string {
  if (bps === null) return 'N/A';
  const units: Array<[number, string]> = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [power, prefix] of units) if (bps >= power) return `${printfFixed(bps / power, 2)} ${prefix}bit/s`;
  return `${printfFixed(bps, 0)} bit/s`;
}

function seconds(value: number | null): string {
  return value === null ? '-' : `${printfFixed(value, 6)} s`;
}

function plenTable(rows: PacketLengthRow[]): string {
  return table(['Topic / Item', 'Count', 'Average', 'Min Val', 'Max Val', 'Rate (ms)', 'Percent'], rows.map((r) => {
    const cells = plenCells(r);
    if (r.range !== 'Packet Lengths') cells[0] = ` ${cells[0]}`;
    return cells;
  }));
}

function streams(list: number[]): string {
  return list.length === 0 ? 'none' : `tcp.stream in {${list.join(',')}}`;
}

function sizes(d: ConnectionDirection): string {
  const s = d.frameSizes;
  if (s.min === null) return '-';
  return s.min === s.max ? `${s.frames} × ${s.min}` : `${s.frames}: ${s.min}-${s.max}, avg ${printfFixed(s.average ?? 0, 2)}`;
}

/** The statistics' note on connections the TCP stage set aside at its limit, if it did. */
export function setAsideNote(stats: Statistics): string | undefined {
  const a = stats.connectionsSetAside;
  if (a === undefined) return undefined;
  return `${a.count} open TCP connection${a.count === 1 ? ' was' : 's were'} set aside at the limit of ${a.limit} held open (the first at frame ${a.firstFrame}, those quiet longest): their later frames count in the packet lengths, not in the conversation and connection figures below.`;
}

export const CONVERSATIONS_HEAD = ['Stream', 'Address A', 'Address B', 'Frames A→B', 'Bytes A→B', 'Frames B→A', 'Bytes B→A', 'Frames', 'Bytes', 'Rel Start', 'Duration', 'Bits/s A→B', 'Bits/s B→A'];

/** A row of the TCP conversations table (right-aligned from the fourth column). */
export function conversationCells(c: TcpConversation): string[] {
  return [
    String(c.stream), endpoint(c.a), endpoint(c.b),
    String(c.aToB.frames), String(c.aToB.bytes), String(c.bToA.frames), String(c.bToA.bytes),
    String(c.frames), String(c.bytes), printfFixed(c.relativeStart, 6), printfFixed(c.duration, 4),
    bitRate(c.aToB.bitsPerSecond), bitRate(c.bToA.bitsPerSecond),
  ];
}

export const CONNECTIONS_HEAD = ['Stream', 'Role', 'Client', 'Server', 'Client → server', 'Server → client', 'Payload bits/s c→s', 'Payload bits/s s→c', 'Retrans.'];

/** A row of the frame sizes per connection table (right-aligned from the fifth column). */
export function connectionCells(c: ConnectionStatistics): string[] {
  return [
    String(c.stream), c.role === null ? '-' : `${c.role}${c.session !== null ? ` (session ${c.session})` : ''}`,
    endpoint(c.client), endpoint(c.server), sizes(c.fromClient), sizes(c.fromServer),
    bitRate(c.fromClient.payloadBitsPerSecond), bitRate(c.fromServer.payloadBitsPerSecond), String(c.retransmissions),
  ];
}

/** `ftp-inspect stats`: the statistics as text (statisticsTextPieces joined). */
export function renderStatisticsText(stats: Statistics): string {
  let text = '';
  for (const piece of statisticsTextPieces(stats)) text += piece;
  return text;
}

/**
 * renderStatisticsText's text in pieces: the tables of every TCP connection are drawn a batch
 * of rows at a time (plainTablePieces), so a capture of 100,000 connections never holds all
 * their rows' cells and lines, nor the whole text, at once.
 */
export function* statisticsTextPieces(stats: Statistics): Generator<string> {
  yield* statisticsLines(stats);
  yield '\n';
}

/** The statistics' lines, joined by '\n', in pieces; no line ends in white space, and the last is not empty. */
function* statisticsLines(stats: Statistics): Generator<string> {
  /** Lines not yet handed on; `started`: something was, so the next piece begins a new line. */
  const out: string[] = [];
  let started = false;
  function* flush(): Generator<string> {
    if (out.length === 0) return;
    yield (started ? '\n' : '') + out.join('\n');
    started = true;
    out.length = 0;
  }
  function* bigTable(head: string[], count: number, rowAt: (r: number) => string[], rightFrom: number): Generator<string> {
    yield* flush();
    let first = true;
    for (const piece of plainTablePieces(head, count, rowAt, rightFrom)) {
      yield first && started ? `\n${piece}` : piece;
      first = false;
    }
    started = true;
    out.push('');
  }

  const p = stats.packetLengths;
  out.push('Packet lengths (Wireshark: Statistics > Packet Lengths; frame.len, Rate = frames per ms)', '');
  out.push('  All frames', plenTable(p.all), '');
  out.push(`  FTP control connections (${streams(p.ftpControlStreams)})`, plenTable(p.ftpControl), '');
  out.push(`  FTP data connections (${streams(p.ftpDataStreams)})`, plenTable(p.ftpData), '');

  out.push(`TCP conversations (${stats.conversations.length}; A sent the first frame)`, '');
  const note = setAsideNote(stats);
  if (note !== undefined) out.push(`  Note: ${note}`, '');
  const conversations = stats.conversations;
  if (conversations.length > 0) yield* bigTable(CONVERSATIONS_HEAD, conversations.length, (r) => conversationCells(conversations[r]!), 3);

  out.push('Frame sizes per connection (frames: min-max, average of frame.len)', '');
  const connections = stats.connections;
  if (connections.length > 0) yield* bigTable(CONNECTIONS_HEAD, connections.length, (r) => connectionCells(connections[r]!), 4);

  for (const s of stats.sessions) {
    out.push(`FTP session ${s.session}: control tcp.stream ${s.controlStream}, frames ${s.firstFrame ?? '?'}-${s.lastFrame ?? '?'}, lasted ${seconds(s.duration)}`);
    if (s.transfers.length === 0) {
      out.push('  no transfers', '');
    } else {
      out.push(table(
        ['#', 'Command', 'Status', 'Stream', 'Bytes', 'Duration', 'Throughput', 'Retrans.'],
        s.transfers.map((t) => [
          String(t.transfer), escapeControls(`${t.command ?? '(encrypted)'}${t.arg ? ` ${t.arg}` : ''}`), t.status,
          t.stream === null ? '-' : String(t.stream), String(t.bytes), seconds(t.duration),
          bitRate(t.bitsPerSecond), t.retransmissions === null ? '-' : String(t.retransmissions),
        ]),
        3,
      ), '');
    }
    if (out.length >= 1024) yield* flush();
  }
  // The text ends with its last line (every line is right-trimmed already: tables by plainTable).
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  yield* flush();
}

/** `ftp-inspect stats --format json`: { schemaVersion, statistics }, the same `statistics` as the full report's. */
export function renderStatisticsJson(schemaVersion: number, statistics: Statistics): string {
  return `${escapeUnsafe(JSON.stringify({ schemaVersion, statistics }, null, 2))}\n`;
}

/** renderStatisticsJson's text in pieces (the lists of connections element by element). */
export function statisticsJsonChunks(schemaVersion: number, statistics: Statistics): Generator<string> {
  // Levels: the object, `statistics`, its lists; each connection or session in one piece.
  return jsonTextChunks({ schemaVersion, statistics }, 3);
}
