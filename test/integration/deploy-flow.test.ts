import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, readlink, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploy, rollback, listReleases, readHistory, pinRelease } from '../../src/deploy/index.js';
import { SlipwayError } from '../../src/errors.js';
import { watchConfigSchema } from '../../src/config/sections/watch.js';
import type { Config } from '../../src/config/schema.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { appTarget, makeAppPackage, STOP_SCRIPT } from '../fixtures/deploy/app.js';
import { failureOf } from '../helpers/failure.js';
import { reservedPort } from '../helpers/ports.js';

const roots: string[] = [];
async function setup(target: Record<string, unknown> = {}): Promise<{ dir: string; root: string; config: Config }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-flow-'));
  roots.push(dir);
  const config = await makeDeployConfig(dir, target);
  return { dir, root: path.join(dir, 'target'), config };
}
const currentOf = async (root: string) => path.basename(await readlink(path.join(root, 'current')));
const get = async (url: string) => (await fetch(url)).text();

afterAll(async () => {
  for (const dir of roots) {
    try {
      execFileSync('sh', [STOP_SCRIPT], { env: { ...process.env, SLIPWAY_TARGET_ROOT: path.join(dir, 'target') } });
    } catch {
      /* no app */
    }
    await rm(dir, { recursive: true, force: true });
  }
});

