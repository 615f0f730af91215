/**
 * A fleet rollout over SSH (issue 13): the package is checked and extracted on the controller (the local safety
 * rules), uploaded to and installed on EVERY host before ANY is switched, the database is migrated once from the
 * controller, then hosts are switched in batches (canary first), each restarted, health-gated from the controller
 * (the host's health URL) and smoke-tested before the next batch. A failing batch stops the rollout and every host
 * already switched is put back, in reverse order, through the local deploy's undo path (settle.ts), then the
 * database (rollout-undo.ts). Every host keeps its own journal; the controller keeps the fleet journal.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import { commandUser, releaseEnv, restartApp, validateRelease } from '../deploy/activate.js';
import { resolveRunAs } from '../deploy/command-env.js';
import { loadContracts, type ChangeSetKey } from '../deploy/contracts.js';
import { parseChangeSetIndex } from '../deploy/db-rollback.js';
import { defaultActor, nextReleaseId } from '../deploy/deploy.js';
import {
  archiveCompat,
  backupStep,
  compatStep,
  migrateStep,
  retentionRemovals,
  retentionStep,
  verifyPackage,
} from '../deploy/deploy-steps.js';
import { LocalTarget } from '../deploy/local-target.js';
import { checkReadiness } from '../deploy/readiness.js';
import { isCurrentChanged } from '../deploy/switch.js';
import { normalizeSharedPaths } from '../deploy/shared.js';
import { runSmokeTests } from '../deploy/smoke.js';
import { makeStepRunner, type StepRunner } from '../deploy/step-runner.js';
import { targetDatabaseUrl } from '../deploy/target-settings.js';
import type { DeployEvent } from '../deploy/types.js';
import { startControllerRun } from './controller-run.js';
import { connectFleet, type ConnectedHost } from './fleet-connect.js';
import { controllerSelection } from './controller-copy.js';
import { mapSettled } from '../map-limit.js';
import { recoverFirst } from './fleet-recover.js';
import { resolveFleet } from './fleet-target.js';
import { planFleetDeploy, type FleetPlan } from './fleet-plan.js';
import { planBatches } from './rollout-plan.js';
import { watchFleet } from './fleet-watch.js';
import { archivesToPrune, type HostInstall } from './ssh-target.js';
import { hostRunData, undoRollout } from './rollout-undo.js';
import { isNotStarted } from './ssh.js';

export interface FleetDeployOptions {
  config: Config;
  target: string;
  packagePath: string;
  expectedSha256?: string | undefined;
  /** Deploy to the reachable hosts and report the others, instead of refusing the rollout. */
  skipUnreachable?: boolean | undefined;
  /** Watch window after the last batch (ms); default the target's watch.durationMs. A trigger rolls the fleet back. */
  watchMs?: number | undefined;
  force?: boolean | undefined;
  wait?: boolean | undefined;
  actor?: string | undefined;
  /** Progress; `host` is set for a host's own steps. */
  onProgress?: ((e: DeployEvent & { host?: string }) => void) | undefined;
  signal?: AbortSignal | undefined;
  now?: () => Date;
}

export type HostOutcome = 'live' | 'rolled-back' | 'not-switched' | 'unreachable' | 'rollback-incomplete';

export interface FleetHostResult {
  host: string;
  root: string;
  outcome: HostOutcome;
  previous: string | null;
  /** `current` on the host when the run ended (read back), null when not read. */
  current: string | null;
  install: HostInstall | null;
  /** Releases retention removed on the host after the rollout. */
  removed: string[];
  message: string | null;
}

export interface FleetDeployResult {
  ok: boolean;
  target: string;
  releaseId: string;
  version: string;
  sha256: string;
  /** Host labels per batch, in switch order. */
  batches: string[][];
  hosts: FleetHostResult[];
  executed: ChangeSetKey[];
  databaseRolledBack: ChangeSetKey[];
  ms: number;
}

