import { readBodyStatus } from './read-body.js';
import { type HealthStatus, statusForHttpCode, worseStatus } from './status.js';

/**
 * What a health answer must show (deploy.targets.<name>.health.expect): `status-field` — a JSON body with the seed's
 * `overall.status` or an IETF `status`; `http-2xx` — the HTTP code alone. Unset (undefined): the body's status
 * field when it has one, else the HTTP code, so a plain `200 OK` or a `204` passes.
 */
export type HealthExpect = 'status-field' | 'http-2xx';
export const HEALTH_EXPECTS = ['status-field', 'http-2xx'] as const;

export interface HealthJudgement {
  status: HealthStatus;
  reason: string;
  /** Parsed JSON body, or null when there was none or it was not JSON. */
  body: unknown;
  /** Set when the answer failed and `health.expect` looks like the cause: names the setting and the other value. */
  hint?: string;
}

const hasStatusField = (body: unknown): boolean =>
  typeof body === 'object' && body !== null && !Array.isArray(body) && ('overall' in body || 'status' in body);

/** Judges one HTTP answer of a health endpoint under `expect` (pure; HTTP code mapping from status.ts). */
export function judgeHealthAnswer(httpStatus: number, text: string, expect: HealthExpect | undefined): HealthJudgement {
  const fromCode = statusForHttpCode(httpStatus);
  const is2xx = httpStatus >= 200 && httpStatus < 300;
  let body: unknown = null;
  let json = text.length > 0;
  try {
    body = text.length ? JSON.parse(text) : null;
  } catch {
    json = false;
  }
  if (expect === 'http-2xx')
    return { status: fromCode, reason: `HTTP ${httpStatus} (health.expect: http-2xx, the body is not read)`, body };

  if (hasStatusField(body)) {
    const stated = readBodyStatus(body);
    if (!stated.status) {
      return {
        status: 'UNHEALTHY',
        reason: `HTTP ${httpStatus}: ${stated.reason}`,
        body,
        ...(is2xx
          ? {
              hint:
                'The body has a status field slipway cannot read. If this app signals health by its HTTP code, set ' +
                'health.expect: http-2xx on the target.',
            }
          : {}),
      };
    }
    // Worst of code and body: a 503 that says HEALTHY is not healthy, and a 200 that says UNHEALTHY is not either.
    const status = worseStatus(fromCode, stated.status);
    const disagree = fromCode !== stated.status && fromCode !== 'HEALTHY' ? ` (body says ${stated.status})` : '';
    return { status, reason: `HTTP ${httpStatus}, ${stated.reason}${disagree}`, body };
  }

  const what = !text.length
    ? 'empty body'
    : !json
      ? `body is not JSON (${Buffer.byteLength(text)} bytes)`
      : 'body has neither overall.status (seed) nor status (IETF health check)';
  if (expect === 'status-field') {
    return {
      status: 'UNHEALTHY',
      reason: `HTTP ${httpStatus}: ${what}, and health.expect is status-field`,
      body,
      ...(is2xx
        ? {
            hint:
              `The app answered HTTP ${httpStatus} without a JSON status field, which health.expect: status-field ` +
              'rejects. If any 2xx means healthy for this app, set health.expect: http-2xx (or remove the setting).',
          }
        : {}),
    };
  }
  return { status: fromCode, reason: `HTTP ${httpStatus} (${what}: judged by the HTTP code)`, body };
}
