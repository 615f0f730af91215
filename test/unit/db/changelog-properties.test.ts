import { afterAll, describe, expect, it } from 'vitest';
import { resolveChangelogs } from '../../../src/config/changelog-source.js';
import { databaseSchema } from '../../../src/config/sections/database.js';
import { parseChangelog } from '../../../src/db/changelog/index.js';
import { EnvironmentProperties, expandProperties, PropertyScope } from '../../../src/db/properties.js';
import { changelogXml } from '../../helpers/changelog-xml.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

describe('${property} expansion (Liquibase ExpressionExpander)', () => {
  const props: Record<string, string> = { a: 'A', b: '${a}-B', name: 'a' };
  const lookup = (n: string): string | undefined => props[n];

  it('replaces known names, keeps unknown ones, expands values and nested names', () => {
    expect(expandProperties('x ${a} ${nope} y', lookup)).toBe('x A ${nope} y');
    expect(expandProperties('${b}', lookup)).toBe('A-B');
    expect(expandProperties('${${name}}', lookup)).toBe('A');
    expect(expandProperties('${ a }', lookup)).toBe('A');
    expect(expandProperties('unclosed ${a', lookup)).toBe('unclosed ${a');
  });

  it('${:name} escapes to the literal expression', () => {
    expect(expandProperties('${:a}', lookup)).toBe('${a}');
  });

  it('caller properties win, then the first definition; local properties stay in their file', () => {
    const s = new PropertyScope({ env: 'cli' });
    s.define({ name: 'env', value: 'file', context: null, labels: null, dbms: null, global: true, file: 'm.xml' });
    s.define({ name: 'x', value: 'first', context: null, labels: null, dbms: null, global: true, file: 'm.xml' });
    s.define({ name: 'x', value: 'second', context: null, labels: null, dbms: null, global: true, file: 'm.xml' });
    s.define({ name: 'loc', value: 'L', context: null, labels: null, dbms: null, global: false, file: 'a.sql' });
    expect(s.expand('${env} ${x} ${loc}', 'a.sql')).toBe('cli first L');
    expect(s.expand('${loc}', 'b.sql')).toBe('${loc}');
  });
});

describe('${NAME} and the environment (Liquibase 4.28 ChangeLogParameters)', () => {
  const def = (name: string, value: string) =>
    ({ name, value, context: null, labels: null, dbms: null, global: true, file: 'm.xml' }) as const;

  it('names are compared ignoring case; the first definition still wins', () => {
    const s = new PropertyScope({ Given: 'g' });
    s.define(def('Foo', 'first'));
    s.define(def('FOO', 'second'));
    expect(s.expand('${foo} ${FOO} ${given}', 'm.xml')).toBe('first first g');
  });

  it('opted in, a variable wins over every definition and is recorded by its own name', () => {
    const env = new EnvironmentProperties({ Foo_Bar: 'envv', constructor: undefined });
    const s = new PropertyScope({ foo_bar: 'cli' }, {}, { env, use: true });
    expect(s.expand('${FOO_BAR} ${constructor} ${toString}', 'm.xml')).toBe('envv ${constructor} ${toString}');
    expect([...s.outside.taken.keys()]).toEqual(['Foo_Bar']);
    expect([...s.outside.overriding.keys()]).toEqual(['Foo_Bar']);
  });

  it('off, a variable is only noted; JVM system property names are noted apart', () => {
    const env = new EnvironmentProperties({ HOME: '/root' });
    const s = new PropertyScope({}, {}, { env, use: false });
    expect(s.expand('${home} ${user.name} ${java.version} ${line.separator} ${other}', 'm.xml')).toBe(
      '${home} ${user.name} ${java.version} ${line.separator} ${other}',
    );
    expect([...s.outside.notTaken.keys()]).toEqual(['home']);
    expect([...s.outside.jvm.keys()]).toEqual(['user.name', 'java.version', 'line.separator']);
    expect(s.outside.taken.size).toBe(0);
  });
});

describe('database.propertiesFromEnv', () => {
  it('defaults to off, takes only a boolean, and reaches the changelog source', () => {
    expect(databaseSchema.parse({}).propertiesFromEnv).toBe(false);
    expect(databaseSchema.safeParse({ propertiesFromEnv: 'yes' }).success).toBe(false);
    const database = databaseSchema.parse({ changelog: 'db/master.xml', propertiesFromEnv: true });
    const sources = resolveChangelogs({ rootDir: '/app', configDir: '/app', configFile: '/app/s.yaml', database });
    expect(sources['db/master.xml']!.propertiesFromEnv).toBe(true);
    const off = resolveChangelogs({
      rootDir: '/app',
      configDir: '/app',
      configFile: '/app/s.yaml',
      database: databaseSchema.parse({ changelog: 'db/master.xml' }),
    });
    expect(off['db/master.xml']!.propertiesFromEnv).toBeUndefined();
  });
});

describe('warnings on ${NAME} from outside the changelog: where it is first written in the file that asked', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await removeTree(r);
  });

  it('in included formatted SQL and YAML files, after the files that include them are read', async () => {
    const root = await makeTree({
      'master.xml': changelogXml(['<include file="a.sql"/>', '<include file="b.yaml"/>'].join('\n')),
      'a.sql': [
        '--liquibase formatted sql',
        '',
        '--changeset a:1',
        'select 1;',
        '--changeset a:2',
        "select '${ Env_Var }', '${user.name}';",
        "select '${ENV_VAR}';",
        '',
      ].join('\n'),
      'b.yaml': [
        'databaseChangeLog:',
        '  - changeSet:',
        '      id: "1"',
        '      author: b',
        '      changes:',
        '        - sql:',
        '            sql: |',
        '              select 1;',
        "              select '${OTHER_VAR}', '${java.version}';",
        '',
      ].join('\n'),
    });
    roots.push(root);
    const cl = await parseChangelog({
      rootDir: root,
      changelog: 'master.xml',
      environment: { ENV_VAR: 'e', OTHER_VAR: 'o' },
    });
    const at = (code: string) => cl.warnings.filter((w) => w.code === code).map((w) => `${w.file}:${w.line}`);
    // `${ Env_Var }` and `${ENV_VAR}` are two names as written, each found first on line 6 (ignoring case).
    expect(at('W_PROPERTY_IN_ENVIRONMENT')).toEqual(['a.sql:6', 'a.sql:6', 'b.yaml:9']);
    expect(at('W_PROPERTY_JVM')).toEqual(['a.sql:6', 'b.yaml:9']);
  });
});
