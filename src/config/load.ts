import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { SlipwayError } from '../errors.js';
import { configSchema, ENVIRONMENT_NAME, type Config, type ConfigFile } from './schema.js';
import { interpolateEnv } from './interpolate.js';
import { resolveChangelogs } from './changelog-source.js';
import { readPackageJson } from './package-json.js';
import { CONFIG_FILE_NAMES } from './file-names.js';

export { CONFIG_FILE_NAMES } from './file-names.js';

export interface LoadConfigOptions {
  /** Explicit config file (`--config`); else the first of CONFIG_FILE_NAMES in `cwd`. */
  configFile?: string;
  cwd?: string;
  /** Environment overlay to apply (`--env`); default `dev`. */
  environment?: string;
  /** Environment variables for `${VAR}` interpolation; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Flag values by dotted path (`build.output`), highest precedence. */
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
}

/** Finds the config file: the explicit one, or the first default name in `cwd`. */
export function findConfigFile(opts: Pick<LoadConfigOptions, 'configFile' | 'cwd'>): string {
  const cwd = opts.cwd ?? process.cwd();
  if (opts.configFile) {
    const abs = path.resolve(cwd, opts.configFile);
    if (!existsSync(abs)) {
      throw new SlipwayError('E_CONFIG_NOT_FOUND', `config file not found: ${opts.configFile}`, {
        file: opts.configFile,
        hint: 'Check the --config path, or run `slipway init` to write a starter config.',
      });
    }
    return abs;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const abs = path.join(cwd, name);
    if (existsSync(abs)) return abs;
  }
  throw new SlipwayError('E_CONFIG_NOT_FOUND', `no slipway.config.yaml or slipway.config.json in ${cwd}`, {
    hint: 'Pass --config FILE, or run `slipway init` to write a starter config from the layout it detects.',
  });
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => !!v && typeof v === 'object' && !Array.isArray(v);

/** Deep merge where `over` wins; arrays and scalars replace. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlain(base) || !isPlain(over)) return over === undefined ? base : over;
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function setPath(obj: Plain, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur: Plain = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[keys[keys.length - 1]!] = value;
}

function leafPaths(v: unknown, prefix: string[] = []): string[] {
  if (isPlain(v)) return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...prefix, k]));
  return [prefix.join('.')];
}

/**
 * Loads, interpolates (the chosen environment only), overlays and validates the config, then resolves it
 * (resolveConfig); every problem is reported at once.
 */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const configFile = findConfigFile(opts);
  const rel = path.relative(opts.cwd ?? process.cwd(), configFile) || configFile;
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (cause) {
    throw new SlipwayError('E_CONFIG', `cannot read config file ${rel}`, { file: rel, cause });
  }

  // JSON is YAML, so one parser gives line numbers for both.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    const details = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return `${rel}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`;
    });
    const first = lineCounter.linePos(doc.errors[0]!.pos[0]);
    throw new SlipwayError('E_CONFIG', `${rel}: not valid ${configFile.endsWith('.json') ? 'JSON' : 'YAML'}`, {
      file: rel,
      line: first.line,
      column: first.col,
      details,
    });
  }
  const lineOf = (p: (string | number)[]): number | undefined => {
    const node = doc.getIn(p, true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    return undefined;
  };

  const raw = doc.toJS() as unknown;
  if (!isPlain(raw)) {
    throw new SlipwayError('E_CONFIG', `${rel}: the config must be a mapping of settings`, { file: rel });
  }
  const environment = opts.environment ?? 'dev';
  if (!ENVIRONMENT_NAME.test(environment)) {
    throw new SlipwayError('E_USAGE', `invalid environment name: ${JSON.stringify(environment)}`, {
      hint: 'Use a name like dev, uat, staging or prod.',
    });
  }
  // Only the chosen overlay is interpolated: a variable that only `environments.prod` uses need not be set for dev.
  const rawEnvs = isPlain(raw.environments) ? raw.environments : {};
  const chosen = Object.hasOwn(rawEnvs, environment) ? { environments: { [environment]: rawEnvs[environment] } } : {};
  const { environments: _all, ...base } = raw;
  const { value, interpolations } = interpolateEnv({ ...base, ...chosen }, opts.env ?? process.env, rel);
  const interpolated = value as Plain;
  // The other overlays stay as written; they are never merged, so their unresolved `${VAR}`s cannot leak.
  const fileValue: Plain = isPlain(raw.environments)
    ? { ...interpolated, environments: { ...rawEnvs, ...(interpolated.environments as Plain) } }
    : interpolated;
  const envs = isPlain(fileValue.environments) ? fileValue.environments : {};
  const warnings: string[] = [];
  const overlay = envs[environment];
  if (overlay === undefined && Object.keys(envs).length > 0 && opts.environment !== undefined) {
    throw new SlipwayError('E_CONFIG', `environment "${environment}" is not defined in ${rel}`, {
      file: rel,
      field: 'environments',
      hint: `Defined: ${Object.keys(envs).join(', ')}.`,
    });
  }

  const sources: Record<string, string> = {};
  for (const p of leafPaths(fileValue)) sources[p] = `${rel}:${lineOf(p.split('.')) ?? '?'}`;
  for (const i of interpolations) sources[i.path] = `${sources[i.path] ?? rel} via $${i.vars.join(', $')}`;
  let merged: unknown = fileValue;
  if (isPlain(overlay)) {
    merged = deepMerge(fileValue, overlay);
    for (const p of leafPaths(overlay)) {
      sources[p] =
        `environments.${environment} (${rel}:${lineOf(['environments', environment, ...p.split('.')]) ?? '?'})`;
    }
  }
  for (const [p, v] of Object.entries(opts.overrides ?? {})) {
    if (v === undefined) continue;
    setPath(merged as Plain, p, v);
    sources[p] = 'flag';
  }

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success)
    throw configError(parsed.error, rel, (p) => lineOf(p) ?? lineOf(['environments', environment, ...p]));

  const config = await resolveConfig(parsed.data, { configFile, environment, sources, displayName: rel });
  return { config, warnings };
}

