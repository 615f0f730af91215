import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildProject, makeBuildProject } from '../helpers/build-project.js';

const CHANGELOG = '--liquibase formatted sql\n--changeset ann:1\nCREATE TABLE t (id int);\n--rollback DROP TABLE t;\n';

describe('PGlite verification is cached by content', () => {
  it('reuses the result for an identical package, and verifies again when a changeset changes', async () => {
    const dir = await makeBuildProject({
      name: 'cached',
      changelog: 'db/master.sql',
      files: { 'db/master.sql': CHANGELOG },
    });
    const verifyPhase = (r: Awaited<ReturnType<typeof buildProject>>) => r.phases.find((p) => p.name === 'verify')!;

    const first = await buildProject(dir);
    expect(verifyPhase(first)).toMatchObject({ status: 'ok' });
    expect(verifyPhase(first).reason).toMatch(
      /^PGlite in a child process, concurrent with compile; peak RSS [1-9]\d* MB; database\.verifyUrl is not set: .*$/,
    );
    expect(first.manifest.components.database.healthStatus).toBe('HEALTHY');

    // Another build time changes only the package's generated-at line: same content address.
    const second = await buildProject(dir, { sourceDateEpoch: 1_700_000_500 });
    expect(verifyPhase(second)).toMatchObject({
      status: 'ok',
      reason: expect.stringMatching(/^cached result of an identical package/),
    });
    expect(second.manifest.components.database.schemaFingerprint).toBe(
      first.manifest.components.database.schemaFingerprint,
    );

    await writeFile(path.join(dir, 'db/master.sql'), CHANGELOG.replace('(id int)', '(id bigint)'));
    const third = await buildProject(dir, { sourceDateEpoch: 1_700_000_500 });
    expect(verifyPhase(third).reason).toMatch(
      /^PGlite in a child process, concurrent with compile; peak RSS [1-9]\d* MB; database\.verifyUrl is not set: .*$/,
    );
    expect(third.manifest.components.database.schemaFingerprint).not.toBe(
      first.manifest.components.database.schemaFingerprint,
    );
  }, 180_000); // two PGlite runs, each in a child process started through tsx from source
});