/** The package checked on the controller by the local safety rules: signature, archive inspection, limits, digest. */
async function checkPackage(opts: FleetDeployOptions, fleet = resolveFleet(opts.config, opts.target)) {
  const packagePath = path.resolve(opts.config.configDir, opts.packagePath);
  if (!(await stat(packagePath).catch(() => null))?.isFile())
    throw new SlipwayError('E_NOT_FOUND', `package not found: ${packagePath}`, { file: packagePath });
  resolveRunAs(fleet.t.smokeRunAs, 'smokeRunAs'); // a controller user that cannot be used is refused before anything
  const contracts = await loadContracts();
  const v = await verifyPackage(
    contracts,
    packagePath,
    fleet.controllerView,
    opts.config.configDir,
    opts.expectedSha256,
  );
  checkReadiness(packagePath, v.readiness, opts.force === true); // a dry run must not promise what deploy refuses
  const sha256 = v.sha256; // the digest of the bytes the check read: each host's upload is verified against it
  const databaseUrl = targetDatabaseUrl(opts.config, fleet.controllerView);
  return { fleet, packagePath, contracts, v, sha256, databaseUrl, packageName: path.basename(packagePath) };
}

/**
 * `deploy --dry-run` on an ssh target: checks the package on the controller and returns the rollout's plan per host
 * and batch; no host is contacted (the release id is named from the controller's releases only).
 */
export async function planFleetDeployment(
  opts: FleetDeployOptions,
): Promise<{ plan: FleetPlan; version: string; sha256: string }> {
  const c = await checkPackage(opts);
  const controller = new LocalTarget(c.fleet.controllerRoot);
  const plan = planFleetDeploy({
    fleet: c.fleet,
    releaseId: nextReleaseId((opts.now ?? (() => new Date()))(), c.sha256, await controller.listReleaseDirs()),
    packageName: c.packageName,
    previous: await controller.readCurrent(),
    databaseUrl: c.databaseUrl,
    hasDatabasePackage: c.v.hasDatabasePackage,
    watchMs: opts.watchMs ?? c.fleet.t.watch.durationMs,
  });
  return { plan, version: c.v.version, sha256: c.sha256 };
}

