import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { writeStarterConfig } from '../../builder/init.js';
import { packageFileSet } from '../../builder/package.js';
import { planBuild, type BuildPlan } from '../../builder/plan.js';
import {
  build,
  checkOutDirWritable,
  describeVerifyRun,
  loadCompile,
  resolveOutDir,
  type BuildResult,
  type PhaseResult,
} from '../../builder/pipeline.js';
import { renderSizeReport } from '../../builder/size-report.js';
import { runStage } from '../../builder/stage.js';
import { SlipwayError } from '../../errors.js';
import { scanProject } from '../../fileset/scan.js';
import { EXPORT_FORMATS, exportManifest, provenanceText, type ExportFormat } from '../../manifest/export.js';
import { findLatestPackage, readManifestFile, readPackageManifest } from '../../manifest/read.js';
import { readNpmVersion } from '../../manifest/generate.js';
import { humanBytes } from '../../manifest/schema.js';
import { validatePackage } from '../../manifest/validate.js';
import { signPackage } from '../../sign/package-signature.js';
import { configFromFlags, withConfigOptions, type ConfigFlags } from '../config-flags.js';
import type { CommandContext } from '../context.js';
import { printJson, printResult, printWarning, type CliIO } from '../output.js';
import { createProgressRenderer } from '../render-progress.js';

interface CommonFlags extends ConfigFlags {
  out?: string;
  json?: boolean;
}

/** --config, --env and --out, which every build command takes. */
function withCommon(cmd: Command): Command {
  return withConfigOptions(cmd).option('-o, --out <dir>', 'output directory (default: build.output from the config)');
}

const outFlag = (io: CliIO, flags: CommonFlags) => (flags.out ? path.resolve(io.cwd, flags.out) : undefined);

