/**
 * Putting a target back on one release: the single implementation behind a failed deploy's automatic rollback,
 * an interrupted run (signal) and crash recovery. In this order: it switches `current`, puts that release live
 * (restarts it; blue-green: starts it in the idle slot and moves traffic to it) — or, when nothing was live before,
 * stops the app — THEN undoes exactly the changesets the run applied (read back from databasechangelog), THEN passes
 * the health gate on that final state. So the failed release never serves on a schema being undone: while the
 * rollback SQL runs, the previous release serves on the run's newer schema, which expand/contract migrations are
 * written for. When the previous release could not be put live (the switch, the restart or the stop failed), what
 * serves may still be the failed release, so its changesets are not undone under it: they stay applied, the lines
 * say so, and `slipway recover` (which settles again, in the same order) finishes — except when nothing was live
 * before and no stop command exists, which recover could not change either. What the release it ends on contains
 * always stays applied. Every statement it returns was verified, in the order it happened.
 */
import type { TargetConfig } from '../config/sections/deploy.js';
import { SlipwayError } from '../errors.js';
import { commandUser, releaseEnv } from './activate.js';
import { describeFailure } from './run-command.js';
import type { ChangeSetKey, Contracts } from './contracts.js';
import { withoutRollback } from '../db/rollback.js';
import { readChangeSetIndex, readHistoryTables, rollbackChangeSets } from './db-rollback.js';
import { warnIfSuperuser } from './role-warning.js';
import { changeSetKey, extraChangeSets, readAppliedOrFail, recordedAmong, rowsNotAmong } from './db-state.js';
import type { StepRunner } from './step-runner.js';
import { stopBlueGreen } from './blue-green/index.js';
import { blueGreenSettings, startRelease } from './strategy.js';
import type { Target } from './target.js';

export interface SettleInput {
  contracts: Contracts;
  target: Target;
  t: TargetConfig;
  steps: StepRunner;
  run: string;
  /** The release the target must end on (null: nothing was live, so nothing stays live). */
  to: string | null;
  /**
   * Changesets the run may have applied (journaled before migrating), and the release whose SQL undoes them. Those
   * that `to`'s changesets.json contains always stay applied: the release the target ends on is built on them (as a
   * rollback undoes only what the database has that its target does not) — e.g. `to` is the run's own release that
   * a change under the run (a refused switch) made live, and a recovery of that undo must keep them too.
   */
  undo: { release: string; candidates: ChangeSetKey[] } | null;
  databaseUrl: string | null;
  /** The app may be running something else (a switch or restart began): restart `to`. */
  restart: boolean;
  /** How to name this target in a command (`--target prod`, `--to-dir /srv/app`). */
  targetArg: string;
  /**
   * Cancels the undo's rollback SQL on the server when it fires (pg_cancel_backend, as a migration's statements
   * are). Given only when the run's signal has not fired yet: an undo a signal started runs to its end, and the
   * second signal exits the CLI at once.
   */
  signal?: AbortSignal | undefined;
}

export interface SettleResult {
  /** The release the target was to end on (journaled, so a recovery of an incomplete undo aims at the same one). */
  to: string | null;
  current: string | null;
  restarted: boolean;
  /** null: no health URL configured (or nothing live). */
  healthy: boolean | null;
  dbRolledBack: ChangeSetKey[];
  /** Changesets of the run that stay applied, and why. */
  dbRemaining: ChangeSetKey[];
  /** True when the target is on `to`, healthy (or unchecked), and no changeset stays for a reason recover can fix. */
  complete: boolean;
  /**
   * Why `current` could not be read after a failed switch (an ssh host that cannot be reached): where it points is
   * not known, and `current` is null only because nothing was read. Null when it was read.
   */
  unreadable: string | null;
  /** What was verified, one statement per line (for the error details and the journal). */
  lines: string[];
}

const list = (keys: ChangeSetKey[]) => keys.map(changeSetKey).join(', ');

/**
 * What a closing journal line records of a settle (`data.settled`): where it aimed and ended, its health and
 * changesets, and whether it completed — a recovery of an incomplete undo reads `to` and `complete` back.
 */
export function journaledSettle(r: SettleResult) {
  return {
    to: r.to,
    current: r.current,
    healthy: r.healthy,
    dbRolledBack: r.dbRolledBack,
    dbRemaining: r.dbRemaining,
    complete: r.complete,
  };
}

