import { SlipwayError, maskUrl } from '../errors.js';
import { createPgliteFromTemplate, defaultPgliteTemplateFile } from './pglite-template.js';

interface QueryResultLike {
  rows: unknown[];
  command: string;
}

/** One connection the runner sends statements over: PostgreSQL via `pg`, or an in-process PGlite. */
export interface SqlSession {
  engine: 'postgresql' | 'pglite';
  /**
   * Runs one statement (simple protocol) and returns the last result's rows as psql would print them (text). When
   * `signal` fires while the statement runs (a Ctrl-C during a migration blocked on a lock or a pg_sleep), the
   * server is asked to cancel it (pg_cancel_backend from a second connection, as psql's Ctrl-C does), so the
   * statement fails with SQLSTATE 57014 and its transaction can be rolled back; PGlite runs in-process and is not
   * cancelled.
   */
  query(
    text: string,
    opts?: { signal?: AbortSignal | undefined },
  ): Promise<{ rows: Record<string, string | null>[]; command: string | null }>;
  /**
   * Runs `COPY … FROM STDIN` with `data` as its input (text, CSV or whatever the statement's options say), as psql
   * does for a COPY in a script followed by its data; `signal` cancels it as it cancels a query.
   */
  copyFrom(text: string, data: string, opts?: { signal?: AbortSignal | undefined }): Promise<void>;
  close(): Promise<void>;
  /** Drops the connection at once, without waiting for the server (a caller that gave up on a hung server). */
  destroy(): void;
}

/** True for the URLs that mean PGlite: `pglite:`, `pglite:<dir>`, `memory:`. */
export function isPgliteUrl(url: string): boolean {
  return url === 'memory:' || url.startsWith('pglite:');
}

/** Opens a session for `url` (postgres://, postgresql://, pglite:[dir], memory:). */
export async function openSession(
  url: string,
  opts: {
    connectTimeoutMs?: number;
    /** Client- and server-side limit on each statement (health probes); default none. */
    queryTimeoutMs?: number;
    pgliteExtensions?: string[];
    /** For `memory:`: the initdb result to start from, written when missing; default defaultPgliteTemplateFile(). */
    pgliteTemplate?: string;
  } = {},
): Promise<SqlSession> {
  if (isPgliteUrl(url))
    return openPglite(url, opts.pgliteExtensions ?? [], opts.pgliteTemplate ?? defaultPgliteTemplateFile());
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new SlipwayError('E_USAGE', `unsupported database URL ${maskUrl(url)}`, {
      hint: 'use postgres://user@host:port/db, pglite:<dir> or memory:',
    });
  }
  // Loaded on first use: `db package` and PGlite runs never pay for the pg driver.
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    ...(opts.queryTimeoutMs ? { query_timeout: opts.queryTimeoutMs, statement_timeout: opts.queryTimeoutMs } : {}),
  });
  // Notices (RAISE NOTICE, "relation already exists, skipping") are psql's stderr chatter, not results.
  client.on('notice', () => undefined);
  // A late socket error (after a caller's timeout gave up on the session) must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (cause) {
    await client.end().catch(() => undefined);
    throw new SlipwayError('E_DB_CONNECT', `cannot connect to ${maskUrl(url)}: ${(cause as Error).message}`, {
      hint: 'check the URL, that the server is running, and the credentials',
      cause,
    });
  }
  const asText = { getTypeParser: () => (v: string) => v };
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  // While `run` runs, `signal` cancels the backend's statement (pg_cancel_backend from a second connection).
  const cancellable = async <T>(signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> => {
    let cancelling: Promise<void> | null = null;
    const onAbort = () => {
      const pid = (client as unknown as { processID: number | null }).processID;
      if (pid !== null) cancelling = cancelBackend(pg, url, pid, connectTimeoutMs);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await run();
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // The cancel request finishes before the next statement is sent, so it cannot hit that one.
      if (cancelling) await cancelling;
    }
  };
  return {
    engine: 'postgresql',
    query: (text, qopts = {}) =>
      cancellable(qopts.signal, async () => {
        const r = (await client.query({ text, types: asText } as Parameters<typeof client.query>[0] &
          object)) as unknown as QueryResultLike | QueryResultLike[];
        const last = Array.isArray(r) ? r[r.length - 1] : r;
        return { rows: (last?.rows ?? []) as Record<string, string | null>[], command: last?.command ?? null };
      }),
    copyFrom: (text, data, copts = {}) =>
      cancellable(copts.signal, async () => {
        // pg-copy-streams: the COPY sub-protocol over pg's connection (pg itself has no COPY FROM STDIN).
        // A CommonJS module: its exports are the default export in Node's ESM and in the esbuild bundle alike.
        const { from } = ((await import('pg-copy-streams')) as unknown as { default: typeof import('pg-copy-streams') })
          .default;
        const { pipeline } = await import('node:stream/promises');
        const { Readable } = await import('node:stream');
        await pipeline(Readable.from([Buffer.from(data, 'utf8')]), client.query(from(text)));
      }),
    close: () => client.end(),
    destroy() {
      // end() waits for the server; a hung server would keep the socket, so destroy it outright.
      const stream = (client as unknown as { connection?: { stream?: { destroy: () => void } } }).connection?.stream;
      client.end().catch(() => undefined);
      stream?.destroy();
    },
  };
}

