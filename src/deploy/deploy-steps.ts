/** The apply half of a deploy: the journaled steps after the lock, and the automatic rollback when one fails. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TargetConfig } from '../config/sections/deploy.js';
import { SlipwayError, maskUrl } from '../errors.js';
import { notRecordedSummary } from '../db/apply.js';
import { historyTablesOfPackage, type HistoryTables } from '../db/history-tables.js';
import { findPackageShellEscapes, refuseShellEscapes } from '../db/package-safety.js';
import type { VersionCompatibility } from '../manifest/schema.js';
import { verifyPackageSignature } from '../sign/package-signature.js';
import { checkCompatibility } from './compat.js';
import { pendingChangeSets, readAppliedOrFail, recordedAmong } from './db-state.js';
import type { ChangeSetIndexEntry, ChangeSetKey, Contracts } from './contracts.js';
import { dumpDatabase } from './backup.js';
import { readChangeSetIndex, readHistoryTables } from './db-rollback.js';
import { settleTarget, type SettleResult } from './settle.js';
import { isCurrentChanged } from './switch.js';
import { deriveReleases, lastGoodRelease } from './release-store.js';
import { planRetention } from './retention.js';
import type { StepRunner } from './step-runner.js';
import { validateRelease } from './activate.js';
import { checkReadiness, type PackageReadiness } from './readiness.js';
import { startRelease } from './strategy.js';
import type { Target } from './target.js';
import type { CheckedEntry } from './scan-archive.js';
import type { DeployOptions, DeployPlan, DeployStep, JournalEntry } from './types.js';
import { planDeploy, type PlanDeployInput } from './plan.js';
import { watchRelease, type WatchConfig } from './watch.js';
import { warnIfSuperuser } from './role-warning.js';

export interface Verified {
  version: string;
  sha256: string;
  hasDatabasePackage: boolean;
  /** build-manifest.json's deployment.readiness and blockers (see readiness.ts). */
  readiness: PackageReadiness;
  /** version-compatibility.json as read from the verified archive (null only when the seam returned none). */
  compatibility: VersionCompatibility | null;
  /** database/changesets.json's text as read from the verified archive; null when the package has none. */
  changesetsJson: string | null;
  /** Every entry's kind, by normalised path, as the check read the archive. */
  kinds: ReadonlyMap<string, CheckedEntry['type']>;
}

/**
 * Read-only checks of the package before anything is extracted: validatePackage runs the one archive inspector
 * (framing, entry rules, links, the target's limits, SHA256SUMS) plus the digest and metadata checks; then the
 * package's SQL, read from the archive, is refused if it would run a shell (unless the target allows it).
 */
export async function verifyPackage(
  contracts: Contracts,
  packagePath: string,
  t: TargetConfig,
  /** trustedSigners is relative to the config file's directory. */
  configDir: string,
  expectedSha256?: string,
): Promise<Verified> {
  if (t.trustedSigners) {
    // Before the archive is read at all: an untrusted package gets no further than its signature.
    const signers = path.resolve(configDir, t.trustedSigners);
    const sig = await verifyPackageSignature(packagePath, signers);
    if (!sig.ok) {
      const first = sig.problems[0]!;
      throw new SlipwayError('E_SIGNATURE', `refused ${packagePath}: [${first.code}] ${first.message}`, {
        file: packagePath,
        field: 'deploy.targets.*.trustedSigners',
        details: sig.problems.map((p) => `[${p.code}] ${p.message}`),
        hint: `Nothing was extracted. Sign the package with \`slipway build --sign KEY\` using a key listed in ${signers}.`,
      });
    }
  }
  const v = await contracts.validatePackage(packagePath, {
    limits: t.limits,
    shared: t.shared,
    ...(expectedSha256 ? { expectedSha256 } : {}),
    // Always read (the compat step can judge the package from the archive); refused below only when not allowed.
    readDatabaseSql: true,
  });
  if (!v.ok) {
    const first = v.problems[0];
    const details = v.problems.slice(0, 20).map((p) => `[${p.code}] ${p.message}`);
    const hint = 'Nothing was extracted. Rebuild the package, or check that <package>.sha256 belongs to it.';
    // Problems of the archive itself are E_UNSAFE_ARCHIVE; digest and metadata problems are E_VALIDATE.
    if (first && !PACKAGE_LEVEL.has(first.code))
      throw new SlipwayError('E_UNSAFE_ARCHIVE', `refused ${packagePath}: [${first.code}] ${first.message}`, {
        file: packagePath,
        details,
        hint,
      });
    throw new SlipwayError(
      'E_VALIDATE',
      `package ${packagePath} failed validation: ${first ? `[${first.code}] ${first.message}` : 'unknown problem'}`,
      { file: packagePath, details, hint },
    );
  }
  // The SQL a package built elsewhere would run (forward and rollback), judged from the archive before extraction.
  if (v.databaseSql && !t.allowShellInSql)
    refuseShellEscapes(findPackageShellEscapes(v.databaseSql), {
      field: 'deploy.targets.*.allowShellInSql',
      consequence: 'Nothing was extracted or applied.',
    });
  return {
    version: v.manifest?.version ?? v.compatibility?.version ?? '',
    sha256: v.sha256,
    hasDatabasePackage: v.hasDatabasePackage,
    readiness: {
      ready: v.manifest?.deployment.readiness ?? true,
      blockers: v.manifest?.deployment.blockers ?? [],
    },
    compatibility: v.compatibility,
    changesetsJson: v.databaseSql?.changesetsJson ?? null,
    kinds: v.kinds,
  };
}

