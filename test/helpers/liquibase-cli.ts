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
 * The environment every test runs the oracle with: `base` plus JVM options for short runs — the C1 compiler only
 * and the serial collector. They change how the JVM runs Liquibase, not what Liquibase does, and halve its CPU time
 * (measured: `update` of a 50-changeset changelog 3.4 → 1.7 s user; fineract's 1,019 changesets 13.7 → 7.3 s user,
 * 585 → 263 MB peak), which matters for a suite that starts a few hundred JVMs on a 2-core machine. A JAVA_OPTS
 * already set wins. The benchmarks run Liquibase as users do and do not use this.
 */
export function liquibaseEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, JAVA_OPTS: base.JAVA_OPTS ?? '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC' };
}

/**
 * Runs Liquibase against the PostgreSQL database `dbUrl` (trust auth) in `cwd` with `args` after the connection
 * arguments, `env` added to the test's environment; `ok` false (and its output) when it exits non-zero.
 */
export async function runLiquibase(
  cwd: string,
  dbUrl: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ok: boolean; out: string }> {
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
      { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...liquibaseEnv(), ...env } },
    );
    return { ok: true, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}
