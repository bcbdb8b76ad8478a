// Which TCP connections are FTP control and FTP data connections, for the statistics.
//
// Control connections are the sessions' `controlStream`s. Data connections are those the FTP
// stage matched to a transfer, when it says so (`explicit`); until it does, they are found here
// from the sessions' data-port announcements: the side that announces (PORT/EPRT: the client,
// PASV/EPSV: the server) listens, so the data connection is the first one after the
// announcement whose TCP server is the announced address and port (for a passive announcement
// behind NAT, the control connection's server address with the announced port also counts).

import type { StreamClassifier, StreamRole } from './StatsCollector.js';

export interface SessionStreams {
  id: number;
  controlStream: number;
  client: { ip: string };
  server: { ip: string };
  dataChannels: ReadonlyArray<{
    frame: number;
    by: 'client' | 'server';
    address?: string;
    impliedAddress?: string;
    port: number;
    accepted: boolean | null;
  }>;
}

export interface ConnectionEndpoints {
  stream: number;
  firstFrame: number;
  server: { ip: string; port: number };
}

export interface FtpStreamRoles {
  classify: StreamClassifier;
  /** Data connection tcp.stream → FtpSession.id. */
  dataStreams: Map<number, number>;
}

export function ftpStreamRoles(
  sessions: readonly SessionStreams[],
  connections: readonly ConnectionEndpoints[],
  explicit?: ReadonlyArray<{ stream: number; session: number }>,
): FtpStreamRoles {
  const roles = new Map<number, StreamRole>();
  for (const s of sessions) roles.set(s.controlStream, 'ftp-control');
  const dataStreams = new Map<number, number>();
  if (explicit !== undefined) {
    for (const d of explicit) dataStreams.set(d.stream, d.session);
  } else {
    const byFirstFrame = [...connections].sort((x, y) => x.firstFrame - y.firstFrame);
    const announcements = sessions
      .flatMap((s) => s.dataChannels.filter((a) => a.accepted !== false).map((a) => ({ session: s, a })))
      .sort((x, y) => x.a.frame - y.a.frame);
    for (const { session, a } of announcements) {
      const addresses = new Set<string>();
      addresses.add(a.address ?? a.impliedAddress ?? (a.by === 'server' ? session.server.ip : session.client.ip));
      if (a.by === 'server') addresses.add(session.server.ip);
      const match = byFirstFrame.find((c) =>
        c.firstFrame > a.frame && c.server.port === a.port && addresses.has(c.server.ip) && !roles.has(c.stream) && !dataStreams.has(c.stream));
      if (match !== undefined) dataStreams.set(match.stream, session.id);
    }
  }
  for (const stream of dataStreams.keys()) if (!roles.has(stream)) roles.set(stream, 'ftp-data');
  return { classify: (stream) => roles.get(stream), dataStreams };
}
