import { describe, expect, it } from 'vitest';
import { buildDatabasePackage } from '../../src/db/package.js';
import { changelogXml } from '../helpers/changelog-xml.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { applyOurPackage, expectSameSchemaAndHistory, psqlRows, useOracleCase } from '../helpers/liquibase-oracle.js';

// `${NAME}` from environment variables, as Liquibase 4.28's ChangeLogParameters resolves it: every variable is a
// global parameter added before anything else (then JVM system properties, the database.* built-ins, -D, the
// defaults file, <property>), looked up ignoring case, with no context/label/dbms limit. Slipway does the same only
// when asked (database.propertiesFromEnv / --properties-from-env) and otherwise warns, naming the variable.

const MASTER = changelogXml(`  <property name="SLIPWAY_ENV_A" value="fromchangelog"/>
  <property name="SLIPWAY_ENV_CTX" value="ctxprop" context="nope"/>
  <property name="Slipway_Case" value="cased"/>
  <changeSet id="1" author="a">
    <sql>CREATE TABLE env_t (k text PRIMARY KEY, v text);
INSERT INTO env_t VALUES ('a', '\${SLIPWAY_ENV_A}'), ('lower', '\${slipway_env_a}'), ('b', '\${SLIPWAY_ENV_B}'),
 ('ctx', '\${SLIPWAY_ENV_CTX}'), ('mixed', '\${SLIPWAY_ENV_MIXED}'), ('nested', '\${SLIPWAY_ENV_N}'),
 ('empty', '\${SLIPWAY_ENV_EMPTY}'), ('unset', '\${SLIPWAY_ENV_UNSET}'), ('typename', '\${database.typeName}'),
 ('case', '\${slipway_case}'), ('f', '\${SLIPWAY_ENV_F}')</sql>
  </changeSet>`);

/** The variables both sides see (besides the test's own environment). */
const VARS = {
  SLIPWAY_ENV_A: 'fromenv',
  SLIPWAY_ENV_B: 'envB',
  SLIPWAY_ENV_F: 'envF',
  SLIPWAY_ENV_CTX: 'envctx',
  Slipway_Env_Mixed: 'mixedenv',
  SLIPWAY_ENV_N: '${SLIPWAY_ENV_A}-n',
  SLIPWAY_ENV_EMPTY: '',
  'database.typeName': 'envtype',
};

