import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../../..');
export const WEB_DIST = path.join(REPO, 'dist/web');

async function newestMtime(p: string): Promise<number> {
  const st = await stat(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of await readdir(p)) newest = Math.max(newest, await newestMtime(path.join(p, e)));
  return newest;
}

/**
 * Builds the UI into dist/web with Vite's build() API when it is missing or older than src/web or vite.config.ts,
 * so `vitest run test/e2e` works without a separate build step (and tests what the sources say, never a stale build).
 */
export async function ensureWebBuilt(): Promise<void> {
  const built = await stat(path.join(WEB_DIST, 'index.html')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const sources = Math.max(
    await newestMtime(path.join(REPO, 'src/web')),
    await newestMtime(path.join(REPO, 'vite.config.ts')),
  );
  if (built > sources) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(REPO, 'vite.config.ts'), logLevel: 'warn' });
}
