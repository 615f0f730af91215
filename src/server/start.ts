import type { FastifyInstance } from 'fastify';
import { createApp, type CreateAppOptions } from './app.js';

export interface StartServerOptions extends CreateAppOptions {
  host?: string;
  port?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close: () => Promise<void>;
}

/** Creates the app and listens on server.host:server.port (or the overrides); port 0 picks a free port. */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const app = await createApp(opts);
  const host = opts.host ?? opts.config.server.host;
  const port = opts.port ?? opts.config.server.port;
  await app.listen({ host, port });
  const addr = app.server.address();
  const realPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shownHost}:${realPort}`, close: () => app.close() };
}
