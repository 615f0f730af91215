import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import type { CheckResult, FileEntry } from '../../fileset/types.js';
import { CompileCache } from './cache.js';
import type { SyntaxProblem } from './position.js';
import { findGroovyRuntime, validateGroovyFiles } from './groovy.js';
import { plural } from './findings.js';

export interface GroovyStepResult {
  problems: SyntaxProblem[];
  finding: CheckResult | null;
}

/** Groovy syntax validation for every .groovy file, reusing cached verdicts; at most one JVM start. */
export async function runGroovyStep(
  config: Config,
  files: FileEntry[],
  cache: CompileCache,
  env: NodeJS.ProcessEnv,
): Promise<GroovyStepResult> {
  const t0 = performance.now();
  const ms = (): number => Math.round(performance.now() - t0);
  const mode = config.build.compile.groovy.validate;
  if (!files.length) return { problems: [], finding: null };
  if (mode === 'never') {
    return {
      problems: [],
      finding: {
        name: 'groovy',
        status: 'skip',
        reason: `${plural(files.length, 'Groovy file')} not validated: build.compile.groovy.validate is never`,
        ms: 0,
      },
    };
  }
  const cp = config.build.compile.groovy.classpath;
  const classpath = cp
    ?.split(path.delimiter)
    .map((p) => path.resolve(config.configDir, p))
    .join(path.delimiter);
  const runtime = await findGroovyRuntime(env, classpath);
  if ('missing' in runtime) {
    const status = mode === 'always' ? 'fail' : 'skip';
    const tail = mode === 'always' ? 'build.compile.groovy.validate is always' : 'install Java 17+ to validate Groovy';
    return {
      problems: [],
      finding: {
        name: 'groovy',
        status,
        reason: `${plural(files.length, 'Groovy file')} not validated: ${runtime.missing}; ${tail}`,
        ms: ms(),
      },
    };
  }
  const keys = new Map<string, string>();
  const todo: FileEntry[] = [];
  for (const f of files) {
    const key = CompileCache.key({ tool: 'groovy', v: runtime.version }, f.sourcePath, await readFile(f.absPath));
    keys.set(f.sourcePath, key);
    const hit = (await cache.readText(`${key}.ok`)) !== null;
    cache.count(hit);
    if (!hit) todo.push(f);
  }
  let problems: SyntaxProblem[] = [];
  if (todo.length) {
    try {
      // Generous bound: JVM start plus a few ms per file.
      const r = await validateGroovyFiles(runtime, todo, 60_000 + 50 * todo.length);
      problems = r.problems;
      for (const file of r.ok) await cache.write(`${keys.get(file)}.ok`, JSON.stringify({ notes: [] }));
    } catch (e) {
      return { problems: [], finding: { name: 'groovy', status: 'fail', reason: (e as Error).message, ms: ms() } };
    }
  }
  const how = todo.length
    ? `parsed by ${runtime.version} (${todo.length} in one JVM run, ${files.length - todo.length} cached)`
    : `all cached (${runtime.version})`;
  const status = problems.length ? 'fail' : 'pass';
  return {
    problems,
    finding: {
      name: 'groovy',
      status,
      reason: `${plural(files.length, 'Groovy file')} ${how}${problems.length ? `; ${plural(problems.length, 'syntax error')}` : ''}`,
      ms: ms(),
    },
  };
}
