// Groovy syntax check (parse only): @Grab is never resolved, imports of classes that are not on the classpath are
// fine, and real syntax errors are reported at file:line:col — through the library and the built binary.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { cp, readdir } from 'node:fs/promises';
import path from 'node:path';
import { findGroovyRuntime, validateGroovyFiles, type GroovyRuntime } from '../../src/builder/compile/groovy.js';
import { ensureDist, runBin } from '../helpers/cli-bin.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const FIXTURES = path.resolve('test/fixtures/groovy');
let runtime: GroovyRuntime;

async function filesIn(dir: string): Promise<{ sourcePath: string; absPath: string }[]> {
  const out: { sourcePath: string; absPath: string }[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile() && e.name.endsWith('.groovy')) {
      const absPath = path.join(e.parentPath, e.name);
      out.push({ sourcePath: path.relative(process.cwd(), absPath), absPath });
    }
  return out.sort((a, b) => a.sourcePath.localeCompare(b.sourcePath));
}

beforeAll(async () => {
  const r = await findGroovyRuntime(process.env);
  // Java 17 and the bundled Groovy are part of the test environment (README); a missing one is a failure, not a skip.
  if ('missing' in r) throw new Error(`Groovy runtime missing: ${r.missing}`);
  runtime = r;
});

describe('Groovy syntax check', () => {
  it('accepts real-looking scripts: @Grab/@Grapes/@GrabConfig, unavailable imports, traits, closures, Spock', async () => {
    const files = [...(await filesIn(path.join(FIXTURES, 'valid'))), ...(await filesIn(path.resolve('examples')))];
    expect(files.length).toBeGreaterThanOrEqual(19);
    const r = await validateGroovyFiles(runtime, files, 120_000);
    expect(r.problems).toEqual([]);
    expect(r.ok.size).toBe(files.length);
  }, 150_000);

  it('still reports real syntax errors at file:line:col, a @Grab beside them changing nothing', async () => {
    const r = await validateGroovyFiles(runtime, await filesIn(path.join(FIXTURES, 'invalid')), 120_000);
    expect(r.problems.map((p) => [path.basename(p.file), p.line, p.column])).toEqual([
      ['BadToken.groovy', 3, 19],
      ['Unclosed.groovy', 9, 1],
    ]);
    expect(r.problems[0]!.message).toBe("Unexpected input: '+'");
    expect(r.problems.map((p) => p.message).join('\n')).not.toMatch(/NoClassDefFoundError|ivy/i);
  }, 150_000);
});

describe('slipway compile (built binary) on Groovy with @Grab', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureDist();
    dir = await makeTree({
      'slipway.config.yaml':
        'name: grab\nversion: 1.0.0\nbuild:\n  components:\n    application: { include: ["src/**"] }\n  compile:\n    groovy: { validate: always }\n',
    });
    await cp(path.join(FIXTURES, 'valid'), path.join(dir, 'src'), { recursive: true });
  }, 300_000);
  afterAll(async () => {
    await removeTree(dir);
  });

  it('passes the valid scripts, then fails with file:line:col once a broken one is added', async () => {
    const ok = runBin(['compile'], dir);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^ {2}PASS groovy: 5 Groovy files parsed by groovy-\d+\.\d+\.\d+ /m);
    await cp(path.join(FIXTURES, 'invalid/BadToken.groovy'), path.join(dir, 'src/BadToken.groovy'));
    const bad = runBin(['compile'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain("src/BadToken.groovy:3:19: Unexpected input: '+'");
    expect(bad.stdout + bad.stderr).not.toMatch(/NoClassDefFoundError|ivy/i);
  }, 150_000);
});
