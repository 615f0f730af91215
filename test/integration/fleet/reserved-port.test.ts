// The fleet tests' fixed ports (each host's sshd, each host app's health URL): reservedPort gives ports below the
// kernel's ephemeral range (no bind to port 0 and no outgoing connection on the machine is ever given one, so no
// other test's server can take a host app's port while the app restarts and answer its health gate), reserved
// across processes, a dead owner's reservation taken over.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ephemeralLow, releasePort, reservedPort } from '../../helpers/ports.js';

let dir: string;
const held: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-ports-'));
});

afterAll(async () => {
  for (const p of held.splice(0)) releasePort(p);
  await rm(dir, { recursive: true, force: true });
});

/** Ports this process holds in the suite's own reservations: nothing else here uses them. */
async function ours(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await reservedPort());
  held.push(...ports);
  return ports;
}

describe('reservedPort', () => {
  it('is below the ephemeral range, and not handed out again while reserved', async () => {
    const [p] = await ours(1);
    expect(p).toBeGreaterThanOrEqual(1024);
    expect(p).toBeLessThan(ephemeralLow());
    const again = await ours(20);
    expect(again).not.toContain(p);
  });

  it('concurrent reservations in two processes never share a port', async () => {
    const candidates = await ours(12);
    const own = path.join(dir, 'concurrent');
    const helper = pathToFileURL(path.resolve('test/helpers/ports.ts')).href;
    const script = `import { tsImport } from 'tsx/esm/api';
const { reservedPort } = await tsImport(${JSON.stringify(helper)}, ${JSON.stringify(pathToFileURL(path.resolve('package.json')).href)});
const o = { candidates: ${JSON.stringify(candidates)}, dir: ${JSON.stringify(own)} };
const ports = await Promise.all(Array.from({ length: 6 }, () => reservedPort(o)));
console.log(JSON.stringify(ports));
await new Promise((r) => process.stdin.once('data', r)); // hold them until the parent has its own
`;
    const child = execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd() });
    const theirs = await new Promise<number[]>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
      });
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before reserving`)));
    });
    const mine = await Promise.all(Array.from({ length: 6 }, () => reservedPort({ candidates, dir: own })));
    child.stdin!.end('done\n');
    await new Promise((r) => child.once('exit', r));
    expect(new Set([...theirs, ...mine]).size).toBe(12);
    expect([...theirs, ...mine].sort()).toEqual([...candidates].sort());
    for (const p of mine) releasePort(p);
  });

  it("takes over a reservation whose process is gone, never a live one's", async () => {
    const [a, b] = await ours(2);
    const own = path.join(dir, 'stale');
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    for (const [port, pid] of [
      [a!, Number(dead.stdout.trim())],
      [b!, process.ppid],
    ] as const) {
      mkdirSync(path.join(own, String(port)), { recursive: true });
      writeFileSync(path.join(own, String(port), 'pid'), String(pid));
    }
    const got = await reservedPort({ candidates: [a!, b!], dir: own });
    expect(got).toBe(a);
    await expect(reservedPort({ candidates: [a!, b!], dir: own })).rejects.toThrow(/no free port/);
    releasePort(got);
  });
});
