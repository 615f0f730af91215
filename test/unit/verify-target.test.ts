// database.verifyUrl → the engine a verification runs on, and why (src/db/verify-target.ts): a URL is that server,
// unset is PGlite (never a probe), `auto` probes the libpq environment's server (else 127.0.0.1:5432 and the default
// socket directories) and falls back to PGlite with the reason.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  autoProbeUrls,
  configuredVerifyTarget,
  describeConfiguredVerifyTarget,
  resolveVerifyTarget,
} from '../../src/db/verify-target.js';
import { releasePort, reservedPort } from '../helpers/ports.js';
import { databaseSchema } from '../../src/config/sections/database.js';

/** What pg connects to for `url` (constructing a client parses it and connects nowhere). */
function parse(url: string) {
  const c = new pg.Client({ connectionString: url });
  return { host: c.host, port: c.port, user: c.user, password: c.password, database: c.database };
}

const sockets = mkdtempSync(path.join(tmpdir(), 'slipway-vtarget-'));
afterAll(() => rmSync(sockets, { recursive: true, force: true }));

describe('configuredVerifyTarget', () => {
  it('is PGlite when unset or empty, the server when a URL, and asks for a probe only for auto', () => {
    expect(configuredVerifyTarget(undefined)).toEqual({
      engine: 'pglite',
      reason: 'database.verifyUrl is not set: a postgres:// URL or auto verifies on PostgreSQL',
    });
    expect(configuredVerifyTarget('')).toMatchObject({ engine: 'pglite' });
    expect(configuredVerifyTarget('auto')).toBe('auto');
    const url = 'postgres://ci:s3cret@db:5432/postgres';
    const t = configuredVerifyTarget(url, '--database-url');
    expect(t).toMatchObject({ engine: 'postgresql', url });
    expect(t !== 'auto' && t.reason).toBe('--database-url is postgres://ci:***@db:5432/postgres');
  });

  it('is stated in the dry-run plan without a probe and without the password', () => {
    expect(describeConfiguredVerifyTarget(undefined)).toBe('PGlite in memory');
    expect(describeConfiguredVerifyTarget('postgres://ci:s3cret@db/postgres')).toBe(
      'scratch database on postgres://ci:***@db/postgres',
    );
    expect(describeConfiguredVerifyTarget('auto')).toMatch(/^database\.verifyUrl auto: .* else PGlite in memory$/);
  });
});

describe('database.verifyUrl in the config', () => {
  it('is a postgres:// or postgresql:// URL, auto, or empty (unset); anything else is refused naming the choices', () => {
    for (const v of ['auto', '', 'postgres://u@h/db', 'postgresql://u@h/db'])
      expect(databaseSchema.safeParse({ verifyUrl: v }).success).toBe(true);
    const bad = databaseSchema.safeParse({ verifyUrl: 'Auto' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ['verifyUrl'],
      message: 'must be a postgres:// or postgresql:// URL, or auto',
    });
  });
});

describe('autoProbeUrls', () => {
  it('without a libpq environment: the OS user at 127.0.0.1:5432/postgres, then default socket dirs with a socket', () => {
    expect(autoProbeUrls({}, 'ann', [sockets])).toEqual(['postgres://ann@127.0.0.1:5432/postgres']);
    writeFileSync(path.join(sockets, '.s.PGSQL.5432'), '');
    const urls = autoProbeUrls({}, 'ann', [sockets, path.join(sockets, 'none')]);
    expect(urls).toEqual([
      'postgres://ann@127.0.0.1:5432/postgres',
      `postgres://ann@${encodeURIComponent(sockets)}:5432/postgres`,
    ]);
    // pg reads a socket directory from the host part (a leading /), and the URL stays one new URL() accepts.
    expect(parse(urls[1]!)).toMatchObject({ host: sockets, port: 5432, user: 'ann', database: 'postgres' });
    expect(new URL(urls[1]!).pathname).toBe('/postgres');
  });

  it('with PGHOST/PGPORT/PGUSER/PGDATABASE/PGPASSWORD: that server only, as psql would', () => {
    const env = { PGHOST: 'db.local', PGPORT: '6543', PGUSER: 'app user', PGDATABASE: 'admin', PGPASSWORD: 'p@ss:w' };
    const [url, ...rest] = autoProbeUrls(env, 'ann', [sockets]);
    expect(rest).toEqual([]);
    expect(parse(url!)).toMatchObject({
      host: 'db.local',
      port: 6543,
      user: 'app user',
      password: 'p@ss:w',
      database: 'admin',
    });
    expect(autoProbeUrls({ PGHOST: '/run/pg' }, 'ann')).toEqual(['postgres://ann@%2Frun%2Fpg:5432/postgres']);
    expect(autoProbeUrls({ PGHOST: 'a, ::1', PGPORT: '5433' }, 'ann')).toEqual([
      'postgres://ann@a:5433/postgres',
      'postgres://ann@[::1]:5433/postgres',
    ]);
    // PGPORT alone keeps the default host (and the default socket dirs, at that port).
    expect(autoProbeUrls({ PGPORT: '5999' }, 'ann', [sockets])).toEqual(['postgres://ann@127.0.0.1:5999/postgres']);
  });
});

describe('resolveVerifyTarget', () => {
  it('does not probe unless auto: a URL is taken as given (no connection), unset is PGlite', async () => {
    // A URL nothing answers at: resolving does not connect (the verification reports the server's error).
    await expect(resolveVerifyTarget('postgres://u@127.0.0.1:1/postgres')).resolves.toMatchObject({
      engine: 'postgresql',
      url: 'postgres://u@127.0.0.1:1/postgres',
    });
    await expect(resolveVerifyTarget(undefined, { env: { PGHOST: '127.0.0.1' } })).resolves.toMatchObject({
      engine: 'pglite',
    });
  });

  it('auto with nothing answering (PGPORT a closed port) falls back to PGlite, saying where it looked', async () => {
    const port = await reservedPort(); // reserved and not listened on: connecting is refused
    try {
      const t = await resolveVerifyTarget('auto', {
        env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres', PGPASSWORD: 'hunter2' },
        socketDirs: [sockets],
      });
      expect(t.engine).toBe('pglite');
      expect(t.reason).toMatch(
        new RegExp(
          `^database\\.verifyUrl auto: no local PostgreSQL answered at 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED`,
        ),
      );
      expect(t.reason).not.toContain('hunter2'); // ECONNREFUSED above: the refusal answered, no timeout was waited for
    } finally {
      releasePort(port);
    }
  });

  it('auto with a socket directory that holds no server falls back to PGlite, naming the directory', async () => {
    const t = await resolveVerifyTarget('auto', {
      env: { PGHOST: path.join(sockets, 'none') },
      osUser: 'ann',
      source: '--database-url',
    });
    expect(t).toMatchObject({ engine: 'pglite' });
    expect(t.reason).toContain(
      `--database-url auto: no local PostgreSQL answered at ${path.join(sockets, 'none')}:5432`,
    );
  });
});
