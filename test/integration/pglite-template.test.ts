import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyChangelog } from '../../src/db/verify.js';
import { openSession } from '../../src/db/session.js';
import { shippedPgliteTemplateFile } from '../../src/db/pglite-template.js';
import { runBin } from '../helpers/cli-bin.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

// The initdb template of an in-memory PGlite (src/db/pglite-template.ts): written by the first run, loaded by the
// next, replaced when unreadable; a verification from it gives what a fresh PGlite gives.
const app = { rootDir: path.resolve('test/fixtures/db-pkg/app'), changelog: 'db/master.xml', contexts: ['dev'] };
let dir: string;
let template: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-pglite-template-'));
  template = path.join(dir, 'cache', 'pglite-test-initdb.tar.gz');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const summary = (r: Awaited<ReturnType<typeof verifyChangelog>>) => ({
  ok: r.ok,
  engine: r.engine,
  fingerprint: r.fingerprint,
  changeSets: r.changeSets.map((c) => [c.id, c.status]),
});

describe('PGlite initdb template', () => {
  it('the first run (a fresh initdb) writes it, the next loads it and verifies the same', async () => {
    await expect(stat(template)).rejects.toThrow();
    const first = summary(await verifyChangelog({ ...app, pgliteTemplate: template }));
    const written = await readFile(template);
    expect(written.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
    const second = summary(await verifyChangelog({ ...app, pgliteTemplate: template }));
    expect(first.ok).toBe(true);
    expect(first.engine).toBe('pglite');
    expect(first.changeSets.length).toBeGreaterThan(5);
    expect(second).toEqual(first);
    // Loading does not rewrite it.
    expect(Buffer.compare(await readFile(template), written)).toBe(0);
  }, 300_000);

  it('an unreadable template is replaced by a fresh initdb; the in-memory cluster has the 16 MB buffer pool; a killed writer’s leftover goes', async () => {
    await mkdir(path.dirname(template), { recursive: true });
    await writeFile(template, 'not a data directory');
    // What a process killed while writing the template leaves (its pid is gone), and one another process is writing.
    const dead = `${template}.tmp-${spawnSync('true').pid}-0badc0de`;
    const live = `${template}.tmp-${process.pid}-0c0ffee0`;
    await writeFile(dead, 'partial');
    await writeFile(live, 'being written');
    const s = await openSession('memory:', { pgliteTemplate: template });
    try {
      expect((await s.query('SHOW shared_buffers')).rows).toEqual([{ shared_buffers: '16MB' }]);
      expect((await s.query('SELECT 1 AS one')).rows).toEqual([{ one: '1' }]);
    } finally {
      await s.close();
    }
    expect((await readFile(template)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    await rm(live);
  }, 300_000);

  it('contrib extensions load into a cluster started from the template', async () => {
    const root = await makeTree({
      'db/master.sql':
        '--liquibase formatted sql\n--changeset a:1\nCREATE EXTENSION IF NOT EXISTS "uuid-ossp";\nCREATE EXTENSION IF NOT EXISTS pgcrypto;\n' +
        "CREATE TABLE t (id uuid DEFAULT uuid_generate_v4(), h text DEFAULT encode(digest('x', 'sha256'), 'hex'));\n" +
        'INSERT INTO t DEFAULT VALUES;\n',
    });
    try {
      await stat(template); // written by the tests above: this run loads it
      const r = await verifyChangelog({ rootDir: root, changelog: 'db/master.sql', pgliteTemplate: template });
      expect(r.ok).toBe(true);
      expect(r.changeSets.map((c) => c.status)).toEqual(['EXECUTED']);
    } finally {
      await removeTree(root);
    }
  }, 300_000);

  it('a first run with an empty cache starts from the template Slipway ships and writes none of its own', async () => {
    // dist/pglite/ is written by `npm run build:ts` (tools/pglite-template.mjs), which the test command runs first.
    const shipped = shippedPgliteTemplateFile();
    const before = await readFile(shipped);
    expect(before.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const cache = path.join(dir, 'empty-cache');
    const r = runBin(['db', 'verify', '--root', app.rootDir, '--changelog', app.changelog, '--contexts', 'dev'], dir, {
      env: { SLIPWAY_CACHE_DIR: cache },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ok on pglite/m);
    // No initdb ran: the user's cache holds no template (Node's compile cache may be there on Node >= 22.1).
    const written = existsSync(cache) ? await readdir(cache) : [];
    expect(written.filter((f) => f.startsWith('pglite-'))).toEqual([]);
    expect(Buffer.compare(await readFile(shipped), before)).toBe(0);
  }, 300_000);
});
