import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { configFromFlags, withConfigOptions, type ConfigFlags } from '../config-flags.js';
import { printResult } from '../output.js';
import { withDeprecatedOption } from '../common-flags.js';
import { CONFIG_FILE_NAMES } from '../../config/file-names.js';
import type { Config } from '../../config/schema.js';
import {
  changelogSourceOf,
  customChangeFiles,
  resolveChangelogSource,
  type ChangelogSource,
} from '../../config/changelog-source.js';
import { SlipwayError, maskUrl } from '../../errors.js';
import { verifySetupOf } from '../../config/verify-setup.js';
import { historyTables, pickHistoryTableNames, type HistoryTableNames } from '../../db/history-tables.js';
import { readPackageJson } from '../../config/package-json.js';
import { resolveBuildTime } from '../../manifest/package-time.js';

// The db library is imported inside each action so other commands (and `--help`) do not load parsers and drivers.
const lib = {
  apply: () => import('../../db/apply.js'),
  role: () => import('../../db/role.js'),
  safety: () => import('../../db/package-safety.js'),
  pkg: () => import('../../db/package.js'),
  changelog: () => import('../../db/read-changelog.js'),
  rollback: () => import('../../db/rollback.js'),
  delta: () => import('../../db/delta.js'),
  status: () => import('../../db/status.js'),
  verify: () => import('../../db/verify.js'),
  verifyTarget: () => import('../../db/verify-target.js'),
  locks: () => import('../../db/release-locks.js'),
};

interface DbFlags extends ConfigFlags {
  changelog?: string;
  root?: string;
  property?: string[];
  strict?: boolean;
  changelogTable?: string;
  changelogLockTable?: string;
  changelogSchema?: string;
  defaultSchemaName?: string;
  contexts?: string;
  labels?: string;
  outFile?: string;
  json?: boolean;
  databaseUrl?: string;
  allowShellInSql?: boolean;
  propertiesFromEnv?: boolean;
}

interface DbTarget {
  config: Config | null;
  source: ChangelogSource;
  /** --strict and the history table names (flags over `database.changelogTable`/`changelogLockTable`/`changelogSchema`). */
  options: { strict?: true } & HistoryTableNames;
}

/** `--property name=value` (repeatable, like `liquibase -Dname=value`); an empty value is allowed, a missing `=` is not. */
function parsePropertyFlags(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0)
      throw new SlipwayError('E_USAGE', `--property needs name=value, got ${JSON.stringify(v)}`, {
        hint: 'e.g. --property schema=app (an empty value is written --property prefix=)',
      });
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/**
 * `--changelog` relative to `--root` when given (Liquibase resolves `--changelog-file` against its search path);
 * a path that exists only relative to the working directory still works, as it did before.
 */
function resolveChangelogFlag(cwd: string, root: string | undefined, changelog: string): string {
  if (root && !path.isAbsolute(changelog)) {
    const underRoot = path.resolve(cwd, root, changelog);
    if (existsSync(underRoot) || !existsSync(path.resolve(cwd, changelog))) return underRoot;
  }
  return path.resolve(cwd, changelog);
}

/** Resolves the changelog, root (search path), contexts, labels and properties from flags over the config. */
async function resolveTarget(ctx: CommandContext, flags: DbFlags, plain = false): Promise<DbTarget> {
  const config = await optionalConfig(ctx, flags);
  // --mode plain packages a psql \i script: its default is the first of database.psqlScripts.
  const configured = plain ? config?.database.psqlScripts[0] : config?.database.changelog;
  const fromConfig = configured ? changelogSourceOf(config!, configured)! : undefined;
  const master = flags.changelog
    ? resolveChangelogFlag(ctx.io.cwd, flags.root, flags.changelog)
    : fromConfig && path.resolve(fromConfig.rootDir, fromConfig.changelog);
  if (!master) {
    const key = plain ? 'database.psqlScripts' : 'database.changelog';
    throw new SlipwayError('E_USAGE', `no changelog: pass --changelog FILE or set ${key} in the config`);
  }
  const source = resolveChangelogSource({
    rootDir: flags.root ? path.resolve(ctx.io.cwd, flags.root) : (config?.rootDir ?? ctx.io.cwd),
    master,
    properties: { ...(config?.database.properties ?? {}), ...parsePropertyFlags(flags.property) },
    contexts:
      flags.contexts !== undefined
        ? flags.contexts
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : (config?.database.contexts ?? []),
    labels: flags.labels ?? config?.database.labels,
    ...(config ? { customChanges: customChangeFiles(config) } : {}),
    allowShellInSql: allowShell(flags, config),
    propertiesFromEnv: flags.propertiesFromEnv ?? config?.database.propertiesFromEnv ?? false,
  });
  const options = {
    ...(flags.strict ? { strict: true as const } : {}),
    ...pickHistoryTableNames({
      changelogTable: flags.changelogTable ?? config?.database.changelogTable,
      changelogLockTable: flags.changelogLockTable ?? config?.database.changelogLockTable,
      changelogSchema: flags.changelogSchema ?? config?.database.changelogSchema,
      defaultSchemaName: flags.defaultSchemaName ?? config?.database.defaultSchemaName,
    }),
  };
  return { config, source, options };
}

