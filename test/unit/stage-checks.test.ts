import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { checkEnvVars } from '../../src/builder/checks/env.js';
import { checkVersionRange, readNpmVersion } from '../../src/builder/checks/versions.js';
import { checkTools } from '../../src/builder/checks/tools.js';
import { checkHttpEndpoint } from '../../src/builder/checks/http.js';
import { checkLockfile } from '../../src/builder/checks/lockfile.js';
import { readPackageJson } from '../../src/config/package-json.js';
import { describeTarget } from '../../src/builder/checks/database.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeTree(d);
});

describe('env var checks', () => {
  it('passes when set, fails when required and missing or empty, warns when optional', () => {
    const r = checkEnvVars(
      [
        { name: 'A', required: true, description: 'API key' },
        { name: 'B', required: true },
        { name: 'C', required: false },
        { name: 'D', required: true },
      ],
      { A: 'secret-value', D: '' },
    );
    expect(r).toEqual([
      { name: 'env:A', status: 'pass', reason: 'A is set (API key)' },
      { name: 'env:B', status: 'fail', reason: 'B is not set; export it before the build' },
      { name: 'env:C', status: 'skip', reason: 'C is not set (optional)' },
      { name: 'env:D', status: 'fail', reason: 'D is set but empty; export it before the build' },
    ]);
    expect(JSON.stringify(r)).not.toContain('secret-value');
  });
});

describe('version range checks', () => {
  it('pass, fail, skip and invalid range', () => {
    expect(checkVersionRange('node', '20.20.2', '>=20.19 <21', 'engines.node')).toEqual({
      name: 'node',
      status: 'pass',
      reason: 'node 20.20.2 satisfies >=20.19 <21 (engines.node)',
    });
    expect(checkVersionRange('node', '18.0.0', '^20', 'build.checks.node')).toEqual({
      name: 'node',
      status: 'fail',
      reason: 'node 18.0.0 does not satisfy ^20 (build.checks.node); install a matching node',
    });
    expect(checkVersionRange('npm', null, '>=9', 'engines.npm').status).toBe('fail');
    expect(checkVersionRange('npm', '10.0.0', undefined, '').status).toBe('skip');
    expect(checkVersionRange('node', '20.0.0', 'not a range!', 'build.checks.node')).toEqual({
      name: 'node',
      status: 'fail',
      reason: 'build.checks.node: "not a range!" is not a valid semver range',
    });
  });

  it('reads the real npm version without a shell, and null when npm is not on PATH', async () => {
    const real = execFileSync('npm', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    expect(await readNpmVersion(10_000, process.env)).toBe(real);
    expect(await readNpmVersion(10_000, { ...process.env, PATH: '/nonexistent' })).toBeNull();
  });
});

describe('tool checks', () => {
  it('finds executables on PATH and fails for missing ones', async () => {
    const r = await checkTools(['node', 'no-such-tool-slipway'], process.env.PATH);
    // The first `node` on PATH, as the shell finds it (not necessarily the Node running the tests).
    const onPath = execFileSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).trim();
    expect(r[0]).toEqual({ name: 'tool:node', status: 'pass', reason: `node found at ${onPath}` });
    expect(r[1]).toEqual({
      name: 'tool:no-such-tool-slipway',
      status: 'fail',
      reason: 'no-such-tool-slipway not found on PATH; install it or remove it from build.checks.tools',
    });
  });
});

describe('HTTP endpoint checks (real local server)', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
      res.statusCode = req.url === '/down' ? 503 : 200;
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const spec = (p: string, extra: Record<string, unknown> = {}) => ({
    name: 'svc',
    url: base + p,
    expectStatus: 200,
    timeoutMs: 3000,
    required: true,
    ...extra,
  });

  it('passes on the expected status, fails (or warns when optional) otherwise', async () => {
    expect(await checkHttpEndpoint(spec('/health'))).toEqual({
      name: 'http:svc',
      status: 'pass',
      reason: `GET ${base}/health → 200`,
    });
    expect(await checkHttpEndpoint(spec('/down'))).toEqual({
      name: 'http:svc',
      status: 'fail',
      reason: `GET ${base}/down → 503, expected 200`,
    });
    expect((await checkHttpEndpoint(spec('/down', { required: false }))).status).toBe('warn');
    expect((await checkHttpEndpoint(spec('/down', { expectStatus: 503 }))).status).toBe('pass');
  });

  it('is bounded by timeoutMs and names refused connections', async () => {
    // /slow answers 200 after 2 s: the check fails only if its 300 ms timeout fired first.
    const slow = await checkHttpEndpoint(spec('/slow', { timeoutMs: 300 }));
    expect(slow).toEqual({
      name: 'http:svc',
      status: 'fail',
      reason: `GET ${base}/slow failed: no response within 300 ms`,
    });
    // a port that was just free: nothing listens there
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const refused = await checkHttpEndpoint({ ...spec(''), url: `http://127.0.0.1:${port}/` });
    expect(refused.reason).toBe(`GET http://127.0.0.1:${port}/ failed: ECONNREFUSED`);
  });
});

