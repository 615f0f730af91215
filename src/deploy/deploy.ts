import { stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import { loadContracts } from './contracts.js';
import { applyDeploy, verifyPackage, type ApplyState } from './deploy-steps.js';
import { failDeploy } from './deploy-failure.js';
import { makeReleaseId } from './layout.js';
import { LocalTarget } from './local-target.js';
import { planDeploy, type PlanDeployInput } from './plan.js';
import { checkReadiness } from './readiness.js';
import { recoverInterruptedRuns } from './recover.js';
import { selectTarget } from './resolve-target.js';
import { hashFile } from '../fileset/hash.js';
import { normalizeSharedPaths } from './shared.js';
import { interruptedError, makeStepRunner, signalled } from './step-runner.js';
import { withIo } from './io-error.js';
import { blueGreenSettings } from './strategy.js';
import { targetDatabaseUrl } from './target-settings.js';
import type { Target } from './target.js';
import type { DeployOptions, DeployResult } from './types.js';

export { resolveTargetRoot } from './resolve-target.js';

/** `user@host` of whoever runs the deploy. */
export function defaultActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (containers) */
  }
  return `${user}@${hostname()}`;
}

/**
 * The id of a new release: its UTC second, or one second past the newest existing release when deploys come faster
 * than one a second, so ids sort in deploy order (retention and listings rely on it).
 */
export function nextReleaseId(at: Date, sha256: string, existing: string[]): string {
  const newest = existing
    .map((id) => id.slice(0, 16))
    .sort()
    .pop();
  let t = at;
  const stamp = (d: Date) => makeReleaseId(d, sha256).slice(0, 16);
  while (newest && stamp(t) <= newest) t = new Date(t.getTime() + 1000);
  return makeReleaseId(t, sha256);
}

/** A new run id (journal key of one deploy or rollback). */
export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

