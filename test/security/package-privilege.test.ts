/**
 * Package code (restart command, smoke tests) gets an allowlisted environment — never the deployer's secrets — and
 * runs as the configured user. The tests run as root, so `runAs: 65534` (nobody) is a real switch.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploy } from '../../src/deploy/deploy.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { baseFiles, craftPackageEntries, craftTar, writeCrafted } from '../fixtures/deploy/craft.js';
import { stopBlueGreen } from '../../src/deploy/blue-green/index.js';
import { blueGreenAppTarget, makeAppPackage } from '../fixtures/deploy/app.js';

const SECRET = 'SLIPWAY_TEST_DEPLOYER_SECRET';
let sandbox: string;
let n = 0;

// Prints what package code can see, and fails when it sees the deployer's secret (so the deploy itself fails).
const probe = `echo "uid=$(id -u) gid=$(id -g) home=$HOME user=$USER"
echo "mode=$APP_MODE"
echo "secret=\${${SECRET}:-absent}"
env | sort | sed 's/^/env: /'
[ -z "\${${SECRET}:-}" ] || exit 7
`;

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(tmpdir(), 'slipway-priv-'));
  // The package code may run as nobody: it must be able to reach the release directory.
  await chmod(sandbox, 0o755);
  process.env[SECRET] = 'hunter2';
});
afterEach(() => {
  process.env[SECRET] = 'hunter2';
});
afterAll(async () => {
  delete process.env[SECRET];
  await rm(sandbox, { recursive: true, force: true });
});

async function run(target: Record<string, unknown>) {
  const dir = path.join(sandbox, `p${n++}`);
  await mkdir(dir, { mode: 0o755 });
  await chmod(dir, 0o755);
  const config = await makeDeployConfig(dir, {
    restart: 'bash tests/smoke/probe.sh',
    env: { APP_MODE: 'hardened' },
    ...target,
  });
  const files = { ...baseFiles(), 'tests/smoke/probe.sh': probe };
  const pkg = await writeCrafted(dir, 'demo', craftTar(craftPackageEntries({ files })));
  const r = await deploy({ config, packagePath: pkg, target: 'prod' });
  const logs = path.join(dir, 'target', '.slipway', 'logs');
  const names = await readdir(logs, { recursive: true });
  const read = async (re: RegExp) =>
    readFile(
      path.join(
        logs,
        names.find((x) => re.test(x))!,
      ),
      'utf8',
    );
  return { r, restart: await read(/-restart\.log$/), smoke: await read(/smoke-probe\.sh\.log$/) };
}

describe('least privilege for package code', () => {
  it('restart and smoke tests never see the deployer environment; env: adds what the target allows', async () => {
    expect(process.env[SECRET]).toBe('hunter2');
    const { r, restart, smoke } = await run({});
    expect(r.ok, r.reason ?? '').toBe(true);
    for (const out of [restart, smoke]) {
      expect(out).toContain('secret=absent');
      expect(out).toContain('mode=hardened');
      expect(out).not.toContain('hunter2');
      const names = out
        .split('\n')
        .filter((l) => l.startsWith('env: '))
        .map((l) => l.slice(5).split('=')[0]);
      // Nothing but the allowlist, HOME/USER/LOGNAME, SLIPWAY_* and the configured env (plus what sh/bash set).
      const shellOwn = new Set(['PWD', 'SHLVL', '_', 'OLDPWD']);
      const allowed = /^(PATH|LANG|LC_ALL|LC_CTYPE|LC_MESSAGES|TZ|TERM|HOME|USER|LOGNAME|APP_MODE|SLIPWAY_[A-Z_]+)$/;
      expect(names.filter((k) => !allowed.test(k!) && !shellOwn.has(k!))).toEqual([]);
    }
  });

  it('runAs: 65534 runs restart and smoke tests as nobody with its home', async () => {
    const { r, restart, smoke } = await run({ runAs: 65534 });
    expect(r.ok, r.reason ?? '').toBe(true);
    for (const out of [restart, smoke]) {
      expect(out).toMatch(/^uid=65534 gid=65534 home=\/nonexistent user=nobody$/m);
      expect(out).toContain('secret=absent');
    }
  });

  it('runAs: nobody by name; an unknown user is a config error naming the field', async () => {
    const ok = await run({ runAs: 'nobody' });
    expect(ok.smoke).toMatch(/^uid=65534 /m);
    const dir = path.join(sandbox, `p${n++}`);
    await mkdir(dir);
    const config = await makeDeployConfig(dir, { restart: 'true', runAs: 'no-such-user-x' });
    const pkg = await writeCrafted(dir, 'demo', craftTar(craftPackageEntries()));
    await expect(deploy({ config, packagePath: pkg, target: 'prod' })).rejects.toMatchObject({
      code: 'E_CONFIG',
      message: 'runAs: no user "no-such-user-x" in /etc/passwd',
      field: 'deploy.targets.*.runAs',
    });
  });

  it('a blue-green slot process gets the same allowlisted environment (blueGreen.env on top), never the secret', async () => {
    const dir = path.join(sandbox, `p${n++}`);
    await mkdir(dir, { mode: 0o755 });
    const { slotPorts, target } = await blueGreenAppTarget({
      timeoutMs: 5000,
      // The slot writes what it sees, then serves; a slot seeing the secret never becomes healthy.
      blueGreen: { start: 'sh application/start.sh', env: { SLOT_FLAG: 'on' }, drainTimeoutMs: 500 },
      more: { env: { APP_MODE: 'hardened' }, smokeTests: false },
    });
    const config = await makeDeployConfig(dir, target);
    try {
      expect(process.env[SECRET]).toBe('hunter2');
      const start = `env | sort > slot-env.txt\n[ -z "\${${SECRET}:-}" ] || exit 7\nexec node application/server.mjs\n`;
      const pkg = await makeAppPackage('1.0.0', 'HEALTHY', { 'application/start.sh': start });
      const r = await deploy({ config, packagePath: pkg.path, target: 'prod' });
      expect(r.ok, r.reason ?? '').toBe(true);
      const seen = await readFile(path.join(dir, 'target', 'releases', r.releaseId, 'slot-env.txt'), 'utf8');
      expect(seen).not.toContain('hunter2');
      const names = seen
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('=')[0]);
      expect(names).not.toContain(SECRET);
      expect(seen).toMatch(/^APP_MODE=hardened$/m);
      expect(seen).toMatch(/^SLOT_FLAG=on$/m);
      expect(seen).toMatch(/^SLIPWAY_SLOT=(blue|green)$/m);
      expect(seen).toMatch(new RegExp(`^PORT=(${slotPorts.blue}|${slotPorts.green})$`, 'm'));
      const shellOwn = new Set(['PWD', 'SHLVL', '_', 'OLDPWD']);
      const allowed =
        /^(PATH|LANG|LC_ALL|LC_CTYPE|LC_MESSAGES|TZ|TERM|HOME|USER|LOGNAME|APP_MODE|SLOT_FLAG|PORT|SLIPWAY_[A-Z_]+)$/;
      expect(names.filter((k) => !allowed.test(k!) && !shellOwn.has(k!))).toEqual([]);
    } finally {
      await stopBlueGreen(path.join(dir, 'target'), 2000).catch(() => undefined);
    }
  });
});
