import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { accessFor } from '../context.js';
import { targetOf } from './releases.js';

/** GET /metrics: Prometheus text format. */
export function registerMetricsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const seen = new Set<string>();
  // Deploys happen through the CLI, not this server: each release id seen in the target's history for the first
  // time increments slipway_deploys_total{result}, so the counter only grows (pruned releases stay counted).
  const countDeploys = async () => {
    if (Object.keys(ctx.config.deploy.targets).length === 0) return;
    try {
      const t = targetOf(ctx);
      for (const r of await ctx.deps.listReleases(t.root)) {
        if (seen.has(r.id) || r.result === 'in-progress') continue;
        seen.add(r.id);
        ctx.metrics.deploys.inc({ result: r.result });
      }
    } catch {
      // No target or release history yet: the counter stays as it is.
    }
  };
  app.get(
    '/metrics',
    { config: { access: accessFor(ctx.config.server.publicMetrics, 'read') } },
    async (_req, reply) => {
      await countDeploys();
      await ctx.health.snapshot(); // keeps the health gauge current for scrapers that never call /api/health
      return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    },
  );
}
