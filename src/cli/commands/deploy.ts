import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../main.js';
import { configFromFlags, withConfigOptions, type ConfigFlags } from '../config-flags.js';
import { printJson, type CliIO } from '../output.js';
import { CONFIG_FILE_NAMES } from '../../config/load.js';
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
import { renderReleases, renderHistory, renderPlan, parseDuration } from '../../deploy/render.js';

interface TargetFlags extends ConfigFlags {
  target?: string;
  json?: boolean;
  wait?: boolean;
}

/** Loads the config; with only `--to DIR` and no config file, a minimal one (a local target with defaults). */
async function loadForTarget(ctx: CommandContext, flags: ConfigFlags, adHocRoot: string | undefined): Promise<Config> {
  const hasConfig = Boolean(flags.config) || CONFIG_FILE_NAMES.some((n) => existsSync(path.join(ctx.io.cwd, n)));
  if (hasConfig || !adHocRoot) return (await configFromFlags(ctx.io, flags)).config;
  const parsed = configSchema.parse({ name: 'adhoc', build: { components: { application: { include: ['**'] } } } });
  return {
    ...parsed,
    version: '0.0.0',
    configFile: '',
    configDir: ctx.io.cwd,
    rootDir: ctx.io.cwd,
    environment: flags.env ?? 'dev',
    sources: {},
  };
}

/** Progress lines on stderr: step results always, step starts only on a TTY (STYLE.md §9). */
function progressPrinter(io: CliIO, json: boolean): (e: DeployEvent) => void {
  return (e) => {
    if (json) return;
    if (e.status === 'begin' && !io.isTTY) return;
    const mark = { begin: '…', ok: '✓', failed: '✗', skipped: '-', info: 'i' }[e.status];
    const ms = e.ms !== undefined ? ` (${e.ms} ms)` : '';
    io.stderr(`  ${mark} ${e.step.padEnd(10)} ${e.message ?? ''}${ms}\n`);
  };
}

