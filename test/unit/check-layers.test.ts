// The layering lint (tools/check-layers.mjs, run by `npm run lint`) on small trees: it must fail on each kind of
// violation it promises to catch, and pass on the real repository.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTree, removeTree } from '../helpers/tmp.js';

const TOOL = path.resolve('tools/check-layers.mjs');
const TABLE = `# x

| folder | what it does | may import |
| --- | --- | --- |
| \`src/errors.ts\` | errors | — |
| \`src/config/\` | config | errors |
| \`src/db/\` | db | config |
| \`src/deploy/\` | deploy | db |
| \`src/build/\` | build | db, \`deploy/plan.ts\` |
| \`src/cli/\` | cli | everything above |
`;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function check(files: Record<string, string>) {
  const dir = await makeTree({ 'docs/architecture.md': TABLE, 'src/errors.ts': 'export const e = 1;\n', ...files });
  dirs.push(dir);
  const r = spawnSync(process.execPath, [TOOL, dir], { encoding: 'utf8' });
  return { code: r.status, lines: r.stderr.trim().split('\n').filter(Boolean) };
}

describe('tools/check-layers.mjs', () => {
  it('passes imports the table allows, directly or through an allowed layer', async () => {
    const r = await check({
      'src/config/a.ts': "import { e } from '../errors.js';\nexport const a = e;\n",
      'src/db/b.ts':
        "import { a } from '../config/a.js';\nimport { e } from '../errors.js';\nexport const b = a + e;\n",
      'src/build/c.ts': "import type { p } from '../deploy/plan.js';\nexport const c: typeof p = 1;\n",
      'src/deploy/plan.ts': "import { b } from '../db/b.js';\nexport const p = b;\n",
      'src/cli/main.ts': "export async function f() { return import('../build/c.js'); }\n",
    });
    expect(r).toEqual({ code: 0, lines: [] });
  });

  it('fails an import against the table, naming file, line and the rule; a file-only entry allows that file only', async () => {
    const r = await check({
      'src/config/a.ts': "export const a = 1;\nimport { b } from '../db/b.js';\nexport const x = b;\n",
      'src/db/b.ts': 'export const b = 1;\n',
      'src/deploy/other.ts': 'export const o = 1;\n',
      'src/build/c.ts': "import { o } from '../deploy/other.js';\nexport const c = o;\n",
    });
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      'src/build/c.ts:1: build may not import deploy ("../deploy/other.js"); see docs/architecture.md',
      'src/config/a.ts:2: config may not import db ("../db/b.js"); see docs/architecture.md',
      'check-layers: 2 problem(s)',
    ]);
  });

  it('sees string-literal dynamic imports and import type, and reports file cycles', async () => {
    const r = await check({
      'src/db/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'src/db/b.ts': "export async function g() { return import('./a.js'); }\nexport type B = 1;\n",
    });
    expect(r.code).toBe(1);
    expect(r.lines).toEqual(['import cycle: src/db/a.ts → src/db/b.ts', 'check-layers: 1 problem(s)']);
  });

  it('reports a layer cycle even when each edge is allowed by a sloppy table', async () => {
    const r = await check({
      'docs/architecture.md': TABLE.replace('| db | config |', '| db | config, deploy |'),
      'src/db/a.ts': "import { p } from '../deploy/p.js';\nexport const a = p;\n",
      'src/deploy/p.ts': "import { q } from '../db/q.js';\nexport const p = q;\n",
      'src/db/q.ts': 'export const q = 1;\n',
    });
    expect(r.code).toBe(1);
    expect(r.lines).toEqual(['layer cycle: db ⇄ deploy', 'check-layers: 1 problem(s)']);
  });

  it('passes on this repository', () => {
    const r = spawnSync(process.execPath, [TOOL, path.resolve('.')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
