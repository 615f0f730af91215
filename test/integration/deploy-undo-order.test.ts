/**
 * The order of an undo (src/deploy/settle.ts): the previous release is put live first (current switched back,
 * restarted; blue-green: started in the idle slot, traffic moved to it), THEN the run's changesets are undone, THEN
 * the health gate runs on that final state. So while the rollback SQL runs, the previous release serves (on the
 * run's newer schema, which expand/contract migrations are written for) — never the failed release on a schema
 * being undone.
 *
 * No timing decides it: the run's changeset has rollback SQL that first waits for an advisory lock the test holds.
 * While the undo's SQL waits there (seen in pg_locks), the test asks the app which release answers and whether the
 * run's table is still there, reads the journal so far, then lets the SQL go and checks the order of the journal
 * lines and of the messages. Real PostgreSQL, a real app (restart hook, or blue-green slots behind the proxy), the
 * library API, and the built CLI for an interrupted run and for crash recovery.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueGreenPaths, readBlueGreenState, stopBlueGreen } from '../../src/deploy/blue-green/index.js';
import { deploy, readHistory, rollback } from '../../src/deploy/index.js';
import type { DeployEvent, JournalEntry } from '../../src/deploy/types.js';
import type { SlipwayError } from '../../src/errors.js';
import type { FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { ensureDist } from '../helpers/cli-bin.js';
import { appPackage, setupAppTarget, type AppTarget } from '../helpers/deploy-target.js';
import { queryRows } from '../helpers/pg.js';
import { waitFor } from '../helpers/wait.js';
import { blueGreenAppTarget } from '../fixtures/deploy/app.js';

/** The advisory lock the run's rollback SQL waits for (the package's own lock key is another). */
const GATE = 4_242_001;
const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE o1 (id int);', rollback: 'DROP TABLE o1;' };
const CS2: FixtureChangeSet = {
  id: '2',
  sql: 'CREATE TABLE o2 (id int);',
  rollback: `SELECT pg_advisory_xact_lock(${GATE}); DROP TABLE o2;`,
};

const cleanups: (() => Promise<void>)[] = [];
beforeAll(ensureDist, 300_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** A session holding GATE until `open()`: the undo's rollback SQL waits at its first statement until then. */
async function holdGate(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`SELECT pg_advisory_lock(${GATE})`);
  let open = false;
  return {
    /** True while a backend (the rollback SQL) waits for GATE. */
    waiting: async () =>
      (
        await c.query(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted AND pid <> pg_backend_pid()",
          [GATE],
        )
      ).rowCount! > 0,
    open: async () => {
      if (open) return;
      open = true;
      await c.query(`SELECT pg_advisory_unlock(${GATE})`);
      await c.end();
    },
  };
}

/** What the test sees while the undo's rollback SQL waits: who answers, whether o2 is there, the journal so far. */
interface Seen {
  answer: string;
  o2: boolean;
  journal: JournalEntry[];
}

/** `step:status` of `run`'s journal lines from its failed health gate (or `from`) on: the undo's order. */
const undoLines = (entries: JournalEntry[], run: string, from = 'health:failed') => {
  const mine = entries.filter((e) => e.run === run).map((e) => `${e.step}:${e.status}`);
  const i = mine.indexOf(from);
  return i < 0 ? [] : mine.slice(i);
};

/** Waits until the undo's rollback SQL waits for GATE, records what is true then, and lets it go. */
async function whileUndoWaits(s: AppTarget, gate: Awaited<ReturnType<typeof holdGate>>, ask: () => Promise<string>) {
  let seen: Seen | null = null;
  const at = async () => {
    if (seen) return true;
    if (!(await gate.waiting())) return false;
    seen = {
      answer: await ask(),
      o2: (await queryRows(s.db.url, "SELECT to_regclass('o2') IS NOT NULL AS o2"))[0]!.o2 === true,
      journal: await readHistory(s.root),
    };
    await gate.open();
    return true;
  };
  return { at, seen: () => seen };
}