export interface ResolveConfigWhere {
  /** Absolute path of the config file ('' for a config made without one). */
  configFile: string;
  /** Directory relative paths are resolved against; default the config file's directory. */
  configDir?: string;
  environment: string;
  /** Where each value came from (filled in by loadConfig); leaves not named are recorded as `default`. */
  sources?: Record<string, string>;
  /** The config file as messages name it; default configFile. */
  displayName?: string;
}

/**
 * Turns a validated config file into the resolved Config, once: the absolute root, the package.json facts (and the
 * version taken from them when the config names none), and every ChangelogSource. The target settings (blue-green,
 * watch) were validated with the file. Callers below the CLI take this value and never re-read or re-default.
 */
export async function resolveConfig(cfg: ConfigFile, where: ResolveConfigWhere): Promise<Config> {
  const configFile = where.configFile;
  const configDir = where.configDir ?? path.dirname(configFile);
  const rel = where.displayName ?? configFile;
  const sources = { ...(where.sources ?? {}) };
  const rootDir = path.resolve(configDir, cfg.root);
  const packageJson = await readPackageJson(rootDir);
  // A deploy-only host may have neither: the package it deploys carries its version (buildVersion refuses to build).
  const version = cfg.version ?? packageJson.version;
  if (!cfg.version && packageJson.version) sources.version = 'package.json';
  else if (!version) {
    const why = packageJson.problem ? `package.json is ${packageJson.problem}` : 'no version in package.json';
    sources.version = `none: no "version" in ${rel} and ${why}`;
  }
  const changelogs = resolveChangelogs({ rootDir, configDir, configFile, database: cfg.database });
  for (const p of leafPaths(cfg)) if (!(p in sources) && !p.startsWith('environments')) sources[p] = 'default';
  return {
    ...cfg,
    version,
    configFile,
    configDir,
    rootDir,
    environment: where.environment,
    sources,
    packageJson,
    changelogs,
  };
}

/** One error listing every zod issue with its field path and line. */
export function configError(
  error: z.ZodError,
  file: string,
  lineOf: (p: (string | number)[]) => number | undefined,
): SlipwayError {
  const details = error.issues.map((issue) => {
    const p = issue.path.map((x) => (typeof x === 'symbol' ? String(x) : x));
    // For unknown keys zod reports the parent path; name the key itself.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = [...p, ...keys.slice(0, 1)].join('.') || '(root)';
    const line = lineOf(keys.length ? [...p, keys[0]!] : p) ?? lineOf(p);
    return `${file}${line ? `:${line}` : ''}: ${field}: ${issue.message}`;
  });
  const first = error.issues[0];
  return new SlipwayError(
    'E_CONFIG',
    `${file}: invalid config (${error.issues.length} problem${error.issues.length > 1 ? 's' : ''})`,
    {
      file,
      field: first?.path.map(String).join('.'),
      details,
      hint: 'Fix the fields listed; `slipway init` writes a commented example.',
    },
  );
}

/** The version a build stamps on its package: E_CONFIG when the config has none (a deploy-only config). */
export function buildVersion(config: Pick<Config, 'version' | 'configFile' | 'rootDir'>): string {
  if (config.version !== null) return config.version;
  throw new SlipwayError(
    'E_CONFIG',
    `no version to build with: the config has no "version" and no package.json gives one`,
    {
      ...(config.configFile ? { file: config.configFile } : {}),
      field: 'version',
      hint: `Add \`version: 1.0.0\` to the config, or a "version" to ${path.join(config.rootDir, 'package.json')}.`,
    },
  );
}
