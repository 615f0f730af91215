import path from 'node:path';
import { buildVersion } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import type { FileEntry, FileSet } from '../fileset/types.js';
import { countEndpoints, generateManifest, readBuildEnvironment, type ManifestInput } from '../manifest/generate.js';
import { readQuality } from '../manifest/quality.js';
import type { BuildManifest } from '../manifest/schema.js';
import { reportPathFor, type BuildReport } from '../manifest/report.js';
import { buildDbPackage, type DbPackage, type DbVerify } from './package-db.js';
import { startVerify, type StartedVerify, type VerifyRun } from './verify-run.js';
import { planVersionCompatibility } from './package-metadata.js';
import { planDeploymentInfo } from '../deploy/plan.js';
import { packageFileName, resolveBuildTime, type BuildTime } from '../manifest/package-time.js';
import { readProvenance } from '../manifest/provenance.js';
import { commitOutputs } from './commit-outputs.js';
import { compareUtf8, planArchiveEntries, writeArchive, type ArchiveEntry } from './package-writer.js';
import type { ProgressListener } from '../progress.js';
import { hashFile, sha256Hex } from '../fileset/hash.js';
import { renderSha256Sums, renderSidecar } from '../manifest/sha256sums.js';
import { planSizeReport, type SizeReport } from './size-report.js';
import { readRuntimeNode } from './package-runtime.js';
import { mapLimit } from '../map-limit.js';

export interface PackageOptions {
  config: Config;
  /** The compiled FileSet (or the staged one when compile is skipped). */
  fileSet: FileSet;
  /** Default: config.build.output, relative to the config file. */
  outDir?: string;
  sourceDateEpoch?: number;
  env?: Record<string, string | undefined>;
  /** Resolved by the pipeline; else resolved here from sourceDateEpoch / env / git / now. */
  buildTime?: BuildTime;
  /** STAGE's inventory of the whole tree, for the size report's "before". */
  inventory?: SizeReport['before'];
  /** Failed checks (from stage/compile) that make the package not ready to deploy. */
  blockers?: string[];
  upgradeFrom?: string[];
  onProgress?: ProgressListener;
  /** The changelog's package and its verification, started by the pipeline before compile (see startEarlyDatabase). */
  early?: EarlyDatabase;
}

/** What the pipeline starts before compile: the liquibase database package and its verification (if on). */
export interface EarlyDatabase {
  db: DbPackage;
  /** How long rendering `db` took (before compile). */
  ms: number;
  verify: StartedVerify | null;
}

export interface PackageResult {
  package: { path: string; sha256: string; bytes: number; name: string };
  /** `<package>.sha256`, `<package>.manifest.json` and `<package>.report.json` beside the archive. */
  sidecar: string;
  manifestPath: string;
  /** `<package>.report.json`: the tree before and the package after (never inside the archive). */
  reportPath: string;
  buildTime: BuildTime;
  entries: number;
  files: number;
  sizes: SizeReport;
  /** The manifest with the measured archive size (the copy inside the archive has packageSize null). */
  manifest: BuildManifest;
  warnings: string[];
  /** Milliseconds spent building the database package(s), verifying the changelog (PGlite), collecting manifest facts, and hashing + writing. */
  timings: { database: number; verify: number; manifest: number; package: number };
  /** The database verification was the cached result of an identical package (no PGlite run this time). */
  verifyCached: boolean;
  /** How the verification ran (child process, peak RSS), or null when there was none. */
  verifyRun: VerifyRun | null;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + '\n', 'utf8');

/** Fills in the SHA-256 of every file that has none, in place (STAGE's hashFileSet does the same; no copies). */
async function hashPayload(files: FileEntry[], onProgress?: ProgressListener): Promise<void> {
  let done = 0;
  await mapLimit(files, 8, async (f) => {
    if (!f.sha256) {
      try {
        f.sha256 = await hashFile(f.absPath, f.size);
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        throw new SlipwayError('E_IO', `cannot read ${f.sourcePath}: ${code ?? String(cause)}`, {
          file: f.sourcePath,
          cause,
          hint:
            code === 'EACCES' ? 'Fix the file permissions, or exclude the file in the config.' : 'Run the build again.',
        });
      }
    }
    done++;
    if (done % 500 === 0 || done === files.length)
      onProgress?.({ phase: 'package', step: 'hashing', done, total: files.length });
  });
}

