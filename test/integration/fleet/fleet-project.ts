// One fleet test project: N real sshd "hosts" (test/helpers/sshd.ts), each with its own root and app port, a real
// PostgreSQL database, a project dir with slipway.config.yaml, and readers for what each host holds (current link,
// journal, the app's /health). Shared by the fleet integration tests.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { parseJournal } from '../../../src/deploy/journal.js';
import type { JournalEntry } from '../../../src/deploy/types.js';
import { makeDbParts, type FixtureChangeSet } from '../../fixtures/deploy/db-package.js';
import type { FixturePackage } from '../../fixtures/deploy/make-package.js';
import { startBin } from '../../helpers/cli-bin.js';
import { runMain, type MainRun } from '../../helpers/cli-main.js';
import { appPackage } from '../../helpers/deploy-target.js';
import { FLEET_APP, FLEET_RESTART, FLEET_SMOKE } from '../../fixtures/fleet/app.js';
import { freshGet } from '../../helpers/fresh-get.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { releasePort, reservedPort } from '../../helpers/ports.js';
import { startSshFleet, type SshFleetFixture, type SshFleetOptions } from '../../helpers/sshd.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';

export const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE t1 (id int);', rollback: 'DROP TABLE t1;' };
export const CS2: FixtureChangeSet = { id: '2', sql: 'CREATE TABLE t2 (id int);', rollback: 'DROP TABLE t2;' };
/** The owner record of a lock another controller (another machine) holds. */
export const FOREIGN_OWNER = {
  host: 'other-controller',
  pid: 4242,
  startedAt: '2026-12-05T07:00:00Z',
  run: 'r-other',
  command: 'deploy x',
};

export interface ConfigTextOptions {
  knownHosts?: string;
  extraHost?: string;
  /** The `rollout:` flow mapping (default `{ batch: 2, canary: 1 }`). */
  rollout?: string;
  /** More settings of the fleet target, one YAML line each (indented here as its other settings). */
  targetLines?: string[];
}

export interface FleetProject {
  fleet: SshFleetFixture;
  db: TestDatabase;
  dir: string;
  appPorts: number[];
  /** The controller's state dir for target `fleet`. */
  controllerRoot: string;
  configText: (o?: ConfigTextOptions) => string;
  /** Writes slipway.config.yaml and loads it. */
  config: (o?: ConfigTextOptions) => Promise<Config>;
  /**
   * A package of the fleet app; `upgradeFrom` replaces its version-compatibility.json's (default any version);
   * `files` adds files (path in the package → content); `smokeTest: false` leaves out tests/smoke/health.mjs.
   */
  fleetPackage: (
    version: string,
    changeSets: FixtureChangeSet[],
    o?: { upgradeFrom?: string[]; files?: Record<string, string>; smokeTest?: boolean },
  ) => Promise<FixturePackage>;
  journalOf: (root: string) => Promise<JournalEntry[]>;
  currentOf: (root: string) => Promise<string | null>;
  /** The version host `i`'s app answers on /health (null: no answer, or not 200). */
  healthVersion: (i: number) => Promise<string | null>;
  /** The CLI in-process (its command code, flag parsing and rendering), in the project dir. */
  cli: (...argv: string[]) => Promise<MainRun>;
  /** Ends the apps, the sshd servers, the database and the project dir. */
  stop: (extraRoots?: string[]) => Promise<void>;
}

/**
 * Pids of the ssh master connections whose control socket is under `tmp` (a TMPDIR a run was given): a master
 * titles itself `ssh: <control path> [mux]` (OpenSSH's setproctitle), so /proc shows where its socket is.
 */
