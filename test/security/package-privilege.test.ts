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
});
