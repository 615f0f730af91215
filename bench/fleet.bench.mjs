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
// Also prints the controller's own CPU time per deploy (user + sys of this process, median) and the load average,
// and, with cgroup v1's cpuacct controller (root), CPU time split by side: the controller's whole tree (this process,
// its worker thread, its ssh clients and their master connections, which inherit its cgroup) and the hosts' (every
// sshd and what it runs), per deploy and per host, for Slipway and the 1-host peer — CPU, not wall time, is what a
// loaded machine does not blur.
// FLEET_BENCH_HOST_CPU (e.g. 0.2): also runs every row with each host's sshd — and so everything it starts for a
// session: the login shell, sh, tar, sha256sum, sync — in a cgroup of its own capped at that many CPUs (cgroup v1
// cpu.cfs_quota_us; needs root), interleaved run by run with the uncapped runs, and prints both tables. Uncapped, the
// 8 hosts' remote work shares this machine's CPUs with each other and with the controller, which a real fleet does
// not; capped, each host is a small machine of its own (8 × the cap should leave the controller room). The
// controller and its ssh clients are never capped. Without cgroup v1's cpu controller it says so and runs uncapped.
// FLEET_BENCH_KEX (e.g. curve25519-sha256): the target's kexAlgorithms, and the peer's KexAlgorithms (unset: OpenSSH's
// default; with OpenSSH 9.0–9.9 that is sntrup761x25519, whose key generation costs the controller ~120 ms per host).
// Prints a Markdown section (it writes no file: the lead copies figures measured on an idle machine into RESULTS.md).
// Needs sshd (openssh-server) and the right to start it (root: the test helper binds 127.0.0.1 ports).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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
const HOST_CPU = process.env.FLEET_BENCH_HOST_CPU ? Number(process.env.FLEET_BENCH_HOST_CPU) : null;
if (HOST_CPU !== null && !(HOST_CPU > 0 && HOST_CPU <= cpus().length))
  throw new Error(`FLEET_BENCH_HOST_CPU: a number of CPUs above 0 and at most ${cpus().length}`);
const KEX = process.env.FLEET_BENCH_KEX || null;
/** The client's version line (`ssh -V`): what the key exchange costs depends on it. */
const sshVersion = (await promisify(execFile)('ssh', ['-V'])).stderr.trim();
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

/**
 * One cgroup v1 `cpu` cgroup per host, its sshd moved in (every session's processes are its children, so they stay
 * in it): `cap(cpus)` sets every host's quota (null: none), `throttled()` sums cpu.stat over the hosts, `remove()`
 * moves what is left to the root cgroup and removes them. Returns the reason instead when cgroups cannot be used.
 */