export function mastersUnder(tmp: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (title.startsWith(`ssh: ${tmp}/`) && title.includes('[mux]')) pids.push(Number(pid));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** Ends the ControlPersist masters a killed controller left (their sockets are under the TMPDIR it ran with). */
export function closeMasters(tmp: string): void {
  for (const d of readdirSync(tmp).filter((x) => x.startsWith('slipway-ssh-')))
    for (const s of readdirSync(path.join(tmp, d)))
      try {
        execFileSync('ssh', ['-o', `ControlPath=${path.join(tmp, d, s)}`, '-O', 'exit', 'x'], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
}

/**
 * Runs `slipway deploy PKG --target fleet` as its own process (the built CLI; a short TMPDIR of its own, so its
 * control sockets' paths fit a socket address), waits on the canary's (host 1's) journal until it passed its smoke
 * test on a release other than `previous` — the config must make the rollout wait there (a long `pauseMs`) — then
 * SIGKILLs the controller and ends the ssh masters it left. Returns the release the canary switched to.
 */
export async function deployKilledAfterCanary(p: FleetProject, packagePath: string, previous: string): Promise<string> {
  const tmp = await mkdtemp('/tmp/sw-');
  const startedAt = new Date().toISOString();
  const ctl = startBin(['deploy', packagePath, '--target', 'fleet'], p.dir, { env: { TMPDIR: tmp } });
  const canary = p.fleet.hosts[0]!;
  const release = await waitFor(
    'the canary switched to the new release and passed its smoke test',
    async () => {
      if (ctl.child.exitCode !== null) return 'exited';
      const smoke = (await p.journalOf(canary.root)).find(
        (x) => x.step === 'smoke' && x.status === 'ok' && x.release !== previous && x.at > startedAt,
      );
      return smoke?.release;
    },
    { timeoutMs: 180_000, intervalMs: 100 },
  );
  if (release === 'exited') throw new Error(`the controller exited early: ${ctl.output().stderr}`);
  ctl.child.kill('SIGKILL');
  await ctl.exit;
  closeMasters(tmp);
  await rm(tmp, { recursive: true, force: true });
  return release;
}

/** Starts `n` hosts, a database named after `dbName`, and the project dir. */
export async function startFleetProject(n: number, dbName: string, opts: SshFleetOptions = {}): Promise<FleetProject> {
  const fleet = await startSshFleet(n, opts);
  const db = await createTestDatabase(dbName);
  const dir = await makeTree({}, 'slipway-fleet-');
  const appPorts: number[] = [];
  for (const h of fleet.hosts) {
    // Reserved, below the ephemeral range: the app gives it up at every restart, and nothing else on the machine
    // may take it meanwhile (a freePort port could go to another test's server, which would then answer this
    // host's health gate).
    const port = await reservedPort();
    appPorts.push(port);
    await mkdir(h.root, { recursive: true });
    await writeFile(path.join(h.root, 'port'), String(port));
  }
  const configText = (o: ConfigTextOptions = {}) => {
    const hosts = fleet.hosts
      .map(
        (h, i) =>
          `      - { host: 127.0.0.1, port: ${h.port}, user: ${fleet.user}, path: ${JSON.stringify(h.root)}, healthUrl: "http://127.0.0.1:${appPorts[i]}/health" }`,
      )
      .join('\n');
    return `name: demo
version: 1.0.0
build:
  components:
    application:
      include: ["**"]
deploy:
  targets:
    fleet:
      type: ssh
      knownHosts: ${JSON.stringify(o.knownHosts ?? fleet.knownHosts)}
      identityFile: ${JSON.stringify(fleet.clientKey)}
      connectTimeoutMs: 5000
      hosts:
${hosts}${o.extraHost ? `\n${o.extraHost}` : ''}
      rollout: ${o.rollout ?? '{ batch: 2, canary: 1 }'}
      restart: "sh scripts/restart.sh"
      health: { timeoutMs: 3000, intervalMs: 100 }
      databaseUrl: ${JSON.stringify(db.url)}
      rollbackDatabase: true
${(o.targetLines ?? []).map((l) => `      ${l}\n`).join('')}`;
  };
  const healthVersion = async (i: number) => {
    try {
      const r = await freshGet(`http://127.0.0.1:${appPorts[i]}/health`);
      return r.status === 200 ? (JSON.parse(r.text) as { version: string }).version : null;
    } catch {
      return null;
    }
  };
  return {
    fleet,
    db,
    dir,
    appPorts,
    controllerRoot: path.join(dir, '.slipway', 'fleet', 'fleet'),
    configText,
    config: async (o = {}) => {
      await writeFile(path.join(dir, 'slipway.config.yaml'), configText(o));
      return (await loadConfig({ cwd: dir, env: {} })).config;
    },
    fleetPackage: async (version, changeSets, o = {}) =>
      appPackage(version, changeSets, {
        files: {
          'application/server.mjs': FLEET_APP,
          'scripts/restart.sh': FLEET_RESTART,
          ...(o.smokeTest === false ? {} : { 'tests/smoke/health.mjs': FLEET_SMOKE }),
          ...o.files,
          ...(o.upgradeFrom
            ? {
                'version-compatibility.json':
                  JSON.stringify(
                    { ...(await makeDbParts(version, changeSets)).compatibility, upgradeFrom: o.upgradeFrom },
                    null,
                    2,
                  ) + '\n',
              }
            : {}),
        },
      }),
    journalOf: async (root) => {
      const file = path.join(root, '.slipway', 'journal.jsonl');
      return existsSync(file) ? parseJournal(await readFile(file)).entries : [];
    },
    currentOf: (root) => readlink(path.join(root, 'current')).catch(() => null),
    healthVersion,
    cli: (...argv) => runMain(argv, { cwd: dir, env: { USER: 'tester' } }),
    stop: async (extraRoots = []) => {
      for (const root of [...fleet.hosts.map((h) => h.root), ...extraRoots]) {
        const pid = await readFile(path.join(root, 'app.pid'), 'utf8').catch(() => '');
        if (pid) {
          try {
            process.kill(Number(pid), 'SIGTERM');
          } catch {
            /* gone */
          }
        }
      }
      await fleet.stop();
      for (const port of appPorts) releasePort(port);
      await db.drop();
      await removeTree(dir);
    },
  };
}