describe('changelog properties from the environment against Liquibase 4.28', () => {
  const c = useOracleCase('envprops', {
    'db/master.xml': MASTER,
    // A defaults file's parameter.* is a changelog parameter too (DatabaseChangelogCommandStep), after -D.
    'lb.properties': 'parameter.SLIPWAY_ENV_F=fromfile\n',
  });

  it('propertiesFromEnv takes variables as Liquibase does: first, ignoring case, unfiltered', async () => {
    const r = await runLiquibase(
      c.root,
      c.theirs.url,
      [
        `--search-path=${c.root}`,
        '--changelog-file=db/master.xml',
        '--show-banner=false',
        '--defaults-file=lb.properties',
        'update',
        '-DSLIPWAY_ENV_B=cliB',
      ],
      VARS,
    );
    expect(r.ok, r.out).toBe(true);
    await applyOurPackage(c.root, 'db/master.xml', c.ours, {
      propertiesFromEnv: true,
      environment: { ...process.env, ...VARS },
      properties: { SLIPWAY_ENV_B: 'cliB' },
    });
    const rows = "SELECT k || '=' || v FROM env_t ORDER BY k";
    expect(psqlRows(c.theirs, rows)).toEqual([
      'a=fromenv',
      'b=envB',
      'case=cased',
      'ctx=envctx',
      'empty=',
      'f=envF',
      'lower=fromenv',
      'mixed=mixedenv',
      'nested=fromenv-n',
      'typename=envtype',
      'unset=${SLIPWAY_ENV_UNSET}',
    ]);
    expect(psqlRows(c.ours, rows)).toEqual(psqlRows(c.theirs, rows));
    expectSameSchemaAndHistory(c);
  });

  it('records the names taken (never values) and warns where a variable overrides a definition', async () => {
    const pkg = await buildDatabasePackage({
      rootDir: c.root,
      changelog: 'db/master.xml',
      application: 'env',
      version: '1.0.0',
      sourceDateEpoch: 0,
      propertiesFromEnv: true,
      environment: { SLIPWAY_ENV_A: 'fromenv', SLIPWAY_ENV_B: 's3cret-b' },
      properties: { SLIPWAY_ENV_B: 'cliB' },
    });
    expect(pkg.propertiesFromEnv).toEqual(['SLIPWAY_ENV_A', 'SLIPWAY_ENV_B']);
    expect(pkg.sql).toContain('-- Properties from the environment: SLIPWAY_ENV_A, SLIPWAY_ENV_B\n');
    const overrides = pkg.warnings.filter((w) => w.code === 'W_PROPERTY_ENV_OVERRIDES');
    expect(overrides.map((w) => `${w.file}:${w.line} ${w.message.split(' ').slice(0, 4).join(' ')}`)).toEqual([
      'db/master.xml:8 the environment variable SLIPWAY_ENV_A',
      'db/master.xml:8 the environment variable SLIPWAY_ENV_B',
    ]);
    expect(JSON.stringify(pkg.warnings)).not.toContain('s3cret');
  });

  it('off (the default): reads no variable into the package, and names each one it would have taken', async () => {
    const pkg = await buildDatabasePackage({
      rootDir: c.root,
      changelog: 'db/master.xml',
      application: 'env',
      version: '1.0.0',
      sourceDateEpoch: 0,
      environment: { SLIPWAY_ENV_UNSET: 's3cret-u', slipway_env_b: 's3cret-b' },
    });
    expect(pkg.propertiesFromEnv).toEqual([]);
    expect(pkg.sql).not.toContain('s3cret');
    expect(pkg.sql).not.toContain('Properties from the environment');
    expect(pkg.sql).toContain("('unset', '${SLIPWAY_ENV_UNSET}')");
    const notTaken = pkg.warnings.filter((w) => w.code === 'W_PROPERTY_IN_ENVIRONMENT');
    expect(notTaken.map((w) => `${w.file}:${w.line}`)).toEqual(['db/master.xml:8', 'db/master.xml:10']);
    expect(notTaken[0]!.message).toMatch(
      /^\$\{SLIPWAY_ENV_B\} stays as written.*database\.propertiesFromEnv: true.*--properties-from-env/,
    );
    expect(notTaken[1]!.message).toContain('${SLIPWAY_ENV_UNSET}');
    expect(JSON.stringify(pkg.warnings)).not.toContain('s3cret');
  });
});

describe('the database.* built-ins against -D, against Liquibase 4.28', () => {
  // ChangeLogParameters sets the built-ins before -D (javaProperties) and the defaults file, and the first wins.
  const c = useOracleCase('builtinprops', {
    'db/master.xml': changelogXml(`  <changeSet id="1" author="a">
    <sql>CREATE TABLE b_t (k text PRIMARY KEY, v text);
INSERT INTO b_t VALUES ('typename', '\${database.typeName}'), ('comment', '\${Database.LineComment}')</sql>
  </changeSet>`),
  });

  it('a built-in wins over a caller property of the same name (-D, --property, database.properties)', async () => {
    const r = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=db/master.xml',
      '--show-banner=false',
      'update',
      '-Ddatabase.typeName=cli',
      '-Ddatabase.lineComment=cli',
    ]);
    expect(r.ok, r.out).toBe(true);
    await applyOurPackage(c.root, 'db/master.xml', c.ours, {
      properties: { 'database.typeName': 'cli', 'database.lineComment': 'cli' },
    });
    const rows = "SELECT k || '=' || v FROM b_t ORDER BY k";
    expect(psqlRows(c.theirs, rows)).toEqual(['comment=--', 'typename=postgresql']);
    expect(psqlRows(c.ours, rows)).toEqual(psqlRows(c.theirs, rows));
    expectSameSchemaAndHistory(c);
  }, 600_000);
});