/** Deploys a package to every host of an ssh target (see the module comment). Throws after rolling back. */
export async function deployFleet(opts: FleetDeployOptions): Promise<FleetDeployResult> {
  const t0 = performance.now();
  const now = opts.now ?? (() => new Date());
  // The hosts' ssh handshakes start now and overlap the package check (connectFleet): nothing is sent to a host
  // before the check passed, which closes them when it refuses.
  const resolved = resolveFleet(opts.config, opts.target);
  const connections = await connectFleet(resolved, { early: true });
  // The local safety rules first (nothing leaves this machine before).
  const { fleet, packagePath, contracts, v, sha256, databaseUrl, packageName } = await checkPackage(
    opts,
    resolved,
  ).catch(async (e: unknown) => {
    await connections.close();
    throw e;
  });
  const t = fleet.t;
  const shared = normalizeSharedPaths(t.shared);
  const emit = (e: DeployEvent & { host?: string }) => opts.onProgress?.(e);

  const cr = await startControllerRun(fleet, {
    command: `deploy ${packageName} --target ${fleet.name}`,
    wait: opts.wait,
    now,
    connections,
  });
  const { controller, run } = cr;
  const actor = opts.actor ?? defaultActor();
  try {
    const open = await cr.openHosts({ skipUnreachable: opts.skipUnreachable, archiveSha256: sha256 });
    for (const u of open.unreachable)
      emit({ step: 'lock', status: 'info', message: `skipped (--skip-unreachable): ${u.reason}` });
    const hosts = open.hosts;
    // What a killed controller left is finished first, as every local deploy does (fleet-recover.ts).
    await recoverFirst({ fleet, open, controller, contracts, run, databaseUrl, emit });
    // What openFleet read under the locks (read again when recovery changed it).
    const states = await Promise.all(hosts.map(async (h) => h.target.openedState() ?? (await h.target.readState())));
    const previous = new Map<ConnectedHost, string | null>(hosts.map((h, i) => [h, states[i]!.current]));
    const fleetPrevious = await controller.readCurrent();
    const existing = [await controller.listReleaseDirs(), ...states.map((x) => x.releases)];
    const releaseId = nextReleaseId(now(), sha256, existing.flat());
    const batches = planBatches(hosts.length, t.rollout).map((b) => b.map((i) => hosts[i]!));
    const batchLabels = batches.map((b) => b.map((h) => h.host.label));

    const fleetJournal = controller.journal(run, 'deploy');
    const fleetSteps = makeStepRunner({
      journal: fleetJournal,
      release: releaseId,
      onProgress: emit,
      signal: opts.signal,
    });
    await fleetJournal.write({
      step: 'run',
      status: 'begin',
      release: releaseId,
      data: {
        sha256,
        packageName,
        version: v.version,
        actor,
        previous: fleetPrevious,
        hosts: hosts.map((h) => ({ host: h.host.label, previous: previous.get(h) })),
        unreachable: open.unreachable.map((u) => u.host.label),
        batches: batchLabels,
      },
    });
    const installs = new Map<ConnectedHost, HostInstall>();
    const dbState = { pending: [] as ChangeSetKey[], executed: [] as ChangeSetKey[] };
    const touched: ConnectedHost[] = []; // hosts whose switch began, in order
    const changedUnder = new Map<ConnectedHost, string>(); // hosts whose switch was refused: current had moved
    const notStarted = new Map<ConnectedHost, string>(); // hosts that refused to start the switch command
    const live = new Set<ConnectedHost>();
    const hostSteps = new Map<ConnectedHost, StepRunner>();
    const undo = (e: unknown, journaled: ConnectedHost[]) =>
      undoRollout(e, {
        fleet,
        contracts,
        controller,
        fleetJournal,
        hosts: journaled,
        hostSteps,
        touched,
        changedUnder,
        notStarted,
        previous,
        fleetPrevious,
        releaseId,
        run,
        databaseUrl,
        pending: dbState.pending,
        emit,
        rolloutOrder: batches.flat(),
      });
    // Before any host's journal or disk is touched, so a refusal changes nothing on a host: the package (its
    // version-compatibility.json and database/changesets.json as the package check read them from the archive)
    // against every host's live release (read on the host) and the database, as a local deploy.
    const releaseDir = controller.releaseDir(releaseId);
    const index = await (async () => {
      try {
        const index = parseChangeSetIndex(v.changesetsJson, packagePath);
        const liveVersions = await Promise.all(hosts.map((h) => liveVersionOn(h, previous.get(h) ?? null)));
        const pkg = archiveCompat(v, packagePath);
        if (!pkg) throw new SlipwayError('E_VALIDATE', `${packagePath} has no version-compatibility.json`);
        await compatStep(fleetSteps, pkg, index, databaseUrl, liveVersions);
        return index;
      } catch (e) {
        throw await undo(e, []);
      }
    })();
    for (const h of hosts) {
      // Deferred: each line reaches the host with the next command there, before it acts (SshTarget.journal).
      const journal = h.target.journal(run, 'deploy', undefined, { defer: true });
      await journal.write({
        step: 'run',
        status: 'begin',
        release: releaseId,
        data: hostRunData(fleet, run, { sha256, packageName, version: v.version, actor, previous: previous.get(h) }),
      });
      hostSteps.set(
        h,
        makeStepRunner({
          journal,
          release: releaseId,
          onProgress: (e) => emit({ ...e, host: h.host.label }),
          signal: opts.signal,
        }),
      );
    }

    try {
      // The controller's copy (what it reads: the package metadata and database/ for migrate, rollback and recovery;
      // the whole release when the package ships smoke tests, which run from it — controller-copy.ts) is extracted
      // and verified while the hosts upload and install: both only read the checked archive, and nothing uses the
      // copy before migrate. Both settle before anything else happens (or the rollout is undone).
      const select = controllerSelection(v.kinds);
      const extracted = fleetSteps.run(
        'extract',
        `extract ${releaseId} on the controller (${select ? 'its metadata and database/' : 'all of it: it ships smoke tests, or links the controller would read'})`,
        async () => {
          const r = await controller.installRelease(packagePath, releaseId, {
            limits: t.limits,
            shared: [],
            ...(select ? { select } : {}),
          });
          return { value: r, message: `${r.files} files verified`, data: { files: r.files, whole: !select } };
        },
      );
      // Install on every host before switching any.
      const installing = mapSettled(hosts, t.parallel, (h) =>
        hostSteps.get(h)!.run('extract', `upload and install ${releaseId} on ${h.host.label}`, async () => {
          const r = await h.target.installRelease(packagePath, releaseId, { limits: t.limits, shared, sha256 });
          const i = h.target.lastInstall!;
          installs.set(h, i);
          return {
            value: r,
            message: `${r.files} files verified; ${i.uploadSkipped ? 'archive already there' : `${i.uploadedBytes} bytes uploaded${i.resumedFrom ? ` (resumed at ${i.resumedFrom})` : ''}`}`,
            data: { ...i },
          };
        }),
      );
      const [local, installed] = await Promise.allSettled([extracted, installing]);
      if (local.status === 'rejected') throw local.reason;
      if (installed.status === 'rejected') throw installed.reason;
      const failedInstall = installed.value.findIndex((r) => r.status === 'rejected');
      if (failedInstall >= 0) throw (installed.value[failedInstall] as PromiseRejectedResult).reason;
      await fleetSteps.info('extract', `${releaseId} installed on all ${hosts.length} host(s)`);

      // Once, from the controller, right before migrating (the local deploy's backup step).
      if (databaseUrl && t.backupDatabase)
        await backupStep(fleetSteps, databaseUrl, controller.layout.backups, releaseId, t.commandTimeoutMs);
      else await fleetSteps.skip('backup', databaseUrl ? 'backupDatabase is off' : 'no database configured');
      if (databaseUrl && v.hasDatabasePackage) {
        await migrateStep({
          contracts,
          steps: fleetSteps,
          databaseUrl,
          releaseDir,
          index,
          state: dbState,
          onProgress: emit,
        });
      } else
        await fleetSteps.skip(
          'migrate',
          databaseUrl ? 'the package has no database/package.sql' : 'no database configured',
        );

      const watchMs = opts.watchMs ?? t.watch.durationMs;
      for (const [bi, batch] of batches.entries()) {
        if (bi > 0 && t.rollout.pauseMs > 0) await pause(t.rollout.pauseMs, opts.signal);
        await fleetSteps.info(
          'switch',
          `batch ${bi + 1}/${batches.length}${bi === 0 && t.rollout.canary > 0 ? ' (canary)' : ''}: ${batch.map((h) => h.host.label).join(', ')}`,
        );
        const results = await Promise.allSettled(
          batch.map(async (h) => {
            const steps = hostSteps.get(h)!;
            // Out of rotation from its switch until its health gate passes: the fleet journal records both instants
            // per host, so maxUnavailable can be checked from the record.
            const outAt = new Date().toISOString();
            await steps.run('switch', `point current at ${releaseId}`, async () => {
              touched.push(h);
              // Compare-and-swap: only from the release `open` read under the lock. A current someone else moved
              // since is refused and left as it is — this run never switched it, so its undo does not touch it.
              const from = previous.get(h) ?? null;
              const r = await h.target.switchTo(releaseId, { expected: from }).catch((e: unknown) => {
                if (isCurrentChanged(e)) {
                  touched.splice(touched.indexOf(h), 1);
                  changedUnder.set(h, (e as Error).message);
                } else if (isNotStarted(e)) {
                  // The host refused the switch before it started: this run did not change its current.
                  touched.splice(touched.indexOf(h), 1);
                  notStarted.set(h, (e as Error).message);
                }
                throw e;
              });
              return { value: r, message: `${r.ms.toFixed(1)} ms`, data: { from, switchMs: r.ms } };
            });
            await restartApp(steps, h.target, h.host.view, releaseId, run);
            await validateRelease(steps, contracts, h.target, h.host.view, releaseId, run, false);
            const inAt = new Date().toISOString();
            await fleetSteps.info('health', `${h.host.label} back in rotation on ${releaseId}`, {
              host: h.host.label,
              batch: bi + 1,
              outAt,
              inAt,
            });
            await smokeFromController(steps, h, controller, releaseId, run, fleet.t.smokeRunAs);
            // Its gates are on the host before the next batch, a pause or the watch window begins; without a watch
            // the last batch's go with the hosts' retention, the next command there.
            if (bi < batches.length - 1 || watchMs > 0) await h.target.flushJournal();
            live.add(h);
          }),
        );
        const failed = results.findIndex((r) => r.status === 'rejected');
        if (failed >= 0) {
          const e = (results[failed] as PromiseRejectedResult).reason as unknown;
          const msg = e instanceof Error ? e.message : String(e);
          throw new SlipwayError(
            e instanceof SlipwayError ? e.code : 'E_DEPLOY',
            `batch ${bi + 1}/${batches.length} failed on ${batch[failed]!.host.label}: ${msg}`,
            { cause: e, details: e instanceof SlipwayError ? [...e.details] : [] },
          );
        }
      }
      if (watchMs > 0) await watchStep(fleetSteps, hosts, watchMs, opts.signal);
    } catch (e) {
      throw await undo(e, hosts);
    }

    // Retention, the local rules on every host and on the controller's copies: keep the newest `keep`, never the
    // current, previous, last good, pinned (slipway releases pin --target) or in-progress release. Each host's end is
    // one command (finishHost): its deferred gate lines, its retention and uploaded archives, the closing line of its
    // run, its lock given back. It comes before the fleet's record: recovery keeps an interrupted rollout only when
    // every host's own journal shows its gates passed (or its run closed: then without touching the host, which may
    // have taken another run since its lock was given back), and every host's run is closed on the host before the
    // fleet journal closes the fleet's. A host whose retention fails keeps its releases; the rollout stands (it is
    // live everywhere).
    const removed = new Map<string, string[]>();
    const closed = await mapSettled(hosts, t.parallel, async (h) =>
      removed.set(
        h.host.label,
        await finishHost(h, {
          keep: h.host.view.keep,
          releaseId,
          previous: previous.get(h) ?? null,
          run,
          data: hostRunData(fleet, run, {}),
          emit: (e) => emit({ ...e, host: h.host.label }),
        }),
      ),
    );
    await fleetSteps.run('switch', `the fleet's release is ${releaseId}`, async () => ({
      value: await controller.switchTo(releaseId),
    }));
    await retentionStep(fleetSteps, controller, t.keep, releaseId, fleetPrevious, run).catch(() => []);
    const notClosed = closed.findIndex((r) => r.status === 'rejected');
    if (notClosed >= 0) throw (closed[notClosed] as PromiseRejectedResult).reason;
    await fleetJournal.write({
      step: 'run',
      status: 'ok',
      release: releaseId,
      data: { executed: dbState.executed.length, hosts: hosts.map((h) => h.host.label) },
    });
    const hostResults: FleetHostResult[] = [
      ...hosts.map((h) => ({
        host: h.host.label,
        root: h.host.root,
        outcome: 'live' as const,
        previous: previous.get(h) ?? null,
        current: releaseId,
        install: installs.get(h) ?? null,
        removed: removed.get(h.host.label) ?? [],
        message: null,
      })),
      ...open.unreachable.map((u) => ({
        host: u.host.label,
        root: u.host.root,
        outcome: 'unreachable' as const,
        previous: null,
        current: null,
        install: null,
        removed: [],
        message: u.reason,
      })),
    ];
    return {
      ok: true,
      target: fleet.name,
      releaseId,
      version: v.version,
      sha256,
      batches: batchLabels,
      hosts: hostResults,
      executed: dbState.executed,
      databaseRolledBack: [],
      ms: performance.now() - t0,
    };
  } finally {
    await cr.end();
  }
}

