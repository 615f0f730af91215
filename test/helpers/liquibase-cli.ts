import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real Liquibase 4.28 CLI (npm liquibase), the oracle of the conformance tests; never used at run time. */
export const LIQUIBASE_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../node_modules/liquibase/dist/liquibase/liquibase',
);

/**
 * Runs Liquibase against the PostgreSQL database `dbUrl` (trust auth) in `cwd` with `args` after the connection
 * arguments; `ok` false (and its output) when it exits non-zero.
 */
export async function runLiquibase(cwd: string, dbUrl: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  const u = new URL(dbUrl);
  try {
    const r = await promisify(execFile)(
      LIQUIBASE_BIN,
      [
        `--url=jdbc:postgresql://${u.hostname}:${u.port || '5432'}${u.pathname}`,
        '--username=postgres',
        '--password=',
        ...args,
      ],
      { cwd, maxBuffer: 16 * 1024 * 1024 },
    );
    return { ok: true, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}
