/**
 * Entry of the long-lived proxy process: `SLIPWAY_PROXY_CONFIG=<file> node dist/deploy/blue-green/proxy-main.js`
 * (started detached by ensureProxy). Settings come from a JSON file named in the environment rather than argv so
 * the token never shows in `ps`. The state file is the source of truth: read at start, polled for changes (a
 * restarted proxy, or a switch whose admin call was lost, still converges), and the admin port applies a switch at once.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { z } from 'zod';
import { startProxy, type Upstream } from './proxy.js';
import { readBlueGreenState, writeFileAtomic } from './state.js';

const settingsSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  adminPort: z.number().int(),
  tokenFile: z.string(),
  stateFile: z.string(),
  infoFile: z.string(),
});

async function upstreamFromState(stateFile: string): Promise<Upstream | null> {
  const state = await readBlueGreenState(stateFile);
  const live = state.live ? state.slots[state.live] : null;
  return state.live && live ? { slot: state.live, port: live.port, generation: state.generation } : null;
}

async function main(): Promise<void> {
  const configFile = process.env.SLIPWAY_PROXY_CONFIG;
  if (!configFile) throw new Error('SLIPWAY_PROXY_CONFIG must name the proxy settings file');
  const settings = settingsSchema.parse(JSON.parse(readFileSync(configFile, 'utf8')));
  const token = readFileSync(settings.tokenFile, 'utf8').trim();
  const proxy = await startProxy({
    host: settings.host,
    port: settings.port,
    adminPort: settings.adminPort,
    token,
    upstream: await upstreamFromState(settings.stateFile),
  });
  await writeFileAtomic(
    settings.infoFile,
    `${JSON.stringify({ pid: process.pid, publicPort: proxy.publicPort, adminPort: proxy.adminPort, startedAt: new Date().toISOString() })}\n`,
  );
  // Polling, not fs.watch: the state file is replaced by rename, which fs.watch reports unreliably across platforms.
  watchFile(settings.stateFile, { interval: 250 }, () => {
    upstreamFromState(settings.stateFile).then(
      (up) => void (up && proxy.setUpstream(up)),
      (e: unknown) =>
        process.stderr.write(`slipway proxy: cannot read ${settings.stateFile}: ${(e as Error).message}\n`),
    );
  });
  const stop = (): void => {
    unwatchFile(settings.stateFile);
    void proxy.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`slipway proxy: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
