// The report as one self-contained HTML page: inline CSS, hand-written SVG, no script, no
// external resource, so it opens offline and from an e-mail attachment. Per session: a
// timeline, the command/reply table, the transfers (linked to extracted files when asked),
// and per data transfer a tcptrace-style sequence-number-over-time plot drawn from the points
// the report model carries (`connection.plot`, collected during the one pass); then the packet-length
// histogram and the TCP conversations.
//
// Every string that came from the capture goes through `escapeHtml` (text) or `escapeAttr`
// (attribute values), after escapeControls, so nothing from a capture becomes markup.

import type { Report } from '../analyze.js';
import type { DataConnectionFacts, FtpEndpoint, FtpSession, FtpTransfer } from '../ftp/model.js';
import { parseEpochText, secondsBetween } from '../ftp/time.js';
import type { PacketLengthRow } from '../stats/model.js';
import { setAsideNote } from '../stats/statsText.js';
import { asText, SessionSpool } from './SessionSpool.js';
import { escapeControls } from './text.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Capture text as HTML element content: controls as \xNN, then & < > " ' as entities. */
export function escapeHtml(text: string | number | null | undefined): string {
  return escapeControls(String(text ?? '')).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Capture text as a quoted attribute value (always written inside double quotes), backticks and = included. */
export function escapeAttr(text: string | number | null | undefined): string {
  return escapeHtml(text).replace(/`/g, '&#96;').replace(/=/g, '&#61;');
}

const h = escapeHtml;

export interface HtmlOptions {
  title?: string;
  /** Relative URL of an extracted file (its manifest name), when the report was built with --extract. */
  extractedHref?: (name: string) => string;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:20px;margin:28px 0 8px;border-bottom:2px solid #d0d7de;padding-bottom:4px}
h3{font-size:16px;margin:20px 0 6px}
section.session{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px 16px 16px;margin:16px 0}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px;width:100%}
th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef1f4}tr.reply td{color:#3c4650}tr.command td{background:#f8fbff}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-all}
.muted{color:#5c6670}.warn{color:#a0410d}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}
.facts dt{font-weight:600}.facts dd{margin:0}
svg{background:#fff;border:1px solid #d0d7de;border-radius:4px;display:block;margin:6px 0 12px;max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#1d232a}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
figure{margin:0}figcaption{font-size:12px;color:#5c6670}
`;

/** The whole report as one HTML document. */
export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const rel = relativeSeconds(report.captureStart ?? report.sessions[0]?.start.time);
  return [...htmlPieces(report, options, report.sessions.length, report.sessions.map((s) => sessionHtml(s, rel, options)))].join('');
}

/**
 * The HTML report made session by session (FtpAnalyzerOptions.onSession, as the other report
 * streams): each session's section is made as it ends and kept in a spool file (util/TextSpool)
 * until the report is written in order — byte for byte what `renderHtml` gives the whole
 * report. Its plots come with the sessions (analysed with `plots`).
 */
export class HtmlReportStream {
  readonly #options: HtmlOptions;
  readonly #sessions: SessionSpool;
  #rel: ((time: string | null | undefined) => number) | undefined;

  /** `spoolDir`: where the spool file goes (the output's folder, or the system's temporary one). */
  constructor(options: HtmlOptions = {}, spoolDir?: string) {
    this.#options = options;
    this.#sessions = new SessionSpool(spoolDir);
  }

  /** A session as it ends, with the capture's start as the report will give it. */
  add(s: FtpSession, context: { captureStart: string | undefined }): void {
    this.#sessions.note(s);
    if (context.captureStart !== undefined) this.#rel ??= relativeSeconds(context.captureStart);
    // No frame had a time yet: times will count from the first session's start.
    if (this.#rel === undefined) this.#sessions.keepWhole(s, s.id);
    else this.#sessions.spool.put(s.id, sessionHtml(s, this.#rel, this.#options));
  }

  /** The document in pieces; `report` is the analysis's (its sessions were not kept). */
  *pieces(report: Report): Generator<string> {
    yield* asText(this.output(report));
  }

  /**
   * The same pieces, each spooled session's section as its UTF-8 bytes (a Buffer of the
   * caller's own), for writing without decoding and encoding them again.
   */
  *output(report: Report): Generator<string | Buffer> {
    const sessions = this.#sessions;
    try {
      const rel = relativeSeconds(report.captureStart ?? sessions.firstStart);
      const options = this.#options;
      function* sections(): Generator<string | Buffer> {
        for (let id = 1; id <= sessions.lastId; id++) {
          const kept = sessions.whole(id, id);
          const section = kept ? sessionHtml(kept, rel, options) : sessions.spool.takeBytes(id);
          if (section !== undefined) yield section;
        }
      }
      yield* htmlPieces(report, options, sessions.count, sections());
    } finally {
      sessions.close();
    }
  }
}

/** Seconds from `base` (an epoch text) to a time; 0 when either is unknown. */
function relativeSeconds(base: string | undefined): (time: string | null | undefined) => number {
  const b = parseEpochText(base ?? '');
  return (time: string | null | undefined): number => {
    const t = time ? parseEpochText(time) : undefined;
    return b && t ? Number(secondsBetween(b.sec, b.nsec, t.sec, t.nsec)) : 0;
  };
}

/** The document: head, title, the sessions' sections as given, statistics. */
function* htmlPieces<T extends string | Buffer>(report: Report, options: HtmlOptions, sessionCount: number, sections: Iterable<T>): Generator<string | T> {
  const capture = report.captures.map((c) => c.name).join(', ');
  const title = options.title ?? `FTP report: ${capture}`;
  const frames = report.captures.reduce((n, c) => n + c.frames, 0);
  yield `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${h(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${h(title)}</h1>
<p class="muted">${frames} frames; ${sessionCount} FTP session${sessionCount === 1 ? '' : 's'}. Frame numbers are Wireshark's; times are seconds since the first frame.${report.redacted ? ' Passwords are masked.' : ''}</p>`;
  if (sessionCount === 0) yield '\n<p>No FTP control connection found.</p>';
  for (const section of sections) {
    if (typeof section === 'string') yield `\n${section}`;
    else {
      yield '\n';
      yield section;
    }
  }
  yield `\n${statisticsHtml(report)}
</main>
</body>
</html>
`;
}

function endpoint(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function sessionHtml(s: FtpSession, rel: (t: string | null | undefined) => number, options: HtmlOptions): string {
  const out: string[] = [`<section class="session" id="session-${s.id}">`];
  out.push(`<h2>Session ${s.id}: ${h(endpoint(s.client))} → ${h(endpoint(s.server))}</h2>`);
  const facts: Array<[string, string]> = [
    ['Server', `${h(endpoint(s.server))}${s.serverName ? ` (${h(s.serverName)}, DNS frame ${s.serverNameSource?.frame ?? '?'})` : ' <span class="muted">(no DNS answer in the capture: host name unknown)</span>'}`],
    ['Client', h(endpoint(s.client))],
    ['Banner', s.banner === null ? '<span class="muted">not seen</span>' : `<code>${h(s.banner)}</code>${s.greeting ? ` (frame ${s.greeting.reply.frame})` : ''}`],
    ['Duration', `frames ${s.start.frame}–${s.end.frame}, ${h(Number(s.duration).toFixed(6))} s`],
    ['TLS', s.tls ? (s.tls.accepted ? 'accepted: control channel encrypted' : 'requested, refused') : 'not requested: everything in cleartext'],
  ];
  const rtt = s.tcp?.handshake?.initialRtt;
  if (rtt !== undefined) facts.push(['Initial RTT', `${rtt.toFixed(6)} s`]);
  out.push(`<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`);
  if (s.logins.length > 0) {
    out.push('<h3>Logins</h3><table class="logins"><thead><tr><th>User</th><th>USER frames</th><th>Password</th><th>PASS frames</th><th>Result</th><th>Reply frame</th></tr></thead><tbody>');
    for (const l of s.logins) {
      out.push(`<tr><td><code>${h(l.user ?? '-')}</code>${l.anonymous ? ' (anonymous)' : ''}</td><td>${l.userFrames.join(', ')}</td><td><code>${h(l.password ?? '-')}</code></td><td>${l.passwordFrames.join(', ')}</td><td>${h(l.outcome)}${l.replyCode !== null ? ` (${l.replyCode})` : ''}</td><td class="num">${l.replyFrame ?? '-'}</td></tr>`);
    }
    out.push('</tbody></table>');
  }
  out.push('<h3>Timeline</h3>', timelineSvg(s, rel));
  out.push('<h3>Commands and replies</h3>', commandTable(s, rel));
  if (s.transfers.length > 0) {
    out.push('<h3>Transfers</h3>', transferTable(s, options));
    out.push('<h3>Sequence numbers over time (tcptrace style)</h3><div class="plots">');
    for (const t of s.transfers) out.push(seqPlot(t, rel));
    out.push('</div>');
  }
  const td = s.tcp?.teardown;
  if (td && td.segments.length > 0) {
    out.push(`<h3>Teardown</h3><p>The ${h(td.firstCloser ?? 'unknown side')} closed first${td.reset ? ' (reset)' : ''}.</p>`);
    out.push('<table class="teardown"><thead><tr><th>Frame</th><th>From</th><th>Flags</th><th>Seq</th><th>Seq (raw)</th><th>Ack</th><th>Ack (raw)</th></tr></thead><tbody>');
    for (const f of td.segments) out.push(`<tr><td class="num">${f.frame}</td><td>${f.from}</td><td>${h(f.flags)}</td><td class="num">${f.seq}</td><td class="num">${f.seqRaw}</td><td class="num">${f.ack}</td><td class="num">${f.ackRaw}</td></tr>`);
    out.push('</tbody></table>');
  }
  out.push('</section>');
  return out.join('\n');
}

function commandTable(s: FtpSession, rel: (t: string) => number): string {
  const rows: string[] = [];
  if (s.greeting) rows.push(`<tr class="reply"><td class="num">${s.greeting.reply.frame}</td><td class="num">${rel(s.greeting.reply.time).toFixed(6)}</td><td>S→C</td><td>${s.greeting.reply.code}</td><td><code>${h(s.greeting.reply.text)}</code></td></tr>`);
  for (const c of s.commands) {
    rows.push(`<tr class="command"><td class="num">${c.frame}</td><td class="num">${rel(c.time).toFixed(6)}</td><td>C→S</td><td><strong>${h(c.command)}</strong></td><td><code>${h(c.arg)}</code></td></tr>`);
    for (const r of c.replies) {
      const more = r.lines.length > 1 ? ` <span class="muted">(+${r.lines.length - 1} lines)</span>` : '';
      rows.push(`<tr class="reply"><td class="num">${r.frame}</td><td class="num">${rel(r.time).toFixed(6)}</td><td>S→C</td><td>${r.code}</td><td><code>${h(r.text)}</code>${more}</td></tr>`);
    }
  }
  if (rows.length === 0) return '<p class="muted">No command in cleartext.</p>';
  return `<table class="commands"><thead><tr><th>Frame</th><th>Time (s)</th><th>Dir</th><th>Command / code</th><th>Argument / text</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function transferTable(s: FtpSession, options: HtmlOptions): string {
  const rows = s.transfers.map((t) => {
    const c = t.connection;
    const file = t.extracted
      ? options.extractedHref
        ? `<a href="${escapeAttr(options.extractedHref(t.extracted.name))}">${h(t.extracted.name)}</a>`
        : h(t.extracted.name)
      : '<span class="muted">-</span>';
    const conn = c ? `stream ${c.stream}: ${h(endpoint(c.opener))} → ${h(endpoint(c.listener))} (opened by ${c.openedBy})` : '<span class="warn">no data connection captured</span>';
    const frames = c && c.firstDataFrame !== null ? `${c.firstDataFrame}–${c.lastDataFrame} (${c.dataFrames})` : '-';
    const tp = c?.throughput != null ? `${(c.throughput / 1e3).toFixed(1)} kB/s` : '-';
    return `<tr><td class="num">${t.id}</td><td><strong>${h(t.command ?? '?')}</strong> <code>${h(t.arg)}</code></td><td>${h(t.direction)}</td><td>${h(t.mode)}</td><td>${conn}</td><td>${frames}</td><td class="num">${t.bytes}</td><td class="num">${tp}</td><td>${h(t.status)}</td><td>${file}</td></tr>`;
  });
  return `<table class="transfers"><thead><tr><th>#</th><th>Command</th><th>Direction</th><th>Mode</th><th>Data connection</th><th>FTP-DATA frames</th><th>Bytes</th><th>Throughput</th><th>Status</th><th>Extracted file</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function fmtAxis(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  if (a >= 1) return v.toFixed(a >= 10 ? 0 : Number.isInteger(v) ? 0 : 1);
  return v.toPrecision(2);
}

function ticks(min: number, max: number, count = 5): number[] {
  const span = max - min || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The session's events on one time axis: control commands/replies and each data connection as a bar. */
function timelineSvg(s: FtpSession, rel: (t: string | null | undefined) => number): string {
  const t0 = rel(s.start.time);
  const t1 = Math.max(rel(s.end.time), ...s.transfers.map((t) => rel(t.connection?.lastDataTime ?? t.connection?.start)));
  const W = 1100, left = 120, right = 20, rowH = 22;
  const lanes = 1 + s.transfers.length;
  const H = 40 + lanes * rowH + 24;
  const x = (t: number) => left + ((t - t0) / (t1 - t0 || 1)) * (W - left - right);
  const parts: string[] = [];
  for (const v of ticks(t0, t1)) parts.push(`<line x1="${x(v).toFixed(1)}" y1="20" x2="${x(v).toFixed(1)}" y2="${H - 24}" stroke="#e3e7eb"/><text x="${x(v).toFixed(1)}" y="${H - 8}" text-anchor="middle">${fmtAxis(v)} s</text>`);
  const yc = 30;
  parts.push(`<text x="8" y="${yc + 4}">control</text><line x1="${x(t0)}" y1="${yc}" x2="${x(rel(s.end.time)).toFixed(1)}" y2="${yc}" stroke="#8c959f"/>`);
  for (const c of s.commands) {
    parts.push(`<circle cx="${x(rel(c.time)).toFixed(1)}" cy="${yc}" r="4" fill="#0969da"><title>frame ${c.frame}: ${h(c.command)} ${h(c.arg)}</title></circle>`);
    for (const r of c.replies) parts.push(`<rect x="${(x(rel(r.time)) - 3).toFixed(1)}" y="${yc + 5}" width="6" height="6" fill="#1a7f37"><title>frame ${r.frame}: ${r.code} ${h(r.text)}</title></rect>`);
  }
  s.transfers.forEach((t, i) => {
    const y = yc + (i + 1) * rowH;
    parts.push(`<text x="8" y="${y + 4}">#${t.id} ${h((t.command ?? '?').slice(0, 8))}</text>`);
    const c = t.connection;
    if (!c) {
      parts.push(`<text x="${left}" y="${y + 4}" class="muted">no data connection captured</text>`);
      return;
    }
    const a = x(rel(c.start));
    const b = Math.max(a + 2, x(rel(c.lastDataTime ?? c.start)));
    parts.push(`<rect x="${a.toFixed(1)}" y="${y - 6}" width="${(b - a).toFixed(1)}" height="12" fill="#bf8700" rx="2"><title>stream ${c.stream}: ${t.bytes} bytes, frames ${c.firstFrame}–${c.lastFrame ?? '?'}</title></rect>`);
  });
  return `<svg class="timeline" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="session timeline"><title>Session ${s.id} timeline</title>${parts.join('')}</svg>`;
}

/** The side that sent the transfer's bytes (the one that sent more), and the other. */
function dataSides(c: DataConnectionFacts): { sender: FtpEndpoint; receiver: FtpEndpoint } {
  return c.bytesFromListener > c.bytesFromOpener ? { sender: c.listener, receiver: c.opener } : { sender: c.opener, receiver: c.listener };
}

/**
 * Sequence number over time for one transfer's data connection, as tcptrace draws it, from the
 * model's plot series (`DataConnectionFacts.plot`): one I-bar per point from seq to seq+len
 * (blue), the receiver's ACKs as a step line (green) with the advertised window above it
 * (yellow), retransmissions marked red. The series are already bounded (SeqPlotCollector.ts),
 * so the SVG stays a few thousand path commands however long the transfer.
 */
function seqPlot(t: FtpTransfer, rel: (t: string | null | undefined) => number): string {
  const c = t.connection;
  const label = `#${t.id} ${t.command ?? '?'}${t.arg ? ` ${t.arg}` : ''}`;
  if (!c) return `<figure><figcaption>${h(label)}: no data connection in the capture, nothing to plot.</figcaption></figure>`;
  const W = 560, H = 300, left = 56, right = 12, top = 12, bottom = 32;
  const plot = c.plot;
  const parts: string[] = [];
  let note: string;
  let attrs = '';
  // Bounds over everything drawn; times are seconds since the connection's first frame.
  let tMin = 0, tMax = 0, sMin = 0, sMax = 0;
  if (plot && plot.data.points.length + plot.acks.points.length > 0) {
    const d = plot.data.points, a = plot.acks.points, r = plot.retransmissions.points;
    tMin = Math.min(...d.map((p) => p.time), ...a.map((p) => p.time));
    tMax = Math.max(...d.map((p) => p.time), ...a.map((p) => p.time));
    sMin = Math.min(...d.map((p) => p.seq), ...a.map((p) => p.ack));
    sMax = Math.max(...d.map((p) => p.end), ...a.map((p) => p.ack));
    const sender = plot.sender === 'opener' ? c.opener : c.listener;
    const merged = plot.data.bucketSeconds > 0 || plot.acks.bucketSeconds > 0;
    note = `${plot.data.segments} data segments from ${h(endpoint(sender))}, ${plot.acks.segments} ACKs, ${plot.retransmissions.segments} retransmission${plot.retransmissions.segments === 1 ? '' : 's'}`
      + (merged ? `; merged into ${d.length} + ${a.length} points for display (lowest seq and highest seq+len per ${fmtSeconds(Math.max(plot.data.bucketSeconds, plot.acks.bucketSeconds))} time bucket)` : '')
      + (r.length < plot.retransmissions.segments ? `; the first ${r.length} retransmissions marked` : '');
    attrs = ` data-points="${d.length}" data-acks="${a.length}" data-retransmissions="${r.length}"`;
    const x = scale(tMin, tMax, left, W - right);
    const y = scale(sMin, sMax, H - bottom, top);
    parts.push(...plotAxes(tMin, tMax, sMin, sMax, x, y, { W, H, left, right, top, bottom }));
    if (a.length > 0) {
      // tcptrace's ACK line (green) and the window's right edge, ACK + window (yellow), as steps.
      const step = (value: (p: (typeof a)[number]) => number): string => a.map((p, i) => (i === 0 ? `M${x(p.time)} ${y(value(p))}` : `H${x(p.time)}V${y(value(p))}`)).join('');
      parts.push(`<path class="window" d="${step((p) => Math.min(p.ack + p.window, sMax))}" fill="none" stroke="#d4a72c" stroke-width="1"/>`);
      parts.push(`<path class="acks" d="${step((p) => p.ack)}" fill="none" stroke="#1a7f37" stroke-width="1"/>`);
    }
    if (d.length > 0) {
      // One I-bar per point, seq to seq+len (a merged point spans every byte sent in its bucket).
      const bars = d.map((p) => `M${x(p.time)} ${y(p.seq)}V${Math.min(Number(y(p.end)), Number(y(p.seq)) - 1).toFixed(1)}`).join('');
      parts.push(`<path class="segments" d="${bars}" stroke="#0550ae" stroke-width="1.5" fill="none"/>`);
    }
    if (r.length > 0) {
      const marks = r.map((p) => `M${x(p.time)} ${y(p.seq)}V${Math.min(Number(y(p.seq + p.len)), Number(y(p.seq)) - 3).toFixed(1)}`).join('');
      parts.push(`<path class="retransmissions" d="${marks}" stroke="#cf222e" stroke-width="2" fill="none"/>`);
    }
  } else {
    // No points in the report (built without plots, or past the plot limit): the connection's
    // start, its last data frame and the byte count only.
    const { sender } = dataSides(c);
    const bytes = Math.max(c.bytesFromOpener, c.bytesFromListener);
    tMin = 0;
    tMax = Math.max(0, rel(c.lastDataTime ?? c.start) - rel(c.start));
    sMin = 1;
    sMax = 1 + bytes;
    const x = scale(tMin, tMax, left, W - right);
    const y = scale(sMin, sMax, H - bottom, top);
    parts.push(...plotAxes(tMin, tMax, sMin, sMax, x, y, { W, H, left, right, top, bottom }));
    parts.push(`<path class="segments approx" d="M${x(tMin)} ${y(sMin)}L${x(tMax)} ${y(sMax)}" stroke="#0550ae" stroke-dasharray="4 3" fill="none"/>`);
    note = `approximate: ${plot === null ? 'this report holds plot points for its first data connections only' : 'the report was built without plot points'}; a line from the connection's start to its last data frame (${h(endpoint(sender))} sent ${bytes} bytes)`;
  }
  return `<figure><svg class="seqplot" data-stream="${c.stream}"${attrs} viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="sequence numbers over time, stream ${c.stream}"><title>${h(label)}</title>${parts.join('')}</svg><figcaption>${h(label)}: tcp.stream ${c.stream}, relative sequence number over time (blue: data segments, green: ACKs, yellow: ACK + advertised window, red: retransmissions); ${note}.</figcaption></figure>`;
}

/** A linear map from [a, b] onto [from, to], written with one decimal. */
function scale(a: number, b: number, from: number, to: number): (v: number) => string {
  const k = (to - from) / (b - a || 1);
  return (v: number) => (from + (v - a) * k).toFixed(1);
}

function fmtSeconds(s: number): string {
  return s >= 1 ? `${Number(s.toPrecision(3))} s` : s >= 1e-3 ? `${Number((s * 1e3).toPrecision(3))} ms` : `${Number((s * 1e6).toPrecision(3))} µs`;
}

/** Grid, tick labels and axes of a time-sequence plot (time in ms since the connection's first frame). */
function plotAxes(
  tMin: number, tMax: number, sMin: number, sMax: number, x: (v: number) => string, y: (v: number) => string,
  box: { W: number; H: number; left: number; right: number; top: number; bottom: number },
): string[] {
  const { W, H, left, right, top, bottom } = box;
  const parts: string[] = [];
  for (const ms of ticks(tMin * 1000, tMax * 1000, 5)) {
    const px = x(ms / 1000);
    parts.push(`<line x1="${px}" y1="${top}" x2="${px}" y2="${H - bottom}" stroke="#eef1f4"/><text x="${px}" y="${H - bottom + 14}" text-anchor="middle">${fmtAxis(ms)}</text>`);
  }
  for (const v of ticks(sMin, sMax, 5)) parts.push(`<line x1="${left}" y1="${y(v)}" x2="${W - right}" y2="${y(v)}" stroke="#eef1f4"/><text x="${left - 4}" y="${(Number(y(v)) + 4).toFixed(1)}" text-anchor="end">${fmtAxis(v)}</text>`);
  parts.push(`<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="#57606a"/><line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="#57606a"/>`);
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 4}" text-anchor="middle">ms since the connection's first frame</text>`);
  return parts;
}

function histogramSvg(groups: Array<{ name: string; colour: string; rows: PacketLengthRow[] }>): string {
  const buckets = groups[0]?.rows.slice(1).map((r) => r.range) ?? [];
  const W = 1000, H = 280, left = 50, right = 12, top = 28, bottom = 48;
  const maxCount = Math.max(1, ...groups.flatMap((g) => g.rows.slice(1).map((r) => r.count)));
  const band = (W - left - right) / Math.max(1, buckets.length);
  const bw = (band - 8) / groups.length;
  const y = (v: number) => H - bottom - (v / maxCount) * (H - top - bottom);
  const parts: string[] = [];
  for (const v of ticks(0, maxCount, 5)) parts.push(`<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${W - right}" y2="${y(v).toFixed(1)}" stroke="#eef1f4"/><text x="${left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmtAxis(v)}</text>`);
  buckets.forEach((b, i) => {
    const x0 = left + i * band + 4;
    groups.forEach((g, j) => {
      const r = g.rows[i + 1]!;
      const yy = y(r.count);
      parts.push(`<rect class="bar" x="${(x0 + j * bw).toFixed(1)}" y="${yy.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${(H - bottom - yy).toFixed(1)}" fill="${g.colour}"><title>${h(g.name)} ${h(b)}: ${r.count} frames</title></rect>`);
    });
    parts.push(`<text x="${(x0 + band / 2 - 4).toFixed(1)}" y="${H - bottom + 14}" text-anchor="middle">${h(b.replace(' and greater', '+'))}</text>`);
  });
  parts.push(`<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="#57606a"/>`);
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 10}" text-anchor="middle">frame length (bytes on the wire), Wireshark's Packet Lengths buckets</text>`);
  groups.forEach((g, j) => parts.push(`<rect x="${left + 8 + j * 130}" y="8" width="10" height="10" fill="${g.colour}"/><text x="${left + 22 + j * 130}" y="17">${h(g.name)}</text>`));
  return `<svg class="histogram" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="packet length histogram"><title>Packet lengths</title>${parts.join('')}</svg>`;
}

function statisticsHtml(report: Report): string {
  const st = report.statistics;
  if (!st) return '<h2>Statistics</h2><p class="muted">Not available for a merged report of several captures.</p>';
  const out = ['<h2>Statistics</h2>', '<h3>Packet lengths</h3>'];
  out.push(histogramSvg([
    { name: 'all frames', colour: '#8c959f', rows: st.packetLengths.all },
    { name: 'FTP control', colour: '#0969da', rows: st.packetLengths.ftpControl },
    { name: 'FTP data', colour: '#bf8700', rows: st.packetLengths.ftpData },
  ]));
  out.push('<table class="plen"><thead><tr><th>Range</th><th>All</th><th>%</th><th>FTP control</th><th>FTP data</th><th>Avg (all)</th><th>Min</th><th>Max</th></tr></thead><tbody>');
  st.packetLengths.all.forEach((r, i) => {
    out.push(`<tr><td>${h(r.range)}</td><td class="num">${r.count}</td><td class="num">${r.percent === null ? '-' : r.percent.toFixed(2)}</td><td class="num">${st.packetLengths.ftpControl[i]?.count ?? '-'}</td><td class="num">${st.packetLengths.ftpData[i]?.count ?? '-'}</td><td class="num">${r.average ?? '-'}</td><td class="num">${r.min ?? '-'}</td><td class="num">${r.max ?? '-'}</td></tr>`);
  });
  out.push('</tbody></table>');
  const roles = new Map(st.connections.map((c) => [c.stream, c.role]));
  const note = setAsideNote(st);
  if (note !== undefined) out.push(`<p class="muted">${h(note)}</p>`);
  out.push('<h3>TCP conversations</h3><table class="conversations"><thead><tr><th>Stream</th><th>Role</th><th>A</th><th>B</th><th>Frames A→B</th><th>Bytes A→B</th><th>Frames B→A</th><th>Bytes B→A</th><th>Start (s)</th><th>Duration (s)</th></tr></thead><tbody>');
  for (const c of st.conversations) {
    out.push(`<tr><td class="num">${c.stream}</td><td>${h(roles.get(c.stream) ?? 'other')}</td><td>${h(endpoint(c.a))}</td><td>${h(endpoint(c.b))}</td><td class="num">${c.aToB.frames}</td><td class="num">${c.aToB.bytes}</td><td class="num">${c.bToA.frames}</td><td class="num">${c.bToA.bytes}</td><td class="num">${c.relativeStart.toFixed(6)}</td><td class="num">${c.duration.toFixed(6)}</td></tr>`);
  }
  out.push('</tbody></table>');
  return out.join('\n');
}
