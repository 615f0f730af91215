import { existsSync } from 'node:fs';
import { open, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { SlipwayError } from '../errors.js';

/** What `slipway init` found in a project directory. */
export interface LayoutPlan {
  name: string;
  version: string;
  versionFromPackageJson: boolean;
  application: string[];
  /** Globs inside the application's folders that belong elsewhere (tests, the changelog folder). */
  applicationExclude: string[];
  applicationBase: string;
  database: string[];
  changelog: string | null;
  /** psql entry scripts (database.psqlScripts), found when the project has no Liquibase changelog. */
  psqlScripts: string[];
  docs: string[];
  scripts: string[];
  tests: string[];
  smokeTests: string | null;
  clutter: string[];
}

// packages/ apps/ services/: the workspaces of a monorepo.
const APP_DIRS = ['src', 'app', 'lib', 'web', 'public', 'groovy', 'packages', 'apps', 'services'];
const DB_DIRS = ['db', 'database', 'migrations', 'liquibase', 'sql'];
// Tests that live inside the application's folders: they belong to the tests component, not the application.
const TEST_GLOBS = [
  '**/tests/**',
  '**/__tests__/**',
  '**/*Test.groovy',
  '**/*Spec.groovy',
  '**/*.test.*',
  '**/*.spec.*',
];
const CLUTTER = ['node_modules', '.git', 'logs', 'coverage', 'tmp', '.cache'];
// Never walked: dependencies, VCS data and build output of any common tool.
const SKIP_DIRS = new Set([
  ...CLUTTER,
  'dist',
  'build',
  'target',
  'out',
  '.slipway',
  'vendor',
  '.gradle',
  '.idea',
  '.venv',
]);
const MAX_FILES = 20_000;

/** Every file under `root` (posix paths, sorted), skipping dependency and output folders; bounded for huge trees. */
async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 12 || out.length >= MAX_FILES) return;
    let entries;
    try {
      entries = await readdir(path.join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(rel, depth + 1);
      } else if (e.isFile() && out.length < MAX_FILES) out.push(rel);
    }
  };
  await walk('', 0);
  return out;
}

/** `changeLogFile` (or `changelog-file`) named by a liquibase.properties, relative to the project root. */
async function changelogFromProperties(root: string, files: string[]): Promise<string | null> {
  for (const f of files.filter((x) => path.posix.basename(x) === 'liquibase.properties')) {
    const text = await readFile(path.join(root, f), 'utf8').catch(() => '');
    const m = /^\s*(?:changeLogFile|changelog-file)\s*[:=]\s*(\S.*?)\s*$/m.exec(text);
    if (!m) continue;
    // Liquibase resolves it on its search path; try the properties' folder, the root and the usual resources folder.
    const name = m[1]!.replace(/^classpath:/, '').replace(/^\/+/, '');
    for (const base of [path.posix.dirname(f), '', 'src/main/resources'])
      if (files.includes(path.posix.join(base, name))) return path.posix.join(base, name);
  }
  return null;
}

// Files whose extension a changelog can have; which of them are changelogs is read from their first bytes.
const CHANGELOG_EXT = /\.(xml|ya?ml|json|sql)$/i;
// Enough of a file to see its root element and, in a master, its includes; bounded so a tree of big XML stays cheap.
const SNIFF_BYTES = 64 * 1024;
const MAX_SNIFFED = 5_000;
// What makes a file a changelog for Liquibase: the databaseChangeLog root (XML element, YAML/JSON key), or the
// formatted-SQL marker on the first line.
const CHANGELOG_ROOT = /<(?:[\w-]+:)?databaseChangeLog[\s/>]|^\s*databaseChangeLog\s*:|"databaseChangeLog"\s*:/m;
const FORMATTED_SQL = /^\uFEFF?\s*--\s*liquibase\s+formatted\s+sql/i;
// include file="…" / file: … / "file": "…", and includeAll path="…" (read as text: a guess for a starter config, which
// the user reviews; the real resolution is the changelog reader's).
const INCLUDED_FILE = /\bfile["']?\s*[=:]\s*["']?([^"'\s<>,}]+)/g;
const INCLUDED_DIR = /\bpath["']?\s*[=:]\s*["']?([^"'\s<>,}]+)/g;

interface ChangelogFile {
  file: string;
  includes: string[];
  includedDirs: string[];
}

