/**
 * The long-lived blue-green proxy (run by src/cli/proxy-main.ts, started detached by ensureProxy). Settings come
 * from a JSON file named by the caller rather than argv so the token never shows in `ps`. The state file is the
 * source of truth: read at start, polled for changes (a restarted proxy, or a switch whose admin call was lost,
 * still converges), and the admin port applies a switch at once.
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

export interface ProxyProcessOptions {
  /** The settings file ensureProxy wrote (host, ports, token/state/info files). */
  settingsFile: string;
  /** This process's id, recorded in the info file so the deployer can find and stop it. */
  pid: number;
  /** A state file that cannot be read while polling (the proxy keeps its current upstream). */
  onWarning: (message: string) => void;
}

/** Starts the proxy, records its ports in the info file and follows the state file; `stop` closes it. */
export async function runProxyProcess(opts: ProxyProcessOptions): Promise<{ stop(): void }> {
  const settings = settingsSchema.parse(JSON.parse(readFileSync(opts.settingsFile, 'utf8')));
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
    `${JSON.stringify({ pid: opts.pid, publicPort: proxy.publicPort, adminPort: proxy.adminPort, startedAt: new Date().toISOString() })}\n`,
  );
  // Polling, not fs.watch: the state file is replaced by rename, which fs.watch reports unreliably across platforms.
  watchFile(settings.stateFile, { interval: 250 }, () => {
    upstreamFromState(settings.stateFile).then(
      (up) => void (up && proxy.setUpstream(up)),
      (e: unknown) => opts.onWarning(`cannot read ${settings.stateFile}: ${(e as Error).message}`),
    );
  });
  return {
    stop: () => {
      unwatchFile(settings.stateFile);
      void proxy.close();
    },
  };
}
