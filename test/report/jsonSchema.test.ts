// The JSON contract: docs/report.schema.json (JSON Schema 2020-12) describes every key of the
// report, `stats --format json`, `packets --format json` and `creds --format json`, with
// additionalProperties: false on every object, so a key the schema does not document fails
// here. The real output of every fixture and every public capture is validated against it, and
// docs/json-schema.md must name every property the schema has (and nothing it lacks).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeSeparately, REPORT_SCHEMA_VERSION } from '../../src/analyze.js';
import { listPackets } from '../../src/packets.js';
import { renderCredentialsJson, renderReportJson } from '../../src/report/ftpJson.js';
import { followStream, type FollowTurn } from '../../src/follow.js';
import { followJsonFooter, followJsonHeader, followJsonTurn, safeJson } from '../../src/report/follow.js';
import { renderSessionsJson, sessionLine } from '../../src/report/sessionsList.js';
import { renderStatisticsJson, renderStatisticsText } from '../../src/stats/statsText.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { captureLabel, FIXTURES, fixtureCaptures, publicCaptures, ROOT, skipWithoutPublicCaptures } from '../helpers/captures.js';

const SCHEMA_PATH = join(ROOT, 'docs/report.schema.json');
const DOC_PATH = join(ROOT, 'docs/json-schema.md');
const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { $id: string; $defs: Record<string, unknown> };
const CLI = join(ROOT, 'dist/cli.js');

// ajv-formats is CommonJS with a default export; under ESM the function is `.default` or the module.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
addFormats(ajv);
ajv.addSchema(schema);
const validator = (def?: string): ValidateFunction => {
  const v = ajv.getSchema(def ? `${schema.$id}#/$defs/${def}` : schema.$id);
  if (!v) throw new Error(`no schema for ${def ?? 'the report'}`);
  return v;
};
const report = validator();
const stats = validator('StatsOutput');
const packetRow = validator('PacketRow');
const packetList = validator('PacketList');
const creds = validator('CredentialsOutput');
const sessions = validator('SessionsOutput');
const follow = validator('FollowOutput');

