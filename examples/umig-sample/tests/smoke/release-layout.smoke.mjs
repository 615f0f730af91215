// Smoke test: the release directory holds what the server needs (and the source checkout passes too).
import { readFileSync } from 'node:fs';
import { check, finish, findInRelease } from './_smoke.mjs';

const index = findInRelease('application/web/index.html', 'src/web/index.html');
if (check(index, 'index.html not found under application/web/ (release) or src/web/ (checkout)')) {
  const html = readFileSync(index, 'utf8');
  check(/<title>UMIG/.test(html), 'index.html has no UMIG title');
  check(html.includes('js/main.js'), 'index.html does not load js/main.js');
}
check(findInRelease('application/web/js/main.js', 'src/web/js/main.js'), 'js/main.js missing');
check(findInRelease('application/server/umig-server.mjs', 'src/server/umig-server.mjs'), 'umig-server.mjs missing');
check(findInRelease('scripts/start.sh'), 'scripts/start.sh missing');
check(findInRelease('scripts/stop.sh'), 'scripts/stop.sh missing');
// Development clutter must never reach a release (only checked inside a deployed release, not a checkout).
if (process.env.SLIPWAY_RELEASE_DIR) {
  for (const clutter of ['node_modules', '.git', 'tests/fixtures', 'docs/development', 'src']) {
    check(!findInRelease(clutter), `development clutter in the release: ${clutter}`);
  }
}
finish('release-layout');
