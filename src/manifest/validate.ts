import { readFile, stat } from 'node:fs/promises';
import type { z } from 'zod';
import { DEFAULT_LIMITS, type ExtractLimits } from '../deploy/archive-rules.js';
import { scanArchive, type CheckedEntry } from '../deploy/scan-archive.js';
import { findPackageShellEscapes } from '../db/package-safety.js';
import { SlipwayError } from '../errors.js';
import { verifyPackageSignature } from '../sign/package-signature.js';
import { formatIsoSeconds } from './package-time.js';
import {
  buildManifestSchema,
  deploymentInfoSchema,
  versionCompatibilitySchema,
  type BuildManifest,
  type VersionCompatibility,
} from './schema.js';

export interface PackageProblem {
  code: string;
  message: string;
  path?: string;
  /** 1-based line in `path` (the SQL problems). */
  line?: number;
}

export interface ValidationResult {
  ok: boolean;
  problems: PackageProblem[];
  sha256: string;
  bytes: number;
  manifest: BuildManifest | null;
  compatibility: VersionCompatibility | null;
  entries: number;
  /** The package ships database/package.sql. */
  hasDatabasePackage: boolean;
  /** Every entry's kind, by normalised path, as the scan read it (empty when the archive could not be read). */
  kinds: ReadonlyMap<string, CheckedEntry['type']>;
  /** The SQL the deploy would run, read from the archive (only with `readDatabaseSql`; null when not shipped). */
  databaseSql?: PackageSqlTexts;
}

/** database/package.sql and database/changesets.json (its rollback SQL) as text, read without extracting. */
export interface PackageSqlTexts {
  packageSql: string | null;
  changesetsJson: string | null;
}

export interface ValidateOptions {
  expectedSha256?: string;
  /** Without a `.sha256` beside the package and without expectedSha256, report NO_DIGEST (default true). */
  requireDigest?: boolean;
  /** Size/entry ceilings (a target's `limits`); default DEFAULT_LIMITS. */
  limits?: ExtractLimits;
  /** Shared paths of the target (package links may enter them, never climb out). */
  shared?: string[];
  /** An OpenSSH allowed_signers file: `<package>.sig` must be a valid signature by a key it trusts. */
  signers?: string;
  /** Also return the package's SQL (`databaseSql`) for the shell-escape scan, whatever its size. */
  readDatabaseSql?: boolean;
  /**
   * Report SQL that would run a shell (database/package.sql, rollback SQL in database/changesets.json) as E_UNSAFE_SQL
   * problems at file:line, with the deploy's scan (src/db/package-safety.ts): `slipway validate`. The deploy itself
   * refuses them with one E_UNSAFE_SQL error instead (readDatabaseSql).
   */
  reportShellEscapes?: boolean;
}

const PACKAGE_SQL = 'database/package.sql';
const CHANGESETS_JSON = 'database/changesets.json';
const METADATA = ['build-manifest.json', 'deployment-info.json', 'version-compatibility.json', 'SHA256SUMS'];

