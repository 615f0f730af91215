import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextsColumn, parseChangelog } from '../../src/db/changelog/index.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// The tolerance rule's facts, measured with real Liquibase 4.28: it runs formatted SQL with an attribute it does not
// read and YAML with unknown keys (so Slipway warns and records the same rows), and it rejects XML with an unknown
// attribute or without xsi:schemaLocation (so Slipway keeps the first an error and warns about the second).

async function liquibase(root: string, db: TestDatabase, changelog: string, ...args: string[]): Promise<string> {
  const r = await runLiquibase(root, db.url, [`--search-path=${root}`, `--changelog-file=${changelog}`, ...args]);
  return r.ok ? r.out : `FAILED\n${r.out}`;
}

const OWN_XSD = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.liquibase.org/xml/ns/dbchangelog" elementFormDefault="qualified">
  <xs:element name="databaseChangeLog"><xs:complexType><xs:sequence><xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>
</xs:schema>
`;
const xsdAt = (location: string) =>
  `<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog ${location}">\n<changeSet id="1" author="a"><sql>select 1</sql></changeSet>\n</databaseChangeLog>\n`;

describe('tolerance rule against liquibase 4.28', () => {
  let root: string;
  let db: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({
      'db/master.yaml':
        'databaseChangeLog:\n  - include:\n      - file: db/a.sql\n  - include:\n      file: db/b.yaml\n',
      'db/a.sql': '--liquibase formatted sql\n--changeset a:b author:Someone context:x\nselect 1;\n',
      'db/b.yaml':
        'databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: a\n      foo: x\n      changes:\n        - sql:\n            sql: select 1\n            bar: y\n',
      'db/unknown-attr.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n<changeSet id="1" author="a" foo="x"><sql>select 1</sql></changeSet>\n</databaseChangeLog>\n`,
      'db/xsd-5.xml': `<databaseChangeLog ${LIQUIBASE_NS.replace('dbchangelog-4.28.xsd', 'dbchangelog-5.0.xsd')}>\n<changeSet id="1" author="a"><sql>select 1</sql></changeSet>\n</databaseChangeLog>\n`,
      // A schema of the project's own, resolved as Liquibase resolves one (found on AAFC-BICoE's DINA projects).
      'local.xsd/dbchangelog-4.4.xsd': OWN_XSD,
      'db/own-xsd.xml': xsdAt('https://local.xsd/dbchangelog-4.4.xsd'),
      'db/lost-xsd.xml': xsdAt('https://example.com/x/dbchangelog.xsd'),
      'db/plain-xsd.xml': xsdAt('local.xsd/dbchangelog-4.4.xsd'),
      'db/no-schema.xml':
        '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n<changeSet id="1" author="a"><sql>select 1</sql></changeSet>\n</databaseChangeLog>\n',
    });
    db = await createTestDatabase('slipway_tolerance');
  });
  afterAll(async () => {
    await db?.drop();
    if (root) await removeTree(root);
  });

  it('records the same rows as Liquibase for what it only warns about', async () => {
    const out = await liquibase(root, db, 'db/master.yaml', 'changelog-sync');
    expect(out).not.toMatch(/^FAILED/);
    const theirs = await queryRows(
      db.url,
      'SELECT id, author, filename, md5sum, contexts FROM databasechangelog ORDER BY orderexecuted',
    );
    const ours = await parseChangelog({ rootDir: root, changelog: 'db/master.yaml' });
    expect(
      ours.changeSets.map((c) => ({
        id: c.id,
        author: c.author,
        filename: c.filename,
        md5sum: c.checksum,
        contexts: contextsColumn(c),
      })),
    ).toEqual(theirs);
    expect(ours.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual([
      'db/a.sql:2 W_IGNORED_ATTRIBUTE',
      'db/b.yaml:5 W_IGNORED_ATTRIBUTE',
      'db/b.yaml:9 W_IGNORED_ATTRIBUTE',
    ]);
  }, 120_000);

  it('Liquibase rejects an unknown XML attribute and XML without schemaLocation, as Slipway says', async () => {
    expect(await liquibase(root, db, 'db/unknown-attr.xml', 'validate')).toMatch(
      /Attribute 'foo' is not allowed to appear in element 'changeSet'/,
    );
    expect(await liquibase(root, db, 'db/no-schema.xml', 'validate')).toMatch(
      /Cannot find the declaration of element 'databaseChangeLog'/,
    );
    await expect(parseChangelog({ rootDir: root, changelog: 'db/unknown-attr.xml' })).rejects.toThrow(
      'Unknown attribute "foo" on <changeSet>',
    );
    const noSchema = await parseChangelog({ rootDir: root, changelog: 'db/no-schema.xml' });
    // (db/a.sql next to it is, rightly, W_NOT_INCLUDED: this master does not include it.)
    expect(noSchema.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual([
      'db/no-schema.xml:1 W_LIQUIBASE_REJECTS',
      'db/a.sql:1 W_NOT_INCLUDED',
    ]);
  }, 120_000);

  it('Liquibase 4.28 rejects a dbchangelog XSD newer than it ships (5.0), which Slipway reads with a warning', async () => {
    expect(await liquibase(root, db, 'db/xsd-5.xml', 'validate')).toMatch(
      /Unable to resolve xml entity http:\/\/www\.liquibase\.org\/xml\/ns\/dbchangelog\/dbchangelog-5\.0\.xsd/,
    );
    const newer = await parseChangelog({ rootDir: root, changelog: 'db/xsd-5.xml' });
    expect(newer.changeSets.map((c) => c.id)).toEqual(['1']);
    expect(
      newer.warnings.filter((w) => w.code === 'W_LIQUIBASE_REJECTS').map((w) => `${w.file}:${w.line} ${w.message}`),
    ).toEqual([
      expect.stringMatching(
        /^db\/xsd-5\.xml:1 xsi:schemaLocation names dbchangelog-5\.0\.xsd, which Liquibase 4\.28 does not ship/,
      ),
    ]);
  }, 120_000);

  it("an XSD of the project's own: Liquibase finds an http(s) location's path on its search path, nothing else", async () => {
    expect(await liquibase(root, db, 'db/own-xsd.xml', 'validate')).not.toMatch(/^FAILED/);
    expect(await liquibase(root, db, 'db/lost-xsd.xml', 'validate')).toMatch(
      /Unable to resolve xml entity https:\/\/example\.com\/x\/dbchangelog\.xsd/,
    );
    expect(await liquibase(root, db, 'db/plain-xsd.xml', 'validate')).toMatch(
      /'file' access is not allowed due to restriction set by the accessExternalSchema property/,
    );
    const rejects = async (changelog: string) =>
      (await parseChangelog({ rootDir: root, changelog })).warnings
        .filter((w) => w.code === 'W_LIQUIBASE_REJECTS')
        .map((w) => w.message);
    expect(await rejects('db/own-xsd.xml')).toEqual([]);
    expect(await rejects('db/lost-xsd.xml')).toEqual([
      expect.stringContaining(
        'names https://example.com/x/dbchangelog.xsd, which Liquibase 4.28 does not ship and does not find on its search path as example.com/x/dbchangelog.xsd: it rejects this file',
      ),
    ]);
    expect(await rejects('db/plain-xsd.xml')).toEqual([
      expect.stringContaining('names local.xsd/dbchangelog-4.4.xsd, a location without http:// or https://'),
    ]);
  }, 240_000);
});
