/** Root-relative path handling shared by the changelog and psql parsers. */
import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { SlipwayError } from '../../errors.js';

/**
 * Normalises `p` (forward slashes, no `./`, `..` resolved) and checks it stays inside the root.
 * Throws E_CHANGELOG naming the referring file:line otherwise.
 */
export function resolveInside(
  rootDir: string,
  p: string,
  fromFile: string,
  line: number,
  written = p,
  searchPath = false,
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
    throw escapeError(written, fromFile, line);
  }
  const norm = path.posix.normalize(slashed).replace(/^(\.\/)+/, '');
  if (norm === '..' || norm.startsWith('../')) throw escapeError(written, fromFile, line);
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
  line: number,
  relativeToChangelogFile: boolean,
  searchPath = false,
): string {
  const p = referencedPath(fromFile, written, relativeToChangelogFile);
  return resolveInside(rootDir, p, fromFile, line, written, searchPath);
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
  line: number,
  written = rel,
  dirs?: RealDirs,
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
  throw escapeError(written, fromFile, line, ' through a symbolic link');
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

function escapeError(p: string, fromFile: string, line: number, how = ''): SlipwayError {
  return new SlipwayError('E_CHANGELOG', `Path "${p}" leaves the project root${how}`, {
    file: fromFile,
    line,
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
 * How Liquibase 4.28 compares a changeset's path with a recorded or written one (RanChangeSet.isSameAs for
 * changeSetExecuted, DatabaseChangeLog.getChangeSet for a reused rollback): both normalised (normalizeLogicalPath:
 * forward slashes, "classpath:" and "./" dropped, doubled slashes made one), one leading "/" dropped, and compared
 * ignoring case. This is the key both sides are reduced to; changeSetPathKeySql is the same in SQL.
 */
export function changeSetPathKey(p: string): string {
  return normalizeLogicalPath(p).replace(/^\//, '').toLowerCase();
}

/** changeSetPathKey as a SQL expression over `expr` (a FILENAME column), for checks made when the package runs. */
export function changeSetPathKeySql(expr: string): string {
  const slashed = `replace(${expr}, '\\', '/')`;
  const noPrefix = `regexp_replace(regexp_replace(${slashed}, '^classpath\\*?:', ''), '^(\\./)+', '')`;
  return `lower(regexp_replace(regexp_replace(${noPrefix}, '/{2,}', '/', 'g'), '^/', ''))`;
}

/** Liquibase DatabaseChangeLog.normalizePath: forward slashes, no leading "./" or "classpath:". */
export function normalizeLogicalPath(p: string): string {
  // What each replacement below needs; a path with none of them (most) is returned without the four passes.
  if (!p.includes('\\') && !p.includes('//') && !p.startsWith('./') && !p.startsWith('classpath')) return p;
  return p
    .replace(/\\/g, '/')
    .replace(/^classpath\*?:/, '')
    .replace(/^(\.\/)+/, '')
    .replace(/\/\/+/g, '/');
}
