// Test helper for the packager tests: a real project tree, its config and a hand-built FileSet (STAGE's scanner is
// written in parallel; these tests must not depend on it).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { ComponentName } from '../../src/config/sections/build.js';
import { comparePaths, type FileSet } from '../../src/fileset/types.js';
import { makeTree } from '../helpers/tmp.js';

export const CONFIG = `name: demo-app
version: 1.2.0
build:
  output: out
  components:
    application:
      include: ["src/**"]
      base: src/
deploy:
  targets:
    staging:
      type: local
      path: /tmp/never-used
      health:
        url: http://127.0.0.1:9/health
`;

export const FILES: Record<string, string | Buffer> = {
  'slipway.config.yaml': CONFIG,
  'src/app.js': 'export const a = 1;\n',
  'src/web/css/site.css': 'body{margin:0}\n',
  'src/api/users.groovy':
    'users(httpMethod: "GET", groups: ["u"]) { req -> }\nusers(httpMethod: "POST", groups: ["u"]) { req -> }\n',
  'db/001.sql': 'create table t (id int);\n',
  'scripts/start.sh': '#!/bin/sh\necho start\n',
  'docs/README.md': '# Demo\n',
  'tests/smoke/ping.mjs': 'process.exit(0);\n',
};

/** Maps `<dir>/<rest>` to `<component>/<rest>` for the fixture's top-level dirs. */
const MAP: Record<string, [ComponentName, string]> = {
  src: ['application', 'src/'],
  db: ['database', ''],
  scripts: ['scripts', 'scripts/'],
  docs: ['docs', 'docs/'],
  tests: ['tests', 'tests/'],
};

export async function makeProject(
  extra: Record<string, string | Buffer> = {},
  configText = CONFIG,
): Promise<{ dir: string; config: Config }> {
  const dir = await makeTree({ ...FILES, 'slipway.config.yaml': configText, ...extra }, 'slipway-pkg-');
  const { config } = await loadConfig({ cwd: dir, env: {} });
  return { dir, config };
}

/** A FileSet for the given source paths (relative to root), built by hand. */
export async function makeFileSet(rootDir: string, sources: string[]): Promise<FileSet> {
  const files = [];
  for (const rel of sources) {
    const [component, base] = MAP[rel.split('/')[0]!]!;
    const abs = path.join(rootDir, rel);
    const st = await stat(abs);
    files.push({
      path: `${component}/${rel.slice(base.length)}`,
      sourcePath: rel,
      absPath: abs,
      size: st.size,
      mode: (st.mode & 0o111 ? 0o755 : 0o644) as 0o644 | 0o755,
      component,
    });
  }
  files.sort((a, b) => comparePaths(a.path, b.path));
  return { rootDir, files };
}

export const SOURCES = Object.keys(FILES).filter((f) => f !== 'slipway.config.yaml');
