// One implementation per shared decision (COMMON.md "one owner module"): a second copy of a gateway or a helper
// drifted before (issue 12: three hashFiles, a health check with its own pg.Client, a program inside the core).
// These scans fail when one comes back; each names the file and line it found.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve('src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const abs = path.join(dir, name);
    if (statSync(abs).isDirectory()) return sources(abs);
    return /\.tsx?$/.test(name) ? [abs] : [];
  });
}

/** `file:line` of every line matching `pattern` in src/, except in the files `allowed` (paths under src/). */
function findOutside(pattern: RegExp, allowed: (rel: string) => boolean): string[] {
  const hits: string[] = [];
  for (const abs of sources(SRC)) {
    const rel = path.relative(SRC, abs).split(path.sep).join('/');
    if (allowed(rel)) continue;
    readFileSync(abs, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (pattern.test(line)) hits.push(`src/${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  return hits;
}

describe('one owner per shared decision', () => {
  it('every sha256/hmac goes through src/fileset/hash.ts (Liquibase MD5 checksums stay in db/checksum.ts)', () => {
    expect(
      findOutside(/\bcreateHash\(|\bcreateHmac\(/, (f) => f === 'fileset/hash.ts' || f === 'db/checksum.ts'),
    ).toEqual([]);
    expect(findOutside(/function (hashFile|sha256Hex|hmacSha256Hex)\b/, (f) => f === 'fileset/hash.ts')).toEqual([]);
  });

  it('PostgreSQL connections are opened only by src/db/session.ts', () => {
    expect(findOutside(/from 'pg'|import\('pg'\)|new (pg\.)?Client\(/, (f) => f === 'db/session.ts')).toEqual([]);
  });

  it('the core never prints or sets the exit code: program entries live in src/cli', () => {
    const edge = (f: string) => f.startsWith('cli/') || f.startsWith('web/');
    expect(findOutside(/process\.(stdout|stderr)\b|process\.exitCode|console\.(log|error|warn)\(/, edge)).toEqual([]);
  });

  it('the user cache directory is decided only in src/cache-dir.ts', () => {
    expect(findOutside(/XDG_CACHE_HOME|SLIPWAY_CACHE_DIR/, (f) => f === 'cache-dir.ts')).toEqual([]);
  });
});
