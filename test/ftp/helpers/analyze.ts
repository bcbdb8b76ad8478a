// Runs the real pipeline (read → decode → TCP stage → FTP analyzer) over a capture file.
import { analyze } from '../../../src/analyze.js';
import type { FtpAnalyzerOptions } from '../../../src/ftp/FtpAnalyzer.js';
import type { FtpReport } from '../../../src/ftp/model.js';

export async function analyzeCapture(file: string, options: FtpAnalyzerOptions = {}): Promise<FtpReport> {
  return analyze(file, { ftp: options });
}