/**
 * The end of a deploy on one host, in one round trip (SshTarget.finish): the deferred journal lines, the retention
 * step (planned from what the target knows of the host: the journal and releases `open` read under the lock plus
 * what this run did since), the uploaded archives no kept release came from, the run's closing line and the host's
 * lock (when that fails, the run's end gives it back, as after a retention that was not done). When the
 * host's journal changed meanwhile (another process wrote it), the state is read again and the plan made again,
 * once; then retention is skipped for this deploy with a warning. A failing retention keeps the host's releases and
 * still closes the run; a run that cannot be closed on the host throws. Returns the releases removed.
 */
async function finishHost(
  h: ConnectedHost,
  o: {
    keep: number;
    releaseId: string;
    previous: string | null;
    run: string;
    data: Record<string, unknown>;
    emit: (e: DeployEvent) => void;
  },
): Promise<string[]> {
  const journal = h.target.journal(o.run, 'deploy', undefined, { defer: true });
  const line = (e: Omit<DeployEvent, 'ms'> & { data?: Record<string, unknown> }) => ({ release: o.releaseId, ...e });
  const action = `keep the newest ${o.keep}; remove the uploaded archives no kept release came from`;
  const closing = line({ step: 'run', status: 'ok', data: o.data });
  await journal.write(line({ step: 'retention', status: 'begin', message: action })); // ahead of the removals
  o.emit({ step: 'retention', status: 'begin', message: action });
  const t0 = performance.now();
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const known = h.target.knownState() ?? (await h.target.readState(), h.target.knownState());
      if (!known) break;
      const remove = retentionRemovals(known.entries, known.releases, o.keep, o.releaseId, o.previous, o.run);
      const archives = archivesToPrune(
        known.archives,
        known.releases.filter((id) => !remove.includes(id)),
      );
      const message =
        [remove.length ? `removed ${remove.join(', ')}` : '', archives.length ? `archives ${archives.join(', ')}` : '']
          .filter(Boolean)
          .join('; ') || 'nothing to remove';
      const data = { removed: remove, archives, ms: Math.round(performance.now() - t0) };
      if (
        await h.target.finish(
          remove,
          archives,
          o.run,
          'deploy',
          [line({ step: 'retention', status: 'ok', message, data }), closing],
          // The host's lock goes with its run's closing line: nothing of this run is written there after it, and
          // recovery keeps a run every host closed (fleet-recover-plan.ts) whatever the hosts did since.
          { unlock: true },
        )
      ) {
        o.emit({ step: 'retention', status: 'ok', ms: Math.round(performance.now() - t0), message });
        return remove;
      }
    }
    const message = "the host's journal changed while it was planned: retention is left to the next deploy";
    await journal.write(line({ step: 'retention', status: 'warning', message }));
    o.emit({ step: 'retention', status: 'warning', message });
  } catch (e) {
    const message = e instanceof SlipwayError ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e);
    await journal.write(line({ step: 'retention', status: 'failed', message }));
    o.emit({ step: 'retention', status: 'failed', ms: Math.round(performance.now() - t0), message });
  }
  await journal.write(closing);
  await h.target.flushJournal();
  return [];
}

