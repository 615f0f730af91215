// The build's verification process is forked before the package exists and opens its in-memory PGlite meanwhile
// (prepareVerify, openVerifyPglite): the session opened ahead is the one the package is applied to when it fits (no
// extension), is closed and replaced when the package needs one, and no verification process outlives its build
// (verified, answered from the cache, or failed before it was asked) nor a parent that went away.
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVerifyPglite, verifyChangelog } from '../../src/db/verify.js';
import type { SqlSession } from '../../src/db/session.js';
import { OPEN_PGLITE_ARG } from '../../src/builder/verify-reply.js';
import { buildProject, makeBuildProject } from '../helpers/build-project.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const CHANGELOG = '--liquibase formatted sql\n--changeset ann:1\nCREATE TABLE t (id int);\n--rollback DROP TABLE t;\n';
const WITH_EXTENSION =
  '--liquibase formatted sql\n--changeset ann:1\nCREATE EXTENSION IF NOT EXISTS pgcrypto;\n' +
  "CREATE TABLE t (id int, h text DEFAULT encode(digest('x', 'sha256'), 'hex'));\n";

/** This process's children running the verification entry (src/cli/verify-main.ts), by /proc. */
function verifyChildren(): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${process.pid}/task`)) {
    const children = readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean);
    for (const pid of children.map(Number)) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        if (cmd.includes('verify-main') && state !== 'Z') pids.push(pid);
      } catch {
        // ended between the two reads
      }
    }
  }
  return pids;
}

let dir: string;
beforeAll(async () => {
  dir = await makeTree({ 'db/plain.sql': CHANGELOG, 'db/ext.sql': WITH_EXTENSION }, 'slipway-verify-ahead-');
});
afterAll(async () => {
  await removeTree(dir);
});

describe('a PGlite opened ahead of the verification', () => {
  it('is the session the package is applied to when the package needs no extension', async () => {
    const ahead = openVerifyPglite();
    // A table only this session has: the fingerprint shows which database the package went to.
    await (await ahead).query('CREATE TABLE ahead_marker (x int)');
    const used = await verifyChangelog({ rootDir: dir, changelog: 'db/plain.sql', pglite: ahead });
    const fresh = await verifyChangelog({ rootDir: dir, changelog: 'db/plain.sql' });
    expect(used.ok).toBe(true);
    expect(fresh.ok).toBe(true);
    expect(used.changeSets.map((c) => c.status)).toEqual(['EXECUTED']);
    expect(used.fingerprint).not.toBe(fresh.fingerprint);
    // ...and it is closed afterwards, like a session the verification opened itself.
    await expect((await ahead).query('SELECT 1')).rejects.toThrow();
  }, 180_000);

  it('is closed and replaced by a PGlite with the extension when the package creates one', async () => {
    const ahead = openVerifyPglite();
    await (await ahead).query('CREATE TABLE ahead_marker (x int)');
    const r = await verifyChangelog({ rootDir: dir, changelog: 'db/ext.sql', pglite: ahead });
    const fresh = await verifyChangelog({ rootDir: dir, changelog: 'db/ext.sql' });
    expect(r.ok).toBe(true);
    expect(r.fingerprint).toBe(fresh.fingerprint); // no ahead_marker: not the session opened ahead
    await expect((await ahead).query('SELECT 1')).rejects.toThrow();
  }, 180_000);

  it('that failed to open is replaced by a fresh one', async () => {
    const failed: Promise<SqlSession> = Promise.reject(new Error('PGlite did not start'));
    failed.catch(() => undefined); // as verify-main.ts does: the rejection is the verification's to handle
    const r = await verifyChangelog({ rootDir: dir, changelog: 'db/plain.sql', pglite: failed });
    expect(r.ok).toBe(true);
    expect(r.changeSets.map((c) => c.status)).toEqual(['EXECUTED']);
  }, 180_000);
});

describe('the verification process forked at the start of a build', () => {
  it('has ended after a verified build, a cached one and one that failed before it was asked', async () => {
    const project = await makeBuildProject({
      name: 'ahead',
      changelog: 'db/master.sql',
      files: { 'db/master.sql': CHANGELOG },
    });
    const verify = (r: Awaited<ReturnType<typeof buildProject>>) => r.phases.find((p) => p.name === 'verify')!;
    const none = () => verifyChildren().length === 0;

    const from = performance.now();
    const first = await buildProject(project);
    const wall = performance.now() - from;
    expect(verify(first).reason).toMatch(
      /^PGlite in a child process, concurrent with compile; peak RSS [1-9]\d* MB; database\.verifyUrl is not set: .*$/,
    );
    // The database phase is the package's rendering: the wait for the verification is the verify phase's alone, so
    // the two follow each other inside the build's wall time (the database phase once also held that wait).
    const database = first.phases.find((p) => p.name === 'database')!;
    expect(database.ms + verify(first).ms).toBeLessThanOrEqual(wall + 50);
    await waitFor('the verification process of the verified build to end', none, { timeoutMs: 60_000 });

    // The cached result answers: the process forked ahead is stopped, not left to open PGlite for nothing.
    const second = await buildProject(project);
    expect(verify(second)).toMatchObject({
      status: 'ok',
      reason: expect.stringMatching(/^cached result of an identical package/),
    });
    await waitFor('the unused verification process to be stopped', none, { timeoutMs: 60_000 });

    // A changelog that does not parse fails the build after the process was forked: it is stopped too.
    await writeFile(path.join(project, 'db/master.sql'), '--liquibase formatted sql\n--changeset nocolon\nSELECT 1;\n');
    await expect(buildProject(project)).rejects.toMatchObject({ code: expect.stringMatching(/^E_/) });
    await waitFor('the verification process of the failed build to be stopped', none, { timeoutMs: 60_000 });
  }, 240_000);

  it.each([
    ['while it is still loading', false],
    ['once it has started', true],
  ])(
    'exits when its parent goes away before sending a request (%s)',
    async (_, started) => {
      const child = fork(path.resolve('src/cli/verify-main.ts'), [OPEN_PGLITE_ARG], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // "Started": its PGlite is being opened (the module ran), so the channel has a listener by then.
      if (started) await waitFor('the process to open PGlite', () => readProcStatusRssKb(child.pid!) > 100_000);
      child.disconnect(); // what the process sees when the build that forked it dies
      await expect(exited).resolves.toBe(0);
    },
    120_000,
  );
});

function readProcStatusRssKb(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}