/** validatePackage problems about the package's metadata rather than the archive's structure. */
const PACKAGE_LEVEL = new Set([
  'NOT_FOUND',
  'NO_DIGEST',
  'DIGEST_MISMATCH',
  'DIGEST_FILE_INVALID',
  'MISSING_REQUIRED',
  'MANIFEST_INVALID',
  'COMPAT_INVALID',
  'DEPLOYMENT_INFO_INVALID',
]);

export interface ApplyState {
  /** The plan this run walks, set once the verify step has read the package. */
  plan?: DeployPlan;
  wentLive: boolean;
  /** A switch or restart began: the app may be running this release. */
  touchedApp: boolean;
  /**
   * The switch was refused: `current` no longer named the release the run read (a hand or another controller moved
   * it). The undo leaves it where it is now instead of putting the previous release over that change.
   */
  currentChanged?: boolean;
  /** Changesets journaled as about to run (new to the database) before migrating. */
  pending: ChangeSetKey[];
  /** Changesets this run applied, read back from databasechangelog. */
  executed: ChangeSetKey[];
  removed: string[];
  version?: string;
}

export interface ApplyInput {
  opts: DeployOptions;
  contracts: Contracts;
  target: Target;
  t: TargetConfig;
  steps: StepRunner;
  run: string;
  releaseId: string;
  previous: string | null;
  packagePath: string;
  databaseUrl: string | null;
  shared: string[];
  watchMs: number;
  watch: WatchConfig;
  /** planDeploy's input minus what only the verified package tells. */
  planInput: Omit<PlanDeployInput, 'hasDatabasePackage'>;
  state: ApplyState;
}

async function liveVersion(target: Target, previous: string | null): Promise<string | null> {
  if (!previous) return null;
  try {
    const c = JSON.parse(
      await readFile(path.join(target.releaseDir(previous), 'version-compatibility.json'), 'utf8'),
    ) as { version?: string };
    return c.version ?? null;
  } catch {
    return null;
  }
}

/** What the compat step judges of a package: its version-compatibility.json (where: a release dir or an archive). */
export interface PackageCompat {
  version: string;
  upgradeFrom: string[];
  database: { head: ChangeSetKey | null };
  /** The history tables the package writes (readHistoryTables). */
  historyTables: () => Promise<HistoryTables>;
}

/** version-compatibility.json of an extracted release, for the compat step. */
export async function releaseCompat(releaseDir: string): Promise<PackageCompat> {
  const pkg = JSON.parse(await readFile(path.join(releaseDir, 'version-compatibility.json'), 'utf8')) as Omit<
    PackageCompat,
    'historyTables'
  >;
  return { ...pkg, historyTables: () => readHistoryTables(releaseDir) };
}

/**
 * version-compatibility.json of a verified archive (`Verified.compatibility`), for the compat step before anything
 * is extracted; null when the package check returned none.
 */
export function archiveCompat(v: Verified, packagePath: string): PackageCompat | null {
  const c = v.compatibility;
  if (!c) return null;
  const where = `${packagePath}: version-compatibility.json`;
  return { ...c, historyTables: async () => historyTablesOfPackage(c.database.historyTables, where) };
}

