import { spawn } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError, maskUrl } from '../errors.js';

/** Splits the password out of a connection URL so it travels in PGPASSWORD, never on a command line or in a log. */
export function splitPassword(databaseUrl: string): { url: string; password: string | null } {
  const u = new URL(databaseUrl);
  const password = u.password ? decodeURIComponent(u.password) : null;
  u.password = '';
  return { url: u.toString(), password };
}

/** Dumps the database with the real pg_dump (custom format) into `dir`; returns the file and its size. */
export async function dumpDatabase(opts: {
  databaseUrl: string;
  dir: string;
  name: string;
  timeoutMs: number;
}): Promise<{ file: string; bytes: number; ms: number }> {
  const t0 = performance.now();
  await mkdir(opts.dir, { recursive: true });
  const file = path.join(opts.dir, `${opts.name}.dump`);
  const { url, password } = splitPassword(opts.databaseUrl);
  const child = spawn('pg_dump', ['--format=custom', '--no-password', `--file=${file}`, `--dbname=${url}`], {
    env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: opts.timeoutMs,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      stderr += e.message;
      resolve(127);
    });
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new SlipwayError(
      'E_DB',
      `pg_dump of ${maskUrl(opts.databaseUrl)} failed (exit ${code}): ${stderr.trim().split('\n')[0] ?? ''}`,
      {
        hint: 'Check that pg_dump is installed and matches the server version, or set backupDatabase: false.',
      },
    );
  }
  return { file, bytes: (await stat(file)).size, ms: performance.now() - t0 };
}
