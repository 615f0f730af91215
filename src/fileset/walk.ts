import { readdir, readFile } from 'node:fs/promises';
import { lstatSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** One regular file met while walking (content is never read here). */
export interface WalkFile {
  /** POSIX path relative to the root. */
  rel: string;
  abs: string;
  size: number;
  mode: number;
  /** Ignored by a .gitignore (or inside `.git/`): never packaged, still counted in the inventory. */
  ignored: boolean;
}

export interface WalkOptions {
  rootDir: string;
  /** Honour .gitignore files (root and nested). */
  gitignore: boolean;
  /** Relative directories never entered (Slipway's own output). */
  skipDirs: ReadonlySet<string>;
  onFile: (file: WalkFile) => void;
  /** A path that could not be read (broken link, EACCES…); the caller decides whether that is fatal. */
  onProblem: (rel: string, ignored: boolean, message: string) => void;
  onWarning: (message: string) => void;
}

interface IgnoreLayer {
  /** Directory of the .gitignore, relative to the root, with a trailing slash ('' for the root). */
  prefix: string;
  ig: Ignore;
}

interface DirItem {
  abs: string;
  rel: string;
  /** Real path, for symlink loop detection. */
  real: string;
  ignored: boolean;
  layers: IgnoreLayer[];
}

/** Git semantics: the deepest .gitignore that has an opinion wins; `!pattern` re-includes. */
function isGitIgnored(layers: IgnoreLayer[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { prefix, ig } of layers) {
    const r = ig.test(rel.slice(prefix.length) + (isDir ? '/' : ''));
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

function isInside(realRoot: string, target: string): boolean {
  return target === realRoot || target.startsWith(realRoot + path.sep);
}

/**
 * Walks the whole tree once, depth first, calling `onFile` for every regular file (ignored ones too, for the
 * inventory). Symlinks are followed only when they resolve inside the root; otherwise a warning names them.
 */
export async function walkTree(opts: WalkOptions): Promise<void> {
  const realRoot = realpathSync(opts.rootDir);
  const stack: DirItem[] = [{ abs: opts.rootDir, rel: '', real: realRoot, ignored: false, layers: [] }];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(dir.abs, { withFileTypes: true });
    } catch (e) {
      opts.onProblem(dir.rel + '/', dir.ignored, `cannot read directory: ${(e as Error).message}`);
      continue;
    }
    let layers = dir.layers;
    if (opts.gitignore && !dir.ignored && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      const rel = dir.rel ? `${dir.rel}/.gitignore` : '.gitignore';
      try {
        const text = await readFile(path.join(dir.abs, '.gitignore'), 'utf8');
        layers = [...layers, { prefix: dir.rel ? dir.rel + '/' : '', ig: ignore().add(text) }];
      } catch (e) {
        opts.onProblem(rel, false, `cannot read: ${(e as Error).message}`);
      }
    }
    // Synchronous stats within one directory: a few µs each, against ~50 µs per promise round trip through the
    // thread pool (measured on 100k files); the async readdir between directories keeps the event loop turning.
    for (const e of entries) visitEntry(e, dir, layers, realRoot, stack, opts);
  }
}

function visitEntry(
  entry: Dirent,
  dir: DirItem,
  layers: IgnoreLayer[],
  realRoot: string,
  stack: DirItem[],
  opts: WalkOptions,
): void {
  const rel = dir.rel ? `${dir.rel}/${entry.name}` : entry.name;
  const abs = path.join(dir.abs, entry.name);
  let real = path.join(dir.real, entry.name);
  let st: Stats | undefined;
  let isDir: boolean;
  let isSymlink = false;
  try {
    if (entry.isSymbolicLink()) {
      isSymlink = true;
      try {
        real = realpathSync(abs);
      } catch (e) {
        const ignored = dir.ignored || isGitIgnored(layers, rel, false);
        opts.onProblem(rel, ignored, `broken symlink: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        return;
      }
      if (!isInside(realRoot, real)) {
        opts.onWarning(`${rel}: symlink points outside the project root (${real}); skipped`);
        return;
      }
      st = statSync(abs);
      isDir = st.isDirectory();
    } else if (entry.isDirectory()) {
      isDir = true; // no stat needed: directories have no size of their own in the inventory
    } else if (entry.isFile()) {
      st = lstatSync(abs);
      isDir = false;
    } else {
      opts.onWarning(`${rel}: not a regular file or directory; skipped`);
      return;
    }
  } catch (e) {
    opts.onProblem(rel, dir.ignored, `cannot stat: ${(e as Error).message}`);
    return;
  }
  if (isDir) {
    if (opts.skipDirs.has(rel)) return;
    if (isSymlink && (dir.real === real || dir.real.startsWith(real + path.sep))) {
      opts.onWarning(`${rel}: symlink loop (points at an ancestor directory); skipped`);
      return;
    }
    // git never tracks its own directory, and nothing below an ignored directory can be re-included.
    const ignored = dir.ignored || entry.name === '.git' || (opts.gitignore && isGitIgnored(layers, rel, true));
    stack.push({ abs, rel, real, ignored, layers });
    return;
  }
  if (!st?.isFile()) {
    opts.onWarning(`${rel}: not a regular file; skipped`);
    return;
  }
  // A `.git` file (worktree/submodule pointer) is git's own, like the directory.
  const ignored = dir.ignored || entry.name === '.git' || (opts.gitignore && isGitIgnored(layers, rel, false));
  opts.onFile({ rel, abs, size: st.size, mode: st.mode, ignored });
}
