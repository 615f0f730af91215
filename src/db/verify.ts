import { randomBytes } from 'node:crypto';
import { SlipwayError, isSlipwayError, maskUrl } from '../errors.js';
import { fingerprintSchema } from './fingerprint.js';
import type { DatabasePackageResult } from './package.js';
import { runPsqlScript } from './psql-runner.js';
import { openSession, type SqlSession } from './session.js';
import { changeSetKey } from './sql-text.js';
import type { ChangelogInput } from './read-changelog.js';
import { pickHistoryTableNames, type HistoryTableNames } from './history-tables.js';
import { contribModule, PGLITE_CONTRIB, requiredExtensions } from './pglite-extensions.js';
import { readFile } from 'node:fs/promises';

export interface VerifyResult {
  ok: boolean;
  engine: 'pglite' | 'postgresql';
  changeSets: {
    id: string;
    author: string;
    filename: string;
    status: 'EXECUTED' | 'MARK_RAN' | 'FAILED' | 'SKIPPED';
    ms: number;
    error?: string;
  }[];
  fingerprint: string | null;
  /**
   * PGlite only: extensions the package (or the setup) creates that PGlite does not have. The verification ran
   * without them, so a changeset that creates one ran only as far as its preconditions let it (a guarded
   * `CREATE EXTENSION` is marked ran); an unguarded one fails, and its error says so. Always [] on PostgreSQL.
   */
  missingExtensions: string[];
  /** The scratch database created on the PostgreSQL server (dropped before this returns); null on PGlite. */
  scratchDatabase: string | null;
  ms: number;
}

export interface VerifyOptions extends ChangelogInput, HistoryTableNames {
  /** A PostgreSQL server to create (and drop) a scratch database on; PGlite in memory when absent. */
  databaseUrl?: string;
  /** Run before the package on the throwaway database (roles, schemas, extensions): statements, then files (absolute). */
  setup?: { sql?: string[]; files?: string[] };
  /** PGlite only: the initdb template to start from (default: defaultPgliteTemplateFile() in pglite-template.ts). */
  pgliteTemplate?: string;
  /**
   * PGlite only: the session openVerifyPglite opened ahead (the build's verification process opens it while the
   * package is still being rendered). Used when the package and setup need no extension; closed otherwise, and a
   * PGlite with the extensions is opened instead. One that failed to open is replaced by a fresh open.
   */
  pglite?: Promise<SqlSession>;
}

/**
 * The in-memory PGlite a verification without extensions starts from (what verifyDatabasePackage opens itself when
 * given no `pglite`): opened before the package exists, it takes PGlite's start-up off a build's critical path.
 */
export function openVerifyPglite(template?: string): Promise<SqlSession> {
  return openSession('memory:', { pgliteExtensions: [], ...(template ? { pgliteTemplate: template } : {}) });
}

async function closeAhead(pglite: Promise<SqlSession> | undefined): Promise<void> {
  await pglite?.then((s) => s.close()).catch(() => undefined);
}

/** The session to verify on: `ahead` when it fits (PGlite, no extensions) and opened, else a fresh one. */
async function verifySession(
  url: string | null,
  extensions: string[],
  opts: Pick<VerifyOptions, 'pglite' | 'pgliteTemplate'>,
): Promise<SqlSession> {
  if (url === null && extensions.length === 0) {
    const ahead = opts.pglite ? await opts.pglite.catch(() => null) : null;
    if (ahead) return ahead;
  } else {
    // Closed before another opens: two PGlite heaps at once would double the process's peak memory.
    await closeAhead(opts.pglite);
  }
  return url !== null
    ? openSession(url)
    : openSession('memory:', {
        pgliteExtensions: extensions,
        ...(opts.pgliteTemplate ? { pgliteTemplate: opts.pgliteTemplate } : {}),
      });
}

/** The setup SQL texts, files read (a missing file is E_CONFIG naming it). */
async function readSetup(setup: VerifyOptions['setup']): Promise<string[]> {
  const files = await Promise.all(
    (setup?.files ?? []).map((f) =>
      readFile(f, 'utf8').catch((cause: Error) => {
        throw new SlipwayError('E_CONFIG', `cannot read verify setup file ${f}: ${cause.message}`, {
          field: 'database.verifySetup.files',
          cause,
        });
      }),
    ),
  );
  return [...(setup?.sql ?? []), ...files];
}

/**
 * The PGlite modules for the extensions the setup and the package create, and those PGlite does not have. A missing
 * one is not an error before anything ran: changelogs guard such a `CREATE EXTENSION` with a precondition (a sqlCheck
 * on pg_available_extensions, onFail MARK_RAN), and PGlite answers that precondition as a server without the extension
 * would. An unguarded one fails at its changeset, whose error then names the extension (missingExtensionNote).
 */
function pgliteExtensionsFor(sql: string): { modules: string[]; missing: string[] } {
  const wanted = requiredExtensions(sql);
  return {
    modules: wanted.filter((e) => PGLITE_CONTRIB.has(e)).map(contribModule),
    missing: wanted.filter((e) => !PGLITE_CONTRIB.has(e)),
  };
}

