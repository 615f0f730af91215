/**
 * Fault injection, seeded and deterministic in what it injects where: a deploy of a package that migrates a real
 * PostgreSQL database (2 new changesets) and restarts a real app (a node HTTP server started by the restart
 * command) is hit at every journaled step boundary — and inside the migration between changesets — by SIGKILL,
 * SIGINT, an unwritable (read-only) journal, a full disk (ENOSPC on a small tmpfs) and a torn journal tail; plus a
 * failing changeset and a hanging health check. After each: `current` is a complete verified release, the app
 * answering is the release `current` names, databasechangelog holds exactly that release's changesets (or the
 * journal and the message list the extra ones and why), the lock is free, and the next deploy succeeds with no
 * manual step. The matrix is printed and written to docs/deploy-guarantees.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, statSync, statfsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploy, pinRelease, readHistory, rollback } from '../../src/deploy/index.js';
import { readLock } from '../../src/deploy/lock.js';
import { verifyTree } from '../../src/deploy/verify-tree.js';
import type { Config } from '../../src/config/schema.js';
import type { DeployEvent, JournalEntry } from '../../src/deploy/types.js';
import type { SlipwayError } from '../../src/errors.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { syncDocSection } from '../helpers/doc-section.js';
import { appPackage } from '../helpers/deploy-target.js';
import { waitFor } from '../helpers/wait.js';
import { bundleTestEntry } from '../helpers/bundle-entry.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { RESTART_SCRIPT, STOP_SCRIPT } from '../fixtures/deploy/app.js';
import type { FixturePackage } from '../fixtures/deploy/make-package.js';
import type { FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { reservedPort } from '../helpers/ports.js';

/** The tmpfs page size: a file's last page may still take bytes on a full tmpfs, a new page may not. */
const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ALL_FAULTS = ['SIGKILL', 'SIGINT', 'journal read-only', 'ENOSPC', 'torn tail'] as const;
export type Fault = (typeof ALL_FAULTS)[number];

const CS: FixtureChangeSet[] = [
  { id: '1', sql: 'CREATE TABLE f1 (id int);', rollback: 'DROP TABLE f1;' },
  { id: '2', sql: 'CREATE TABLE f2 (id int);', rollback: 'DROP TABLE f2;' },
  { id: '3', sql: 'CREATE TABLE f3 (id int); SELECT pg_sleep(0.05);', rollback: 'DROP TABLE f3;' },
];
const BAD: FixtureChangeSet = {
  id: '3',
  sql: 'CREATE TABLE f3 (id int REFERENCES nowhere(id));',
  rollback: 'DROP TABLE f3;',
};

export interface Outcome {
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
}

/** A package of the fixture app whose own smoke test checks that the app answering is this release. */
export function faultPackage(
  version: string,
  changeSets: FixtureChangeSet[],
  extra: Record<string, string> = {},
): Promise<FixturePackage> {
  return appPackage(version, changeSets, {
    files: {
      'tests/smoke/home.mjs': `const r = await fetch(process.env.SLIPWAY_BASE_URL + '/'); if ((await r.text()) !== 'version ${version}\\n') process.exit(1);\n`,
      ...extra,
    },
  });
}

/** One target on its own small tmpfs, its database, its app, and the fault runner built for it. */
export interface FaultTarget {
  db: TestDatabase;
  dir: string;
  root: string;
  port: number;
  config: Config;
  /**
   * The invariants: current is a complete verified release of `version`; the app answering is that release;
   * databasechangelog holds exactly its changesets plus `extra` (listed by the run); the lock is free. Returns the
   * release id.
   */
  assertLive: (version: string, extra?: string[]) => Promise<string>;
  /** Runs test/fixtures/deploy/fault-runner.ts (a deploy or rollback that signals itself at a boundary). */
  runChild: (args: string[]) => Promise<Outcome>;
  cleanup: () => Promise<void>;
}

/**
 * A fault target: a 16 MB tmpfs mounted at `<dir>/target` (so ENOSPC is a real full disk; as root, which CI and
 * this sandbox are — it fails, never skips, elsewhere), a fresh database, the fixture app on a free port, target
 * `prod` with rollbackDatabase on, and the fault runner bundled.
 */