/** Registers deploy, rollback, releases and history. */
export function registerDeployCommands(program: Command, ctx: CommandContext): void {
  withConfigOptions(
    program
      .command('deploy <package>')
      .description(
        'Deploy a package: verify, extract, check, migrate, switch atomically, validate; roll back on failure.',
      )
      .option('-t, --target <name>', 'configured target (deploy.targets.<name>)')
      .option('--to <dir>', 'a local directory as the target')
      .option('--dry-run', 'verify the package and print the plan; change nothing')
      .option('--json', 'machine-readable result on stdout')
      .option('--wait', 'queue behind a running deploy instead of failing')
      .option('--watch <duration>', 'watch window after the deploy (e.g. 10m, 30s)')
      .option('--force', 'deploy a package marked not ready, or when the live system fails its health pre-check')
      .option('--sha256 <hex>', 'expected archive digest (default: <package>.sha256 beside it)'),
  ).action(
    async (
      pkg: string,
      flags: TargetFlags & { to?: string; dryRun?: boolean; watch?: string; force?: boolean; sha256?: string },
    ) => {
      const config = await loadForTarget(ctx, flags, flags.to);
      const events: DeployEvent[] = [];
      const print = progressPrinter(ctx.io, Boolean(flags.json));
      const r = await deploy({
        config,
        packagePath: path.resolve(ctx.io.cwd, pkg),
        target: flags.target,
        root: flags.to ? path.resolve(ctx.io.cwd, flags.to) : undefined,
        dryRun: flags.dryRun,
        wait: flags.wait,
        force: flags.force,
        expectedSha256: flags.sha256,
        watchMs: flags.watch ? parseDuration(flags.watch) : 0,
        actor: actorFrom(ctx.io),
        onProgress: (e) => {
          events.push(e);
          print(e);
        },
        ...(flags.dryRun ? {} : { signal: ctx.interrupts('deploy') }),
      });
      if (flags.json) return printJson(ctx.io, { ...r, events });
      if (r.dryRun) return ctx.io.stderr(renderPlan(r.plan, r.version));
      ctx.io.stderr(
        `deployed ${r.version ?? '?'} as ${r.releaseId} to ${r.root} in ${Math.round(r.ms)} ms${r.previous ? ` (previous: ${r.previous})` : ''}\n`,
      );
    },
  );

  withConfigOptions(
    program
      .command('rollback')
      .description('Switch back to the previous successful release (from the journal), restart, validate.')
      .option('--to <id>', 'release id to roll back to (default: the previous successful one)')
      .option('-t, --target <name>', 'configured target')
      .option('--to-dir <dir>', 'a local directory as the target')
      .option('--emergency', 'stop, restore, roll the database back if safe, restart, validate, notify')
      .option('--app-only', 'roll back the application only; changesets the undone releases applied stay applied')
      .option('--wait', 'queue behind a running deploy')
      .option('--json', 'machine-readable result on stdout'),
  ).action(async (flags: TargetFlags & { to?: string; toDir?: string; emergency?: boolean; appOnly?: boolean }) => {
    const config = await loadForTarget(ctx, flags, flags.toDir);
    const r = await rollback({
      config,
      target: flags.target,
      root: flags.toDir ? path.resolve(ctx.io.cwd, flags.toDir) : undefined,
      to: flags.to,
      emergency: flags.emergency,
      appOnly: flags.appOnly,
      wait: flags.wait,
      actor: actorFrom(ctx.io),
      onProgress: progressPrinter(ctx.io, Boolean(flags.json)),
      signal: ctx.interrupts('rollback'),
    });
    if (flags.json) return printJson(ctx.io, r);
    ctx.io.stderr(
      `rolled back ${r.from ?? '(none)'} → ${r.to} in ${Math.round(r.ms)} ms${r.databaseRolledBack.length ? `; database: ${r.databaseRolledBack.length} changeset(s) rolled back` : ''}\n`,
    );
  });

  withConfigOptions(
    program
      .command('releases [action] [id]')
      .description(
        'List releases (id, version, digest, when, who, result, current); `releases pin ID` / `releases unpin ID`.',
      )
      .option('-t, --target <name>', 'configured target')
      .option('--to-dir <dir>', 'a local directory as the target')
      .option('--json', 'machine-readable output on stdout'),
  ).action(async (action: string | undefined, id: string | undefined, flags: TargetFlags & { toDir?: string }) => {
    const root = await rootFor(ctx, flags);
    if (action === 'pin' || action === 'unpin') {
      if (!id) throw new SlipwayError('E_USAGE', `usage: slipway releases ${action} <release-id>`);
      await pinRelease(root, id, action === 'pin', actorFrom(ctx.io));
      return ctx.io.stderr(`${action === 'pin' ? 'pinned' : 'unpinned'} ${id}\n`);
    }
    if (action && action !== 'list')
      throw new SlipwayError('E_USAGE', `unknown releases action "${action}" (list, pin, unpin)`);
    const releases: ReleaseRecord[] = await listReleases(root);
    if (flags.json) return printJson(ctx.io, releases);
    ctx.io.stderr(renderReleases(releases));
  });

  withConfigOptions(
    program
      .command('history')
      .description('The deploy journal of a target: every step of every deploy and rollback.')
      .option('-t, --target <name>', 'configured target')
      .option('--to-dir <dir>', 'a local directory as the target')
      .option('--json', 'machine-readable output on stdout'),
  ).action(async (flags: TargetFlags & { toDir?: string }) => {
    const root = await rootFor(ctx, flags);
    const entries = await readHistory(root);
    if (flags.json) return printJson(ctx.io, entries);
    ctx.io.stderr(renderHistory(entries));
  });
  withConfigOptions(
    program
      .command('recover')
      .description(
        'Show what an interrupted deploy or rollback left (journal, current, database); --yes completes it: the same reconciliation every deploy runs first.',
      )
      .option('-t, --target <name>', 'configured target')
      .option('--to-dir <dir>', 'a local directory as the target')
      .option('--yes', "complete the recovery (switch, undo the run's changesets, restart, health-check)")
      .option('--wait', 'queue behind a running deploy')
      .option('--json', 'machine-readable result on stdout'),
  ).action(async (flags: TargetFlags & { toDir?: string; yes?: boolean }) => {
    const config = await loadForTarget(ctx, flags, flags.toDir);
    if (flags.yes) ctx.interrupts('recovery');
    const r = await recoverTarget({
      config,
      target: flags.target,
      root: flags.toDir ? path.resolve(ctx.io.cwd, flags.toDir) : undefined,
      yes: flags.yes,
      wait: flags.wait,
      onProgress: progressPrinter(ctx.io, Boolean(flags.json)),
    });
    if (flags.json) printJson(ctx.io, r);
    else ctx.io.stderr(r.findings.map((f) => `${f}\n`).join(''));
    if (!r.applied && !r.complete) {
      if (!flags.json) ctx.io.stderr(`to complete it: slipway recover ${targetArgText(flags, ctx)} --yes\n`);
      ctx.setExit(1);
    } else if (!r.complete) ctx.setExit(1);
  });

  withConfigOptions(
    program
      .command('unlock')
      .description(
        'Remove a target lock whose holder is on another host (or gone); shows the holder. Refuses for a live local holder.',
      )
      .option('-t, --target <name>', 'configured target')
      .option('--to-dir <dir>', 'a local directory as the target')
      .option('--json', 'machine-readable result on stdout'),
  ).action(async (flags: TargetFlags & { toDir?: string }) => {
    const config = await loadForTarget(ctx, flags, flags.toDir);
    const r = await unlockTarget({
      config,
      target: flags.target,
      root: flags.toDir ? path.resolve(ctx.io.cwd, flags.toDir) : undefined,
    });
    if (flags.json) return printJson(ctx.io, r);
    const h = r.removed;
    ctx.io.stderr(
      h
        ? `removed the lock of pid ${h.pid} on ${h.host} (${h.command}, run ${h.run}, since ${h.startedAt}); the next deploy, rollback or \`slipway recover\` finishes whatever that run left\n`
        : `${r.root} is not locked\n`,
    );
  });
}

function targetArgText(flags: TargetFlags & { toDir?: string }, ctx: CommandContext): string {
  return flags.target
    ? `--target ${flags.target}`
    : flags.toDir
      ? `--to-dir ${path.resolve(ctx.io.cwd, flags.toDir)}`
      : '';
}

async function rootFor(ctx: CommandContext, flags: TargetFlags & { toDir?: string }): Promise<string> {
  const config = await loadForTarget(ctx, flags, flags.toDir);
  return selectTarget(config, {
    target: flags.target,
    root: flags.toDir ? path.resolve(ctx.io.cwd, flags.toDir) : undefined,
  }).root;
}

/** `user@host`: SLIPWAY_ACTOR, else $USER (CI runners set it), else the OS user. */
function actorFrom(io: CliIO): string {
  if (io.env.SLIPWAY_ACTOR) return io.env.SLIPWAY_ACTOR;
  const user = io.env.USER ?? io.env.LOGNAME;
  return user ? `${user}@${defaultActor().split('@')[1]}` : defaultActor();
}
