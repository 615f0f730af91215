// What the fleet controller extracts of a release (src/fleet/controller-copy.ts), and the local extraction of just
// that part: the selected entries written and verified against their SHA256SUMS lines, nothing else written.
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { c as createTar } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/deploy/archive-rules.js';
import { LocalTarget } from '../../../src/deploy/local-target.js';
import { verifyTree } from '../../../src/deploy/verify-tree.js';
import type { SlipwayError } from '../../../src/errors.js';
import { controllerReads, controllerSelection } from '../../../src/fleet/controller-copy.js';
import { validatePackage } from '../../../src/manifest/validate.js';
import { makeFixturePackage } from '../../fixtures/deploy/make-package.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

type Kind = 'File' | 'Directory' | 'SymbolicLink';
const kinds = (o: Record<string, Kind>) => new Map(Object.entries(o));
const base: Record<string, Kind> = {
  SHA256SUMS: 'File',
  'build-manifest.json': 'File',
  'version-compatibility.json': 'File',
  application: 'Directory',
  'application/server.mjs': 'File',
  database: 'Directory',
  'database/package.sql': 'File',
  'database/changesets.json': 'File',
  tests: 'Directory',
  'tests/unit/a.test.mjs': 'File',
  'tests/smoke/README.txt': 'File',
};

describe('controllerSelection', () => {
  it('selects the top-level files and database/, nothing of the application or the other tests', () => {
    const select = controllerSelection(kinds(base))!;
    expect(select).not.toBeNull();
    const chosen = Object.keys(base).filter((p) => select(p));
    expect(chosen).toEqual([
      'SHA256SUMS',
      'build-manifest.json',
      'version-compatibility.json',
      'database',
      'database/package.sql',
      'database/changesets.json',
    ]);
  });

  it('the whole release when the package ships smoke tests (they run from it and may read any file)', () => {
    expect(controllerSelection(kinds({ ...base, 'tests/smoke/health.mjs': 'File' }))).toBeNull();
    expect(controllerSelection(kinds({ ...base, 'tests/smoke/check.sh': 'File' }))).toBeNull();
    // not a smoke test by the contract of src/deploy/smoke.ts: a file in a subdirectory, another extension
    expect(controllerSelection(kinds({ ...base, 'tests/smoke/lib/x.mjs': 'File' }))).not.toBeNull();
  });

  it('the whole release when a link is among what the controller reads (it could point at a file left out)', () => {
    expect(controllerSelection(kinds({ ...base, 'database/package.sql': 'SymbolicLink' }))).toBeNull();
    expect(controllerSelection(kinds({ ...base, NOTICE: 'SymbolicLink' }))).toBeNull();
    expect(controllerSelection(kinds({ ...base, 'application/link': 'SymbolicLink' }))).not.toBeNull();
  });

  it('a top-level directory other than database/ is not read', () => {
    expect(controllerReads('docs', 'Directory')).toBe(false);
    expect(controllerReads('docs/a.md', 'File')).toBe(false);
    expect(controllerReads('database', 'Directory')).toBe(true);
  });
});

describe('LocalTarget.installRelease with the controller selection', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await removeTree(d);
  });
  const files = {
    'application/src/a.js': 'export const a = 1;\n',
    'application/src/b.js': 'export const b = 2;\n',
    'database/package.sql': 'CREATE TABLE t (id int);\n',
    'database/changesets.json': '[]\n',
  };

  it('writes and verifies only the selected entries; the release is renamed in as usual', async () => {
    const out = await makeTree({});
    dirs.push(out);
    const pkg = await makeFixturePackage({ files, outDir: out });
    const v = await validatePackage(pkg.path, { expectedSha256: pkg.sha256 });
    expect(v.ok).toBe(true);
    const select = controllerSelection(v.kinds)!;
    const target = new LocalTarget(path.join(out, 'controller'));
    await target.prepare();
    const r = await target.installRelease(pkg.path, 'r1', { limits: DEFAULT_LIMITS, shared: [], select });
    const dir = target.releaseDir('r1');
    expect((await readdir(dir)).sort()).toEqual([
      'SHA256SUMS',
      'build-manifest.json',
      'database',
      'deployment-info.json',
      'version-compatibility.json',
    ]);
    expect(r.files).toBe(6); // the four metadata files (SHA256SUMS among them) and database/'s two
    expect((await verifyTree(dir, { select })).problems).toEqual([]);
    // It is not the whole release: without the selection its own SHA256SUMS names what is missing.
    expect((await verifyTree(dir)).problems.map((p) => p.code)).toContain('SUMS_MISSING_FILE');
  });

  it('a selected file that does not match SHA256SUMS is refused and nothing is installed', async () => {
    const out = await makeTree({});
    dirs.push(out);
    const pkg = await makeFixturePackage({ files, outDir: out });
    // The same package with database/package.sql changed after SHA256SUMS was written.
    await writeFile(path.join(pkg.dir, 'database/package.sql'), 'DROP TABLE t;\n');
    const entries = (await readdir(pkg.dir, { recursive: true })).map(String).sort();
    const bad = path.join(out, 'bad.tar.gz');
    await createTar({ gzip: true, file: bad, cwd: pkg.dir, portable: true, noDirRecurse: true }, entries);
    const select = controllerSelection((await validatePackage(pkg.path, { expectedSha256: pkg.sha256 })).kinds)!;
    const target = new LocalTarget(path.join(out, 'controller'));
    await target.prepare();
    const e = await target.installRelease(bad, 'r1', { limits: DEFAULT_LIMITS, shared: [], select }).then(
      () => null,
      (x: unknown) => x as SlipwayError,
    );
    expect(e?.code).toBe('E_UNSAFE_ARCHIVE');
    expect(e?.message).toMatch(/database\/package\.sql: sha256 .* but SHA256SUMS says/);
    expect(await target.listReleaseDirs()).toEqual([]);
  });
});