export async function setupFaultTarget(
  prefix: string,
  opts: { healthTimeoutMs: number; commandTimeoutMs: number },
): Promise<FaultTarget> {
  if (process.getuid?.() !== 0)
    throw new Error('the fault suites mount tmpfs filesystems: run them as root (CI and this sandbox do)');
  const db = await createTestDatabase(`slipway_${prefix}`);
  const dir = await mkdtemp(path.join(tmpdir(), `slipway-${prefix}-`));
  const root = path.join(dir, 'target');
  const appState = path.join(dir, 'app');
  await mkdir(root);
  await mkdir(appState);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', root]);
  const port = await reservedPort();
  const config = await makeDeployConfig(dir, {
    databaseUrl: db.url,
    rollbackDatabase: true,
    keep: 3,
    restart: `APP_PORT=${port} APP_STATE=${appState} sh ${RESTART_SCRIPT}`,
    stop: `APP_STATE=${appState} sh ${STOP_SCRIPT}`,
    health: { url: `http://127.0.0.1:${port}/health`, timeoutMs: opts.healthTimeoutMs, intervalMs: 50 },
    commandTimeoutMs: opts.commandTimeoutMs,
    lockWaitMs: 30_000,
  });
  const runner = await bundleTestEntry('test/fixtures/deploy/fault-runner.ts', `${prefix}-runner`);
  const assertLive = async (version: string, extra: string[] = []): Promise<string> => {
    const id = path.basename(await readlink(path.join(root, 'current')));
    const dirOf = path.join(root, 'releases', id);
    expect((await verifyTree(dirOf)).problems).toEqual([]);
    expect((await readFile(path.join(dirOf, 'application/version.txt'), 'utf8')).trim()).toBe(version);
    await waitFor(`the app to answer as ${version}`, async () => {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      return r !== null && (await r.text()) === `version ${version}\n`;
    });
    const index = JSON.parse(await readFile(path.join(dirOf, 'database/changesets.json'), 'utf8')) as { id: string }[];
    const rows = await queryRows(db.url, 'SELECT id FROM databasechangelog ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([...index.map((e) => e.id), ...extra].sort());
    expect(await readLock(path.join(root, '.slipway/lock'))).toBeNull();
    return id;
  };
  const runChild = (args: string[]) =>
    new Promise<Outcome>((resolve) => {
      const child = spawn(process.execPath, [runner, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code, sig) => resolve({ code, signal: sig, out, err }));
    });
  const cleanup = async () => {
    execFileSync('sh', [STOP_SCRIPT], { env: { ...process.env, APP_STATE: appState } });
    execFileSync('umount', ['-l', root]);
    await rm(runner, { force: true });
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  };
  return { db, dir, root, port, config, assertLive, runChild, cleanup };
}

/**
 * "<step>:<status>#<n>" for every event after the run began, as the fault runner counts them (failed steps and
 * info events other than a migration's recorded changesets are no boundaries).
 */
export function boundaryKeys(events: DeployEvent[]): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  let started = false;
  for (const e of events) {
    if (e.step === 'run' && e.status === 'begin') started = true;
    if (!started || e.status === 'failed' || (e.status === 'info' && e.step !== 'migrate')) continue;
    const k = `${e.step}:${e.status}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    out.push(`${k}#${n}`);
  }
  return out;
}

/**
 * An in-process disk fault for a deploy or rollback: `onProgress` injects it synchronously when the event `at`
 * is emitted (its journal line is written by then) — a read-only journal (bind mount remounted ro) or a full disk.
 * `undo` puts the disk right (idempotent); `expectInjected` checks the fault was injected (and the disk full).
 */
