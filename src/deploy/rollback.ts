import type { TargetConfig } from '../config/sections/deploy.js';
import { SlipwayError } from '../errors.js';
import { commandUser, releaseEnv, validateRelease } from './activate.js';
import { startRelease } from './strategy.js';
import { loadContracts, type ChangeSetKey } from './contracts.js';
import { withoutRollback } from '../db/rollback.js';
import { readChangeSetIndex, readHistoryTables, refuseUnsafeRollbackSql, rollbackChangeSets } from './db-rollback.js';
import type { HistoryTables } from '../db/history-tables.js';
import { warnIfSuperuser } from './role-warning.js';
import { asIndexKeys, changeSetKey, extraChangeSets, readAppliedOrFail, recordedAmong } from './db-state.js';
import { toIoError, withIo } from './io-error.js';
import { journaledSettle, settleTarget, unjournaledNote } from './settle.js';
import { isCurrentChanged } from './switch.js';
import { defaultActor, incompleteRecovery, newRunId, targetArgOf } from './deploy.js';
import { isReleaseId } from './layout.js';
import { LocalTarget } from './local-target.js';
import { sendNotification } from './notify.js';
import { recoverInterruptedRuns } from './recover.js';
import { deriveReleases, rollbackCandidates, type ReleaseRecord } from './release-store.js';
import { selectTarget } from './resolve-target.js';
import { describeFailure } from './run-command.js';
import { normalizeSharedPaths } from './shared.js';
import { interruptedError, makeStepRunner, signalled } from './step-runner.js';
import type { Target } from './target.js';
import type { RollbackOptions, RollbackResult } from './types.js';
import path from 'node:path';

/**
 * The rollback target: `--to ID` (must be a complete release that once went live) or the previous good one whose
 * directory still verifies against its SHA256SUMS (a damaged one is skipped, with a message, for the next).
 */
export async function chooseVerifiedTarget(
  releases: ReleaseRecord[],
  current: string | null,
  to: string | undefined,
  verify: (id: string) => Promise<{ ok: boolean; problems: { message: string }[] }>,
  onSkip: (id: string, why: string) => void,
): Promise<ReleaseRecord> {
  const pick = chooseRollbackTarget(releases, current, to);
  const candidates = to ? [pick] : rollbackCandidates(releases, current);
  for (const r of candidates) {
    const v = await verify(r.id);
    if (v.ok) return r;
    if (to) {
      throw new SlipwayError(
        'E_ROLLBACK',
        `release ${r.id} no longer matches its SHA256SUMS: ${v.problems[0]?.message}`,
        { details: v.problems.slice(0, 10).map((p) => p.message) },
      );
    }
    onSkip(r.id, v.problems[0]?.message ?? 'does not verify');
  }
  throw new SlipwayError(
    'E_ROLLBACK',
    `no previous successful release verifies against its SHA256SUMS (${candidates.length} checked)`,
    {
      hint: 'Deploy a known good package instead.',
    },
  );
}

/** Chooses the rollback target: `--to ID` (must be a complete release that once went live) or the previous good one. */
export function chooseRollbackTarget(releases: ReleaseRecord[], current: string | null, to?: string): ReleaseRecord {
  if (to) {
    if (!isReleaseId(to))
      throw new SlipwayError('E_USAGE', `"${to}" is not a release id (like 20261124T201500Z-0123456789ab)`);
    const r = releases.find((x) => x.id === to);
    if (!r || !r.present)
      throw new SlipwayError('E_NOT_FOUND', `release ${to} does not exist on this target`, {
        hint: 'List them with `slipway releases`.',
      });
    if (r.id === current) throw new SlipwayError('E_ROLLBACK', `release ${to} is already current`);
    if (r.completed !== true) {
      throw new SlipwayError(
        'E_ROLLBACK',
        `release ${to} never completed a deploy (${r.result}${r.reason ? `: ${r.reason}` : ''}); refusing to make it live`,
      );
    }
    return r;
  }
  const r = rollbackCandidates(releases, current)[0];
  if (!r) {
    throw new SlipwayError(
      'E_ROLLBACK',
      `no previous successful release to roll back to${current ? ` (current is ${current})` : ''}`,
      {
        hint: 'The journal has no other release that completed a deploy and is still on disk. Deploy a known good package instead.',
      },
    );
  }
  return r;
}

