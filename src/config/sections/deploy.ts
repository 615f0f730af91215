import { z } from 'zod';

const healthGateSchema = z
  .object({
    url: z.url().optional(),
    timeoutMs: z.number().int().positive().default(30_000),
    intervalMs: z.number().int().positive().default(500),
    allowDegraded: z.boolean().default(false),
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
  })
  .strict();

export const deploySchema = z
  .object({
    targets: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i), targetSchema).default({}),
  })
  .strict();

export type TargetConfig = z.infer<typeof targetSchema>;
export type DeployConfig = z.infer<typeof deploySchema>;
