/**
 * `slipway rollback --target <fleet>`: every host back on the same earlier release (the fleet journal's previous
 * successful one, or `--release ID`), host by host in rollout order through settle.ts (switch, restart, health
 * gate), then the database (the changesets that release does not contain, as a local rollback plans them), then
 * every host's health gate again on that final state, then the controller's record. The release must be installed on every host; an unreachable host refuses the rollback.
 */
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import { loadContracts, type ChangeSetKey } from '../deploy/contracts.js';
import { changeSetKey } from '../deploy/db-state.js';
import { rollbackChangeSets } from '../deploy/db-rollback.js';
import { warnIfSuperuser } from '../deploy/role-warning.js';
import { defaultActor } from '../deploy/deploy.js';
import { isReleaseId } from '../deploy/layout.js';
import { deriveReleases, pickRollbackTarget } from '../deploy/release-store.js';
import { planDatabaseRollback } from '../deploy/rollback.js';
import { settleTarget } from '../deploy/settle.js';
import { makeStepRunner } from '../deploy/step-runner.js';
import { targetDatabaseUrl } from '../deploy/target-settings.js';
import type { DeployEvent } from '../deploy/types.js';
import { startControllerRun } from './controller-run.js';
import { emergencyRollbackFleet } from './fleet-emergency.js';
import { recoverFirst, recoverFleetRuns } from './fleet-recover.js';
import { resolveFleet } from './fleet-target.js';
import type { ConnectedHost } from './fleet-connect.js';
import { planBatches } from './rollout-plan.js';
import { gateAfterDatabase, gateFailureLines } from './rollout-undo.js';

export interface FleetRollbackOptions {
  config: Config;
  target: string;
  /** The release to return to; default the fleet's previous successful release. */
  to?: string | undefined;
  appOnly?: boolean | undefined;
  /** Stop, take the release off every host (reverse rollout order), database, restart all at once, notify. */
  emergency?: boolean | undefined;
  wait?: boolean | undefined;
  actor?: string | undefined;
  onProgress?: ((e: DeployEvent & { host?: string }) => void) | undefined;
  /**
   * Fired by the CLI on SIGINT/SIGTERM: the rollback stops before the next host and recovery puts the fleet on one
   * release (recover-plan's rule for a rollback), then it throws E_INTERRUPTED.
   */
  signal?: AbortSignal | undefined;
}