function problems(v: ValidateFunction, value: unknown): string[] {
  if (v(value)) return [];
  return (v.errors ?? []).slice(0, 10).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : ''}`);
}

/** `follow --stream N --format json` as the CLI writes it (src/cli/follow.ts), from the same pieces. */
async function followJson(file: string, stream: number): Promise<unknown> {
  let text = '';
  let turns = 0;
  const result = await followStream(file, stream, (turn: FollowTurn) => {
    text += `${turns++ === 0 ? '\n' : ',\n'}${safeJson(followJsonTurn(turn))}`;
  }, { onStart: (c) => { text = followJsonHeader(REPORT_SCHEMA_VERSION, file, { stream }, c) + text; } });
  return JSON.parse(`${text}${turns === 0 ? '' : '\n'}${followJsonFooter(result.bytes, result.missing)}`);
}

/** Every output of one capture, as the CLI renders it, checked against the schema. */
async function checkCapture(file: string, followAll = false): Promise<void> {
  const r = await analyze(file, { ftp: { plots: true } });
  let list = '';
  renderSessionsJson(r.schemaVersion, r.sessions.map(sessionLine), (t) => { list += t; }, safeJson);
  expect(problems(sessions, JSON.parse(list)), 'sessions').toEqual([]);
  // Follow: every TCP connection of a fixture; the FTP control connections of a public capture.
  const streams = followAll ? r.statistics!.conversations.map((c) => c.stream) : r.sessions.map((s) => s.controlStream).slice(0, 5);
  for (const stream of streams) expect(problems(follow, await followJson(file, stream)), `follow --stream ${stream}`).toEqual([]);
  expect(problems(report, JSON.parse(renderReportJson(r))), 'report').toEqual([]);
  expect(problems(stats, JSON.parse(renderStatisticsJson(r.schemaVersion, r.statistics!))), 'stats').toEqual([]);
  expect(problems(creds, JSON.parse(renderCredentialsJson(r))), 'creds').toEqual([]);
  // Rows one by one (a big capture's list is never held whole), each as the CLI prints it.
  const bad: string[] = [];
  let rows = 0;
  await listPackets(file, (row) => {
    rows++;
    if (bad.length < 5) for (const p of problems(packetRow, JSON.parse(JSON.stringify(row)))) bad.push(`frame ${row.frame}: ${p}`);
  });
  expect(bad, 'packets').toEqual([]);
  expect(rows).toBeGreaterThan(0);
}

describe('docs/report.schema.json', () => {
  it('is a valid 2020-12 schema whose every object closes its keys (a map says what its values are)', () => {
    expect(ajv.validateSchema(schema)).toBe(true);
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}/${i}`));
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        // An object with named keys closes them (its oneOf branches, which only say which of
        // them must be there, have no type of their own); a map says what its values are.
        const branch = /\/(oneOf|anyOf)\/\d+$/.test(path) && o.type === undefined;
        if ((o.properties || o.patternProperties) && o.additionalProperties !== false && !branch) open.push(path);
        if (o.type === 'object' && !o.properties && !o.patternProperties && (typeof o.additionalProperties !== 'object' || o.additionalProperties === null)) open.push(path);
        for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
      }
    };
    walk(schema, '#');
    expect(open).toEqual([]);
    expect((schema.$defs.Report as { properties: { schemaVersion: { const: number } } }).properties.schemaVersion.const).toBe(REPORT_SCHEMA_VERSION);
  });

  it('rejects a key it does not document, a missing key, and a frame number 0', async () => {
    const r = JSON.parse(renderReportJson(await analyze(join(FIXTURES, 'pasv-download.pcap'), { ftp: { plots: true } })));
    expect(problems(report, r)).toEqual([]);
    const extra = structuredClone(r);
    extra.sessions[0].commands[0].undocumented = 1;
    expect(problems(report, extra).join('\n')).toContain('must NOT have additional properties: undocumented');
    const missing = structuredClone(r);
    delete missing.sessions[0].transfers[0].connection.plot.data.points[0].frame;
    expect(problems(report, missing).join('\n')).toContain("must have required property 'frame'");
    const zero = structuredClone(r);
    zero.sessions[0].commands[0].frame = 0;
    expect(problems(report, zero).join('\n')).toContain('/sessions/0/commands/0/frame must be >= 1');
    // A follow data turn has its bytes as text or as base64: exactly one of them.
    const turn = { from: 'client', offset: 0, length: 2, frames: [4] };
    const followed = (t: object) => ({ schemaVersion: 1, capture: 'c', stream: 0, client: null, server: null, rolesFrom: null, turns: [t], bytes: { client: 2, server: 0 }, missing: { client: 0, server: 0 } });
    expect(problems(follow, followed({ ...turn, text: 'hi' }))).toEqual([]);
    expect(problems(follow, followed({ ...turn, base64: 'aGk=' }))).toEqual([]);
    expect(problems(follow, followed(turn))).not.toEqual([]);
    expect(problems(follow, followed({ ...turn, text: 'hi', base64: 'aGk=' }))).not.toEqual([]);
  });

  describe('validates the real output of every fixture', () => {
    for (const file of fixtureCaptures()) it(captureLabel(file), () => checkCapture(file, true), 120_000);
  });

  describe('validates the real output of every public capture', () => {
    skipWithoutPublicCaptures();
    for (const file of publicCaptures()) it(captureLabel(file), () => checkCapture(file), 300_000);
  });

  it('validates a report of several captures merged, and the CLI output of each command', async () => {
    const files = ['active-port.pcap', 'upload-stor.pcap'].map((f) => join(FIXTURES, f));
    expect(problems(report, JSON.parse(renderReportJson(await analyze(files))))).toEqual([]);
    expect(problems(report, JSON.parse(renderReportJson(await analyzeSeparately(files))))).toEqual([]);
    const run = (args: string[], status = 0) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 1 << 28 });
      expect(r.status, r.stderr.toString()).toBe(status);
      return JSON.parse(r.stdout.toString());
    };
    // Extraction adds `extracted` to transfers; --redact masks passwords.
    const out = mkdtempSync(join(tmpdir(), 'ftp-inspect-schema-'));
    const extracted = run([files[0]!, '--format', 'json', '--redact', '--extract', join(out, 'files')]);
    expect(extracted.redacted).toBe(true);
    expect(extracted.sessions[0].transfers.filter((t: { extracted?: unknown }) => t.extracted).length).toBeGreaterThan(0);
    expect(problems(report, extracted)).toEqual([]);
    const f = join(FIXTURES, 'lossy-transfer.pcap');
    const full = run([f, '--format', 'json', '--plots']);
    expect(full.sessions[0].transfers.some((t: { connection: { plot?: unknown } | null }) => t.connection?.plot)).toBe(true);
    expect(problems(report, full)).toEqual([]);
    expect(problems(report, run([f, '--format', 'json']))).toEqual([]);
    expect(problems(stats, run(['stats', f, '--format', 'json']))).toEqual([]);
    expect(problems(packetList, run(['packets', f, '--format', 'json']))).toEqual([]);
    expect(problems(sessions, run(['sessions', ...files, '--format', 'json']))).toEqual([]);
    expect(problems(sessions, run(['sessions', '--separate', ...files, '--format', 'json']))).toEqual([]);
    expect(problems(packetList, run(['packets', ...files, '--format', 'json']))).toEqual([]);
    expect(problems(follow, run(['follow', ...files, '2', '--format', 'json']))).toEqual([]);
    const followed = run(['follow', f, '1', '--transfer', '1', '--format', 'json']);
    expect(followed.transfer).toBe(1);
    expect(problems(follow, followed)).toEqual([]);
    expect(problems(follow, run(['follow', f, '1', '--format', 'json']))).toEqual([]);
    // creds exits 1: the fixtures' logins are cleartext.
    expect(problems(creds, run(['creds', ...files, '--format', 'json'], 1))).toEqual([]);
  }, 120_000);

  it('validates statistics that say connections were set aside at the TCP stage\'s open-connection limit, which every form of the report states', async () => {
    // parallel-sessions.pcap: three sessions, each a control and a data connection, at once; with
    // at most one open connection held, the quieter ones are set aside.
    const limited = await analyze(join(FIXTURES, 'parallel-sessions.pcap'), { tcp: { maxOpen: 1 } });
    const st = limited.statistics!;
    expect(st.connectionsSetAside).toMatchObject({ limit: 1 });
    expect(st.connectionsSetAside!.count).toBeGreaterThan(0);
    expect(st.connectionsSetAside!.firstFrame).toBeGreaterThan(0);
    expect(problems(report, JSON.parse(renderReportJson(limited)))).toEqual([]);
    expect(problems(stats, JSON.parse(renderStatisticsJson(REPORT_SCHEMA_VERSION, st)))).toEqual([]);
    const note = `${st.connectionsSetAside!.count} open TCP connections were set aside at the limit of 1 held open (the first at frame ${st.connectionsSetAside!.firstFrame}`;
    expect(renderStatisticsText(st)).toContain(`Note: ${note}`);
    expect(renderMarkdown(limited)).toContain(`Note: ${note}`);
    expect(renderHtml(limited)).toContain(note);
    // Without the limit reached there is no such key (the schema's other tests validate those).
    expect((await analyze(join(FIXTURES, 'parallel-sessions.pcap'))).statistics!.connectionsSetAside).toBeUndefined();
  });
});

