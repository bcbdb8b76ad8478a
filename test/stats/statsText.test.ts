// `ftp-inspect stats` in pieces: the tables of every connection drawn a batch of rows at a time,
// the JSON member by member — the same text as made whole.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import type { Statistics } from '../../src/stats/model.js';
import {
  CONNECTIONS_HEAD,
  CONVERSATIONS_HEAD,
  connectionCells,
  conversationCells,
  renderStatisticsJson,
  renderStatisticsText,
  statisticsJsonChunks,
  statisticsTextPieces,
} from '../../src/stats/statsText.js';
import { plainTable } from '../../src/report/textTable.js';
import { FIXTURES, captureLabel, fixtureCaptures } from '../helpers/captures.js';

/** parallel-sessions.pcap's statistics with its connections repeated to `n` (streams renumbered, one address with a CSI in its session's command). */
async function many(n: number): Promise<Statistics> {
  const st = (await analyze(join(FIXTURES, 'parallel-sessions.pcap'))).statistics!;
  const conv = st.conversations;
  const conn = st.connections;
  st.conversations = Array.from({ length: n }, (_, i) => ({ ...structuredClone(conv[i % conv.length]!), stream: i, bytes: i * 37 }));
  st.connections = Array.from({ length: n }, (_, i) => ({ ...structuredClone(conn[i % conn.length]!), stream: i, retransmissions: i % 11 }));
  return st;
}

describe('statistics in pieces', () => {
  it('2,500 connections: the two tables are plainTable\'s, between the headings, from pieces of at most 1,024 rows', async () => {
    const st = await many(2500);
    const pieces = [...statisticsTextPieces(st)];
    const text = pieces.join('');
    expect(text).toBe(renderStatisticsText(st));
    const conversations = plainTable(CONVERSATIONS_HEAD, st.conversations.map(conversationCells), 3);
    const connections = plainTable(CONNECTIONS_HEAD, st.connections.map(connectionCells), 4);
    expect(text).toContain(`TCP conversations (2500; A sent the first frame)\n\n${conversations}\n\nFrame sizes per connection (frames: min-max, average of frame.len)\n\n${connections}\n\nFTP session 1:`);
    expect(text.endsWith('\n') && !text.endsWith('\n\n')).toBe(true);
    // No piece holds more than a batch of rows (plus the head, or the lines before a table).
    expect(Math.max(...pieces.map((p) => p.split('\n').length))).toBeLessThanOrEqual(1024 + 40);
    expect(pieces.length).toBeGreaterThanOrEqual(6);
    expect([...statisticsJsonChunks(1, st)].join('')).toBe(renderStatisticsJson(1, st));
  });

  it('with no connections, and with the text ending in a table: as made whole', async () => {
    const st = await many(3);
    const empty: Statistics = { ...st, conversations: [], connections: [], sessions: [] };
    expect(renderStatisticsText(empty)).toMatch(/TCP conversations \(0; A sent the first frame\)\n\nFrame sizes per connection \(frames: min-max, average of frame\.len\)\n$/);
    const noSessions: Statistics = { ...st, sessions: [] };
    expect(renderStatisticsText(noSessions).endsWith(`${plainTable(CONNECTIONS_HEAD, st.connections.map(connectionCells), 4)}\n`)).toBe(true);
  });

  it('1,500 sessions: each one\'s part as it is alone, in order (the lines are handed on every 1,024)', async () => {
    const st = await many(3);
    const one = st.sessions;
    const sessions = Array.from({ length: 1500 }, (_, i) => ({ ...structuredClone(one[i % one.length]!), session: i + 1 }));
    // A session's part: the text with that session alone, after the last table.
    const marker = `${plainTable(CONNECTIONS_HEAD, st.connections.map(connectionCells), 4)}\n\n`;
    const head = renderStatisticsText({ ...st, sessions: [] }).trimEnd();
    const parts = sessions.map((s) => renderStatisticsText({ ...st, sessions: [s] }).split(marker)[1]!.trimEnd());
    const pieces = [...statisticsTextPieces({ ...st, sessions })];
    expect(pieces.join('')).toBe(`${head}\n\n${parts.join('\n\n')}\n`);
    expect(pieces.length).toBeGreaterThan(3);
  });

  for (const file of fixtureCaptures()) {
    it(`JSON pieces of ${captureLabel(file)} join to the whole text`, async () => {
      const st = (await analyze(file)).statistics!;
      expect([...statisticsJsonChunks(1, st)].join('')).toBe(renderStatisticsJson(1, st));
    });
  }
});