export function ioFaultAt(
  root: string,
  fault: Fault,
  at: string,
): { onProgress: (e: DeployEvent) => void; expectInjected: () => void; undo: () => Promise<void> } {
  const j = path.join(root, '.slipway/journal.jsonl');
  const fill = path.join(root, '.fill');
  let injected = false;
  let mountedRo = false;
  let freeAfterFill = -1;
  const seen = new Map<string, number>();
  let started = false;
  const onProgress = (e: DeployEvent) => {
    if (e.step === 'run' && e.status === 'begin') started = true;
    if (!started || e.status === 'failed' || injected) return;
    const k = `${e.step}:${e.status}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (`${k}#${n}` !== at) return;
    injected = true;
    if (fault === 'journal read-only') {
      execFileSync('mount', ['--bind', j, j]);
      mountedRo = true;
      execFileSync('mount', ['-o', 'remount,ro,bind', j]);
    } else {
      // Full from here on, so that the step's next write fails: first the journal's last page is filled up with
      // newlines (blank lines are no entries; the reader skips them), so the next journal line needs a new page;
      // then dd takes every page left. A write that fitted into a page a file already had would succeed on a
      // real full disk too, so without the padding the fault would not bite at every boundary.
      const size = statSync(j).size;
      if (size % PAGE) appendFileSync(j, '\n'.repeat(PAGE - (size % PAGE)));
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${fill}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        /* dd stops at ENOSPC: that is the point */
      }
      freeAfterFill = statfsSync(root).bavail;
    }
  };
  return {
    onProgress,
    expectInjected: () => {
      expect(injected, `the fault was injected at ${at}`).toBe(true);
      if (fault === 'ENOSPC') expect(freeAfterFill, 'free blocks once the tmpfs was filled').toBe(0);
    },
    undo: async () => {
      if (mountedRo) execFileSync('umount', [j]);
      mountedRo = false;
      await rm(fill, { force: true });
    },
  };
}

/**
 * Checks the error a run ended with after a disk fault: E_IO naming a path under `root` with the errno in words,
 * never "internal error", "bug in slipway" nor "damaged". Returns where the disk refused (for the matrix: the
 * journal, or what the step itself was writing) and whether the run's release was kept live.
 */
export function expectDiskError(e: SlipwayError, root: string, fault: Fault): { refused: string; kept: boolean } {
  expect(e.code, `${e.message}\n${e.details?.join('\n')}`).toBe('E_IO');
  expect(`${e.message}\n${e.details.join('\n')}\n${e.hint ?? ''}`).not.toMatch(
    /internal error|bug in slipway|damaged/i,
  );
  const errno =
    fault === 'ENOSPC' ? 'no space left on the device \\(ENOSPC\\)' : 'the filesystem is read-only \\(EROFS\\)';
  expect(e.message).toMatch(new RegExp(`^cannot [a-z ]+ ${root.replace(/[/.]/g, '\\$&')}\\S*: ${errno}$`));
  return {
    refused: path.relative(root, e.file ?? root).replace(/^releases\/[^/]+/, 'releases/<id>') || '.',
    kept: e.details.some((d) => /is live: it passed its health gate and smoke tests/.test(d)),
  };
}

/**
 * Defines the suite for `FAULTS` (one file per group, so the groups run in parallel); `extras` adds the failing
 * changeset, the hanging health check and the real-CLI Ctrl-C cases. `section` names the part of
 * docs/deploy-guarantees.md this group's matrix is written to.
 */
