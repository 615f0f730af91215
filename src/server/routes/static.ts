import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { ServerContext } from '../context.js';

/** Serves the web UI from `dir` (dist/web) at `/`, or a short JSON note when it has not been built. */
export async function registerStaticRoutes(app: FastifyInstance, ctx: ServerContext, dir: string): Promise<boolean> {
  if (existsSync(path.join(dir, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      wildcard: true,
      index: ['index.html'],
      dotfiles: 'deny',
      maxAge: 0,
    });
    return true;
  }
  app.get('/', { config: { access: 'public' } }, async () => ({
    name: ctx.config.name,
    version: ctx.config.version,
    message: 'The web UI is not built (dist/web is missing). The JSON API is available under /api.',
    endpoints: [
      '/api/health',
      '/api/session',
      '/api/login',
      '/api/db/package.sql',
      '/api/db/changesets',
      '/api/manifest',
      '/api/report',
      '/api/releases',
      '/metrics',
      '/health/live',
      '/health/ready',
    ],
  }));
  return false;
}
