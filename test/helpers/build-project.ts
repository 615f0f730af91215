// A small project for build-pipeline tests: an application component (app/index.html) and a database component
// whose changelog the test supplies, output `out`, no lockfile check; built in-process with a fixed build time.
import { afterAll } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { build, type BuildOptions, type BuildResult } from '../../src/builder/pipeline.js';
import { makeTree, removeTree } from './tmp.js';

export const BUILD_EPOCH = 1_700_000_000;

export interface BuildProjectOptions {
  name: string;
  /** database.changelog, relative to the project. */
  changelog: string;
  /** Further `database:` settings, one YAML line each (e.g. `verify: false`). */
  database?: string[];
  /** The changelog and any other files, by path. */
  files: Record<string, string>;
}

/** The slipway.config.yaml of such a project. */
export function buildProjectConfig(opts: Omit<BuildProjectOptions, 'files'>): string {
  return [
    `name: ${opts.name}`,
    'version: 1.0.0',
    'build:',
    '  output: out',
    '  components:',
    '    application: { include: ["app/**"] }',
    '    database: { include: ["db/**"] }',
    '  checks: { lockfile: false }',
    'database:',
    `  changelog: ${opts.changelog}`,
    ...(opts.database ?? []).map((l) => `  ${l}`),
    '',
  ].join('\n');
}

const made: string[] = [];
let cleanupRegistered = false;

/** Writes the project to a temp dir (removed after the test file) and returns the dir. */
export async function makeBuildProject(opts: BuildProjectOptions): Promise<string> {
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    afterAll(async () => {
      for (const d of made.splice(0)) await removeTree(d);
    });
  }
  const dir = await makeTree(
    { 'slipway.config.yaml': buildProjectConfig(opts), 'app/index.html': '<p>hi</p>\n', ...opts.files },
    `slipway-${opts.name}-`,
  );
  made.push(dir);
  return dir;
}

/** Loads the project's config (afresh: files may have changed) and builds it at BUILD_EPOCH with an empty env. */
export async function buildProject(
  dir: string,
  opts: Omit<BuildOptions, 'config' | 'sourceDateEpoch' | 'env'> & { sourceDateEpoch?: number } = {},
): Promise<BuildResult> {
  const { config } = await loadConfig({ cwd: dir, env: {} });
  return build({ sourceDateEpoch: BUILD_EPOCH, env: {}, ...opts, config });
}
