import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPidAlive } from '../../src/pid-alive.js';
import { waitFor } from '../helpers/wait.js';

describe('isPidAlive', () => {
  it('is true for this process and false for pids that name no single process', () => {
    expect(isPidAlive(process.pid)).toBe(true);
    // kill(0, 0) probes our own process group and kill(-n, 0) another group: both would say "alive"
    expect(isPidAlive(0)).toBe(false);
    expect(isPidAlive(-process.pid)).toBe(false);
    expect(isPidAlive(Number.NaN)).toBe(false);
    expect(isPidAlive(1.5)).toBe(false);
  });

  it.runIf(process.platform === 'linux')('calls a zombie (exited, not yet reaped) dead', async () => {
    // perl forks a child that exits at once and never calls wait(), so the child stays a zombie. (A shell is not
    // reliable here: dash may reap a finished background job before it execs, which failed this test under load.)
    const parent = spawn(
      'perl',
      ['-e', '$| = 1; my $p = fork() // die "fork: $!"; if ($p == 0) { exit 0 } print "$p\n"; sleep 60'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
        parent.once('error', reject);
      });
      await waitFor('the background child to become a zombie', () =>
        /^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')),
      );
      expect(isPidAlive(pid)).toBe(false);
      expect(isPidAlive(parent.pid!)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