/** The first bytes of a file, or '' when it cannot be read. */
async function head(root: string, f: string): Promise<string> {
  let handle;
  try {
    handle = await open(path.join(root, f), 'r');
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    return buf.toString('utf8', 0, bytesRead);
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}

/** The files that are Liquibase changelogs by their content, with what each one includes. */
async function changelogFiles(root: string, files: string[]): Promise<ChangelogFile[]> {
  const out: ChangelogFile[] = [];
  for (const file of files.filter((f) => CHANGELOG_EXT.test(f)).slice(0, MAX_SNIFFED)) {
    const text = await head(root, file);
    if (file.toLowerCase().endsWith('.sql')) {
      if (FORMATTED_SQL.test(text)) out.push({ file, includes: [], includedDirs: [] });
      continue;
    }
    if (!CHANGELOG_ROOT.test(text)) continue;
    const names = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1]!.replace(/^classpath:/, ''));
    out.push({ file, includes: names(INCLUDED_FILE), includedDirs: names(INCLUDED_DIR) });
  }
  return out;
}

/**
 * The master changelog: the one liquibase.properties names, else the best root among the files that are changelogs
 * by their content (whatever their names: JHipster's config/liquibase/master.xml, db/changelog.xml): one that no other
 * changelog includes, that includes others, named master/main/root, shallowest.
 */
async function findChangelog(root: string, files: string[]): Promise<string | null> {
  const named = await changelogFromProperties(root, files);
  if (named) return named;
  const logs = await changelogFiles(root, files);
  const dirOf = (f: string) => path.posix.dirname(f);
  const trim = (p: string) => p.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  const included = (f: string) =>
    logs.some(
      (l) =>
        l.file !== f &&
        (l.includes.some((i) => {
          const rel = trim(i);
          return rel === f || path.posix.join(dirOf(l.file), rel) === f || f.endsWith(`/${rel}`);
        }) ||
          l.includedDirs.some((d) => {
            const dir = trim(d);
            return dir !== '' && (dirOf(f) === path.posix.join(dirOf(l.file), dir) || dirOf(f).endsWith(`/${dir}`));
          })),
    );
  const score = (l: ChangelogFile) =>
    (included(l.file) ? 1000 : 0) +
    (l.includes.length || l.includedDirs.length ? 0 : 100) +
    (/master|main|root/i.test(path.posix.basename(l.file)) ? 0 : 10) +
    l.file.split('/').length;
  const ranked = logs
    .map((l) => ({ file: l.file, score: score(l) }))
    .sort((a, b) => a.score - b.score || (a.file < b.file ? -1 : 1));
  return ranked[0]?.file ?? null;
}

