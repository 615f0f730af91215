import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHistory } from '../../src/deploy/index.js';
import { readJournal } from '../../src/deploy/journal.js';
import { verifyTree } from '../../src/deploy/verify-tree.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeFixturePackage, type FixturePackage } from '../fixtures/deploy/make-package.js';
import { makeDbParts } from '../fixtures/deploy/db-package.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { bundleTestEntry } from '../helpers/bundle-entry.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KILLS = 50;
const DELAY_MS = 15;
// Steps a kill is aimed at: the child prints "<step> begin", the kill lands a random 0..3×DELAY ms later.
const AIMS = ['verify', 'extract', 'compat', 'migrate', 'switch', 'restart', 'retention', 'start'] as const;
// Which step each kill aims at and how long after it lands: seeded and printed, so a failure can be replayed.
const random = seededRandom('deploy-crash');
const randomInt = random.int;

interface RunOutcome {
  code: number | null;
  signal: string | null;
  out: string;
}

describe('crash safety: SIGKILL at random points', () => {
  let db: TestDatabase;
  let dir: string;
  let root: string;
  let runner: string;
  const pkgs: FixturePackage[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('slipway_crash');
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-crash-'));
    root = path.join(dir, 'target');
    await makeDeployConfig(dir, { databaseUrl: db.url, restart: 'sleep 0.05', keep: 3, lockWaitMs: 30_000 });
    // Bundled once so each child starts in ~100 ms; packages stay external and resolve from the repo.
    runner = await bundleTestEntry('test/fixtures/deploy/crash-runner.ts', 'crash-runner');
    for (const v of ['1.0.0', '1.0.1']) {
      const parts = await makeDbParts(v, [
        { id: '1', sql: 'CREATE TABLE IF NOT EXISTS t1 (id int);', rollback: 'DROP TABLE t1;' },
        { id: 'slow', sql: 'SELECT pg_sleep(0.1);', attrs: 'runAlways:true' },
      ]);
      const files: Record<string, string> = { ...parts.files };
      // enough files that extraction takes a while with the per-entry test delay
      for (let i = 0; i < 12; i++) files[`application/lib/m${i}.js`] = `export const v${i} = ${JSON.stringify(v)};\n`;
      pkgs.push(await makeFixturePackage({ version: v, compatibility: parts.compatibility, files }));
    }
  });
  afterAll(async () => {
    await rm(runner, { force: true });
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  });

  function start(
    op: 'deploy' | 'rollback',
    pkg: string | undefined,
    killAim: string | null,
  ): Promise<RunOutcome & { killedAt: string | null }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [runner, dir, op, ...(pkg ? [pkg] : [])], {
        cwd: repo,
        env: { ...process.env, SLIPWAY_TEST_DELAY_MS: String(DELAY_MS) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let killedAt: string | null = null;
      const kill = (where: string, after: number) => {
        if (killedAt) return;
        killedAt = where;
        setTimeout(() => child.kill('SIGKILL'), after);
      };
      if (killAim === 'start') kill('start', randomInt(0, 400));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (killAim && killAim !== 'start' && new RegExp(`(^|\\n)${killAim} begin`).test(out))
          kill(killAim, randomInt(0, DELAY_MS * 3 + 1));
      });
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code, signal) => resolve({ code, signal, out, killedAt }));
    });
  }

  async function assertConsistent(): Promise<string> {
    const target = await readlink(path.join(root, 'current'));
    const id = path.basename(target);
    expect(target).toBe(path.join('releases', id));
    expect((await stat(path.join(root, target))).isDirectory()).toBe(true);
    const v = await verifyTree(path.join(root, target));
    expect(v.problems).toEqual([]);
    expect(v.files).toBeGreaterThan(10);
    const { torn } = await readJournal(path.join(root, '.slipway/journal.jsonl'));
    expect(torn).toBeLessThanOrEqual(1);
    return id;
  }

  it(`after ${KILLS} SIGKILLs (seed ${random.seed}) current always resolves to a complete, verified release and the next run succeeds`, async () => {
    const first = await start('deploy', pkgs[0]!.path, null);
    expect(first.out).toContain('DONE');
    const killedIn: Record<string, number> = {};
    let kills = 0;
    for (let i = 0; kills < KILLS; i++) {
      const aim = AIMS[randomInt(0, AIMS.length)]!;
      const op =
        aim === 'migrate' || aim === 'extract' || aim === 'verify' || aim === 'compat' || i % 4 !== 3
          ? 'deploy'
          : 'rollback';
      const killed = await start(
        op,
        op === 'deploy' ? pkgs[i % 2]!.path : undefined,
        op === 'rollback' && !['start', 'switch', 'restart'].includes(aim) ? 'switch' : aim,
      );
      if (killed.signal === 'SIGKILL') {
        kills++;
        const steps = killed.out.trim().split('\n');
        const last =
          steps
            .filter((l) => / begin/.test(l))
            .pop()
            ?.split(' ')[0] ?? 'before-run';
        killedIn[last] = (killedIn[last] ?? 0) + 1;
      }
      await assertConsistent();
      // The next run finishes on its own: stale lock recovered, interrupted run closed in the journal.
      const next = await start(i % 3 === 2 ? 'rollback' : 'deploy', pkgs[(i + 1) % 2]!.path, null);
      expect(next.out, next.out).toMatch(/DONE|ERROR E_ROLLBACK no previous successful release/);
      await assertConsistent();
      const entries = await readHistory(root);
      const ended = new Set(entries.filter((e) => e.step === 'run' && e.status !== 'begin').map((e) => e.run));
      expect(entries.filter((e) => e.step === 'run' && e.status === 'begin' && !ended.has(e.run))).toEqual([]);
    }
    const entries = await readHistory(root);
    const interrupted = entries.filter(
      (e) => e.step === 'run' && e.status === 'failed' && e.data?.interrupted === true,
    );
    expect(interrupted.length).toBeGreaterThan(KILLS / 2);
    expect(interrupted[0]!.message).toMatch(/^interrupted at \w+/);
    // the windows the brief names were all hit
    expect(killedIn.extract ?? 0).toBeGreaterThan(0);
    expect(killedIn.migrate ?? 0).toBeGreaterThan(0);
    expect((killedIn.switch ?? 0) + (killedIn.restart ?? 0)).toBeGreaterThan(0);
    process.stderr.write(
      `crash test: ${kills} kills by step ${JSON.stringify(killedIn)}; ${interrupted.length} runs marked interrupted\n`,
    );
  }, 900_000);
});