function parseJson<T>(
  name: string,
  buf: Buffer | undefined,
  schema: z.ZodType<T>,
  problems: PackageProblem[],
  code: string,
): T | null {
  if (!buf) return null;
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    problems.push({ code, message: `${name} is not valid JSON: ${(e as Error).message}`, path: name });
    return null;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    problems.push({
      code,
      message: `${name}: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
      path: name,
    });
  }
  return null;
}

async function expectedDigest(
  packagePath: string,
  opts: ValidateOptions,
  problems: PackageProblem[],
): Promise<string | null> {
  if (opts.expectedSha256) return opts.expectedSha256.toLowerCase();
  let text: string;
  try {
    text = await readFile(`${packagePath}.sha256`, 'utf8');
  } catch {
    if (opts.requireDigest !== false)
      problems.push({
        code: 'NO_DIGEST',
        message: `no ${packagePath}.sha256 beside the package and no expected digest given`,
      });
    return null;
  }
  const m = /^([0-9a-fA-F]{64})\s/.exec(text);
  if (!m) {
    problems.push({
      code: 'DIGEST_FILE_INVALID',
      message: `${packagePath}.sha256 does not start with a SHA-256 hex digest`,
    });
    return null;
  }
  return m[1]!.toLowerCase();
}

/** Checks a package completely and returns every problem found (never stops at the first). */
export async function validatePackage(packagePath: string, opts: ValidateOptions = {}): Promise<ValidationResult> {
  const problems: PackageProblem[] = [];
  try {
    await stat(packagePath);
  } catch (e) {
    problems.push({
      code: 'NOT_FOUND',
      message: `cannot read ${packagePath}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    });
    return {
      ok: false,
      problems,
      sha256: '',
      bytes: 0,
      manifest: null,
      compatibility: null,
      entries: 0,
      hasDatabasePackage: false,
      kinds: new Map(),
    };
  }
  const expected = await expectedDigest(packagePath, opts, problems);
  if (opts.signers) problems.push(...(await verifyPackageSignature(packagePath, opts.signers)).problems);
  // The one archive inspector (src/deploy/scan-archive.ts): framing, entry rules, links, limits, SHA256SUMS.
  const scan = await scanArchive(packagePath, opts.limits ?? DEFAULT_LIMITS, {
    ...(opts.shared ? { shared: opts.shared } : {}),
    ...(opts.readDatabaseSql || opts.reportShellEscapes ? { keep: [PACKAGE_SQL, CHANGESETS_JSON] } : {}),
  });
  const { sha256, bytes, kept: metadata } = scan;
  // A digest mismatch first: for a truncated or swapped file it is the explanation of everything after it.
  if (expected && expected !== sha256)
    problems.push({ code: 'DIGEST_MISMATCH', message: `archive SHA-256 is ${sha256}, expected ${expected}` });
  problems.push(...scan.problems);
  const hasDatabasePackage = scan.kinds.get(PACKAGE_SQL) === 'File';
  const text = (name: string) => metadata.get(name)?.toString('utf8') ?? null;
  const base = {
    sha256,
    bytes,
    entries: scan.entries,
    hasDatabasePackage,
    kinds: scan.kinds,
    ...(opts.readDatabaseSql
      ? { databaseSql: { packageSql: text(PACKAGE_SQL), changesetsJson: text(CHANGESETS_JSON) } }
      : {}),
  };
  const empty = { ...base, ok: false, problems, manifest: null, compatibility: null };
  // After a framing or limit problem the rest of the archive was never read: anything more would mislead.
  if (scan.stopped) return empty;

  for (const name of METADATA) {
    if (name !== 'SHA256SUMS' && scan.kinds.get(name) !== 'File')
      problems.push({ code: 'MISSING_REQUIRED', message: `required file ${name} is missing`, path: name });
  }
  if (scan.kinds.get('application') !== 'Directory')
    problems.push({
      code: 'MISSING_REQUIRED',
      message: 'required directory application/ is missing',
      path: 'application/',
    });

  const manifest = parseJson(
    'build-manifest.json',
    metadata.get('build-manifest.json'),
    buildManifestSchema,
    problems,
    'MANIFEST_INVALID',
  );
  const compatibility = parseJson(
    'version-compatibility.json',
    metadata.get('version-compatibility.json'),
    versionCompatibilitySchema,
    problems,
    'COMPAT_INVALID',
  );
  parseJson(
    'deployment-info.json',
    metadata.get('deployment-info.json'),
    deploymentInfoSchema,
    problems,
    'DEPLOYMENT_INFO_INVALID',
  );
  const sde = manifest?.provenance?.sourceDateEpoch;
  if (manifest && sde != null && formatIsoSeconds(sde) !== manifest.buildTimestamp) {
    problems.push({
      code: 'MANIFEST_INVALID',
      message: `build-manifest.json: provenance.sourceDateEpoch ${sde} is ${formatIsoSeconds(sde)}, buildTimestamp says ${manifest.buildTimestamp}`,
      path: 'build-manifest.json',
    });
  }
  if (opts.reportShellEscapes) problems.push(...shellEscapeProblems(text(PACKAGE_SQL), text(CHANGESETS_JSON)));
  if (manifest && compatibility && manifest.version !== compatibility.version) {
    problems.push({
      code: 'COMPAT_INVALID',
      message: `version-compatibility.json says ${compatibility.version}, build-manifest.json says ${manifest.version}`,
    });
  }
  return { ...base, ok: problems.length === 0, problems, manifest, compatibility };
}

/** The package's SQL that would run a shell, as problems at file:line (a changesets.json that is no index: one). */
function shellEscapeProblems(packageSql: string | null, changesetsJson: string | null): PackageProblem[] {
  try {
    return findPackageShellEscapes({ packageSql, changesetsJson }).map((f) => ({
      code: 'E_UNSAFE_SQL',
      message: `runs a shell (${f.kind}): ${f.text}`,
      path: f.file,
      line: f.line,
    }));
  } catch (e) {
    if (!(e instanceof SlipwayError)) throw e;
    return [{ code: e.code, message: e.message, path: CHANGESETS_JSON }];
  }
}
