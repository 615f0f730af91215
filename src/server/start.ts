import type { FastifyInstance } from 'fastify';
import { SlipwayError } from '../errors.js';
import { createApp, type CreateAppOptions } from './app.js';
import { describePortHolder } from './port-holder.js';

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
  try {
    await app.listen({ host, port });
  } catch (cause) {
    await app.close();
    throw await listenError(cause as NodeJS.ErrnoException, host, port);
  }
  const addr = app.server.address();
  const realPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shownHost}:${realPort}`, close: () => app.close() };
}

/** E_SERVER for the listen failures a user can fix (port taken, no permission, unknown address); others unchanged. */
async function listenError(cause: NodeJS.ErrnoException, host: string, port: number): Promise<unknown> {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (cause.code === 'EADDRINUSE') {
    const holder = await describePortHolder(port);
    return new SlipwayError(
      'E_SERVER',
      `cannot listen on ${where}: port ${port} is already in use${holder ? ` by ${holder}` : ''}`,
      {
        field: 'server.port',
        hint: `Stop ${holder ?? 'the process that holds it'}, or choose another port with --port N (or server.port).`,
        cause,
      },
    );
  }
  if (cause.code === 'EACCES')
    return new SlipwayError('E_SERVER', `cannot listen on ${where}: permission denied`, {
      field: 'server.port',
      hint: 'Ports below 1024 need privileges; choose a port of 1024 or above with --port N (or server.port).',
      cause,
    });
  if (cause.code === 'EADDRNOTAVAIL' || cause.code === 'ENOTFOUND')
    return new SlipwayError('E_SERVER', `cannot listen on ${where}: ${host} is not an address of this machine`, {
      field: 'server.host',
      hint: 'Use 127.0.0.1, 0.0.0.0 or an address this host has (--host or server.host).',
      cause,
    });
  return cause;
}