describe('lockfile consistency', () => {
  const pkg = (deps: Record<string, string>, dev: Record<string, string> = {}) =>
    JSON.stringify({ name: 'x', version: '1.0.0', dependencies: deps, devDependencies: dev });
  const lock = (root: Record<string, unknown>, installed: Record<string, string>, v = 3) =>
    JSON.stringify({
      lockfileVersion: v,
      packages: {
        '': root,
        ...Object.fromEntries(Object.entries(installed).map(([n, ver]) => [`node_modules/${n}`, { version: ver }])),
      },
    });
  const run = async (files: Record<string, string>) => {
    const dir = await makeTree(files);
    dirs.push(dir);
    return checkLockfile(dir, await readPackageJson(dir));
  };

  it('passes when package.json and the lockfile agree', async () => {
    const r = await run({
      'package.json': pkg({ a: '^1.2.0' }, { b: '~2.0.0' }),
      'package-lock.json': lock(
        { dependencies: { a: '^1.2.0' }, devDependencies: { b: '~2.0.0' } },
        { a: '1.4.0', b: '2.0.3' },
      ),
    });
    expect(r).toEqual({
      name: 'lockfile',
      status: 'pass',
      reason: 'package-lock.json (v3) matches package.json (2 dependencies)',
    });
  });

  it('skips without package.json, warns without a lockfile or with lockfileVersion 1', async () => {
    expect((await run({})).status).toBe('skip');
    expect(await run({ 'package.json': pkg({ a: '^1' }) })).toEqual({
      name: 'lockfile',
      status: 'warn',
      reason: 'no package-lock.json for 1 dependencies; run `npm install` and commit the lockfile',
    });
    expect((await run({ 'package.json': pkg({}) })).status).toBe('pass');
    expect(
      await run({
        'package.json': pkg({ a: '^1' }),
        'package-lock.json': JSON.stringify({ lockfileVersion: 1, dependencies: {} }),
      }),
    ).toEqual({
      name: 'lockfile',
      status: 'warn',
      reason: 'package-lock.json has lockfileVersion 1 (no packages[""]); regenerate it with npm 7 or later',
    });
  });

  it('fails naming missing, extra, changed and unsatisfied dependencies', async () => {
    const r = await run({
      'package.json': pkg({ a: '^1.0.0', b: '^2.0.0', d: '^4.0.0' }),
      'package-lock.json': lock(
        { dependencies: { b: '^2.1.0', c: '^3.0.0', d: '^4.0.0' } },
        { b: '2.1.0', c: '3.0.0', d: '5.0.0' },
      ),
    });
    expect(r).toEqual({
      name: 'lockfile',
      status: 'fail',
      reason:
        'package-lock.json out of date: not in the lockfile: a; in the lockfile but not in package.json: c; ' +
        'ranges differ: b (package.json ^2.0.0, lockfile ^2.1.0); locked versions outside their range: d@5.0.0 (wants ^4.0.0); run `npm install`',
    });
  });

  it('fails on a lockfile that is not JSON', async () => {
    const r = await run({ 'package.json': pkg({}), 'package-lock.json': '{ nope' });
    expect(r.status).toBe('fail');
    expect(r.reason).toMatch(/^cannot parse /);
  });
});

describe('database target description', () => {
  it('names host, port, database and user, never the password', () => {
    expect(describeTarget('postgres://app:s3cret@db.example:6543/umig')).toBe('db.example:6543/umig as app');
    expect(describeTarget('postgresql://localhost/x')).toBe('localhost:5432/x');
  });
});