/**
 * The application version a package header names: the resolved config's (its own, else package.json's); with no
 * config, the search path's package.json; null when none names one (the header says so, never an invented 0.0.0).
 */
async function applicationVersion(t: DbTarget): Promise<string | null> {
  return t.config ? t.config.version : (await readPackageJson(t.source.rootDir)).version;
}

/** --allow-shell-in-sql, else database.allowShellInSql. */
function allowShell(flags: DbFlags, config: Config | null): boolean {
  return flags.allowShellInSql ?? config?.database.allowShellInSql ?? false;
}

/** The config when --config names one or the current directory has one; the db commands also work without. */
async function optionalConfig(ctx: CommandContext, flags: DbFlags): Promise<Config | null> {
  const hasConfig = Boolean(flags.config) || CONFIG_FILE_NAMES.some((n) => existsSync(path.join(ctx.io.cwd, n)));
  return hasConfig ? (await configFromFlags(ctx.io, flags)).config : null;
}

/**
 * About this much output goes into one write: characters joined for stdout, bytes of the file buffer for --out-file (a
 * package's pieces are ~2 kB each). Kept below V8's large-object size (128 kB): measured on 10,000 changesets, 1 MB
 * batches cost ~10 MB more peak RSS than 64 kB.
 */
const WRITE_BATCH = 1 << 16;

/** The pieces of `text` joined into strings of about WRITE_BATCH characters (the last one shorter). */
function* batches(text: string | Iterable<string>): Generator<string> {
  if (typeof text === 'string') {
    yield text;
    return;
  }
  let batch: string[] = [];
  let size = 0;
  for (const piece of text) {
    batch.push(piece);
    size += piece.length;
    if (size < WRITE_BATCH) continue;
    yield batch.join('');
    batch = [];
    size = 0;
  }
  if (batch.length) yield batch.join('');
}

/**
 * Where --out-file's bytes go. A regular file, or none yet, is replaced atomically: a temporary file beside it, then a
 * rename. Anything else that is not a directory is written in place: a device (/dev/null, /dev/stdout) or a FIFO must
 * stay what it is — a rename over /dev/null, run as root, left the machine a regular file there and broke every
 * program that writes to it. A symlink is followed, so the file it names is replaced and the link stays; a dangling
 * link is replaced by the file.
 */
async function outputPlace(abs: string, out: string): Promise<{ file: string; atomic: boolean }> {
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    return { file: abs, atomic: true }; // not there yet (or a dangling link)
  }
  const st = await stat(real);
  if (st.isDirectory())
    throw new SlipwayError('E_USAGE', `--out-file ${out} is a directory`, {
      field: '--out-file',
      hint: 'Name a file to write (an existing one is replaced).',
    });
  return { file: real, atomic: st.isFile() };
}

/**
 * Writes `text` (one string, or pieces rendered as they are asked for) to `out` atomically (temp file + rename; see
 * outputPlace for what is written in place), or to stdout when no --out-file; the file's name is the result. Pieces
 * are written as they come, about 64 kB at a time, so the whole text is never held in memory.
 */
