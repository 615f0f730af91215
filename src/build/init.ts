import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';

/** What `slipway init` found in a project directory. */
export interface LayoutPlan {
  name: string;
  version: string;
  versionFromPackageJson: boolean;
  application: string[];
  applicationBase: string;
  database: string[];
  changelog: string | null;
  docs: string[];
  scripts: string[];
  tests: string[];
  smokeTests: string | null;
  clutter: string[];
}

const APP_DIRS = ['src', 'app', 'lib', 'web', 'public', 'groovy'];
const DB_DIRS = ['db', 'database', 'migrations', 'liquibase', 'sql'];
const CHANGELOG = /^(db\.)?changelog(-master)?\.(xml|ya?ml|json|sql)$|^db\.changelog-master\.(xml|ya?ml|json|sql)$/;
const CLUTTER = ['node_modules', '.git', 'logs', 'coverage', 'tmp', '.cache'];

async function findChangelog(root: string, dir: string, depth = 0): Promise<string | null> {
  if (depth > 3) return null;
  let entries;
  try {
    entries = await readdir(path.join(root, dir), { withFileTypes: true });
  } catch {
    return null;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) if (e.isFile() && CHANGELOG.test(e.name)) return path.posix.join(dir, e.name);
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const found = await findChangelog(root, path.posix.join(dir, e.name), depth + 1);
    if (found) return found;
  }
  return null;
}

/** Looks at the top of `rootDir` (and package.json) to guess components; reads no file contents beyond that. */
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
  const appDirs = APP_DIRS.filter(has);
  const dbDirs = DB_DIRS.filter(has);
  let changelog: string | null = null;
  for (const d of dbDirs) changelog ??= await findChangelog(rootDir, d);
  return {
    name,
    version,
    versionFromPackageJson,
    application: appDirs.map((d) => `${d}/**`),
    applicationBase: appDirs.length === 1 ? `${appDirs[0]}/` : '',
    database: dbDirs.map((d) => `${d}/**`),
    changelog,
    docs: has('docs') ? (has('docs/deployment') ? ['docs/deployment/**'] : ['docs/**']) : [],
    scripts: has('scripts') ? ['scripts/**'] : [],
    tests: has('tests') ? ['tests/**'] : has('test') ? ['test/**'] : [],
    smokeTests: has('tests/smoke') ? 'tests/smoke/**' : has('test/smoke') ? 'test/smoke/**' : null,
    clutter: CLUTTER.filter(has),
  };
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
    ...(plan.applicationBase
      ? [
          `# Dropped from paths inside the package: ${plan.applicationBase}x → application/x`,
          `base: ${plan.applicationBase}`,
        ]
      : []),
    '# A required component whose globs match nothing fails the build.',
    'required: true',
  ]);
  component('database', plan.database);
  component('docs', plan.docs);
  component('scripts', plan.scripts);
  component('tests', plan.tests);
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
    '  # Live database for stage checks and deploy migrations (empty: none).',
    '  url: ${DATABASE_URL:}',
    '',
    '# deploy:',
    '#   targets:',
    '#     staging:',
    '#       type: local',
    '#       path: /srv/app/staging',
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
  return { file, plan };
}