/**
 * Asks the server to cancel what backend `pid` is running, over a second connection of the same user (allowed to
 * signal its own backends). A failure to cancel is not an error here: the statement then runs on, and a second
 * Ctrl-C exits the CLI at once.
 */
async function cancelBackend(
  pg: typeof import('pg').default,
  url: string,
  pid: number,
  connectTimeoutMs: number,
): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  try {
    await c.connect();
    await c.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // reported by the statement that keeps running, not here
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** PGlite, with the named contrib modules (`uuid_ossp`, `pgcrypto`…) registered: they load only when asked for. */
async function openPglite(url: string, contrib: string[], template: string): Promise<SqlSession> {
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = url.startsWith('pglite:') ? url.slice('pglite:'.length) : '';
  type Extensions = NonNullable<NonNullable<Parameters<typeof PGlite.create>[1]>['extensions']>;
  const extensions: Extensions = {};
  for (const name of contrib) {
    const mod = (await import(`@electric-sql/pglite/contrib/${name}`)) as Extensions;
    if (mod[name]) extensions[name] = mod[name];
  }
  // A throwaway in-memory cluster gets a 16 MB buffer pool instead of PGlite's 128 MB default: its data is a
  // changelog's tables, and the pool is WebAssembly memory the process keeps (measured: peak RSS ~435 -> ~365 MB).
  // A string with its newline: PGlite joins an array with spaces and appends shared_preload_libraries on that line.
  const memory = { extensions, postgresqlconf: 'shared_buffers = 16MB\n' };
  const db =
    dir !== ''
      ? await PGlite.create(dir, { extensions })
      : await createPgliteFromTemplate((o) => PGlite.create(o), memory, template);
  return {
    engine: 'pglite',
    async query(text) {
      const results = await db.exec(text);
      const last = results[results.length - 1];
      const rows = ((last?.rows ?? []) as Record<string, unknown>[]).map(toTextRow);
      return { rows, command: (last as { command?: string } | undefined)?.command ?? null };
    },
    async copyFrom(text, data) {
      // PGlite has no COPY sub-protocol: its COPY reads a Blob given with the query as the file '/dev/blob'.
      const blobText = text.replace(/\bfrom\s+stdin\b/i, "FROM '/dev/blob'");
      await db.query(blobText, [], { blob: new Blob([data]) });
    },
    close: () => db.close(),
    destroy: () => void db.close().catch(() => undefined),
  };
}

/** PGlite parses values into JS; give them back in psql's text form (t/f for booleans) so both engines agree. */
function toTextRow(row: Record<string, unknown>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] =
      v === null || v === undefined
        ? null
        : typeof v === 'boolean'
          ? v
            ? 't'
            : 'f'
          : v instanceof Date
            ? v.toISOString()
            : typeof v === 'object'
              ? JSON.stringify(v)
              : String(v as string | number | bigint);
  }
  return out;
}
