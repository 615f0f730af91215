/** Root-relative path handling shared by the changelog and psql parsers. */
import { realpathSync } from 'node:fs';
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
 * The file to read for root-relative `rel` (already checked by resolveInside): its real path, refused like `../`
 * when a symbolic link on the way (the file, or a folder above it) leads outside the root, so a changelog tree from
 * someone else cannot pull ~/.ssh or /etc into a package through a link. The project scan skips such links too
 * (src/fileset/walk.ts). A path that does not resolve is returned under the root unchanged, for the caller's own
 * "not found" error.
 */
export function readablePath(rootDir: string, rel: string, fromFile: string, line: number, written = rel): string {
  const abs = path.join(rootDir, rel);
  let real: string;
  try {
    real = realpathSync.native(abs);
  } catch {
    return abs;
  }
  let root = realRoots.get(rootDir);
  if (root === undefined) {
    try {
      root = realpathSync.native(rootDir);
    } catch {
      root = path.resolve(rootDir);
    }
    realRoots.set(rootDir, root);
  }
  const inside = path.relative(root, real);
  if (inside !== '..' && !inside.startsWith(`..${path.sep}`) && !path.isAbsolute(inside)) return real;
  throw escapeError(written, fromFile, line, ' through a symbolic link');
}

function escapeError(p: string, fromFile: string, line: number, how = ''): SlipwayError {
  return new SlipwayError('E_CHANGELOG', `Path "${p}" leaves the project root${how}`, {
    file: fromFile,
    line,
    hint: 'Keep changelogs and SQL files under the root directory (the Liquibase search path).',
  });
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
