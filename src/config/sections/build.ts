import { z } from 'zod';

/** The five package components and where their files land in the archive. */
export const COMPONENT_NAMES = ['application', 'database', 'docs', 'scripts', 'tests'] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

const componentSchema = z
  .object({
    include: z.array(z.string().min(1)).min(1),
    exclude: z.array(z.string().min(1)).default([]),
    /** Prefix of the source path dropped before the file is placed under `<component>/` (e.g. `src/`). */
    base: z.string().default(''),
    /** A required component whose globs match nothing fails the stage phase. */
    required: z.boolean().default(false),
  })
  .strict();

const envCheckSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
    required: z.boolean().default(true),
    description: z.string().optional(),
  })
  .strict();

const httpCheckSchema = z
  .object({
    name: z.string().min(1),
    url: z.url(),
    expectStatus: z.number().int().min(100).max(599).default(200),
    timeoutMs: z.number().int().positive().max(60_000).default(3000),
    required: z.boolean().default(true),
  })
  .strict();

export const checksSchema = z
  .object({
    env: z.array(envCheckSchema).default([]),
    node: z.string().optional(),
    npm: z.string().optional(),
    tools: z.array(z.string().min(1)).default([]),
    http: z.array(httpCheckSchema).default([]),
    lockfile: z.boolean().default(true),
    database: z.boolean().default(true),
    timeoutMs: z.number().int().positive().max(60_000).default(5000),
  })
  .strict();

export const compileSchema = z
  .object({
    js: z
      .object({
        /** Entry points (relative to root) bundled with tree shaking; other .js files are minified one by one. */
        entryPoints: z.array(z.string()).default([]),
        minify: z.boolean().default(true),
        target: z.string().default('es2020'),
      })
      .strict()
      .prefault({}),
    css: z
      .object({ minify: z.boolean().default(true) })
      .strict()
      .prefault({}),
    json: z
      .object({ minify: z.boolean().default(true) })
      .strict()
      .prefault({}),
    sql: z
      .object({ validate: z.boolean().default(true) })
      .strict()
      .prefault({}),
    groovy: z
      .object({
        /** auto: validate when java and a Groovy jar are found, else skip (said in a finding); always: fail then. */
        validate: z.enum(['auto', 'always', 'never']).default('auto'),
        /** Groovy jar(s) for the parser (path-list); default: the Groovy bundled with npm-groovy-lint. */
        classpath: z.string().optional(),
      })
      .strict()
      .prefault({}),
    sourceMaps: z.boolean().default(false),
    cache: z.boolean().default(true),
  })
  .strict();

export const qualitySchema = z
  .object({
    /** istanbul coverage-summary.json or lcov.info */
    coverage: z.string().optional(),
    /** JaCoCo XML report */
    jacoco: z.string().optional(),
    /** `npm audit --json` output */
    audit: z.string().optional(),
    /** benchmark JSON */
    bench: z.string().optional(),
  })
  .strict();

export const buildSchema = z
  .object({
    /** Where packages are written (relative to the config file). */
    output: z.string().default('dist'),
    components: z.partialRecord(z.enum(COMPONENT_NAMES), componentSchema),
    exclude: z.array(z.string()).default([]),
    gitignore: z.boolean().default(true),
    /** Which tests go into the package. */
    tests: z.enum(['all', 'smoke', 'none']).default('smoke'),
    /** Glob (within the tests component) that selects smoke tests. */
    smokeTests: z.string().default('tests/smoke/**'),
    compressionLevel: z.number().int().min(0).max(9).default(9),
    /** Builder identity recorded in the manifest's provenance (default `user@host`; env SLIPWAY_BUILDER wins). */
    builder: z.string().min(1).optional(),
    /** Warnings fail the build (also `--strict`). */
    strict: z.boolean().default(false),
    compile: compileSchema.prefault({}),
    checks: checksSchema.prefault({}),
    quality: qualitySchema.prefault({}),
  })
  .strict();

export type BuildConfig = z.infer<typeof buildSchema>;
