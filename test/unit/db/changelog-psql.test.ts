import { afterEach, describe, expect, it } from 'vitest';
import { parsePsqlScript } from '../../../src/db/changelog/index.js';
import { SlipwayError } from '../../../src/errors.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeTree));
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await makeTree(files);
  dirs.push(root);
  return root;
}

async function failure(files: Record<string, string>, script: string): Promise<SlipwayError> {
  const err = await parsePsqlScript({ rootDir: await tree(files), script }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SlipwayError);
  expect((err as SlipwayError).code).toBe('E_CHANGELOG');
  return err as SlipwayError;
}

describe('psql \\i scripts', () => {
  it('inlines \\i (root-relative) and \\ir (file-relative), quoted or bare, recursively, in execution order', async () => {
    const root = await tree({
      'db/all.sql':
        "-- top\n\\ir schema/a.sql\nselect 'between';\n\\i 'db/data/b c.sql'\n\\include_relative data/c.sql\nselect 'end';\n",
      'db/schema/a.sql': 'create table a (id int);\n\\ir ../data/d.sql\n',
      'db/data/b c.sql': 'insert into a values (2);',
      'db/data/c.sql': 'insert into a values (3);',
      'db/data/d.sql': 'insert into a values (4);',
    });
    const r = await parsePsqlScript({ rootDir: root, script: 'db/all.sql' });
    expect(r.files).toEqual([
      { path: 'db/all.sql', content: '-- top', startLine: 1 },
      { path: 'db/schema/a.sql', content: 'create table a (id int);', startLine: 1 },
      { path: 'db/data/d.sql', content: 'insert into a values (4);', startLine: 1 },
      { path: 'db/all.sql', content: "select 'between';", startLine: 3 },
      { path: 'db/data/b c.sql', content: 'insert into a values (2);', startLine: 1 },
      { path: 'db/data/c.sql', content: 'insert into a values (3);', startLine: 1 },
      { path: 'db/all.sql', content: "select 'end';\n", startLine: 6 },
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('warns about .sql files next to included scripts that nothing includes', async () => {
    const root = await tree({
      'db/all.sql': '\\ir a.sql\n',
      'db/a.sql': 'select 1;',
      'db/old.sql': 'select 2;',
      'db/notes.txt': 'x',
    });
    const r = await parsePsqlScript({ rootDir: root, script: 'db/all.sql' });
    expect(r.warnings).toEqual([
      {
        code: 'W_NOT_INCLUDED',
        file: 'db/old.sql',
        line: 1,
        message: 'db/old.sql sits next to included scripts but no \\i/\\ir reaches it.',
      },
    ]);
  });

  it('reports cycles with the chain, escapes, and missing files at the including line', async () => {
    const cyc = await failure({ 'a.sql': 'select 1;\n\\ir b.sql\n', 'b.sql': '\\i a.sql\n' }, 'a.sql');
    expect([cyc.message, cyc.file, cyc.line]).toEqual(['psql include cycle: a.sql -> b.sql -> a.sql', 'b.sql', 1]);
    const esc = await failure({ 'db/a.sql': '\\ir ../../x.sql\n' }, 'db/a.sql');
    expect([esc.message, esc.file, esc.line]).toEqual(['Path "../../x.sql" leaves the project root', 'db/a.sql', 1]);
    const miss = await failure({ 'a.sql': 'select 1;\n\n\\i nope.sql\n' }, 'a.sql');
    expect([miss.message, miss.file, miss.line]).toEqual(['Included script not found: nope.sql', 'a.sql', 3]);
    const top = await failure({}, 'none.sql');
    expect(top.message).toBe('Script not found: none.sql');
  });
});
