// Smoke test: the web UI and the metrics endpoint are served.
import { baseUrl, check, finish, get } from './_smoke.mjs';

const page = await get(`${baseUrl}/`);
check(page.status === 200, `GET / answered ${page.status || page.error}`);
check(page.text.includes('UMIG'), 'GET / is not the UMIG page');
check(page.headers?.get('x-content-type-options') === 'nosniff', 'GET / lacks X-Content-Type-Options: nosniff');

for (const asset of ['/js/main.js', '/css/umig-base.css']) {
  const res = await get(`${baseUrl}${asset}`);
  check(res.status === 200 && res.text.length > 0, `GET ${asset} answered ${res.status || res.error}`);
}

const traversal = await get(`${baseUrl}/..%2f..%2fpackage.json`);
check(traversal.status === 403 || traversal.status === 404, `path traversal answered ${traversal.status}`);

const metrics = await get(`${baseUrl}/metrics`);
check(metrics.status === 200 && /^http_requests_total\{/m.test(metrics.text), 'GET /metrics has no http_requests_total');
finish('static-assets');
