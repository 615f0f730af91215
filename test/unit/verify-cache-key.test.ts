import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyCacheKey, verifySetupDigest } from '../../src/builder/verify-cache.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

describe('verification cache key', () => {
  it('covers database.verifySetup: its inline SQL and the bytes of its files, not only the package', async () => {
    const dir = await makeTree({ 'setup.sql': 'CREATE ROLE app_user;\n' }, 'slipway-vkey-');
    dirs.push(dir);
    const file = path.join(dir, 'setup.sql');
    const pkg = '-- Generated: 2026-01-01\nCREATE TABLE t (id int);\n';
    const key = async (setup: { sql: string[]; files: string[] }, sql = pkg) =>
      verifyCacheKey(sql, await verifySetupDigest(setup), 'pglite');

    const none = await key({ sql: [], files: [] });
    const withFile = await key({ sql: [], files: [file] });
    expect(withFile).not.toBe(none);
    expect(await key({ sql: [], files: [file] })).toBe(withFile);
    // The generated-at line is not content.
    expect(await key({ sql: [], files: [file] }, pkg.replace('2026-01-01', '2027-02-02'))).toBe(withFile);

    await writeFile(file, 'CREATE ROLE app_user;\nCREATE SCHEMA extra;\n');
    const edited = await key({ sql: [], files: [file] });
    expect(edited).not.toBe(withFile);

    const inline = await key({ sql: ['CREATE ROLE app_user'], files: [] });
    expect(inline).not.toBe(none);
    expect(await key({ sql: ['CREATE ROLE other'], files: [] })).not.toBe(inline);
    // An inline statement is not the same setup as a file holding the same text.
    await writeFile(file, 'CREATE ROLE app_user');
    expect(await key({ sql: [], files: [file] })).not.toBe(inline);
    expect(await key({ sql: [], files: [path.join(dir, 'missing.sql')] })).not.toBe(none);
  });

  it('names the engine: a PGlite result never answers for PostgreSQL (database.verifyUrl auto may pick either)', async () => {
    const digest = await verifySetupDigest({ sql: [], files: [] });
    const sql = 'CREATE TABLE t (id int);\n';
    expect(verifyCacheKey(sql, digest, 'pglite')).not.toBe(verifyCacheKey(sql, digest, 'postgresql'));
  });
});
