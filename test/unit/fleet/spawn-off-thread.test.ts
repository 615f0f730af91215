import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnOffThread } from '../../../src/fleet/spawn-off-thread.js';
import { resolveDependency } from '../../../src/package-root.js';
import { isPidAlive } from '../../../src/pid-alive.js';
import { HOSTILE } from '../../fixtures/fleet/hostile.js';
import { waitFor } from '../../helpers/wait.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-spawn-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (file: string, args: string[], stdinFile?: { file: string; offset: number }) =>
  spawnOffThread({ file, args, env: process.env, stdinFile });

describe('spawnOffThread', () => {
  it("returns the child's exit status, stdout and stderr", async () => {
    const r = await run('sh', ['-c', 'printf out; printf err >&2; exit 3']).result;
    expect(r.code).toBe(3);
    expect(r.stdout.toString()).toBe('out');
    expect(r.stderr.toString()).toBe('err');
  });

  it('passes an argv array byte for byte, never through a shell', async () => {
    const r = await run('printf', ['%s\\0', ...HOSTILE]).result;
    expect(r.code).toBe(0);
    expect(r.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(HOSTILE);
  });

  it("feeds a file's bytes from an offset to stdin; without one, stdin is empty", async () => {
    const f = path.join(dir, 'in');
    await writeFile(f, 'hello world');
    expect((await run('cat', [], { file: f, offset: 6 }).result).stdout.toString()).toBe('world');
    expect((await run('cat', []).result).stdout.toString()).toBe('');
  });

  it('reports a program that cannot be started as exit 127', async () => {
    const r = await run(path.join(dir, 'no-such-program'), []).result;
    expect(r.code).toBe(127);
    expect(r.lost).toBeUndefined(); // not started, and known not to be
  });

  it('runs many children at once and answers each with its own output', async () => {
    const rs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => run('sh', ['-c', `printf ${i}; exit ${i}`]).result),
    );
    expect(rs.map((r) => [r.code, r.stdout.toString()])).toEqual(Array.from({ length: 12 }, (_, i) => [i, String(i)]));
  });

  it('kill ends the child and answers once it exited, even while another process still holds its pipes', async () => {
    // The background sleep keeps stdout open, as an ssh mux client's master does: waiting for the pipes to close
    // would wait for it.
    const pidFile = path.join(dir, 'holder.pid');
    const c = run('sh', ['-c', `sleep 120 & echo $! > '${pidFile}'; printf started; exec sleep 120`]);
    const holder = await waitFor(
      'the pipe holder',
      async () => {
        const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
      },
      { timeoutMs: 30_000 },
    );
    try {
      c.kill();
      const r = await c.result; // waiting for the pipes instead would take the holder's 120 s: the test times out
      expect(r.code).toBeNull(); // ended by the signal
      expect(r.stdout.toString()).toBe('started');
      expect(isPidAlive(holder)).toBe(true);
    } finally {
      process.kill(holder, 'SIGKILL');
    }
  });

  it('starts the children from a launcher process, not from this one (whose fork would copy all of it)', async () => {
    const r = await run('sh', ['-c', 'printf %s "$PPID"']).result;
    const parent = Number(r.stdout.toString());
    expect(Number.isInteger(parent) && parent > 0).toBe(true);
    expect(parent).not.toBe(process.pid);
    // The launcher is this process's child, and it serves every spawn.
    const stat = (await readFile(`/proc/${parent}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    expect(Number(stat[1])).toBe(process.pid);
    expect(Number((await run('sh', ['-c', 'printf %s "$PPID"']).result).stdout.toString())).toBe(parent);
  });

  it('a launcher that died answers its children in flight as lost (127); the next spawn starts another', async () => {
    const pidFile = path.join(dir, 'orphan.pid');
    const c = run('sh', ['-c', `echo $$ > '${pidFile}'; exec sleep 120`]);
    const child = await waitFor(
      'the child',
      async () => {
        const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
        return Number.isInteger(pid) && pid > 0 ? pid : undefined;
      },
      { timeoutMs: 30_000 },
    );
    try {
      const launcher = Number((await readFile(`/proc/${child}/stat`, 'utf8')).split(') ')[1]!.split(' ')[1]);
      expect(launcher).not.toBe(process.pid);
      process.kill(launcher, 'SIGKILL');
      const r = await c.result;
      expect(r.code).toBe(127);
      expect(r.lost).toBe(true); // the child may still run: not "could not start"
      expect(r.stderr.toString()).toContain('spawn launcher failed');
      const again = await run('sh', ['-c', 'printf %s "$PPID"']).result;
      expect(again.code).toBe(0);
      expect(Number(again.stdout.toString())).not.toBe(launcher);
    } finally {
      process.kill(child, 'SIGKILL');
    }
  });

  it('an idle launcher does not keep the process alive', () => {
    const mod = new URL('../../../src/fleet/spawn-off-thread.ts', import.meta.url).href;
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        pathToFileURL(resolveDependency('tsx')).href,
        '--input-type=module',
        '-e',
        `const { spawnOffThread } = await import(${JSON.stringify(mod)});
         const r = await spawnOffThread({ file: 'sh', args: ['-c', 'printf ok'], env: process.env }).result;
         process.stdout.write(r.stdout.toString() + ' ' + r.code);`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.signal).toBeNull(); // not killed by the timeout: it exited by itself
    expect(r.stdout).toBe('ok 0');
  });
});
