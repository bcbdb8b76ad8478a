// --redact: a copy of the report with every password masked, so no output made from it
// (text, JSON, credentials table) can show one. User names stay: an auditor needs to know
// whose password leaked. Anonymous e-mail addresses count as passwords (they were sent as one).

import { isSecretCommand } from './commands.js';
import type { FtpReport } from './model.js';

/** What a masked secret shows instead (fixed, so the length does not leak either). */
export const REDACTED = '********';

export function redactReport(report: FtpReport): FtpReport {
  const mask = (v: string | null): string | null => (v === null ? null : REDACTED);
  return {
    ...report,
    redacted: true,
    credentials: report.credentials.map((c) => {
      const out = { ...c, password: mask(c.password) };
      if (c.account !== undefined) out.account = REDACTED;
      return out;
    }),
    sessions: report.sessions.map((s) => ({
      ...s,
      logins: s.logins.map((l) => ({ ...l, password: mask(l.password), account: mask(l.account), email: mask(l.email) })),
      commands: s.commands.map((c) => (isSecretCommand(c.command) && c.arg !== '' ? { ...c, arg: REDACTED } : c)),
    })),
  };
}