/** Rolls a target back to the previous successful release (or `to`); `emergency` also stops the app and notifies. */
export async function rollback(opts: RollbackOptions): Promise<RollbackResult> {
  const t0 = performance.now();
  const { root, target: t } = selectTarget(opts.config, { target: opts.target, root: opts.root });
  const shared = normalizeSharedPaths(t.shared);
  const databaseUrl = t.databaseUrl ?? opts.config.database.url ?? null;
  const target: Target = new LocalTarget(root);
  const targetArg = targetArgOf(opts.target, root);
  await withIo(root, 'prepare the target directory', () => target.prepare());
  const contracts = await loadContracts();
  const run = newRunId(new Date());
  const kind = opts.emergency ? 'emergency-rollback' : 'rollback';
  const lock = await withIo(target.layout.lock, 'take the lock', () =>
    target.lock({ run, command: kind, wait: opts.wait === true, waitMs: t.lockWaitMs }),
  );
  try {
    if (lock.recovered)
      opts.onProgress?.({
        step: 'lock',
        status: 'info',
        message: `recovered a stale lock of pid ${lock.recovered.pid}: that process is gone`,
      });
    const recovery = await recoverInterruptedRuns({
      target,
      t,
      contracts,
      byRun: run,
      databaseUrl,
      targetArg,
      onProgress: opts.onProgress,
    });
    for (const m of recovery.messages) opts.onProgress?.({ step: 'recover', status: 'info', message: m });
    if (!recovery.complete) throw incompleteRecovery(recovery.messages, targetArg);
    const entries = await target.readJournal();
    const current = await target.readCurrent();
    const releases = deriveReleases(entries, current, new Set(await target.listReleaseDirs()), run);
    const skipped: string[] = [];
    const to = await chooseVerifiedTarget(
      releases,
      current,
      opts.to,
      (id) => target.verifyRelease(id, shared),
      (id, why) => {
        skipped.push(`${id}: ${why}`);
        opts.onProgress?.({
          step: 'rollback',
          status: 'info',
          message: `skipping ${id}: it no longer verifies (${why})`,
        });
      },
    );
    // Decided before anything changes: the changesets the releases being undone applied (what the database has
    // and `to` does not contain), and whether they can be rolled back.
    const dbPlan =
      databaseUrl && !opts.appOnly
        ? await planDatabaseRollback(target, t, databaseUrl, current, to.id, targetArg)
        : null;
    const journal = target.journal(run, kind);
    const steps = makeStepRunner({ journal, release: to.id, onProgress: opts.onProgress, signal: opts.signal });
    await journal.write({
      step: 'run',
      status: 'begin',
      release: to.id,
      data: { from: current, actor: opts.actor ?? defaultActor(), skipped, appOnly: opts.appOnly === true },
    });
    opts.onProgress?.({ step: 'run', status: 'begin', message: `${kind} to ${to.id} (current: ${current ?? 'none'})` });
    let dbBack: ChangeSetKey[] = [];
    let dbBegan = false;
    // The rollback SQL reached its COMMIT: from then on its changes stay, whatever databasechangelog says.
    let dbCommitted = false;
    let notified = false;
    // The switch was refused: current had been moved under this rollback (left where that change put it).
    let changedUnder = false;
    try {
      if (opts.emergency) await stopApp(steps, target, t, current, run);
      await steps.run('switch', `point current at ${to.id}`, async () => {
        // Compare-and-swap (switch.ts): only from the release this rollback read under its lock.
        const r = await target.switchTo(to.id, { expected: current }).catch((e: unknown) => {
          changedUnder = isCurrentChanged(e);
          throw e;
        });
        return { value: r, message: `${r.ms.toFixed(1)} ms`, data: { from: current, switchMs: r.ms } };
      });
      // `to` serves before the database goes back (as every undo, settle.ts): the release being rolled back from
      // never serves on a schema being undone; `to` runs on the newer one meanwhile, as expand/contract allows.
      await startRelease(steps, target, t, to.id, run);
      if (dbPlan && dbPlan.keys.length && databaseUrl) {
        const url = databaseUrl;
        // Before the step's begin line: its SQL follows that line with no other journal write in between.
        await warnIfSuperuser(contracts, steps, 'db-rollback', url);
        await steps.run(
          'db-rollback',
          `roll back the ${dbPlan.keys.length} changeset(s) ${to.id} does not contain`,
          async () => {
            // Began once its begin line is journaled: the same point crash recovery decides from (recover.ts), so
            // a signal or a journal failure just before it sends the target back, not forward.
            dbBegan = true;
            // The signal cancels the statement on the server (a rollback blocked on another session's lock).
            const r = await rollbackChangeSets(
              contracts,
              url,
              target.releaseDir(dbPlan.of),
              dbPlan.keys,
              steps.signal,
              t.allowShellInSql,
            ).catch((x: unknown) => {
              // The statement error's own hint speaks of applying a package; this is a rollback.
              if (!(x instanceof SlipwayError) || x.code !== 'E_DB') throw x;
              throw new SlipwayError('E_ROLLBACK', `rolling back the database failed: ${x.message}`, {
                details: x.details,
                cause: x,
              });
            });
            dbCommitted = true;
            // `of` names the release whose changesets these were, so a second rollback does not undo them twice.
            return { value: r, data: { changesets: dbPlan.keys, of: dbPlan.of } };
          },
          { beginData: { changesets: dbPlan.keys, of: dbPlan.of } },
        );
        const still = recordedAmong(dbPlan.keys, await readAppliedOrFail(url, dbPlan.tables));
        if (still.length)
          throw new SlipwayError(
            'E_ROLLBACK',
            `${still.length} changeset(s) are still recorded after the rollback: its SQL committed, but their rows in databasechangelog were not deleted`,
            { details: still.map(changeSetKey) },
          );
        dbBack = dbPlan.keys;
      } else if (databaseUrl && opts.appOnly) await steps.skip('db-rollback', '--app-only: the database is left as is');
      // The same validation as a deploy: health gate, then the release's own smoke tests.
      await validateRelease(steps, contracts, target, t, to.id, run, true);
      if (opts.signal && (await signalled(opts.signal))) throw interruptedError(opts.signal);
    } catch (e) {
      // Put the target on one verified release: back where it came from, or — once the database rollback undid
      // changesets — forward on `to` (going back would need them re-applied). The rollback SQL runs in one
      // transaction: when it failed, databasechangelog (read back) still records every one of them, nothing needs
      // re-applying, and the target goes back as it would for a refusal.
      const still =
        dbBegan && dbPlan && databaseUrl
          ? await readAppliedOrFail(databaseUrl, dbPlan.tables)
              .then((a) => recordedAmong(dbPlan.keys, a))
              .catch(() => null)
          : null;
      const noneUndone = dbPlan !== null && !dbCommitted && still !== null && still.length === dbPlan.keys.length;
      const forward = dbBegan && !noneUndone;
      // A refused switch changed nothing: current stays where the change under this run put it (read now).
      const back = changedUnder ? await target.readCurrent().catch(() => current) : forward ? to.id : current;
      const dbNote =
        dbBegan && noneUndone
          ? [
              `database: the rollback of the ${dbPlan!.keys.length} changeset(s) did not complete and databasechangelog still records all of them (${dbPlan!.keys.map(changeSetKey).join(', ')}): nothing was undone`,
            ]
          : [];
      const journalErrors: string[] = [];
      const undoSteps = makeStepRunner({
        journal,
        release: to.id,
        onProgress: opts.onProgress,
        onJournalError: (x) => journalErrors.push((x as Error).message),
      });
      const settled = await settleTarget({
        contracts,
        target,
        t,
        steps: undoSteps,
        run,
        to: back,
        undo: forward && dbPlan ? { release: dbPlan.of, candidates: dbPlan.keys } : null,
        databaseUrl,
        restart: !changedUnder || opts.emergency === true, // an emergency rollback had stopped the app
        targetArg,
        // A failure started this undo: a first signal still cancels its rollback SQL (see settleTarget).
        signal: opts.signal?.aborted ? undefined : opts.signal,
      });
      const interrupted = (e instanceof SlipwayError && e.code === 'E_INTERRUPTED') || opts.signal?.aborted === true;
      let closed = true;
      await journal
        .write({
          step: 'run',
          status: 'failed',
          release: to.id,
          message: (e as Error).message,
          data: {
            from: current,
            interrupted,
            settled: journaledSettle(settled),
          },
        })
        .catch((x: Error) => {
          closed = false;
          journalErrors.push(x.message);
        });
      if (opts.emergency)
        await notify(t, target, kind, current, to.id, `emergency rollback FAILED: ${(e as Error).message}`, run).catch(
          () => false,
        );
      const note = unjournaledNote(journalErrors, closed, targetArg);
      if (interrupted)
        throw new SlipwayError(
          'E_INTERRUPTED',
          `${opts.signal?.aborted ? interruptedError(opts.signal).message : (e as Error).message}: ${[...dbNote, ...settled.lines].join('; ')}`,
          {
            details: note,
            ...(settled.complete ? {} : { hint: `Run: slipway recover ${targetArg} --yes` }),
            cause: e,
          },
        );
      const out = toIoError(e, root, 'write under');
      if (out instanceof SlipwayError) {
        out.details.push(...dbNote, ...settled.lines, ...note);
        if (dbNote.length && out.code === 'E_ROLLBACK')
          throw new SlipwayError(out.code, out.message, {
            details: out.details,
            hint: `Fix the cause and run the rollback again, or roll back the application only with: slipway rollback ${targetArg} --app-only (the changesets stay applied).`,
            cause: out,
          });
      }
      throw out;
    }
    await journal
      .write({ step: 'run', status: 'ok', release: to.id, data: { from: current, databaseRolledBack: dbBack } })
      .catch((e: unknown) => {
        // Every step passed: `to` is live and stays; the next run's recovery sees it passed its gates and keeps it.
        if (e instanceof SlipwayError)
          e.details.push(
            `${to.id} is live: it passed its health gate and smoke tests; only the end of the rollback could not be journaled`,
          );
        throw e;
      });
    if (opts.emergency)
      notified = await notify(
        t,
        target,
        kind,
        current,
        to.id,
        `emergency rollback from ${current ?? '(none)'} to ${to.id}`,
        run,
      );
    return {
      ok: true,
      root,
      from: current,
      to: to.id,
      databaseRolledBack: dbBack,
      notified,
      reason: null,
      ms: performance.now() - t0,
    };
  } finally {
    await lock.release();
  }
}