describe('docs/json-schema.md', () => {
  const doc = readFileSync(DOC_PATH, 'utf8');
  /** Every (definition, property) pair of the schema; keys of nested objects written with their parents' (`binding.rule`). */
  const properties: Array<[string, string]> = [];
  const collect = (def: string, node: unknown, prefix: string): void => {
    if (Array.isArray(node)) node.forEach((n) => collect(def, n, prefix));
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      for (const [k, v] of Object.entries(o)) {
        if (k === 'properties' && v && typeof v === 'object') {
          for (const [name, sub] of Object.entries(v)) {
            if (typeof sub === 'boolean') continue; // a oneOf branch naming a key its object defines
            properties.push([def, `${prefix}${name}`]);
            collect(def, sub, `${prefix}${name}.`);
          }
        } else if (k !== 'description') collect(def, v, prefix);
      }
    }
  };
  for (const [name, def] of Object.entries(schema.$defs)) collect(name, def, '');

  /** The doc's sections: `### Name` headings, each with the `key` names its table rows start with. */
  const sections = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of doc.split('\n')) {
    const heading = line.match(/^### `?([A-Za-z]+)`?/);
    if (heading) sections.set(heading[1]!, (current = new Set()));
    const row = line.match(/^\| `([A-Za-z0-9.]+)` \|/);
    if (row && current) current.add(row[1]!);
  }

  it('is what scripts/json-schema-doc.mjs writes from the schema (its reference part), and every key has a description', () => {
    const check = spawnSync(process.execPath, [join(ROOT, 'scripts/json-schema-doc.mjs'), '--check']);
    expect(check.stderr.toString()).toBe('');
    expect(check.status).toBe(0);
    const undescribed: string[] = [];
    const walk = (def: string, node: unknown, prefix: string): void => {
      if (Array.isArray(node)) node.forEach((n) => walk(def, n, prefix));
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
          if (k === 'properties' && v && typeof v === 'object') {
            for (const [name, sub] of Object.entries(v as Record<string, { description?: string } | boolean>)) {
              if (typeof sub === 'boolean') continue; // a oneOf branch naming a key its object defines
              if (!sub.description?.trim()) undescribed.push(`${def}: ${prefix}${name}`);
              walk(def, sub, `${prefix}${name}.`);
            }
          } else if (k !== 'description') walk(def, v, prefix);
        }
      }
    };
    for (const [name, def] of Object.entries(schema.$defs)) {
      if (!(def as { description?: string }).description) undescribed.push(name);
      walk(name, def, '');
    }
    expect(undescribed).toEqual([]);
  });

  it('has a section for every definition of the schema, and none for one it lacks', () => {
    expect([...sections.keys()].sort()).toEqual(Object.keys(schema.$defs).sort());
  });

  it('explains every property in its definition\'s section, and no property the schema lacks', () => {
    const missing = properties.filter(([def, key]) => !sections.get(def)?.has(key));
    expect(missing.map(([d, k]) => `${d}: ${k}`)).toEqual([]);
    const known = new Set(properties.map(([d, k]) => `${d}: ${k}`));
    const extra: string[] = [];
    for (const [def, keys] of sections) for (const k of keys) if (!known.has(`${def}: ${k}`)) extra.push(`${def}: ${k}`);
    expect(extra).toEqual([]);
  });
});
