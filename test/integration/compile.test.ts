import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanProject } from '../../src/fileset/scan.js';
import { compileFileSet } from '../../src/builder/compile/index.js';
import { SlipwayError } from '../../src/errors.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function makeConfig(
  rootDir: string,
  compile: Record<string, unknown> = {},
  build: Record<string, unknown> = {},
): Promise<Config> {
  const parsed = configSchema.parse({
    name: 'app',
    version: '1.0.0',
    build: {
      components: {
        application: { include: ['src/**'], base: 'src/' },
        database: { include: ['db/**'] },
        scripts: { include: ['scripts/**'] },
      },
      compile,
      ...build,
    },
    database: { properties: { schema: 'umig' } },
  });
  return resolveConfig(parsed, { configFile: path.join(rootDir, 'slipway.config.yaml'), environment: 'dev' });
}

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await makeTree(files, 'slipway-compile-');
  dirs.push(dir);
  return dir;
}

const GOOD: Record<string, string> = {
  'src/web/js/main.js': "import { used } from './lib/util.js';\nconsole.log('answer', used());\n",
  'src/web/js/lib/util.js':
    "export function used() {\n  return 6 * 7;\n}\nexport function unusedHelper() {\n  return 'TREE_SHAKEN_AWAY';\n}\n",
  'src/web/js/widget.js':
    "function greet(personName) {\n  const greeting = 'hello ' + personName;\n  return greeting;\n}\nwindow.greet = greet;\n",
  'src/web/css/app.css': '.banner {\n  color: #ff0000;\n  margin: 0px 0px 0px 0px;\n}\n',
  'src/config/settings.json': '{\n  "name": "umig",\n  "limit": 12345678901234567890,\n  "ratio": 1.0\n}\n',
  'src/groovy/Repo.groovy': 'class Repo {\n  def find(id) { [id: id, tags: [1, 2].collect { it * 2 }] }\n}\n',
  'db/changelog/001.sql':
    '--liquibase formatted sql\n--changeset dev:1\nCREATE TABLE ${schema}.release (id serial PRIMARY KEY);\n',
  'db/scripts/all.sql': '\\set ON_ERROR_STOP on\n\\i changelog/001.sql\nSELECT 1;\n',
  'scripts/deploy.js': 'console.log(  "not minified: scripts are for operators"  );\n',
};

