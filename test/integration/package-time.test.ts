import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveBuildTime } from '../../src/manifest/package-time.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

describe('resolveBuildTime (real git)', () => {
  it('prefers the option, then SOURCE_DATE_EPOCH, then the last commit time, then the clock', async () => {
    const dir = await makeTree({ 'a.txt': 'a' });
    dirs.push(dir);
    const noGit = await resolveBuildTime({ rootDir: dir, env: {}, now: () => 1_234_567_890_123 });
    expect(noGit).toEqual({ epoch: 1_234_567_890, source: 'now' });
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, ...args], {
        env: {
          ...process.env,
          GIT_AUTHOR_DATE: '@1600000000 +0000',
          GIT_COMMITTER_DATE: '@1600000123 +0000',
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@x',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@x',
        },
      });
    git('init', '-q');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'one');
    expect(await resolveBuildTime({ rootDir: dir, env: {} })).toEqual({ epoch: 1_600_000_123, source: 'git' });
    expect(await resolveBuildTime({ rootDir: dir, env: { SOURCE_DATE_EPOCH: '1700000000' } })).toEqual({
      epoch: 1_700_000_000,
      source: 'SOURCE_DATE_EPOCH',
    });
    expect(
      await resolveBuildTime({ rootDir: dir, sourceDateEpoch: 5, env: { SOURCE_DATE_EPOCH: '1700000000' } }),
    ).toEqual({ epoch: 5, source: 'SOURCE_DATE_EPOCH' });
    await expect(resolveBuildTime({ rootDir: dir, env: { SOURCE_DATE_EPOCH: 'yesterday' } })).rejects.toThrow(
      /SOURCE_DATE_EPOCH must be whole seconds/,
    );
  });
});
