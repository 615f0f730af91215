import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, lstat, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runMain } from '../helpers/cli-main.js';
import { releasePort, reservedPort } from '../helpers/ports.js';

const run = (cwd: string, argv: string[], env: Record<string, string> = {}) => runMain(argv, { cwd, env });

describe('slipway db CLI', () => {
  let dir: string;
  let db: TestDatabase;
  beforeAll(async () => {
    dir = await makeTree({});
    await cp(path.resolve('test/fixtures/db-pkg/app'), dir, { recursive: true });
    db = await createTestDatabase('slipway_dbcli');
  });
  afterAll(async () => {
    await db.drop();
    await removeTree(dir);
  });

  it('db package writes the same bytes twice (SOURCE_DATE_EPOCH), atomically, and reports the counts', async () => {
    const env = { SOURCE_DATE_EPOCH: '1758810600' };
    const a = await run(
      dir,
      [
        'db',
        'package',
        '--changelog',
        'db/master.xml',
        '--contexts',
        'dev',
        '--app-name',
        'umig',
        '--app-version',
        '1.2.0',
        '--out-file',
        'a.sql',
      ],
      env,
    );
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^wrote a\.sql \(\d+ bytes\)\n$/);
    expect(a.stderr).toBe('11 changesets from 4 files\n');
    const b = await run(
      dir,
      [
        'db',
        'package',
        '--changelog',
        'db/master.xml',
        '--contexts',
        'dev',
        '--app-name',
        'umig',
        '--app-version',
        '1.2.0',
        '--out-file',
        'b.sql',
      ],
      env,
    );
    expect(b.code).toBe(0);
    const sa = await readFile(path.join(dir, 'a.sql'), 'utf8');
    expect(await readFile(path.join(dir, 'b.sql'), 'utf8')).toBe(sa);
    expect(sa.split('\n').slice(0, 1)).toEqual(['-- umig Database Version Package v1.2.0']);
    expect(sa).toContain('-- Generated: 2025-09-25T14:30:00Z (SOURCE_DATE_EPOCH 1758810600)');
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('db package refuses a SOURCE_DATE_EPOCH that is not whole seconds, as build does, and writes nothing', async () => {
    const r = await run(dir, ['db', 'package', '--changelog', 'db/master.xml', '--out-file', 'bad.sql'], {
      SOURCE_DATE_EPOCH: '2025-09-25',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SOURCE_DATE_EPOCH must be whole seconds since 1970 (got "2025-09-25")');
    expect(existsSync(path.join(dir, 'bad.sql'))).toBe(false);
  });

  it('db package writes a package of many 64 kB writes that equals buildDatabasePackage’s sql, to a file and to stdout', async () => {
    // 1,200 changesets (~0.86 MB of package, non-ASCII text in it): the CLI streams the rendered pieces in batches.
    const body = ['--liquibase formatted sql', ''];
    for (let k = 0; k < 1200; k++)
      body.push(
        `--changeset streamer:${k}`,
        `--comment: données ${k} — ü`,
        `CREATE TABLE s_${k} (id int PRIMARY KEY, name text DEFAULT 'é ${k}');`,
        `--rollback DROP TABLE s_${k};`,
        '',
      );
    await writeFile(path.join(dir, 'stream.sql'), body.join('\n'));
    const flags = ['--changelog', 'stream.sql', '--app-name', 'streamer', '--app-version', '3.1.4'];
    const env = { SOURCE_DATE_EPOCH: '1758810600' };
    const { buildDatabasePackage } = await import('../../src/db/package.js');
    const expected = (
      await buildDatabasePackage({
        rootDir: dir,
        changelog: 'stream.sql',
        application: 'streamer',
        version: '3.1.4',
        sourceDateEpoch: 1758810600,
      })
    ).sql;
    const bytes = Buffer.byteLength(expected);
    expect(bytes).toBeGreaterThan(10 * 65536);
    expect(bytes).toBeGreaterThan(expected.length); // multi-byte characters
    const toFile = await run(dir, ['db', 'package', ...flags, '--out-file', 'stream-out.sql'], env);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe(`wrote stream-out.sql (${bytes} bytes)\n`);
    expect((await readFile(path.join(dir, 'stream-out.sql'))).equals(Buffer.from(expected, 'utf8'))).toBe(true);
    const toStdout = await run(dir, ['db', 'package', ...flags], env);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout === expected).toBe(true);
  });

  it('db package --out-file: a device and a FIFO stay what they are, a symlink keeps naming its file, a directory is refused', async () => {
    // As root, a rename over /dev/null replaced the machine's /dev/null with a regular file. A device of the same
    // kind (char 1,3) in the test's own directory stands in for it, so a regression cannot break the machine.
    if (process.getuid?.() !== 0) throw new Error('this test needs root (mknod of a character device)');
    const flags = ['db', 'package', '--changelog', 'db/master.xml', '--contexts', 'dev'];
    const expected = await run(dir, flags);
    expect(expected.code).toBe(0);
    const nul = path.join(dir, 'null-device');
    execFileSync('mknod', ['-m', '666', nul, 'c', '1', '3']);
    const toNull = await run(dir, [...flags, '--out-file', 'null-device']);
    expect(toNull.code, toNull.stderr).toBe(0);
    const st = await lstat(nul);
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe((await stat('/dev/null')).rdev);
    expect((await readdir(dir)).filter((f) => f.startsWith('null-device'))).toEqual(['null-device']);

    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const read = readFile(fifo, 'utf8'); // opens for reading first: the command's open for writing then returns
    const toFifo = await run(dir, [...flags, '--out-file', 'pipe']);
    expect(toFifo.code, toFifo.stderr).toBe(0);
    expect(await read).toBe(expected.stdout);
    expect((await lstat(fifo)).isFIFO()).toBe(true);

    await writeFile(path.join(dir, 'real.sql'), 'old');
    await symlink('real.sql', path.join(dir, 'link.sql'));
    const toLink = await run(dir, [...flags, '--out-file', 'link.sql']);
    expect(toLink.code, toLink.stderr).toBe(0);
    expect((await lstat(path.join(dir, 'link.sql'))).isSymbolicLink()).toBe(true);
    expect(await readFile(path.join(dir, 'real.sql'), 'utf8')).toBe(expected.stdout);

    const toDir = await run(dir, [...flags, '--out-file', 'db']);
    expect(toDir.code).toBe(2);
    expect(toDir.stderr).toContain('--out-file db is a directory');
    expect((await readdir(path.join(dir, 'db'))).some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('takes the changelog, root and name from the config (--config), with --env overlays accepted', async () => {
    const config = path.resolve('examples/umig-sample/slipway.config.yaml');
    const r = await run(
      dir,
      ['db', 'package', '--config', config, '--env', 'dev', '--contexts', 'dev', '--out-file', 'umig.sql'],
      { SOURCE_DATE_EPOCH: '0' },
    );
    expect(r.code, r.stderr).toBe(0);
    const sql = await readFile(path.join(dir, 'umig.sql'), 'utf8');
    expect(sql.split('\n')[0]).toBe('-- umig Database Version Package v1.2.0');
    expect(sql).toContain('-- Changelog: db/changelog/db.changelog-master.xml');
    expect(sql).toContain("'db/changelog/changes/001-teams-users.sql') \\gset");
    const plain = await run(
      dir,
      ['db', 'package', '--config', config, '--mode', 'plain', '--out-file', 'install.sql'],
      {
        SOURCE_DATE_EPOCH: '0',
      },
    );
    expect(plain.code, plain.stderr).toBe(0);
    const install = await readFile(path.join(dir, 'install.sql'), 'utf8');
    expect(install.match(/^-- === FILE: .* ===$/m)?.[0]).toBe('-- === FILE: db/reference/install.sql ===');
  });

  it('bad input: exit 1, an error naming the file, nothing written', async () => {
    await writeFile(
      path.join(dir, 'broken.xml'),
      '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"><include file="nope.sql" relativeToChangelogFile="true"/></databaseChangeLog>',
    );
    const r = await run(dir, ['db', 'package', '--changelog', 'broken.xml', '--out-file', 'broken.sql']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_CHANGELOG: .*broken\.xml:1/);
    expect(existsSync(path.join(dir, 'broken.sql'))).toBe(false);
    const usage = await run(dir, ['db', 'rollback-sql', '--changelog', 'db/master.xml']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('pass exactly one of --count N, --to-tag T or --to-date D');
    const date = await run(dir, ['db', 'rollback-sql', '--changelog', 'db/master.xml', '--to-date', '2026-02-30']);
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('--to-date must be a date: got "2026-02-30"');
    const sql = await run(dir, ['db', 'rollback-sql', '--changelog', 'db/master.xml', '--to-date', '2026-01-01']);
    expect(sql.stdout).toMatch(
      /^-- Slipway rollback: those of \d+ changeset\(s\) recorded after 2026-01-01 00:00:00\.000 \(as Liquibase's rollback-to-date\)/,
    );
  });

  it('db apply refuses a psql script it cannot finish before running any of it: file and line named, nothing applied', async () => {
    // psql would run the two statements, then stop at \lo_import; so did slipway, leaving the table behind.
    const scripts: [string, string, RegExp][] = [
      [
        'meta.sql',
        'CREATE TABLE half_a (id int);\nINSERT INTO half_a VALUES (1);\n\\lo_import /etc/hostname\nCREATE TABLE half_b (id int);\n',
        /^error E_DB: meta\.sql:3: unsupported psql meta-command \\lo_import; nothing was run/m,
      ],
      [
        'unclosed.sql',
        'CREATE TABLE half_a (id int);\n\\if true\nCREATE TABLE half_b (id int);\n',
        /^error E_DB: unclosed\.sql: \\if without \\endif at end of script; nothing was run/m,
      ],
      [
        'branch.sql',
        'CREATE TABLE half_a (id int);\nSELECT true AS go \\gset\n\\if :go\n\\connect other\n\\endif\n',
        /^error E_DB: branch\.sql:4: unsupported psql meta-command \\connect; nothing was run/m,
      ],
    ];
    for (const [file, text, message] of scripts) {
      await writeFile(path.join(dir, file), text);
      const r = await run(dir, ['db', 'apply', '--database-url', db.url, file]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(await queryRows(db.url, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'half_%'")).toEqual([]);
    }
  });

  it('db apply, status --json, rollback-sql and verify --json against real databases', async () => {
    // trust auth ignores the password; it is there to prove it never reaches the output
    const withSecret = db.url.replace('postgres@', 'postgres:s3cret@');
    const applied = await run(dir, ['db', 'apply', '--database-url', withSecret, 'a.sql']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(
      /^applied to postgres:\/\/postgres:\*\*\*@\S+: 11 executed, 0 already applied \(\d+ ms\)\n$/,
    );
    expect(applied.stderr + applied.stdout).not.toContain('s3cret');
    const st = await run(dir, [
      'db',
      'status',
      '--database-url',
      db.url,
      '--changelog',
      'db/master.xml',
      '--contexts',
      'dev',
      '--json',
    ]);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ applied: 11, pending: 0, drift: 0, unknown: 0 });
    // db status reads database.url from the config like every other command, and says which overlay it used
    const cfg = path.join(dir, 'status.config.yaml');
    await writeFile(
      cfg,
      [
        'name: app',
        'version: 1.0.0',
        'build: { components: { application: { include: ["db/**"] } } }',
        'database: { changelog: db/master.xml, contexts: [dev] }',
        `environments: { dev: { database: { url: "${db.url}" } }, prod: { database: { url: "postgres://nowhere.invalid/x" } } }`,
        '',
      ].join('\n'),
    );
    const fromConfig = await run(dir, ['db', 'status', '--config', cfg]);
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
    expect(fromConfig.stderr).toBe('note: no --env given: using environments.dev (defined: dev, prod)\n');
    expect(fromConfig.stdout).toMatch(/: 11 applied, 0 pending, 0 drift, 0 unknown\n$/);
    const explicit = await run(dir, ['db', 'status', '--config', cfg, '--env', 'dev', '--json']);
    expect(explicit.stderr).toBe('');
    expect(JSON.parse(explicit.stdout)).toMatchObject({ applied: 11, pending: 0 });
    await writeFile(cfg, (await readFile(cfg, 'utf8')).replace(/environments:.*\n/, ''));
    const noUrl = await run(dir, ['db', 'status', '--config', cfg]);
    expect(noUrl).toMatchObject({ code: 2, stdout: '' });
    expect(noUrl.stderr).toBe(
      'error E_USAGE: no database: pass --database-url URL or set database.url in the config\nhint: status.config.yaml (environment dev) has no database.url.\n',
    );
    // --database-url: the blocks follow the order that database ran the changesets in (read when the SQL is written).
    const fromHistory = await run(dir, [
      'db',
      'rollback-sql',
      '--changelog',
      'db/master.xml',
      '--contexts',
      'dev',
      '--count',
      '2',
      '--database-url',
      db.url,
    ]);
    expect(fromHistory.code, fromHistory.stderr).toBe(0);
    expect(fromHistory.stdout.split('\n')[0]).toContain('newest first (by execution order)');
    const badVersion = await run(dir, [
      'db',
      'rollback-sql',
      '--changelog',
      'db/master.xml',
      '--to-tag',
      'v1',
      '--tag-version',
      'latest',
    ]);
    expect(badVersion).toMatchObject({ code: 2, stdout: '' });
    expect(badVersion.stderr).toContain('--tag-version must be OLDEST or NEWEST, got "latest"');
    const rb = await run(dir, [
      'db',
      'rollback-sql',
      '--changelog',
      'db/master.xml',
      '--contexts',
      'dev',
      '--count',
      '2',
      '--out-file',
      'rb.sql',
    ]);
    expect(rb.code).toBe(0);
    const rolled = await run(dir, ['db', 'apply', '--database-url', db.url, 'rb.sql']);
    expect(rolled.code).toBe(0);
    expect(rolled.stderr).toContain('slipway: ROLLED BACK db/changes/005-more.sql::005-skip-when-teams-exist::bob');
    const after = await run(dir, [
      'db',
      'status',
      '--database-url',
      db.url,
      '--changelog',
      'db/master.xml',
      '--contexts',
      'dev',
      '--json',
    ]);
    expect(JSON.parse(after.stdout)).toMatchObject({ applied: 9, pending: 2 });
    // tagDatabase has an (empty) inferred rollback, as Liquibase's TagDatabaseChange; a raw <sql> change has none.
    await writeFile(
      path.join(dir, 'db/no-rollback.xml'),
      '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">\n' +
        '  <changeSet id="900-raw" author="dave"><sql>UPDATE teams SET name = name</sql></changeSet>\n' +
        '</databaseChangeLog>\n',
    );
    const noRollback = await run(dir, [
      'db',
      'rollback-sql',
      '--changelog',
      'db/no-rollback.xml',
      '--count',
      '1',
      '--out-file',
      'none.sql',
    ]);
    expect(noRollback.code).toBe(1);
    expect(noRollback.stderr).toContain('db/no-rollback.xml::900-raw::dave');
    expect(existsSync(path.join(dir, 'none.sql'))).toBe(false);
    const v = await run(dir, ['db', 'verify', '--changelog', 'db/master.xml', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({
      ok: true,
      engine: 'pglite',
      fingerprint: expect.stringMatching(/^sha256:/),
    });
  }, 60_000);

  it('db verify uses database.verifyUrl from the config (a scratch database on PostgreSQL), as the build does', async () => {
    const project = await makeTree({});
    try {
      await cp(path.resolve('test/fixtures/db-pkg/app'), project, { recursive: true });
      await writeFile(
        path.join(project, 'slipway.config.yaml'),
        [
          'name: umig',
          'version: 1.2.0',
          'build:',
          '  components:',
          '    application: { include: ["app/**"] }',
          'database:',
          '  changelog: db/master.xml',
          `  verifyUrl: ${JSON.stringify(db.url)}`,
          '',
        ].join('\n'),
      );
      const v = await run(project, ['db', 'verify', '--json']);
      expect(v.stderr).toBe('');
      expect(v.code).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, engine: 'postgresql' });
      // --database-url still wins over the config.
      const flag = await run(project, ['db', 'verify', '--json', '--database-url', db.url]);
      expect(JSON.parse(flag.stdout)).toMatchObject({ ok: true, engine: 'postgresql' });
    } finally {
      await removeTree(project);
    }
  }, 120_000);

  it('db verify --database-url auto: the local server when it answers, else PGlite, and says which and why', async () => {
    const admin = new URL(db.url);
    const env = { PGHOST: admin.hostname, PGPORT: admin.port || '5432', PGUSER: decodeURIComponent(admin.username) };
    const onPg = await run(dir, ['db', 'verify', '--changelog', 'db/master.xml', '--database-url', 'auto'], env);
    expect(onPg.code).toBe(0);
    expect(onPg.stdout).toContain('ok on postgresql');
    expect(onPg.stdout).toContain(
      `verified on PostgreSQL: --database-url auto: the local PostgreSQL at postgres://${env.PGUSER}@${env.PGHOST}:${env.PGPORT}/postgres answered and may CREATE DATABASE`,
    );
    const port = await reservedPort();
    try {
      const closed = await run(
        dir,
        ['db', 'verify', '--json', '--changelog', 'db/master.xml', '--database-url', 'auto'],
        { ...env, PGPORT: String(port) },
      );
      expect(closed.code).toBe(0);
      expect(JSON.parse(closed.stdout)).toMatchObject({
        ok: true,
        engine: 'pglite',
        engineReason: expect.stringContaining(
          `--database-url auto: no local PostgreSQL answered at ${env.PGHOST}:${port}`,
        ),
      });
    } finally {
      releasePort(port);
    }
  }, 120_000);
});
