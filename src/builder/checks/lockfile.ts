import { readFile } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { z } from 'zod';
import type { PackageJsonFacts } from '../../config/package-json.js';
import type { CheckResult } from '../../fileset/types.js';

const depsSchema = z.record(z.string(), z.string()).optional();
const manifestSchema = z.looseObject({
  dependencies: depsSchema,
  devDependencies: depsSchema,
  optionalDependencies: depsSchema,
  peerDependencies: depsSchema,
});
const lockSchema = z.looseObject({
  lockfileVersion: z.number().int(),
  packages: z.record(z.string(), z.looseObject({ version: z.string().optional(), ...manifestSchema.shape })).optional(),
});

const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function allDeps(
  m: z.infer<typeof manifestSchema>,
): Map<string, { range: string; field: (typeof DEP_FIELDS)[number] }> {
  const out = new Map<string, { range: string; field: (typeof DEP_FIELDS)[number] }>();
  for (const field of DEP_FIELDS)
    for (const [n, range] of Object.entries(m[field] ?? {})) if (!out.has(n)) out.set(n, { range, field });
  return out;
}

/**
 * package.json vs package-lock.json, the checks `npm ci` would fail on: the lockfile exists, is v2+, its root
 * entry declares the same dependency ranges, and every locked version satisfies its range.
 */
export async function checkLockfile(rootDir: string, packageJson: PackageJsonFacts): Promise<CheckResult> {
  const name = 'lockfile';
  if (packageJson.problem) return { name, status: 'fail', reason: `package.json: ${packageJson.problem}` };
  const pkgRaw = packageJson.document ?? undefined;
  let lockRaw: unknown;
  let lockName = 'npm-shrinkwrap.json';
  try {
    lockRaw = await readJson(path.join(rootDir, lockName));
    if (lockRaw === undefined) lockRaw = await readJson(path.join(rootDir, (lockName = 'package-lock.json')));
  } catch (e) {
    return { name, status: 'fail', reason: `cannot parse ${(e as Error).message}` };
  }
  if (pkgRaw === undefined) return { name, status: 'skip', reason: 'no package.json in the project root' };
  const pkg = manifestSchema.safeParse(pkgRaw);
  if (!pkg.success)
    return {
      name,
      status: 'fail',
      reason: `package.json: ${pkg.error.issues[0]?.path.join('.')}: ${pkg.error.issues[0]?.message}`,
    };
  const declared = allDeps(pkg.data);
  if (lockRaw === undefined) {
    if (declared.size === 0) return { name, status: 'pass', reason: 'no dependencies, no lockfile needed' };
    return {
      name,
      status: 'warn',
      reason: `no package-lock.json for ${declared.size} dependencies; run \`npm install\` and commit the lockfile`,
    };
  }
  const lock = lockSchema.safeParse(lockRaw);
  if (!lock.success)
    return {
      name,
      status: 'fail',
      reason: `${lockName}: ${lock.error.issues[0]?.path.join('.')}: ${lock.error.issues[0]?.message}`,
    };
  const root = lock.data.packages?.[''];
  if (lock.data.lockfileVersion < 2 || !root) {
    return {
      name,
      status: 'warn',
      reason: `${lockName} has lockfileVersion ${lock.data.lockfileVersion} (no packages[""]); regenerate it with npm 7 or later`,
    };
  }
  const locked = allDeps(root);
  const problems: string[] = [];
  const missing = [...declared.keys()].filter((n) => !locked.has(n));
  const extra = [...locked.keys()].filter((n) => !declared.has(n));
  const changed = [...declared].filter(([n, d]) => locked.has(n) && locked.get(n)!.range !== d.range);
  if (missing.length) problems.push(`not in the lockfile: ${missing.join(', ')}`);
  if (extra.length) problems.push(`in the lockfile but not in package.json: ${extra.join(', ')}`);
  if (changed.length)
    problems.push(
      `ranges differ: ${changed.map(([n, d]) => `${n} (package.json ${d.range}, lockfile ${locked.get(n)!.range})`).join(', ')}`,
    );
  const unsatisfied: string[] = [];
  for (const [n, d] of declared) {
    const v = lock.data.packages?.[`node_modules/${n}`]?.version;
    // Non-semver specs (git URLs, file:, npm: aliases) cannot be compared; npm itself resolved them.
    if (
      v &&
      semver.valid(v) &&
      semver.validRange(d.range) &&
      !semver.satisfies(v, d.range, { includePrerelease: true })
    ) {
      unsatisfied.push(`${n}@${v} (wants ${d.range})`);
    }
  }
  if (unsatisfied.length) problems.push(`locked versions outside their range: ${unsatisfied.join(', ')}`);
  if (problems.length)
    return { name, status: 'fail', reason: `${lockName} out of date: ${problems.join('; ')}; run \`npm install\`` };
  return {
    name,
    status: 'pass',
    reason: `${lockName} (v${lock.data.lockfileVersion}) matches package.json (${declared.size} dependencies)`,
  };
}