/**
 * The changesets a rollback to `to` must undo: recorded in databasechangelog but not in `to`'s own changeset list
 * (so: applied by the releases being undone), newest first, with the rollback SQL of the live release. Refuses
 * (E_ROLLBACK, listing them) when rollbackDatabase is off or any has no rollback SQL; `--app-only` skips this.
 */
/** The changesets a rollback to `to` must undo (those `to` does not contain), refusing when they cannot be undone. */
export async function planDatabaseRollback(
  target: Target,
  t: TargetConfig,
  databaseUrl: string,
  current: string | null,
  to: string,
  targetArg: string,
): Promise<{ keys: ChangeSetKey[]; of: string; tables: HistoryTables } | null> {
  const toIndex = await readChangeSetIndex(target.releaseDir(to));
  if (!toIndex) return null; // `to` has no database part: it makes no claim about the schema
  const of = current ?? to;
  // The tables of the release whose changesets are undone: the history it wrote.
  const tables = await readHistoryTables(target.releaseDir(of));
  const recorded = extraChangeSets(await readAppliedOrFail(databaseUrl, tables), toIndex);
  if (!recorded.length) return null;
  const index = current ? await readChangeSetIndex(target.releaseDir(current)) : null;
  // A row recorded as `classpath:db/x.xml` is current's changeset `db/x.xml`: named as current's index names it.
  const extras = asIndexKeys(recorded, index);
  const noSql = withoutRollback(index, extras);
  const listed = extras.map(changeSetKey);
  if (t.rollbackDatabase && !noSql.length)
    await refuseUnsafeRollbackSql(
      target.releaseDir(of),
      t.allowShellInSql,
      `Nothing was changed: the rollback would run the rollback SQL of release ${of} on disk.`,
    );
  if (!t.rollbackDatabase || noSql.length) {
    throw new SlipwayError(
      'E_ROLLBACK',
      `the database has ${extras.length} changeset(s) that ${to} does not contain (applied by the releases being undone), and ${
        !t.rollbackDatabase
          ? 'rollbackDatabase is off'
          : `${noSql.length} of them ha${noSql.length === 1 ? 's' : 've'} no rollback SQL: ${noSql.join(', ')}`
      }; nothing was changed`,
      {
        details: listed,
        hint: `Roll back the application only with: slipway rollback ${targetArg} --app-only (the changesets stay applied)${
          t.rollbackDatabase ? '' : ', or turn on deploy.targets.<name>.rollbackDatabase'
        }.`,
      },
    );
  }
  return { keys: extras, of, tables };
}

