// A blue-green slot is `sh -c START` in its own process group: dash does not exec a -c command, so the app is sh's
// child. On SIGTERM sh dies at once while an app that closes gracefully still holds the slot's port; the stop must
// last until the whole group is gone, or the next start in that slot finds its port taken ("a process slipway did not
// start") — which failed deploy-blue-green-refused-switch under load.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSlotProcess, stopSlotProcess } from '../../src/deploy/blue-green/slot-process.js';
import { isGroupAlive } from '../../src/pid-alive.js';
import { reservedPort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

// Listens on PORT; on SIGTERM keeps listening for 1.5 s (a graceful close), then exits.
const APP = `const s = require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => setTimeout(() => process.exit(0), 1500));`;

describe('stopSlotProcess', () => {
  it('returns once every process of the slot is gone and its port is free, not when sh is', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-slot-stop-'));
    dirs.push(dir);
    const port = await reservedPort();
    await writeFile(path.join(dir, 'app.cjs'), APP);
    const app = await startSlotProcess({
      command: `${JSON.stringify(process.execPath)} app.cjs`,
      cwd: dir,
      port,
      env: { PATH: process.env.PATH ?? '' },
      logFile: path.join(dir, 'slot.log'),
    });
    await waitFor('the slot app to listen', () => accepts(port));
    const stopped = await stopSlotProcess(app.pid, 20_000);
    expect(stopped.signal).toBe('SIGTERM');
    expect(isGroupAlive(app.pid)).toBe(false);
    expect(await canListen(port)).toBe(true);
    expect(stopped.ms).toBeGreaterThanOrEqual(1400);
  }, 60_000);
});
