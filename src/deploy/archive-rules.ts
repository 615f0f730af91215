/**
 * The rules every package entry must pass, for `slipway validate` and for deploy alike (one archive inspector:
 * src/deploy/scan-archive.ts reads, these rules judge). Pure functions; the problem codes are listed in
 * docs/errors.md ("Package problems").
 */
import path from 'node:path';

/** Extraction limits (config.deploy.targets.X.limits). Sizes are the sizes the tar headers declare. */
export interface ExtractLimits {
  maxEntries: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  maxPathLength: number;
}

export const DEFAULT_LIMITS: ExtractLimits = {
  maxEntries: 20_000,
  maxFileBytes: 512 * 1024 * 1024,
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
  maxPathLength: 1024,
};

/** One reason an archive is refused; `code` is stable (docs/errors.md) for tests and `--json`. */
export interface ArchiveProblem {
  code: string;
  message: string;
  path?: string;
}

/** The header fields the rules look at. */
export interface EntryHeader {
  path: string;
  type: string;
  size: number;
  mode: number | undefined;
  linkpath: string | undefined;
}

const ALLOWED_TYPES = new Set(['File', 'Directory', 'SymbolicLink']);

/** Normalises a tar path (`./a/b/` → `a/b`) or returns a problem. Pure; only `/` separators are accepted. */
export function normalizeEntryPath(raw: string, limits: ExtractLimits): { path: string } | ArchiveProblem {
  const p = raw;
  if (p.length === 0) return { code: 'EMPTY_PATH', message: 'entry with an empty name' };
  if (p.includes('\0')) return { code: 'NUL_IN_PATH', message: 'entry name contains a NUL byte', path: p };
  // eslint-disable-next-line no-control-regex
  if (/[\x01-\x1f\x7f]/.test(p))
    return { code: 'CONTROL_CHAR', message: 'entry name contains a control character', path: p };
  if (p.includes('\\'))
    return { code: 'BACKSLASH', message: 'entry name contains a backslash (Windows separator)', path: p };
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p))
    return { code: 'ABSOLUTE_PATH', message: `absolute path ${p}`, path: p };
  if (Buffer.byteLength(p) > limits.maxPathLength) {
    return {
      code: 'PATH_TOO_LONG',
      message: `entry name longer than ${limits.maxPathLength} bytes`,
      path: p.slice(0, 80) + '…',
    };
  }
  let rel = p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (rel === '' || rel === '.') rel = '.';
  const segments = rel.split('/');
  if (segments.includes('..')) return { code: 'TRAVERSAL', message: `path traversal (..) in ${p}`, path: p };
  if (rel !== '.' && (segments.includes('.') || segments.includes(''))) {
    return { code: 'UNNORMALIZED_PATH', message: `non-canonical path ${p}`, path: p };
  }
  if (segments.some((s) => Buffer.byteLength(s) > 255))
    return { code: 'NAME_TOO_LONG', message: 'a path segment is longer than 255 bytes', path: p.slice(0, 80) + '…' };
  return { path: rel };
}

function typeProblemCode(type: string): string {
  if (type === 'Link') return 'HARDLINK';
  if (type === 'CharacterDevice' || type === 'BlockDevice') return 'DEVICE';
  if (type === 'FIFO') return 'FIFO';
  return 'BAD_ENTRY_TYPE';
}

/** Checks one entry header against the rules (type, path, mode, symlink text, declared size). Pure. */
export function checkEntry(h: EntryHeader, limits: ExtractLimits): { path: string } | ArchiveProblem {
  const norm = normalizeEntryPath(h.path, limits);
  if ('code' in norm) return norm;
  const p = norm.path;
  if (!ALLOWED_TYPES.has(h.type)) {
    return {
      code: typeProblemCode(h.type),
      message: `${p} is a ${h.type} entry; only files, directories and symlinks are allowed`,
      path: p,
    };
  }
  const mode = h.mode ?? 0;
  if (mode & 0o4000) return { code: 'SETUID', message: `setuid bit on ${p}`, path: p };
  if (mode & 0o2000) return { code: 'SETGID', message: `setgid bit on ${p}`, path: p };
  if (mode & 0o1000) return { code: 'STICKY', message: `sticky bit on ${p}`, path: p };
  if (h.size < 0 || !Number.isSafeInteger(h.size))
    return { code: 'BAD_SIZE', message: `invalid size on ${p}`, path: p };
  if (h.size > limits.maxFileBytes) {
    return {
      code: 'FILE_TOO_LARGE',
      message: `${p} declares ${h.size} bytes, over the ${limits.maxFileBytes}-byte limit (limits.maxFileBytes)`,
      path: p,
    };
  }
  if (h.type === 'SymbolicLink') {
    const problem = checkSymlinkTarget(p, h.linkpath ?? '');
    if (problem) return problem;
  }
  if (p === '.' && h.type !== 'Directory')
    return { code: 'ROOT_ENTRY', message: 'the archive root is not a directory' };
  return { path: p };
}

