import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { changelogSourceOf } from '../../config/changelog-source.js';
import { sha256Hex } from '../../fileset/hash.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../validate.js';
import { sanitizeFilename } from '../filename.js';
import { HttpError } from '../http-error.js';
import { userKey } from '../rate-limit.js';

export const SEED_PACKAGE_PATH = '/rest/scriptrunner/latest/custom/databaseVersionsPackageSQL';

// Changeset ids and tags as Liquibase allows them in practice; anything else is refused before reaching the library.
const REF = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@+/-]*$/, 'letters, digits and _ . : @ + / - only');
const CONTEXTS = z
  .string()
  .min(1)
  .max(500)
  .regex(/^[A-Za-z0-9_.!-]+(,[A-Za-z0-9_.!-]+)*$/, 'comma-separated context names');

const packageQuery = z
  .object({
    filename: z.string().min(1).max(1000).optional(),
    since: REF.optional(),
    sinceTag: REF.optional(),
    contexts: CONTEXTS.optional(),
  })
  .strict();
const changesetsQuery = z.object({ state: z.enum(['applied', 'pending', 'drift', 'unknown']).optional() }).strict();

/** The changelog the server packages: database.changelog, else the first psql script (plain mode). */
function changelogOf(ctx: ServerContext): { changelog: string; mode: 'liquibase' | 'plain' } {
  const db = ctx.config.database;
  if (db.changelog) return { changelog: db.changelog, mode: 'liquibase' };
  if (db.psqlScripts[0]) return { changelog: db.psqlScripts[0], mode: 'plain' };
  throw new HttpError(503, 'E_UNAVAILABLE', 'no database.changelog or database.psqlScripts in the config');
}

/** GET /api/db/package.sql (+ seed path) and GET /api/db/changesets. */
export function registerDbRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const limit = ctx.config.server.rateLimit;
  const packageRoute = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = parseInput(packageQuery, req.query, 'query');
    const filename =
      q.filename === undefined ? `${ctx.config.name}-database-package.sql` : sanitizeFilename(q.filename);
    const { changelog, mode } = changelogOf(ctx);
    const cfgDb = ctx.config.database;
    const source = changelogSourceOf(ctx.config, changelog)!;
    // generated-at comes from the changelog's mtime (not the clock), so unchanged sources give the same ETag.
    const master = path.resolve(source.rootDir, source.changelog);
    const sourceDateEpoch = Math.floor((await stat(master).catch(() => ({ mtimeMs: 0 }))).mtimeMs / 1000);
    let result;
    try {
      result = await ctx.deps.buildDatabasePackage({
        ...source,
        mode,
        ...(q.contexts ? { contexts: q.contexts.split(',') } : {}),
        application: ctx.config.name,
        // The config's version, else package.json's; without either the header says so (the SQL does not depend on it).
        version: ctx.config.version,
        sourceDateEpoch,
        ...(q.since ? { since: q.since } : {}),
        ...(q.sinceTag ? { sinceTag: q.sinceTag } : {}),
        ...((q.since || q.sinceTag) && cfgDb.url ? { databaseUrl: cfgDb.url } : {}),
      });
    } catch (e) {
      ctx.metrics.packages.inc({ outcome: 'failed' });
      throw e;
    }
    const etag = `"sha256-${sha256Hex(result.sql).slice(0, 40)}"`;
    reply.header('etag', etag).header('cache-control', 'private, no-cache');
    const inm = req.headers['if-none-match'];
    if (typeof inm === 'string' && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      ctx.metrics.packages.inc({ outcome: 'not-modified' });
      return reply.code(304).send();
    }
    ctx.metrics.packages.inc({ outcome: 'generated' });
    return reply
      .type('text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('x-slipway-changesets', String(result.changeSets))
      .send(result.sql);
  };
  const routeOpts = {
    config: {
      access: 'read' as const,
      rateLimit: {
        max: limit.packagePerMinute,
        timeWindow: limit.windowMs,
        keyGenerator: userKey,
        groupId: 'sql-package',
      },
    },
  };
  app.get('/api/db/package.sql', routeOpts, packageRoute);
  app.get(SEED_PACKAGE_PATH, routeOpts, packageRoute);

  app.get('/api/db/changesets', { config: { access: 'read' } }, async (req) => {
    const q = parseInput(changesetsQuery, req.query, 'query');
    const db = ctx.config.database;
    if (!db.url)
      throw new HttpError(503, 'E_UNAVAILABLE', 'database.url is not configured, so applied/pending state is unknown');
    const { changelog } = changelogOf(ctx);
    const status = await ctx.deps.getStatus({ ...changelogSourceOf(ctx.config, changelog)!, databaseUrl: db.url });
    const changeSets = q.state ? status.changeSets.filter((c) => c.state === q.state) : status.changeSets;
    return {
      applied: status.applied,
      pending: status.pending,
      drift: status.drift,
      unknown: status.unknown,
      changeSets,
    };
  });
}
