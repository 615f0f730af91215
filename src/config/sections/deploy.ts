import { z } from 'zod';
import { sshTargetFields } from './ssh-target.js';
import { blueGreenConfigSchema } from './blue-green.js';
import { watchConfigSchema } from './watch.js';

const healthGateSchema = z
  .object({
    url: z.url().optional(),
    timeoutMs: z.number().int().positive().default(30_000),
    intervalMs: z.number().int().positive().default(500),
    allowDegraded: z.boolean().default(false),
    /**
     * What a health answer must show: `status-field` (a JSON body with overall.status or an IETF status) or
     * `http-2xx` (the HTTP code alone). Unset: the body's status field when it has one, else any 2xx (a plain
     * `200 OK` or a `204` passes). Values mirror src/health/expect.ts (the config layer imports nothing above it).
     */
    expect: z.enum(['status-field', 'http-2xx']).optional(),
  })
  .strict();

export const targetSchema = z
  .object({
    type: z.literal('local'),
    /** Root directory of the target: releases/, current, shared/, .slipway/ */
    path: z.string().min(1),
    keep: z.number().int().min(1).default(5),
    shared: z.array(z.string()).default([]),
    restart: z.string().optional(),
    stop: z.string().optional(),
    health: healthGateSchema.prefault({}),
    databaseUrl: z.string().optional(),
    backupDatabase: z.boolean().default(false),
    rollbackDatabase: z.boolean().default(false),
    smokeTests: z.boolean().default(true),
    notify: z.object({ webhook: z.url().optional(), command: z.string().optional() }).strict().prefault({}),
    strategy: z.enum(['symlink', 'blue-green']).default('symlink'),
    /** Settings of strategy blue-green (src/config/sections/blue-green.ts), validated when the config loads. */
    blueGreen: blueGreenConfigSchema.optional(),
    /** Watch window after a deploy ({ durationMs, metricsUrl, thresholds }; src/config/sections/watch.ts), validated
     *  when the config loads. `--watch 10m` overrides durationMs. */
    watch: watchConfigSchema.prefault({}),
    /** Restart/stop/smoke-test commands are killed after this many ms. */
    commandTimeoutMs: z.number().int().positive().default(60_000),
    /** `--wait` gives up queueing for the lock after this many ms. */
    lockWaitMs: z.number().int().positive().default(600_000),
    /** Environment of restart/stop commands and smoke tests, on top of PATH, locale, HOME/USER and SLIPWAY_*
     *  (the deployer's environment is never passed; use `${VAR}` here to pass one variable on purpose). */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    /** Run restart/stop commands and smoke tests as this OS user (name, uid or uid:gid); the deploy must run as root. */
    runAs: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
    /** Allow database/package.sql to run a shell (COPY … PROGRAM, psql \! and pipes); refused by default. */
    allowShellInSql: z.boolean().default(false),
    /** OpenSSH allowed_signers file (relative to the config file): packages must carry a `<package>.sig` by a key
     *  it trusts for namespace slipway-package, checked before anything is read or extracted. */
    trustedSigners: z.string().min(1).optional(),
    /** Extraction limits: a package over any of them is rejected before anything is written. */
    limits: z
      .object({
        maxEntries: z.number().int().positive().default(20_000),
        maxFileBytes: z
          .number()
          .int()
          .positive()
          .default(512 * 1024 * 1024),
        maxTotalBytes: z
          .number()
          .int()
          .positive()
          .default(2 * 1024 * 1024 * 1024),
        maxPathLength: z.number().int().positive().max(4096).default(1024),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** A fleet of hosts reached over SSH (src/config/sections/ssh-target.ts); the local settings apply per host. */
export const sshTargetSchema = targetSchema
  .omit({ type: true, path: true, strategy: true, blueGreen: true, runAs: true })
  .extend(sshTargetFields)
  .superRefine((t, ctx) => {
    const seen = new Map<string, number>();
    t.hosts.forEach((h, i) => {
      const root = h.path ?? t.path;
      if (!root)
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', i, 'path'],
          message: `host ${h.host}:${h.port} has no path, and the target sets no default path`,
        });
      const key = `${h.user ?? t.user ?? ''}@${h.host}:${h.port}:${root ?? ''}`;
      const dup = seen.get(key);
      if (dup !== undefined)
        ctx.addIssue({ code: 'custom', path: ['hosts', i], message: `the same host and path as hosts.${dup}` });
      seen.set(key, i);
    });
    if (t.rollout.canary >= t.hosts.length && t.hosts.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'canary'],
        message: `canary ${t.rollout.canary} leaves no host for the batches (${t.hosts.length} host(s))`,
      });
  });

/** A local target as the config file states it: strategy blue-green needs its settings (checked at load time). */
const localTargetSchema = targetSchema.superRefine((t, ctx) => {
  if (t.strategy === 'blue-green' && !t.blueGreen)
    ctx.addIssue({
      code: 'custom',
      path: ['blueGreen'],
      message: 'strategy blue-green needs blueGreen settings (at least start)',
    });
});

export const deploySchema = z
  .object({
    targets: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i),
        z.discriminatedUnion('type', [localTargetSchema, sshTargetSchema]),
      )
      .default({}),
  })
  .strict();

/** A local target's settings (also the per-host view of an ssh target, see src/fleet/hosts.ts). */
export type TargetConfig = z.infer<typeof targetSchema>;
export type SshTargetConfig = z.infer<typeof sshTargetSchema>;
export type AnyTargetConfig = TargetConfig | SshTargetConfig;
export type DeployConfig = z.infer<typeof deploySchema>;