async function writeOutput(
  ctx: CommandContext,
  out: string | undefined,
  text: string | Iterable<string>,
): Promise<void> {
  if (!out) {
    for (const batch of batches(text)) ctx.io.stdout(batch);
    return;
  }
  const place = await outputPlace(path.resolve(ctx.io.cwd, out), out);
  const tmp = place.atomic ? `${place.file}.tmp-${process.pid}` : place.file;
  let bytes = 0;
  try {
    // Written with synchronous calls: the command has nothing else to do meanwhile, and each awaited write is a hand-off
    // to the thread pool and back. Measured writing 17.7 MB in 270 writes of 64 kB (medians of 15, loaded machine):
    // awaited FileHandle writes 55 ms wall / 12.6 ms CPU, writeSync 19 / 5.3 ms.
    const fd = openSync(tmp, 'w');
    try {
      // Each piece is encoded straight into one reused buffer, written when the next piece might not fit: no joined
      // batch string and no Buffer per batch. On the 10,000-changeset package's 20,027 pieces (17.5 MB): 4.0 ms CPU
      // instead of 12 ms for joining and encoding batches (medians of 15, warm).
      const buf = Buffer.allocUnsafe(WRITE_BATCH);
      let used = 0;
      for (const piece of typeof text === 'string' ? [text] : text) {
        // A UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4): this bound always fits.
        const most = 3 * piece.length;
        if (used + most > buf.length && used > 0) {
          writeAll(fd, buf, used);
          used = 0;
        }
        if (most > buf.length) {
          const own = Buffer.from(piece, 'utf8');
          bytes += own.length;
          writeAll(fd, own, own.length);
          continue;
        }
        const n = buf.write(piece, used, 'utf8');
        used += n;
        bytes += n;
      }
      if (used > 0) writeAll(fd, buf, used);
    } finally {
      closeSync(fd);
    }
    if (place.atomic) await rename(tmp, place.file);
  } catch (cause) {
    if (place.atomic) await rm(tmp, { force: true });
    if (cause instanceof SlipwayError) throw cause; // from rendering, not from the file
    throw new SlipwayError('E_IO', `cannot write ${out}: ${(cause as Error).message}`, { file: out, cause });
  }
  ctx.io.stdout(`wrote ${out} (${bytes} bytes)\n`);
}

/** The first `length` bytes of `buf` to `fd`, however many writes that takes. */
function writeAll(fd: number, buf: Buffer, length: number): void {
  for (let at = 0; at < length;) at += writeSync(fd, buf, at, length - at);
}

const common = (cmd: Command) =>
  withConfigOptions(cmd)
    .option('--changelog <file>', 'master changelog (default: database.changelog from the config)')
    .option('--root <dir>', 'search path the changelog FILENAMEs are relative to (default: project root or cwd)')
    .option('--contexts <list>', 'comma-separated contexts (default: database.contexts)')
    .option('--labels <expr>', 'label expression (default: database.labels)')
    .option(
      '--property <name=value>',
      'changelog property, like liquibase -Dname=value (repeatable; wins over database.properties)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--properties-from-env',
      '${NAME} also takes environment variables, as Liquibase does (default: database.propertiesFromEnv, else off)',
    )
    .option('--strict', 'changelog warnings (what Liquibase ignores) are errors')
    .option('--changelog-table <name>', 'history table, like liquibase --database-changelog-table-name')
    .option('--changelog-lock-table <name>', 'lock table, like liquibase --database-changelog-lock-table-name')
    .option('--changelog-schema <name>', 'schema of both tables, like liquibase --liquibase-schema-name')
    .option(
      '--default-schema-name <name>',
      'schema of objects without schemaName (and of the history tables), like liquibase --default-schema-name',
    )
    .option(
      '--allow-shell-in-sql',
      'allow SQL that runs a shell (COPY … PROGRAM, psql \\!…; default: database.allowShellInSql, else refused)',
    );

/** `--out-file FILE` (`--out` everywhere else names a directory; `-o/--out FILE` stays as a deprecated alias). */
function withOutFile(ctx: CommandContext, cmd: Command): Command {
  cmd.option('--out-file <file>', 'write to this file (atomically) instead of stdout');
  return withDeprecatedOption(cmd, ctx.io, {
    flags: '-o, --out <file>',
    replacementKey: 'outFile',
    replacement: '--out-file',
  });
}