/** The line a failed changeset's error gains when PGlite lacks extensions the package creates. */
export function missingExtensionNote(missing: string[]): string {
  return (
    `PGlite has no extension ${missing.join(', ')}, which the package creates: verify on PostgreSQL with the ` +
    'extension installed (database.verifyUrl, or --database-url)'
  );
}

/** Renders the changelog's package and applies it to a throwaway database (verifyDatabasePackage). */
export async function verifyChangelog(opts: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  // Loaded here: the build's verification process applies a package rendered elsewhere and never loads the parser.
  const { buildDatabasePackage } = await import('./package.js');
  const pkg = await buildDatabasePackage({
    ...(opts.customChanges ? { customChanges: opts.customChanges } : {}),
    rootDir: opts.rootDir,
    changelog: opts.changelog,
    ...(opts.contexts ? { contexts: opts.contexts } : {}),
    ...(opts.labels ? { labels: opts.labels } : {}),
    ...(opts.properties ? { properties: opts.properties } : {}),
    ...(opts.strict ? { strict: true } : {}),
    ...(opts.allowShellInSql ? { allowShellInSql: true } : {}),
    ...(opts.propertiesFromEnv ? { propertiesFromEnv: true } : {}),
    ...(opts.environment ? { environment: opts.environment } : {}),
    ...pickHistoryTableNames(opts),
    application: 'verify',
    version: '0',
    sourceDateEpoch: 0,
  });
  const r = await verifyDatabasePackage(pkg, opts);
  return { ...r, ms: Math.round(performance.now() - started) };
}

/** What verifyDatabasePackage needs of a rendered package: its SQL and its changeset index. */
export type VerifiablePackage = Pick<DatabasePackageResult, 'sql' | 'index'>;

/**
 * Applies an already rendered package (the one a build ships, so the changelog is not parsed again) to a throwaway
 * database and reports each changeset and a schema fingerprint.
 */
export async function verifyDatabasePackage(
  pkg: VerifiablePackage,
  opts: Pick<VerifyOptions, 'databaseUrl' | 'setup' | 'pgliteTemplate' | 'pglite'>,
): Promise<VerifyResult> {
  const started = performance.now();
  let setup: string[];
  let extensions: { modules: string[]; missing: string[] };
  try {
    setup = await readSetup(opts.setup);
    extensions = opts.databaseUrl ? { modules: [], missing: [] } : pgliteExtensionsFor([...setup, pkg.sql].join('\n'));
  } catch (error) {
    await closeAhead(opts.pglite);
    throw error;
  }
  const scratch = opts.databaseUrl ? await createScratchDatabase(opts.databaseUrl) : null;
  const session = await verifySession(scratch ? scratch.url : null, extensions.modules, opts);
  const results: VerifyResult['changeSets'] = pkg.index.map((e) => ({
    id: e.id,
    author: e.author,
    filename: e.filename,
    status: 'SKIPPED',
    ms: 0,
  }));
  const byKey = new Map(results.map((r) => [changeSetKey(r), r]));
  let current: VerifyResult['changeSets'][number] | undefined;
  let mark = performance.now();
  const close = () => {
    if (current) current.ms = Math.round(performance.now() - mark);
  };
  let ok = true;
  let fingerprint: string | null = null;
  try {
    // Setup errors are the config's, not a changeset's: they propagate (current is still undefined).
    for (const text of setup) await runPsqlScript(session, text, {});
    await runPsqlScript(session, pkg.sql, {
      onChangeSet: (cs) => {
        close();
        current = byKey.get(changeSetKey(cs));
        mark = performance.now();
      },
      onRecorded: (e) => {
        const r = byKey.get(changeSetKey(e));
        if (r) r.status = e.exectype === 'MARK_RAN' ? 'MARK_RAN' : 'EXECUTED';
      },
    });
    close();
    fingerprint = (await fingerprintSchema(session)).fingerprint;
  } catch (error) {
    close();
    ok = false;
    if (current) {
      current.status = 'FAILED';
      current.error = [
        ...(isSlipwayError(error)
          ? [error.location ? `${error.location}: ${error.message}` : error.message, ...error.details]
          : [String(error)]),
        ...(extensions.missing.length ? [missingExtensionNote(extensions.missing)] : []),
      ].join('\n');
    } else {
      throw error;
    }
  } finally {
    await session.close().catch(() => undefined);
    await scratch?.drop();
  }
  return {
    ok,
    engine: session.engine,
    changeSets: results,
    fingerprint,
    missingExtensions: extensions.missing,
    scratchDatabase: scratch?.name ?? null,
    ms: Math.round(performance.now() - started),
  };
}

async function createScratchDatabase(url: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `slipway_verify_${randomBytes(5).toString('hex')}`;
  const admin: SqlSession = await openSession(url);
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (cause) {
    throw new SlipwayError('E_DB', `cannot create a scratch database on ${maskUrl(url)}: ${(cause as Error).message}`, {
      hint: 'the user needs CREATEDB; or verify without --database-url (PGlite)',
      cause,
    });
  } finally {
    await admin.close().catch(() => undefined);
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: async () => {
      const s = await openSession(url);
      try {
        await s.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await s.close().catch(() => undefined);
      }
    },
  };
}
