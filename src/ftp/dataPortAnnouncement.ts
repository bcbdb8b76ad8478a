import { ipv6Text } from '../decode/addressText.js';

// The four ways FTP announces where a data connection will be made. The control channel
// names an address and port; the data connection that follows is matched against them.

export type DataPortKind = 'PORT' | 'EPRT' | 'LPRT' | 'PASV' | 'EPSV' | 'LPSV';

export interface DataPortAnnouncement {
  kind: DataPortKind;
  /** Announced address; absent for EPSV, whose connection goes to the control connection's server address. */
  address?: string;
  port: number;
  /** For PORT/PASV/LPRT/LPSV, the two bytes the port was built from (port = p1 × 256 + p2). */
  portBytes?: [number, number];
}

/** Parses a client command line (PORT, EPRT, LPRT) announcing an active-mode data port. */
export function parseClientAnnouncement(line: string): DataPortAnnouncement | undefined {
  const m = /^\s*(PORT|EPRT|LPRT)\s+(.*?)\s*$/i.exec(line);
  if (!m) return undefined;
  const verb = (m[1] ?? '').toUpperCase() as 'PORT' | 'EPRT' | 'LPRT';
  const arg = m[2] ?? '';
  if (verb === 'PORT') return sixNumbers('PORT', arg);
  if (verb === 'LPRT') return longForm('LPRT', arg);
  return extended('EPRT', arg);
}

/** Parses a server reply line (227, 228, 229) announcing a passive-mode data port. */
export function parseServerAnnouncement(line: string): DataPortAnnouncement | undefined {
  const m = /^\s*(227|228|229)[ -](.*)$/.exec(line);
  if (!m) return undefined;
  const text = m[2] ?? '';
  if (m[1] === '227') return sixNumbers('PASV', text);
  if (m[1] === '228') {
    const inner = /\(([\d,\s]+)\)/.exec(text);
    return longForm('LPSV', inner?.[1] ?? text);
  }
  // RFC 2428 §3: "(<d><d><d><port><d>)" where <d> is any printable delimiter, usually '|'.
  const epsv = /\(([\x21-\x7e])\1\1(\d{1,5})\1\)/.exec(text);
  if (!epsv) return undefined;
  const port = Number(epsv[2]);
  return port > 0 && port <= 65535 ? { kind: 'EPSV', port } : undefined;
}

/** RFC 959 §4.1.2: h1,h2,h3,h4,p1,p2 — servers wrap it in any text, so find the six numbers anywhere. */
function sixNumbers(kind: 'PORT' | 'PASV', text: string): DataPortAnnouncement | undefined {
  const m = /(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})/.exec(text);
  if (!m) return undefined;
  const n = m.slice(1, 7).map(Number);
  if (n.some((v) => v > 255)) return undefined;
  const [h1, h2, h3, h4, p1, p2] = n as [number, number, number, number, number, number];
  return { kind, address: `${h1}.${h2}.${h3}.${h4}`, port: p1 * 256 + p2, portBytes: [p1, p2] };
}

/** RFC 1639: af,hal,h1…,pal,p1,p2 with af 4 (IPv4, 4 address bytes) or 6 (IPv6, 16). */
function longForm(kind: 'LPRT' | 'LPSV', text: string): DataPortAnnouncement | undefined {
  const n = text.split(',').map((s) => Number(s.trim()));
  if (n.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) return undefined;
  const [af, hal] = n;
  if (!((af === 4 && hal === 4) || (af === 6 && hal === 16))) return undefined;
  const host = n.slice(2, 2 + hal);
  const pal = n[2 + hal];
  const portBytes = n.slice(3 + hal);
  if (pal !== 2 || portBytes.length !== 2 || n.length !== 5 + hal) return undefined;
  const [p1, p2] = portBytes as [number, number];
  const address = af === 4 ? host.join('.') : ipv6FromBytes(host);
  return { kind, address, port: p1 * 256 + p2, portBytes: [p1, p2] };
}

/** RFC 2428 §2: <d>af<d>address<d>port<d>. */
function extended(kind: 'EPRT', arg: string): DataPortAnnouncement | undefined {
  const d = arg[0];
  if (!d || arg.length < 4) return undefined;
  const parts = arg.split(d);
  // '|1|1.2.3.4|5282|' splits to ['', '1', '1.2.3.4', '5282', '']
  if (parts.length !== 5 || parts[0] !== '' || parts[4] !== '') return undefined;
  const af = parts[1];
  const address = (parts[2] ?? '').toLowerCase();
  const port = Number(parts[3]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  if (af === '1' && /^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return { kind, address, port };
  if (af === '2' && /^[0-9a-f:.]+$/.test(address)) return { kind, address: normaliseIpv6(address), port };
  return undefined;
}

function ipv6FromBytes(bytes: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return normaliseIpv6(groups.join(':'));
}

/**
 * Rewrites an IPv6 address as the decoder writes addresses (RFC 5952, as Wireshark shows them),
 * so an announced address compares equal to the captured one.
 */
export function normaliseIpv6(text: string): string {
  const groups = expandIpv6(text);
  if (!groups) return text;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return ipv6Text(bytes, 0);
}

function expandIpv6(text: string): number[] | undefined {
  let s = text;
  const tail: number[] = [];
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(1, 5).map(Number) as [number, number, number, number];
    tail.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
    s = s.slice(0, v4.index) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string | undefined) => (h ? h.split(':').map((g) => parseInt(g, 16)) : []);
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...new Array<number>(Math.max(fill, 0)).fill(0), ...rest];
  if (tail.length) groups.splice(6, 2, ...tail);
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  return groups;
}

/**
 * How the announced port is worked out, for a reader checking it by hand: "117 × 256 + 56 =
 * 30008" for the forms that send two port bytes (RFC 959 §4.1.2, RFC 1639); undefined for
 * EPRT/EPSV, which write the port in decimal (RFC 2428).
 */
export function explainAnnouncement(a: DataPortAnnouncement): string | undefined {
  if (!a.portBytes) return undefined;
  const [p1, p2] = a.portBytes;
  return `${p1} × 256 + ${p2} = ${a.port}`;
}
