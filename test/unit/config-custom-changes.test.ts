import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { customChangeFiles, resolveChangelogSource } from '../../src/config/changelog-source.js';
import { databaseSchema } from '../../src/config/sections/database.js';
import type { Config } from '../../src/config/schema.js';

describe('database.customChanges', () => {
  it('defaults to none, rejects empty names, and resolves files against the config directory', () => {
    expect(databaseSchema.parse({}).customChanges).toEqual({});
    expect(databaseSchema.safeParse({ customChanges: { '': 'x.sql' } }).success).toBe(false);
    const database = databaseSchema.parse({ customChanges: { 'com.example.Fix': 'db/fix.sql' } });
    const config = { configDir: '/app/cfg', rootDir: '/app', database } as unknown as Config;
    expect(customChangeFiles(config)).toEqual({ 'com.example.Fix': path.resolve('/app/cfg/db/fix.sql') });
    const source = resolveChangelogSource({
      rootDir: '/app',
      master: '/app/db/master.xml',
      customChanges: customChangeFiles(config),
    });
    expect(source.customChanges).toEqual({ 'com.example.Fix': path.resolve('/app/cfg/db/fix.sql') });
    expect(resolveChangelogSource({ rootDir: '/app', master: '/app/db/master.xml' }).customChanges).toBeUndefined();
  });
});
