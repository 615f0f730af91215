import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { configFromFlags, withConfigOptions, type ConfigFlags } from '../config-flags.js';
import { printResult, type CliIO } from '../output.js';
import {
  takeNewest,
  withDeprecatedOption,
  withLimitOption,
  withTargetOptions,
  type TargetFlags,
} from '../common-flags.js';
import { CONFIG_FILE_NAMES, resolveConfig } from '../../config/load.js';
import { configSchema, type Config } from '../../config/schema.js';
import { SlipwayError } from '../../errors.js';
import {
  deploy,
  rollback,
  listReleases,
  readHistory,
  pinRelease,
  selectTarget,
  defaultActor,
  recoverTarget,
  unlockTarget,
} from '../../deploy/index.js';
import type { DeployEvent, ReleaseRecord } from '../../deploy/index.js';
import type { LockOwner } from '../../deploy/lock.js';
import { renderReleases, renderHistory, renderPlan, parseDuration } from '../../deploy/render.js';
import { deployFleet, planFleetDeployment } from '../../fleet/fleet-deploy.js';
import { renderFleetPlan } from '../../fleet/fleet-plan.js';
import { readFleetState, renderFleetHosts } from '../../fleet/fleet-releases.js';
import { recoverFleet } from '../../fleet/fleet-recover.js';
import { pinFleetRelease, unlockFleet } from '../../fleet/fleet-admin.js';
import { rollbackFleet } from '../../fleet/fleet-rollback.js';
import { sshTargetName } from '../../fleet/fleet-target.js';

interface CommandFlags extends ConfigFlags, TargetFlags {
  json?: boolean;
  wait?: boolean;
}

/** Loads the config; with only `--to-dir DIR` and no config file, a minimal one (a local target with defaults). */
async function loadForTarget(ctx: CommandContext, flags: ConfigFlags, adHocRoot: string | undefined): Promise<Config> {
  const hasConfig = Boolean(flags.config) || CONFIG_FILE_NAMES.some((n) => existsSync(path.join(ctx.io.cwd, n)));
  if (hasConfig || !adHocRoot) return (await configFromFlags(ctx.io, flags)).config;
  // A deploy-only config: no version and no build section (the package carries its version).
  const parsed = configSchema.parse({ name: 'adhoc' });
  return resolveConfig(parsed, { configFile: '', configDir: ctx.io.cwd, environment: flags.env ?? 'dev' });
}

/** Progress lines on stderr: step results always, step starts only on a TTY (STYLE.md §9). */
function progressPrinter(io: CliIO, json: boolean): (e: DeployEvent) => void {
  return (e) => {
    // A warning is a diagnostic: stderr even under --json, one line.
    if (e.status === 'warning') return io.stderr(`warning ${e.message ?? ''}\n`);
    if (json) return;
    if (e.status === 'begin' && !io.isTTY) return;
    const mark = { begin: '…', ok: '✓', failed: '✗', skipped: '-', info: 'i' }[e.status];
    const ms = e.ms !== undefined ? ` (${e.ms} ms)` : '';
    io.stderr(`  ${mark} ${e.step.padEnd(10)} ${e.message ?? ''}${ms}\n`);
  };
}

/** A fleet's progress: a host's own steps carry its label in front of the message. */
function hostPrinter(print: (e: DeployEvent) => void): (e: DeployEvent & { host?: string }) => void {
  return (e) => print(e.host ? { ...e, message: `[${e.host}] ${e.message ?? ''}` } : e);
}