export function faultSuite(section: string, FAULTS: readonly Fault[], extras: boolean): void {
  const rnd = seededRandom(`deploy-faults-${section}`);
  describe(`deploy fault injection: ${FAULTS.join(', ')} (real PostgreSQL, real app, real signals, tmpfs)`, () => {
    let ft: FaultTarget;
    let dir: string;
    let root: string;
    let config: Config;
    let assertLive: FaultTarget['assertLive'];
    const pkg: Record<'P1' | 'P2' | 'BAD' | 'HANG', FixturePackage> = {} as never;
    const ids: Record<string, string> = {};
    let boundaries: string[] = [];
    const matrix = new Map<string, Map<string, string>>();

    const appPackage = faultPackage;

    beforeAll(async () => {
      ft = await setupFaultTarget('faults', { healthTimeoutMs: 3000, commandTimeoutMs: 10_000 });
      ({ dir, root, config, assertLive } = ft);
      pkg.P1 = await appPackage('1.0.0', [CS[0]!]);
      pkg.P2 = await appPackage('2.0.0', CS);
      pkg.BAD = await appPackage('2.1.0', [CS[0]!, CS[1]!, BAD]);
      pkg.HANG = await appPackage('2.2.0', CS, { 'application/hang.txt': 'yes\n' });
      ids.P1 = (await deploy({ config, packagePath: pkg.P1.path, target: 'prod' })).releaseId;
      // The reference run names every boundary a deploy of P2 over P1 journals (and each changeset it records).
      const events: DeployEvent[] = [];
      await deploy({ config, packagePath: pkg.P2.path, target: 'prod', onProgress: (e) => events.push(e) });
      boundaries = boundaryKeys(events);
      ids.P1 = (await rollback({ config, target: 'prod' })).to;
      // pinned: retention never removes it, so every scenario can end back on it
      await pinRelease(root, ids.P1!, true, 'fault-suite');
      await assertLive('1.0.0');
    }, 120_000);

    afterAll(async () => {
      await ft?.cleanup();
    });

    const runChild = (packagePath: string, at: string, signal: 'SIGKILL' | 'SIGINT') =>
      ft.runChild([dir, packagePath, at, signal]);

    /** The final `run` entry of the newest deploy run other than `exceptRun`. */
    async function closingOf(run: string): Promise<JournalEntry | undefined> {
      return (await readHistory(root)).filter((e) => e.run === run && e.step === 'run' && e.status !== 'begin').pop();
    }
    const lastDeployRun = async () =>
      (await readHistory(root)).filter((e) => e.kind === 'deploy' && e.step === 'run' && e.status === 'begin').pop()!
        .run;

    /** Next deploy of P2 (no manual step), then a rollback to P1 (its database changesets undone): both verified. */
    async function nextDeployAndReset(): Promise<string[]> {
      const recovered: string[] = [];
      await deploy({
        config,
        packagePath: pkg.P2.path,
        target: 'prod',
        onProgress: (e) => e.step === 'recover' && recovered.push(e.message ?? ''),
      });
      await assertLive('2.0.0');
      const rb = await rollback({ config, target: 'prod', to: ids.P1 });
      expect(rb.databaseRolledBack.map((k) => k.id)).toEqual(['3', '2']);
      await assertLive('1.0.0');
      return recovered;
    }

    const index = (b: string) => boundaries.indexOf(b);
    /** A run killed after this boundary had passed its gates (smoke ok): recovery keeps it. */
    const passedGates = (b: string) => index(b) >= index('smoke:ok#1');

    async function inject(fault: Fault, at: string): Promise<string> {
      const cs2Recorded = index(at) >= index('migrate:info#1');
      if (fault === 'SIGKILL' || fault === 'torn tail') {
        const run0 = await lastDeployRun();
        const r = await runChild(pkg.P2.path, at, 'SIGKILL');
        expect(r.signal, r.out + r.err).toBe('SIGKILL');
        const link = await readlink(path.join(root, 'current'));
        expect((await verifyTree(path.join(root, link))).problems).toEqual([]); // atomic even while dead
        const killedRun = await lastDeployRun();
        expect(killedRun).not.toBe(run0);
        let keep = passedGates(at);
        let tornNote = '';
        if (fault === 'torn tail') {
          const j = path.join(root, '.slipway/journal.jsonl');
          const text = await readFile(j);
          const lastStart = text.lastIndexOf(0x0a, text.length - 2) + 1;
          const len = text.length - 1 - lastStart;
          const k = rnd.int(1, len); // bytes of the last line that survive
          await truncate(j, lastStart + k);
          tornNote = `@${k}/${len}`;
          // the torn line is not history: the decision is the one the lines before it give
          keep = index(at) - 1 >= index('smoke:ok#1') && at !== 'run:begin#1';
        }
        // The next deploy completes the recovery first (no manual step) and says what it did.
        const recovered = await nextDeployAndReset();
        const closing = await closingOf(killedRun);
        // the migration's "about to run" line is the last one before changesets get recorded: torn, it takes the
        // run's claim to them with it, so whatever it applied is reported (never rolled back on a guess)
        const tornClaim = fault === 'torn tail' && (at === 'migrate:begin#1' || at.startsWith('migrate:info'));
        if (fault === 'torn tail' && at === 'run:begin#1') {
          // the run's only line was torn: it never happened as far as history goes, and nothing live changed
          expect(closing).toBeUndefined();
          keep = false;
        } else {
          expect(closing, JSON.stringify(recovered)).toBeDefined();
          expect(closing!.data?.interrupted).toBe(true);
          if (keep) expect(closing).toMatchObject({ status: 'ok', data: { kept: true } });
          else {
            expect(closing).toMatchObject({ status: 'failed', data: { kept: false } });
            const settled = closing!.data?.settled as
              { current: string; complete: boolean; dbRemaining: { id: string }[] } | undefined;
            expect(settled).toMatchObject({ current: ids.P1, complete: true });
            if (!tornClaim) expect(settled!.dbRemaining).toEqual([]);
            else if (settled!.dbRemaining.length) {
              const keys = settled!.dbRemaining.map((k) => `changelog.sql::${k.id}::test`).join(', ');
              expect(recovered.join('\n')).toContain(
                `changeset(s) that ${ids.P1} does not contain stay applied (${keys}): no interrupted run journaled them as its own, so they are left as they are`,
              );
              tornNote += ` (${settled!.dbRemaining.length} reported)`;
            }
          }
        }
        if (fault === 'torn tail')
          expect(recovered.join('\n')).toMatch(
            /^journal: \d+ unreadable byte\(s\) at its end .* moved to \S+; nothing live was changed because of them$/m,
          );
        return `✓ ${keep ? 'kept 2.0.0' : '→ 1.0.0'}${tornNote}`;
      }
      if (fault === 'SIGINT') {
        const r = await runChild(pkg.P2.path, at, 'SIGINT');
        expect(r.code, r.out + r.err).toBe(130);
        // one line that says the state, then the hint only when recovery is left to do
        const line = r.err.split('\n').find((l) => l.startsWith('error E_INTERRUPTED: '));
        expect(line, r.err).toMatch(
          /^error E_INTERRUPTED: interrupted by SIGINT: (current is (still )?\S+( again)?|\S+ is still live \(current unchanged, app not restarted, database not migrated\))/,
        );
        if (cs2Recorded && index(at) < index('migrate:ok#1'))
          expect(line).toMatch(/database: rolled back the [12] changeset\(s\) \S+ applied/);
        // The previous release live first, then the database, then the gate (settle.ts).
        if (index(at) >= index('switch:begin#1'))
          expect(line).toMatch(/restarted \S+; (database: .*; )?\S+ passed its health gate/);
        expect(r.err).not.toMatch(/^hint:/m);
        await assertLive('1.0.0');
        const closing = await closingOf(await lastDeployRun());
        expect(closing).toMatchObject({ status: 'failed', data: { interrupted: true } });
        await nextDeployAndReset();
        return '✓ → 1.0.0 (exit 130)';
      }
      // In-process: the fault is injected synchronously when the boundary's event is emitted (its journal line written).
      const io = ioFaultAt(root, fault, at);
      const { onProgress } = io;
      let outcome: string;
      try {
        const e = await deploy({ config, packagePath: pkg.P2.path, target: 'prod', onProgress }).then(
          () => null,
          (x: unknown) => x as SlipwayError,
        );
        io.expectInjected();
        // The fault bites at every boundary — with one exception that is checked, not assumed: retention's first
        // act is removing old releases, which frees the pages its next journal line needs on a full disk.
        if (e === null) {
          const run = await lastDeployRun();
          const retention = (await readHistory(root)).find(
            (x) => x.run === run && x.step === 'retention' && x.status === 'ok',
          );
          if (fault !== 'ENOSPC' || at !== 'retention:begin#1' || !/^removed \S/.test(retention?.message ?? ''))
            throw new Error(`the deploy completed although ${fault} was injected at ${at}`);
          await assertLive('2.0.0');
          outcome = '✓ completed 2.0.0 (retention freed space before its next write)';
          await io.undo();
          await nextDeployAndReset();
          return outcome;
        }
        const { refused, kept } = expectDiskError(e, root, fault);
        if (kept) {
          expect(at).toBe(boundaries[boundaries.length - 1]);
          await assertLive('2.0.0');
          outcome = `✓ E_IO ${refused}, kept 2.0.0`;
        } else {
          await assertLive('1.0.0');
          expect(e.details.join('\n')).toMatch(
            /rolled back automatically: current is (still )?\S+( again)?|is still live \(current unchanged, app not restarted, database not migrated\)/,
          );
          outcome = `✓ E_IO ${refused} → 1.0.0`;
        }
      } finally {
        await io.undo();
      }
      // The operator fixed the disk; the next deploy finishes any recovery and succeeds.
      await nextDeployAndReset();
      return outcome;
    }

    it('every fault at every journaled step boundary leaves one verified release live, its database, a free lock', async () => {
      expect(boundaries.length).toBeGreaterThan(20);
      // SLIPWAY_FAULT_BOUNDARIES=a,b narrows a local run while developing; CI runs every boundary.
      const only = process.env.SLIPWAY_FAULT_BOUNDARIES?.split(',');
      for (const b of only ? boundaries.filter((x) => only.includes(x)) : boundaries) {
        const row = new Map<string, string>();
        matrix.set(b, row);
        for (const f of FAULTS) {
          try {
            row.set(f, await inject(f, b));
          } catch (e) {
            row.set(f, '✗');
            throw new Error(`fault ${f} at ${b}: ${(e as Error).message}`, { cause: e });
          }
        }
      }
    }, 3_600_000);

    if (extras)
      it('a failing changeset: exactly the changesets applied before it are rolled back; the message says which', async () => {
        const e = await deploy({ config, packagePath: pkg.BAD.path, target: 'prod' }).then(
          () => null,
          (x: unknown) => x as SlipwayError,
        );
        expect(e?.code).toBe('E_DB');
        expect(e!.details).toContain(`rolled back automatically: current is still ${ids.P1}`);
        expect(e!.details).toContainEqual(
          expect.stringMatching(
            /^database: rolled back the 1 changeset\(s\) \S+ applied \(changelog\.sql::2::test\); databasechangelog no longer records them$/,
          ),
        );
        await assertLive('1.0.0');
        await nextDeployAndReset();
        matrix.set('migrate: changeset 3 fails', new Map([['result', '✓ E_DB, changeset 2 rolled back → 1.0.0']]));
      }, 120_000);

    if (extras)
      it('a hanging health check: the gate times out, the previous release comes back restarted and healthy', async () => {
        const e = await deploy({ config, packagePath: pkg.HANG.path, target: 'prod' }).then(
          () => null,
          (x: unknown) => x as SlipwayError,
        );
        expect(e?.code).toBe('E_HEALTH');
        expect(e!.message).toMatch(/^release \S+ is not healthy: \S+ \(.*\) after \d+ probe\(s\)$/);
        expect(e!.details).toEqual(
          expect.arrayContaining([
            `rolled back automatically: current is ${ids.P1} again`,
            expect.stringMatching(/^database: rolled back the 2 changeset\(s\) \S+ applied/),
            `restarted ${ids.P1}`,
            `${ids.P1} passed its health gate`,
          ]),
        );
        await assertLive('1.0.0');
        await nextDeployAndReset();
        matrix.set('health: hangs', new Map([['result', '✓ E_HEALTH → 1.0.0 restarted, healthy']]));
      }, 120_000);

    if (extras)
      it('Ctrl-C through the real CLI during a hanging health gate: exit 130, one line, previous release back; twice: exits at once, recover finishes', async () => {
        const cli = (args: string[]) =>
          spawn(
            process.execPath,
            [path.join(repo, 'bin/slipway.js'), ...args, '--config', path.join(dir, 'slipway.config.yaml')],
            {
              cwd: dir,
              stdio: ['ignore', 'pipe', 'pipe'],
            },
          );
        const until = (cond: () => Promise<boolean>) => waitFor('the condition', cond, { intervalMs: 20 });
        const healthBegun = async () =>
          (await readFile(path.join(root, '.slipway/journal.jsonl'), 'utf8'))
            .split('\n')
            .slice(-3)
            .some((l) => /"step":"health","status":"begin"/.test(l));
        const exitOf = (c: ReturnType<typeof cli>) =>
          new Promise<Outcome>((resolve) => {
            let out = '';
            let err = '';
            c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
            c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
            c.on('exit', (code, signal) => resolve({ code, signal, out, err }));
          });
        for (const [sig, code] of [
          ['SIGINT', 130],
          ['SIGTERM', 143],
        ] as const) {
          const c = cli(['deploy', pkg.HANG.path, '--target', 'prod']);
          const done = exitOf(c);
          await until(healthBegun);
          c.kill(sig);
          const r = await done;
          expect(r.code, r.err).toBe(code);
          const lines = r.err.split('\n').filter((l) => l.startsWith('error '));
          expect(lines).toEqual([
            expect.stringMatching(
              new RegExp(
                `^error E_INTERRUPTED: interrupted by ${sig}: current is ${ids.P1} again; restarted ${ids.P1}; database: rolled back the 2 changeset\\(s\\) \\S+ applied .*; ${ids.P1} passed its health gate$`,
              ),
            ),
          ]);
          expect(r.err).toContain(
            `${sig} received: stopping the deploy; the previous release comes back unless the run already finished`,
          );
          await assertLive('1.0.0');
        }
        // Twice: the second Ctrl-C exits at once (mid-undo); the target is left to `slipway recover`.
        const c = cli(['deploy', pkg.HANG.path, '--target', 'prod']);
        const done = exitOf(c);
        let stderrSoFar = '';
        c.stderr!.on('data', (d: Buffer) => (stderrSoFar += d.toString()));
        await until(healthBegun);
        c.kill('SIGINT');
        // The second Ctrl-C goes as soon as the CLI has acknowledged the first, i.e. while it undoes the deploy.
        // (Polling the journal's last lines for the rollback step raced with a fast undo on an idle machine.)
        await until(async () => stderrSoFar.includes('SIGINT received: stopping the deploy'));
        c.kill('SIGINT');
        const r = await done;
        expect(r.code).toBe(130);
        expect(r.err).toMatch(
          /SIGINT again: exiting now; the next deploy, rollback or `slipway recover` completes the recovery/,
        );
        const show = await exitOf(cli(['recover', '--target', 'prod']));
        expect(show.code, show.err).toBe(1);
        expect(show.out).toMatch(
          /^deploy run \S+ \(release \S+\) was interrupted at [a-z-]+ \((begin|ok|failed|skipped)\): the deploy of \S+ did not finish: back to \S+; restart and health-check \S+; undo the changesets of \S+ it applied, if still recorded \(2 candidate\(s\)\)$/m,
        );
        expect(show.err).toMatch(/^to complete it: slipway recover --target prod --yes$/m);
        const fix = await exitOf(cli(['recover', '--target', 'prod', '--yes']));
        expect(fix.code, fix.err).toBe(0);
        expect(fix.out).toMatch(
          new RegExp(
            `current is (still )?${ids.P1}( again)?; restarted ${ids.P1}; database: (rolled back the 2 changeset\\(s\\) \\S+ applied|databasechangelog records none of) .*; ${ids.P1} passed its health gate`,
          ),
        );
        await assertLive('1.0.0');
        await nextDeployAndReset();
        matrix.set(
          'health: hangs + Ctrl-C (CLI)',
          new Map([['result', '✓ exit 130 / SIGTERM 143 → 1.0.0; twice: exit at once, `recover --yes` finishes']]),
        );
      }, 300_000);

    afterAll(async () => {
      if (!matrix.size) return;
      const rows = [...matrix]
        .filter(([, r]) => !r.has('result'))
        .map(([b, r]) => [b, ...FAULTS.map((f) => r.get(f) ?? '')]);
      const extra = [...matrix].filter(([, r]) => r.has('result')).map(([b, r]) => `- ${b}: ${r.get('result')}`);
      await reportFaultMatrix({
        section,
        testFile: `test/integration/deploy-faults-${section}.test.ts`,
        head: ['boundary', ...FAULTS],
        rows,
        extra,
        complete: rows.length === boundaries.length,
        seed: rnd.seed,
      });
    });
  });
}

