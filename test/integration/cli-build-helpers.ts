// Helpers for the CLI end-to-end tests: run the built binary (`node bin/slipway.js`, after `npm run build:ts`).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/slipway.js');
export const EPOCH = '1700000000';

/** Builds dist/ when it is missing or older than the sources these tests exercise. */
export function ensureDist(): void {
  const built = path.join(ROOT, 'dist/cli/commands/build.js');
  const sources = [
    'src/cli/commands/build.ts',
    'src/build/package.ts',
    'src/build/package-writer.ts',
    'src/build/pipeline.ts',
    'src/manifest/validate.ts',
    'src/cli/main.ts',
  ];
  const newest = Math.max(...sources.map((s) => statSync(path.join(ROOT, s)).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  // Others' half-written files may not typecheck; tsc still emits, and the check below says whether we can run.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(built) || statSync(built).mtimeMs < newest)
    throw new Error('npm run build:ts did not produce a fresh dist/cli/commands/build.js');
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/slipway.js args…` in cwd; `asUser` drops root (setpriv) so file permissions apply. */
export function runCli(
  args: string[],
  cwd: string,
  opts: { env?: Record<string, string>; asUser?: number } = {},
): CliRun {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    SOURCE_DATE_EPOCH: EPOCH,
    ...opts.env,
  };
  const cmd =
    opts.asUser === undefined
      ? [process.execPath, BIN, ...args]
      : [
          'setpriv',
          `--reuid=${opts.asUser}`,
          `--regid=${opts.asUser}`,
          '--clear-groups',
          process.execPath,
          BIN,
          ...args,
        ];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd, encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
