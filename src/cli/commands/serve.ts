import path from 'node:path';
import { Option, type Command } from 'commander';
import type { CommandContext } from '../context.js';
import { configFromFlags, withConfigOptions, type ConfigFlags } from '../config-flags.js';
import { EXIT, printResult } from '../output.js';
import { SlipwayError, maskUrl } from '../../errors.js';
import { readUsersFile } from '../../server/users-file.js';
import { HEALTH_EXPECTS, type HealthExpect } from '../../health/expect.js';
import { registerUserCommands } from './users.js';
import { probeHealth } from '../../health/probe.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new SlipwayError('E_USAGE', `--port must be 0..65535, got "${v}"`, { field: 'port' });
  return n;
}

/** Registers `slipway serve`, `slipway health`, and (from users.ts) `slipway user …` and `slipway token …`. */
export function registerServeCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  withConfigOptions(
    program
      .command('serve')
      .description('Run the HTTP API (health, SQL packages, manifests, releases, metrics) and the web UI'),
  )
    .option('--host <host>', 'listen address (default server.host)')
    .option('--port <port>', 'listen port (default server.port; 0 = any free port)', parsePort)
    .action(async (flags: ConfigFlags & { host?: string; port?: number }) => {
      const { config } = await configFromFlags(io, flags);
      // Listen for the stop signals before anything is printed: a supervisor (or a test) that signals as soon as it
      // reads "listening on" must never find the process deaf to SIGTERM.
      let stop = () => {};
      const stopped = new Promise<void>((resolve) => {
        stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      // Loaded here so the other commands do not pay for Fastify at startup.
      const { startServer } = await import('../../server/start.js');
      const server = await startServer({
        config,
        ...(flags.host ? { host: flags.host } : {}),
        ...(flags.port !== undefined ? { port: flags.port } : {}),
        logger: { level: 'warn' },
      }).catch((e: unknown) => {
        stop();
        throw e;
      });
      io.stderr(`slipway serve: listening on ${server.url} (health: ${server.url}/api/health)\n`);
      const usersFile = path.resolve(config.configDir, config.server.usersFile);
      if (Object.keys((await readUsersFile(usersFile)).users).length === 0) {
        io.stderr(
          `warning: no users in ${usersFile}: every protected route answers 401. Add one with \`slipway user add NAME --groups ${config.server.groups.read}\`.\n`,
        );
      }
      await stopped;
      io.stderr('slipway serve: shutting down\n');
      await server.close();
    });

  program
    .command('health')
    .description(
      'Check a health endpoint: exit 0 when it meets --require, 1 when not (or unreachable), 3 when the credentials are missing or rejected (HTTP 401/403)',
    )
    .requiredOption('--url <url>', 'health URL, e.g. http://host:8088/api/health')
    .option('--require <status>', 'HEALTHY, or DEGRADED to accept DEGRADED too', 'HEALTHY')
    .option('--timeout <ms>', 'give up after this many milliseconds', '5000')
    .addOption(
      new Option(
        '--expect <what>',
        'what the answer must show (default: the status field if any, else any 2xx)',
      ).choices([...HEALTH_EXPECTS]),
    )
    .option('--user <name:password>', 'HTTP Basic credentials (curl -u style); default $SLIPWAY_USER')
    .option('--token <token>', 'API token (Bearer); default $SLIPWAY_TOKEN')
    .option('--json', 'print the result as JSON on stdout')
    .action(
      async (flags: {
        url: string;
        require: string;
        timeout: string;
        user?: string;
        token?: string;
        json?: boolean;
        expect?: HealthExpect;
      }) => {
        const want = flags.require.toUpperCase();
        if (want !== 'HEALTHY' && want !== 'DEGRADED')
          throw new SlipwayError('E_USAGE', `--require must be HEALTHY or DEGRADED, got "${flags.require}"`, {
            field: 'require',
          });
        const timeoutMs = Number(flags.timeout);
        if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
          throw new SlipwayError(
            'E_USAGE',
            `--timeout must be a positive number of milliseconds, got "${flags.timeout}"`,
            { field: 'timeout' },
          );
        const headers: Record<string, string> = {};
        const token = flags.token ?? io.env.SLIPWAY_TOKEN;
        const user = flags.user ?? io.env.SLIPWAY_USER;
        if (token) headers.authorization = `Bearer ${token}`;
        else if (user) headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
        const r = await probeHealth(flags.url, {
          timeoutMs,
          headers,
          ...(flags.expect ? { expect: flags.expect } : {}),
        });
        if (r.httpStatus === 401 || r.httpStatus === 403) throw authFailure(r.httpStatus, flags.url, token, user);
        const ok = r.status === 'HEALTHY' || (want === 'DEGRADED' && r.status === 'DEGRADED');
        printResult(
          io,
          flags,
          { ok, required: want, status: r.status, httpStatus: r.httpStatus, ms: r.ms, reason: r.reason },
          () =>
            ok
              ? `health: ${r.status} (HTTP ${r.httpStatus}, ${r.ms} ms) meets --require ${want}\n`
              : `health: ${r.status} does not meet --require ${want}: ${r.reason}\n`,
        );
        // The probe's hint names the deploy setting; here the same choice is the --expect flag.
        if (!ok && r.hint)
          io.stderr(
            `hint: the answer has no status field slipway can read${flags.expect ? ` and --expect is ${flags.expect}` : ''}; pass --expect http-2xx if any 2xx means healthy for this endpoint\n`,
          );
        if (!ok) ctx.setExit(EXIT.failed);
      },
    );

  registerUserCommands(program, ctx);
}

/** E_AUTH (exit 3) for a 401/403: the endpoint is protected and our credentials are missing or not enough. */
function authFailure(status: 401 | 403, url: string, token: string | undefined, user: string | undefined) {
  const sent = token ? 'an API token' : user ? `user "${user.split(':')[0]}"` : 'no credentials';
  const what = status === 401 ? 'rejected the credentials' : 'refused access';
  return new SlipwayError('E_AUTH', `authentication failed: ${maskUrl(url)} ${what} (HTTP ${status}; sent ${sent})`, {
    hint:
      status === 401
        ? 'Pass --user NAME:PASSWORD or --token TOKEN (or set SLIPWAY_USER / SLIPWAY_TOKEN) for a user of that server.'
        : 'The user is known but lacks the group this endpoint needs (on a slipway server: server.groups.read).',
  });
}
