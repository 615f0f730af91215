import { readFile } from 'node:fs/promises';
import type { FileEntry } from '../../fileset/types.js';
import { CompileCache } from './cache.js';
import type { SyntaxProblem } from './position.js';
import { ESBUILD_VERSION, transformJs } from './js.js';
import { LIGHTNINGCSS_VERSION, transformCss } from './css.js';
import { minifyJson, validateJson } from './json.js';
import { LIBPG_QUERY_VERSION, validateSql } from './sql.js';

export type FileKind = 'js' | 'css' | 'json' | 'sql';

/** One file to compile: `transform` replaces its bytes (minify); otherwise it is only validated. */
export interface FileTask {
  entry: FileEntry;
  kind: FileKind;
  transform: boolean;
}

export interface TaskSettings {
  target: string;
  sourceMaps: boolean;
  properties: Record<string, string>;
  /** Formatted SQL file → lines of the changesets Liquibase would not run, with why (SkippedSql.changeSets). */
  skippedChangeSets?: Record<string, Record<number, string>>;
}

export interface TaskResult {
  entries: FileEntry[];
  problems: SyntaxProblem[];
  notes: string[];
  hit: boolean;
}

interface ToolOutput {
  code?: string | Buffer;
  map?: string;
  problems: SyntaxProblem[];
  notes?: string[];
}

/** The tool identity and options that, with the input bytes, determine the output (the cache recipe). */
function recipeOf(task: FileTask, s: TaskSettings): Record<string, unknown> {
  const maps = task.transform && s.sourceMaps;
  switch (task.kind) {
    case 'js':
      return { tool: 'esbuild', v: ESBUILD_VERSION, transform: task.transform, target: s.target, maps };
    case 'css':
      return { tool: 'lightningcss', v: LIGHTNINGCSS_VERSION, transform: task.transform, maps };
    case 'json':
      return { tool: 'json', v: 1, transform: task.transform };
    case 'sql':
      return {
        tool: 'libpg-query',
        v: LIBPG_QUERY_VERSION,
        properties: s.properties,
        skipped: s.skippedChangeSets?.[task.entry.sourcePath] ?? null,
      };
  }
}

async function runTool(task: FileTask, bytes: Buffer, s: TaskSettings): Promise<ToolOutput> {
  const src = task.entry.sourcePath;
  const maps = task.transform && s.sourceMaps;
  switch (task.kind) {
    case 'js':
      return transformJs(bytes.toString('utf8'), src, { minify: task.transform, target: s.target, sourceMaps: maps });
    case 'css':
      return transformCss(bytes, src, { minify: task.transform, sourceMaps: maps });
    case 'json': {
      const text = bytes.toString('utf8');
      const problems = validateJson(text, src);
      return problems.length || !task.transform ? { problems } : { code: minifyJson(text), problems };
    }
    case 'sql':
      return validateSql(bytes.toString('utf8'), src, s.properties, s.skippedChangeSets?.[src]);
  }
}

/** The bytes change, so a digest of the source must not follow the entry. */
export function withoutHash(entry: FileEntry): FileEntry {
  const { sha256: _stale, ...rest } = entry;
  return rest;
}

export function mapEntry(entry: FileEntry, absPath: string, size: number): FileEntry {
  return {
    path: `${entry.path}.map`,
    sourcePath: `${entry.sourcePath}.map`,
    absPath,
    size,
    sourceSize: 0,
    mode: 0o644,
    component: entry.component,
  };
}

/** Compiles or validates one file through the content-addressed cache. */
export async function runFileTask(task: FileTask, s: TaskSettings, cache: CompileCache): Promise<TaskResult> {
  const { entry } = task;
  const bytes = await readFile(entry.absPath);
  const key = CompileCache.key(recipeOf(task, s), entry.sourcePath, bytes);
  const maps = task.transform && s.sourceMaps && task.kind !== 'json' && task.kind !== 'sql';
  const sourceSize = entry.sourceSize ?? entry.size;

  if (!task.transform || task.kind === 'sql') {
    const verdict = await cache.readText(`${key}.ok`);
    if (verdict !== null) {
      cache.count(true);
      return { entries: [entry], problems: [], notes: (JSON.parse(verdict) as { notes: string[] }).notes, hit: true };
    }
    cache.count(false);
    const out = await runTool(task, bytes, s);
    if (!out.problems.length) await cache.write(`${key}.ok`, JSON.stringify({ notes: out.notes ?? [] }));
    return { entries: [entry], problems: out.problems, notes: out.notes ?? [], hit: false };
  }

  const size = await cache.sizeOf(key);
  const mapSize = maps ? await cache.sizeOf(`${key}.map`) : null;
  if (size !== null && (!maps || mapSize !== null)) {
    cache.count(true);
    const out: FileEntry = { ...withoutHash(entry), absPath: cache.pathOf(key), size, sourceSize };
    return {
      entries: maps ? [out, mapEntry(entry, cache.pathOf(`${key}.map`), mapSize!)] : [out],
      problems: [],
      notes: [],
      hit: true,
    };
  }
  cache.count(false);
  const out = await runTool(task, bytes, s);
  if (out.problems.length || out.code === undefined)
    return { entries: [entry], problems: out.problems, notes: [], hit: false };
  const code = typeof out.code === 'string' ? Buffer.from(out.code) : out.code;
  const absPath = await cache.write(key, code);
  const compiled: FileEntry = { ...withoutHash(entry), absPath, size: code.length, sourceSize };
  const entries = [compiled];
  if (maps && out.map !== undefined) {
    const mapPath = await cache.write(`${key}.map`, out.map);
    entries.push(mapEntry(entry, mapPath, Buffer.byteLength(out.map)));
  }
  return { entries, problems: [], notes: [], hit: false };
}
