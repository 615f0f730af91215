import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/output.js';
import { deploy, listReleases } from '../../src/deploy/index.js';
import type { Config } from '../../src/config/schema.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { failureOf } from '../helpers/failure.js';
import { reservedPort } from '../helpers/ports.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the example application (examples/umig-sample) built by slipway build, deployed behind its health gate', () => {
  let dir: string;
  let pkg: string;
  let config: Config;
  let port: number;
  let target: (prefix: string) => Record<string, unknown>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-example-'));
    let stdout = '';
    const io: CliIO = {
      stdout: (t) => void (stdout += t),
      stderr: () => undefined,
      isTTY: false,
      env: { ...process.env, DATABASE_URL: '' },
      cwd: repo,
      readStdin: async () => '',
    };
    const code = await main(
      ['build', '--config', 'examples/umig-sample/slipway.config.yaml', '--out', path.join(dir, 'out'), '--json'],
      io,
    );
    expect(code, stdout).toBe(0);
    pkg = (JSON.parse(stdout) as { package: { path: string } }).package.path;
    port = await reservedPort();
    target = (prefix: string) => ({
      shared: ['logs'],
      restart: `${prefix}PORT=${port} bash scripts/start.sh`,
      stop: `PORT=${port} bash scripts/stop.sh`,
      health: {
        url: `http://127.0.0.1:${port}/rest/scriptrunner/latest/custom/databaseVersions/health`,
        timeoutMs: 8000,
        intervalMs: 200,
        allowDegraded: true,
      },
      commandTimeoutMs: 30_000,
    });
    config = await makeDeployConfig(dir, target(''));
  }, 180_000);
  afterAll(async () => {
    try {
      execFileSync('bash', ['scripts/stop.sh'], {
        cwd: path.join(dir, 'target/current'),
        env: { ...process.env, PORT: String(port) },
      });
    } catch {
      /* not running */
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('deploys: start.sh from the release, health gate, the package smoke tests pass', async () => {
    const r = await deploy({ config, packagePath: pkg, target: 'prod' });
    expect(r.ok).toBe(true);
    expect(path.basename(await readlink(path.join(dir, 'target/current')))).toBe(r.releaseId);
    expect((await listReleases(path.join(dir, 'target')))[0]).toMatchObject({ result: 'success', current: true });
    expect((await readdir(path.join(dir, 'target/shared/logs'))).length).toBeGreaterThan(0);
  }, 120_000);

  it('UMIG_FORCE_STATUS=UNHEALTHY: the health gate fails and the previous release is restored and healthy', async () => {
    const before = path.basename(await readlink(path.join(dir, 'target/current')));
    // Any release but the live one starts with UMIG_FORCE_STATUS=UNHEALTHY (the example's bad-release switch).
    const restart = target(`[ "$SLIPWAY_RELEASE_ID" = "${before}" ] || export UMIG_FORCE_STATUS=UNHEALTHY; `)
      .restart as string;
    const bad = { ...config, deploy: { targets: { prod: { ...config.deploy.targets.prod!, restart } } } } as Config;
    const e = await failureOf(deploy({ config: bad, packagePath: pkg, target: 'prod' }));
    expect(e.code).toBe('E_HEALTH');
    expect(e.details.join('\n')).toMatch(/rolled back automatically: current is \S+ again/);
    expect(path.basename(await readlink(path.join(dir, 'target/current')))).toBe(before);
    const res = await fetch(`http://127.0.0.1:${port}/rest/scriptrunner/latest/custom/databaseVersions/health`);
    expect(res.status).toBeLessThan(500);
  }, 120_000);
});