/** Registers deploy, rollback, releases and history. */
export function registerDeployCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const deployCmd = withTargetOptions(
    withConfigOptions(
      program
        .command('deploy <package>')
        .description(
          'Deploy a package: verify, extract, check, migrate, switch atomically, validate; roll back on failure.',
        ),
    ),
  )
    .option('--dry-run', 'verify the package and print the plan on stdout; change nothing')
    .option('--json', 'one JSON result on stdout')
    .option('--wait', 'queue behind a running deploy instead of failing')
    .option('--watch <duration>', 'watch window after the deploy (e.g. 10m, 30s)')
    .option('--force', 'deploy a package marked not ready, or when the live system fails its health pre-check')
    .option('--sha256 <hex>', 'expected archive digest (default: <package>.sha256 beside it)')
    .option('--skip-unreachable', 'ssh targets: deploy to the reachable hosts and report the others (default: refuse)');
  withDeprecatedOption(deployCmd, io, { flags: '--to <dir>', replacementKey: 'toDir', replacement: '--to-dir' }).action(
    async (
      pkg: string,
      flags: CommandFlags & {
        dryRun?: boolean;
        watch?: string;
        force?: boolean;
        sha256?: string;
        skipUnreachable?: boolean;
      },
    ) => {
      const config = await loadForTarget(ctx, flags, flags.toDir);
      const events: DeployEvent[] = [];
      const print = progressPrinter(io, Boolean(flags.json));
      const fleetName = flags.toDir ? null : sshTargetName(config, flags.target);
      if (fleetName) {
        const fleetOpts = {
          config,
          target: fleetName,
          packagePath: path.resolve(io.cwd, pkg),
          expectedSha256: flags.sha256,
          force: flags.force,
          ...(flags.watch ? { watchMs: parseDuration(flags.watch) } : {}),
        };
        if (flags.dryRun) {
          const p = await planFleetDeployment(fleetOpts);
          return printResult(io, flags, { dryRun: true, ...p }, () => renderFleetPlan(p.plan, p.version));
        }
        const printHost = hostPrinter(print);
        const r = await deployFleet({
          ...fleetOpts,
          skipUnreachable: flags.skipUnreachable,
          wait: flags.wait,
          actor: actorFrom(io),
          onProgress: (e) => {
            events.push(e);
            printHost(e);
          },
          signal: ctx.interrupts('deploy'),
        });
        return printResult(io, flags, { ...r, events }, () =>
          [
            `deployed ${r.version} as ${r.releaseId} to ${r.hosts.filter((h) => h.outcome === 'live').length} host(s) of ${r.target} in ${Math.round(r.ms)} ms (batches: ${r.batches.map((b) => b.length).join(', ')})\n`,
            ...r.hosts
              .filter((h) => h.outcome === 'unreachable')
              .map((h) => `not deployed (unreachable): ${h.host}: ${h.message ?? ''}\n`),
          ].join(''),
        );
      }
      const r = await deploy({
        config,
        packagePath: path.resolve(io.cwd, pkg),
        ...targetOf(ctx, flags),
        dryRun: flags.dryRun,
        wait: flags.wait,
        force: flags.force,
        expectedSha256: flags.sha256,
        watchMs: flags.watch ? parseDuration(flags.watch) : 0,
        actor: actorFrom(io),
        onProgress: (e) => {
          events.push(e);
          print(e);
        },
        ...(flags.dryRun ? {} : { signal: ctx.interrupts('deploy') }),
      });
      printResult(io, flags, { ...r, events }, () =>
        r.dryRun
          ? renderPlan(r.plan, r.version)
          : `deployed ${r.version ?? '?'} as ${r.releaseId} to ${r.root} in ${Math.round(r.ms)} ms${r.previous ? ` (previous: ${r.previous})` : ''}\n`,
      );
    },
  );

  const rollbackCmd = withTargetOptions(
    withConfigOptions(
      program
        .command('rollback')
        .description('Switch back to the previous successful release (from the journal), restart, validate.'),
    ),
  )
    .option('--release <id>', 'release id to roll back to (default: the previous successful one)')
    .option('--emergency', 'stop, restore, roll the database back if safe, restart, validate, notify')
    .option('--app-only', 'roll back the application only; changesets the undone releases applied stay applied')
    .option('--wait', 'queue behind a running deploy')
    .option('--json', 'one JSON result on stdout');
  withDeprecatedOption(rollbackCmd, io, { flags: '--to <id>', replacementKey: 'release', replacement: '--release' });
  rollbackCmd.action(async (flags: CommandFlags & { release?: string; emergency?: boolean; appOnly?: boolean }) => {
    const config = await loadForTarget(ctx, flags, flags.toDir);
    const fleetName = flags.toDir ? null : sshTargetName(config, flags.target);
    if (fleetName) {
      const f = await rollbackFleet({
        config,
        target: fleetName,
        to: flags.release,
        appOnly: flags.appOnly,
        emergency: flags.emergency,
        wait: flags.wait,
        actor: actorFrom(io),
        onProgress: hostPrinter(progressPrinter(io, Boolean(flags.json))),
        // A plain rollback stops before its next host on SIGINT/SIGTERM; an emergency one is not stopped midway.
        ...(flags.emergency ? {} : { signal: ctx.interrupts('rollback') }),
      });
      return printResult(
        io,
        flags,
        f,
        () =>
          `${flags.emergency ? 'emergency: ' : ''}rolled back ${f.target} ${f.from ?? '(none)'} → ${f.to} on ${f.hosts.length} host(s) in ${Math.round(f.ms)} ms${f.databaseRolledBack.length ? `; database: ${f.databaseRolledBack.length} changeset(s) rolled back` : ''}${f.notified ? '; notified' : ''}\n`,
      );
    }
    const r = await rollback({
      config,
      ...targetOf(ctx, flags),
      to: flags.release,
      emergency: flags.emergency,
      appOnly: flags.appOnly,
      wait: flags.wait,
      actor: actorFrom(io),
      onProgress: progressPrinter(io, Boolean(flags.json)),
      signal: ctx.interrupts('rollback'),
    });
    printResult(
      io,
      flags,
      r,
      () =>
        `rolled back ${r.from ?? '(none)'} → ${r.to} in ${Math.round(r.ms)} ms${r.databaseRolledBack.length ? `; database: ${r.databaseRolledBack.length} changeset(s) rolled back` : ''}\n`,
    );
  });

  withLimitOption(
    withTargetOptions(
      withConfigOptions(
        program
          .command('releases [action] [id]')
          .description(
            'List releases, newest first (id, version, digest, when, who, result, current); `releases pin|unpin ID`.',
          ),
      ),
    ),
  )
    .option('--json', 'the list (or the pin result) as JSON on stdout')
    .action(async (action: string | undefined, id: string | undefined, flags: CommandFlags & { limit?: number }) => {
      if (action && !['list', 'pin', 'unpin'].includes(action))
        throw new SlipwayError('E_USAGE', `unknown releases action "${action}" (list, pin, unpin)`);
      if ((action === 'pin' || action === 'unpin') && !id)
        throw new SlipwayError('E_USAGE', `usage: slipway releases ${action} <release-id>`);
      const config = await loadForTarget(ctx, flags, flags.toDir);
      const fleetName = flags.toDir ? null : sshTargetName(config, flags.target);
      if (fleetName && (action === 'pin' || action === 'unpin')) {
        const f = await pinFleetRelease({
          config,
          target: fleetName,
          id: id!,
          pinned: action === 'pin',
          actor: actorFrom(io),
        });
        return printResult(
          io,
          flags,
          f,
          () => `${f.pinned ? 'pinned' : 'unpinned'} ${f.release} on ${f.hosts.length} host(s) of ${fleetName}\n`,
        );
      }
      if (fleetName) {
        const state = await readFleetState(config, fleetName);
        const shown = { ...state, releases: takeNewest(state.releases, flags.limit, true), history: undefined };
        return printResult(
          io,
          flags,
          { ...shown, hosts: state.hosts.map(({ journal: _j, ...h }) => h) },
          () => `${renderReleases(shown.releases)}\n${renderFleetHosts(state)}`,
        );
      }
      const root = rootOf(ctx, flags, config);
      if (action === 'pin' || action === 'unpin') {
        await pinRelease(root, id!, action === 'pin', actorFrom(io));
        const pinned = action === 'pin';
        return printResult(io, flags, { release: id, pinned }, () => `${pinned ? 'pinned' : 'unpinned'} ${id}\n`);
      }
      const releases: ReleaseRecord[] = takeNewest(await listReleases(root), flags.limit, true);
      printResult(io, flags, releases, () => renderReleases(releases));
    });

  withLimitOption(
    withTargetOptions(
      withConfigOptions(
        program
          .command('history')
          .description('The deploy journal of a target, oldest first: every step of every deploy and rollback.'),
      ),
    ),
  )
    .option('--json', 'the journal entries as one JSON array on stdout')
    .action(async (flags: CommandFlags & { limit?: number }) => {
      const config = await loadForTarget(ctx, flags, flags.toDir);
      const fleetName = flags.toDir ? null : sshTargetName(config, flags.target);
      if (fleetName) {
        // The fleet journal, then every host's own entries (data.host names the host), oldest first.
        const state = await readFleetState(config, fleetName);
        const all = [
          ...state.history.map((e) => ({ ...e, data: { ...e.data, host: 'controller' } })),
          ...state.hosts.flatMap((h) => (h.journal ?? []).map((e) => ({ ...e, data: { ...e.data, host: h.host } }))),
        ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
        const entries = takeNewest(all, flags.limit, false);
        return printResult(io, flags, entries, () =>
          renderHistory(entries.map((e) => ({ ...e, message: `[${String(e.data.host)}] ${e.message ?? ''}` }))),
        );
      }
      const root = rootOf(ctx, flags, config);
      const entries = takeNewest(await readHistory(root), flags.limit, false);
      printResult(io, flags, entries, () => renderHistory(entries));
    });

  withTargetOptions(
    withConfigOptions(
      program
        .command('recover')
        .description(
          'Show what an interrupted deploy or rollback left (journal, current, database); --yes completes it: the same reconciliation every deploy runs first.',
        ),
    ),
  )
    .option('--yes', "complete the recovery (switch, undo the run's changesets, restart, health-check)")
    .option('--wait', 'queue behind a running deploy')
    .option('--json', 'one JSON result on stdout')
    .action(async (flags: CommandFlags & { yes?: boolean }) => {
      const config = await loadForTarget(ctx, flags, flags.toDir);
      const fleetName = flags.toDir ? null : sshTargetName(config, flags.target);
      if (fleetName) {
        const f = await recoverFleet({
          config,
          target: fleetName,
          yes: flags.yes,
          wait: flags.wait,
          onProgress: hostPrinter(progressPrinter(io, Boolean(flags.json))),
        });
        printResult(io, flags, f, () => f.findings.map((x) => `${x}\n`).join(''));
        if (!f.applied && !f.complete && !flags.json)
          io.stderr(`to complete it: slipway recover --target ${fleetName} --yes\n`);
        if (!f.complete) ctx.setExit(1);
        return;
      }
      const r = await recoverTarget({
        config,
        ...targetOf(ctx, flags),
        yes: flags.yes,
        wait: flags.wait,
        onProgress: progressPrinter(io, Boolean(flags.json)),
      });
      printResult(io, flags, r, () => r.findings.map((f) => `${f}\n`).join(''));
      if (!r.applied && !r.complete) {
        if (!flags.json) io.stderr(`to complete it: slipway recover ${targetArgText(flags, ctx)} --yes\n`);
        ctx.setExit(1);
      } else if (!r.complete) ctx.setExit(1);
    });

  withTargetOptions(
    withConfigOptions(
      program
        .command('unlock')
        .description(
          'Remove a target lock whose holder is on another host (or gone); shows the holder. Refuses for a live local holder.',
        ),
    ),
  )
    .option('--json', 'one JSON result on stdout')
    .action(async (flags: CommandFlags) => {
      const config = await loadForTarget(ctx, flags, flags.toDir);
      const fleetName = flags.toDir ? null : sshTargetName(config, flags.target);
      if (fleetName) {
        const f = await unlockFleet({ config, target: fleetName });
        const holder = (o: LockOwner | null) =>
          o ? `pid ${o.pid} on ${o.host} (${o.command}, run ${o.run}, since ${o.startedAt})` : 'an unreadable owner';
        printResult(io, flags, f, () =>
          [
            `controller: ${f.controller ? `removed the lock of ${holder(f.controller)}` : 'not locked'}\n`,
            ...f.hosts.map(
              (h) =>
                `${h.host}: ${h.error ? `not unlocked: ${h.error}` : h.held ? `removed the lock of ${holder(h.held.owner)}` : 'not locked'}\n`,
            ),
            ...(f.controller || f.hosts.some((h) => h.removed)
              ? [
                  `the next deploy, rollback or \`slipway recover --target ${fleetName} --yes\` finishes whatever that run left\n`,
                ]
              : []),
          ].join(''),
        );
        if (f.hosts.some((h) => h.error)) ctx.setExit(1);
        return;
      }
      const r = await unlockTarget({ config, ...targetOf(ctx, flags) });
      const h = r.removed;
      printResult(io, flags, r, () =>
        h
          ? `removed the lock of pid ${h.pid} on ${h.host} (${h.command}, run ${h.run}, since ${h.startedAt}); the next deploy, rollback or \`slipway recover\` finishes whatever that run left\n`
          : `${r.root} is not locked\n`,
      );
    });
}

function targetArgText(flags: TargetFlags, ctx: CommandContext): string {
  return flags.target
    ? `--target ${flags.target}`
    : flags.toDir
      ? `--to-dir ${path.resolve(ctx.io.cwd, flags.toDir)}`
      : '';
}

/** The library's target options from the flags: a configured target's name or an ad-hoc directory. */
function targetOf(ctx: CommandContext, flags: TargetFlags): { target?: string; root?: string } {
  return {
    ...(flags.target ? { target: flags.target } : {}),
    ...(flags.toDir ? { root: path.resolve(ctx.io.cwd, flags.toDir) } : {}),
  };
}

/** The selected target's root, from the config the command loaded once (loading it again would repeat its notes). */
function rootOf(ctx: CommandContext, flags: CommandFlags, config: Config): string {
  return selectTarget(config, targetOf(ctx, flags)).root;
}

/** `user@host`: SLIPWAY_ACTOR, else $USER (CI runners set it), else the OS user. */
function actorFrom(io: CliIO): string {
  if (io.env.SLIPWAY_ACTOR) return io.env.SLIPWAY_ACTOR;
  const user = io.env.USER ?? io.env.LOGNAME;
  return user ? `${user}@${defaultActor().split('@')[1]}` : defaultActor();
}
