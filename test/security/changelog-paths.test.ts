/**
 * A changelog tree from someone else must not read files outside its root: `../`, absolute paths and symbolic links
 * inside the tree that lead out (to a file or to a directory) are refused at the referring file:line for every way a
 * changelog names a file (include, includeAll, sqlFile, loadData, property file, psql \i, \ir and \copy), and the
 * error never carries the outside file's text. A link that stays inside the root still works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseChangelog, parsePsqlScript } from '../../src/db/changelog/index.js';
import { SlipwayError } from '../../src/errors.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { changelogXml } from '../helpers/changelog-xml.js';

const SECRET = 'OUTSIDE-SECRET-7f3a9c';
let outside: string;
const dirs: string[] = [];

beforeAll(async () => {
  outside = await mkdtemp(path.join(tmpdir(), 'slipway-outside-'));
  await writeFile(path.join(outside, 'secret.sql'), `select '${SECRET}';\n`);
  await writeFile(path.join(outside, 'secret.csv'), `a\n${SECRET}\n`);
  await writeFile(path.join(outside, 'secret.properties'), `p=${SECRET}\n`);
  await writeFile(
    path.join(outside, 'secret.xml'),
    `<databaseChangeLog><changeSet id="x" author="a"><sql>select '${SECRET}'</sql></changeSet></databaseChangeLog>`,
  );
});
afterAll(async () => {
  for (const d of [outside, ...dirs]) await removeTree(d);
});

/** A project whose db/ holds `files`, plus `db/out.*` links to the outside files and `db/outdir` to the outside dir. */
async function project(files: Record<string, string>): Promise<string> {
  const root = await makeTree(files, 'slipway-paths-');
  dirs.push(root);
  await mkdir(path.join(root, 'db'), { recursive: true });
  for (const ext of ['sql', 'csv', 'properties', 'xml'])
    await symlink(path.join(outside, `secret.${ext}`), path.join(root, `db/out.${ext}`));
  await symlink(outside, path.join(root, 'db/outdir'));
  return root;
}

async function failure(run: () => Promise<unknown>): Promise<SlipwayError> {
  let err: unknown = null;
  try {
    const r = await run();
    err = new Error(`parsed without error: ${JSON.stringify(r).slice(0, 300)}`);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SlipwayError);
  const e = err as SlipwayError;
  expect(e.code).toBe('E_CHANGELOG');
  expect(JSON.stringify({ m: e.message, h: e.hint })).not.toContain(SECRET);
  return e;
}

const changeSet = (inner: string) => `  <changeSet id="1" author="a">\n    ${inner}\n  </changeSet>`;

describe('changelog paths that leave the root', () => {
  const xmlCases: [string, string][] = [
    ['include of a symlink to an outside file', '  <include file="db/out.xml"/>'],
    ['include through a symlinked directory', '  <include file="db/outdir/secret.xml"/>'],
    ['includeAll of a symlinked directory', '  <includeAll path="db/outdir/"/>'],
    ['sqlFile of a symlink', changeSet('<sqlFile path="db/out.sql"/>')],
    [
      'sqlFile relative through a symlinked directory',
      changeSet('<sqlFile path="outdir/secret.sql" relativeToChangelogFile="true"/>'),
    ],
    ['sqlFile with ../', changeSet('<sqlFile path="../../../../../../../../etc/passwd"/>')],
    ['loadData of a symlinked CSV', changeSet('<loadData tableName="t" file="db/out.csv"/>')],
    ['property file through a symlink', '  <property file="db/out.properties"/>'],
  ];
  it.each(xmlCases)('%s is refused at the referring line', async (_name, body) => {
    const root = await project({ 'db/master.xml': changelogXml(body) });
    const e = await failure(() => parseChangelog({ rootDir: root, changelog: 'db/master.xml' }));
    // The element naming the file: line 3, or 4 inside a changeSet.
    expect([e.file, e.line]).toEqual(['db/master.xml', body.includes('<changeSet') ? 4 : 3]);
    expect(e.message).toMatch(/leaves the project root/);
  });

  it('a master changelog that is itself a symlink out of the root is refused', async () => {
    const root = await project({});
    const e = await failure(() => parseChangelog({ rootDir: root, changelog: 'db/out.xml' }));
    expect(e.message).toMatch(/leaves the project root/);
  });

  const psqlCases: [string, string][] = [
    ['\\i of a symlink', '\\i db/out.sql'],
    ['\\ir through a symlinked directory', '\\ir outdir/secret.sql'],
    ['\\include of an absolute path', `\\include ${path.join(tmpdir(), 'x.sql')}`],
    ['\\copy from a symlinked file', "\\copy t from 'db/out.csv' with (format csv)"],
    ['\\copy from ../', "\\copy t from '../../../../../../etc/passwd'"],
  ];
  it.each(psqlCases)('psql %s is refused at its line', async (_name, line) => {
    const root = await project({ 'db/all.sql': `create table t(a text);\n${line}\n` });
    const e = await failure(() => parsePsqlScript({ rootDir: root, script: 'db/all.sql' }));
    expect([e.file, e.line]).toEqual(['db/all.sql', 2]);
    expect(e.message).toMatch(/leaves the project root/);
  });

  it('links that stay inside the root are read as before', async () => {
    const root = await project({
      'shared/a.sql': 'select 1;\n',
      'db/master.xml': changelogXml(changeSet('<sqlFile path="db/in.sql"/>')),
      'db/all.sql': '\\i db/in.sql\n',
    });
    await symlink('../shared/a.sql', path.join(root, 'db/in.sql'));
    const cl = await parseChangelog({ rootDir: root, changelog: 'db/master.xml' });
    expect(cl.changeSets[0]!.sql).toBe('select 1;\n');
    const ps = await parsePsqlScript({ rootDir: root, script: 'db/all.sql' });
    expect(ps.files.map((f) => f.content).join('')).toBe('select 1;\n');
  });
});
