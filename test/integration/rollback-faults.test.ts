/**
 * Fault injection on the rollback path, seeded and deterministic in what it injects where: a `slipway rollback`
 * from 2.0.0 (3 changesets, a real app) to 1.0.0 (1 changeset) on real PostgreSQL is hit at every journaled
 * rollback step boundary by SIGKILL, SIGINT (the CLI's own handler and exit code), a read-only journal and a full
 * disk (ENOSPC on a tmpfs, filled so the next write needs a new page); plus a database rollback whose changeset
 * fails. After each: `current` is a complete verified release, the app answering is the one `current` names,
 * databasechangelog holds exactly its changesets (or the message lists exactly which extra ones remain), the lock
 * is free, and the next deploy succeeds with no manual step. The matrix is printed and written to
 * docs/deploy-guarantees.md.
 *
 * The rule checked (src/deploy/rollback.ts, src/deploy/recover.ts): until the rollback begins undoing database
 * changesets it goes back to where it came from (2.0.0 restarted and health-gated); from then on it is completed
 * forward to its target (1.0.0), since going back would need undone changesets re-applied.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, statSync, statfsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { deploy, pinRelease, readHistory, recoverTarget, rollback } from '../../src/deploy/index.js';
import { readLock } from '../../src/deploy/lock.js';
import type { DeployEvent, JournalEntry } from '../../src/deploy/types.js';
import { verifyTree } from '../../src/deploy/verify-tree.js';
import type { SlipwayError } from '../../src/errors.js';
import { RESTART_SCRIPT, STOP_SCRIPT, freePort } from '../fixtures/deploy/app.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeDbParts, type FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { makeFixturePackage, type FixturePackage } from '../fixtures/deploy/make-package.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { writeDocSection } from '../helpers/doc-section.js';
import { waitFor } from '../helpers/wait.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
const FAULTS = ['SIGKILL', 'SIGINT', 'journal read-only', 'ENOSPC'] as const;
type Fault = (typeof FAULTS)[number];
const CS: FixtureChangeSet[] = [
  { id: '1', sql: 'CREATE TABLE r1 (id int);', rollback: 'DROP TABLE r1;' },
  { id: '2', sql: 'CREATE TABLE r2 (id int);', rollback: 'DROP TABLE r2;' },
  { id: '3', sql: 'CREATE TABLE r3 (id int);', rollback: 'DROP TABLE r3;' },
];

interface Outcome {
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
}

describe('rollback fault injection: SIGKILL, SIGINT, journal read-only, ENOSPC, failing rollback SQL (real PostgreSQL, real app, tmpfs)', () => {
  // Seeded: the order the faults are tried in at each boundary (each fault starts from the same state).
  const rnd = seededRandom('rollback-faults');
  let db: TestDatabase;
  let dir: string;
  let root: string;
  let appState: string;
  let port: number;
  let config: Config;
  let runner: string;
  let mounted = false;
  let p1 = '';
  const pkg: Record<'P1' | 'P2', FixturePackage> = {} as never;
  let boundaries: string[] = [];
  const matrix = new Map<string, Map<string, string>>();
  const extras: string[] = [];

  async function appPackage(version: string, changeSets: FixtureChangeSet[]) {
    const parts = await makeDbParts(version, changeSets);
    return makeFixturePackage({
      version,
      compatibility: parts.compatibility,
      files: {
        ...parts.files,
        'application/server.mjs': await readFile(path.join(repo, 'test/fixtures/deploy/app-server.mjs'), 'utf8'),
        'application/version.txt': `${version}\n`,
        'tests/smoke/home.mjs': `const r = await fetch(process.env.SLIPWAY_BASE_URL + '/'); if ((await r.text()) !== 'version ${version}\\n') process.exit(1);\n`,
      },
    });
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0)
      throw new Error('the rollback fault suite mounts a tmpfs: run it as root (CI and this sandbox do)');
    db = await createTestDatabase('slipway_rbfaults');
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-rbfaults-'));
    root = path.join(dir, 'target');
    appState = path.join(dir, 'app');
    await mkdir(root);
    await mkdir(appState);
    // Fails loudly (never skips) when mounting is not permitted.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', root]);
    mounted = true;
    port = await freePort();
    config = await makeDeployConfig(dir, {
      databaseUrl: db.url,
      rollbackDatabase: true,
      keep: 3,
      restart: `APP_PORT=${port} APP_STATE=${appState} sh ${RESTART_SCRIPT}`,
      stop: `APP_STATE=${appState} sh ${STOP_SCRIPT}`,
      health: { url: `http://127.0.0.1:${port}/health`, timeoutMs: 5000, intervalMs: 50 },
      commandTimeoutMs: 20_000,
      lockWaitMs: 30_000,
    });
    await mkdir(path.join(repo, '.tmp'), { recursive: true });
    runner = path.join(repo, '.tmp', `rollback-fault-runner-${randomBytes(4).toString('hex')}.mjs`);
    await build({
      entryPoints: [path.join(repo, 'test/fixtures/deploy/fault-runner.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile: runner,
      logLevel: 'error',
    });
    pkg.P1 = await appPackage('1.0.0', [CS[0]!]);
    pkg.P2 = await appPackage('2.0.0', CS);
    p1 = (await deploy({ config, packagePath: pkg.P1.path, target: 'prod' })).releaseId;
    await pinRelease(root, p1, true, 'rollback-fault-suite'); // retention never removes it
    await deploy({ config, packagePath: pkg.P2.path, target: 'prod' });
    // The reference rollback names every boundary a rollback of 2.0.0 to 1.0.0 journals.
    const events: DeployEvent[] = [];
    await rollback({ config, target: 'prod', to: p1, onProgress: (e) => events.push(e) });
    boundaries = boundaryKeys(events);
    await assertLive('1.0.0');
    await deploy({ config, packagePath: pkg.P2.path, target: 'prod' });
    await assertLive('2.0.0');
  }, 300_000);

  afterAll(async () => {
    execFileSync('sh', [STOP_SCRIPT], { env: { ...process.env, APP_STATE: appState } });
    if (mounted) execFileSync('umount', ['-l', root]);
    await rm(runner, { force: true });
    await rm(dir, { recursive: true, force: true });
    await db?.drop();
  });

  /** "<step>:<status>#<n>" for every event after the run began, as the fault runner counts them. */
  function boundaryKeys(events: DeployEvent[]): string[] {
    const seen = new Map<string, number>();
    const out: string[] = [];
    let started = false;
    for (const e of events) {
      if (e.step === 'run' && e.status === 'begin') started = true;
      if (!started || e.status === 'failed' || e.status === 'info') continue;
      const k = `${e.step}:${e.status}`;
      const n = (seen.get(k) ?? 0) + 1;
      seen.set(k, n);
      out.push(`${k}#${n}`);
    }
    return out;
  }

  /**
   * The invariants: current is a complete verified release of `version`; the app answering is that release;
   * databasechangelog holds exactly its changesets plus `extra`; the lock is free. Returns the release id.
   */
  async function assertLive(version: string, extra: string[] = []): Promise<string> {
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
  }

  function runChild(at: string, signal: 'SIGKILL' | 'SIGINT'): Promise<Outcome> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [runner, dir, p1, at, signal, 'rollback'], {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code, sig) => resolve({ code, signal: sig, out, err }));
    });
  }

  const lastRollbackRun = async () =>
    (await readHistory(root)).filter((e) => e.kind === 'rollback' && e.step === 'run' && e.status === 'begin').pop()!
      .run;
  const closingOf = async (run: string): Promise<JournalEntry | undefined> =>
    (await readHistory(root)).filter((e) => e.run === run && e.step === 'run' && e.status !== 'begin').pop();

  /** The next deploy (no manual step) completes any recovery, then 2.0.0 is live again for the next cell. */
  async function nextDeploy(): Promise<void> {
    const r = await deploy({ config, packagePath: pkg.P2.path, target: 'prod' });
    expect(r.ok).toBe(true);
    await assertLive('2.0.0');
  }

  const index = (b: string) => boundaries.indexOf(b);

  async function inject(fault: Fault, at: string): Promise<string> {
    const from = path.basename(await readlink(path.join(root, 'current')));
    if (fault === 'SIGKILL' || fault === 'SIGINT') {
      const run0 = await lastRollbackRun();
      const r = await runChild(at, fault);
      const run = await lastRollbackRun();
      expect(run).not.toBe(run0);
      // Forward once the database rollback began (its begin line is journaled) and was not stopped, back before.
      // SIGKILL stops the run at `at` exactly; SIGINT is handled on the event loop's next turn, so the step under
      // way when it lands finishes first (a switch, say) and the next one does not start — except the rollback
      // SQL, which the signal stops (cancelled on the server, or before its next statement): nothing undone, so
      // back. The journal shows which.
      const dbSteps = (await readHistory(root)).filter((e) => e.run === run && e.step === 'db-rollback');
      const forward = dbSteps.some((e) => e.status === 'begin') && !dbSteps.some((e) => e.status === 'failed');
      if (fault === 'SIGKILL') expect(forward).toBe(index(at) >= index('db-rollback:begin#1'));
      const expected = forward ? p1 : from;
      if (fault === 'SIGKILL') {
        expect(r.signal, r.out + r.err).toBe('SIGKILL');
        const link = await readlink(path.join(root, 'current'));
        expect((await verifyTree(path.join(root, link))).problems).toEqual([]); // atomic even while dead
        // `slipway recover --yes` (what the next deploy also runs first) completes it.
        const rec = await recoverTarget({ config, target: 'prod', yes: true });
        expect(rec.complete, rec.findings.join('\n')).toBe(true);
        const found = rec.findings.join('\n');
        expect(found).toContain(`rollback run ${run} (release ${p1}) was interrupted at`);
        expect(found).toMatch(new RegExp(`current is (still )?${expected}( again)?(;|$)`, 'm'));
        expect(found).toContain(`${expected} passed its health gate`);
      } else {
        expect(r.code, r.out + r.err).toBe(130);
        const lines = r.err.split('\n').filter((l) => l.startsWith('error '));
        expect(lines, r.err).toHaveLength(1);
        // one line naming the release that is live, what happened to the database, and its health gate
        expect(lines[0]).toMatch(
          new RegExp(
            `^error E_INTERRUPTED: interrupted by SIGINT: (database: the rollback of the 2 changeset\\(s\\) did not complete and databasechangelog still records all of them \\(changelog\\.sql::3::test, changelog\\.sql::2::test\\): nothing was undone; )?current is (still )?${expected}( again)?(; database: (rolled back the 2 changeset\\(s\\) ${from} applied \\(changelog\\.sql::3::test, changelog\\.sql::2::test\\); databasechangelog no longer records them|none of the changesets .*))?; restarted ${expected}; ${expected} passed its health gate$`,
          ),
        );
        expect(r.err).not.toMatch(/^hint:/m);
      }
      const closing = await closingOf(run);
      expect(closing).toMatchObject({ status: 'failed', data: { interrupted: true } });
      expect((closing!.data?.settled as { current: string }).current).toBe(expected);
      await assertLive(forward ? '1.0.0' : '2.0.0');
      await nextDeploy();
      return `✓ → ${forward ? '1.0.0' : '2.0.0'}${fault === 'SIGINT' ? ' (exit 130)' : ''}`;
    }
    // In-process: the fault is injected synchronously when the boundary's event is emitted.
    const j = path.join(root, '.slipway/journal.jsonl');
    const fill = path.join(root, '.fill');
    let injected = false;
    let freeAfterFill = -1;
    const seen = new Map<string, number>();
    let started = false;
    const onProgress = (e: DeployEvent) => {
      if (e.step === 'run' && e.status === 'begin') started = true;
      if (!started || e.status === 'failed' || e.status === 'info' || injected) return;
      const k = `${e.step}:${e.status}`;
      const n = (seen.get(k) ?? 0) + 1;
      seen.set(k, n);
      if (`${k}#${n}` !== at) return;
      injected = true;
      if (fault === 'journal read-only') {
        execFileSync('mount', ['--bind', j, j]);
        execFileSync('mount', ['-o', 'remount,ro,bind', j]);
      } else {
        // The journal's last page is filled with newlines (blank lines are no entries) so its next line needs a
        // new page; then every page left is taken: the next write of the rollback fails.
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
    let outcome: string;
    try {
      const e = await rollback({ config, target: 'prod', to: p1, onProgress }).then(
        () => null,
        (x: unknown) => x as SlipwayError,
      );
      expect(injected).toBe(true);
      if (fault === 'ENOSPC') expect(freeAfterFill, 'free blocks once the tmpfs was filled').toBe(0);
      if (e === null) throw new Error(`the rollback completed although ${fault} was injected at ${at}`);
      expect(e.code, `${e.message}\n${e.details?.join('\n')}`).toBe('E_IO');
      expect(`${e.message}\n${e.details.join('\n')}\n${e.hint ?? ''}`).not.toMatch(
        /internal error|bug in slipway|damaged/i,
      );
      const errno =
        fault === 'ENOSPC' ? 'no space left on the device \\(ENOSPC\\)' : 'the filesystem is read-only \\(EROFS\\)';
      expect(e.message).toMatch(new RegExp(`^cannot [a-z ]+ ${root.replace(/[/.]/g, '\\$&')}\\S*: ${errno}$`));
      const refused = path.relative(root, e.file ?? root) || '.';
      // The write after `at` failed: forward only when the database rollback's begin line had been written.
      const forward = index(at) >= index('db-rollback:begin#1');
      const kept = e.details.some((d) => /is live: it passed its health gate and smoke tests/.test(d));
      if (kept) {
        expect(at).toBe(boundaries[boundaries.length - 1]);
        await assertLive('1.0.0');
        outcome = `✓ E_IO ${refused}, 1.0.0 kept`;
      } else {
        expect(e.details).toEqual(
          expect.arrayContaining([
            expect.stringMatching(new RegExp(`^current is (still )?${forward ? p1 : from}( again)?$`)),
            `${forward ? p1 : from} passed its health gate`,
          ]),
        );
        await assertLive(forward ? '1.0.0' : '2.0.0');
        outcome = `✓ E_IO ${refused} → ${forward ? '1.0.0' : '2.0.0'}`;
      }
    } finally {
      if (fault === 'journal read-only' && injected) execFileSync('umount', [j]);
      await rm(fill, { force: true });
    }
    // The operator fixed the disk; the next deploy finishes any recovery and succeeds.
    await nextDeploy();
    return outcome;
  }

  it('every fault at every journaled rollback step boundary leaves one verified release live, its database, a free lock', async () => {
    expect(boundaries).toEqual(
      expect.arrayContaining(['run:begin#1', 'switch:ok#1', 'db-rollback:begin#1', 'db-rollback:ok#1', 'health:ok#1']),
    );
    const only = process.env.SLIPWAY_FAULT_BOUNDARIES?.split(',');
    for (const b of only ? boundaries.filter((x) => only.includes(x)) : boundaries) {
      const row = new Map<string, string>();
      matrix.set(b, row);
      const order = [...FAULTS];
      for (let i = order.length - 1; i > 0; i--) {
        const k = rnd.int(0, i + 1);
        [order[i], order[k]] = [order[k]!, order[i]!];
      }
      for (const f of order) {
        try {
          row.set(f, await inject(f, b));
        } catch (e) {
          row.set(f, '✗');
          throw new Error(`fault ${f} at rollback ${b}: ${(e as Error).message}`, { cause: e });
        }
      }
    }
  }, 3_600_000);

  it('a database rollback whose SQL fails: nothing undone (one transaction), so 2.0.0 stays, and the message says so', async () => {
    const from = path.basename(await readlink(path.join(root, 'current')));
    // Someone made r2 a dependency: DROP TABLE r2 (changeset 2's rollback) now fails, after changeset 3's ran.
    await queryRows(db.url, 'CREATE VIEW r2_view AS SELECT * FROM r2');
    try {
      const e = await rollback({ config, target: 'prod', to: p1 }).then(
        () => null,
        (x: unknown) => x as SlipwayError,
      );
      if (e === null) throw new Error('the rollback succeeded although its SQL cannot run');
      const text = `${e.code} ${e.message}\n${e.details.join('\n')}\nhint: ${e.hint ?? ''}`;
      expect(text).not.toMatch(/internal error|bug in slipway|run the package again/i);
      expect(e.code, text).toBe('E_ROLLBACK');
      expect(e.message).toMatch(
        /^rolling back the database failed: cannot drop table r2 because other objects depend on it \(SQLSTATE 2BP01\)$/,
      );
      // What the test observes is what the message claims: all three changesets recorded, 2.0.0 live and healthy.
      await assertLive('2.0.0');
      expect(e.details).toEqual(
        expect.arrayContaining([
          `database: the rollback of the 2 changeset(s) did not complete and databasechangelog still records all of them (changelog.sql::3::test, changelog.sql::2::test): nothing was undone`,
          expect.stringMatching(new RegExp(`^current is (still )?${from}( again)?$`)),
          `${from} passed its health gate`,
        ]),
      );
      expect(e.hint).toBe(
        'Fix the cause and run the rollback again, or roll back the application only with: slipway rollback --target prod --app-only (the changesets stay applied).',
      );
      const closing = await closingOf(await lastRollbackRun());
      expect(closing).toMatchObject({ status: 'failed', data: { settled: { current: from, complete: true } } });
      extras.push(
        '- rollback SQL of changeset 2 fails (after changeset 3’s, same transaction): ✓ E_ROLLBACK, nothing undone, 2.0.0 stays (restarted, healthy), message lists both',
      );
    } finally {
      await queryRows(db.url, 'DROP VIEW IF EXISTS r2_view');
    }
    // No manual step: the next deploy succeeds, and a rollback now completes.
    await nextDeploy();
    const rb = await rollback({ config, target: 'prod', to: p1 });
    expect(rb.databaseRolledBack.map((k) => k.id)).toEqual(['3', '2']);
    await assertLive('1.0.0');
    await nextDeploy();
  }, 300_000);

  afterAll(async () => {
    if (!matrix.size) return;
    const head = ['rollback boundary', ...FAULTS];
    const rows = [...matrix].map(([b, r]) => [b, ...FAULTS.map((f) => r.get(f) ?? '')]);
    const table = [
      `| ${head.join(' | ')} |`,
      `| ${head.map(() => '---').join(' | ')} |`,
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n');
    const all = rows.every((r) => r.slice(1).every((c) => c.startsWith('✓'))) && rows.length === boundaries.length;
    process.stderr.write(`\nrollback fault matrix (seed ${rnd.seed}):\n${table}\n${extras.join('\n')}\n`);
    if (!all || !extras.length) return;
    const doc = path.join(repo, 'docs/deploy-guarantees.md');
    const body = `<!-- fault-matrix:rollback:start -->\n_Generated by test/integration/rollback-faults.test.ts (seed ${rnd.seed}); every cell passed._\n\n${table}\n\n${extras.join('\n')}\n`;
    expect(await writeDocSection(doc, 'fault-matrix:rollback', body)).toBe(true);
  });
});
