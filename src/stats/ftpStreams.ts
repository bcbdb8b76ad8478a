// Which TCP connections are FTP control and FTP data connections, for the statistics: the
// sessions' control streams, the data connections the FTP stage bound to transfers, and the
// data connections it found without a session (orphans). Nothing is guessed here.

import type { StreamClassifier, StreamRole } from './StatsCollector.js';

/** The part of an FTP report this reads (FtpReport fits as it is). */
export interface FtpStreamsInput {
  sessions: ReadonlyArray<{
    id: number;
    controlStream: number;
    transfers: ReadonlyArray<{ connection: { stream: number } | null }>;
  }>;
  orphans?: ReadonlyArray<{ connection: { stream: number } }>;
}

export interface FtpStreamRoles {
  classify: StreamClassifier;
  /** Data connection tcp.stream → FtpSession.id (null for an orphan). */
  dataStreams: Map<number, number | null>;
}

export function ftpStreamRoles(report: FtpStreamsInput): FtpStreamRoles {
  const roles = new Map<number, StreamRole>();
  const dataStreams = new Map<number, number | null>();
  for (const s of report.sessions) roles.set(s.controlStream, 'ftp-control');
  for (const s of report.sessions) {
    for (const t of s.transfers) {
      const stream = t.connection?.stream;
      if (stream !== undefined && !roles.has(stream)) dataStreams.set(stream, s.id);
    }
  }
  for (const o of report.orphans ?? []) if (!roles.has(o.connection.stream) && !dataStreams.has(o.connection.stream)) dataStreams.set(o.connection.stream, null);
  for (const stream of dataStreams.keys()) roles.set(stream, 'ftp-data');
  return { classify: (stream) => roles.get(stream), dataStreams };
}
