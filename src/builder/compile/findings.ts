import type { CheckResult, FileEntry } from '../../fileset/types.js';
import type { FileKind, FileTask, TaskResult } from './file-task.js';
import type { BundleResult } from './bundle.js';
import type { JsOptions } from './js.js';
import { ESBUILD_VERSION } from './js.js';
import { LIGHTNINGCSS_VERSION } from './css.js';
import { LIBPG_QUERY_VERSION } from './sql.js';

interface Tally {
  files: number;
  transformed: number;
  before: number;
  after: number;
  hits: number;
  ms: number;
}

/** Per-kind counts measured while compiling (bytes before/after, cache hits, time). */
export class KindStats {
  readonly byKind = new Map<FileKind, Tally>();

  add(task: FileTask, r: TaskResult, ms: number): void {
    const t = this.byKind.get(task.kind) ?? { files: 0, transformed: 0, before: 0, after: 0, hits: 0, ms: 0 };
    t.files++;
    t.ms += ms;
    if (r.hit) t.hits++;
    if (task.transform && !r.problems.length && task.kind !== 'sql') {
      t.transformed++;
      t.before += task.entry.sourceSize ?? task.entry.size;
      t.after += r.entries[0]!.size;
    }
    this.byKind.set(task.kind, t);
  }
}

const TOOL: Record<FileKind, string> = {
  js: `esbuild ${ESBUILD_VERSION}`,
  css: `lightningcss ${LIGHTNINGCSS_VERSION}`,
  json: 'JSON.parse + whitespace strip',
  sql: `the PostgreSQL parser (libpg-query ${LIBPG_QUERY_VERSION})`,
};

const ORDER: FileKind[] = ['js', 'css', 'json', 'sql'];

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function change(before: number, after: number): string {
  if (!before) return '';
  const pct = Math.round(Math.abs(1 - after / before) * 100);
  return after <= before ? ` (${pct}% smaller)` : ` (${pct}% larger)`;
}

/** One finding per file kind that had files (fixed order), with measured figures. */
export function describeKinds(stats: KindStats): CheckResult[] {
  const out: CheckResult[] = [];
  for (const kind of ORDER) {
    const t = stats.byKind.get(kind);
    if (!t) continue;
    const cached = t.hits ? `; ${t.hits} from cache` : '';
    const ms = Math.round(t.ms);
    if (kind === 'sql') {
      out.push({
        name: 'sql',
        status: 'pass',
        reason: `${plural(t.files, 'SQL file')} parsed by ${TOOL.sql}${cached}`,
        ms,
      });
    } else if (t.transformed) {
      const what = `${plural(t.transformed, 'file')} minified by ${TOOL[kind]}`;
      out.push({
        name: kind,
        status: 'pass',
        reason: `${what}: ${t.before} → ${t.after} bytes${change(t.before, t.after)}${cached}`,
        ms,
      });
    } else {
      const flag = `build.compile.${kind}.minify is false`;
      out.push({
        name: kind,
        status: 'pass',
        reason: `${plural(t.files, 'file')} parsed by ${TOOL[kind]}, not minified (${flag})${cached}`,
        ms,
      });
    }
  }
  return out;
}

/** The finding for one bundled entry point. */
export function describeBundle(
  ep: string,
  r: BundleResult,
  folded: number,
  main: FileEntry,
  o: JsOptions,
  ms: number,
): CheckResult {
  const how = `${plural(r.inputs.length, 'module')}, esm, ${o.target}${o.minify ? ', minified' : ''}, tree shaken`;
  const drop = folded
    ? `; ${plural(folded, 'file')} folded into it ${folded === 1 ? 'is' : 'are'} not packaged separately`
    : '';
  return {
    name: 'js-bundle',
    status: 'pass',
    reason: `${ep}: bundled ${how}: ${main.sourceSize} → ${main.size} bytes${drop}${r.hit ? ' (from cache)' : ''}`,
    ms,
  };
}