/** The mode an entry gets on disk whatever the archive says: 0755 for directories and executables, else 0644. */
export function normalizedMode(type: string, archiveMode: number): number {
  if (type === 'Directory') return 0o755;
  return archiveMode & 0o111 ? 0o755 : 0o644;
}

/** The text of a symlink target: relative, and not leaving the tree when read on its own (see resolveLink too). */
export function checkSymlinkTarget(p: string, target: string): ArchiveProblem | null {
  if (!target) return { code: 'SYMLINK_EMPTY', message: `symlink ${p} has no target`, path: p };
  if (target.includes('\0') || target.includes('\\'))
    return { code: 'SYMLINK_BAD_TARGET', message: `symlink ${p} has an invalid target`, path: p };
  if (target.startsWith('/'))
    return { code: 'SYMLINK_ABSOLUTE', message: `symlink ${p} points to absolute path ${target}`, path: p };
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(p), target));
  if (resolved === '..' || resolved.startsWith('../')) {
    return { code: 'SYMLINK_ESCAPE', message: `symlink ${p} -> ${target} leaves the release directory`, path: p };
  }
  return null;
}

const MAX_LINK_HOPS = 40; // Linux's MAXSYMLINKS

/**
 * Resolves symlink `p` the way the kernel will inside the release: component by component, following every link
 * of the tree it meets (`readLink` returns the target of a tree path that is a symlink). A chain whose text looks
 * harmless link by link (`a -> ..`, `b -> a/..`) is caught because `..` after a followed link climbs from the
 * link's target, not from its text. Paths in `external` (shared paths, linked outside the release by the deploy)
 * may be entered but never climbed out of. Returns null when the link stays inside.
 */
export function resolveLink(
  p: string,
  readLink: (treePath: string) => string | undefined,
  external: ReadonlySet<string> = new Set(),
): ArchiveProblem | null {
  const first = readLink(p);
  if (first === undefined) return null;
  const stack = p.split('/').slice(0, -1);
  const queue = first.split('/');
  let hops = 1;
  let outsideDepth: number | null = null; // depth below an external path once the walk entered one
  while (queue.length) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (outsideDepth !== null) {
      outsideDepth += c === '..' ? -1 : 1;
      if (outsideDepth < 0) return escape(p, first, 'climbs out of a shared path');
      continue;
    }
    if (c === '..') {
      if (stack.length === 0) return escape(p, first, 'climbs above the release root');
      stack.pop();
      continue;
    }
    const here = [...stack, c].join('/');
    if (external.has(here)) {
      outsideDepth = 0;
      continue;
    }
    const target = readLink(here);
    if (target === undefined) {
      stack.push(c);
      continue;
    }
    if (++hops > MAX_LINK_HOPS)
      return { code: 'SYMLINK_LOOP', message: `symlink ${p} does not resolve (more than 40 links)`, path: p };
    if (target.startsWith('/')) return escape(p, first, `reaches absolute link ${here} -> ${target}`);
    queue.unshift(...target.split('/'));
  }
  return null;
}

function escape(p: string, target: string, how: string): ArchiveProblem {
  return {
    code: 'SYMLINK_ESCAPE',
    message: `symlink ${p} -> ${target} leaves the release directory when resolved (${how})`,
    path: p,
  };
}

/** Ancestors of a normalised path, nearest last (`a/b/c` → `a`, `a/b`). */
export function ancestorsOf(p: string): string[] {
  const parts = p.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/**
 * Tracks the tree an archive would produce and refuses duplicates, a file/symlink where a directory is needed,
 * and any entry below a symlink (the classic "symlink, then a file through it" escape).
 */
export class TreeTracker {
  private readonly kinds = new Map<string, 'dir' | 'file' | 'symlink'>();
  private readonly explicit = new Set<string>();

  add(p: string, type: string): ArchiveProblem | null {
    for (const a of ancestorsOf(p)) {
      const k = this.kinds.get(a);
      if (k === 'symlink')
        return { code: 'THROUGH_SYMLINK', message: `${p} would be written through symlink ${a}`, path: p };
      if (k === 'file') return { code: 'PARENT_IS_FILE', message: `${p} is below file ${a}`, path: p };
    }
    const kind = type === 'Directory' ? 'dir' : type === 'SymbolicLink' ? 'symlink' : 'file';
    if (this.explicit.has(p)) return { code: 'DUPLICATE_ENTRY', message: `${p} appears more than once`, path: p };
    const seen = this.kinds.get(p);
    if (seen && seen !== kind)
      return { code: 'TYPE_CONFLICT', message: `${p} is both a directory and a ${kind}`, path: p };
    for (const a of ancestorsOf(p)) if (!this.kinds.has(a)) this.kinds.set(a, 'dir');
    this.kinds.set(p, kind);
    this.explicit.add(p);
    return null;
  }

  /** What the tree holds at `p`, if anything. */
  kindOf(p: string): 'dir' | 'file' | 'symlink' | undefined {
    return this.kinds.get(p);
  }
}
