import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseInput } from '../validate.js';
import { BODY_LIMITS } from '../http-limits.js';
import { HttpError } from '../http-error.js';
import { resolveFleet } from '../../fleet/fleet-target.js';

const RELEASE_ID = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a release id (letters, digits, . _ -)')
  .refine((s) => !s.includes('..'), 'must not contain ".."');
const manifestQuery = z
  .object({
    format: z.enum(['json', 'yaml', 'summary', 'deployment-report']).default('json'),
    release: RELEASE_ID.optional(),
  })
  .strict();
const rollbackParams = z.object({ id: RELEASE_ID }).strict();
const rollbackBody = z.object({ emergency: z.boolean().optional() }).strict();

/**
 * The deploy target the server reports on: server.target, else the only configured target. For an ssh target the
 * root is the controller's record of the fleet (fleet journal, the releases extracted there).
 */
export function targetOf(ctx: Pick<ServerContext, 'config' | 'deps'>): { name: string; root: string; ssh: boolean } {
  const names = Object.keys(ctx.config.deploy.targets);
  const name = ctx.config.server.target ?? (names.length === 1 ? names[0] : undefined);
  if (!name)
    throw new HttpError(
      503,
      'E_UNAVAILABLE',
      names.length
        ? 'several deploy targets: set server.target to the one this server shows'
        : 'no deploy target configured (deploy.targets)',
    );
  if (ctx.config.deploy.targets[name]?.type === 'ssh')
    return { name, root: resolveFleet(ctx.config, name).controllerRoot, ssh: true };
  return { name, root: ctx.deps.resolveTargetRoot(ctx.config, name), ssh: false };
}

/** GET /api/releases, POST /api/releases/:id/rollback, GET /api/manifest. */
export function registerReleaseRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/releases', { config: { access: 'read' } }, async (req) => {
    parseInput(z.object({}).strict(), req.query, 'query');
    const target = targetOf(ctx);
    // A fleet: the controller's record plus every host read over ssh (an unreachable host is a row, not an error).
    if (target.ssh) return { target: target.name, type: 'ssh', ...(await ctx.deps.readFleet(ctx.config, target.name)) };
    return { target: target.name, type: 'local', releases: await ctx.deps.listReleases(target.root) };
  });

  app.post(
    '/api/releases/:id/rollback',
    { bodyLimit: BODY_LIMITS.action, config: { access: 'deploy' } },
    async (req, reply) => {
      const { id } = parseInput(rollbackParams, req.params, 'params');
      const body = parseInput(rollbackBody, req.body ?? {}, 'body');
      const target = targetOf(ctx);
      if (target.ssh) {
        // The CLI's fleet rollback (every host to `id`, then the database): its E_ROLLBACK / E_LOCKED / E_SSH
        // errors become 409 / 409 / 502 here.
        try {
          const result = await ctx.deps.rollbackFleet({
            config: ctx.config,
            target: target.name,
            to: id,
            actor: req.principal?.name ?? 'unknown',
            ...(body.emergency ? { emergency: true } : {}),
          });
          ctx.metrics.rollbacks.inc({ result: 'success' });
          return { target: target.name, to: id, result };
        } catch (e) {
          ctx.metrics.rollbacks.inc({ result: 'failed' });
          throw e;
        }
      }
      // Whether `id` exists, is complete and is not already live is DEPLOY's rule (chooseRollbackTarget): its
      // E_NOT_FOUND / E_ROLLBACK errors become 404 / 409 here.
      let result;
      try {
        result = await ctx.deps.rollback({
          config: ctx.config,
          target: target.name,
          to: id,
          actor: req.principal?.name ?? 'unknown',
          ...(body.emergency ? { emergency: true } : {}),
        });
      } catch (e) {
        ctx.metrics.rollbacks.inc({ result: 'failed' });
        throw e;
      }
      ctx.metrics.rollbacks.inc({ result: result.ok ? 'success' : 'failed' });
      if (!result.ok) {
        reply.code(500);
        return {
          error: { code: 'E_ROLLBACK', message: result.reason ?? 'rollback failed' },
          target: target.name,
          to: id,
          result,
        };
      }
      return { target: target.name, to: id, result };
    },
  );

  app.get('/api/manifest', { config: { access: 'read' } }, async (req, reply) => {
    const q = parseInput(manifestQuery, req.query, 'query');
    const target = targetOf(ctx);
    const dir = q.release ? path.join(target.root, 'releases', q.release) : path.join(target.root, 'current');
    let text: string;
    try {
      text = await readFile(path.join(dir, 'build-manifest.json'), 'utf8');
    } catch {
      throw new HttpError(
        404,
        'E_NOT_FOUND',
        q.release
          ? 'that release has no build-manifest.json'
          : 'no live release with a build-manifest.json on the target',
      );
    }
    let manifest: unknown;
    try {
      manifest = ctx.deps.parseManifest(JSON.parse(text));
    } catch {
      throw new HttpError(
        500,
        'E_INTERNAL',
        "the release's build-manifest.json is not a valid manifest (run `slipway validate` on its package)",
      );
    }
    const out = ctx.deps.exportManifest(manifest, q.format);
    return reply.type(q.format === 'json' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8').send(out);
  });
}
