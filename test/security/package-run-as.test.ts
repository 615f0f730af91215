/**
 * `runAs` with a real, freshly created OS user (useradd), through the built CLI: the restart command, the smoke
 * test and the stop command (`rollback --emergency`) run as that user, with the allowlisted environment only —
 * the deployer's PGPASSWORD, DATABASE_URL (which the config itself uses) and other secrets never reach them.
 * The tests run as root (CI does); as anyone else this file fails, it does not skip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { ensureDist, runBin } from '../helpers/cli-bin.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { baseFiles, craftPackageEntries, craftTar, writeCrafted } from '../fixtures/deploy/craft.js';

const USER = `slw${randomBytes(3).toString('hex')}`;
const SECRETS = { PGPASSWORD: 'pg-hunter2', SLIPWAY_TEST_DEPLOYER_TOKEN: 'tok-hunter2' };
let createdUser = false;
let uid = -1;
let sandbox: string;
let probeDir: string;
let db: TestDatabase;

// Writes who it runs as and everything it can see into $PROBE_DIR/<kind>.txt (only that user may write there).
const probe = `kind=\${1:-smoke}
{ echo "user=$(id -un) uid=$(id -u) groups=$(id -G)"; env | sort | sed 's/^/env: /'; } > "$PROBE_DIR/$kind.txt"
`;

beforeAll(async () => {
  // Switching users needs root; a CI that does not run as root must see this fail, not skip.
  expect(process.getuid?.(), 'package-run-as.test.ts must run as root (it creates an OS user)').toBe(0);
  if (spawnSync('id', ['-u', USER]).status !== 0) {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', USER]);
    createdUser = true;
  }
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  sandbox = await mkdtemp(path.join(tmpdir(), 'slipway-runas-'));
  await chmod(sandbox, 0o755); // the user must reach the release directory
  probeDir = path.join(sandbox, 'probe');
  await mkdir(probeDir, { mode: 0o700 });
  await chown(probeDir, uid, uid);
  db = await createTestDatabase();
  await ensureDist();
}, 300_000);
afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
  await db?.drop();
  if (createdUser) execFileSync('userdel', [USER]);
});

async function pkg(dir: string, version: string) {
  const files = { ...baseFiles(version), 'database/package.sql': 'SELECT 1;\n', 'tests/smoke/probe.sh': probe };
  return writeCrafted(dir, `demo-${version}`, craftTar(craftPackageEntries({ files })));
}

/** Every `env:` name a probe saw, and its whole text. */
async function seen(kind: string) {
  const text = await readFile(path.join(probeDir, `${kind}.txt`), 'utf8');
  const names = text
    .split('\n')
    .filter((l) => l.startsWith('env: '))
    .map((l) => l.slice(5).split('=')[0]!);
  return { text, names };
}

describe('runAs with a real OS user (built CLI)', () => {
  it('restart, smoke and stop run as the configured user with the allowlisted environment only', async () => {
    const dir = path.join(sandbox, 'app');
    await mkdir(dir, { mode: 0o755 });
    const databaseUrl = `${db.url.replace('postgres://postgres@', 'postgres://postgres:pg-hunter2@')}`;
    const doc = {
      name: 'demo',
      version: '1.0.0',
      deploy: {
        targets: {
          prod: {
            type: 'local',
            path: 'target',
            // The deployer's own secret, used by slipway itself: package code must still not see it.
            databaseUrl: '${DATABASE_URL}',
            runAs: USER,
            env: { PROBE_DIR: probeDir },
            restart: 'sh tests/smoke/probe.sh restart',
            stop: 'sh tests/smoke/probe.sh stop',
          },
        },
      },
    };
    await writeFile(path.join(dir, 'slipway.config.yaml'), stringify(doc));
    const env = { ...SECRETS, DATABASE_URL: databaseUrl };
    for (const v of ['1.0.0', '2.0.0']) {
      const r = runBin(['deploy', await pkg(dir, v), '--target', 'prod'], dir, { env });
      expect(r.code, r.stderr).toBe(0);
    }
    const rb = runBin(['rollback', '--target', 'prod', '--emergency'], dir, { env });
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stderr).toMatch(/✓ stop /);

    const shellOwn = new Set(['PWD', 'SHLVL', '_', 'OLDPWD']);
    const allowed = /^(PATH|LANG|LC_ALL|LC_CTYPE|LC_MESSAGES|TZ|TERM|HOME|USER|LOGNAME|PROBE_DIR|SLIPWAY_[A-Z_]+)$/;
    for (const kind of ['restart', 'smoke', 'stop']) {
      const { text, names } = await seen(kind);
      // The user itself, with its own group only (supplementary groups dropped).
      expect(text, kind).toMatch(new RegExp(`^user=${USER} uid=${uid} groups=\\d+$`, 'm'));
      expect(text, kind).toMatch(new RegExp(`^env: USER=${USER}$`, 'm'));
      expect(text, kind).toMatch(/^env: HOME=\/nonexistent$/m);
      for (const secret of ['PGPASSWORD', 'DATABASE_URL', 'SLIPWAY_TEST_DEPLOYER_TOKEN'])
        expect(names).not.toContain(secret);
      expect(text, kind).not.toContain('hunter2');
      expect(
        names.filter((k) => !allowed.test(k) && !shellOwn.has(k)),
        kind,
      ).toEqual([]);
    }
  });
});