/**
 * The watch window (fleet-watch.ts) as the fleet's `health` step: every host watched at once, the metrics judged
 * per host and aggregated; a trigger throws E_HEALTH (the rollout's undo then puts the whole fleet back).
 */
async function watchStep(
  steps: StepRunner,
  hosts: ConnectedHost[],
  watchMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const n = hosts.filter((h) => h.host.view.health.url).length;
  if (!n) return steps.skip('health', 'watch window: no host has a health URL');
  await steps.run('health', `watch ${n} host(s) for ${Math.round(watchMs / 1000)} s`, async () => {
    const w = await watchFleet({ hosts, durationMs: watchMs, signal });
    const data = { hosts: w.hosts, aggregate: w.aggregate, triggeredOn: w.triggeredOn };
    if (w.aborted || (!w.ok && !w.trigger))
      throw new SlipwayError('E_INTERRUPTED', 'interrupted during the watch window', { details: [] });
    if (!w.ok)
      throw new SlipwayError('E_HEALTH', `watch window: ${w.triggeredOn}: ${w.trigger!.name}: ${w.trigger!.reason}`, {
        details: w.hosts.map((h) => `${h.host}: ${h.probes} probe(s)${h.trigger ? `, ${h.trigger.name}` : ''}`),
      });
    const rate =
      w.aggregate.errorRate === null ? '' : `; fleet error rate ${(w.aggregate.errorRate * 100).toFixed(2)} %`;
    return {
      value: w,
      message: `${w.hosts.reduce((x, h) => x + h.probes, 0)} probe(s) on ${n} host(s), no trigger${rate}`,
      data,
    };
  });
}

