import Fastify, { type FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  API_SECURITY_HEADERS,
  applySecurityHeaders,
  replyHeaderObject,
  UI_SECURITY_HEADERS,
} from '../../src/server/security-headers.js';

/** A Fastify app whose routes apply `set` in onSend as app.ts does; `/own` chooses its own Cache-Control. */
async function appWith(set: Readonly<Record<string, string>>) {
  const app = Fastify();
  const seen: { found: boolean }[] = [];
  app.addHook('onSend', (_req, reply, payload, done) => {
    seen.push({ found: replyHeaderObject(reply) !== undefined });
    applySecurityHeaders(reply, set);
    done(null, payload);
  });
  app.get('/plain', async (_req, reply) => reply.type('application/json; charset=utf-8').send('{"ok":true}'));
  app.get('/own', async (_req, reply) => reply.header('Cache-Control', 'max-age=60').send({ ok: true }));
  await app.ready();
  return { app, seen };
}

describe('applySecurityHeaders (written into Fastify’s own header object)', () => {
  it("finds this Fastify's reply header object (else every answer takes reply.header's slower path)", async () => {
    const { app, seen } = await appWith(API_SECURITY_HEADERS);
    try {
      await app.inject({ url: '/plain' });
      expect(seen).toEqual([{ found: true }]);
    } finally {
      await app.close();
    }
  });

  for (const [name, set] of [
    ['API', API_SECURITY_HEADERS],
    ['UI', UI_SECURITY_HEADERS],
  ] as const) {
    it(`the ${name} set: exactly its headers and no-store, or the route's own Cache-Control`, async () => {
      const { app } = await appWith(set);
      try {
        const plain = await app.inject({ url: '/plain' });
        for (const [k, v] of Object.entries(set)) expect(plain.headers[k], k).toBe(v);
        expect(plain.headers['cache-control']).toBe('no-store');
        expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(plain.body).toBe('{"ok":true}');
        const own = await app.inject({ url: '/own' });
        for (const [k, v] of Object.entries(set)) expect(own.headers[k], k).toBe(v);
        expect(own.headers['cache-control']).toBe('max-age=60');
      } finally {
        await app.close();
      }
    });
  }

  it('a reply without that object gets the same headers through reply.header', () => {
    const headers: Record<string, string> = { 'cache-control': 'private' };
    const reply = {
      headers(values: Record<string, string>) {
        for (const [k, v] of Object.entries(values)) headers[k.toLowerCase()] = v;
      },
      hasHeader: (n: string) => headers[n.toLowerCase()] !== undefined,
      header(n: string, v: string) {
        headers[n.toLowerCase()] = v;
      },
    };
    applySecurityHeaders(reply as unknown as FastifyReply, API_SECURITY_HEADERS);
    expect(headers).toEqual({ ...API_SECURITY_HEADERS, 'cache-control': 'private' });
  });
});