const failing = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('the deploy succeeded; it was meant to fail');
    },
    (e: unknown) => e as SlipwayError,
  );

const lastRun = async (root: string) =>
  (await readHistory(root)).filter((x) => x.kind === 'deploy' && x.step === 'run' && x.status === 'begin').pop()!;

describe('an undo puts the previous release live before it undoes the database, and gates the final state', () => {
  it('local (restart hook): while the rollback SQL runs, 1.0.0 answers on the newer schema; then the gate', async () => {
    const s = await setupAppTarget('undoorder', {});
    cleanups.push(s.cleanup);
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: (await appPackage('1.0.0', [CS1])).path, target: 'prod' }))
      .releaseId;
    const gate = await holdGate(s.db.url);
    cleanups.push(gate.open);
    const w = await whileUndoWaits(s, gate, s.answer);
    // The watcher runs beside the deploy; the deploy's undo waits on GATE until the watcher has looked.
    const watcher = waitFor('the undo to wait on its rollback SQL, and the test to look', w.at, { timeoutMs: 180_000 });
    const e = await failing(
      deploy({
        config,
        packagePath: (await appPackage('2.0.0', [CS1, CS2], { status: 'UNHEALTHY' })).path,
        target: 'prod',
      }),
    );
    await watcher;
    const run = await lastRun(s.root);
    const v2 = run.release!;
    const seen = w.seen()!;
    // While the undo touched the database: the previous release served, on the run's schema (o2 still there).
    expect(seen.answer).toBe('version 1.0.0\n');
    expect(seen.o2).toBe(true);
    // The journal then: the previous release restarted, the rollback SQL begun, no gate yet.
    const then = undoLines(seen.journal, run.run);
    expect(then, then.join(' ')).toEqual(expect.arrayContaining(['rollback:ok', 'restart:ok', 'db-rollback:begin']));
    expect(then).not.toContain('health:ok');
    const order = undoLines(await readHistory(s.root), run.run);
    const at = (l: string) => order.indexOf(l);
    expect(at('rollback:ok'), order.join(' ')).toBeGreaterThan(0);
    expect(at('restart:ok')).toBeGreaterThan(at('rollback:ok'));
    expect(at('db-rollback:begin')).toBeGreaterThan(at('restart:ok'));
    expect(at('health:ok')).toBeGreaterThan(at('db-rollback:ok'));
    // The messages, in the order it happened.
    expect(e.code).toBe('E_HEALTH');
    const lines = e.details.slice(e.details.findIndex((d) => d.startsWith('rolled back automatically')));
    expect(lines).toEqual([
      `rolled back automatically: current is ${v1} again`,
      `restarted ${v1}`,
      `database: rolled back the 1 changeset(s) ${v2} applied (changelog.sql::2::test); databasechangelog no longer records them`,
      `${v1} passed its health gate`,
    ]);
    expect(await s.current()).toBe(v1);
    expect(await s.answer()).toBe('version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
  }, 300_000);

  it('the previous release does not start: its changesets are not undone under what still serves, the message says so, and recover finishes in the same order', async () => {
    const s = await setupAppTarget('undoorderfail', {});
    cleanups.push(s.cleanup);
    // The restart hook exits 3 while the flag exists (before it stops anything), and restarts once it is gone.
    const flag = path.join(s.dir, 'restart-fails');
    const restart = (await s.config()).deploy.targets.prod!.restart!;
    const config = await s.config({
      restart: `if [ -d ${flag} ]; then echo refusing to restart; exit 3; fi; ${restart}`,
    });
    const v1 = (await deploy({ config, packagePath: (await appPackage('1.0.0', [CS1])).path, target: 'prod' }))
      .releaseId;
    // 2.0.0 is restarted and fails its gate; from its gate on, the restart hook fails.
    const onProgress = (ev: DeployEvent) => {
      if (ev.step === 'health' && ev.status === 'begin') mkdirSync(flag, { recursive: true });
    };
    const e = await failing(
      deploy({
        config,
        packagePath: (await appPackage('2.0.0', [CS1, CS2], { status: 'UNHEALTHY' })).path,
        target: 'prod',
        onProgress,
      }),
    );
    const run = await lastRun(s.root);
    const v2 = run.release!;
    expect(e.code).toBe('E_HEALTH');
    const lines = e.details.slice(e.details.findIndex((d) => d.startsWith('automatic rollback INCOMPLETE')));
    expect(lines, lines.join('\n')).toEqual([
      `automatic rollback INCOMPLETE: current is ${v1} again`,
      expect.stringMatching(new RegExp(`^${v1} did not come back: restart command exited with 3.*refusing to restart`)),
      `database: not undone: ${v1} did not start, so the release that was running may still serve on them; databasechangelog still records 1 changeset(s) ${v2} applied: changelog.sql::2::test`,
      'to finish: slipway recover --target prod --yes',
    ]);
    expect(undoLines(await readHistory(s.root), run.run)).not.toContain('db-rollback:begin');
    // observed: current is 1.0.0, but 2.0.0 still answers — on its own schema, which was left as it is
    expect(await s.current()).toBe(v1);
    expect(await s.answer()).toBe('version 2.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);
    // The cause removed, the command the message names finishes: 1.0.0 live, then the database, then the gate.
    rmSync(flag, { recursive: true });
    const gate = await holdGate(s.db.url);
    cleanups.push(gate.open);
    const w = await whileUndoWaits(s, gate, s.answer);
    const watcher = waitFor('the recovery to wait on its rollback SQL', w.at, { timeoutMs: 180_000 });
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    await watcher;
    expect(fix.code, fix.err).toBe(0);
    expect(w.seen()!.answer).toBe('version 1.0.0\n');
    expect(fix.out).toMatch(
      new RegExp(
        `current is still ${v1}; restarted ${v1}; database: rolled back the 1 changeset\\(s\\) ${v2} applied \\(changelog.sql::2::test\\); databasechangelog no longer records them; ${v1} passed its health gate`,
      ),
    );
    expect(await s.answer()).toBe('version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
  }, 300_000);

  it('interrupted (SIGINT during the gate, built CLI) and crash recovery (SIGKILL, then recover --yes): the same order', async () => {
    const s = await setupAppTarget('undoordersig', {});
    cleanups.push(s.cleanup);
    // A long gate: the signal lands while it waits (slipway.config.yaml, which the CLI reads).
    await s.config({ health: { url: `http://127.0.0.1:${s.port}/health`, timeoutMs: 120_000, intervalMs: 50 } });
    const v1 = (await s.cli(['deploy', (await appPackage('1.0.0', [CS1])).path, '--target', 'prod'])).code;
    expect(v1).toBe(0);
    const id1 = (await lastRun(s.root)).release!;
    for (const signal of ['SIGINT', 'SIGKILL'] as const) {
      const gate = await holdGate(s.db.url);
      cleanups.push(gate.open);
      const w = await whileUndoWaits(s, gate, s.answer);
      const pkg = (await appPackage(signal === 'SIGINT' ? '2.0.0' : '3.0.0', [CS1, CS2], { status: 'UNHEALTHY' })).path;
      const begun = (await readHistory(s.root)).length;
      const gated = async () =>
        (await readHistory(s.root)).slice(begun).some((e) => e.step === 'health' && e.status === 'begin');
      let out;
      if (signal === 'SIGINT') {
        // The CLI's handler undoes; the test looks while that undo's SQL waits, from beside the CLI.
        const watcher = waitFor('the undo to wait on its rollback SQL', w.at, { timeoutMs: 180_000 });
        out = await s.cli(['deploy', pkg, '--target', 'prod'], { signal, when: gated });
        await watcher;
        expect(out.code, out.err).toBe(130);
      } else {
        out = await s.cli(['deploy', pkg, '--target', 'prod'], { signal, when: gated });
        expect(out.signal).toBe('SIGKILL');
        expect(await s.answer()).toBe('version 3.0.0\n');
        const watcher = waitFor('the recovery to wait on its rollback SQL', w.at, { timeoutMs: 180_000 });
        out = await s.cli(['recover', '--target', 'prod', '--yes']);
        await watcher;
        expect(out.code, out.err).toBe(0);
      }
      const run = (await readHistory(s.root)).slice(begun).find((e) => e.step === 'run' && e.status === 'begin')!;
      const seen = w.seen()!;
      expect(seen.answer, `${signal}: who answered while the undo's SQL ran`).toBe('version 1.0.0\n');
      expect(seen.o2).toBe(true);
      const order = undoLines(
        await readHistory(s.root),
        run.run,
        signal === 'SIGINT' ? 'health:begin' : 'recover:info',
      );
      const at = (l: string) => order.indexOf(l);
      expect(at('rollback:ok'), `${signal}: ${order.join(' ')}`).toBeGreaterThan(0);
      expect(at('restart:ok'), `${signal}: ${order.join(' ')}`).toBeGreaterThan(at('rollback:ok'));
      expect(at('db-rollback:begin'), `${signal}: ${order.join(' ')}`).toBeGreaterThan(at('restart:ok'));
      expect(at('health:ok'), `${signal}: ${order.join(' ')}`).toBeGreaterThan(at('db-rollback:ok'));
      const text = out.out + out.err;
      expect(text).toMatch(
        new RegExp(
          `current is ${id1} again; restarted ${id1}; database: rolled back the 1 changeset\\(s\\) ${run.release} applied \\(changelog.sql::2::test\\); databasechangelog no longer records them; ${id1} passed its health gate`,
        ),
      );
      expect(await s.current()).toBe(id1);
      expect(await s.answer()).toBe('version 1.0.0\n');
      expect(await s.changelog()).toEqual(['1']);
      expect(await s.lockFree()).toBe(true);
    }
  }, 600_000);

  it.each([
    { keepPrevious: false, how: 'started afresh in the idle slot' },
    { keepPrevious: true, how: 'its slot still running: traffic moved back, no restart' },
  ])(
    'blue-green ($how): traffic is back on 1.0.0 before the rollback SQL runs; the gate after it, over the proxy',
    async ({ keepPrevious }) => {
      const { proxyPort, target } = await blueGreenAppTarget({ blueGreen: { keepPrevious } });
      const s = await setupAppTarget('undoorderbg', target);
      cleanups.push(s.cleanup);
      cleanups.push(() => stopBlueGreen(s.root, 2000).then(() => undefined));
      const config = await s.config();
      const viaProxy = async () =>
        fetch(`http://127.0.0.1:${proxyPort}/`, { signal: AbortSignal.timeout(15_000) }).then(
          (r) => r.text(),
          (x: Error) => `unreachable: ${x.message}`,
        );
      const v1 = (await deploy({ config, packagePath: (await appPackage('1.0.0', [CS1])).path, target: 'prod' }))
        .releaseId;
      expect(await viaProxy()).toBe('version 1.0.0\n');
      // 2.0.0 passes its slot's check, takes the traffic, then turns UNHEALTHY (the file appears once traffic moved):
      // the gate over the proxy fails with 2.0.0 serving.
      const breaks = `${s.dir}/2.0.0-breaks`;
      const pkg2 = await appPackage('2.0.0', [CS1, CS2], { files: { 'application/fail-when.txt': `${breaks}\n` } });
      const gate = await holdGate(s.db.url);
      cleanups.push(gate.open);
      const w = await whileUndoWaits(s, gate, viaProxy);
      /** The process in the slot 1.0.0 ran in (blue, the first deploy's), from the blue-green state. */
      const bluePid = async () => (await readBlueGreenState(blueGreenPaths(s.root).state)).slots.blue?.pid ?? null;
      const before = await bluePid();
      const watcher = waitFor('the undo to wait on its rollback SQL, and the test to look', w.at, {
        timeoutMs: 180_000,
      });
      const onProgress = (ev: DeployEvent) => {
        if (ev.step === 'switch' && ev.status === 'ok') writeFileSync(breaks, '');
      };
      const e = await failing(deploy({ config, packagePath: pkg2.path, target: 'prod', onProgress }));
      await watcher;
      const run = await lastRun(s.root);
      const seen = w.seen()!;
      expect(seen.answer).toBe('version 1.0.0\n');
      expect(seen.o2).toBe(true);
      const order = undoLines(await readHistory(s.root), run.run);
      const at = (l: string) => order.indexOf(l);
      expect(at('rollback:ok'), order.join(' ')).toBeGreaterThan(0);
      expect(at('restart:ok'), order.join(' ')).toBeGreaterThan(at('rollback:ok'));
      expect(at('db-rollback:begin'), order.join(' ')).toBeGreaterThan(at('restart:ok'));
      expect(at('health:ok'), order.join(' ')).toBeGreaterThan(at('db-rollback:ok'));
      expect(e.code).toBe('E_HEALTH');
      const lines = e.details.slice(e.details.findIndex((d) => d.startsWith('rolled back automatically')));
      expect(lines).toEqual([
        `rolled back automatically: current is ${v1} again`,
        keepPrevious ? `traffic moved back to ${v1}, which was still running (no restart)` : `restarted ${v1}`,
        `database: rolled back the 1 changeset(s) ${run.release} applied (changelog.sql::2::test); databasechangelog no longer records them`,
        `${v1} passed its health gate`,
      ]);
      expect(await viaProxy()).toBe('version 1.0.0\n');
      expect(await s.changelog()).toEqual(['1']);
      expect(await s.lockFree()).toBe(true);
      // keepPrevious: the very process 1.0.0 ran in since its deploy took the traffic back; otherwise a new one.
      if (keepPrevious) expect(await bluePid()).toBe(before);
      else expect(await bluePid()).not.toBe(before);
    },
    300_000,
  );
});

