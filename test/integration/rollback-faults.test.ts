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
import { readlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { deploy, pinRelease, readHistory, recoverTarget, rollback } from '../../src/deploy/index.js';
import type { DeployEvent, JournalEntry } from '../../src/deploy/types.js';
import { verifyTree } from '../../src/deploy/verify-tree.js';
import type { SlipwayError } from '../../src/errors.js';
import type { FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import type { FixturePackage } from '../fixtures/deploy/make-package.js';
import { queryRows } from '../helpers/pg.js';
import { seededRandom } from '../helpers/seeded-random.js';
import {
  boundaryKeys,
  expectDiskError,
  faultPackage,
  ioFaultAt,
  setupFaultTarget,
  type FaultTarget,
  reportFaultMatrix,
} from './deploy-faults-harness.js';

const FAULTS = ['SIGKILL', 'SIGINT', 'journal read-only', 'ENOSPC'] as const;
type Fault = (typeof FAULTS)[number];
const CS: FixtureChangeSet[] = [
  { id: '1', sql: 'CREATE TABLE r1 (id int);', rollback: 'DROP TABLE r1;' },
  { id: '2', sql: 'CREATE TABLE r2 (id int);', rollback: 'DROP TABLE r2;' },
  { id: '3', sql: 'CREATE TABLE r3 (id int);', rollback: 'DROP TABLE r3;' },
];

describe('rollback fault injection: SIGKILL, SIGINT, journal read-only, ENOSPC, failing rollback SQL (real PostgreSQL, real app, tmpfs)', () => {
  // Seeded: the order the faults are tried in at each boundary (each fault starts from the same state).
  const rnd = seededRandom('rollback-faults');
  let ft: FaultTarget;
  let db: FaultTarget['db'];
  let dir: string;
  let root: string;
  let config: Config;
  let assertLive: FaultTarget['assertLive'];
  let p1 = '';
  const pkg: Record<'P1' | 'P2', FixturePackage> = {} as never;
  let boundaries: string[] = [];
  const matrix = new Map<string, Map<string, string>>();
  const extras: string[] = [];
  const appPackage = faultPackage;

  beforeAll(async () => {
    // No cell here waits for a command to time out, so the bound is only for a loaded machine: a restart (a new Node
    // app) took more than 20 s once under load 15-25.
    ft = await setupFaultTarget('rbfaults', { healthTimeoutMs: 5000, commandTimeoutMs: 60_000 });
    ({ db, dir, root, config, assertLive } = ft);
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
    await ft?.cleanup();
  });

  const runChild = (at: string, signal: 'SIGKILL' | 'SIGINT') => ft.runChild([dir, p1, at, signal, 'rollback']);

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
            `^error E_INTERRUPTED: interrupted by SIGINT: (database: the rollback of the 2 changeset\\(s\\) did not complete and databasechangelog still records all of them \\(changelog\\.sql::3::test, changelog\\.sql::2::test\\): nothing was undone; )?current is (still )?${expected}( again)?; restarted ${expected}(; database: (rolled back the 2 changeset\\(s\\) ${from} applied \\(changelog\\.sql::3::test, changelog\\.sql::2::test\\); databasechangelog no longer records them|databasechangelog records none of .*; nothing to undo))?; ${expected} passed its health gate$`,
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
    const io = ioFaultAt(root, fault, at);
    const { onProgress } = io;
    let outcome: string;
    try {
      const e = await rollback({ config, target: 'prod', to: p1, onProgress }).then(
        () => null,
        (x: unknown) => x as SlipwayError,
      );
      io.expectInjected();
      if (e === null) throw new Error(`the rollback completed although ${fault} was injected at ${at}`);
      const { refused, kept } = expectDiskError(e, root, fault);
      // The write after `at` failed: forward only when the database rollback's begin line had been written.
      const forward = index(at) >= index('db-rollback:begin#1');
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
      await io.undo();
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
    await reportFaultMatrix({
      section: 'rollback',
      testFile: 'test/integration/rollback-faults.test.ts',
      head: ['rollback boundary', ...FAULTS],
      rows: [...matrix].map(([b, r]) => [b, ...FAULTS.map((f) => r.get(f) ?? '')]),
      extra: extras,
      complete: matrix.size === boundaries.length && extras.length > 0,
      seed: rnd.seed,
    });
  });
});