function hostCgroups(hosts) {
  const root = '/sys/fs/cgroup/cpu';
  if (!existsSync(path.join(root, 'cpu.cfs_quota_us')))
    return `no cgroup v1 cpu controller at ${root} (cpu.cfs_quota_us)`;
  // What a killed run of this bench left (its process gone, nothing left in it) goes first.
  for (const d of readdirSync(root).filter((n) => /^slipway-bench-fleet-\d+$/.test(n))) {
    const pid = Number(d.slice('slipway-bench-fleet-'.length));
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = e.code === 'EPERM';
    }
    if (alive) continue;
    try {
      for (const h of readdirSync(path.join(root, d)).filter((n) => /^host\d+$/.test(n)))
        rmdirSync(path.join(root, d, h));
      rmdirSync(path.join(root, d));
    } catch {
      // still holds a process: left alone
    }
  }
  const base = path.join(root, `slipway-bench-fleet-${process.pid}`);
  const dirs = hosts.map((_, i) => path.join(base, `host${i + 1}`));
  const remove = () => {
    for (const d of dirs) {
      if (!existsSync(d)) continue;
      for (const pid of readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
        try {
          writeFileSync(path.join(root, 'cgroup.procs'), pid);
        } catch {
          // gone meanwhile
        }
      rmdirSync(d);
    }
    if (existsSync(base)) rmdirSync(base);
  };
  try {
    mkdirSync(base);
    hosts.forEach((h, i) => {
      mkdirSync(dirs[i]);
      writeFileSync(path.join(dirs[i], 'cgroup.procs'), String(h.proc.pid));
    });
  } catch (e) {
    try {
      remove();
    } catch {
      // best effort: the reason below matters more
    }
    return `cannot create cgroups under ${root} (${e.code ?? e.message}; needs root)`;
  }
  const period = Number(readFileSync(path.join(dirs[0], 'cpu.cfs_period_us'), 'utf8'));
  return {
    period,
    cap: (cpu) => {
      for (const d of dirs)
        writeFileSync(path.join(d, 'cpu.cfs_quota_us'), String(cpu === null ? -1 : Math.round(cpu * period)));
    },
    throttled: () => {
      const sum = { periods: 0, throttled: 0, ms: 0 };
      for (const d of dirs) {
        const st = Object.fromEntries(
          readFileSync(path.join(d, 'cpu.stat'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => l.split(' ')),
        );
        sum.periods += Number(st.nr_periods);
        sum.throttled += Number(st.nr_throttled);
        sum.ms += Number(st.throttled_time) / 1e6;
      }
      return sum;
    },
    remove,
  };
}

/**
 * Two cgroup v1 `cpuacct` groups: this process (and so everything it starts from now on: the ssh clients and their
 * masters) and every host's sshd (and so every session's processes). `read()` gives both totals in ms; `remove()`
 * moves what is left back to the root cgroup. Returns the reason instead when they cannot be made.
 */
function cpuAccounting(hosts) {
  const root = '/sys/fs/cgroup/cpuacct';
  if (!existsSync(path.join(root, 'cpuacct.usage'))) return `no cgroup v1 cpuacct controller at ${root}`;
  for (const d of readdirSync(root).filter((n) => /^slipway-bench-fleet-acct-\d+$/.test(n))) {
    const pid = Number(d.slice('slipway-bench-fleet-acct-'.length));
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = e.code === 'EPERM';
    }
    if (alive) continue;
    try {
      for (const g of ['controller', 'hosts']) if (existsSync(path.join(root, d, g))) rmdirSync(path.join(root, d, g));
      rmdirSync(path.join(root, d));
    } catch {
      // still holds a process: left alone
    }
  }
  const base = path.join(root, `slipway-bench-fleet-acct-${process.pid}`);
  const dirs = { controller: path.join(base, 'controller'), hosts: path.join(base, 'hosts') };
  const remove = () => {
    for (const d of Object.values(dirs)) {
      if (!existsSync(d)) continue;
      for (const pid of readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
        try {
          writeFileSync(path.join(root, 'cgroup.procs'), pid);
        } catch {
          // gone meanwhile
        }
      rmdirSync(d);
    }
    if (existsSync(base)) rmdirSync(base);
  };
  try {
    mkdirSync(base);
    mkdirSync(dirs.controller);
    mkdirSync(dirs.hosts);
    writeFileSync(path.join(dirs.controller, 'cgroup.procs'), String(process.pid));
    for (const h of hosts) writeFileSync(path.join(dirs.hosts, 'cgroup.procs'), String(h.proc.pid));
  } catch (e) {
    try {
      remove();
    } catch {
      // best effort: the reason below matters more
    }
    return `cannot create cgroups under ${root} (${e.code ?? e.message}; needs root)`;
  }
  const ms = (d) => Number(readFileSync(path.join(d, 'cpuacct.usage'), 'utf8')) / 1e6;
  return { read: () => ({ controller: ms(dirs.controller), hosts: ms(dirs.hosts) }), remove };
}

const fleet = await startSshFleet(Math.max(...SIZES));
const cgroups = HOST_CPU === null ? null : hostCgroups(fleet.hosts);
if (typeof cgroups === 'string') process.stderr.write(`FLEET_BENCH_HOST_CPU: ${cgroups}; the hosts run uncapped\n`);
const acct = cpuAccounting(fleet.hosts);
if (typeof acct === 'string') process.stderr.write(`CPU by side: ${acct}; not measured\n`);
/** CPU (ms) of the controller's tree and of the hosts since `before` (null without cpuacct). */
const acctSince = (before) => {
  if (typeof acct === 'string') return null;
  const now = acct.read();
  return { controller: now.controller - before.controller, hosts: now.hosts - before.hosts };
};
const acctNow = () => (typeof acct === 'string' ? null : acct.read());
/** The modes every row runs in, interleaved run by run: uncapped, and with each host capped at HOST_CPU. */
const MODES = cgroups && typeof cgroups !== 'string' ? [null, HOST_CPU] : [null];
const setMode = (cpu) => {
  if (cgroups && typeof cgroups !== 'string') cgroups.cap(cpu);
};
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
            ...(KEX ? { kexAlgorithms: KEX } : {}),
          },
        },
      },
    });
    return resolveConfig(parsed, { configFile: '', configDir: path.join(work, run), environment: 'bench' });
  };
  /** Remote commands per host of the last deploy: the `$ ` lines of each host's log in the controller's run dir. */
  const commandsPerHost = {};
  /** Per mode (key: the cap, or 'none'): deploy wall times and controller CPU (user + sys, ms) by host count. */
  const key = (cpu) => (cpu === null ? 'none' : String(cpu));
  const byHosts = Object.fromEntries(MODES.map((m) => [key(m), {}]));
  const controllerCpu = Object.fromEntries(MODES.map((m) => [key(m), {}]));
  /** Per mode: CPU by side (cpuacct) per deploy, by host count. */
  const sideCpu = Object.fromEntries(MODES.map((m) => [key(m), {}]));
  const deployMs = async (n, mode) => {
    const config = await configFor(n);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const a0 = acctNow();
    const r = await deployFleet({ config, target: 'fleet', packagePath: pkg.path });
    if (!r.ok) throw new Error(`deploy to ${n} host(s) failed`);
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const a = a0 && acctSince(a0);
    if (mode !== undefined) {
      (controllerCpu[key(mode)][n] ??= []).push((c.user + c.system) / 1000);
      (byHosts[key(mode)][n] ??= []).push(ms);
      if (a) (sideCpu[key(mode)][n] ??= []).push(a);
    }
    const logs = path.join(config.configDir, '.slipway', 'fleet', 'fleet', '.slipway', 'logs');
    commandsPerHost[n] = readdirSync(logs).flatMap((run) =>
      readdirSync(path.join(logs, run)).map(
        (f) =>
          readFileSync(path.join(logs, run, f), 'utf8')
            .split('\n')
            .filter((l) => /^\[\d{4}-\d\d-\d\dT[^\]]+\] \S+ \$ /.test(l)).length,
      ),
    );
  };

  const load0 = loadavg()[0];
  setMode(null);
  await deployMs(1); // warm-up: module loading, JIT, the first ssh handshakes
  const throttled0 = cgroups && typeof cgroups !== 'string' ? cgroups.throttled() : null;
  for (const n of SIZES)
    for (let i = 0; i < RUNS; i++)
      for (const mode of MODES) {
        setMode(mode);
        await deployMs(n, mode);
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
    ...(KEX ? ['-o', `KexAlgorithms=${KEX}`] : []),
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
  const peer = Object.fromEntries(MODES.map((m) => [key(m), []]));
  const peer8 = Object.fromEntries(MODES.map((m) => [key(m), []]));
  const peerCpu = Object.fromEntries(MODES.map((m) => [key(m), []]));
  let peerSeq = 0;
  for (let i = 0; i < RUNS + 1; i++)
    for (const mode of MODES) {
      setMode(mode);
      const k = ++peerSeq;
      const a0 = acctNow();
      const one = await peerOn(fleet.hosts[0], path.join(fleet.hosts[0].root, `peer-${k}`));
      const a = a0 && acctSince(a0);
      const t0 = performance.now();
      if (SIZES.includes(8)) await Promise.all(fleet.hosts.map((hh) => peerOn(hh, path.join(hh.root, `peer8-${k}`))));
      if (i > 0) {
        // the first run warms the page cache
        peer[key(mode)].push(one);
        if (a) peerCpu[key(mode)].push(a);
        if (SIZES.includes(8)) peer8[key(mode)].push(performance.now() - t0);
      }
    }
  setMode(null);
  const throttled = throttled0 && cgroups.throttled();

  const load1 = loadavg()[0];
  /** One table and its ratios for a mode. */
  const section = (mode) => {
    const k = key(mode);
    const rows = byHosts[k];
    const one = median(rows[1]);
    const eight = SIZES.includes(8) ? median(rows[8]) : null;
    const p = median(peer[k]);
    const p8 = SIZES.includes(8) ? median(peer8[k]) : null;
    const ratio = eight === null ? null : eight / one;
    const overhead = one / p;
    const text = `| what | runs | median ms | min ms | max ms | target |
| --- | ---: | ---: | ---: | ---: | --- |
${SIZES.map(
  (n) =>
    `| deploy to ${n} host(s): verify + extract on the controller, connect, lock, upload, install (verify, \`sha256sum -c\`), switch, journal | ${rows[n].length} | ${f(median(rows[n]))} | ${f(Math.min(...rows[n]))} | ${f(Math.max(...rows[n]))} | |`,
).join('\n')}
| peer, 1 host: \`scp\` + \`ssh\` \`tar xzf\` + \`ln -sfn\` (no verification, lock or journal) | ${peer[k].length} | ${f(p)} | ${f(Math.min(...peer[k]))} | ${f(Math.max(...peer[k]))} | |
${p8 === null ? '' : `| peer, 8 hosts at once (the same per host, all concurrently) | ${peer8[k].length} | ${f(p8)} | ${f(Math.min(...peer8[k]))} | ${f(Math.max(...peer8[k]))} | |\n`}
${ratio === null ? '' : `- 8 hosts / 1 host: **${ratio.toFixed(2)}×** (target ≤ 2.5×); the peer's own 8 hosts / 1 host: ${(p8 / p).toFixed(2)}×.\n`}- 1-host deploy / peer: **${overhead.toFixed(2)}×** (target ≤ 2×).
- controller CPU per deploy (this process, user + sys, median; without the launcher process that starts its ssh clients, src/fleet/spawn-off-thread.ts — the CPU by side below counts it): ${SIZES.map((n) => `${n} host(s) ${f(median(controllerCpu[k][n]))} ms`).join(', ')}.
${
  sideCpu[k][1]
    ? `- CPU by side (cgroup v1 cpuacct, medians; controller: this process and its ssh clients and masters; hosts: every sshd and what it ran), per deploy → per host: ${SIZES.map(
        (n) =>
          `${n} host(s) controller ${f(median(sideCpu[k][n].map((x) => x.controller)))} → ${f(median(sideCpu[k][n].map((x) => x.controller / n)))} ms, hosts ${f(median(sideCpu[k][n].map((x) => x.hosts)))} → ${f(median(sideCpu[k][n].map((x) => x.hosts / n)))} ms`,
      ).join(
        '; ',
      )}; the 1-host peer: controller ${f(median(peerCpu[k].map((x) => x.controller)))} ms, host ${f(median(peerCpu[k].map((x) => x.hosts)))} ms.
`
    : `- CPU by side: not measured (${typeof acct === 'string' ? acct : 'no runs'}).
`
}`;
    return { text, ok: (ratio === null || ratio <= 2.5) && overhead <= 2 };
  };
  const uncapped = section(null);
  const capped = MODES.length > 1 ? section(HOST_CPU) : null;
  const modes =
    capped === null
      ? ''
      : `Two settings, interleaved run by run on the same sshd's. **Uncapped**: the hosts' remote work (sshd, the login
shell, \`sh\`, \`tar\`, \`sha256sum\`, \`sync\`) runs on this machine's ${cpus().length} CPUs beside the controller, so 8 hosts
take CPU from each other and from the controller: eight hosts on one machine, which no real fleet is. **Capped at
${HOST_CPU} CPU per host**: each host's sshd, and so everything it starts, in a cgroup of its own (cgroup v1
\`cpu.cfs_quota_us\` ${Math.round(HOST_CPU * cgroups.period)} of ${cgroups.period} µs): 8 small separate hosts, whose work
together takes at most ${(8 * HOST_CPU).toFixed(1)} of the ${cpus().length} CPUs, the rest left to the controller and its ssh clients
(never capped). A capped host is also a slower host, so the 1-host figures rise too. The caps throttled the hosts
in ${throttled.throttled - throttled0.throttled} of ${throttled.periods - throttled0.periods} periods (${f(throttled.ms - throttled0.ms)} ms in all).

`;
  const md = `## Fleet deploys over SSH (issue 13)

Command: \`${HOST_CPU === null ? '' : `FLEET_BENCH_HOST_CPU=${HOST_CPU} `}${KEX ? `FLEET_BENCH_KEX=${KEX} ` : ''}npm run bench -- fleet\` (8 real sshd servers on 127.0.0.1, ${sshVersion}, key exchange ${KEX ?? "OpenSSH's default"}, compiled dist/, Node ${process.version},
${new Date().toISOString().slice(0, 10)}; ${RUNS} runs per row after one warm-up, medians; a ${(pkgBytes / 1e6).toFixed(2)} MB
package of 265 random-text files; no restart, health URL, smoke tests or database; \`batch: 100%\`, \`parallel: 8\`).

${modes}${capped === null ? '' : `### Uncapped: the hosts share the machine's CPUs with each other and the controller\n\n`}${uncapped.text}${capped === null ? '' : `\n### Each host capped at ${HOST_CPU} CPU: separate hosts\n\n${capped.text}`}
- remote commands per host (each one \`ssh\` over the host's master connection; counted in the controller's log of
  the last deploy of each size): ${SIZES.map((n) => `${n} host(s): ${[...new Set(commandsPerHost[n])].join('/')}`).join(', ')}.
- load average ${load0.toFixed(1)} → ${load1.toFixed(1)} (1 min, start → end; ${cpus().length} CPUs).
`;
  process.stdout.write(md);
  process.exitCode = uncapped.ok ? 0 : 1;
} finally {
  await fleet.stop();
  if (typeof acct !== 'string')
    try {
      acct.remove();
    } catch (e) {
      process.stderr.write(`could not remove the bench's cpuacct cgroups: ${e.message}\n`);
    }
  if (cgroups && typeof cgroups !== 'string')
    try {
      cgroups.remove();
    } catch (e) {
      process.stderr.write(`could not remove the bench's cgroups: ${e.message}\n`);
    }
  rmSync(work, { recursive: true, force: true });
}
