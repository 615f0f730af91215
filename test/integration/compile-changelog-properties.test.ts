import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanProject } from '../../src/fileset/scan.js';
import { compileFileSet } from '../../src/builder/compile/index.js';
import { SlipwayError } from '../../src/errors.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function configFor(rootDir: string, properties: Record<string, string> = {}): Promise<Config> {
  const parsed = configSchema.parse({
    name: 'app',
    version: '1.0.0',
    build: { components: { database: { include: ['db/**'] } } },
    database: { changelog: 'db/master.xml', properties },
  });
  return resolveConfig(parsed, { configFile: path.join(rootDir, 'slipway.config.yaml'), environment: 'dev' });
}

const MASTER = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd">
  <property name="retention.days" value="365"/>
  <include file="changes/001.sql" relativeToChangelogFile="true"/>
</databaseChangeLog>
`;
// `${retention.days}` must be a number where it stands: an identifier placeholder would not parse.
const CHANGE = `--liquibase formatted sql
--changeset dev:1
CREATE TABLE audit (id int, at timestamptz DEFAULT now() - interval '1 day' * \${retention.days});
SELECT generate_series(1, \${retention.days});
`;

describe('compile uses the properties the changelog defines', () => {
  it('checks formatted SQL with the <property> values of the master, without notes', async () => {
    const dir = await makeTree({ 'db/master.xml': MASTER, 'db/changes/001.sql': CHANGE }, 'slipway-props-');
    dirs.push(dir);
    const config = await configFor(dir);
    const scan = await scanProject(config);
    const r = await compileFileSet(config, scan.fileSet, { cacheDir: path.join(dir, '.cache') });
    expect(r.ok).toBe(true);
    expect(JSON.stringify(r.findings)).not.toContain('has no value');
  });

  it('still reports a real syntax error at its line in the changelog file', async () => {
    const dir = await makeTree(
      {
        'db/master.xml': MASTER,
        'db/changes/001.sql': CHANGE.replace('SELECT generate_series', 'SELEC generate_series'),
      },
      'slipway-props-',
    );
    dirs.push(dir);
    const config = await configFor(dir);
    const scan = await scanProject(config);
    const err = await compileFileSet(config, scan.fileSet, { cacheDir: path.join(dir, '.cache') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).details.join('\n')).toMatch(/db\/changes\/001\.sql:4:1/);
  });
});