export interface FleetRollbackResult {
  ok: boolean;
  target: string;
  from: string | null;
  to: string;
  hosts: { host: string; from: string | null; current: string | null; healthy: boolean | null }[];
  databaseRolledBack: ChangeSetKey[];
  /** An emergency rollback sent its notification (webhook or command). */
  notified: boolean;
  ms: number;
}

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function rollbackFleet(opts: FleetRollbackOptions): Promise<FleetRollbackResult> {
  const t0 = performance.now();
  const fleet = resolveFleet(opts.config, opts.target);
  const emit = (e: DeployEvent & { host?: string }) => opts.onProgress?.(e);
  const contracts = await loadContracts();
  const databaseUrl = targetDatabaseUrl(opts.config, fleet.controllerView);
  const targetArg = `--target ${fleet.name}`;
  const cr = await startControllerRun(fleet, {
    command: `${opts.emergency ? 'emergency-rollback' : 'rollback'} --target ${fleet.name}`,
    wait: opts.wait,
  });
  const { controller, run } = cr;
  try {
    const open = await cr.openHosts();
    await recoverFirst({ fleet, open, controller, contracts, run, databaseUrl, emit });
    const from = await controller.readCurrent();
    const releases = deriveReleases(await controller.readJournal(), from, new Set(await controller.listReleaseDirs()));
    if (opts.to !== undefined && !isReleaseId(opts.to))
      throw new SlipwayError('E_USAGE', `not a release id: ${JSON.stringify(opts.to)}`);
    const to = opts.to ?? pickRollbackTarget(releases, from)?.id;
    if (!to)
      throw new SlipwayError('E_ROLLBACK', `${fleet.name} has no earlier successful release to roll back to`, {
        hint: 'See `slipway releases --target ' + fleet.name + '`.',
      });
    const missing: string[] = [];
    for (const h of open.hosts) if (!(await h.target.listReleaseDirs()).includes(to)) missing.push(h.host.label);
    if (missing.length)
      throw new SlipwayError('E_ROLLBACK', `${to} is not installed on ${missing.length} host(s); nothing was changed`, {
        details: missing,
      });
    const db =
      databaseUrl && !opts.appOnly
        ? await planDatabaseRollback(controller, fleet.controllerView, databaseUrl, from, to, targetArg)
        : null;
    const actor = opts.actor ?? defaultActor();
    const order = planBatches(open.hosts.length, fleet.t.rollout)
      .flat()
      .map((i) => open.hosts[i]!);
    if (opts.emergency) {
      const e = await emergencyRollbackFleet({
        fleet,
        contracts,
        controller,
        run,
        from,
        to,
        order,
        db,
        databaseUrl,
        actor,
        emit,
      });
      return { ok: true, target: fleet.name, from, to, ...e, ms: performance.now() - t0 };
    }
    const fleetJournal = controller.journal(run, 'rollback');
    // The hosts and their order, for recovery if this controller stops (fleet-recover-plan.ts).
    const labels = order.map((h) => h.host.label);
    await fleetJournal.write({
      step: 'run',
      status: 'begin',
      release: to,
      data: { from, actor, hosts: labels.map((host) => ({ host })), batches: [labels] },
    });
    const results: FleetRollbackResult['hosts'] = [];
    /** Hosts whose state this run could not verify (unreachable), and why. */
    const unverified = new Map<string, string>();
    let complete = true;
    const lines: string[] = [];
    for (const h of order) {
      if (opts.signal?.aborted) {
        const r = await recoverFleetRuns({
          fleet,
          hosts: open.hosts,
          unreachable: [],
          controller,
          contracts,
          byRun: run,
          databaseUrl,
          onProgress: emit,
        });
        throw new SlipwayError(
          'E_INTERRUPTED',
          `the rollback of ${fleet.name} to ${to} was interrupted by ${String(opts.signal.reason)} after ${results.length} of ${order.length} host(s)`,
          {
            details: r.messages,
            hint: r.complete ? undefined : `Finish it: slipway recover ${targetArg} --yes`,
          },
        );
      }
      const journal = h.target.journal(run, 'rollback');
      // A host that cannot be reached (its current not read, or its journal not written) is not verified: the
      // rollback stops there, records which hosts returned and which are not verified, and leaves the run open
      // for recovery — never a thrown E_SSH that leaves the fleet run without a word of what happened.
      let hostFrom: string | null;
      try {
        hostFrom = await h.target.readCurrent();
        await journal.write({
          step: 'run',
          status: 'begin',
          release: to,
          data: { from: hostFrom, actor, fleetRun: run },
        });
      } catch (e) {
        unverified.set(h.host.label, `${msg(e)} (this run had not switched it)`);
        break;
      }
      const s = await settleTarget({
        contracts,
        target: h.target,
        t: h.host.view,
        steps: makeStepRunner({ journal, release: to, onProgress: (e) => emit({ ...e, host: h.host.label }) }),
        run,
        to,
        undo: null,
        databaseUrl: null,
        restart: true,
        targetArg,
      });
      if (s.unreadable !== null) {
        unverified.set(
          h.host.label,
          `${s.unreadable}; its switch to ${to} had begun, so it may be on ${to} or on ${hostFrom ?? '(none)'} — not known`,
        );
        break;
      }
      const closed = await journal
        .write({
          step: 'run',
          status: s.complete ? 'ok' : 'failed',
          release: to,
          data: { from: hostFrom },
          ...(s.complete ? {} : { message: s.lines.join('; ') }),
        })
        .then(
          () => null,
          (e: unknown) => msg(e),
        );
      if (closed !== null) {
        unverified.set(h.host.label, `${s.lines.join('; ')}; but the end of its run could not be journaled: ${closed}`);
        break;
      }
      results.push({ host: h.host.label, from: hostFrom, current: s.current, healthy: s.healthy });
      if (!s.complete) {
        complete = false;
        lines.push(`${h.host.label}: ${s.lines.join('; ')}`);
        break; // never leave more hosts half-done: stop at the first that did not come back
      }
    }
    if (unverified.size) {
      const returned = results.map((r) => r.host);
      const notReached = labels.filter((l) => !returned.includes(l) && !unverified.has(l));
      const details = [
        ...results.map(
          (r) => `${r.host}: returned: current is ${r.current ?? '(none)'}${r.healthy ? ', healthy' : ''}`,
        ),
        ...[...unverified].map(([l, why]) => `${l}: not verified: ${why}`),
        ...(notReached.length
          ? [`not rolled back (the rollback stopped before them): ${notReached.join(', ')}, on the release they had`]
          : []),
        ...(db && db.keys.length ? ['database: nothing rolled back (every host must be verified back first)'] : []),
        `to finish: slipway recover ${targetArg} --yes once ${[...unverified.keys()].join(', ')} can be reached; then run the rollback again`,
      ];
      // Recorded, and the run left open: recovery decides from an unfinished fleet run (fleet-recover-plan.ts).
      await fleetJournal.write({
        step: 'rollback',
        status: 'warning',
        release: to,
        message: `not finished: ${[...unverified.keys()].join(', ')} not verified; the run stays open for slipway recover`,
        data: { returned, unverified: [...unverified.keys()], notReached, databaseRolledBack: [], complete: false },
      });
      throw new SlipwayError(
        'E_ROLLBACK',
        `the rollback of ${fleet.name} to ${to} stopped at a host that cannot be reached: ${[...unverified.keys()].join(', ')}`,
        { details },
      );
    }
    let rolledBack: ChangeSetKey[] = [];
    const fleetSteps = makeStepRunner({ journal: fleetJournal, release: to, onProgress: emit });
    if (complete && db && databaseUrl) {
      await warnIfSuperuser(contracts, fleetSteps, 'db-rollback', databaseUrl);
      await fleetSteps.run(
        'db-rollback',
        `roll back ${db.keys.length} changeset(s) ${to} does not contain`,
        async () => ({
          value: await rollbackChangeSets(
            contracts,
            databaseUrl,
            controller.releaseDir(db.of),
            db.keys,
            undefined,
            fleet.t.allowShellInSql,
          ),
        }),
        { beginData: { changesets: db.keys, of: db.of } },
      );
      rolledBack = db.keys;
    }
    // Every host passed its gate before the database went back: the gate on the final state, journaled in the fleet
    // run (the hosts' runs are closed). A host failing it leaves the fleet on `to` (the database no longer has what
    // the release rolled back from needs), the run failed, and the host named.
    const unhealthy = rolledBack.length
      ? await gateAfterDatabase(
          order.map((h) => ({
            h,
            release: to,
            steps: makeStepRunner({
              journal: fleetJournal,
              release: to,
              onProgress: (e) => emit({ ...e, host: h.host.label }),
            }),
          })),
          contracts,
          run,
        )
      : new Map<ConnectedHost, string>();
    for (const r of results) if ([...unhealthy.keys()].some((h) => h.host.label === r.host)) r.healthy = false;
    const gateLines = gateFailureLines(unhealthy, 'the database rollback');
    if (complete) await controller.switchTo(to);
    if (unhealthy.size) {
      await fleetJournal.write({
        step: 'run',
        status: 'failed',
        release: to,
        message: gateLines.join('; '),
        data: { from, hosts: results.map((r) => r.host), unhealthy: [...unhealthy.keys()].map((h) => h.host.label) },
      });
      throw new SlipwayError(
        'E_HEALTH',
        `the rollback of ${fleet.name} to ${to} put every host on ${to} and rolled the database back, but ${unhealthy.size} host(s) failed the health gate after it`,
        {
          details: [
            ...gateLines,
            `database: rolled back ${rolledBack.length} changeset(s): ${rolledBack.map(changeSetKey).join(', ')}`,
          ],
          hint: `Every host is on ${to}; see the application log on the host(s) above.`,
        },
      );
    }
    await fleetJournal.write({
      step: 'run',
      status: complete ? 'ok' : 'failed',
      release: to,
      data: { from, hosts: results.map((r) => r.host) },
      ...(complete ? {} : { message: lines.join('; ') }),
    });
    if (!complete)
      throw new SlipwayError(
        'E_ROLLBACK',
        `the rollback of ${fleet.name} to ${to} stopped at a host that did not come back`,
        {
          details: [...lines, ...results.map((r) => `${r.host}: current ${r.current ?? '(none)'}`)],
        },
      );
    return {
      ok: true,
      target: fleet.name,
      from,
      to,
      hosts: results,
      databaseRolledBack: rolledBack,
      notified: false,
      ms: performance.now() - t0,
    };
  } finally {
    await cr.end();
  }
}
