/** Root-relative path handling shared by the changelog and psql parsers. */
import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { SlipwayError } from '../../errors.js';

/** A 1-based line, or a function giving it (called only when an error needs it). */
export type Line = number | (() => number);

/**
 * Normalises `p` (forward slashes, no `./`, `..` resolved) and checks it stays inside the root.
 * Throws E_CHANGELOG naming the referring file:line otherwise (and `field`, the attribute that holds the path, whose
 * value `line` is where). `line` may be a function, called only for the error: finding a YAML value's line is work
 * every include would otherwise do (callgrind: V8 optimising value-lines.ts' code, ~3 % of gravitee's package).
 */
export function resolveInside(
  rootDir: string,
  p: string,
  fromFile: string,
  line: Line,
  written = p,
  searchPath = false,
  field?: string,
): string {
  let slashed = p.replace(/\\/g, '/');
  // Liquibase looks every path up in its search path, whose directory accessors drop the leading "/":
  // include file="/db/a.xml" is <root>/db/a.xml, recorded as db/a.xml (measured, 4.28). So is a filesystem path
  // that happens to point inside the root: file="/abs/root/db/a.xml" is <root>/abs/root/db/a.xml, which Liquibase
  // does not find ("was not found in the configured search path"; measured, 4.28).
  if (searchPath && slashed.startsWith('/')) slashed = slashed.replace(/^\/+/, '');
  else if (path.posix.isAbsolute(slashed) || /^[A-Za-z]:\//.test(slashed)) {
    const rel = path.relative(rootDir, slashed).split(path.sep).join('/');
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
    throw escapeError(written, fromFile, line, field);
  }
  const norm = path.posix.normalize(slashed).replace(/^(\.\/)+/, '');
  if (norm === '..' || norm.startsWith('../')) throw escapeError(written, fromFile, line, field);
  return norm.replace(/\/$/, '');
}

/**
 * The file a changelog element names (include `file`, sqlFile `path`, property `file`): beside the referring
 * changelog when `relativeToChangelogFile` is set, else from the root (the search path); checked by resolveInside.
 * `searchPath`: a Liquibase reference, where "/x" outside the root means <root>/x (psql's \\i reads real paths).
 */
export function resolveReferenced(
  rootDir: string,
  written: string,
  fromFile: string,
  line: Line,
  relativeToChangelogFile: boolean,
  searchPath = false,
  field?: string,
): string {
  const p = referencedPath(fromFile, written, relativeToChangelogFile);
  return resolveInside(rootDir, p, fromFile, line, written, searchPath, field);
}

/** `written` as a root-relative path: beside `fromFile` when relative (not yet checked to stay inside the root). */
export function referencedPath(fromFile: string, written: string, relative: boolean): string {
  return relative ? path.posix.join(path.posix.dirname(fromFile), written) : written;
}

const realRoots = new Map<string, string>();

/**
 * Real paths of the folders one parse has met (absolute folder → its realpath). A parse passes one to readablePath so
 * that each file costs one lstat, not a realpath: glibc's realpath reads every component of the path (~7 readlink
 * calls a file under a deep root, 350 per build of the edp-ddm registry unit). Made per parse, never shared: a folder
 * replaced by a link between two builds is seen by the next one.
 */
export type RealDirs = Map<string, string>;

/**
 * The file to read for root-relative `rel` (already checked by resolveInside): its real path, refused like `../`
 * when a symbolic link on the way (the file, or a folder above it) leads outside the root, so a changelog tree from
 * someone else cannot pull ~/.ssh or /etc into a package through a link. The project scan skips such links too
 * (src/fileset/walk.ts). A path that does not resolve is returned under the root unchanged, for the caller's own
 * "not found" error. `dirs`: the parse's RealDirs (same answer, fewer system calls).
 */
