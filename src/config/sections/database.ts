import { z } from 'zod';

export const databaseSchema = z
  .object({
    /** Liquibase master changelog (XML, YAML, JSON or formatted SQL), relative to the config file. */
    changelog: z.string().optional(),
    /** psql reference scripts built from \i includes, packaged with --mode plain. */
    psqlScripts: z.array(z.string()).default([]),
    /** Live database used by stage checks, deploy migrations and the server. Empty means none. */
    url: z.string().optional(),
    contexts: z.array(z.string()).default([]),
    labels: z.string().optional(),
    /** Liquibase changelog properties (`${name}` substitution). */
    properties: z.record(z.string(), z.string()).default({}),
    /** Verify the package on a throwaway database while building (PGlite unless verifyUrl is set). */
    verify: z.boolean().default(true),
    verifyUrl: z.string().optional(),
    connectTimeoutMs: z.number().int().positive().max(60_000).default(5000),
    /**
     * Liquibase `<customChange class="…">` escape hatch: class name → SQL file (relative to the config file, inside
     * the root) that the package runs in its place. The history row keeps Liquibase's checksum of the customChange.
     */
    customChanges: z.record(z.string().min(1), z.string().min(1)).default({}),
  })
  .strict();

export type DatabaseConfig = z.infer<typeof databaseSchema>;