/**
 * Prints a fault matrix (faults × boundaries) and, when every cell passed and every boundary was exercised, keeps
 * its section of docs/deploy-guarantees.md true (test/helpers/doc-section.ts: rewritten with SLIPWAY_WRITE_DOCS=1,
 * otherwise checked to list the same boundaries and faults).
 */
export async function reportFaultMatrix(m: {
  section: string;
  testFile: string;
  head: string[];
  rows: string[][];
  extra: string[];
  complete: boolean;
  seed: number | string;
}): Promise<void> {
  const table = [
    `| ${m.head.join(' | ')} |`,
    `| ${m.head.map(() => '---').join(' | ')} |`,
    ...m.rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  process.stderr.write(`\n${m.section} fault matrix (seed ${m.seed}):\n${table}\n${m.extra.join('\n')}\n`);
  const all = m.complete && m.rows.every((r) => r.slice(1).every((c) => c.startsWith('✓')));
  if (!all) return;
  const doc = path.join(repo, 'docs/deploy-guarantees.md');
  const body = `<!-- fault-matrix:${m.section}:start -->\n_Generated by ${m.testFile} (seed ${m.seed}); every cell passed._\n\n${table}\n\n${m.extra.join('\n')}\n`;
  await syncDocSection(doc, `fault-matrix:${m.section}`, body, m.testFile);
}