export function readablePath(
  rootDir: string,
  rel: string,
  fromFile: string,
  line: Line,
  written = rel,
  dirs?: RealDirs,
  field?: string,
): string {
  const abs = path.join(rootDir, rel);
  const real = dirs ? realPathVia(abs, dirs) : realPathOrNull(abs);
  if (real === null) return abs;
  let root = realRoots.get(rootDir);
  if (root === undefined) {
    root = realPathOrNull(rootDir) ?? path.resolve(rootDir);
    realRoots.set(rootDir, root);
  }
  // Both are real paths (absolute, normalised): a prefix test says what path.relative did, without its two
  // path.resolve calls per file (~0.3 M instructions a build of the registry unit, callgrind).
  if (real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) return real;
  throw escapeError(written, fromFile, line, field, ' through a symbolic link');
}

function realPathOrNull(abs: string): string | null {
  try {
    return realpathSync.native(abs);
  } catch {
    return null;
  }
}

/**
 * realpath(abs) from its folder's cached real path: a name that is no symbolic link (lstat) is the real folder plus
 * that name, as realpath resolves it; a link is resolved whole.
 */
function realPathVia(abs: string, dirs: RealDirs): string | null {
  let link: boolean;
  try {
    link = lstatSync(abs).isSymbolicLink();
  } catch {
    return null;
  }
  if (link) return realPathOrNull(abs);
  // `abs` is normalised (path.join), so its folder and name are the two sides of its last separator.
  const cut = abs.lastIndexOf(path.sep);
  const dir = cut > 0 ? abs.slice(0, cut) : path.sep;
  let realDir = dirs.get(dir);
  if (realDir === undefined) {
    const r = realPathOrNull(dir);
    if (r === null) return null;
    dirs.set(dir, (realDir = r));
  }
  return (realDir.endsWith(path.sep) ? realDir : realDir + path.sep) + abs.slice(cut + 1);
}

function escapeError(p: string, fromFile: string, line: Line, field: string | undefined, how = ''): SlipwayError {
  return new SlipwayError('E_CHANGELOG', `Path "${p}" leaves the project root${how}`, {
    file: fromFile,
    line: typeof line === 'function' ? line() : line,
    ...(field !== undefined ? { field } : {}),
    hint: 'Keep changelogs and SQL files under the root directory (the Liquibase search path).',
  });
}

/**
 * The FILENAME Liquibase 4.28 records for a `logicalFilePath` written on an XML/YAML/JSON `databaseChangeLog` or
 * `changeSet`: backslashes turned into forward slashes and one leading "/" dropped, nothing else ("classpath:", "./"
 * and inner "//" stay as written): `/var/vcap/db/x.yml` is recorded `var/vcap/db/x.yml`, `//x.xml` `/x.xml`,
 * `\db\x.xml` `db/x.xml`. Measured with `liquibase update` (test/integration/db-logical-file-path-oracle.test.ts).
 */
export function recordedLogicalFilePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\//, '');
}

/**
 * The FILENAME Liquibase 4.28 records for a formatted SQL `logicalFilePath:` (file header or changeset line): the
 * path normalised as for a physical path (normalizeLogicalPath, which also takes "classpath:", "./" and doubled
 * slashes off), then one leading "/" dropped: `//abs/f.sql` is recorded `abs/f.sql` (measured, same test).
 */
