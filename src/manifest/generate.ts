import { execFile } from 'node:child_process';
import { buildVersion } from '../config/load.js';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../config/schema.js';
import { COMPONENT_NAMES } from '../config/sections/build.js';
import type { FileEntry } from '../fileset/types.js';
import type { BuildTime } from './package-time.js';
import { formatBuildStamp, formatIsoSeconds } from './package-time.js';
import type { DatabasePackageResult as DbPackage } from '../db/package.js';
import type { VerifyResult as DbVerify } from '../db/verify.js';
import { humanBytes, SCHEMA_VERSION, type BuildManifest, type Provenance } from './schema.js';

const run = promisify(execFile);

export interface EndpointCount {
  count: number | null;
  scripts: number;
  reason: string | null;
}

export interface ManifestInput {
  config: Config;
  buildTime: BuildTime;
  packageName: string;
  /** The packed payload files (without the generated metadata files). */
  files: Pick<FileEntry, 'path' | 'size' | 'component'>[];
  endpoints: EndpointCount;
  db: DbPackage | null;
  dbReason: string | null;
  verify: DbVerify | null;
  environment: BuildManifest['environment'];
  /** readProvenance's facts (src/manifest/provenance.ts). */
  provenance: Provenance;
  /** Figures of the package only: the tree around it is described by `<package>.report.json`, never here. */
  sizes: {
    contentBytes: number;
    packageBytes: number | null;
    tarBytes: number | null;
  };
  blockers: string[];
  quality: BuildManifest['quality'];
}

// Script Runner REST endpoints as the seed writes them: `users(httpMethod: "GET", groups: [...]) { ... }`.
const ENDPOINT = /^\s*[A-Za-z_]\w*\s*\(\s*httpMethod\s*:\s*["'](?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)["']/gm;

/** Counts `name(httpMethod: "…")` endpoint declarations in the packaged Groovy application scripts. */
export async function countEndpoints(
  files: Pick<FileEntry, 'path' | 'absPath' | 'component'>[],
): Promise<EndpointCount> {
  const scripts = files.filter((f) => f.component === 'application' && f.path.endsWith('.groovy'));
  if (scripts.length === 0)
    return { count: null, scripts: 0, reason: 'no Groovy scripts in the application component' };
  let count = 0;
  for (const f of scripts) count += (await readFile(f.absPath, 'utf8')).match(ENDPOINT)?.length ?? 0;
  return { count, scripts: scripts.length, reason: null };
}

let npmVersionP: Promise<{ npmVersion: string | null; npmVersionReason: string | null }> | undefined;

/**
 * The version `npm --version` prints, once per process: read from the package.json of the npm that PATH resolves
 * (`npm` links to its bin/npm-cli.js), else by running `npm --version` (~0.5 s of CPU and a ~50 MB process that
 * overlapped the build's PGlite verification — measured in the whole-tree peak RSS of the bench's cold build).
 */
export function readNpmVersion(): Promise<{ npmVersion: string | null; npmVersionReason: string | null }> {
  npmVersionP ??= npmPackageVersion().then((version) =>
    version !== null
      ? { npmVersion: version, npmVersionReason: null }
      : run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['--version'], { timeout: 15_000 }).then(
          ({ stdout }) => ({ npmVersion: stdout.trim(), npmVersionReason: null }),
          (e: unknown) => ({
            npmVersion: null,
            npmVersionReason: `\`npm --version\` failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          }),
        ),
  );
  return npmVersionP;
}

/** The version in the package.json of the first `npm` on PATH, when that is npm's own script; else null. */
async function npmPackageVersion(): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    let script: string;
    try {
      script = await realpath(path.join(dir, process.platform === 'win32' ? 'npm.cmd' : 'npm'));
    } catch {
      continue;
    }
    try {
      const pkg = JSON.parse(await readFile(path.join(path.dirname(script), '..', 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      return pkg.name === 'npm' && typeof pkg.version === 'string' ? pkg.version : null;
    } catch {
      return null; // a shim (volta, a Windows .cmd): only running it tells
    }
  }
  return null;
}

/** Node, npm (by running `npm --version`) and platform of the build machine. */
export async function readBuildEnvironment(target: string): Promise<BuildManifest['environment']> {
  const npm = await readNpmVersion();
  return { target, nodeVersion: process.versions.node, ...npm, platform: `${process.platform}-${process.arch}` };
}

const ratio = (n: number) => Math.round(n * 10_000) / 10_000;

/** Builds build-manifest.json from measured facts (pure). */
export function generateManifest(input: ManifestInput): BuildManifest {
  const { config, db, verify, sizes } = input;
  const version = buildVersion(config);
  const byComponent = COMPONENT_NAMES.map((name) => {
    const fs = input.files.filter((f) => f.component === name);
    return { name, files: fs.length, bytes: fs.reduce((s, f) => s + f.size, 0) };
  }).filter((c) => c.files > 0);
  const frontend = input.files.filter((f) => f.component === 'application' && /\.(m?js|css)$/.test(f.path));
  return {
    schemaVersion: SCHEMA_VERSION,
    buildId: `${config.name}-${version}-${formatBuildStamp(input.buildTime.epoch)}`,
    name: config.name,
    version,
    buildTimestamp: formatIsoSeconds(input.buildTime.epoch),
    buildTimeSource: input.buildTime.source,
    provenance: input.provenance,
    environment: input.environment,
    components: {
      database: {
        version: db ? (db.head ? `${db.changeSets}-changesets@${db.head.id}` : '0-changesets') : null,
        migrationsCount: db ? db.changeSets : null,
        lastMigration: db?.head ? `${db.head.filename}::${db.head.id}::${db.head.author}` : null,
        healthStatus: verify ? (verify.ok ? 'HEALTHY' : 'UNHEALTHY') : null,
        schemaFingerprint: verify?.fingerprint ?? null,
        reason: input.dbReason,
      },
      api: {
        version,
        endpointsCount: input.endpoints.count,
        scriptsCount: input.endpoints.scripts,
        reason: input.endpoints.reason,
      },
      frontend: {
        version,
        jsFiles: frontend.filter((f) => !f.path.endsWith('.css')).length,
        cssFiles: frontend.filter((f) => f.path.endsWith('.css')).length,
        bytes: frontend.reduce((s, f) => s + f.size, 0),
      },
      files: byComponent,
    },
    deployment: {
      packageName: input.packageName,
      packageSize:
        sizes.packageBytes === null ? null : { bytes: sizes.packageBytes, human: humanBytes(sizes.packageBytes) },
      packageSizeReason:
        sizes.packageBytes === null
          ? 'this copy is inside the archive, which cannot hold its own compressed size; see <package>.manifest.json beside it'
          : null,
      contentBytes: sizes.contentBytes,
      // The project tree (.git/, logs/, node_modules/…) is not a fact of the package: recorded here it made the
      // digest change when an ignored file changed. It lives in <package>.report.json beside the archive.
      sourceBytes: null,
      compressionRatio:
        sizes.packageBytes !== null && sizes.tarBytes ? ratio(sizes.packageBytes / sizes.tarBytes) : null,
      sizeReduction: null,
      readiness: input.blockers.length === 0,
      blockers: input.blockers,
    },
    quality: input.quality,
  };
}
