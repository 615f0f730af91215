import path from 'node:path';

/** Extraction limits (config.deploy.targets.X.limits). */
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

/** One reason an archive is refused; `code` is stable for tests and `--json`. */
export interface ArchiveProblem {
  code: string;
  message: string;
  path?: string;
}

/** The header fields the rules look at (node-tar ReadEntry has them all). */
export interface EntryHeader {
  path: string;
  type: string;
  size: number;
  mode: number | undefined;
  linkpath: string | undefined;
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'Directory', 'SymbolicLink']);

/** Normalises a tar path (`./a/b/` → `a/b`) or returns a problem. Pure; only `/` separators are accepted. */
export function normalizeEntryPath(raw: string, limits: ExtractLimits): { path: string } | ArchiveProblem {
  const p = raw;
  if (p.length === 0) return { code: 'empty-path', message: 'entry with an empty name' };
  if (p.includes('\0')) return { code: 'nul-in-path', message: 'entry name contains a NUL byte', path: p };
  // eslint-disable-next-line no-control-regex
  if (/[\x01-\x1f\x7f]/.test(p))
    return { code: 'control-char', message: 'entry name contains a control character', path: p };
  if (p.includes('\\'))
    return { code: 'backslash', message: 'entry name contains a backslash (Windows separator)', path: p };
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p))
    return { code: 'absolute-path', message: `absolute path ${p}`, path: p };
  if (Buffer.byteLength(p) > limits.maxPathLength) {
    return {
      code: 'path-too-long',
      message: `entry name longer than ${limits.maxPathLength} bytes`,
      path: p.slice(0, 80) + '…',
    };
  }
  let rel = p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (rel === '' || rel === '.') rel = '.';
  const segments = rel.split('/');
  if (segments.includes('..')) return { code: 'traversal', message: `path traversal (..) in ${p}`, path: p };
  if (rel !== '.' && (segments.includes('.') || segments.includes(''))) {
    return { code: 'unnormalized-path', message: `non-canonical path ${p}`, path: p };
  }
  if (segments.some((s) => Buffer.byteLength(s) > 255))
    return { code: 'name-too-long', message: 'a path segment is longer than 255 bytes', path: p.slice(0, 80) + '…' };
  return { path: rel };
}

/** Checks one entry header against the rules (type, path, mode, symlink target, size). Pure. */
export function checkEntry(h: EntryHeader, limits: ExtractLimits): { path: string } | ArchiveProblem {
  const norm = normalizeEntryPath(h.path, limits);
  if ('code' in norm) return norm;
  const p = norm.path;
  if (!ALLOWED_TYPES.has(h.type)) {
    const kind =
      h.type === 'Link'
        ? 'hardlink'
        : h.type === 'CharacterDevice' || h.type === 'BlockDevice'
          ? 'device'
          : h.type === 'FIFO'
            ? 'fifo'
            : 'type';
    return { code: kind, message: `${h.type} entries are not allowed (only files, directories and symlinks)`, path: p };
  }
  const mode = h.mode ?? 0;
  if (mode & 0o4000) return { code: 'setuid', message: `setuid bit on ${p}`, path: p };
  if (mode & 0o2000) return { code: 'setgid', message: `setgid bit on ${p}`, path: p };
  if (mode & 0o1000) return { code: 'sticky', message: `sticky bit on ${p}`, path: p };
  if (h.size > limits.maxFileBytes) {
    return {
      code: 'file-too-large',
      message: `${p} declares ${h.size} bytes, over the ${limits.maxFileBytes}-byte limit`,
      path: p,
    };
  }
  if (h.size < 0 || !Number.isFinite(h.size)) return { code: 'bad-size', message: `invalid size on ${p}`, path: p };
  if (h.type === 'SymbolicLink') {
    const problem = checkSymlinkTarget(p, h.linkpath ?? '');
    if (problem) return problem;
  }
  if (p === '.' && h.type !== 'Directory')
    return { code: 'root-entry', message: 'the archive root is not a directory' };
  return { path: p };
}

/** A symlink must be relative and resolve inside the tree. */
export function checkSymlinkTarget(p: string, target: string): ArchiveProblem | null {
  if (!target) return { code: 'symlink-empty', message: `symlink ${p} has no target`, path: p };
  if (target.includes('\0') || target.includes('\\'))
    return { code: 'symlink-bad-target', message: `symlink ${p} has an invalid target`, path: p };
  if (target.startsWith('/'))
    return { code: 'symlink-absolute', message: `symlink ${p} points to absolute path ${target}`, path: p };
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(p), target));
  if (resolved === '..' || resolved.startsWith('../')) {
    return { code: 'symlink-escape', message: `symlink ${p} -> ${target} leaves the release directory`, path: p };
  }
  return null;
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
        return { code: 'through-symlink', message: `${p} would be written through symlink ${a}`, path: p };
      if (k === 'file') return { code: 'parent-is-file', message: `${p} is below file ${a}`, path: p };
    }
    const kind = type === 'Directory' ? 'dir' : type === 'SymbolicLink' ? 'symlink' : 'file';
    if (this.explicit.has(p)) return { code: 'duplicate', message: `duplicate entry ${p}`, path: p };
    const seen = this.kinds.get(p);
    if (seen && seen !== kind)
      return { code: 'type-conflict', message: `${p} is both a directory and a ${kind}`, path: p };
    for (const a of ancestorsOf(p)) if (!this.kinds.has(a)) this.kinds.set(a, 'dir');
    this.kinds.set(p, kind);
    this.explicit.add(p);
    return null;
  }
}
