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
    /**
     * `${NAME}` also takes environment variables, as Liquibase 4.28 does (over every other definition, names ignoring
     * case). Off by default: a build reads no environment into its package; an unresolved `${NAME}` for which a
     * variable is set is a warning (W_PROPERTY_IN_ENVIRONMENT).
     */
    propertiesFromEnv: z.boolean().default(false),
    /** Verify the package on a throwaway database while building (PGlite unless verifyUrl is set). */
    verify: z.boolean().default(true),
    /**
     * PostgreSQL server the verification creates (and drops) a scratch database on; `auto`: the local server (libpq
     * environment, else 127.0.0.1:5432) when it answers and may CREATE DATABASE, else PGlite. Unset: PGlite in memory
     * (src/db/verify-target.ts).
     */
    verifyUrl: z
      .string()
      .refine((v) => v === '' || v === 'auto' || /^postgres(ql)?:\/\//.test(v), {
        message: 'must be a postgres:// or postgresql:// URL, or auto',
      })
      .optional(),
    /**
     * SQL run on the throwaway verification database before the package, for what a real server already has:
     * roles (`CREATE ROLE app_user`), schemas, extensions. `sql` entries are statements, `files` paths relative to
     * the config file; both run in order, files after sql.
     */
    verifySetup: z
      .object({ sql: z.array(z.string()).default([]), files: z.array(z.string()).default([]) })
      .strict()
      .optional(),
    /** History table name, as Liquibase's --database-changelog-table-name (default databasechangelog). */
    changelogTable: z.string().optional(),
    /** Lock table name, as Liquibase's --database-changelog-lock-table-name (default databasechangeloglock). */
    changelogLockTable: z.string().optional(),
    /** Schema of both tables, as Liquibase's --liquibase-schema-name (default public; the schema must exist). */
    changelogSchema: z.string().optional(),
    /**
     * Liquibase's --default-schema-name: objects without schemaName are created there (first on the search_path,
     * qualified in generated SQL), and it is the history tables' schema unless changelogSchema is set. Must exist.
     */
    defaultSchemaName: z.string().optional(),
    connectTimeoutMs: z.number().int().positive().max(60_000).default(5000),
    /**
     * Allow changesets and psql scripts that run a shell (COPY … PROGRAM, untrusted languages, psql \\! and pipes;
     * src/db/package-safety.ts): refused by the build and the db commands by default. A deploy target has its own
     * `allowShellInSql` for packages built elsewhere.
     */
    allowShellInSql: z.boolean().default(false),
    /**
     * Liquibase `<customChange class="…">` escape hatch: class name → SQL file (relative to the config file, inside
     * the root) that the package runs in its place. The history row keeps Liquibase's checksum of the customChange.
     */
    customChanges: z.record(z.string().min(1), z.string().min(1)).default({}),
  })
  .strict();

export type DatabaseConfig = z.infer<typeof databaseSchema>;
