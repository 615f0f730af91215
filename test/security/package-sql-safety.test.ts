/** A package whose database/package.sql would run a shell is refused before any of it runs (real PostgreSQL). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploy } from '../../src/deploy/deploy.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { baseFiles, craftPackageEntries, craftTar, writeCrafted } from '../fixtures/deploy/craft.js';

let sandbox: string;
let db: TestDatabase;
beforeAll(async () => {
  sandbox = await mkdtemp(path.join(tmpdir(), 'slipway-sqlsafe-'));
  db = await createTestDatabase();
});
afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
  await db.drop();
});

describe('shell escapes in database/package.sql', () => {
  it('COPY … TO PROGRAM is refused with E_UNSAFE_SQL before any statement runs', async () => {
    const marker = path.join(sandbox, 'pwned');
    const sql = `CREATE TABLE first_statement (a int);\nCOPY (SELECT 1) TO PROGRAM 'touch ${marker}';\n`;
    const dir = path.join(sandbox, 'p');
    await mkdir(dir);
    const config = await makeDeployConfig(dir, { databaseUrl: db.url });
    const files = { ...baseFiles(), 'database/package.sql': sql };
    const pkg = await writeCrafted(dir, 'demo', craftTar(craftPackageEntries({ files })));
    await expect(deploy({ config, packagePath: pkg, target: 'prod' })).rejects.toMatchObject({
      code: 'E_UNSAFE_SQL',
      message: `database/package.sql:2 runs a shell (copy-program): COPY (SELECT 1) TO PROGRAM 'touch ${marker}';`,
      field: 'deploy.targets.*.allowShellInSql',
    });
    expect(existsSync(marker)).toBe(false);
    expect(await queryRows(db.url, "SELECT to_regclass('first_statement') AS t")).toEqual([{ t: null }]);
  });
});