/**
 * The compat step (journaled): the package's version-compatibility.json (a release dir extracted on this machine,
 * or the verified archive's copy: `Verified.compatibility`) against every live version (a local target has one; a
 * fleet one per host, null: nothing live there) and the database; throws E_COMPAT with every reason. Used by the
 * local deploy and by the ssh fleet.
 */
export async function compatStep(
  steps: StepRunner,
  source: string | PackageCompat,
  index: ChangeSetIndexEntry[] | null,
  databaseUrl: string | null,
  liveVersions: (string | null)[],
): Promise<void> {
  await steps.run('compat', 'check version compatibility', async () => {
    const pkg = typeof source === 'string' ? await releaseCompat(source) : source;
    const applied = databaseUrl ? await readAppliedOrFail(databaseUrl, await pkg.historyTables()) : null;
    const reasons = new Set<string>();
    const notes = new Set<string>();
    for (const live of new Set(liveVersions.length ? liveVersions : [null])) {
      const r = checkCompatibility({
        pkg: { version: pkg.version, upgradeFrom: pkg.upgradeFrom, head: pkg.database.head },
        liveVersion: live,
        applied,
        index,
      });
      r.reasons.forEach((x) => reasons.add(x));
      r.notes.forEach((x) => notes.add(x));
    }
    if (reasons.size)
      throw new SlipwayError('E_COMPAT', [...reasons].join('; '), {
        details: [...notes],
        hint: 'Deploy a package built for this live version, or roll the live system forward first.',
      });
    return { value: { ok: true, reasons: [], notes: [...notes] }, message: [...notes].join('; ') };
  });
}

/**
 * The database backup step (journaled): pg_dump into `dir` as `<releaseId>-before.dump`. Used by the local deploy
 * and, once from the controller before migrating, by the ssh fleet.
 */
export function backupStep(
  steps: StepRunner,
  databaseUrl: string,
  dir: string,
  releaseId: string,
  timeoutMs: number,
): Promise<unknown> {
  return steps.run('backup', 'pg_dump the database', async () => {
    const d = await dumpDatabase({ databaseUrl, dir, name: `${releaseId}-before`, timeoutMs });
    return {
      value: d,
      message: `${path.basename(d.file)} (${d.bytes} bytes)`,
      data: { file: d.file, bytes: d.bytes },
    };
  });
}

/**
 * The migrate step (journaled): the changesets about to run go into the journal before, the ones
 * databasechangelog records after (ok or failed), so the undo path (settle.ts) undoes exactly those. Used by the
 * local deploy and, once per rollout from the controller, by the ssh fleet (src/fleet).
 */
export async function migrateStep(m: {
  contracts: Contracts;
  steps: StepRunner;
  databaseUrl: string;
  /** An extracted release on this machine (database/package.sql). */
  releaseDir: string;
  index: ChangeSetIndexEntry[] | null;
  state: Pick<ApplyState, 'pending' | 'executed'>;
  onProgress?: DeployOptions['onProgress'];
}): Promise<void> {
  const { contracts, steps, databaseUrl, index, state } = m;
  const sqlFile = path.join(m.releaseDir, 'database', 'package.sql');
  const tables = await readHistoryTables(m.releaseDir);
  const pending = index ? pendingChangeSets(index, await readAppliedOrFail(databaseUrl, tables)) : [];
  state.pending = pending;
  const readBack = async () => {
    state.executed = recordedAmong(pending, await readAppliedOrFail(databaseUrl, tables));
    return { executed: state.executed, pending };
  };
  await steps.run(
    'migrate',
    `apply database/package.sql to ${maskUrl(databaseUrl)}`,
    async () => {
      // Its shell escapes were refused by verifyPackage, before extraction.
      const sql = await readFile(sqlFile, 'utf8');
      await warnIfSuperuser(contracts, steps, 'migrate', databaseUrl);
      const r = await contracts.applySql({
        databaseUrl,
        sql,
        file: sqlFile,
        ...(steps.signal ? { signal: steps.signal } : {}),
        // Each changeset as it is recorded (progress only; the journal gets the read-back list after).
        onEcho: (line) => {
          const x = /^slipway: (EXECUTED|RERAN|MARK_RAN) (.*)$/.exec(line);
          if (x) m.onProgress?.({ step: 'migrate', status: 'info', message: `${x[1]} ${x[2]}` });
        },
      });
      await readBack();
      return {
        value: r,
        message: `${state.executed.length} changeset(s) applied, ${notRecordedSummary(r)}`,
        data: { executed: state.executed, pending, reran: r.executed.length - state.executed.length },
      };
    },
    { beginData: { pending }, failData: readBack },
  );
}

