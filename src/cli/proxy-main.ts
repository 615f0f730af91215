/**
 * Program entry of the blue-green proxy: `SLIPWAY_PROXY_CONFIG=<file> node dist/cli/proxy-main.js`, started detached
 * by ensureProxy (src/deploy/blue-green/proxy-control.ts). The proxy itself is src/deploy/blue-green/proxy-process.ts;
 * this file only reads the environment, wires signals, prints and sets the exit code.
 */
import { runProxyProcess } from '../deploy/blue-green/proxy-process.js';

async function main(): Promise<void> {
  const settingsFile = process.env.SLIPWAY_PROXY_CONFIG;
  if (!settingsFile) throw new Error('SLIPWAY_PROXY_CONFIG must name the proxy settings file');
  const proxy = await runProxyProcess({
    settingsFile,
    pid: process.pid,
    onWarning: (message) => process.stderr.write(`slipway proxy: ${message}\n`),
  });
  process.once('SIGTERM', proxy.stop);
  process.once('SIGINT', proxy.stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`slipway proxy: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
