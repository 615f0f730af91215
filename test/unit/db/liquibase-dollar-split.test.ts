import { afterAll, describe, expect, it } from 'vitest';
import { liquibaseDollarSplit } from '../../../src/db/changelog/liquibase-dollar-split.js';
import { parseChangelog } from '../../../src/db/changelog/index.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

// Cases measured with `liquibase update` 4.28 on PostgreSQL (see the module's comment): the first four fail there
// with "Unterminated dollar quote", the DO block runs.
describe('where Liquibase splits a dollar-quoted body', () => {
  it('finds the ";" Liquibase cuts at, and none where its BEGIN…END count covers the body', () => {
    const sqlFn = 'CREATE FUNCTION f1() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;';
    expect(liquibaseDollarSplit(sqlFn)).toBe(sqlFn.indexOf(';'));
    expect(liquibaseDollarSplit('CREATE FUNCTION f3() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;')).not.toBe(
      null,
    );
    const declare =
      'CREATE FUNCTION f4() RETURNS int AS $$\nDECLARE x int;\nBEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE plpgsql;';
    expect(liquibaseDollarSplit(declare)).toBe(declare.indexOf(';'));
    const endIf =
      'CREATE FUNCTION f6(y int) RETURNS int AS $$\nBEGIN\n  IF y > 0 THEN\n    RETURN 1;\n  END IF;\n  RETURN 2;\nEND;\n$$ LANGUAGE plpgsql;';
    expect(liquibaseDollarSplit(endIf)).toBe(endIf.indexOf('END IF;') + 'END IF'.length);
    const plain =
      'CREATE FUNCTION f2() RETURNS int AS $$\nBEGIN\n  PERFORM 1;\n  RETURN 2;\nEND;\n$$ LANGUAGE plpgsql;';
    expect(liquibaseDollarSplit(plain)).toBe(plain.indexOf('END;') + 3);

    expect(liquibaseDollarSplit('DO $$ BEGIN PERFORM 1; END $$;')).toBeNull();
    expect(liquibaseDollarSplit("SELECT '$$;' , 1; -- $$ ;\nSELECT 2;")).toBeNull();
    expect(liquibaseDollarSplit('CREATE TABLE t (id int); INSERT INTO t VALUES (1);')).toBeNull();
  });

  it('warns W_LIQUIBASE_SPLITS at the line, only under Liquibase default splitting', async () => {
    const fn = 'CREATE FUNCTION f() RETURNS int AS $$\nSELECT 1;\n$$ LANGUAGE sql;\n';
    const root = await makeTree({
      'db/master.sql': [
        '--liquibase formatted sql',
        '--changeset a:split',
        fn,
        '--changeset a:whole splitStatements:false',
        fn,
        '--changeset a:delim endDelimiter:/',
        fn.replace(/;\n$/, '\n/\n'),
        '--changeset a:do',
        'DO $$ BEGIN PERFORM 1; END $$;',
        '',
      ].join('\n'),
    });
    dirs.push(root);
    const r = await parseChangelog({ rootDir: root, changelog: 'db/master.sql' });
    expect(r.warnings.map((w) => `${w.file}:${w.line}: ${w.code}`)).toEqual(['db/master.sql:4: W_LIQUIBASE_SPLITS']);
    expect(r.warnings[0]!.message).toContain('set splitStatements:false');
    // Slipway itself runs each body whole.
    expect(r.changeSets.map((c) => c.statements.length)).toEqual([1, 1, 1, 1]);
  });
});
