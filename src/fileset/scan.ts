import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { ComponentName } from '../config/sections/build.js';
import { SlipwayError } from '../errors.js';
import type { ProgressListener } from '../progress.js';
import { comparePaths, type FileEntry, type FileSet } from './types.js';
import { assignComponent, planComponents, type ComponentPlan } from './components.js';
import { categorizeFile, InventoryCounter, type SizeCategory } from './inventory.js';
import { walkTree } from './walk.js';

export type { SizeCategory } from './inventory.js';

export interface ScanResult {
  fileSet: FileSet;
  inventory: { totalBytes: number; totalFiles: number; categories: SizeCategory[] };
  warnings: string[];
}

export interface ScanOptions {
  onProgress?: ProgressListener;
  /** Extra absolute directories never entered (e.g. the compile cache); the build output dir is always skipped. */
  skipDirs?: string[];
}

const PROGRESS_EVERY = 1000;

function relInside(rootDir: string, abs: string): string | null {
  const rel = path.relative(rootDir, abs);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}

/**
 * Walks config.rootDir once: assigns packaged files to components (gitignore, global and component globs, test
 * selection) and measures the whole tree by category. Never reads file contents.
 */
export async function scanProject(config: Config, opts: ScanOptions = {}): Promise<ScanResult> {
  if (Object.keys(config.build.components).length === 0) {
    // A config without a build section is a deploy-only config: fine for deploy, nothing to package.
    throw new SlipwayError('E_CONFIG', 'nothing to build: the config names no build.components', {
      ...(config.configFile ? { file: config.configFile } : {}),
      field: 'build.components',
      hint: 'Add build.components (e.g. application: { include: ["src/**"] }); `slipway init` writes a starter config.',
    });
  }
  const plan = planComponents(config.build);
  const inventory = new InventoryCounter();
  const files: FileEntry[] = [];
  const warnings: string[] = [];
  const unreadable: string[] = [];
  const skipDirs = new Set<string>();
  // Slipway's own output is not part of the project (and would make every build larger than the last).
  for (const abs of [path.resolve(config.configDir, config.build.output), ...(opts.skipDirs ?? [])]) {
    const rel = relInside(config.rootDir, abs);
    if (!rel) continue;
    skipDirs.add(rel);
    const claimed = plan.rules.filter((r) => r.globs.include.some((g) => g === rel || g.startsWith(`${rel}/`)));
    for (const r of claimed) {
      warnings.push(
        `build.components.${r.name}.include reaches into ${rel}/, which Slipway never scans (build output or compile cache)`,
      );
    }
  }
  let seen = 0;
  opts.onProgress?.({ phase: 'stage', step: 'scanning', done: 0 });
  await walkTree({
    rootDir: config.rootDir,
    gitignore: config.build.gitignore,
    skipDirs,
    onFile: (f) => {
      let component: ComponentName | null = null;
      if (!f.ignored) {
        const a = assignComponent(plan, f.rel);
        if (a.component) {
          component = a.component;
          files.push({
            path: a.path,
            sourcePath: f.rel,
            absPath: f.abs,
            size: f.size,
            sourceSize: f.size,
            mode: f.mode & 0o111 ? 0o755 : 0o644,
            component,
          });
        }
      }
      inventory.add(categorizeFile(f.rel, component), f.size);
      if (++seen % PROGRESS_EVERY === 0) opts.onProgress?.({ phase: 'stage', step: 'scanning', done: seen });
    },
    onProblem: (rel, ignored, message) => {
      const isDir = rel.endsWith('/');
      const packaged = !ignored && (isDir || assignComponent(plan, rel).component !== null);
      if (packaged) unreadable.push(`${rel}: ${message}`);
      else warnings.push(`${rel}: ${message} (not packaged; skipped)`);
    },
    onWarning: (m) => warnings.push(m),
  });
  opts.onProgress?.({ phase: 'stage', step: 'scanning', done: seen, total: seen });

  checkReadable(files, unreadable);
  if (unreadable.length) {
    unreadable.sort(comparePaths);
    throw new SlipwayError('E_IO', `cannot read ${unreadable.length} file(s) the package needs: ${unreadable[0]}`, {
      file: unreadable[0]!.split(': ')[0],
      details: unreadable,
      hint: 'Fix the permissions or links, or exclude the paths (build.exclude or .gitignore).',
    });
  }
  sortByPath(files);
  checkDuplicates(files);
  checkRequired(plan, files);
  return { fileSet: { rootDir: config.rootDir, files }, inventory: inventory.result(), warnings };
}

function checkReadable(files: FileEntry[], unreadable: string[]): void {
  for (const f of files) {
    try {
      accessSync(f.absPath, constants.R_OK); // sync: see walk.ts on the cost of 100k promise round trips
    } catch (e) {
      unreadable.push(`${f.sourcePath}: not readable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
}

/**
 * Byte order without a Buffer per comparison: UTF-16 order equals UTF-8 byte order unless a string holds
 * surrogates (U+D800 and up), so one pass decides whether the cheap comparison is exact for this set.
 */
function sortByPath(files: FileEntry[]): void {
  const simple = files.every((f) => !/[\ud800-\uffff]/.test(f.path));
  files.sort(
    simple ? (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : (a, b) => comparePaths(a.path, b.path),
  );
}

function checkDuplicates(sorted: FileEntry[]): void {
  const clashes: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (a.path === b.path) clashes.push(`${a.path}: from ${a.sourcePath} and ${b.sourcePath}`);
  }
  if (clashes.length) {
    throw new SlipwayError('E_SCAN', `${clashes.length} package path(s) would be written twice`, {
      details: clashes,
      hint: 'Two sources map to the same package path after the component base is removed; adjust base or globs.',
    });
  }
}

function checkRequired(plan: ComponentPlan, files: FileEntry[]): void {
  const found = new Set(files.map((f) => f.component));
  const missing = plan.rules.filter(
    (r) => r.required && !found.has(r.name) && !(r.name === 'tests' && plan.tests === 'none'),
  );
  if (!missing.length) return;
  const details = missing.map((r) => {
    const ex = r.globs.exclude.length ? `, exclude ${JSON.stringify(r.globs.exclude)}` : '';
    const smoke = r.name === 'tests' && plan.tests === 'smoke' ? `, smokeTests ${JSON.stringify(plan.smokeGlob)}` : '';
    return `build.components.${r.name}: include ${JSON.stringify(r.globs.include)}${ex}${smoke} matched no files`;
  });
  throw new SlipwayError(
    'E_SCAN',
    `required component${missing.length > 1 ? 's' : ''} ${missing.map((r) => r.name).join(', ')} matched no files`,
    {
      field: `build.components.${missing[0]!.name}.include`,
      details,
      hint: 'Globs are relative to the project root; check them, or set `required: false` for the component.',
    },
  );
}
