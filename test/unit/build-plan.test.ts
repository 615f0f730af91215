// The build plan (issue 12: plan → apply for builds, as src/deploy/plan.ts is for deploys): a pure value listing
// every phase with its inputs and why a phase is skipped; build() walks it and `build --dry-run` prints it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planBuild, type BuildPlan } from '../../src/builder/plan.js';
import { resolveConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { runMain } from '../helpers/cli-main.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const where = { configFile: '/nonexistent/app/slipway.config.yaml', environment: 'prod' };
const components = { application: { include: ['src/**'] } };

describe('planBuild', () => {
  it('lists the seven phases in order, skipping database and verify without a changelog', async () => {
    const config = await resolveConfig(
      configSchema.parse({ name: 'app', version: '1.0.0', build: { components } }),
      where,
    );
    const plan = planBuild(config, { clean: false });
    expect(plan.outDir).toBe(path.resolve('/nonexistent/app/dist'));
    expect(plan.phases.map((p) => [p.phase, p.skip ?? null])).toEqual([
      ['clean', 'clean: false'],
      ['stage', null],
      ['compile', null],
      ['database', 'no database.changelog or database.psqlScripts in the config'],
      ['verify', 'no database.changelog in the config'],
      ['manifest', null],
      ['package', null],
    ]);
  });

  it('names the inputs: the changelog, the verify engine with its password masked, --out', async () => {
    const config = await resolveConfig(
      configSchema.parse({
        name: 'app',
        version: '2.0.0',
        build: { components },
        database: { changelog: 'db/master.xml', verifyUrl: 'postgres://ci:s3cret@db:5432/postgres' },
      }),
      where,
    );
    const plan = planBuild(config, { outDir: '/tmp/out' });
    const byPhase = Object.fromEntries(plan.phases.map((p) => [p.phase, p]));
    expect(byPhase.database).toMatchObject({ inputs: { changelog: 'db/master.xml' } });
    expect(byPhase.database!.skip).toBeUndefined();
    expect(JSON.stringify(byPhase.verify)).not.toContain('s3cret');
    expect(byPhase.verify!.inputs.engine).toMatch(/^scratch database on postgres:\/\/ci:/);
    expect(byPhase.package).toMatchObject({ inputs: { outDir: '/tmp/out' } });
    expect(byPhase.manifest).toMatchObject({ inputs: { version: '2.0.0', environment: 'prod' } });
  });
});

describe('slipway build --dry-run --json', () => {
  it('prints every phase with its inputs (stage, compile, manifest and package too) and writes nothing', async () => {
    const dir = await makeTree({
      'slipway.config.yaml': [
        'name: app',
        'version: 1.2.3',
        'build:',
        '  output: out',
        '  components: { application: { include: ["src/**"] }, database: { include: ["db/**"] } }',
        'database: { changelog: db/master.sql, verify: false }',
        '',
      ].join('\n'),
      'src/a.js': 'export const a = 1;\n',
      'db/master.sql': '--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n',
    });
    try {
      const r = await runMain(['build', '--dry-run', '--json', '--strict'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const { plan } = JSON.parse(r.stdout) as { plan: BuildPlan };
      expect(plan.outDir).toBe(path.join(dir, 'out'));
      expect(plan.strict).toBe(true);
      const byPhase = Object.fromEntries(plan.phases.map((p) => [p.phase, p]));
      expect(Object.keys(byPhase)).toEqual(['clean', 'stage', 'compile', 'database', 'verify', 'manifest', 'package']);
      expect(byPhase.stage).toMatchObject({ inputs: { rootDir: dir, components: ['application', 'database'] } });
      expect(byPhase.stage!.inputs.strict).toBe(true);
      expect(byPhase.compile).toMatchObject({ inputs: { sql: true, minify: { js: expect.any(Boolean) as boolean } } });
      expect(byPhase.database).toMatchObject({ inputs: { changelog: 'db/master.sql', strict: true } });
      expect(byPhase.verify!.skip).toBe('database.verify is false');
      expect(byPhase.manifest).toMatchObject({ inputs: { version: '1.2.3', environment: 'dev' } });
      expect(byPhase.package).toMatchObject({ inputs: { outDir: path.join(dir, 'out') } });
      expect(existsSync(path.join(dir, 'out'))).toBe(false);
    } finally {
      await removeTree(dir);
    }
  });
});