/** --database-url, else database.url from the config (the environment overlay applied), else E_USAGE. */
function databaseUrlOf(flags: DbFlags, config: Config | null): string {
  const url = flags.databaseUrl ?? config?.database.url;
  if (url) return url;
  throw new SlipwayError('E_USAGE', 'no database: pass --database-url URL or set database.url in the config', {
    hint: config
      ? `${path.basename(config.configFile)} (environment ${config.environment}) has no database.url.`
      : `No config file either (${CONFIG_FILE_NAMES.join(', ')}).`,
  });
}

/** Registers the db commands. */
export function registerDbCommands(program: Command, ctx: CommandContext): void {
  const db = program
    .command('db')
    .description('Liquibase changelogs and psql scripts: package, apply, status, verify, rollback SQL, release-locks');

  withOutFile(
    ctx,
    common(db.command('package').description('write one self-contained SQL package (stdout, or --out-file)')),
  )
    .option('--mode <mode>', 'liquibase (default) or plain (psql \\i script inlined)')
    .option('--since-tag <tag>', 'only changesets after the tagDatabase changeset with this tag')
    .option('--since <changeset>', 'only changesets after id, id::author or file::id::author')
    .option('--database-url <url>', 'only changesets this database lacks (or that must run again)')
    .option('--app-name <name>', 'application name for the header (default: config name)')
    .option('--app-version <v>', "version for the header (default: the config's, else package.json's)")
    .action(
      async (
        flags: DbFlags & { mode?: string; sinceTag?: string; since?: string; appName?: string; appVersion?: string },
      ) => {
        if (flags.mode && flags.mode !== 'liquibase' && flags.mode !== 'plain')
          throw new SlipwayError('E_USAGE', `--mode must be liquibase or plain, got ${flags.mode}`);
        const deltas = [flags.sinceTag, flags.since, flags.databaseUrl].filter((v) => v !== undefined);
        if (deltas.length > 1)
          throw new SlipwayError('E_USAGE', 'use only one of --since-tag, --since, --database-url');
        const t = await resolveTarget(ctx, flags, flags.mode === 'plain');
        // The package's one point in time, as a build's: SOURCE_DATE_EPOCH, else the last commit's time (a git child
        // that runs while the package modules load), else 0 — never the wall clock, the output must be reproducible.
        const [version, { prepareDatabasePackage }, time] = await Promise.all([
          flags.appVersion ?? applicationVersion(t),
          lib.pkg(),
          resolveBuildTime({ rootDir: t.source.rootDir, env: ctx.io.env, now: () => 0 }),
        ]);
        const r = await prepareDatabasePackage({
          ...t.source,
          ...t.options,
          mode: flags.mode === 'plain' ? 'plain' : 'liquibase',
          application: flags.appName ?? t.config?.name ?? path.basename(t.source.rootDir),
          version,
          sourceDateEpoch: time.epoch,
          ...(flags.sinceTag !== undefined ? { sinceTag: flags.sinceTag } : {}),
          ...(flags.since !== undefined ? { since: flags.since } : {}),
          ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
          index: false,
        });
        for (const w of r.warnings) ctx.io.stderr(`warning ${w.code}: ${w.file}:${w.line}: ${w.message}\n`);
        await writeOutput(ctx, flags.outFile, r.chunks());
        ctx.io.stderr(`${r.changeSets} changesets from ${r.files} files\n`);
      },
    );

  withOutFile(ctx, common(db.command('rollback-sql').description('write rollback SQL (newest first, one transaction)')))
    .option(
      '--count <n>',
      'roll back the newest N recorded changesets (decided when the SQL runs, as liquibase rollback-count)',
    )
    .option('--to-tag <tag>', 'roll back every changeset recorded after the oldest row with this tag')
    .option('--tag-version <v>', 'with --to-tag: go back to the OLDEST (default) or NEWEST row with the tag')
    .option(
      '--to-date <date>',
      'roll back every changeset executed after this local time, YYYY-MM-DD[THH:MM:SS] (as liquibase rollback-to-date)',
    )
    .option(
      '--database-url <url>',
      "write the blocks in this database's execution order (else the changelog's; the SQL refuses a history that differs)",
    )
    .action(async (flags: DbFlags & { count?: string; toTag?: string; toDate?: string; tagVersion?: string }) => {
      if ([flags.count, flags.toTag, flags.toDate].filter((x) => x !== undefined).length !== 1)
        throw new SlipwayError('E_USAGE', 'pass exactly one of --count N, --to-tag T or --to-date D');
      const count = flags.count !== undefined ? Number(flags.count) : undefined;
      const t = await resolveTarget(ctx, flags);
      const { readChangelog } = await lib.changelog();
      const { renderRollbackSql, parseTagVersion } = await lib.rollback();
      const tagVersion = flags.tagVersion !== undefined ? parseTagVersion(flags.tagVersion) : undefined;
      const { parsed, selected } = await readChangelog({
        ...t.source,
        ...(t.options.strict ? { strict: true } : {}),
        ...(t.options.defaultSchemaName ? { defaultSchema: t.options.defaultSchemaName } : {}),
      });
      const executed =
        flags.databaseUrl !== undefined
          ? await (await lib.delta()).readHistory(flags.databaseUrl, historyTables(t.options))
          : undefined;
      const sql = renderRollbackSql(
        { ...parsed, changeSets: selected },
        {
          ...(count !== undefined ? { count } : {}),
          ...(flags.toTag !== undefined ? { toTag: flags.toTag } : {}),
          ...(flags.toDate !== undefined ? { toDate: flags.toDate } : {}),
          ...(tagVersion !== undefined ? { tagVersion } : {}),
          ...(executed !== undefined ? { executed } : {}),
          ...pickHistoryTableNames(t.options),
        },
      );
      await writeOutput(ctx, flags.outFile, sql);
    });

  common(
    db
      .command('apply')
      .description('run a package (or the changelog) against a database, as psql -v ON_ERROR_STOP=1 would'),
  )
    .argument('[package]', 'package.sql to run (else the changelog is packaged and run)')
    .option('--database-url <url>', 'postgres://…, pglite:<dir> or memory: (default: database.url from the config)')
    .option('--json', 'machine-readable result on stdout')
    .action(async (file: string | undefined, flags: DbFlags) => {
      let sql: string;
      let databaseUrl = flags.databaseUrl;
      if (file) {
        sql = await readFile(path.resolve(ctx.io.cwd, file), 'utf8').catch((cause: Error) => {
          throw new SlipwayError('E_IO', `cannot read ${file}: ${cause.message}`, { file, cause });
        });
        // A package built elsewhere: checked as the deploy checks database/package.sql, before it connects.
        if (!allowShell(flags, await optionalConfig(ctx, flags))) {
          const { findShellEscapes, refuseShellEscapes } = await lib.safety();
          refuseShellEscapes(
            findShellEscapes(sql).map((f) => ({ ...f, file })),
            { field: 'database.allowShellInSql', consequence: 'Nothing was applied.' },
          );
        }
      } else {
        const t = await resolveTarget(ctx, flags);
        const { buildDatabasePackage } = await lib.pkg();
        const r = await buildDatabasePackage({
          ...t.source,
          ...t.options,
          application: t.config?.name ?? 'slipway',
          version: await applicationVersion(t),
          sourceDateEpoch: 0,
        });
        sql = r.sql;
        databaseUrl = databaseUrlOf(flags, t.config);
      }
      databaseUrl ??= databaseUrlOf(flags, await optionalConfig(ctx, flags));
      const { applySql, notRecordedSummary } = await lib.apply();
      const { readDatabaseRole, superuserWarning } = await lib.role();
      // A diagnostic: stderr even under --json.
      const warning = superuserWarning(await readDatabaseRole(databaseUrl), databaseUrl);
      if (warning) ctx.io.stderr(`warning ${warning}\n`);
      const r = await applySql({
        databaseUrl,
        sql,
        ...(file ? { file } : {}),
        onEcho: flags.json ? undefined : (l) => ctx.io.stderr(l + '\n'),
      });
      printResult(
        ctx.io,
        flags,
        r,
        () =>
          `applied to ${maskUrl(databaseUrl)}: ${r.executed.length} executed, ${notRecordedSummary(r)} (${r.ms} ms)\n`,
      );
    });

  common(db.command('status').description('applied, pending, drifted and unknown changesets of a database'))
    .option('--database-url <url>', 'postgres://…, pglite:<dir> or memory: (default: database.url from the config)')
    .option('--json', 'machine-readable result on stdout')
    .action(async (flags: DbFlags) => {
      const t = await resolveTarget(ctx, flags);
      const databaseUrl = databaseUrlOf(flags, t.config);
      const { getStatus } = await lib.status();
      const r = await getStatus({ ...t.source, ...t.options, databaseUrl });
      printResult(ctx.io, flags, r, () =>
        [
          ...r.changeSets
            .filter((c) => c.state !== 'applied')
            .map((c) => `${c.state.padEnd(8)} ${c.filename}::${c.id}::${c.author}\n`),
          `${maskUrl(databaseUrl)}: ${r.applied} applied, ${r.pending} pending, ${r.drift} drift, ${r.unknown} unknown\n`,
        ].join(''),
      );
      if (r.drift > 0) ctx.setExit(1);
    });

  withConfigOptions(
    db
      .command('release-locks')
      .description("clear Liquibase's lock row left set by a crashed update (like liquibase release-locks)"),
  )
    .option('--database-url <url>', 'postgres://… (default: database.url from the config)')
    .option('--changelog-lock-table <name>', 'lock table, like liquibase --database-changelog-lock-table-name')
    .option('--changelog-schema <name>', 'schema of the lock table, like liquibase --liquibase-schema-name')
    .option('--default-schema-name <name>', 'the lock table is there unless --changelog-schema says otherwise')
    .option('--json', 'machine-readable result on stdout')
    .action(async (flags: DbFlags) => {
      const config = await optionalConfig(ctx, flags);
      const databaseUrl = databaseUrlOf(flags, config);
      const tables = historyTables({
        changelogLockTable: flags.changelogLockTable ?? config?.database.changelogLockTable,
        changelogSchema: flags.changelogSchema ?? config?.database.changelogSchema,
        defaultSchemaName: flags.defaultSchemaName ?? config?.database.defaultSchemaName,
      });
      const { releaseLocks, describeReleaseLocks } = await lib.locks();
      const r = await releaseLocks({ databaseUrl, tables });
      printResult(ctx.io, flags, r, () => describeReleaseLocks(r, databaseUrl));
    });

  common(db.command('verify').description('apply the changelog to a throwaway database and fingerprint the schema'))
    .option(
      '--database-url <url>',
      'PostgreSQL server for a scratch database, or auto (the local server if it answers and may CREATE DATABASE, ' +
        'else PGlite) (default: database.verifyUrl from the config, else PGlite in memory)',
    )
    .option('--json', 'machine-readable result on stdout')
    .action(async (flags: DbFlags) => {
      const t = await resolveTarget(ctx, flags);
      // The engine the build verifies on: --database-url, else database.verifyUrl (a URL, or auto), else PGlite.
      const { resolveVerifyTarget } = await lib.verifyTarget();
      const target = await resolveVerifyTarget(flags.databaseUrl ?? t.config?.database.verifyUrl, {
        env: ctx.io.env,
        source: flags.databaseUrl ? '--database-url' : 'database.verifyUrl',
      });
      const { verifyChangelog, missingExtensionNote } = await lib.verify();
      const verified = await verifyChangelog({
        ...t.source,
        ...t.options,
        ...(t.config?.database.verifySetup ? { setup: verifySetupOf(t.config) } : {}),
        ...(target.engine === 'postgresql' ? { databaseUrl: target.url } : {}),
      });
      const r = { ...verified, engineReason: target.reason };
      printResult(ctx.io, flags, r, () =>
        [
          ...r.changeSets.map(
            (c) =>
              `${c.status.padEnd(8)} ${c.filename}::${c.id}::${c.author} (${c.ms} ms)${c.error ? `\n  ${c.error.split('\n').join('\n  ')}` : ''}\n`,
          ),
          `${r.ok ? 'ok' : 'FAILED'} on ${r.engine}; fingerprint ${r.fingerprint ?? 'none'} (${r.ms} ms)\n`,
          `verified on ${r.engine === 'pglite' ? 'PGlite' : 'PostgreSQL'}: ${r.engineReason}\n`,
          ...(r.ok && r.missingExtensions.length
            ? [
                `warning: ${missingExtensionNote(r.missingExtensions)}; what needs it ran only as its preconditions allowed\n`,
              ]
            : []),
        ].join(''),
      );
      if (!r.ok) ctx.setExit(1);
    });
}
