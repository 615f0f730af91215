/**
 * Rollback SQL that runs a shell in a release already on disk (extracted before the deploy's scan existed, or edited
 * since): `slipway rollback` and `slipway recover --yes` judge it again with the deploy's scan (src/db/package-safety.ts)
 * before running any of it, and refuse with E_UNSAFE_SQL at the release's database/changesets.json:line, changing
 * nothing — unless the target sets allowShellInSql. A real target: the built CLI, real PostgreSQL, a real app.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, readHistory } from '../../src/deploy/index.js';
import type { FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { ensureDist } from '../helpers/cli-bin.js';
import { appPackage, setupAppTarget, type AppTarget } from '../helpers/deploy-target.js';
import { waitFor } from '../helpers/wait.js';

const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE d1 (id int);', rollback: 'DROP TABLE d1;' };
const CS2: FixtureChangeSet = { id: '2', sql: 'CREATE TABLE d2 (id int);', rollback: 'DROP TABLE d2;' };

const cleanups: (() => Promise<void>)[] = [];
beforeAll(ensureDist, 300_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function setup(target: Record<string, unknown> = {}) {
  const s: AppTarget = await setupAppTarget('sqldisk', target);
  cleanups.push(s.cleanup);
  const pkg = async (version: string, changeSets: FixtureChangeSet[], status = 'HEALTHY') =>
    (await appPackage(version, changeSets, { status })).path;
  // The database server writes it (as the postgres OS user): /tmp, which that user may write to.
  const marker = `/tmp/slipway-sqldisk-${randomBytes(6).toString('hex')}`;
  cleanups.push(() => rm(marker, { force: true }));
  return { ...s, pkg, marker };
}

/**
 * Replaces changeset 2's rollback SQL in a release's database/changesets.json on disk; returns the file and the
 * line that string is on.
 */
async function editRollback(root: string, release: string, sql: string): Promise<{ file: string; line: number }> {
  const file = path.join(root, 'releases', release, 'database/changesets.json');
  const index = JSON.parse(await readFile(file, 'utf8')) as { id: string; rollback: string[] | null }[];
  index.find((e) => e.id === '2')!.rollback = [sql];
  const text = JSON.stringify(index, null, 2) + '\n';
  await writeFile(file, text);
  return { file, line: text.slice(0, text.indexOf(JSON.stringify(sql))).split('\n').length };
}

const journalText = (root: string) => readFile(path.join(root, '.slipway/journal.jsonl'), 'utf8');

describe('rollback SQL of a release on disk is judged again before it runs', () => {
  it("`slipway rollback`: COPY … TO PROGRAM in the live release's changesets.json is refused at its line, nothing changed; allowShellInSql runs it", async () => {
    const s = await setup();
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    const v2 = (await deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, CS2]), target: 'prod' })).releaseId;
    const copy = `COPY (SELECT 1) TO PROGRAM 'cat > ${s.marker}';`; // cat reads the row (touch did not: broken pipe)
    const { file, line } = await editRollback(s.root, v2, copy);
    const before = await journalText(s.root);
    const r = await s.cli(['rollback', '--target', 'prod']);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(
      `error E_UNSAFE_SQL: ${file}:${line} runs a shell (copy-program): rollback of 2::test: ${copy}`,
    );
    expect(r.err).toContain(`Nothing was changed: the rollback would run the rollback SQL of release ${v2} on disk.`);
    expect(r.err).toContain('deploy.targets.<name>.allowShellInSql: true');
    // observed: nothing ran and nothing changed — no marker, 2.0.0 live and answering, changeset 2 recorded, the
    // journal as it was, the lock free
    expect(existsSync(s.marker)).toBe(false);
    expect(await s.current()).toBe(v2);
    expect(await s.answer()).toBe('version 2.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await journalText(s.root)).toBe(before);
    expect(await s.lockFree()).toBe(true);

    // The target allows it: the same rollback runs that SQL (the server really ran the program).
    await s.config({ allowShellInSql: true });
    const ok = await s.cli(['rollback', '--target', 'prod']);
    expect(ok.code, ok.err).toBe(0);
    await waitFor('the program COPY runs to have written the marker', () => existsSync(s.marker));
    expect(await s.current()).toBe(v1);
    expect(await s.changelog()).toEqual(['1']);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
  }, 240_000);

  it('`slipway recover --yes`: the rollback SQL an unfinished undo would run, edited on disk to COPY … TO PROGRAM, is refused at its line, nothing changed; fixed, recover finishes', async () => {
    const s = await setup();
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    // 2.0.0 fails its health gate and its undo fails (its rollback SQL drops a table that does not exist): the run
    // ends with changeset 2 still applied and `slipway recover --target prod --yes` to finish.
    const broken: FixtureChangeSet = { ...CS2, rollback: 'DROP TABLE no_such_table_d2;' };
    await deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, broken], 'UNHEALTHY'), target: 'prod' }).then(
      () => {
        throw new Error('2.0.0 was meant to fail its health gate');
      },
      () => undefined,
    );
    const v2 = (await readHistory(s.root)).filter((x) => x.step === 'run' && x.status === 'begin').pop()!.release!;
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.current()).toBe(v1);
    // Someone "fixes" the rollback SQL on disk, with a shell in it.
    const copy = `COPY (SELECT 1) TO PROGRAM 'cat > ${s.marker}';`; // cat reads the row (touch did not: broken pipe)
    const { file, line } = await editRollback(s.root, v2, copy);
    const before = await journalText(s.root);
    const pidFile = path.join(s.dir, 'app/app.pid');
    const pid = await readFile(pidFile, 'utf8');
    const r = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(
      `error E_UNSAFE_SQL: ${file}:${line} runs a shell (copy-program): rollback of 2::test: ${copy}`,
    );
    expect(r.err).toContain(`Nothing was changed: recovery would run the rollback SQL of release ${v2} on disk.`);
    // observed: no marker, the journal as it was, 1.0.0 still live and not restarted, changeset 2 still recorded
    expect(existsSync(s.marker)).toBe(false);
    expect(await journalText(s.root)).toBe(before);
    expect(await readFile(pidFile, 'utf8')).toBe(pid);
    expect(await s.current()).toBe(v1);
    expect(await s.answer()).toBe('version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);
    // A deploy's own recovery refuses the same way, and starts nothing.
    const d = await s.cli(['deploy', await s.pkg('3.0.0', [CS1]), '--target', 'prod']);
    expect(d.code).toBe(1);
    expect(d.err).toContain(`error E_UNSAFE_SQL: ${file}:${line} runs a shell (copy-program)`);
    expect(await journalText(s.root)).toBe(before);
    expect(await s.current()).toBe(v1);
    // The rollback SQL put right: recover finishes.
    await editRollback(s.root, v2, 'DROP TABLE d2;');
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toContain(`database: rolled back the 1 changeset(s) ${v2} applied (changelog.sql::2::test)`);
    expect(await s.changelog()).toEqual(['1']);
    expect(existsSync(s.marker)).toBe(false);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
  }, 240_000);
});
