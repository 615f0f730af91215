import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SLIPWAY_VERSION } from '../version.js';
import { hashFile, sha256Hasher, sha256Hex } from '../fileset/hash.js';
import type { DbVerify } from './package-db.js';
import { readToolVersion } from '../version.js';

// Read from the installed package (it does not export its package.json, so a plain require of that file failed and
// every key said "unknown"): a new PGlite changes every key.
const PGLITE_VERSION: string = readToolVersion('@electric-sql/pglite');

/**
 * Digest of database.verifySetup (its inline SQL and the bytes of its files, in order): the setup runs before the
 * package, so a changed role or extension can change the result. A missing file digests as such (the run reports it).
 */
export async function verifySetupDigest(setup: { sql: string[]; files: string[] }): Promise<string> {
  const parts = [...setup.sql.map((s) => `sql\0${s}`)];
  for (const f of setup.files) parts.push(`file\0${await hashFile(f).catch(() => 'missing')}`);
  return sha256Hex(parts.join('\0\0'));
}

/**
 * Content address of a verification: the engine, the package SQL (minus its generated-at line, the one part that is
 * not derived from the changelog), the verifySetup digest and the versions of the code that runs it. The same
 * address means the same SQL on the same engine, so the earlier result is the result; the build asks only for PGlite
 * (a PostgreSQL server may change), and a result from one engine never answers for the other.
 */
export function verifyCacheKey(packageSql: string, setupDigest: string, engine: 'pglite' | 'postgresql'): string {
  const sql = packageSql.replace(/^-- Generated: .*$/m, '');
  return sha256Hasher()
    .update(`verify\0slipway ${SLIPWAY_VERSION}\0engine ${engine}\0pglite ${PGLITE_VERSION}\0setup ${setupDigest}\0`)
    .update(sql)
    .hex();
}

/** The cached verification for `key`, or null (missing or unreadable entries are simply a miss). */
export async function readVerifyCache(cacheDir: string, key: string): Promise<DbVerify | null> {
  try {
    const cached = JSON.parse(await readFile(path.join(cacheDir, `verify-${key}.json`), 'utf8')) as DbVerify;
    // Entries written before missingExtensions existed: none were missing (such a package did not verify then).
    return { ...cached, missingExtensions: cached.missingExtensions ?? [] };
  } catch {
    return null;
  }
}

/** Stores a successful verification (temp file + rename, so a reader never sees half a file). */
export async function writeVerifyCache(cacheDir: string, key: string, result: DbVerify): Promise<void> {
  if (!result.ok) return;
  await mkdir(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `verify-${key}.json`);
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(result));
  await rename(tmp, file);
}
