#!/usr/bin/env node
// Fleet deploy benchmark (issue 13; `npm run bench -- fleet`, which builds dist/ first). Real OpenSSH servers on
// 127.0.0.1 (test/helpers/sshd.ts, one sshd per "host", each deploy into fresh roots so every upload is real), the
// compiled deployFleet from dist/, a ~1 MB package (265 files of random text, the size of the seed's package), no
// restart command, no health URL, no smoke tests, no database, rollout `batch: 100%` and `parallel: 8` (no pauses).
//   hosts  – wall time of a deploy to 1, 4 and 8 hosts; target: 8-host / 1-host ≤ 2.5×
//   peer   – one host by hand: `scp -O` the archive (the test sshd has no sftp subsystem), then `ssh` `mkdir` +
//            `tar xzf` + `ln -sfn` (two connections; no verification, lock or journal); target: Slipway's 1-host
//            deploy ≤ 2× the peer
// FLEET_BENCH_RUNS (default 5) runs per row; FLEET_BENCH_HOSTS (default "1,4,8") the fleet sizes to deploy to, e.g.
// FLEET_BENCH_HOSTS=1 for the 1-host deploy and the 1-host peer only (the 8-host peer runs when 8 is listed).
// Also prints the controller's own CPU time per deploy (user + sys of this process, median) and the load average.
// Prints a Markdown section (it writes no file: the lead copies figures measured on an idle machine into RESULTS.md).
// Needs sshd (openssh-server) and the right to start it (root: the test helper binds 127.0.0.1 ports).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { configSchema } from '../dist/config/schema.js';
import { resolveConfig } from '../dist/config/load.js';
import { deployFleet } from '../dist/fleet/fleet-deploy.js';

// The test fixtures are TypeScript: one sshd helper and one package maker, shared with the fleet tests.
const { startSshFleet } = await tsImport('../test/helpers/sshd.ts', import.meta.url);
const { makeFixturePackage } = await tsImport('../test/fixtures/deploy/make-package.ts', import.meta.url);

