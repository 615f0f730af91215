import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { BuildManifest, Coverage, Measured } from './schema.js';

type Quality = BuildManifest['quality'];
const absent = <T>(reason: string): Measured<T> => ({ value: null, reason, source: null });
const round = (n: number) => Math.round(n * 100) / 100;
const pct = (covered: number, total: number) => (total > 0 ? round((covered / total) * 100) : null);

/** istanbul coverage-summary.json → percentages of `total`. */
export function parseIstanbulSummary(text: string): Coverage {
  const total = (JSON.parse(text) as { total?: Record<string, { pct?: unknown }> }).total;
  if (!total) throw new Error('no "total" object (is this an istanbul coverage-summary.json?)');
  const get = (k: string) => (typeof total[k]?.pct === 'number' ? (total[k].pct as number) : null);
  return { lines: get('lines'), statements: get('statements'), functions: get('functions'), branches: get('branches') };
}

/** lcov.info → line/function/branch percentages summed over every record (LF/LH, FNF/FNH, BRF/BRH). */
export function parseLcov(text: string): Coverage {
  const sums: Record<string, number> = { LF: 0, LH: 0, FNF: 0, FNH: 0, BRF: 0, BRH: 0 };
  let records = 0;
  for (const line of text.split(/\r?\n/)) {
    const m = /^(LF|LH|FNF|FNH|BRF|BRH):(\d+)$/.exec(line);
    if (m) sums[m[1]!]! += Number(m[2]);
    if (line === 'end_of_record') records++;
  }
  if (records === 0) throw new Error('no end_of_record (is this an lcov.info?)');
  return {
    lines: pct(sums.LH!, sums.LF!),
    statements: null,
    functions: pct(sums.FNH!, sums.FNF!),
    branches: pct(sums.BRH!, sums.BRF!),
  };
}

/** JaCoCo XML → the report-level counters (the ones after the last </package>). */
export function parseJacoco(text: string): Coverage {
  if (!/<report\b/.test(text)) throw new Error('no <report> element (is this a JaCoCo XML report?)');
  const tail = text.slice(text.lastIndexOf('</package>') + 1);
  const counter = (type: string) => {
    const m = new RegExp(`<counter\\s+type="${type}"\\s+missed="(\\d+)"\\s+covered="(\\d+)"`).exec(tail);
    return m ? pct(Number(m[2]), Number(m[1]) + Number(m[2])) : null;
  };
  return {
    lines: counter('LINE'),
    statements: counter('INSTRUCTION'),
    functions: counter('METHOD'),
    branches: counter('BRANCH'),
  };
}

/** `npm audit --json` (npm 7+) → vulnerability counts by severity. */
export function parseNpmAudit(text: string): NonNullable<Quality['securityScan']['value']> {
  const v = (JSON.parse(text) as { metadata?: { vulnerabilities?: Record<string, unknown> } }).metadata
    ?.vulnerabilities;
  if (!v) throw new Error('no metadata.vulnerabilities (is this `npm audit --json` output from npm 7 or later?)');
  const n = (k: string) => (typeof v[k] === 'number' ? (v[k] as number) : 0);
  return {
    critical: n('critical'),
    high: n('high'),
    moderate: n('moderate'),
    low: n('low'),
    info: n('info'),
    total: n('total'),
  };
}

async function readReport<T>(
  config: Config,
  rel: string | undefined,
  what: string,
  parse: (text: string) => T,
): Promise<Measured<T>> {
  if (!rel) return absent(`no ${what} report configured (build.quality)`);
  const abs = path.resolve(config.configDir, rel);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    return absent(`cannot read ${rel}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return { value: parse(text), reason: null, source: rel };
  } catch (e) {
    return absent(`cannot parse ${rel}: ${(e as Error).message}`);
  }
}

/** Reads every report config.build.quality points at; anything not configured or unreadable is null + reason. */
export async function readQuality(config: Config): Promise<Quality> {
  const q = config.build.quality;
  const coverage = (text: string) => (text.includes('end_of_record') ? parseLcov(text) : parseIstanbulSummary(text));
  return {
    testCoverage: {
      javascript: await readReport(config, q.coverage, 'JavaScript coverage', coverage),
      groovy: await readReport(config, q.jacoco, 'JaCoCo coverage', parseJacoco),
    },
    securityScan: await readReport(config, q.audit, 'npm audit', parseNpmAudit),
    performance: await readReport(config, q.bench, 'benchmark', (text) => {
      const v = JSON.parse(text) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v))
        throw new Error('expected a JSON object of benchmark results');
      return v as Record<string, unknown>;
    }),
  };
}
