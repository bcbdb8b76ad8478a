// TEST-ONLY: runs the FTP analyzer over a capture with the test feeder standing in for the
// TCP stage (see inOrderFeeder.ts).
import { createFtpAnalyzer, type FtpAnalyzerOptions } from '../../../src/ftp/FtpAnalyzer.js';
import type { FtpReport } from '../../../src/ftp/model.js';
import { feedCapture } from './inOrderFeeder.js';

export async function analyzeCapture(file: string, options: FtpAnalyzerOptions = {}): Promise<FtpReport> {
  const analyzer = createFtpAnalyzer(options);
  const fed = await feedCapture(file, analyzer.factory, (p) => analyzer.onPacket(p));
  return analyzer.finish({ tcpFacts: (stream) => fed.facts.get(stream) });
}