const RUNS = Number(process.env.FLEET_BENCH_RUNS ?? 5);
const SIZES = (process.env.FLEET_BENCH_HOSTS ?? '1,4,8').split(',').map(Number);
if (!SIZES.includes(1) || SIZES.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error('FLEET_BENCH_HOSTS: host counts separated by commas, 1 among them');
const work = mkdtempSync(path.join(tmpdir(), 'slipway-bench-fleet-'));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const f = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

const files = {};
for (let i = 0; i < 265; i++)
  files[`application/src/m${String(i).padStart(3, '0')}.js`] =
    `export const x${i} = ${JSON.stringify(randomBytes(3750).toString('base64'))};\n`;
const pkg = await makeFixturePackage({ name: 'bench', version: '1.0.0', files, outDir: work });
const pkgBytes = statSync(pkg.path).size;

const fleet = await startSshFleet(Math.max(...SIZES));
let seq = 0;
try {
  /** A config whose ssh target deploys to the first `n` hosts, each into a root nothing was deployed to yet. */
  const configFor = async (n) => {
    const run = `r${++seq}`;
    const parsed = configSchema.parse({
      name: 'bench',
      deploy: {
        targets: {
          fleet: {
            type: 'ssh',
            knownHosts: fleet.knownHosts,
            identityFile: fleet.clientKey,
            hosts: fleet.hosts
              .slice(0, n)
              .map((h) => ({ host: '127.0.0.1', port: h.port, user: fleet.user, path: path.join(h.root, run) })),
            rollout: { batch: '100%' },
            parallel: 8,
            smokeTests: false,
          },
        },
      },
    });
    return resolveConfig(parsed, { configFile: '', configDir: path.join(work, run), environment: 'bench' });
  };
  /** Remote commands per host of the last deploy: the `$ ` lines of each host's log in the controller's run dir. */
  const commandsPerHost = {};
  /** CPU time (user + sys, ms) of this process — the controller — per deploy, by host count. */
  const controllerCpu = {};
  const deployMs = async (n) => {
    const config = await configFor(n);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await deployFleet({ config, target: 'fleet', packagePath: pkg.path });
    if (!r.ok) throw new Error(`deploy to ${n} host(s) failed`);
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    (controllerCpu[n] ??= []).push((c.user + c.system) / 1000);
    const logs = path.join(config.configDir, '.slipway', 'fleet', 'fleet', '.slipway', 'logs');
    commandsPerHost[n] = readdirSync(logs).flatMap((run) =>
      readdirSync(path.join(logs, run)).map(
        (f) =>
          readFileSync(path.join(logs, run, f), 'utf8')
            .split('\n')
            .filter((l) => /^\[\d{4}-\d\d-\d\dT[^\]]+\] \S+ \$ /.test(l)).length,
      ),
    );
    return ms;
  };

  const load0 = loadavg()[0];
  await deployMs(1); // warm-up: module loading, JIT, the first ssh handshakes
  controllerCpu[1] = [];
  const byHosts = {};
  for (const n of SIZES) {
    byHosts[n] = [];
    for (let i = 0; i < RUNS; i++) byHosts[n].push(await deployMs(n));
  }

  // The peer: what a shell script does for one host, with the same keys and pinned host key.
  const sshOpts = [
    '-F',
    'none',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${fleet.knownHosts}`,
    '-i',
    fleet.clientKey,
  ];
  const run = promisify(execFile);
  /** The peer on one host: scp the archive, then one ssh that extracts it and points `current` at it. */
  const peerOn = async (host, dir) => {
    mkdirSync(dir, { recursive: true }); // the test hosts' roots are on this machine
    const t0 = performance.now();
    // -O: the classic scp protocol (the test sshd runs no sftp subsystem, which scp uses by default).
    await run('scp', [
      ...sshOpts,
      '-O',
      '-q',
      '-P',
      String(host.port),
      pkg.path,
      `${fleet.user}@127.0.0.1:${dir}/pkg.tar.gz`,
    ]);
    await run('ssh', [
      ...sshOpts,
      '-p',
      String(host.port),
      `${fleet.user}@127.0.0.1`,
      `cd '${dir}' && mkdir -p releases/1 && tar xzf pkg.tar.gz -C releases/1 && ln -sfn releases/1 current`,
    ]);
    return performance.now() - t0;
  };
  // One host, and 8 hosts at once (each its own scp + ssh, as a script with `&` and `wait` would): the second is what
  // this machine makes of 8 hosts sharing its 2 cores, the floor any 8-host figure here is judged against.
  const peer = [];
  const peer8 = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const one = await peerOn(fleet.hosts[0], path.join(fleet.hosts[0].root, `peer-${i}`));
    const t0 = performance.now();
    if (SIZES.includes(8)) await Promise.all(fleet.hosts.map((hh) => peerOn(hh, path.join(hh.root, `peer8-${i}`))));
    if (i > 0) {
      // the first run warms the page cache
      peer.push(one);
      if (SIZES.includes(8)) peer8.push(performance.now() - t0);
    }
  }

  const load1 = loadavg()[0];
  const one = median(byHosts[1]);
  const eight = SIZES.includes(8) ? median(byHosts[8]) : null;
  const p = median(peer);
  const p8 = SIZES.includes(8) ? median(peer8) : null;
  const ratio = eight === null ? null : eight / one;
  const overhead = one / p;
  const md = `## Fleet deploys over SSH (issue 13)

Command: \`npm run bench -- fleet\` (8 real sshd servers on 127.0.0.1, compiled dist/, Node ${process.version},
${new Date().toISOString().slice(0, 10)}; ${RUNS} runs per row after one warm-up, medians; a ${(pkgBytes / 1e6).toFixed(2)} MB
package of 265 random-text files; no restart, health URL, smoke tests or database; \`batch: 100%\`, \`parallel: 8\`).

| what | runs | median ms | min ms | max ms | target |
| --- | ---: | ---: | ---: | ---: | --- |
${SIZES.map(
  (n) =>
    `| deploy to ${n} host(s): verify + extract on the controller, connect, lock, upload, install (verify, \`sha256sum -c\`), switch, journal | ${byHosts[n].length} | ${f(median(byHosts[n]))} | ${f(Math.min(...byHosts[n]))} | ${f(Math.max(...byHosts[n]))} | |`,
).join('\n')}
| peer, 1 host: \`scp\` + \`ssh\` \`tar xzf\` + \`ln -sfn\` (no verification, lock or journal) | ${peer.length} | ${f(p)} | ${f(Math.min(...peer))} | ${f(Math.max(...peer))} | |
${p8 === null ? '' : `| peer, 8 hosts at once (the same per host, all concurrently) | ${peer8.length} | ${f(p8)} | ${f(Math.min(...peer8))} | ${f(Math.max(...peer8))} | |\n`}
- remote commands per host (each one \`ssh\` over the host's master connection; counted in the controller's log of
  the last deploy of each size): ${SIZES.map((n) => `${n} host(s): ${[...new Set(commandsPerHost[n])].join('/')}`).join(', ')}.
${ratio === null ? '' : `- 8 hosts / 1 host: **${ratio.toFixed(2)}×** (target ≤ 2.5×); the peer's own 8 hosts / 1 host on this machine: ${(p8 / p).toFixed(2)}×.\n`}- 1-host deploy / peer: **${overhead.toFixed(2)}×** (target ≤ 2×).
- controller CPU per deploy (this process, user + sys, median): ${SIZES.map((n) => `${n} host(s) ${f(median(controllerCpu[n]))} ms`).join(', ')};
  load average ${load0.toFixed(1)} → ${load1.toFixed(1)} (1 min, start → end; ${cpus().length} CPUs).
`;
  process.stdout.write(md);
  process.exitCode = (ratio === null || ratio <= 2.5) && overhead <= 2 ? 0 : 1;
} finally {
  await fleet.stop();
  rmSync(work, { recursive: true, force: true });
}