function renderPhases(phases: PhaseResult[]): string {
  const mark = { ok: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;
  return (
    phases
      .map(
        (p) =>
          `  ${mark[p.status]} ${p.name.padEnd(9)} ${String(p.ms).padStart(7)} ms${p.reason ? `  (${p.reason})` : ''}`,
      )
      .join('\n') + '\n'
  );
}

function renderBuild(
  io: CliIO,
  r: Pick<BuildResult, 'package' | 'phases' | 'sizes' | 'manifest' | 'report'>,
  warnings: string[],
): void {
  // Phases and warnings are diagnostics (stderr); the size report and the package are the build's result (stdout).
  io.stderr(renderPhases(r.phases));
  for (const w of warnings) printWarning(io, w);
  io.stdout(renderSizeReport(r.sizes));
  io.stdout(`size report: ${r.report}\n`);
  io.stdout(`package: ${r.package.path}\n  ${humanBytes(r.package.bytes)}, sha256 ${r.package.sha256}\n`);
  io.stdout(`  build time ${r.manifest.buildTimestamp} (from ${r.manifest.buildTimeSource})\n`);
  const d = r.manifest.deployment;
  if (!d.readiness) {
    io.stderr(`build FAILED: the package is NOT READY to deploy (${d.blockers.length} blocker(s)):\n`);
    for (const b of d.blockers) io.stderr(`  - ${b.replaceAll('\n', '\n    ')}\n`);
    io.stderr(
      'hint: it was written for inspection under a name ending in .not-ready.tar.gz (so it never replaces a ready ' +
        'package) and marked not ready in its build-manifest.json (deployment.readiness: false); ' +
        '`slipway deploy` refuses it unless --force. Fix the cause and build again.\n',
    );
  }
}

/** The build plan as text: one line a phase, its action or why it is skipped. */
function renderBuildPlan(plan: BuildPlan): string {
  const lines = plan.phases.map((p) => `  ${p.phase.padEnd(9)}${p.skip ? `skip: ${p.skip}` : p.action}\n`);
  return `build plan (output ${plan.outDir}):\n${lines.join('')}`;
}

const jsonResult = (r: Pick<BuildResult, 'package' | 'phases' | 'sizes' | 'manifest' | 'report'>) => ({
  package: r.package,
  ready: r.manifest.deployment.readiness,
  blockers: r.manifest.deployment.blockers,
  phases: r.phases,
  sizes: r.sizes,
  report: r.report,
});

/** Registers init, stage, compile, package, manifest (+ export), validate and build. */
export function registerBuildCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;

  program
    .command('init')
    .description('write a commented starter slipway.config.yaml from the layout of the current directory')
    .option('-c, --config <file>', 'file to write', 'slipway.config.yaml')
    .option('-o, --out <dir>', 'build output directory written into the config', 'dist')
    .option('-f, --force', 'overwrite an existing config file')
    .option('--json', 'print { file, plan } as JSON on stdout')
    .action(async (flags: { config: string; out: string; force?: boolean; json?: boolean }) => {
      const { file, plan } = await writeStarterConfig({
        rootDir: io.cwd,
        file: flags.config,
        force: !!flags.force,
        output: flags.out,
      });
      printResult(
        io,
        flags,
        { file, plan },
        () =>
          `wrote ${path.relative(io.cwd, file) || file} (application: ${plan.application.join(', ') || 'none found'}; database: ${plan.changelog ?? (plan.psqlScripts.length ? `psql scripts ${plan.psqlScripts.join(', ')}` : 'no changelog found')})\n`,
      );
      io.stderr('next: review it, then run `slipway stage`\n');
    });

  withCommon(program.command('stage'))
    .description('scan the project into a FileSet and run the environment checks')
    .option('--strict', 'warnings fail')
    .option('--json', 'print one JSON object on stdout')
    .action(async (flags: CommonFlags & { strict?: boolean }) => {
      const { config } = await configFromFlags(io, flags);
      const progress = createProgressRenderer(io, { quiet: !!flags.json });
      const r = await runStage(config, {
        ...(flags.strict ? { strict: true } : {}),
        onProgress: progress.onProgress,
        env: io.env as NodeJS.ProcessEnv,
      });
      progress.clear();
      printResult(
        io,
        flags,
        {
          ok: r.ok,
          ms: r.ms,
          checks: r.checks,
          files: r.scan.fileSet.files.length,
          inventory: r.scan.inventory,
          warnings: r.scan.warnings,
        },
        () =>
          r.checks.map((c) => `  ${c.status.toUpperCase().padEnd(4)} ${c.name}: ${c.reason}\n`).join('') +
          (r.ok ? `stage ok (${r.ms} ms)\n` : 'stage FAILED\n'),
      );
      if (!r.ok) ctx.setExit(1);
    });

  withCommon(program.command('compile'))
    .description('minify JS/CSS/JSON and validate SQL and Groovy syntax (results go to the compile cache)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (flags: CommonFlags) => {
      const { config } = await configFromFlags(io, flags);
      const compile = await loadCompile();
      const progress = createProgressRenderer(io, { quiet: !!flags.json });
      const outDir = resolveOutDir(config, outFlag(io, flags));
      await checkOutDirWritable(outDir); // the compile cache lives in <out>/.cache
      const cacheDir = path.join(outDir, '.cache');
      const scan = await scanProject(config, { onProgress: progress.onProgress, skipDirs: [cacheDir] });
      const r = await compile.compileFileSet(config, scan.fileSet, {
        cacheDir,
        sourceMaps: config.build.compile.sourceMaps,
        onProgress: progress.onProgress,
      });
      progress.clear();
      printResult(
        io,
        flags,
        { ok: r.ok, ms: r.ms, cache: r.cache, findings: r.findings, files: r.fileSet.files.length },
        () =>
          r.findings.map((f) => `  ${f.status.toUpperCase().padEnd(4)} ${f.name}: ${f.reason}\n`).join('') +
          `compile ${r.ok ? 'ok' : 'FAILED'}: ${r.fileSet.files.length} files, cache ${r.cache.hits} hit(s) / ${r.cache.misses} miss(es), ${r.ms} ms\n`,
      );
      if (!r.ok) ctx.setExit(1);
    });

  withCommon(program.command('package'))
    .description('scan, compile (cached) and write <name>-v<version>-<timestamp>.tar.gz without the stage checks')
    .option('--json', 'print one JSON object on stdout')
    .action(async (flags: CommonFlags) => {
      const { config } = await configFromFlags(io, flags);
      void readNpmVersion(); // overlap the npm spawn with scan and compile
      const progress = createProgressRenderer(io, { quiet: !!flags.json });
      const outDir = resolveOutDir(config, outFlag(io, flags));
      await checkOutDirWritable(outDir);
      const cacheDir = path.join(outDir, '.cache');
      const scan = await scanProject(config, { onProgress: progress.onProgress, skipDirs: [cacheDir] });
      const { inventory, warnings } = scan;
      let fileSet = scan.fileSet;
      scan.fileSet = { rootDir: fileSet.rootDir, files: [] }; // unreachable once compile has produced its own FileSet
      const compile = await loadCompile();
      if (compile) {
        const c = await compile.compileFileSet(config, fileSet, {
          cacheDir,
          sourceMaps: config.build.compile.sourceMaps,
          onProgress: progress.onProgress,
        });
        if (!c.ok)
          throw new SlipwayError('E_CHECK_FAILED', 'compile failed', {
            details: c.findings.filter((f) => f.status === 'fail').map((f) => `${f.name}: ${f.reason}`),
          });
        fileSet = c.fileSet;
      }
      const r = await packageFileSet({
        config,
        fileSet,
        outDir,
        env: io.env,
        inventory,
        onProgress: progress.onProgress,
      });
      progress.clear();
      const phases: PhaseResult[] = [
        {
          name: 'database',
          ms: r.timings.database,
          status: config.database.changelog || config.database.psqlScripts.length ? 'ok' : 'skipped',
        },
        {
          name: 'verify',
          ms: r.timings.verify,
          status:
            r.manifest.components.database.healthStatus === null
              ? 'skipped'
              : r.manifest.components.database.healthStatus === 'HEALTHY'
                ? 'ok'
                : 'failed',
          ...(r.verifyRun ? { reason: describeVerifyRun(r.verifyRun), engine: r.verifyRun.verify.engine } : {}),
        },
        { name: 'manifest', ms: r.timings.manifest, status: 'ok' },
        { name: 'package', ms: r.timings.package, status: 'ok' },
      ];
      const result = {
        package: { path: r.package.path, sha256: r.package.sha256, bytes: r.package.bytes },
        phases,
        sizes: r.sizes,
        report: r.reportPath,
        manifest: r.manifest,
      };
      if (flags.json) printJson(io, jsonResult(result));
      else renderBuild(io, result, [...warnings, ...r.warnings]);
      if (!r.manifest.deployment.readiness) ctx.setExit(1);
    });

  const manifest = withCommon(program.command('manifest'))
    .description("write the newest package's build-manifest.json into the output directory")
    .option('--package <file>', 'package to read (default: the newest of this app in the output directory)')
    .action(async (flags: CommonFlags & { package?: string }) => {
      const { config } = await configFromFlags(io, flags);
      const outDir = resolveOutDir(config, outFlag(io, flags));
      const pkg = flags.package
        ? path.resolve(io.cwd, flags.package)
        : await requireLatest(config.name, resolveOutDir(config));
      const { manifest: m, source } = await readPackageManifest(pkg);
      await mkdir(outDir, { recursive: true });
      const file = path.join(outDir, 'build-manifest.json');
      await writeFile(file, exportManifest(m, 'json'));
      io.stdout(`wrote ${file} (from ${source})\n`);
    });

  withConfigOptions(manifest.command('export'))
    .description('render a manifest as json | yaml | summary | deployment-report (stdout, or a file in --out)')
    .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).makeOptionMandatory())
    .option('--package <file>', 'read the manifest of this package')
    .option('--manifest <file>', 'read this build-manifest.json')
    .option('-o, --out <dir>', 'write build-manifest.<ext> into this directory instead of stdout')
    .action(async (flags: CommonFlags & { format: ExportFormat; package?: string; manifest?: string }) => {
      if (flags.package && flags.manifest) throw new SlipwayError('E_USAGE', 'pass --package or --manifest, not both');
      let m;
      if (flags.manifest) m = await readManifestFile(path.resolve(io.cwd, flags.manifest));
      else if (flags.package) m = (await readPackageManifest(path.resolve(io.cwd, flags.package))).manifest;
      else {
        const { config } = await configFromFlags(io, flags);
        m = (await readPackageManifest(await requireLatest(config.name, resolveOutDir(config)))).manifest;
      }
      const text = exportManifest(m, flags.format);
      if (!flags.out) return io.stdout(text);
      const ext = { json: 'json', yaml: 'yaml', summary: 'txt', 'deployment-report': 'md' }[flags.format];
      const file = path.join(path.resolve(io.cwd, flags.out), `build-manifest.${ext}`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
      io.stdout(`wrote ${file}\n`);
    });

  program
    .command('validate <package>')
    .description(
      'verify digest, SHA256SUMS, manifest schema, layout and compatibility file of a package, and that its SQL runs no shell',
    )
    .option('--sha256 <hex>', 'expected archive digest (default: <package>.sha256 beside it)')
    .option('--signers <file>', 'OpenSSH allowed_signers file: require <package>.sig by a key it trusts')
    .option('--allow-shell-in-sql', 'do not report SQL that runs a shell (COPY … PROGRAM, psql \\!…) as a problem')
    .option('--json', 'print one JSON object on stdout')
    .option('-c, --config <file>', 'accepted for uniform scripts; validate needs no config')
    .option('-o, --out <dir>', 'accepted for uniform scripts; validate writes nothing')
    .action(
      async (pkg: string, flags: { sha256?: string; signers?: string; json?: boolean; allowShellInSql?: boolean }) => {
        const file = path.resolve(io.cwd, pkg);
        const r = await validatePackage(file, {
          reportShellEscapes: flags.allowShellInSql !== true,
          ...(flags.sha256 ? { expectedSha256: flags.sha256 } : {}),
          ...(flags.signers ? { signers: path.resolve(io.cwd, flags.signers) } : {}),
        });
        printResult(
          io,
          flags,
          {
            ok: r.ok,
            package: file,
            sha256: r.sha256,
            bytes: r.bytes,
            entries: r.entries,
            problems: r.problems,
            provenance: r.manifest?.provenance ?? null,
          },
          () =>
            r.ok
              ? `OK ${pkg}: ${r.entries} entries, ${humanBytes(r.bytes)}, sha256 ${r.sha256}\n` +
                `provenance: ${provenanceText(r.manifest!)}\n`
              : `INVALID ${pkg}: ${r.problems.length} problem(s)\n` +
                r.problems
                  .map((p) => `  ${p.code}${p.path ? ` ${p.path}${p.line ? `:${p.line}` : ''}` : ''}: ${p.message}\n`)
                  .join(''),
        );
        if (!r.ok) ctx.setExit(1);
      },
    );

  withCommon(program.command('build'))
    .description('clean + stage + compile + package (+ manifest)')
    .option('--strict', 'warnings fail')
    .option('--no-clean', 'keep temporary files an interrupted earlier build left in the output directory')
    .option(
      '--json',
      'print one JSON object on stdout: { package, ready, blockers, phases, sizes, report } (+ signature with --sign)',
    )
    .option('--sign <ssh-private-key>', 'write <package>.sig, an SSH signature (namespace slipway-package)')
    .option('--dry-run', 'print the build plan (phases, their inputs, what is skipped and why) and build nothing')
    .option(
      '--default-schema-name <name>',
      'database.defaultSchemaName: schema of objects without schemaName, like liquibase --default-schema-name',
    )
    .action(
      async (
        flags: CommonFlags & {
          strict?: boolean;
          clean: boolean;
          sign?: string;
          dryRun?: boolean;
          defaultSchemaName?: string;
        },
      ) => {
        const { config } = await configFromFlags(io, flags, { 'database.defaultSchemaName': flags.defaultSchemaName });
        if (flags.dryRun) {
          const out = outFlag(io, flags);
          const plan = planBuild(config, {
            ...(out ? { outDir: out } : {}),
            ...(flags.strict ? { strict: true } : {}),
            clean: flags.clean,
          });
          if (flags.json) printJson(io, { plan });
          else io.stdout(renderBuildPlan(plan));
          return;
        }
        const progress = createProgressRenderer(io, { quiet: !!flags.json });
        let r: BuildResult;
        try {
          const out = outFlag(io, flags);
          r = await build({
            config,
            ...(out ? { outDir: out } : {}),
            ...(flags.strict ? { strict: true } : {}),
            clean: flags.clean,
            env: io.env,
            onProgress: progress.onProgress,
          });
        } finally {
          progress.clear();
        }
        const signed = flags.sign ? await signPackage(r.package.path, path.resolve(io.cwd, flags.sign)) : null;
        if (flags.json) printJson(io, { ...jsonResult(r), ...(signed ? { signature: signed } : {}) });
        else {
          renderBuild(io, r, r.details.warnings);
          if (signed)
            io.stdout(`signature: ${signed.signature}\n  ${signed.fingerprint} (${signed.publicKey.split(' ')[0]})\n`);
        }
        // A package written but marked not ready (failed database verification) is a failed build.
        if (!r.manifest.deployment.readiness) ctx.setExit(1);
      },
    );
}

async function requireLatest(name: string, outDir: string): Promise<string> {
  const pkg = await findLatestPackage(outDir, name);
  if (!pkg)
    throw new SlipwayError('E_NOT_FOUND', `no ${name}-v*.tar.gz in ${outDir}`, {
      hint: 'Run `slipway build` first, or pass --package FILE.',
    });
  return pkg;
}