describe('deploy with a real HTTP app behind the health gate', () => {
  let port: number;
  let env: Awaited<ReturnType<typeof setup>>;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    port = await reservedPort();
    env = await setup(appTarget(port, { shared: ['application/uploads'], keep: 10 }));
  });

  it('deploys v1: current switches, the app answers HEALTHY and serves v1', async () => {
    const pkg = await makeAppPackage('1.0.0');
    const r = await deploy({ config: env.config, packagePath: pkg.path, target: 'prod' });
    ids.v1 = r.releaseId;
    expect(r.ok).toBe(true);
    expect(r.releaseId).toMatch(new RegExp(`^\\d{8}T\\d{6}Z-${pkg.sha256.slice(0, 12)}$`));
    expect(await currentOf(env.root)).toBe(r.releaseId);
    expect(await get(`http://127.0.0.1:${port}/`)).toBe('version 1.0.0\n');
    // shared path: a symlink into shared/, so uploads survive releases
    expect(await readlink(path.join(env.root, 'releases', r.releaseId, 'application/uploads'))).toBe(
      '../../../shared/application/uploads',
    );
    await writeFile(path.join(env.root, 'shared/application/uploads/u.txt'), 'kept');
  });

  it('an UNHEALTHY release is rolled back automatically: v1 is live again, exit reason says why, operators are notified', async () => {
    const pkg = await makeAppPackage('1.1.0', 'UNHEALTHY');
    const marker = path.join(env.dir, 'auto-notified.txt');
    const t = env.config.deploy.targets.prod!;
    const cfg = {
      ...env.config,
      deploy: {
        targets: {
          prod: { ...t, notify: { command: `echo "$SLIPWAY_EVENT $SLIPWAY_TO_RELEASE $SLIPWAY_REASON" > ${marker}` } },
        },
      },
    } as Config;
    const e = await failureOf(deploy({ config: cfg, packagePath: pkg.path, target: 'prod' }));
    expect((await readFile(marker, 'utf8')).trim()).toMatch(
      new RegExp(`^deploy-failed ${ids.v1} release \\S+ is not healthy: UNHEALTHY.*rolled back automatically`),
    );
    expect(e.code).toBe('E_HEALTH');
    expect(e.message).toMatch(/not healthy: UNHEALTHY/);
    expect(e.details.join('\n')).toMatch(/rolled back automatically: current is .* again/);
    expect(await currentOf(env.root)).toBe(ids.v1);
    expect(await get(`http://127.0.0.1:${port}/`)).toBe('version 1.0.0\n');
    const rel = (await listReleases(env.root)).find((r) => r.version === '1.1.0')!;
    expect(rel.result).toBe('failed');
    expect(rel.reason).toMatch(/was live, rolled back automatically/);
    ids.bad = rel.id;
  });

  it('a failing smoke test rolls back too', async () => {
    const pkg = await makeAppPackage('1.2.0', 'HEALTHY', {
      'tests/smoke/01-home.sh': 'curl -fsS "$SLIPWAY_BASE_URL/" | grep -q "version 9.9.9"\n',
    });
    const e = await failureOf(deploy({ config: env.config, packagePath: pkg.path, target: 'prod' }));
    expect(e.code).toBe('E_DEPLOY');
    expect(e.message).toMatch(/smoke test 01-home.sh exited with 1/);
    expect(await currentOf(env.root)).toBe(ids.v1);
  });

  it('a passing smoke test (node) lets v2 go live; files in shared/ survive', async () => {
    const smoke = `const r = await fetch(process.env.SLIPWAY_BASE_URL + '/'); if (!(await r.text()).includes('2.0.0')) process.exit(1);\n`;
    const pkg = await makeAppPackage('2.0.0', 'HEALTHY', { 'tests/smoke/home.mjs': smoke });
    const r = await deploy({ config: env.config, packagePath: pkg.path, target: 'prod' });
    ids.v2 = r.releaseId;
    expect(await get(`http://127.0.0.1:${port}/`)).toBe('version 2.0.0\n');
    expect(await readFile(path.join(env.root, 'current/application/uploads/u.txt'), 'utf8')).toBe('kept');
  });

  it('rollback picks the previous SUCCESSFUL release from the journal (skips the failed ones), restarts and validates', async () => {
    const r = await rollback({ config: env.config, target: 'prod' });
    expect(r).toMatchObject({ ok: true, from: ids.v2, to: ids.v1 });
    expect(await get(`http://127.0.0.1:${port}/`)).toBe('version 1.0.0\n');
    expect(r.ms).toBeLessThan(1000 + 5000); // includes the app's own start-up; the bench measures the 1 s target
  });

  it('refuses to roll back to a release that never completed a deploy', async () => {
    const e = await failureOf(rollback({ config: env.config, target: 'prod', to: ids.bad }));
    expect(e.code).toBe('E_ROLLBACK');
    expect(e.message).toMatch(
      /^release \S+ never completed a deploy \(failed: release \S+ is not healthy: UNHEALTHY .*\(was live, rolled back automatically\)\); refusing to make it live$/,
    );
  });

  it('rollback --to a good release works; history and releases tell the story', async () => {
    const r = await rollback({ config: env.config, target: 'prod', to: ids.v2 });
    expect(r.to).toBe(ids.v2);
    const releases = await listReleases(env.root);
    expect(releases.map((x) => [x.version, x.result, x.current])).toEqual([
      ['2.0.0', 'success', true],
      ['1.2.0', 'failed', false],
      ['1.1.0', 'failed', false],
      ['1.0.0', 'rolled-back', false],
    ]);
    const history = await readHistory(env.root);
    expect(history.filter((h) => h.step === 'run' && h.status !== 'begin').map((h) => `${h.kind}:${h.status}`)).toEqual(
      ['deploy:ok', 'deploy:failed', 'deploy:failed', 'deploy:ok', 'rollback:ok', 'rollback:ok'],
    );
    // A rollback validates like a deploy: health gate, then the release's own smoke tests (v2 has one).
    expect(history.filter((h) => h.kind === 'rollback' && h.step === 'smoke' && h.status === 'ok')).toHaveLength(2);
  });

  it('pre-check: live app unreachable → refused, live release untouched; --force deploys anyway', async () => {
    execFileSync('sh', [STOP_SCRIPT], { env: { ...process.env, SLIPWAY_TARGET_ROOT: env.root } });
    const before = await currentOf(env.root);
    const pkg = await makeAppPackage('2.1.0');
    const e = await failureOf(deploy({ config: env.config, packagePath: pkg.path, target: 'prod' }));
    expect(e.code).toBe('E_HEALTH');
    expect(e.message).toMatch(/live system is UNREACHABLE before the deploy/);
    expect(e.hint).toMatch(/--force/);
    expect(await currentOf(env.root)).toBe(before);
    const r = await deploy({ config: env.config, packagePath: pkg.path, target: 'prod', force: true });
    expect(await currentOf(env.root)).toBe(r.releaseId);
    expect(await get(`http://127.0.0.1:${port}/`)).toBe('version 2.1.0\n');
  });

  it('watch window: a release that breaks after going live is rolled back by the watch trigger', async () => {
    const t = env.config.deploy.targets.prod!;
    const cfg = {
      ...env.config,
      deploy: {
        targets: {
          prod: { ...t, watch: watchConfigSchema.parse({ thresholds: { probeIntervalMs: 100, consecutive503: 3 } }) },
        },
      },
    } as Config;
    const before = await currentOf(env.root);
    // 2.2.0 breaks once the watch window has begun (it passed its gate and smoke tests before).
    const broken = path.join(env.dir, 'watch-breaks-2.2.0');
    const pkg = await makeAppPackage('2.2.0', 'HEALTHY', { 'application/fail-when.txt': `${broken}\n` });
    const e = await failureOf(
      deploy({
        config: cfg,
        packagePath: pkg.path,
        target: 'prod',
        watchMs: 120_000,
        onProgress: (ev) => {
          if (ev.step === 'health' && ev.status === 'begin' && ev.message?.startsWith('watch'))
            writeFileSync(broken, '');
        },
      }),
    );
    expect(e.code).toBe('E_HEALTH');
    expect(e.message).toMatch(/^watch window: /);
    expect(await currentOf(env.root)).toBe(before);
    const ok = await deploy({
      config: cfg,
      packagePath: (await makeAppPackage('2.3.0')).path,
      target: 'prod',
      watchMs: 500,
    });
    expect(ok.ok).toBe(true);
    await rollback({ config: env.config, target: 'prod', to: before });
  });

  it('emergency rollback: stop, restore, restart, validate, notify webhook and command', async () => {
    const got: unknown[] = [];
    const hook = http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        got.push(JSON.parse(b));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
    const marker = path.join(env.dir, 'notified.txt');
    const t = env.config.deploy.targets.prod!;
    const cfg = {
      ...env.config,
      deploy: {
        targets: {
          prod: {
            ...t,
            notify: {
              webhook: hookUrl,
              command: `echo "$SLIPWAY_EVENT $SLIPWAY_FROM_RELEASE $SLIPWAY_TO_RELEASE" > ${marker}`,
            },
          },
        },
      },
    } as Config;
    const from = await currentOf(env.root);
    const r = await rollback({ config: cfg, target: 'prod', emergency: true });
    hook.close();
    expect(r.ok).toBe(true);
    expect(r.from).toBe(from);
    expect(r.to).toBe(ids.v2);
    expect(r.notified).toBe(true);
    expect(got).toEqual([expect.objectContaining({ event: 'emergency-rollback', from, to: ids.v2 })]);
    expect((await readFile(marker, 'utf8')).trim()).toBe(`emergency-rollback ${from} ${ids.v2}`);
    expect(await get(`http://127.0.0.1:${port}/`)).toBe('version 2.0.0\n');
    const steps = (await readHistory(env.root))
      .filter((h) => h.kind === 'emergency-rollback' && h.status === 'ok')
      .map((h) => h.step);
    expect(steps).toEqual(['stop', 'switch', 'restart', 'health', 'smoke', 'run', 'notify']);
  });
});

