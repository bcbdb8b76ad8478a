#!/usr/bin/env node
// Writes the field reference of docs/json-schema.md from docs/report.schema.json: one section
// per definition, one table row per key (keys of nested objects written with their parents',
// `binding.rule`), with its type, whether it is always there, and its description. Everything
// above the MARKER line is hand-written and kept as it is.
//
//   node scripts/json-schema-doc.mjs          rewrite the reference part
//   node scripts/json-schema-doc.mjs --check  exit 1 when the file is not what it would write
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMA = join(ROOT, 'docs/report.schema.json');
const DOC = join(ROOT, 'docs/json-schema.md');
export const MARKER = '<!-- Field reference below: written by scripts/json-schema-doc.mjs from docs/report.schema.json; edit the schema, then run the script. -->';

const anchor = (name) => name.toLowerCase();
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(node) {
  if (node.$ref) {
    const name = node.$ref.split('/').pop();
    if (name === 'FrameNumber') return '[frame number](#framenumber)';
    return node.$ref.includes('/properties/') ? `as in ${node.$ref.split('/')[2]}` : `[${name}](#${anchor(name)})`;
  }
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ');
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  const parts = types.map((t) => {
    if (t === 'array') {
      if (node.prefixItems) return `[${node.prefixItems.map(typeOf).join(', ')}]`;
      return `${node.items ? typeOf(node.items) : 'any'} array`;
    }
    if (t === 'integer' && node.minimum !== undefined) return `integer ≥ ${node.minimum}`;
    if (t === 'object' && !node.properties && typeof node.additionalProperties === 'object') return `map of ${typeOf(node.additionalProperties)}`;
    return t;
  });
  if (node.anyOf && types.length === 0) return node.anyOf.map(typeOf).join(' or ');
  if (node.oneOf && types.length === 0) return `one of ${node.oneOf.map(typeOf).join(', ')}`;
  if (node.pattern === '^-?[0-9]+\\.[0-9]{9}$') return parts.map((p) => (p === 'string' ? 'time string' : p)).join(' or ');
  return parts.join(' or ');
}

function rows(node, prefix, out) {
  const props = node.properties ?? {};
  const required = new Set(node.required ?? []);
  for (const [name, sub] of Object.entries(props)) {
    const key = `${prefix}${name}`;
    out.push(`| \`${key}\` | ${cell(typeOf(sub))} | ${required.has(name) ? 'always' : 'optional'} | ${cell(sub.description ?? '')} |`);
    const inner = sub.properties ? sub : sub.items?.properties ? sub.items : sub.anyOf?.find((x) => x.properties);
    if (inner) rows(inner, `${key}.`, out);
  }
}

export function reference(schema) {
  const out = [MARKER, '', '## Field reference', ''];
  for (const [name, def] of Object.entries(schema.$defs)) {
    out.push(`### ${name}`, '');
    if (def.description) out.push(def.description, '');
    if (def.properties) {
      out.push('| key | type | present | meaning |', '| --- | --- | --- | --- |');
      rows(def, '', out);
      out.push('');
    } else {
      out.push(`Type: ${typeOf(def)}.`, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export function render(doc, schema) {
  const at = doc.indexOf(MARKER);
  const head = at >= 0 ? doc.slice(0, at) : `${doc.trimEnd()}\n\n`;
  return head + reference(schema);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
  const doc = readFileSync(DOC, 'utf8');
  const next = render(doc, schema);
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      process.stderr.write('docs/json-schema.md is out of date: run node scripts/json-schema-doc.mjs\n');
      process.exit(1);
    }
  } else {
    writeFileSync(DOC, next);
  }
}