// A psql script: a line that starts with a meta-command (`\i`, `\set`, `\copy`…), or pg_dump's header.
const PSQL_META_LINE = /^\\[a-z]+/m;
const PG_DUMP_HEADER = /^--\s*PostgreSQL database dump/m;
const PSQL_INCLUDE = /^\s*\\(i|ir|include|include_relative)\s+['"]?([^'"\s]+)/gm;

/**
 * database.psqlScripts for a project without a Liquibase changelog: the .sql files that are psql scripts by their
 * content (meta-commands or pg_dump's header) and that no other one includes. When some of them include others
 * (`\i`/`\ir`), those are the entry points and only they are named; otherwise each such script is one, up to three
 * (more is a folder of migrations, which the user knows how to order better than a guess).
 */
async function findPsqlScripts(root: string, files: string[]): Promise<string[]> {
  const scripts: { file: string; includes: string[] }[] = [];
  for (const file of files.filter((f) => f.toLowerCase().endsWith('.sql')).slice(0, MAX_SNIFFED)) {
    const text = await head(root, file);
    if (FORMATTED_SQL.test(text) || !(PSQL_META_LINE.test(text) || PG_DUMP_HEADER.test(text))) continue;
    const includes = [...text.matchAll(PSQL_INCLUDE)].map((m) =>
      m[1] === 'ir' || m[1] === 'include_relative' ? path.posix.join(path.posix.dirname(file), m[2]!) : m[2]!,
    );
    scripts.push({ file, includes });
  }
  // `\i` names a path from psql's working directory, which init cannot know: a path that ends the same way counts.
  const included = (f: string) =>
    scripts.some((s) => s.file !== f && s.includes.some((i) => i === f || f.endsWith(`/${i.replace(/^\.\//, '')}`)));
  const roots = scripts.filter((s) => !included(s.file));
  const entries = roots.filter((s) => s.includes.length > 0);
  if (entries.length) return entries.map((s) => s.file);
  return roots.length <= 3 ? roots.map((s) => s.file) : [];
}

/** The Node entry points package.json names (main, bin), when they are files outside the application folders. */
async function nodeEntries(root: string, appDirs: string[]): Promise<string[]> {
  let pkg: { main?: unknown; bin?: unknown };
  try {
    pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    return [];
  }
  const named = [pkg.main, ...(typeof pkg.bin === 'object' && pkg.bin ? Object.values(pkg.bin) : [pkg.bin])];
  const files = named
    .filter((x): x is string => typeof x === 'string')
    .map((x) => path.posix.normalize(x.replace(/^\.\//, '')))
    .filter((x) => !x.startsWith('../') && existsSync(path.join(root, x)))
    .filter((x) => !appDirs.some((d) => x.startsWith(`${d}/`)));
  for (const guess of ['server.js', 'index.js', 'app.js', 'main.js'])
    if (!files.length && existsSync(path.join(root, guess))) files.push(guess);
  return [...new Set(['package.json', ...files])];
}

/** Looks at the project tree (file names only, plus package.json and liquibase.properties) to guess components. */
export async function detectLayout(rootDir: string): Promise<LayoutPlan> {
  const has = (p: string) => existsSync(path.join(rootDir, p));
  let name =
    path
      .basename(rootDir)
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'app';
  let version = '1.0.0';
  let versionFromPackageJson = false;
  try {
    const pkg = JSON.parse(await readFile(path.join(rootDir, 'package.json'), 'utf8')) as {
      name?: unknown;
      version?: unknown;
    };
    if (typeof pkg.name === 'string') name = pkg.name.replace(/^@[^/]+\//, '');
    if (typeof pkg.version === 'string') {
      version = pkg.version;
      versionFromPackageJson = true;
    }
  } catch {
    // no package.json: the directory name and 1.0.0 are the starting point
  }
  const files = await listFiles(rootDir);
  const appDirs = APP_DIRS.filter(has);
  const changelog = await findChangelog(rootDir, files);
  const psqlScripts = changelog ? [] : await findPsqlScripts(rootDir, files);
  // The database component: the usual top-level folders, else the folder holding the changelog or each psql script.
  const dbDirs = DB_DIRS.filter(has);
  const database = dbDirs.map((d) => `${d}/**`);
  for (const file of changelog ? [changelog] : psqlScripts) {
    const dir = path.posix.dirname(file);
    if (dir === '.') database.push(file);
    else if (!dbDirs.some((d) => dir === d || dir.startsWith(`${d}/`)) && !database.includes(`${dir}/**`))
      database.push(`${dir}/**`);
  }
  // Tests inside the application's folders (src/**/tests/**, *Test.groovy, *.test.js, *.spec.ts).
  const inApp = (f: string) => appDirs.some((d) => f.startsWith(`${d}/`));
  const testMatchers = TEST_GLOBS.map((g) => ({ g, m: picomatch(g, { dot: true }) }));
  const appTestGlobs = appDirs.flatMap((d) =>
    testMatchers.filter(({ m }) => files.some((f) => f.startsWith(`${d}/`) && m(f))).map(({ g }) => `${d}/${g}`),
  );
  const topTests = has('tests') ? 'tests' : has('test') ? 'test' : null;
  const entries = appDirs.length || files.some((f) => f.endsWith('.js')) ? await nodeEntries(rootDir, appDirs) : [];
  const application = [...appDirs.map((d) => `${d}/**`), ...entries];
  return {
    name,
    version,
    versionFromPackageJson,
    application,
    applicationExclude: [...appTestGlobs, ...database.filter((d) => inApp(d))],
    applicationBase: appDirs.length === 1 && entries.length === 0 ? `${appDirs[0]}/` : '',
    database,
    changelog,
    psqlScripts,
    docs: has('docs') ? (has('docs/deployment') ? ['docs/deployment/**'] : ['docs/**']) : [],
    scripts: has('scripts') ? ['scripts/**'] : [],
    tests: [...(topTests ? [`${topTests}/**`] : []), ...appTestGlobs],
    smokeTests: has('tests/smoke') ? 'tests/smoke/**' : has('test/smoke') ? 'test/smoke/**' : null,
    clutter: CLUTTER.filter(has),
  };
}

/** The folder a component's only include glob names (`scripts/**` → `scripts/`), so files do not nest twice. */
function baseOf(include: string[]): string {
  const m = include.length === 1 ? /^([^*?[{]+)\/\*\*$/.exec(include[0]!) : null;
  return m ? `${m[1]}/` : '';
}

const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;

/** The commented starter config for a detected layout (pure). */
export function renderStarterConfig(plan: LayoutPlan, output = 'dist'): string {
  const l: string[] = [
    '# Slipway configuration (written by `slipway init`; edit freely).',
    '# Paths are relative to this file. `${VAR:default}` reads the environment.',
    `name: ${plan.name}`,
    plan.versionFromPackageJson ? `# version: taken from package.json (${plan.version})` : `version: ${plan.version}`,
    '',
    'build:',
    '  # Where packages are written.',
    `  output: ${output}`,
    '  components:',
    '    # Each component lands in its own folder of the package: application/, database/, docs/, scripts/, tests/.',
  ];
  const component = (name: string, include: string[], extra: string[] = []) => {
    if (include.length === 0) {
      l.push(`    # ${name}: nothing detected; add e.g.`, `    # ${name}:`, `    #   include: ["${name}/**"]`);
      return;
    }
    l.push(`    ${name}:`, `      include: ${list(include)}`, ...extra.map((x) => `      ${x}`));
  };
  // Some component must be written, or `components:` would be empty (null in YAML) and the config invalid.
  if (plan.application.length === 0)
    l.push("    # application: no src/, app/ or web/ folder detected; narrow this to your application's folders.");
  component('application', plan.application.length ? plan.application : ['**/*'], [
    ...(plan.applicationExclude.length
      ? [
          '# Tests and the changelog folder inside it belong to other components.',
          `exclude: ${list(plan.applicationExclude)}`,
        ]
      : []),
    ...(plan.applicationBase
      ? [
          `# Dropped from paths inside the package: ${plan.applicationBase}x → application/x`,
          `base: ${plan.applicationBase}`,
        ]
      : []),
    '# A required component whose globs match nothing fails the build.',
    'required: true',
  ]);
  // database keeps its paths: the changelog's FILENAMEs (and so Liquibase's checksums' identity) depend on them.
  component('database', plan.database);
  // The others drop their own folder, so docs/x lands at docs/x in the package, not docs/docs/x.
  const based = (include: string[]) => (baseOf(include) ? [`base: ${baseOf(include)}`] : []);
  component('docs', plan.docs, based(plan.docs));
  component('scripts', plan.scripts, based(plan.scripts));
  component('tests', plan.tests, based(plan.tests));
  l.push(
    '  # Never packaged (.gitignore is honoured too).',
    `  exclude: ${list(plan.clutter.map((c) => `${c}/**`).concat(['**/*.log']))}`,
    '  # Which tests ship: all | smoke | none.',
    `  tests: ${plan.smokeTests ? 'smoke' : 'none'}`,
    ...(plan.smokeTests ? [`  smokeTests: ${JSON.stringify(plan.smokeTests)}`] : []),
    '  # gzip level 0-9.',
    '  compressionLevel: 9',
    '',
    'database:',
    plan.changelog
      ? `  changelog: ${plan.changelog}`
      : '  # changelog: db/changelog/db.changelog-master.xml   # Liquibase master changelog',
    ...(plan.psqlScripts.length
      ? [
          '  # psql scripts, each packaged as database/plain/<name>.sql with its \\i files and \\copy data inlined',
          '  # (\\i paths are read from the project root, as psql run from there would).',
          `  psqlScripts: ${list(plan.psqlScripts)}`,
        ]
      : []),
    '  # Live database for stage checks and deploy migrations (empty: none).',
    '  url: ${DATABASE_URL:}',
    '',
    '# deploy:',
    '#   targets:',
    '#     staging:',
    '#       type: local',
    '#       path: /srv/app/staging',
    '#       # How the release is (re)started and stopped, run in the release folder (placeholders: fill them in).',
    '#       restart: systemctl restart app   # or e.g. pm2 reload app, ./scripts/restart.sh',
    '#       stop: systemctl stop app',
    '#       # The health gate after the switch: a failing check rolls back.',
    '#       health:',
    '#         url: http://127.0.0.1:8080/health',
    '',
    'environments:',
    '  dev:',
    '    build:',
    '      tests: all',
    '      compressionLevel: 1',
    '  prod:',
    '    build:',
    '      strict: true',
    '',
  );
  return l.join('\n');
}

/** Writes the starter config; refuses to overwrite an existing file unless `force`. */
export async function writeStarterConfig(opts: {
  rootDir: string;
  file?: string;
  force?: boolean;
  output?: string;
}): Promise<{ file: string; plan: LayoutPlan }> {
  const file = path.resolve(opts.rootDir, opts.file ?? 'slipway.config.yaml');
  if (existsSync(file) && !opts.force) {
    throw new SlipwayError('E_USAGE', `${file} already exists`, { file, hint: 'Pass --force to overwrite it.' });
  }
  const plan = await detectLayout(opts.rootDir);
  try {
    await writeFile(file, renderStarterConfig(plan, opts.output));
  } catch (cause) {
    throw new SlipwayError('E_IO', `cannot write ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      file,
      cause,
    });
  }
  await ignoreSlipwayState(opts.rootDir);
  return { file, plan };
}

/** Adds `.slipway/` (deploy state, users, journal of local targets) to the project's .gitignore unless it is there. */
async function ignoreSlipwayState(rootDir: string): Promise<void> {
  const file = path.join(rootDir, '.gitignore');
  const text = await readFile(file, 'utf8').catch(() => '');
  if (/^\/?\.slipway\/?\s*$/m.test(text)) return;
  const sep = text && !text.endsWith('\n') ? '\n' : '';
  try {
    await writeFile(file, `${text}${sep}.slipway/\n`);
  } catch (cause) {
    throw new SlipwayError('E_IO', `cannot write ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      file,
      cause,
    });
  }
}