describe('bad input: clear message, non-zero, live release untouched', () => {
  it('unknown target → E_CONFIG naming the known ones', async () => {
    const { config } = await setup();
    const e = await failureOf(deploy({ config, packagePath: 'x.tar.gz', target: 'nope' }));
    expect(e.code).toBe('E_CONFIG');
    expect(e.message).toBe('unknown deploy target "nope"');
    expect(e.hint).toMatch(/Known targets: prod/);
  });

  it('package not found → E_NOT_FOUND; corrupt package → refused; nothing live changes', async () => {
    const { config, root, dir } = await setup();
    const good = await makeFixturePackage({ version: '1.0.0' });
    const r = await deploy({ config, packagePath: good.path, target: 'prod' });
    const e1 = await failureOf(deploy({ config, packagePath: path.join(dir, 'missing.tar.gz'), target: 'prod' }));
    expect(e1.code).toBe('E_NOT_FOUND');
    expect(e1.message).toMatch(/package not found: .*missing\.tar\.gz/);
    const corrupt = path.join(dir, 'corrupt.tar.gz');
    await writeFile(corrupt, (await readFile(good.path)).subarray(0, 300));
    const e2 = await failureOf(deploy({ config, packagePath: corrupt, target: 'prod' }));
    expect(['E_UNSAFE_ARCHIVE', 'E_VALIDATE']).toContain(e2.code);
    expect(e2.details.join('\n')).toMatch(
      /^\S+ is still live \(current unchanged, app not restarted, database not migrated\)$/m,
    );
    expect(await currentOf(root)).toBe(r.releaseId);
    expect((await readdir(path.join(root, 'releases'))).filter((n) => n.startsWith('.staging'))).toEqual([]);
  });

  it('no previous release to roll back to → E_ROLLBACK', async () => {
    const { config } = await setup();
    const e = await failureOf(rollback({ config, target: 'prod' }));
    expect(e.code).toBe('E_ROLLBACK');
    expect(e.message).toBe('no previous successful release to roll back to');
    const { config: c2 } = await setup();
    await deploy({ config: c2, packagePath: (await makeFixturePackage()).path, target: 'prod' });
    const e2 = await failureOf(rollback({ config: c2, target: 'prod' }));
    expect(e2.message).toMatch(/^no previous successful release to roll back to \(current is /);
  });

  it('incompatible upgrade (live version outside upgradeFrom) → E_COMPAT with the reason', async () => {
    const { config, root } = await setup();
    const r = await deploy({
      config,
      packagePath: (await makeFixturePackage({ version: '1.0.0' })).path,
      target: 'prod',
    });
    const compat = {
      schemaVersion: 1,
      application: 'demo',
      version: '3.0.0',
      database: { changelog: null, head: null, changeSets: null },
      upgradeFrom: ['>=2.0.0 <3.0.0'],
      runtime: { node: null, nodeReason: 'x', postgres: null, postgresReason: 'x' },
    };
    const e = await failureOf(
      deploy({
        config,
        packagePath: (await makeFixturePackage({ version: '3.0.0', compatibility: compat })).path,
        target: 'prod',
      }),
    );
    expect(e.code).toBe('E_COMPAT');
    expect(e.message).toBe(
      'live version 1.0.0 is not in the package\'s upgradeFrom [">=2.0.0 <3.0.0"] (package 3.0.0)',
    );
    expect(await currentOf(root)).toBe(r.releaseId);
  });

  it('a failing restart command rolls back and says which command and why', async () => {
    const { config, root } = await setup();
    const r1 = await deploy({
      config,
      packagePath: (await makeFixturePackage({ version: '1.0.0' })).path,
      target: 'prod',
    });
    const t = config.deploy.targets.prod!;
    const cfg = { ...config, deploy: { targets: { prod: { ...t, restart: 'echo boom >&2; exit 3' } } } } as Config;
    const e = await failureOf(
      deploy({ config: cfg, packagePath: (await makeFixturePackage({ version: '1.0.1' })).path, target: 'prod' }),
    );
    expect(e.code).toBe('E_DEPLOY');
    expect(e.message).toBe('restart command exited with 3: boom');
    expect(await currentOf(root)).toBe(r1.releaseId);
  });
});

describe('retention, pins, dry run', () => {
  it('keeps the newest N, never current, the last good or a pinned release', async () => {
    const { config, root } = await setup({ keep: 2 });
    const ids: string[] = [];
    for (const v of ['1.0.0', '1.1.0'])
      ids.push(
        (await deploy({ config, packagePath: (await makeFixturePackage({ version: v })).path, target: 'prod' }))
          .releaseId,
      );
    await pinRelease(root, ids[0]!, true, 'test@host');
    for (const v of ['1.2.0', '1.3.0', '1.4.0'])
      ids.push(
        (await deploy({ config, packagePath: (await makeFixturePackage({ version: v })).path, target: 'prod' }))
          .releaseId,
      );
    const present = (await readdir(path.join(root, 'releases'))).sort();
    expect(present).toEqual([ids[0], ids[3], ids[4]].sort());
    const rel = await listReleases(root);
    expect(rel.find((r) => r.id === ids[0])).toMatchObject({ pinned: true, present: true });
    expect(rel.find((r) => r.id === ids[1])).toMatchObject({ present: false, result: 'success' });
  });

  it('--dry-run verifies and plans without touching the target', async () => {
    const { config, root } = await setup({ restart: 'true' });
    const r = await deploy({ config, packagePath: (await makeFixturePackage()).path, target: 'prod', dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.plan.steps.map((s) => `${s.step}${s.skip ? ' (skip)' : ''}`)).toEqual([
      'verify',
      'extract',
      'compat',
      'precheck (skip)',
      'backup (skip)',
      'migrate (skip)',
      'switch',
      'restart',
      'health (skip)',
      'smoke',
      'retention',
    ]);
    expect(existsSync(root)).toBe(false);
  });

  it('ad-hoc --to DIR target and a journal line per step (begin and end)', async () => {
    const { config, dir } = await setup();
    const root = path.join(dir, 'adhoc');
    await mkdir(root);
    const r = await deploy({ config, packagePath: (await makeFixturePackage()).path, root });
    expect(r.root).toBe(root);
    const h = await readHistory(root);
    const steps = h.filter((e) => e.status !== 'skipped').map((e) => `${e.step}:${e.status}`);
    expect(steps).toEqual([
      'run:begin',
      'verify:begin',
      'verify:ok',
      'extract:begin',
      'extract:ok',
      'compat:begin',
      'compat:ok',
      'switch:begin',
      'switch:ok',
      'smoke:begin',
      'smoke:ok',
      'retention:begin',
      'retention:ok',
      'run:ok',
    ]);
  });
});

describe('one deploy per target', () => {
  it('a second concurrent deploy fails with E_LOCKED; with --wait it queues and both succeed', async () => {
    const { config, root } = await setup({ restart: 'sleep 0.3' });
    const [a, b] = [await makeFixturePackage({ version: '1.0.0' }), await makeFixturePackage({ version: '1.0.1' })];
    const results = await Promise.allSettled([
      deploy({ config, packagePath: a.path, target: 'prod' }),
      deploy({ config, packagePath: b.path, target: 'prod' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as SlipwayError).code).toBe('E_LOCKED');
    expect((rejected.reason as SlipwayError).hint).toMatch(/--wait/);
    const waits: string[] = [];
    const onProgress = (e: { step: string; message?: string }) =>
      void (e.step === 'lock' && waits.push(e.message ?? ''));
    const queued = await Promise.all([
      deploy({ config, packagePath: a.path, target: 'prod', wait: true, onProgress }),
      deploy({ config, packagePath: b.path, target: 'prod', wait: true, onProgress }),
    ]);
    expect(queued.every((r) => r.ok)).toBe(true);
    expect(new Set(queued.map((r) => r.releaseId)).size).toBe(2);
    expect(waits[0]).toMatch(/^waiting for the lock held by pid \d+ on /);
    // the one that waited finished last: it is current, and its id sorts last
    const last = [...queued].sort((x, y) => (x.releaseId < y.releaseId ? -1 : 1)).pop()!;
    expect(await currentOf(root)).toBe(last.releaseId);
  });
});