export function recordedFormattedLogicalFilePath(p: string): string {
  return normalizeLogicalPath(p).replace(/^\//, '');
}

/**
 * Liquibase 4.28's DatabaseChangeLog.normalizePath, the form it compares changeset paths and recorded FILENAMEs in:
 * a leading "classpath:" dropped, backslashes made "/", a Windows drive ("C:") and then one leading "/" dropped, then
 * commons-io's FilenameUtils.normalizeNoEndSeparator (doubled slashes made one, "." segments dropped, "x/.." pairs
 * resolved, leading ".." kept, no trailing "/"). Checked against Liquibase's own normalizePath on 48 forms
 * (test/unit/db/history-path-key.test.ts). One difference, shared with the SQL form: nesting of ".." deeper than
 * PARENT_PASSES levels is left as written. `classpath*:` and case stay.
 */
export function normalizeChangeLogPath(p: string): string {
  if (!NEEDS_NORMALISING.test(p)) return p;
  for (const [re, to] of NORMALISE_STEPS) p = p.replace(re, to);
  return p;
}

/** normalizeChangeLogPath as a SQL expression over `expr` (same steps; PostgreSQL regular expressions). */
export function normalizeChangeLogPathSql(expr: string): string {
  return `CASE WHEN ${expr} ~ '${NEEDS_NORMALISING.source}' THEN ${normaliseStepsSql(expr)} ELSE ${expr} END`;
}

function normaliseStepsSql(expr: string): string {
  let sql = expr;
  for (const [re, to] of NORMALISE_STEPS) {
    // JavaScript's "$1" is PostgreSQL's "\1"; standard_conforming_strings (on by default) keeps "\" as written.
    sql = `regexp_replace(${sql}, '${re.source}', '${to.replace(/\$(\d)/g, '\\$1')}'${re.global ? ", 'g'" : ''})`;
  }
  return sql;
}

/**
 * The path part of the key Liquibase 4.28 finds a recorded row by, `normalizePath(FILENAME)::ID::AUTHOR` with ID and
 * AUTHOR as written (ShouldRunChangeSetFilter for update and status, ValidatingVisitor for the checksum check):
 * StandardChangeLogHistoryService normalises FILENAME when it reads the row and RanChangeSet's key normalises it
 * again, so `//db/x.xml` is found as `db/x.xml` (measured: test/integration/db-history-foreign-paths-oracle.test.ts).
 * A changeset's own side is normalised once: normalizeChangeLogPath(cs.filename). In SQL: recordedPathKeySql in
 * render-bookkeeping.ts, through the session function made of normalizeChangeLogPathSql.
 */
export function recordedPathKey(filename: string): string {
  return normalizeChangeLogPath(normalizeChangeLogPath(filename));
}

/**
 * How Liquibase 4.28 compares a changeset's path with a recorded or written one ignoring case (RanChangeSet.isSameAs
 * for changeSetExecuted, DatabaseChangeLog.getChangeSets for a reused rollback and for the history rows a rollback
 * undoes): normalizeChangeLogPath, lower-cased. A recorded FILENAME's side is recordedPathKey lower-cased.
 */
export function changeSetPathKey(p: string): string {
  return normalizeChangeLogPath(p).toLowerCase();
}

/** How many nested ".." levels normalizeChangeLogPath (and its SQL form) resolve; deeper ones are left as written. */
const PARENT_PASSES = 8;

/**
 * What normalizeChangeLogPath would change: ":" (classpath:, a drive), "\", a leading or trailing "/", "//", a
 * segment starting with "." — a path without any of them is its own normal form (one test, not twelve passes).
 */
const NEEDS_NORMALISING = /[:\\]|^\/|\/\/|\/$|(^|\/)\./;

/**
 * The steps, in Liquibase's order; written once for both forms (JavaScript and PostgreSQL read these expressions
 * alike: lookahead, lookbehind, non-capturing groups; no "'" in them). FilenameUtils keeps a leading run of "/" (its
 * prefix), so only runs after another character are made one.
 */
const NORMALISE_STEPS: readonly (readonly [RegExp, string])[] = [
  [/^classpath:/, ''],
  [/\\/g, '/'],
  [/^[A-Za-z]:/, ''],
  [/^\//, ''],
  [/([^/])\/{2,}/g, '$1/'],
  [/(?:^|(?<=\/))\.(?:\/|$)/g, ''],
  ...Array.from({ length: PARENT_PASSES }, () => [/(?:^|(?<=\/))(?!\.\.(?:\/|$))[^/]+\/\.\.(?:\/|$)/g, ''] as const),
  [/(.)\/$/, '$1'],
];

/**
 * The path Slipway records for a changelog file it read (its root-relative path): forward slashes, no leading "./"
 * or "classpath:" / "classpath*:", doubled slashes made one. Matching a recorded path is normalizeChangeLogPath's.
 */
export function normalizeLogicalPath(p: string): string {
  // What each replacement below needs; a path with none of them (most) is returned without the four passes.
  if (!p.includes('\\') && !p.includes('//') && !p.startsWith('./') && !p.startsWith('classpath')) return p;
  return p
    .replace(/\\/g, '/')
    .replace(/^classpath\*?:/, '')
    .replace(/^(\.\/)+/, '')
    .replace(/\/\/+/g, '/');
}