/** An emergency rollback's stop step: a failing stop command is reported and never blocks the rollback. */
export async function stopApp(
  steps: ReturnType<typeof makeStepRunner>,
  target: Target,
  t: TargetConfig,
  current: string | null,
  run: string,
): Promise<void> {
  if (!t.stop) return steps.skip('stop', 'no stop command configured');
  const cmd = t.stop;
  await steps.run('stop', 'run the stop command', async () => {
    const r = await target.exec(cmd, {
      env: releaseEnv(target, current, t),
      user: commandUser(t),
      timeoutMs: t.commandTimeoutMs,
      log: `${run}-stop.log`,
      ...(current ? { cwd: target.releaseDir(current) } : {}),
    });
    // A stop that fails must not block an emergency rollback: report it and carry on.
    return { value: r, message: r.code === 0 ? 'stopped' : describeFailure('stop command', r, t.commandTimeoutMs) };
  });
}

/** Sends a rollback notification (webhook/command) and journals what was sent; true when one was. */
export async function notify(
  t: TargetConfig,
  target: Target,
  kind: 'rollback' | 'emergency-rollback',
  from: string | null,
  to: string,
  reason: string,
  run: string,
): Promise<boolean> {
  if (!t.notify.webhook && !t.notify.command) return false;
  const r = await sendNotification(
    t.notify,
    { event: kind, root: target.layout.root, from, to, reason, at: new Date().toISOString() },
    { logDir: path.join(target.layout.state, 'logs'), timeoutMs: t.commandTimeoutMs },
  );
  await target.journal(run, kind).write({
    step: 'notify',
    status: r.errors.length ? 'failed' : 'ok',
    release: to,
    message: [...r.sent.map((s) => `sent via ${s}`), ...r.errors].join('; '),
  });
  return r.sent.length > 0;
}