export async function applyDeploy(a: ApplyInput): Promise<void> {
  const { opts, contracts, target, t, steps, releaseId, previous, databaseUrl, state } = a;
  const v = await steps.run('verify', 'verify the archive digest and SHA256SUMS', async () => {
    const r = await verifyPackage(contracts, a.packagePath, t, opts.config.configDir, opts.expectedSha256);
    const forced = checkReadiness(a.packagePath, r.readiness, opts.force === true);
    return {
      value: r,
      message: `version ${r.version}${forced ? `; ${forced}` : ''}`,
      data: {
        version: r.version,
        sha256: r.sha256,
        ...(forced ? { forced: true, notReady: r.readiness.blockers } : {}),
      },
    };
  });
  state.version = v.version;
  const plan = planDeploy({ ...a.planInput, hasDatabasePackage: v.hasDatabasePackage });
  state.plan = plan;
  // Run/skip decisions come from the plan, so the journal, --json and --dry-run cannot disagree.
  const skipOf = (step: DeployStep) => plan.steps.find((s) => s.step === step)?.skip;
  await steps.run('extract', `extract into releases/${releaseId}`, async () => {
    const r = await target.installRelease(a.packagePath, releaseId, {
      limits: t.limits,
      shared: a.shared,
      ...(opts.testHooks?.delayMs ? { delayMs: opts.testHooks.delayMs } : {}),
    });
    return { value: r, message: `${r.files} files verified`, data: { files: r.files } };
  });
  const releaseDir = target.releaseDir(releaseId);
  const index = await readChangeSetIndex(releaseDir);
  await compatStep(steps, releaseDir, index, databaseUrl, [await liveVersion(target, previous)]);
  const precheckSkip = skipOf('precheck');
  if (!precheckSkip && t.health.url) {
    const url = t.health.url;
    await steps.run('precheck', `probe ${url}`, async () => {
      const p = await contracts.probeHealth(url, {
        timeoutMs: Math.min(5000, t.health.timeoutMs),
        ...(t.health.expect ? { expect: t.health.expect } : {}),
      });
      if (p.status !== 'HEALTHY' && p.status !== 'DEGRADED' && previous && !opts.force) {
        throw new SlipwayError('E_HEALTH', `the live system is ${p.status} before the deploy (${p.reason})`, {
          hint: p.hint
            ? `${p.hint} Or pass --force to deploy anyway.`
            : 'Fix the live system first, or pass --force to deploy anyway.',
        });
      }
      return {
        value: p,
        message: previous
          ? `${p.status}${opts.force && p.status !== 'HEALTHY' ? ' (--force)' : ''}`
          : `${p.status} (no live release: fine)`,
      };
    });
  } else await steps.skip('precheck', precheckSkip ?? 'no health URL configured');
  const backupSkip = skipOf('backup');
  if (!backupSkip && databaseUrl) {
    await backupStep(steps, databaseUrl, target.layout.backups, releaseId, t.commandTimeoutMs);
  } else await steps.skip('backup', `${backupSkip}; current release ${previous ?? '(none)'} stays in releases/`);
  const migrateSkip = skipOf('migrate');
  if (!migrateSkip && databaseUrl)
    await migrateStep({ contracts, steps, databaseUrl, releaseDir, index, state, onProgress: opts.onProgress });
  else await steps.skip('migrate', migrateSkip ?? 'no database configured');
  const switchCurrent = () =>
    steps.run('switch', `point current at ${releaseId}`, async () => {
      const touched = state.touchedApp;
      state.touchedApp = true;
      // Compare-and-swap (switch.ts): only from the release this run read under its lock.
      const r = await target.switchTo(releaseId, { expected: previous }).catch((e: unknown) => {
        if (isCurrentChanged(e)) {
          state.currentChanged = true;
          state.touchedApp = touched; // nothing was switched
        }
        throw e;
      });
      state.wentLive = true;
      return { value: r, message: `${r.ms.toFixed(1)} ms`, data: { from: previous, switchMs: r.ms } };
    });
  if (t.strategy === 'blue-green') {
    // Traffic moves only to a slot that passed its health check; `current` follows once it has.
    state.touchedApp = true;
    await startRelease(steps, target, t, releaseId, a.run);
    await switchCurrent();
  } else {
    await switchCurrent();
    await startRelease(steps, target, t, releaseId, a.run);
  }
  await validateRelease(steps, contracts, target, t, releaseId, a.run, true);
  if (a.watchMs > 0 && t.health.url) {
    const url = t.health.url;
    await steps.run('health', `watch for ${Math.round(a.watchMs / 1000)} s`, async () => {
      const w = await watchRelease({
        healthUrl: url,
        ...(t.health.expect ? { expect: t.health.expect } : {}),
        durationMs: a.watchMs,
        thresholds: a.watch.thresholds,
        ...(a.watch.metricsUrl ? { metricsUrl: a.watch.metricsUrl } : {}),
      });
      if (!w.ok)
        throw new SlipwayError(
          'E_HEALTH',
          `watch window: ${w.trigger ? `${w.trigger.name}: ${w.trigger.reason}` : 'aborted'}`,
        );
      return { value: w, message: `${w.probes} probe(s), no trigger` };
    });
  } else if (a.watchMs > 0) await steps.skip('health', 'no health URL configured');
  state.removed = await retentionStep(steps, target, t.keep, releaseId, previous, a.run);
}