/** Deploys a package to a target: verify → extract → compat → precheck/backup → migrate → switch → validate → retention. */
export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const t0 = performance.now();
  const now = opts.now ?? (() => new Date());
  const { root, target: t } = selectTarget(opts.config, { target: opts.target, root: opts.root });
  const shared = normalizeSharedPaths(t.shared);
  if (t.strategy === 'blue-green') blueGreenSettings(t);
  const databaseUrl = targetDatabaseUrl(opts.config, t);
  const packagePath = path.resolve(opts.config.configDir, opts.packagePath);
  const st = await stat(packagePath).catch(() => null);
  if (!st?.isFile()) {
    throw new SlipwayError('E_NOT_FOUND', `package not found: ${packagePath}`, {
      file: packagePath,
      hint: 'Build one with `slipway build`, or check the path.',
    });
  }
  const contracts = await loadContracts();
  const target: Target = new LocalTarget(root);
  const sha256 = await hashFile(packagePath);
  const previousNow = await target.readCurrent();
  const watch = t.watch;
  const watchMs = opts.watchMs ?? watch.durationMs;

  if (opts.dryRun) {
    const releaseId = nextReleaseId(now(), sha256, await target.listReleaseDirs());
    const v = await verifyPackage(contracts, packagePath, t, opts.config.configDir, opts.expectedSha256);
    checkReadiness(packagePath, v.readiness, opts.force === true); // a dry run must not promise what deploy refuses
    const plan = planDeploy({
      root,
      releaseId,
      packageName: path.basename(packagePath),
      previous: previousNow,
      target: t,
      databaseUrl,
      hasDatabasePackage: v.hasDatabasePackage,
      watchMs,
      force: opts.force === true,
    });
    return {
      ok: true,
      dryRun: true,
      releaseId,
      root,
      version: v.version,
      sha256,
      previous: previousNow,
      executed: [],
      removed: [],
      rolledBack: false,
      reason: null,
      plan,
      ms: performance.now() - t0,
    };
  }

  await withIo(root, 'prepare the target directory', () => target.prepare());
  const run = newRunId(now());
  const lock = await withIo(target.layout.lock, 'take the lock', () =>
    target.lock({
      run,
      command: `deploy ${path.basename(packagePath)}`,
      wait: opts.wait === true,
      waitMs: t.lockWaitMs,
      onWait: (h) =>
        opts.onProgress?.({
          step: 'lock',
          status: 'info',
          message: `waiting for the lock held by pid ${h?.pid ?? '?'} on ${h?.host ?? '?'}`,
        }),
    }),
  );
  try {
    if (lock.recovered)
      opts.onProgress?.({
        step: 'lock',
        status: 'info',
        message: `recovered a stale lock of pid ${lock.recovered.pid} (${lock.recovered.command}, since ${lock.recovered.startedAt}): that process is gone`,
      });
    const recovery = await recoverInterruptedRuns({
      target,
      t,
      contracts,
      byRun: run,
      databaseUrl,
      targetArg: targetArgOf(opts.target, root),
      onProgress: opts.onProgress,
    });
    for (const m of recovery.messages) opts.onProgress?.({ step: 'recover', status: 'info', message: m });
    if (!recovery.complete) throw incompleteRecovery(recovery.messages, targetArgOf(opts.target, root));
    const previous = await target.readCurrent();
    // Named under the lock, so ids follow the order deploys actually ran in.
    const releaseId = nextReleaseId(now(), sha256, await target.listReleaseDirs());
    const journal = target.journal(run, 'deploy');
    const actor = opts.actor ?? defaultActor();
    await journal.write({
      step: 'run',
      status: 'begin',
      release: releaseId,
      data: { sha256, packageName: path.basename(packagePath), actor, previous, recoveredLock: lock.recovered },
    });
    opts.onProgress?.({
      step: 'run',
      status: 'begin',
      message: `deploy ${releaseId} (current: ${previous ?? 'none'})`,
    });
    const steps = makeStepRunner({
      journal,
      release: releaseId,
      onProgress: opts.onProgress,
      delayMs: opts.testHooks?.delayMs,
      signal: opts.signal,
    });
    // Completed by apply once the verify step knows whether the package carries database/package.sql.
    const planInput: Omit<PlanDeployInput, 'hasDatabasePackage'> = {
      root,
      releaseId,
      packageName: path.basename(packagePath),
      previous,
      target: t,
      databaseUrl,
      watchMs,
      force: opts.force === true,
    };
    const state: ApplyState = { wentLive: false, touchedApp: false, pending: [], executed: [], removed: [] };
    try {
      await applyDeploy({
        opts,
        contracts,
        target,
        t,
        steps,
        run,
        releaseId,
        previous,
        packagePath,
        databaseUrl,
        shared,
        watchMs,
        watch,
        planInput,
        state,
      });
      // A signal during the last step: the operator asked to stop, so the previous release comes back.
      if (opts.signal && (await signalled(opts.signal))) throw interruptedError(opts.signal);
    } catch (e) {
      throw await failDeploy(e, {
        opts,
        contracts,
        target,
        t,
        journal,
        run,
        releaseId,
        previous,
        databaseUrl,
        state,
        targetArg: targetArgOf(opts.target, root),
      });
    }
    await journal
      .write({
        step: 'run',
        status: 'ok',
        release: releaseId,
        data: { executed: state.executed.length, removed: state.removed },
      })
      .catch((e: unknown) => {
        // Every step passed, so the release stays: the next run's recovery sees it passed its gates and keeps it.
        if (e instanceof SlipwayError)
          e.details.push(
            `${releaseId} is live: it passed its health gate and smoke tests; only the end of the run could not be journaled`,
            `the next deploy, rollback or \`slipway recover ${targetArgOf(opts.target, root)} --yes\` records it`,
          );
        throw e;
      });
    return {
      ok: true,
      dryRun: false,
      releaseId,
      root,
      version: state.version ?? null,
      sha256,
      previous,
      executed: state.executed,
      removed: state.removed,
      rolledBack: false,
      reason: null,
      plan: state.plan!,
      ms: performance.now() - t0,
    };
  } finally {
    await lock.release();
  }
}

/** How commands in messages name this target: `--target NAME`, or `--to-dir DIR` for an ad-hoc directory. */
export function targetArgOf(name: string | undefined, root: string): string {
  return name ? `--target ${name}` : `--to-dir ${root}`;
}

/** The error a deploy or rollback stops with when an earlier run could not be fully recovered. */
export function incompleteRecovery(messages: string[], targetArg: string): SlipwayError {
  return new SlipwayError(
    'E_DEPLOY',
    'an interrupted earlier run could not be fully recovered; nothing new was started',
    {
      details: messages,
      hint: `Fix what the details name, then run: slipway recover ${targetArg} --yes`,
    },
  );
}