describe('compileFileSet (real esbuild, lightningcss, libpg-query, Groovy)', () => {
  let dir = '';
  let cacheDir = '';
  beforeAll(async () => {
    dir = await tree(GOOD);
    cacheDir = path.join(dir, '.slipway-cache');
  });

  it('bundles entry points, drops folded modules, minifies the rest, writes source maps beside outputs', async () => {
    const config = await makeConfig(dir, { js: { entryPoints: ['src/web/js/main.js'] }, sourceMaps: true });
    const scan = await scanProject(config, { skipDirs: [cacheDir] });
    const r = await compileFileSet(config, scan.fileSet, { cacheDir });
    expect(r.ok).toBe(true);
    expect(r.cache).toEqual({ hits: 0, misses: 7 }); // bundle, widget, css, json, 2 sql, groovy
    expect(r.fileSet.files.map((f) => f.path)).toEqual([
      'application/config/settings.json',
      'application/groovy/Repo.groovy',
      'application/web/css/app.css',
      'application/web/css/app.css.map',
      'application/web/js/main.js',
      'application/web/js/main.js.map',
      'application/web/js/widget.js',
      'application/web/js/widget.js.map',
      'database/db/changelog/001.sql',
      'database/db/scripts/all.sql',
      'scripts/scripts/deploy.js',
    ]);
    const byPath = new Map(r.fileSet.files.map((f) => [f.path, f]));
    const read = async (p: string): Promise<string> => readFile(byPath.get(p)!.absPath, 'utf8');

    // The bundle runs, computes 42, and the unused export is gone.
    const bundle = await read('application/web/js/main.js');
    expect(bundle).not.toContain('TREE_SHAKEN_AWAY');
    expect(bundle.endsWith('//# sourceMappingURL=main.js.map\n')).toBe(true);
    const bundlePath = path.join(dir, 'run-bundle.mjs');
    await writeFile(bundlePath, bundle);
    expect(execFileSync(process.execPath, [bundlePath], { encoding: 'utf8' })).toBe('answer 42\n');
    const map = JSON.parse(await read('application/web/js/main.js.map')) as { sources: string[] };
    expect(map.sources).toEqual(['lib/util.js', 'main.js']);
    const main = byPath.get('application/web/js/main.js')!;
    expect(main.absPath.startsWith(cacheDir + path.sep)).toBe(true);
    expect(main.sourceSize).toBe(GOOD['src/web/js/main.js']!.length + GOOD['src/web/js/lib/util.js']!.length);
    expect(main.size).toBe(Buffer.byteLength(bundle));

    expect(await read('application/web/js/widget.js')).toBe(
      'function greet(e){return"hello "+e}window.greet=greet;\n//# sourceMappingURL=widget.js.map\n', // top-level name kept: it is a global
    );
    expect(await read('application/web/css/app.css')).toBe(
      '.banner{color:red;margin:0}\n/*# sourceMappingURL=app.css.map */\n',
    );
    expect(await read('application/config/settings.json')).toBe(
      '{"name":"umig","limit":12345678901234567890,"ratio":1.0}',
    );
    // Validated-only files are packed from the source, untouched.
    expect(byPath.get('database/db/changelog/001.sql')!.absPath).toBe(path.join(dir, 'db/changelog/001.sql'));
    expect(byPath.get('scripts/scripts/deploy.js')!.absPath).toBe(path.join(dir, 'scripts/deploy.js'));
    expect(byPath.get('application/web/css/app.css.map')!.sourceSize).toBe(0);

    const names = r.findings.map((f) => `${f.name}:${f.status}`);
    expect(names).toEqual(['js-bundle:pass', 'js:pass', 'css:pass', 'json:pass', 'sql:pass', 'groovy:pass']);
    expect(r.findings[0]!.reason).toBe(
      `src/web/js/main.js: bundled 2 modules, esm, es2020, minified, tree shaken: ${main.sourceSize} → ${main.size} bytes; 1 file folded into it is not packaged separately`,
    );
    expect(r.findings.find((f) => f.name === 'groovy')!.reason).toBe(
      '1 Groovy file parsed by groovy-4.0.26 (1 in one JVM run, 0 cached)',
    );
    expect(r.findings.find((f) => f.name === 'sql')!.reason).toBe(
      '2 SQL files parsed by the PostgreSQL parser (libpg-query 18.1.5)',
    );
  });

  it('reuses every cached output on a rebuild and recompiles only the changed file', async () => {
    const config = await makeConfig(dir, { js: { entryPoints: ['src/web/js/main.js'] }, sourceMaps: true });
    const scan = await scanProject(config, { skipDirs: [cacheDir] });
    const again = await compileFileSet(config, scan.fileSet, { cacheDir });
    expect(again.cache).toEqual({ hits: 7, misses: 0 });
    expect(again.findings.find((f) => f.name === 'groovy')!.reason).toBe('1 Groovy file all cached (groovy-4.0.26)');

    // A change in a module folded into the bundle invalidates the bundle only.
    await writeFile(path.join(dir, 'src/web/js/lib/util.js'), 'export function used() {\n  return 43;\n}\n');
    const changed = await compileFileSet(config, (await scanProject(config, { skipDirs: [cacheDir] })).fileSet, {
      cacheDir,
    });
    expect(changed.cache).toEqual({ hits: 6, misses: 1 });
    const bundle = changed.fileSet.files.find((f) => f.path === 'application/web/js/main.js')!;
    expect(await readFile(bundle.absPath, 'utf8')).toContain('43');

    // build.compile.cache: false never reuses.
    const noCache = await makeConfig(dir, { js: { entryPoints: ['src/web/js/main.js'] }, cache: false }, {});
    const fresh = await compileFileSet(noCache, (await scanProject(noCache, { skipDirs: [cacheDir] })).fileSet, {
      cacheDir,
      sourceMaps: false,
    });
    expect(fresh.cache.hits).toBe(0);
    expect(fresh.fileSet.files.some((f) => f.path.endsWith('.map'))).toBe(false);
    const entries = await readdir(cacheDir);
    expect(entries.filter((e) => e.includes('.tmp-'))).toEqual([]);
  });

  it('lists every syntax error of every kind as file:line:col, all at once', async () => {
    const bad = await tree({
      ...GOOD,
      'src/web/js/lib/util.js': 'export function used() {\n  return 6 *;\n}\n',
      'src/web/js/broken.js': 'const ok = 1;\nconst broken = ;\n',
      'src/web/css/broken.css': '.a { color: red }\n}.b{\n',
      'src/config/broken.json': '{\n  "a": 1,\n  "b" 2\n}\n',
      'db/broken.sql': 'SELECT 1;\n\n  SELEC 2;\n',
      'db/changelog/002.sql':
        '--liquibase formatted sql\n--changeset dev:2\nALTER TABLE ${schema}.release ADD COLUMN name text oops;\n--changeset dev:3 endDelimiter:/\nnot sql at all\n/\n',
      'src/groovy/Broken.groovy': 'class Broken {\n  def x() {\n    return 1 +\n  }\n}\n',
    });
    const config = await makeConfig(bad, { js: { entryPoints: ['src/web/js/main.js'] } });
    const scan = await scanProject(config);
    const err = (await compileFileSet(config, scan.fileSet, { cacheDir: path.join(bad, '.cache') }).catch(
      (e: unknown) => e,
    )) as SlipwayError;
    expect(err).toBeInstanceOf(SlipwayError);
    expect(err.code).toBe('E_SYNTAX');
    // JSON messages are V8's own and worded differently across Node versions; the position is ours.
    const details = err.details.map((d) => d.replace(/^(src\/config\/broken\.json:3:7: ).+$/, '$1<V8 message>'));
    expect(details).toEqual([
      'db/broken.sql:3:3: syntax error at or near "SELEC"',
      'db/changelog/002.sql:3:52: syntax error at or near "oops" (changeset dev:2)',
      'src/config/broken.json:3:7: <V8 message>',
      "src/groovy/Broken.groovy:4:3: Unexpected input: '}'",
      'src/web/css/broken.css:2:1: Invalid empty selector',
      'src/web/js/broken.js:2:16: Unexpected ";"',
      'src/web/js/lib/util.js:2:13: Unexpected ";"',
    ]);
    expect(err.message).toBe('7 syntax errors in 7 files; first: db/broken.sql:3:3: syntax error at or near "SELEC"');
    expect([err.file, err.line, err.column]).toEqual(['db/broken.sql', 3, 3]);
  });

  it('Groovy: never skips, auto skips without java, always fails without java (each with a reason)', async () => {
    const g = await tree({ 'src/A.groovy': 'class A {}\n' });
    const run = async (validate: string, env: NodeJS.ProcessEnv) => {
      const config = await makeConfig(g, { groovy: { validate } });
      return compileFileSet(config, (await scanProject(config)).fileSet, { cacheDir: path.join(g, '.c'), env });
    };
    const never = await run('never', process.env);
    expect(never.findings).toEqual([
      {
        name: 'groovy',
        status: 'skip',
        reason: '1 Groovy file not validated: build.compile.groovy.validate is never',
        ms: 0,
      },
    ]);
    const auto = await run('auto', { PATH: '/nonexistent' });
    expect(auto.ok).toBe(true);
    expect(auto.findings[0]).toMatchObject({
      name: 'groovy',
      status: 'skip',
      reason: '1 Groovy file not validated: java not found (JAVA_HOME or PATH); install Java 17+ to validate Groovy',
    });
    const always = await run('always', { PATH: '/nonexistent' });
    expect(always.ok).toBe(false);
    expect(always.findings[0]).toMatchObject({
      name: 'groovy',
      status: 'fail',
      reason:
        '1 Groovy file not validated: java not found (JAVA_HOME or PATH); build.compile.groovy.validate is always',
    });
    const noJar = await makeConfig(g, { groovy: { validate: 'auto', classpath: 'missing/groovy.jar' } });
    const r = await compileFileSet(noJar, (await scanProject(noJar)).fileSet, { cacheDir: path.join(g, '.c') });
    // A configured classpath that does not exist is a JVM failure, reported as a failed finding.
    expect(r.findings[0]).toMatchObject({ name: 'groovy', status: 'fail' });
    expect(r.findings[0]!.reason).toMatch(/^Groovy parser run failed: exit code 1; 0\/1 files answered\./);
  });

  it('rejects an entry point that is not packaged, and can turn SQL validation off', async () => {
    // top-level await is valid in a module even with target es2020 (it cannot be lowered, so it is not an error)
    const d = await tree({
      'src/a.js': 'const v = await Promise.resolve(1);\nexport { v };\n',
      'db/x.sql': 'this is not sql',
    });
    const config = await makeConfig(d, { js: { entryPoints: ['./src/missing.js'] } });
    const err = (await compileFileSet(config, (await scanProject(config)).fileSet, {
      cacheDir: path.join(d, '.c'),
    }).catch((e: unknown) => e)) as SlipwayError;
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toBe('build.compile.js.entryPoints: src/missing.js not in the packaged files');
    const off = await makeConfig(d, { sql: { validate: false }, js: { minify: false } });
    const r = await compileFileSet(off, (await scanProject(off)).fileSet, { cacheDir: path.join(d, '.c') });
    expect(r.findings).toEqual([
      {
        name: 'js',
        status: 'pass',
        reason: '1 file parsed by esbuild 0.28.2, not minified (build.compile.js.minify is false)',
        ms: expect.any(Number),
      },
      { name: 'sql', status: 'skip', reason: 'SQL files not validated: build.compile.sql.validate is false' },
    ]);
    expect(r.fileSet.files.map((f) => f.absPath)).toEqual([path.join(d, 'src/a.js'), path.join(d, 'db/x.sql')]);
  });
});
