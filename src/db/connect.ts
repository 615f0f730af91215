import { maskSecrets, maskUrl } from '../errors.js';
import { openSession } from './session.js';

/** Connects, asks the server version, disconnects. Never throws; the error text never contains the password. */
export async function pingDatabase(
  url: string,
  timeoutMs: number,
): Promise<{ ok: boolean; ms: number; serverVersion?: string; error?: string }> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const work = (async () => {
      const s = await openSession(url, { connectTimeoutMs: timeoutMs });
      try {
        const r = await s.query("SELECT current_setting('server_version') AS v");
        return r.rows[0]?.v ?? undefined;
      } finally {
        await s.close().catch(() => undefined);
      }
    })();
    work.catch(() => undefined);
    const serverVersion = await Promise.race([work, timeout]);
    return { ok: true, ms: ms(), ...(serverVersion ? { serverVersion } : {}) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, ms: ms(), error: maskSecrets(message.split(url).join(maskUrl(url))) };
  } finally {
    clearTimeout(timer);
  }
}
