// What the text output may assume about where it goes: how wide it may be and whether it may
// use colour. Renderers produce plain text; `decorate` fits it to the width and adds colour
// afterwards, so JSON, Markdown, files and pipes never get escape sequences by accident.
//
// Width: COLUMNS when set to a positive number (as git's term_columns() and GNU ls read it),
// otherwise the terminal's width when stdout is a terminal, otherwise none: output that goes
// to a pipe or a file is never wrapped, as tshark never wraps, so grep, diff and scripts see
// whole lines.
//
// Colour: `--color always|never` decide; with `auto` (the default) FORCE_COLOR set to anything
// but 0/false turns it on (Node's own rule: FORCE_COLOR wins over NO_COLOR), a non-empty
// NO_COLOR (no-color.org) turns it off, and otherwise stdout must be a terminal whose TERM is
// not "dumb".

import { fitBoxes } from './boxFit.js';

export type ColorChoice = 'auto' | 'always' | 'never';

export interface OutputTraits {
  /** Wrap longer lines to this many columns; undefined: do not wrap. */
  width: number | undefined;
  color: boolean;
}

interface StreamLike {
  isTTY?: boolean;
  columns?: number;
}

type Env = Record<string, string | undefined>;

export function outputWidth(stream: StreamLike | undefined, env: Env = process.env): number | undefined {
  const columns = Number(env.COLUMNS);
  if (env.COLUMNS !== undefined && Number.isInteger(columns) && columns > 0) return columns;
  if (stream?.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0) return stream.columns;
  return undefined;
}

export function useColor(choice: ColorChoice, stream: StreamLike | undefined, env: Env = process.env): boolean {
  if (choice === 'always') return true;
  if (choice === 'never') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false');
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream?.isTTY === true && env.TERM !== 'dumb';
}

/** Traits for output going to `stream` (stdout), or to a file (`toFile`: no width, colour only when forced). */
export function outputTraits(choice: ColorChoice, stream: StreamLike | undefined, toFile: boolean, env: Env = process.env): OutputTraits {
  if (toFile) return { width: undefined, color: choice === 'always' };
  return { width: outputWidth(stream, env), color: useColor(choice, stream, env) };
}

/** Whether decorate gives text back unchanged under `traits` (no width to fit, no colour). */
export function leavesPlain(traits: OutputTraits): boolean {
  return traits.width === undefined && !traits.color;
}

const SGR = {
  bold: ['\u001b[1m', '\u001b[22m'],
  red: ['\u001b[31m', '\u001b[39m'],
  yellow: ['\u001b[33m', '\u001b[39m'],
  cyan: ['\u001b[36m', '\u001b[39m'],
} as const;

export type Colour = keyof typeof SGR;

export function paint(text: string, colour: Colour, on: boolean): string {
  return on && text !== '' ? `${SGR[colour][0]}${text}${SGR[colour][1]}` : text;
}

/**
 * Fits plain text to `width` and colours it. Layout conventions of our text renderers that
 * this relies on: headings start in column 0 and follow an empty line (or open the text),
 * everything taken from a capture is indented, the line after a title may be a rule of '=',
 * the lines of a "Warnings" section are warnings, and a timeline row is
 * "  frame  time  S→C  code  text". A boxed table wider than the width is drawn anew with its
 * widest columns narrowed and their text wrapped inside the cells (boxFit.ts); its lines are
 * never cut by wrapLine, which would break the borders.
 */
export function decorate(text: string, traits: OutputTraits): string {
  if (leavesPlain(traits)) return text;
  const lines = traits.width === undefined ? text.split('\n') : fitBoxes(text.split('\n'), traits.width);
  const out: string[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // A boxed table drawn at column 0 (the creds command's) is not a heading, though its top border opens the text.
    const heading = line !== '' && !/^\s/.test(line) && !BOX.test(line) && (i === 0 || lines[i - 1] === '' || /^=+$/.test(lines[i + 1] ?? ''));
    if (heading) section = line;
    const pieces = traits.width === undefined ? [line] : wrapLine(line, traits.width);
    for (const piece of pieces) {
      if (!traits.color) out.push(piece);
      else if (heading) out.push(paint(piece, 'bold', true));
      else if (/^Warnings?\b/.test(section) && /^\s/.test(piece)) out.push(paint(piece, 'yellow', true));
      else out.push(colourFailedReply(piece));
    }
  }
  return out.join('\n');
}

/** A timeline row of a 4xx/5xx reply gets its code in red. */
function colourFailedReply(line: string): string {
  return line.replace(/^(\s+\d+\s+\S+\s+S→C\s+)([45]\d\d)(?=\s|$)/, (_, lead: string, code: string) => `${lead}${paint(code, 'red', true)}`);
}

const BOX = /^\s*[┌├└│╔║╚]/;

/**
 * Breaks a line longer than `width` at spaces. Continuation lines are indented to the start
 * of the line's last column (the text after its last run of two or more spaces, when that
 * starts in the left 60%), or two more than the line's own indentation.
 */
export function wrapLine(line: string, width: number): string[] {
  if ([...line].length <= width || BOX.test(line) || width < 20) return [line];
  if (/^[=─-]+$/.test(line)) return [line.slice(0, width)]; // a rule under a title: shortened, not wrapped
  const chars = [...line];
  let hang = (/^\s*/.exec(line)?.[0].length ?? 0) + 2;
  const columns = /\S {2,}(?=\S)/g;
  for (let m = columns.exec(line); m !== null; m = columns.exec(line)) {
    const start = m.index + m[0].length;
    if (start <= width * 0.6) hang = start;
    else break;
  }
  hang = Math.min(hang, Math.floor(width / 2));
  const out: string[] = [];
  let rest = chars;
  let first = true;
  while (rest.length > (first ? width : width - hang)) {
    const room = first ? width : width - hang;
    let cut = -1;
    for (let k = room; k > (first ? hang : 0); k--) {
      if (rest[k] === ' ') {
        cut = k;
        break;
      }
    }
    const take = cut > 0 ? cut : room;
    out.push(`${first ? '' : ' '.repeat(hang)}${rest.slice(0, take).join('').trimEnd()}`);
    rest = rest.slice(take);
    while (rest[0] === ' ') rest = rest.slice(1);
    first = false;
  }
  if (rest.length > 0) out.push(`${first ? '' : ' '.repeat(hang)}${rest.join('')}`);
  return out;
}