async function packageDatabase(
  config: Config,
  epoch: number,
  warnings: string[],
  cacheDir: string,
  early?: EarlyDatabase,
  env?: Record<string, string | undefined>,
): Promise<{
  db: DbPackage | null;
  generated: ArchiveEntry[];
  verify: DbVerify | null;
  verifyRun: VerifyRun | null;
  verifyMs: number;
  /** How long this phase waited for the verification (the rest of it overlapped other work). */
  verifyWaitMs: number;
  verifyCached: boolean;
  dbReason: string | null;
  blockers: string[];
}> {
  const generated: ArchiveEntry[] = [];
  const blockers: string[] = [];
  const add = (p: string, bytes: Buffer) =>
    generated.push({ path: p, type: 'file', mode: 0o644, size: bytes.length, bytes, sha256: sha256Hex(bytes) });
  for (const script of config.database.psqlScripts) {
    const plain = await buildDbPackage(config, script, 'plain', epoch);
    add(`database/plain/${path.posix.basename(script).replace(/\.[^.]*$/, '')}.sql`, Buffer.from(plain.sql, 'utf8'));
  }
  if (!config.database.changelog)
    return {
      db: null,
      generated,
      verify: null,
      verifyRun: null,
      verifyMs: 0,
      verifyWaitMs: 0,
      verifyCached: false,
      dbReason: 'no database.changelog in the config',
      blockers,
    };
  const db = early?.db ?? (await buildDbPackage(config, config.database.changelog, 'liquibase', epoch));
  for (const w of db.warnings) warnings.push(`${w.file}:${w.line}: ${w.code}: ${w.message}`);
  add('database/package.sql', Buffer.from(db.sql, 'utf8'));
  add('database/changesets.json', json(db.index));
  let verify: DbVerify | null = null;
  let verifyMs = 0;
  let verifyWaitMs = 0;
  let dbReason: string | null = null;
  let verifyCached = false;
  let verifyRun: VerifyRun | null = null;
  if (config.database.verify) {
    // Started by the pipeline before compile when it can (runs meanwhile); else here, and awaited at once.
    const started = early?.verify ?? startVerify(config, db, cacheDir, null, env);
    const waitFrom = performance.now();
    verifyRun = await started.result;
    verifyWaitMs = performance.now() - waitFrom;
    verify = verifyRun.verify;
    verifyCached = verifyRun.cached;
    verifyMs = verifyRun.ms;
    if (!verify.ok) {
      const failed = verify.changeSets.find((c) => c.status === 'FAILED');
      // The reason is recorded twice on purpose: as a deployment blocker (deploy refuses the package) and as the
      // database component's reason for its UNHEALTHY status.
      // The error names the changeset, its file:line and the PostgreSQL message (then the statement with a caret).
      const where = failed
        ? (failed.error ?? `changeset ${failed.filename}::${failed.id}::${failed.author} failed`)
        : null;
      dbReason = `database verification failed on ${verify.engine}${where ? `: ${where}` : ''}`;
      blockers.push(dbReason);
    } else if (verify.missingExtensions.length) {
      // Verified, but not all of it: what needs the extensions ran only as far as its preconditions let it.
      dbReason =
        `verified on PGlite without extension ${verify.missingExtensions.join(', ')} (PGlite has none such): ` +
        'changesets that create or use it ran only as far as their preconditions let them';
      warnings.push(`${dbReason}; set database.verifyUrl to verify on PostgreSQL with it installed`);
    }
  } else {
    dbReason = 'database.verify is off: health and fingerprint not measured';
  }
  return { db, generated, verify, verifyRun, verifyMs, verifyWaitMs, verifyCached, dbReason, blockers };
}