/** The version of the release live on a host (its version-compatibility.json, read there); null when none. */
async function liveVersionOn(h: ConnectedHost, current: string | null): Promise<string | null> {
  if (!current) return null;
  const text = await h.target.readReleaseFile(current, 'version-compatibility.json');
  try {
    return text ? ((JSON.parse(text.toString('utf8')) as { version?: string }).version ?? null) : null;
  } catch {
    return null; // as a local deploy reads an unreadable file: nothing to judge the upgrade from
  }
}

/** A configured pause between batches (not a test wait): ends early, with E_INTERRUPTED, on a signal. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new SlipwayError('E_INTERRUPTED', 'interrupted during the pause between batches'));
      },
      { once: true },
    );
  });
}

/**
 * The package's smoke tests, run on the controller (cwd: the release extracted there) against this host: its
 * health URL's origin is SLIPWAY_BASE_URL. Hosts need no Node for this.
 */
export async function smokeFromController(
  steps: StepRunner,
  h: ConnectedHost,
  controller: LocalTarget,
  releaseId: string,
  run: string,
  smokeRunAs: string | number | undefined,
): Promise<void> {
  // The controller's user for package code (smokeRunAs), looked up on the controller as a local runAs is.
  const view = { ...h.host.view, runAs: smokeRunAs };
  if (!view.smokeTests) return steps.skip('smoke', 'smokeTests is off');
  await steps.run('smoke', `run the package smoke tests against ${h.host.label}`, async () => {
    const env = { ...releaseEnv(h.target, releaseId, view), SLIPWAY_RELEASE_DIR: controller.releaseDir(releaseId) };
    const r = await runSmokeTests({
      releaseDir: controller.releaseDir(releaseId),
      env,
      user: commandUser(view),
      timeoutMs: view.commandTimeoutMs,
      logDir: path.join(controller.layout.state, 'logs', run, `smoke-${h.host.index + 1}`),
      ...(steps.signal ? { signal: steps.signal } : {}),
    });
    if (!r.ok)
      throw new SlipwayError('E_DEPLOY', r.tests.find((x) => !x.ok)?.reason ?? 'smoke test failed', {
        hint: `See ${path.join(controller.layout.state, 'logs', run)}.`,
      });
    return {
      value: undefined,
      message: r.tests.length ? `${r.tests.length} smoke test(s) passed` : 'the package has no tests/smoke',
      data: { tests: r.tests },
    };
  });
}
