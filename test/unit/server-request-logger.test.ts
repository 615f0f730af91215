import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createApp } from '../../src/server/app.js';
import { lazyLogger } from '../../src/server/request-logger.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** An app whose Fastify logger writes JSON lines into an array, with one route that fails and one that answers. */
async function appLogging(level: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-reqlog-'));
  dirs.push(dir);
  const lines: Record<string, unknown>[] = [];
  const app = await createApp({
    config: await makeDeployConfig(dir),
    audit: path.join(dir, 'audit.log'),
    logger: {
      level,
      stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    },
  });
  app.get('/boom', { config: { access: 'public' } }, async () => {
    throw new Error('kaboom');
  });
  app.get('/fine', { config: { access: 'public' } }, async () => ({ ok: true }));
  return { app, lines };
}

describe("req.log (the request's logger, made when a line is written)", () => {
  it('at warn: an unexpected error is logged with its request id; quiet requests write nothing', async () => {
    const { app, lines } = await appLogging('warn');
    try {
      expect((await app.inject({ url: '/fine' })).statusCode).toBe(200);
      expect(lines).toEqual([]);
      const r = await app.inject({ url: '/boom' });
      expect(r.statusCode).toBe(500);
      const errors = lines.filter((l) => l['msg'] === 'unhandled error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ level: 50, reqId: expect.stringMatching(/^req-/) });
      expect(JSON.stringify(errors[0]!['err'])).toContain('kaboom');
      expect(lines.some((l) => l['level'] === 30)).toBe(false);
    } finally {
      await app.close();
    }
  });

  it("at warn: Fastify's per-request info lines are not even asked for; a failed response hook is still logged", async () => {
    const { app, lines } = await appLogging('warn');
    let infoCalls = 0;
    app.get(
      '/counted',
      {
        config: { access: 'public' },
        // The request's logger, with its info counted: Fastify's `request completed` asks it after the response.
        onRequest: (req, _reply, done) => {
          const info = req.log.info.bind(req.log);
          req.log.info = ((...args: Parameters<typeof info>) => {
            infoCalls++;
            info(...args);
          }) as typeof req.log.info;
          done();
        },
      },
      async () => ({ ok: true }),
    );
    app.get(
      '/bookkeeping-fails',
      {
        config: { access: 'public' },
        onResponse: (_req, _reply, done) => done(new Error('bookkeeping broke')),
      },
      async () => ({ ok: true }),
    );
    try {
      expect((await app.inject({ url: '/counted' })).statusCode).toBe(200);
      expect(infoCalls).toBe(0);
      expect((await app.inject({ url: '/bookkeeping-fails' })).statusCode).toBe(200);
      const errored = lines.filter((l) => l['msg'] === 'request errored');
      expect(errored).toHaveLength(1);
      expect(errored[0]).toMatchObject({ level: 50, reqId: expect.stringMatching(/^req-/) });
      expect(JSON.stringify(errored[0]!['err'])).toContain('bookkeeping broke');
      expect(lines.some((l) => l['level'] === 30)).toBe(false);
    } finally {
      await app.close();
    }
  });

  it("at info: Fastify's request lines, each with the request's id, the same id for one request", async () => {
    const { app, lines } = await appLogging('info');
    try {
      await app.inject({ url: '/fine' });
      await app.inject({ url: '/fine' });
      const incoming = lines.filter((l) => l['msg'] === 'incoming request');
      const completed = lines.filter((l) => l['msg'] === 'request completed');
      expect(incoming).toHaveLength(2);
      expect(completed).toHaveLength(2);
      expect(incoming.map((l) => l['reqId'])).toEqual(completed.map((l) => l['reqId']));
      expect(new Set(incoming.map((l) => l['reqId'])).size).toBe(2);
      // The secret-safe `req` serializer (log-options.ts), not Fastify's (which adds host, port and version), and
      // Fastify's `res`.
      expect(incoming[0]!['req']).toEqual({ method: 'GET', url: '/fine', remoteAddress: '127.0.0.1' });
      expect(completed[0]!['res']).toEqual({ statusCode: 200 });
    } finally {
      await app.close();
    }
  });

  it("the server's level set at run time (app.log.level) takes effect on the next request, both ways", async () => {
    // The root logger remembers its answer per level (request-logger.ts): setting the level must forget it.
    const { app, lines } = await appLogging('warn');
    try {
      await app.inject({ url: '/fine' });
      expect(lines.filter((l) => l['msg'] === 'incoming request')).toHaveLength(0);
      app.log.level = 'info';
      await app.inject({ url: '/fine' });
      expect(lines.filter((l) => l['msg'] === 'incoming request')).toHaveLength(1);
      app.log.level = 'warn';
      await app.inject({ url: '/fine' });
      expect(lines.filter((l) => l['msg'] === 'incoming request')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it("lazyLogger's root: a level set on it holds for its children's next question", () => {
    const root = lazyLogger(pino({ level: 'warn' }, { write: () => {} }));
    const writes = (level: string, reqId: number) =>
      (root.child({ reqId }) as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled(level);
    expect(writes('info', 1)).toBe(false);
    root.level = 'info';
    expect(writes('info', 2)).toBe(true);
    root.level = 'error';
    expect(writes('warn', 3)).toBe(false);
  });
});
