import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseChangelog, parsePsqlScript } from '../../../src/db/changelog/index.js';

// The sample project every other area builds from: its changelog and psql reference script must parse cleanly.
// Checksums against real Liquibase: test/integration/db-checksum-oracle.test.ts.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/umig-sample');

function sqlFilesUnder(rel: string): string[] {
  return readdirSync(path.join(root, rel), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

describe('examples/umig-sample/db', () => {
  it('the Liquibase master parses without warnings, every changelog file is read, FILENAMEs are search-path relative', async () => {
    const r = await parseChangelog({ rootDir: root, changelog: 'db/changelog/db.changelog-master.xml' });
    expect(r.warnings).toEqual([]);
    expect(r.changeSets.length).toBeGreaterThan(0);
    expect(
      r.files
        .map((f) => f.path)
        .filter((p) => p.endsWith('.sql'))
        .sort(),
    ).toEqual(sqlFilesUnder('db/changelog'));
    for (const c of r.changeSets) {
      expect(c.filename.startsWith('db/changelog/')).toBe(true);
      expect(c.checksum).toMatch(/^9:[0-9a-f]{32}$/);
      expect(c.checksumV8).toMatch(/^8:[0-9a-f]{32}$/);
    }
  });

  it('the psql reference script includes every .sql file under db/reference exactly as psql would reach them', async () => {
    const r = await parsePsqlScript({ rootDir: root, script: 'db/reference/install.sql' });
    expect(r.warnings).toEqual([]);
    expect([...new Set(r.files.map((f) => f.path))].sort()).toEqual(sqlFilesUnder('db/reference'));
  });
});
