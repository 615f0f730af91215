import { describe, expect, it } from 'vitest';
import { isSlipwayError } from '../../src/errors.js';
import { buildProject, makeBuildProject } from '../helpers/build-project.js';

// `author:` on the changeset line is an attribute Liquibase 4.28 ignores: a warning, an error under --strict.
const CHANGELOG = '--liquibase formatted sql\n--changeset ann:1 author:Someone\nCREATE TABLE t (id int);\n';

describe('build --strict reaches the changelog parser', () => {
  it('a changelog warning is a package warning without --strict and an E_CHANGELOG error with it', async () => {
    const dir = await makeBuildProject({
      name: 'strictdb',
      changelog: 'db/master.sql',
      database: ['verify: false'],
      files: { 'db/master.sql': CHANGELOG },
    });
    const lenient = await buildProject(dir);
    expect(lenient.details.warnings.join('\n')).toMatch(/db\/master\.sql:2: W_IGNORED_ATTRIBUTE/);

    const err = await buildProject(dir, { strict: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSlipwayError(err) && err.code).toBe('E_CHANGELOG');
    expect((err as Error).message).toBe('1 changelog warning(s), and --strict makes them errors');
    expect(err).toMatchObject({ file: expect.stringContaining('db/master.sql'), line: 2 });
  }, 180_000);
});
