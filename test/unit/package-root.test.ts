// src/package-root.ts from the TypeScript source (vitest): the layout, the package root and the program entries.
// The same module from the bundle is covered by test/integration/cli-bundle.test.ts, which runs bin/slipway.js.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  LAYOUT,
  PACKAGE_JSON,
  PACKAGE_ROOT,
  WEB_DIR,
  programEntry,
  resolveDependency,
} from '../../src/package-root.js';

const repo = path.resolve(import.meta.dirname, '../..');

describe('package-root from source', () => {
  it('finds the repository as the package root, with its package.json', () => {
    expect(LAYOUT).toBe('source');
    expect(PACKAGE_ROOT).toBe(repo);
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(PACKAGE_JSON).toMatchObject({ name: 'slipway', version: pkg.version });
    expect(WEB_DIR).toBe(path.join(repo, 'dist', 'web'));
  });

  it('runs the program entries from their TypeScript source through tsx, given as an absolute URL', () => {
    for (const name of ['verify-main', 'proxy-main'] as const) {
      const { file, execArgv } = programEntry(name);
      expect(file).toBe(path.join(repo, 'src', 'cli', `${name}.ts`));
      expect(existsSync(file)).toBe(true);
      expect(execArgv[0]).toBe('--import');
      expect(existsSync(fileURLToPath(execArgv[1]!))).toBe(true);
    }
  });

  it('resolves dependencies from the package root', () => {
    expect(resolveDependency('yaml')).toBe(realpathSync(path.join(repo, 'node_modules', 'yaml', 'dist', 'index.js')));
  });
});
