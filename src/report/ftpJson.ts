// The FTP report as JSON: the model as it is (scripts depend on `sessions` and `credentials`,
// see FtpReport in ftp/model.ts), with the characters JSON.stringify leaves raw but a terminal
// would act on (DEL, C1 controls such as CSI, bidirectional overrides, line separators)
// written as \u escapes. The result is still valid JSON and parses to the same strings.

import type { FtpReport } from '../ftp/model.js';

const UNSAFE = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeUnsafe(json: string): string {
  return json.replace(UNSAFE, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** The whole report (`ftp-inspect <capture> --format json`). */
export function renderReportJson(report: FtpReport): string {
  return `${escapeUnsafe(JSON.stringify(report, null, 2))}\n`;
}

/** The credentials only (`ftp-inspect creds --format json`): { credentials, redacted }. */
export function renderCredentialsJson(report: FtpReport): string {
  return `${escapeUnsafe(JSON.stringify({ credentials: report.credentials, redacted: report.redacted }, null, 2))}\n`;
}