describe('slipway rollback puts its target live before it rolls the database back, then gates it', () => {
  it('while the rollback SQL runs, the target (1.0.0) answers on the newer schema; then the gate', async () => {
    const s = await setupAppTarget('undoorderrb', {});
    cleanups.push(s.cleanup);
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: (await appPackage('1.0.0', [CS1])).path, target: 'prod' }))
      .releaseId;
    await deploy({ config, packagePath: (await appPackage('2.0.0', [CS1, CS2])).path, target: 'prod' });
    expect(await s.answer()).toBe('version 2.0.0\n');
    const gate = await holdGate(s.db.url);
    cleanups.push(gate.open);
    const w = await whileUndoWaits(s, gate, s.answer);
    const watcher = waitFor('the rollback SQL to wait, and the test to look', w.at, { timeoutMs: 180_000 });
    const rb = await rollback({ config, target: 'prod' });
    await watcher;
    expect(rb.to).toBe(v1);
    expect(rb.databaseRolledBack.map((k) => k.id)).toEqual(['2']);
    const seen = w.seen()!;
    // While the database went back: the rollback's target served, on the newer schema (o2 still there).
    expect(seen.answer).toBe('version 1.0.0\n');
    expect(seen.o2).toBe(true);
    const run = (await readHistory(s.root)).filter((x) => x.kind === 'rollback' && x.step === 'run').pop()!.run;
    const order = undoLines(await readHistory(s.root), run, 'run:begin');
    const at = (l: string) => order.indexOf(l);
    expect(at('switch:ok'), order.join(' ')).toBeGreaterThan(0);
    expect(at('restart:ok')).toBeGreaterThan(at('switch:ok'));
    expect(at('db-rollback:begin')).toBeGreaterThan(at('restart:ok'));
    expect(at('health:ok')).toBeGreaterThan(at('db-rollback:ok'));
    expect(await s.answer()).toBe('version 1.0.0\n');
    expect(await queryRows(s.db.url, "SELECT to_regclass('o2') IS NOT NULL AS o2")).toEqual([{ o2: false }]);
  }, 300_000);
});
