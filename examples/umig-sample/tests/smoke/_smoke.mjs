// Shared helpers for the smoke tests. Slipway runs every tests/smoke/*.mjs with `node` after a deploy, with
// cwd = the release directory and SLIPWAY_RELEASE_DIR, SLIPWAY_HEALTH_URL, SLIPWAY_BASE_URL set; exit 0 = pass.
// (Files starting with "_" are helpers, not tests: they exit 0 when run on their own.)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const DEFAULT_HEALTH = 'http://127.0.0.1:8090/rest/scriptrunner/latest/custom/databaseVersions/health';

export const releaseDir = process.env.SLIPWAY_RELEASE_DIR || process.cwd();
export const healthUrl = process.env.SLIPWAY_HEALTH_URL || DEFAULT_HEALTH;
export const baseUrl = (process.env.SLIPWAY_BASE_URL || new URL(healthUrl).origin).replace(/\/$/, '');

const failures = [];

/** Records a failed expectation (all are reported, not just the first). */
export function check(condition, message) {
  if (!condition) failures.push(message);
  return Boolean(condition);
}

/** Prints the result and sets the exit code; call once at the end of a test. */
export function finish(name) {
  if (failures.length) {
    console.error(`FAIL ${name}`);
    for (const f of failures) console.error(`  - ${f}`);
    process.exitCode = 1;
  } else {
    console.log(`ok   ${name}`);
  }
}

/** GET with a timeout; never throws (network errors become { status: 0, error }). */
export async function get(url, timeoutMs = 5000) {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { Accept: 'application/json, text/html;q=0.9, */*;q=0.1' } });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 0, text: '', error: error.cause?.code ?? error.name ?? String(error), ms: Math.round(performance.now() - started) };
  }
}

/** The first existing path among candidates, relative to the release directory (source checkouts differ). */
export function findInRelease(...candidates) {
  return candidates.map((c) => path.join(releaseDir, c)).find((p) => existsSync(p)) ?? null;
}

/** The version this release claims: build-manifest.json, else package.json; null when neither exists. */
export function releaseVersion() {
  for (const file of ['build-manifest.json', 'package.json']) {
    const p = path.join(releaseDir, file);
    if (!existsSync(p)) continue;
    try {
      return JSON.parse(readFileSync(p, 'utf8')).version ?? null;
    } catch {
      return null;
    }
  }
  return null;
}