/** Writes `<name>-v<version>-<stamp>.tar.gz` (+ .sha256 and .manifest.json beside it) from a FileSet. */
export async function packageFileSet(opts: PackageOptions): Promise<PackageResult> {
  const { config } = opts;
  const outDir = path.resolve(config.configDir, opts.outDir ?? config.build.output);
  const buildTime =
    opts.buildTime ??
    (await resolveBuildTime({ rootDir: config.rootDir, sourceDateEpoch: opts.sourceDateEpoch, env: opts.env }));
  const warnings: string[] = [];
  opts.onProgress?.({
    phase: 'database',
    step: config.database.changelog ? 'building database package' : 'no changelog',
  });
  // `npm --version` takes ~0.5 s to spawn: start it now, overlapping the database package.
  const environmentP = readBuildEnvironment(config.environment);
  const provenanceP = readProvenance({
    rootDir: config.rootDir,
    outDir,
    buildTime,
    configuredBuilder: config.build.builder,
    ...(opts.env ? { env: opts.env } : {}),
  });
  // The payload's digests depend on nothing else: they are computed while the verification still runs.
  const hashed = hashPayload(opts.fileSet.files, opts.onProgress);
  hashed.catch(() => undefined); // awaited below, after the database (whose error, if any, comes first)
  let t0 = performance.now();
  const database = await packageDatabase(
    config,
    buildTime.epoch,
    warnings,
    path.join(outDir, '.cache'),
    opts.early,
    opts.env,
  );
  const tDatabase = performance.now() - t0;

  t0 = performance.now();
  opts.onProgress?.({ phase: 'manifest', step: 'collecting facts' });
  const nodeRuntime = readRuntimeNode(config);
  const compat = planVersionCompatibility({
    config,
    db: database.db,
    ...(opts.upgradeFrom ? { upgradeFrom: opts.upgradeFrom } : {}),
    nodeRange: nodeRuntime.range,
    nodeReason: nodeRuntime.reason,
  });
  const blockers = [...(opts.blockers ?? []), ...database.blockers];
  // Named apart when not ready, so it can never replace a ready package of the same version and build time.
  const name = packageFileName(config.name, buildVersion(config), buildTime.epoch, blockers.length > 0);
  const facts: ManifestInput = {
    config,
    buildTime,
    packageName: name,
    files: [
      ...opts.fileSet.files,
      ...database.generated.map((g) => ({ path: g.path, size: g.size, component: 'database' as const })),
    ],
    endpoints: await countEndpoints(opts.fileSet.files),
    db: database.db,
    dbReason: database.dbReason,
    verify: database.verify,
    environment: await environmentP,
    provenance: await provenanceP,
    sizes: { contentBytes: 0, packageBytes: null, tarBytes: null },
    blockers,
    quality: await readQuality(config),
  };
  facts.sizes.contentBytes = facts.files.reduce((s, f) => s + f.size, 0);
  const inner = generateManifest(facts);
  const tManifest = performance.now() - t0;

  t0 = performance.now();
  await hashed;

  const files: ArchiveEntry[] = [
    // FileEntry already has the ArchiveEntry shape (path, mode, size, absPath, sha256): reused, not copied.
    ...(opts.fileSet.files as ArchiveEntry[]),
    ...database.generated,
  ];
  const addGenerated = (p: string, bytes: Buffer) =>
    files.push({ path: p, type: 'file', mode: 0o644, size: bytes.length, bytes, sha256: sha256Hex(bytes) });
  addGenerated('build-manifest.json', json(inner));
  addGenerated('deployment-info.json', json(planDeploymentInfo(config, database.db !== null)));
  addGenerated('version-compatibility.json', json(compat));
  const entries = planArchiveEntries(files);
  addGenerated(
    'SHA256SUMS',
    Buffer.from(
      renderSha256Sums(entries.filter((e) => e.type !== 'dir') as { path: string; sha256: string }[]),
      'utf8',
    ),
  );
  // Inserted where byte order puts it (before the lower-case top-level names), without sorting 100k entries again.
  const sums = files[files.length - 1]!;
  const at = entries.findIndex((e) => compareUtf8(e.path, sums.path) > 0);
  entries.splice(at === -1 ? entries.length : at, 0, sums);

  const archivePath = path.join(outDir, name);
  const written = await writeArchive({
    outPath: archivePath,
    entries,
    mtime: buildTime.epoch,
    level: config.build.compressionLevel,
    keepTemp: true,
    onEntry: (done, total) => {
      if (done % 500 === 0 || done === total) opts.onProgress?.({ phase: 'package', step: 'writing', done, total });
    },
  });
  const sizes = planSizeReport({
    before: opts.inventory ?? null,
    files,
    tarBytes: written.tarBytes,
    archiveBytes: written.bytes,
  });
  const manifest = generateManifest({
    ...facts,
    sizes: { ...facts.sizes, packageBytes: written.bytes, tarBytes: written.tarBytes },
  });
  const sidecar = `${archivePath}.sha256`;
  const manifestPath = archivePath.replace(/\.tar\.gz$/, '.manifest.json');
  const reportPath = reportPathFor(archivePath);
  const report: BuildReport = {
    schemaVersion: 1,
    packageName: name,
    sha256: written.sha256,
    buildId: manifest.buildId,
    sizes,
  };
  // Everything is renamed into place only now, the archive before its digest: a build that failed earlier left
  // the output directory untouched.
  await commitOutputs([
    { final: manifestPath, content: json(manifest) },
    { final: reportPath, content: json(report) },
    { final: archivePath, tmpPath: written.tmpPath },
    { final: sidecar, content: renderSidecar(written.sha256, name) },
  ]);
  return {
    package: { path: archivePath, sha256: written.sha256, bytes: written.bytes, name },
    sidecar,
    manifestPath,
    reportPath,
    buildTime,
    entries: entries.length,
    files: files.length,
    sizes,
    manifest,
    warnings,
    verifyCached: database.verifyCached,
    verifyRun: database.verifyRun,
    timings: {
      // The database phase is the package's rendering (done early, before compile, when the pipeline could) and its
      // files; the time spent waiting for the verification is the verify phase's, reported there.
      database: Math.max(0, Math.round((opts.early?.ms ?? 0) + tDatabase - database.verifyWaitMs)),
      verify: database.verifyMs,
      manifest: Math.round(tManifest),
      package: Math.round(performance.now() - t0),
    },
  };
}