/** Puts the target on `s.to` (see the module comment). Never throws: failures become lines and `complete: false`. */
export async function settleTarget(s: SettleInput): Promise<SettleResult> {
  const { target, t, steps } = s;
  const lines: string[] = [];
  const r: SettleResult = {
    to: s.to,
    current: null,
    restarted: false,
    healthy: null,
    dbRolledBack: [],
    dbRemaining: [],
    complete: false,
    unreadable: null,
    lines,
  };
  let failed = false;
  /** Changesets left applied because `to`, now live, contains them. */
  let keptForTo = 0;
  const recover = `slipway recover ${s.targetArg} --yes`;
  let switched = false;
  try {
    const was = await target.readCurrent();
    if (was !== s.to) {
      switched = true;
      await steps.run(
        'rollback',
        s.to ? `switch back to ${s.to}` : 'remove current (nothing was live before)',
        async () => {
          // Only from what was just read: a change in between (another controller, a hand on the host) is refused.
          const sw = await target.switchTo(s.to, { expected: was });
          return { value: sw, data: { to: s.to } };
        },
      );
    }
    r.current = await target.readCurrent();
    if (r.current !== s.to) throw new Error(`current is ${r.current ?? '(none)'} after the switch`);
    lines.push(
      s.to
        ? `current is ${switched ? '' : 'still '}${s.to}${switched ? ' again' : ''}`
        : 'nothing is live: current removed (nothing was live before)',
    );
  } catch (e) {
    failed = true;
    r.current = await target.readCurrent().catch((x: unknown) => {
      r.unreadable = x instanceof Error ? x.message : String(x);
      return null;
    });
    lines.push(
      `could not point current at ${s.to ?? '(none)'}: ${(e as Error).message}; ` +
        (r.unreadable === null
          ? `current is ${r.current ?? '(none)'}`
          : `current could not be read either (${r.unreadable}), so where it points is not known`),
    );
  }

  // The previous release live first (or, when nothing was live before, the app stopped); the database after.
  /** Why the run's changesets must not be undone now: what serves may still be the failed release (null: go on). */
  let notLive: string | null = null;
  /** Nothing was live before and nothing can stop what the run started (no stop command): not a recover's job. */
  let stopless = false;
  if (s.to && r.current === s.to) {
    if (s.restart) {
      try {
        const how = await startRelease(steps, target, t, s.to, s.run);
        r.restarted = how !== 'kept' && (Boolean(t.restart) || t.strategy === 'blue-green');
        if (how === 'switched-back') lines.push(`traffic moved back to ${s.to}, which was still running (no restart)`);
        else if (how === 'kept') lines.push(`${s.to} was still live and answered its slot's health check (no restart)`);
        else if (r.restarted) lines.push(`restarted ${s.to}`);
      } catch (e) {
        failed = true;
        if (t.health.url) r.healthy = false;
        lines.push(`${s.to} did not come back: ${(e as Error).message}`);
        notLive = `${s.to} did not start, so the release that was running may still serve on them`;
      }
    }
  } else if (r.current !== s.to || r.unreadable !== null)
    notLive =
      r.unreadable === null
        ? `current is ${r.current ?? '(none)'}, not ${s.to ?? '(none)'}, so the failed release may still serve on them`
        : 'where current points is not known, so the failed release may still serve on them';
  if (s.to === null && s.restart && t.strategy === 'blue-green') {
    // Slipway started the slots (and the proxy in front of them), so it stops them itself: no stop command needed.
    await stopBlueGreen(target.layout.root, blueGreenSettings(t).stopTimeoutMs).then(
      () => lines.push('stopped the blue-green slots and proxy (nothing was live before)'),
      (e: Error) => {
        failed = true;
        lines.push(`the blue-green slots could not be stopped: ${e.message}`);
        notLive ??= 'the blue-green slots were not stopped, so the failed release may still serve on them';
      },
    );
  }
  if (s.to === null && s.restart && t.stop) {
    const stop = t.stop;
    let stopped = false;
    // As the user and with the environment of every package command (runAs, command-env.ts); resolving them is
    // inside the chain, so a failure there is reported like any other, never thrown.
    await (async () =>
      target.exec(stop, {
        env: releaseEnv(target, null, t),
        user: commandUser(t),
        timeoutMs: t.commandTimeoutMs,
        log: `${s.run}-stop.log`,
      }))()
      .then((x) => {
        if (x.code === 0 && !x.timedOut) {
          stopped = true;
          lines.push('stopped the app (stop command)');
        } else {
          // Nothing is live, but whatever the failed release started may still serve.
          failed = true;
          lines.push(`the stop command failed (${describeFailure('it', x, t.commandTimeoutMs)})`);
        }
      })
      .catch((e: Error) => {
        failed = true;
        lines.push(`the stop command could not run: ${e.message}`);
      });
    if (!stopped) notLive ??= 'the app was not stopped, so the failed release may still serve on them';
  } else if (s.to === null && s.restart && t.restart && t.strategy !== 'blue-green') {
    // The restart command started the failed release and nothing can stop it: as when a stop fails, its
    // changesets are not undone under it. Not for recover either (it would find no stop command again): they stay
    // until a release that contains them is deployed, as Capistrano or Kamal leave a failed release's migrations.
    stopless = true;
    notLive ??=
      'no stop command is configured (the target’s `stop`), so nothing stopped the failed release the restart command started, and it may still serve on them';
  }

  if (s.undo && s.undo.candidates.length && s.databaseUrl && notLive !== null) {
    // Not undone under what may still be the failed release: read back what stays, never assumed.
    const of = s.undo.release;
    const url = s.databaseUrl;
    const still = await readHistoryTables(target.releaseDir(of))
      .then((tables) => readAppliedOrFail(url, tables))
      .then((a) => recordedAmong(s.undo!.candidates, a))
      .catch(() => null);
    if (still) r.dbRemaining = still;
    lines.push(
      `database: not undone: ${notLive}` +
        (still
          ? still.length
            ? `; databasechangelog still records ${still.length} changeset(s) ${of} applied: ${list(still)}`
            : '; databasechangelog records none of them'
          : `; databasechangelog could not be read, so which of the ${s.undo.candidates.length} changeset(s) to undo (${list(s.undo.candidates)}) are applied is not known`),
    );
  } else if (s.undo && s.undo.candidates.length && s.databaseUrl) {
    const url = s.databaseUrl;
    const of = s.undo.release;
    try {
      const tables = await readHistoryTables(target.releaseDir(of));
      const recorded = recordedAmong(s.undo.candidates, await readAppliedOrFail(url, tables));
      const toIndex = s.to ? await readChangeSetIndex(target.releaseDir(s.to)) : null;
      const contained = new Set((toIndex ?? []).map(changeSetKey));
      const kept = recorded.filter((k) => contained.has(changeSetKey(k)));
      const mine = recorded.filter((k) => !contained.has(changeSetKey(k)));
      if (kept.length) {
        keptForTo = kept.length;
        r.dbRemaining = kept;
        lines.push(
          `database: ${kept.length} changeset(s) ${of} applied stay applied, because current points at ${s.to}, which contains them: ${list(kept)}`,
        );
      }
      if (mine.length) {
        const index = await readChangeSetIndex(target.releaseDir(of)).catch(() => null);
        const noSql = withoutRollback(index, mine);
        if (!t.rollbackDatabase) {
          r.dbRemaining = [...kept, ...mine];
          lines.push(
            `database: ${mine.length} changeset(s) ${of} applied stay applied (rollbackDatabase is off): ${list(mine)}`,
          );
        } else if (noSql.length) {
          r.dbRemaining = [...kept, ...mine];
          lines.push(
            `database: ${mine.length} changeset(s) ${of} applied stay applied, because ${noSql.length} of them ha${noSql.length === 1 ? 's' : 've'} no rollback SQL (${noSql.join(', ')}): ${list(mine)}`,
          );
        } else {
          await warnIfSuperuser(s.contracts, steps, 'db-rollback', url);
          await steps.run(
            'db-rollback',
            `roll back the ${mine.length} changeset(s) ${of} applied`,
            async () => {
              const rb = await rollbackChangeSets(
                s.contracts,
                url,
                target.releaseDir(of),
                mine,
                s.signal,
                t.allowShellInSql,
              );
              return { value: rb, data: { changesets: mine, of } };
            },
            { beginData: { changesets: mine, of } },
          );
          const still = recordedAmong(mine, await readAppliedOrFail(url, tables));
          r.dbRolledBack = mine.filter((k) => !still.some((x) => changeSetKey(x) === changeSetKey(k)));
          r.dbRemaining = [...kept, ...still];
          if (r.dbRolledBack.length)
            lines.push(
              `database: rolled back the ${r.dbRolledBack.length} changeset(s) ${of} applied (${list(r.dbRolledBack)}); databasechangelog no longer records them`,
            );
          if (still.length) {
            failed = true;
            // The SQL reached its COMMIT (it threw otherwise), yet the rows stayed: their DELETE removed nothing.
            lines.push(
              `database: ${still.length} changeset(s) are still recorded after the rollback: ${list(still)} (its SQL committed, but their rows in databasechangelog were not deleted)`,
            );
          }
        }
      } else if (!kept.length)
        lines.push(`database: databasechangelog records none of ${list(s.undo.candidates)}; nothing to undo`);
    } catch (e) {
      failed = true;
      // What stays is read back, never assumed: the rollback SQL runs in one transaction, but it may have
      // committed before the error (or the database may be unreachable, and then nothing is claimed).
      const still = await readHistoryTables(target.releaseDir(of))
        .then((tables) => readAppliedOrFail(url, tables))
        .then((a) => recordedAmong(s.undo!.candidates, a))
        .catch(() => null);
      if (still) r.dbRemaining = still;
      const n = s.undo.candidates.length;
      lines.push(
        `database: could not undo the changesets ${of} applied: ${(e as Error).message}` +
          (e instanceof SlipwayError && e.details.length ? ` (${e.details.slice(0, 5).join('; ')})` : '') +
          (still
            ? still.length
              ? `; databasechangelog still records ${still.length} of them: ${list(still)}` +
                (s.to && r.current === s.to ? `; ${s.to} is live on the schema with them applied` : '')
              : '; databasechangelog records none of them'
            : `; databasechangelog could not be read, so which of the ${n} changeset(s) to undo (${list(s.undo.candidates)}) are applied is not known`),
      );
    }
  }

  // Whatever else the database holds that `to` does not contain is reported, never touched: no run journaled it
  // as its own (e.g. the journal line that would say so was torn, or someone migrated by hand).
  if (s.databaseUrl && s.to) {
    try {
      const index = await readChangeSetIndex(target.releaseDir(s.to));
      const tables = await readHistoryTables(target.releaseDir(s.to));
      const others = index
        ? rowsNotAmong(extraChangeSets(await readAppliedOrFail(s.databaseUrl, tables), index), [
            ...r.dbRolledBack,
            ...r.dbRemaining,
          ])
        : [];
      if (others.length) {
        r.dbRemaining = [...r.dbRemaining, ...others];
        lines.push(
          `database: ${others.length} changeset(s) that ${s.to} does not contain stay applied (${list(others)}): no interrupted run journaled them as its own, so they are left as they are`,
        );
      }
    } catch {
      /* reported above when the database is unreachable */
    }
  }

  // The health gate on the final state: the release live, its database undone (or what stays, said above).
  if (s.to && r.current === s.to && notLive === null && t.health.url) {
    const url = t.health.url;
    try {
      await steps.run('health', `wait for ${url} (${s.to})`, async () => {
        const w = await s.contracts.waitForHealthy({
          url,
          timeoutMs: t.health.timeoutMs,
          intervalMs: t.health.intervalMs,
          allowDegraded: t.health.allowDegraded,
          ...(t.health.expect ? { expect: t.health.expect } : {}),
        });
        if (!w.ok)
          throw new SlipwayError('E_HEALTH', `${s.to} is not healthy: ${w.last.status} (${w.last.reason})`, {
            ...(w.last.hint ? { hint: w.last.hint } : {}),
          });
        return { value: w, message: `${w.last.status} after ${w.attempts} probe(s)` };
      });
      r.healthy = true;
      lines.push(`${s.to} passed its health gate`);
    } catch (e) {
      failed = true;
      r.healthy = false;
      lines.push(`${s.to} did not come back: ${(e as Error).message}`);
    }
  }

  r.complete = !failed;
  if (failed) lines.push(`to finish: ${recover}`);
  else if (stopless && r.dbRemaining.length)
    lines.push(
      'stop the app by hand; they stay applied until a release that contains them is deployed ' +
        `(slipway deploy <package> ${s.targetArg}), or configure \`stop\` to have a failed first deploy stopped and undone`,
    );
  else if (r.dbRemaining.length > keptForTo)
    lines.push(
      `they stay applied until a release that contains them is deployed (slipway deploy <package> ${s.targetArg})`,
    );
  return r;
}

/**
 * The line a run adds when its journal refused a write while it put the target back (`errors`: those refusals).
 * Without its closing line the run reads as unfinished, and the next run's recovery settles it again.
 */
export function unjournaledNote(errors: string[], closed: boolean, targetArg: string): string[] {
  if (!errors.length) return [];
  return [
    `the journal could not record this: ${errors[0]}` +
      (closed
        ? ''
        : `; the next deploy, rollback or \`slipway recover ${targetArg} --yes\` finds this run unfinished and settles it again`),
  ];
}
