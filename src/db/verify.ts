import { randomBytes } from 'node:crypto';
import { SlipwayError, isSlipwayError, maskUrl } from '../errors.js';
import { fingerprintSchema } from './fingerprint.js';
import { buildDatabasePackage } from './package.js';
import { runPsqlScript } from './psql-runner.js';
import { openSession, type SqlSession } from './session.js';
import { changeSetKey } from './sql-text.js';
import type { ChangelogInput } from './read-changelog.js';

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
  ms: number;
}

export interface VerifyOptions extends ChangelogInput {
  /** A PostgreSQL server to create (and drop) a scratch database on; PGlite in memory when absent. */
  databaseUrl?: string;
}

/** Applies the package to a throwaway database and reports each changeset and a schema fingerprint. */
export async function verifyChangelog(opts: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const pkg = await buildDatabasePackage({
    rootDir: opts.rootDir,
    changelog: opts.changelog,
    ...(opts.contexts ? { contexts: opts.contexts } : {}),
    ...(opts.labels ? { labels: opts.labels } : {}),
    ...(opts.properties ? { properties: opts.properties } : {}),
    application: 'verify',
    version: '0',
    sourceDateEpoch: 0,
  });
  const scratch = opts.databaseUrl ? await createScratchDatabase(opts.databaseUrl) : null;
  const session = await openSession(scratch ? scratch.url : 'memory:');
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
      current.error = isSlipwayError(error)
        ? [error.location ? `${error.location}: ${error.message}` : error.message, ...error.details].join('\n')
        : String(error);
    } else {
      throw error;
    }
  } finally {
    await session.close().catch(() => undefined);
    await scratch?.drop();
  }
  return { ok, engine: session.engine, changeSets: results, fingerprint, ms: Math.round(performance.now() - started) };
}

async function createScratchDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
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
