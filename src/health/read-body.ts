import { z } from 'zod';
import { type HealthStatus, fromIetfStatus, parseHealthStatus, worseStatus } from './status.js';

// Lenient on purpose: a health body carries many fields we do not read; we validate only the ones we do.
const statusField = z.object({ status: z.string() }).loose();
const bodySchema = z
  .object({
    overall: statusField.optional(),
    status: z.string().optional(),
    components: z.record(z.string(), z.unknown()).optional(),
    checks: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

export interface BodyStatus {
  status: HealthStatus | undefined;
  /** Which field the status came from, or why none could be read. */
  reason: string;
}

/** Status stated by a health body: the seed's `overall.status` first, else the IETF draft's top-level `status`. */
export function readBodyStatus(body: unknown): BodyStatus {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) return { status: undefined, reason: 'body is not a JSON object' };
  const { overall, status } = parsed.data;
  if (overall) {
    const seed = parseHealthStatus(overall.status);
    if (seed) return { status: seed, reason: `overall.status ${seed}` };
    return {
      status: undefined,
      reason: `overall.status "${clip(overall.status)}" is not HEALTHY, DEGRADED or UNHEALTHY`,
    };
  }
  if (status !== undefined) {
    const ietf = fromIetfStatus(status) ?? parseHealthStatus(status);
    if (ietf) return { status: ietf, reason: `status "${status}"` };
    return { status: undefined, reason: `status "${clip(status)}" is not pass, warn or fail` };
  }
  return { status: undefined, reason: 'body has neither overall.status (seed) nor status (IETF health check)' };
}

/**
 * Status of one component, e.g. "database": the seed's `components.<name>.status`, else the worst of the IETF
 * `checks` entries whose key is `<name>` or starts with `<name>:` (the draft's "component:measurement" keys).
 * Undefined when the body does not report the component.
 */
export function readComponentStatus(body: unknown, name: string): HealthStatus | undefined {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  // A status word we do not know is "not reported", not "down": a rollback needs a clear UNHEALTHY/fail.
  const seed = statusField.safeParse(parsed.data.components?.[name]);
  if (seed.success) return parseHealthStatus(seed.data.status) ?? fromIetfStatus(seed.data.status);
  let worst: HealthStatus | undefined;
  for (const [key, entries] of Object.entries(parsed.data.checks ?? {})) {
    if (key !== name && !key.startsWith(`${name}:`)) continue;
    for (const entry of Array.isArray(entries) ? entries : [entries]) {
      const check = statusField.safeParse(entry);
      const s = check.success ? (fromIetfStatus(check.data.status) ?? parseHealthStatus(check.data.status)) : undefined;
      if (s) worst = worst ? worseStatus(worst, s) : s;
    }
  }
  return worst;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
