import { z } from 'zod';

const port = z.number().int().min(1).max(65535);

/**
 * Settings of `strategy: blue-green` for a target (`deploy.targets.<name>.blueGreen`). Two slots each run the
 * app on their own loopback port; a small reverse proxy (or nginx) on the public port sends traffic to the live one.
 */
export const blueGreenConfigSchema = z
  .object({
    /** Shell command that starts the app; run with cwd = the release directory and env PORT = the slot's port. */
    start: z.string().min(1),
    /** Extra environment for the app process, on top of the target's package-command environment (command-env.ts:
     *  never the deployer's); PORT, SLIPWAY_SLOT and SLIPWAY_RELEASE_ID are always set. */
    env: z.record(z.string(), z.string()).default({}),
    slots: z
      .object({ blue: z.object({ port }).strict(), green: z.object({ port }).strict() })
      .strict()
      .default({ blue: { port: 8081 }, green: { port: 8082 } })
      .refine((s) => s.blue.port !== s.green.port, { message: 'blue and green need different ports' }),
    /** Built-in reverse proxy on the public port; set false when nginx (below) fronts the slots instead. */
    proxy: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: port.default(8080),
        /** Loopback control port of the proxy (token-protected); 0 = any free port, recorded in .slipway/blue-green/proxy.json. */
        adminPort: z.number().int().min(0).max(65535).default(0),
      })
      .strict()
      .prefault({}),
    /** Optional nginx upstream: the file is rewritten to the live slot's port, then reloadCommand runs. */
    nginx: z
      .object({
        upstreamFile: z.string().min(1),
        upstreamName: z
          .string()
          .regex(/^[A-Za-z0-9_]+$/)
          .default('slipway_app'),
        reloadCommand: z.string().default('nginx -s reload'),
        /** nginx does not expose in-flight counts; wait this long before stopping the old slot. */
        drainMs: z.number().int().min(0).default(5000),
      })
      .strict()
      .optional(),
    /** Health check of the new slot before traffic moves to it (URL = http://127.0.0.1:<slot port><path>). */
    health: z
      .object({
        path: z.string().startsWith('/').default('/api/health'),
        timeoutMs: z.number().int().positive().default(30_000),
        intervalMs: z.number().int().positive().default(250),
        allowDegraded: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Longest wait for in-flight requests on the old slot to finish before it is stopped anyway. */
    drainTimeoutMs: z.number().int().min(0).default(30_000),
    /** SIGTERM, then SIGKILL after this long. */
    stopTimeoutMs: z.number().int().positive().default(10_000),
    /** Keep the old slot running after the switch (instant switch-back), instead of stopping it. */
    keepPrevious: z.boolean().default(false),
  })
  .strict()
  .refine((c) => c.proxy.enabled || c.nginx !== undefined, {
    message: 'blue-green needs something to switch: keep proxy.enabled or configure nginx',
    path: ['proxy', 'enabled'],
  });

export type BlueGreenConfig = z.infer<typeof blueGreenConfigSchema>;
export type BlueGreenConfigInput = z.input<typeof blueGreenConfigSchema>;
export type Slot = 'blue' | 'green';
