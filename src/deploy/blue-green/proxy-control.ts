/** Client side of the proxy process: start it if needed, ask its status, switch it, stop it. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SlipwayError } from '../../errors.js';
import { programEntry } from '../../package-root.js';
import type { BlueGreenConfig } from '../../config/sections/blue-green.js';
import type { ProxyStatus, Upstream } from './proxy.js';
import { blueGreenPaths, openLogSync, writeFileAtomic } from './state.js';
import { waitForExit } from './slot-process.js';
import { isPidAlive } from '../../pid-alive.js';

export interface ProxyHandle {
  pid: number;
  adminPort: number;
  publicPort: number;
  token: string;
}

/**
 * Node arguments that run the proxy program (src/cli/proxy-main.ts, a program entry and so in the CLI layer): the
 * bundle's or dist/'s .js, or the .ts source through tsx in tests (src/package-root.ts decides).
 */
export function proxyMainCommand(): string[] {
  const { file, execArgv } = programEntry('proxy-main');
  return [...execArgv, file];
}

/** Returns the running proxy of this target, starting it (detached, outliving this process) when it is not up. */
export async function ensureProxy(targetRoot: string, config: BlueGreenConfig): Promise<ProxyHandle> {
  const paths = blueGreenPaths(targetRoot);
  const running = await findProxy(targetRoot);
  if (running && running.publicPort === config.proxy.port) return running;
  if (running) await stopProxy(targetRoot); // settings changed (other public port)
  let token: string;
  try {
    token = (await readFile(paths.token, 'utf8')).trim();
  } catch {
    token = randomBytes(32).toString('hex');
    await writeFileAtomic(paths.token, `${token}\n`, 0o600);
  }
  await writeFileAtomic(
    paths.proxyConfig,
    `${JSON.stringify(
      {
        host: config.proxy.host,
        port: config.proxy.port,
        adminPort: config.proxy.adminPort,
        tokenFile: paths.token,
        stateFile: paths.state,
        infoFile: paths.proxyInfo,
      },
      null,
      2,
    )}\n`,
  );
  const log = openLogSync(paths.log('proxy'));
  const child = spawn(process.execPath, proxyMainCommand(), {
    cwd: paths.dir,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, SLIPWAY_PROXY_CONFIG: paths.proxyConfig },
  });
  closeSync(log);
  child.unref();
  const pid = child.pid ?? 0;
  // Bounded: the proxy binds two ports and writes proxy.json; 10 s covers a cold tsx start on a busy machine.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const found = await findProxy(targetRoot);
    if (found && found.pid === pid) return found;
    if (!isPidAlive(pid)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = await readFile(paths.log('proxy'), 'utf8').then(
    (t) => t.split('\n').slice(-8),
    () => [],
  );
  throw new SlipwayError('E_DEPLOY', `blue-green proxy did not start on ${config.proxy.host}:${config.proxy.port}`, {
    details: tail,
    hint: `Is the port in use? See ${paths.log('proxy')}.`,
  });
}

/** The proxy recorded in proxy.json, if its process is alive and answers its admin port with our token. */
export async function findProxy(targetRoot: string): Promise<ProxyHandle | null> {
  const paths = blueGreenPaths(targetRoot);
  try {
    const info = JSON.parse(await readFile(paths.proxyInfo, 'utf8')) as {
      pid: number;
      adminPort: number;
      publicPort: number;
    };
    const token = (await readFile(paths.token, 'utf8')).trim();
    if (!isPidAlive(info.pid)) return null;
    const handle = { pid: info.pid, adminPort: info.adminPort, publicPort: info.publicPort, token };
    await proxyStatus(handle);
    return handle;
  } catch {
    return null;
  }
}

/** GET /status of the proxy. */
export async function proxyStatus(handle: ProxyHandle): Promise<ProxyStatus> {
  return adminCall(handle, 'GET', '/status');
}

/** POST /switch: moves traffic to `upstream` at once; throws when the proxy refuses (older generation). */
export async function switchProxy(handle: ProxyHandle, upstream: Upstream): Promise<ProxyStatus> {
  return adminCall(handle, 'POST', '/switch', upstream);
}

/** Stops the proxy process of this target (SIGTERM, SIGKILL after 5 s). */
export async function stopProxy(targetRoot: string): Promise<void> {
  const paths = blueGreenPaths(targetRoot);
  const info = await readFile(paths.proxyInfo, 'utf8').then(
    (t) => JSON.parse(t) as { pid: number },
    () => null,
  );
  if (info && isPidAlive(info.pid)) {
    process.kill(info.pid, 'SIGTERM');
    if (!(await waitForExit(info.pid, 5000))) process.kill(info.pid, 'SIGKILL');
  }
}

async function adminCall<T>(handle: ProxyHandle, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${handle.adminPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${handle.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(3000),
  });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) {
    throw new SlipwayError(
      'E_DEPLOY',
      `blue-green proxy ${method} ${path} answered ${res.status}: ${json.error ?? JSON.stringify(json)}`,
    );
  }
  return json;
}
