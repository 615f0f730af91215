// Smoke test: the health endpoint answers in the seed's shape and reports HEALTHY for this release's version.
// SLIPWAY_SMOKE_ALLOW_DEGRADED=1 accepts DEGRADED (HTTP 206) as well, as a staging target may.
import { check, finish, get, healthUrl, releaseVersion } from './_smoke.mjs';

const allowDegraded = process.env.SLIPWAY_SMOKE_ALLOW_DEGRADED === '1';
const res = await get(healthUrl);
if (check(res.status !== 0, `health endpoint ${healthUrl} unreachable (${res.error})`)) {
  let body = null;
  try {
    body = JSON.parse(res.text);
  } catch {
    check(false, `health body is not JSON (HTTP ${res.status}): ${res.text.slice(0, 120)}`);
  }
  if (body) {
    const status = body.overall?.status;
    const accepted = allowDegraded ? ['HEALTHY', 'DEGRADED'] : ['HEALTHY'];
    check(accepted.includes(status), `overall.status is ${status ?? 'missing'}${body.overall?.reason ? ` (${body.overall.reason})` : ''}; expected ${accepted.join(' or ')}`);
    const expectedHttp = { HEALTHY: 200, DEGRADED: 206, UNHEALTHY: 503 }[status];
    check(res.status === expectedHttp, `HTTP ${res.status} does not match overall.status ${status} (expected ${expectedHttp})`);
    for (const component of ['database', 'api', 'security']) {
      check(typeof body.components?.[component]?.status === 'string', `components.${component}.status missing`);
    }
    check(typeof body.overall?.uptime === 'number', 'overall.uptime missing');
    check(body.metrics && 'memoryUsage' in body.metrics, 'metrics.memoryUsage missing');
    const expectedVersion = releaseVersion();
    if (expectedVersion) check(body.overall?.version === expectedVersion, `running version ${body.overall?.version} is not this release's ${expectedVersion}`);
    check(res.ms < 2000, `health answered in ${res.ms} ms (limit 2000 ms)`);
  }
}
finish('health');