/**
 * The releases retention removes once `releaseId` (run `run`) went live, from the journal's entries and the release
 * dirs present (pure; planRetention's rules): shared by retentionStep and a fleet host's finish, which plans from
 * what it knows of the host without reading it again.
 */
export function retentionRemovals(
  entries: JournalEntry[],
  present: string[],
  keep: number,
  releaseId: string,
  previous: string | null,
  run: string,
): string[] {
  const releases = deriveReleases(entries, releaseId, new Set(present), run);
  // This run is not finished in the journal yet, but it is the one going live: count it as good.
  return planRetention(releases, present, keep, lastGoodRelease(releases)?.id ?? previous).filter(
    (id) => id !== releaseId && id !== previous,
  );
}

/**
 * The retention step of a run that just made `releaseId` live: keep the newest `keep`, never the current, previous,
 * last good, pinned or in-progress release (retentionRemovals). Used by the local deploy and on the fleet's controller.
 */
export function retentionStep(
  steps: StepRunner,
  target: Target,
  keep: number,
  releaseId: string,
  previous: string | null,
  run: string,
): Promise<string[]> {
  return steps.run('retention', `keep the newest ${keep}`, async () => {
    const entries = await target.readJournal();
    const remove = retentionRemovals(entries, await target.listReleaseDirs(), keep, releaseId, previous, run);
    for (const id of remove) await target.removeRelease(id);
    return {
      value: remove,
      message: remove.length ? `removed ${remove.join(', ')}` : 'nothing to remove',
      data: { removed: remove },
    };
  });
}

/**
 * Automatic rollback after a failed or interrupted deploy: the previous release back, exactly verified — or, when
 * the switch was refused because `current` had been changed under the run, `current` left where that change put it
 * (read now; the settle's own switch is a compare-and-swap too), and the run's changesets undone except those the
 * release it now names contains (that release may be serving on them).
 */
export async function undoDeploy(u: {
  contracts: Contracts;
  target: Target;
  t: TargetConfig;
  steps: StepRunner;
  run: string;
  releaseId: string;
  previous: string | null;
  databaseUrl: string | null;
  state: ApplyState;
  targetArg: string;
  signal?: AbortSignal | undefined;
}): Promise<SettleResult> {
  return settleTarget({
    contracts: u.contracts,
    target: u.target,
    t: u.t,
    steps: u.steps,
    run: u.run,
    to: u.state.currentChanged ? await u.target.readCurrent().catch(() => u.previous) : u.previous,
    // After a refused switch the release left live is not the one the run read: what it contains stays applied
    // (settleTarget keeps what the release it ends on contains).
    undo: u.state.pending.length ? { release: u.releaseId, candidates: u.state.pending } : null,
    databaseUrl: u.databaseUrl,
    restart: u.state.touchedApp,
    targetArg: u.targetArg,
    signal: u.signal,
  });
}
