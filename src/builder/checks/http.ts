import type { BuildConfig } from '../../config/sections/build.js';
import type { CheckResult } from '../../fileset/types.js';
import { maskUrl } from '../../errors.js';

type HttpCheck = BuildConfig['checks']['http'][number];

/** Requests one endpoint with a hard timeout and compares the status code. */
export async function checkHttpEndpoint(spec: HttpCheck): Promise<CheckResult> {
  const name = `http:${spec.name}`;
  const url = maskUrl(spec.url);
  const bad = spec.required ? 'fail' : 'warn';
  try {
    const res = await fetch(spec.url, { signal: AbortSignal.timeout(spec.timeoutMs), redirect: 'manual' });
    await res.body?.cancel(); // only the status matters; free the socket
    if (res.status === spec.expectStatus) return { name, status: 'pass', reason: `GET ${url} → ${res.status}` };
    return { name, status: bad, reason: `GET ${url} → ${res.status}, expected ${spec.expectStatus}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError'
        ? `no response within ${spec.timeoutMs} ms`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { name, status: bad, reason: `GET ${url} failed: ${why}` };
  }
}
