import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { checkDatabase } from '../../src/builder/checks/database.js';
import { runStage } from '../../src/builder/stage.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/load.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { reservedPort } from '../helpers/ports.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

let db: TestDatabase;
let silent: Server;
const sockets: Socket[] = [];
let silentPort = 0;
let freePort = 0;

beforeAll(async () => {
  db = await createTestDatabase('slipway_stage');
  // accepts TCP connections and never answers: the check must give up on its own
  silent = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as AddressInfo).port;
  freePort = await reservedPort(); // nothing listens there, and no other test is given it meanwhile
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  await db.drop();
});

describe('PostgreSQL connectivity check (real server)', () => {
  it('passes against the real server and reports its version', async () => {
    const r = await checkDatabase(db.url, 5000);
    expect(r.status).toBe('pass');
    expect(r.reason).toMatch(
      new RegExp(`^connected to PostgreSQL \\d+(\\.\\d+)?.* at 127\\.0\\.0\\.1:5432/${db.name} as postgres$`),
    );
  });

  it('fails fast on a wrong port, naming host/port/db and never the password', async () => {
    const url = `postgres://postgres:hunter2@127.0.0.1:${freePort}/${db.name}`;
    // Fast: the answer is the refusal itself (ECONNREFUSED), not the timeout's "no answer within" — a test-long
    // timeout shows that.
    const r = await checkDatabase(url, 60_000);
    expect(r).toEqual({
      name: 'database',
      status: 'fail',
      ms: expect.any(Number),
      reason: `cannot connect to PostgreSQL at 127.0.0.1:${freePort}/${db.name} as postgres: connect ECONNREFUSED 127.0.0.1:${freePort}; check database.url and that the server is running`,
    });
    expect(r.reason).not.toContain('hunter2');
  });

  it('is bounded by the timeout when the server never answers', async () => {
    const t0 = performance.now();
    const r = await checkDatabase(`postgres://postgres:hunter2@127.0.0.1:${silentPort}/x`, 500);
    const ms = performance.now() - t0;
    expect(r.status).toBe('fail');
    // Not before its time (a loaded machine only makes it later), and within a bound generous enough for a loaded
    // machine that still fails a timeout that is ignored or taken as seconds (500 s).
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(20_000);
    expect(r.reason).toMatch(
      new RegExp(
        `^cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${silentPort}/x as postgres: (no answer within 500 ms|.*timeout.*);`,
        'i',
      ),
    );
    expect(r.reason).not.toContain('hunter2');
  });

  it('names a missing database', async () => {
    const r = await checkDatabase(db.url.replace(db.name, `${db.name}_missing`), 3000);
    expect(r.status).toBe('fail');
    expect(r.reason).toContain(`database "${db.name}_missing" does not exist`);
  });

  it('runStage uses database.url and build.checks.timeoutMs', async () => {
    const dir = await makeTree({ 'src/a.js': 'a' });
    try {
      const mk = async (url: string): Promise<Config> => {
        const p = configSchema.parse({
          name: 'app',
          version: '1.0.0',
          build: { components: { application: { include: ['src/**'] } }, checks: { timeoutMs: 1234 } },
          database: { url },
        });
        return resolveConfig(p, { configFile: path.join(dir, 'slipway.config.yaml'), environment: 'dev' });
      };
      const good = await runStage(await mk(db.url), { env: {} });
      expect(good.checks.find((c) => c.name === 'database')!.status).toBe('pass');
      expect(good.ok).toBe(true);
      const bad = await runStage(await mk(`postgres://postgres@127.0.0.1:${silentPort}/x`), { env: {} });
      expect(bad.ok).toBe(false);
      // build.checks.timeoutMs bounds the check (the default is 5000 ms).
      expect(bad.checks.find((c) => c.name === 'database')!.reason).toContain('no answer within 1234 ms');
    } finally {
      await removeTree(dir);
    }
  });
});
