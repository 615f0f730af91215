/**
 * Prometheus text exposition format (version 0.0.4) reader, plus PromQL-style selectors to pick samples.
 *
 * Hand-written on purpose: prom-client (installed) only writes the format, and the npm readers found
 * (parse-prometheus-text-format 1.1.1, exposition 1.2.0, prom2javascript 0.2.0) are single-maintainer packages
 * without recent releases or TypeScript types that return values as strings in a prom2json shape; the grammar we
 * need (comments, HELP/TYPE, samples with escaped label values, special floats, optional timestamp) is ~100 lines.
 * Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
import { SlipwayError } from '../errors.js';

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface PromExposition {
  samples: PromSample[];
  /** From `# TYPE` lines, by metric family name (a histogram's samples are name_bucket/_sum/_count). */
  types: Record<string, PromType>;
  help: Record<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Parses a scrape; throws SlipwayError E_HEALTH naming line:column on malformed input. */
export function parsePrometheusText(text: string, source = 'metrics'): PromExposition {
  const out: PromExposition = { samples: [], types: {}, help: {} };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    const fail = (col: number, what: string): never => {
      throw new SlipwayError('E_HEALTH', `${source}:${i + 1}:${col}: ${what}`, {
        file: source,
        line: i + 1,
        column: col,
        details: [line.slice(0, 200)],
        hint: 'The metrics URL must serve the Prometheus text format (Content-Type text/plain; version=0.0.4).',
      });
    };
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(trimmed);
      if (!m) continue; // any other comment is allowed and ignored
      const [, kind, name = '', rest = ''] = m;
      if (kind === 'TYPE') {
        if (!TYPES.has(rest.trim())) fail(line.indexOf(rest) + 1, `unknown metric type "${rest.trim()}"`);
        out.types[name] = rest.trim() as PromType;
      } else {
        out.help[name] = rest.replace(/\\([n\\])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      }
      continue;
    }
    out.samples.push(parseSampleLine(line, fail));
  }
  return out;
}

function parseSampleLine(line: string, fail: (col: number, what: string) => never): PromSample {
  let pos = line.length - line.trimStart().length;
  const name = NAME.exec(line.slice(pos))?.[0];
  if (!name) fail(pos + 1, 'expected a metric name');
  pos += name!.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      pos = skipSpaces(line, pos);
      if (line[pos] === '}') break;
      const label = LABEL.exec(line.slice(pos))?.[0];
      if (!label) fail(pos + 1, 'expected a label name or "}"');
      pos = skipSpaces(line, pos + label!.length);
      if (line[pos] !== '=') fail(pos + 1, `expected "=" after label ${label}`);
      pos = skipSpaces(line, pos + 1);
      if (line[pos] !== '"') fail(pos + 1, `expected '"' to open the value of label ${label}`);
      let value = '';
      for (pos++; line[pos] !== '"'; pos++) {
        if (pos >= line.length) fail(pos + 1, `unterminated value of label ${label}`);
        if (line[pos] === '\\') {
          pos++;
          const c = line[pos];
          value += c === 'n' ? '\n' : c === '\\' || c === '"' ? c : `\\${c ?? ''}`;
        } else value += line[pos];
      }
      labels[label!] = value;
      pos = skipSpaces(line, pos + 1);
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') fail(pos + 1, 'expected "," or "}" after a label');
    }
    pos++;
  }
  const fields = line
    .slice(pos)
    .trim()
    .split(/[ \t]+/);
  if (pos < line.length && !/[ \t]/.test(line[pos] ?? '')) fail(pos + 1, 'expected a space before the value');
  const value = parseFloatValue(fields[0] ?? '');
  if (value === undefined) fail(skipSpaces(line, pos) + 1, `"${fields[0] ?? ''}" is not a number`);
  const sample: PromSample = { name: name!, labels, value: value! };
  if (fields.length > 2) fail(line.length, 'unexpected text after the timestamp');
  if (fields[1] !== undefined) {
    if (!/^-?\d+$/.test(fields[1])) fail(line.lastIndexOf(fields[1]) + 1, `"${fields[1]}" is not a timestamp in ms`);
    sample.timestampMs = Number(fields[1]);
  }
  return sample;
}

function skipSpaces(line: string, pos: number): number {
  while (line[pos] === ' ' || line[pos] === '\t') pos++;
  return pos;
}

/** Go ParseFloat's spellings that Number() does not take: NaN, ±Inf. */
function parseFloatValue(s: string): number | undefined {
  const lower = s.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}
