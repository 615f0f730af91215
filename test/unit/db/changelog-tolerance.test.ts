import { afterEach, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../../src/db/changelog/index.js';
import { SlipwayError } from '../../../src/errors.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';
import { LIQUIBASE_NS } from '../../helpers/changelog-xml.js';

// The tolerance rule: what Liquibase 4.28 ignores is a warning with file:line (an error under --strict); what it
// rejects stays an error. Each case's Liquibase behaviour is measured in test/integration/db-tolerance-oracle.test.ts.
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeTree));
});

async function parse(files: Record<string, string>, changelog: string, strict = false) {
  const root = await makeTree(files);
  dirs.push(root);
  return parseChangelog({ rootDir: root, changelog, strict });
}

async function strictFailure(files: Record<string, string>, changelog: string): Promise<SlipwayError> {
  const err = await parse(files, changelog, true).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SlipwayError);
  return err as SlipwayError;
}

describe('tolerance rule', () => {
  const formatted = { 'db/a.sql': '--liquibase formatted sql\n--changeset a:b author:Someone\nselect 1;\n' };

  it('formatted SQL: an attribute Liquibase does not read is a warning naming file and line, and the changeset runs', async () => {
    const r = await parse(formatted, 'db/a.sql');
    expect(r.changeSets.map((c) => [c.id, c.author, c.statements])).toEqual([['b', 'a', ['select 1']]]);
    expect(r.warnings.map((w) => [w.code, w.file, w.line])).toEqual([['W_IGNORED_ATTRIBUTE', 'db/a.sql', 2]]);
    expect(r.warnings[0]!.message).toMatch(/^Unknown changeset attribute "author": Liquibase ignores it/);
  });

  it('--strict turns every warning into one E_CHANGELOG error listing them all', async () => {
    const e = await strictFailure(
      {
        'db/a.sql':
          '--liquibase formatted sql\n--changeset a:b author:Someone\nselect 1;\n--changeset a:c runOnChnage:true\nselect 2;\n',
      },
      'db/a.sql',
    );
    expect([e.code, e.message, e.file, e.line]).toEqual([
      'E_CHANGELOG',
      '2 changelog warning(s), and --strict makes them errors',
      'db/a.sql',
      2,
    ]);
    expect(e.details.map((d) => d.split(': ')[0])).toEqual(['db/a.sql:2', 'db/a.sql:4']);
    expect(e.details[1]).toContain('"runOnChnage"');
  });

  it('YAML/JSON: unknown keys on changeSet and on a change are warnings (Liquibase ignores them)', async () => {
    const yaml =
      'databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: a\n      foo: x\n      changes:\n        - sql:\n            sql: select 1\n            bar: y\n';
    const r = await parse({ 'db/m.yaml': yaml }, 'db/m.yaml');
    expect(r.changeSets.map((c) => c.statements)).toEqual([['select 1']]);
    expect(r.warnings.map((w) => [w.code, w.line, w.message.split(':')[0]])).toEqual([
      // Each at the line it is written on (value-lines.ts), not the changeSet's or the change's first line.
      ['W_IGNORED_ATTRIBUTE', 5, 'Unknown attribute "foo" on changeSet'],
      ['W_IGNORED_ATTRIBUTE', 9, 'Unknown attribute "bar" on sql'],
    ]);
  });

  it('XML: an unknown attribute stays an error, because Liquibase validates against its XSD and rejects it', async () => {
    const err = await parse(
      {
        'db/m.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n<changeSet id="1" author="a" foo="x"><sql>select 1</sql></changeSet>\n</databaseChangeLog>`,
      },
      'db/m.xml',
    ).catch((e: unknown) => e as SlipwayError);
    expect(err).toBeInstanceOf(SlipwayError);
    expect([(err as SlipwayError).message, (err as SlipwayError).line]).toEqual([
      'Unknown attribute "foo" on <changeSet>',
      2,
    ]);
    expect((err as SlipwayError).hint).toMatch(/^Liquibase's XSD validation rejects it too/);
  });

  it('XML without xsi:schemaLocation: read, with a warning that Liquibase 4.28 rejects the file', async () => {
    const files = {
      'db/m.xml':
        '<?xml version="1.0"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n<changeSet id="1" author="a"><sql>select 1</sql></changeSet>\n</databaseChangeLog>',
    };
    const r = await parse(files, 'db/m.xml');
    expect(r.changeSets).toHaveLength(1);
    expect(r.warnings.map((w) => [w.code, w.file, w.line])).toEqual([['W_LIQUIBASE_REJECTS', 'db/m.xml', 2]]);
    expect(r.warnings[0]!.message).toMatch(/Liquibase 4\.28 rejects this file/);
    expect((await strictFailure(files, 'db/m.xml')).details[0]).toMatch(/^db\/m\.xml:2: W_LIQUIBASE_REJECTS: /);
  });

  it('YAML include written as a list (`include: [ - file: x ]`) reads like the mapping form', async () => {
    const r = await parse(
      {
        'db/m.yml': 'databaseChangeLog:\n  - include:\n      - file: db/x.sql\n  - include:\n      file: db/y.sql\n',
        'db/x.sql': '--liquibase formatted sql\n--changeset a:x\nselect 1;\n',
        'db/y.sql': '--liquibase formatted sql\n--changeset a:y\nselect 2;\n',
      },
      'db/m.yml',
    );
    expect(r.changeSets.map((c) => [c.filename, c.id])).toEqual([
      ['db/x.sql', 'x'],
      ['db/y.sql', 'y'],
    ]);
    expect(r.warnings).toEqual([]);
  });
});
