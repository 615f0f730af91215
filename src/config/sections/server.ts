import { z } from 'zod';

export const serverSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8088),
    /** File holding users, their scrypt password hashes and groups (written by `slipway user add`). */
    usersFile: z.string().default('.slipway/users.json'),
    groups: z
      .object({
        read: z.string().default('viewers'),
        deploy: z.string().default('deployers'),
        admin: z.string().default('admins'),
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({ packagePerMinute: z.number().int().positive().default(30) })
      .strict()
      .prefault({}),
    /** HTTP status for DEGRADED health: 206 as in the seed, or 200 for load balancers that treat 206 as down. */
    degradedStatus: z.union([z.literal(200), z.literal(206)]).default(206),
    auditLog: z.string().default('.slipway/audit.log'),
    /** Deploy target whose releases the server shows. */
    target: z.string().optional(),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverSchema>;
