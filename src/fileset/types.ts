import type { ComponentName } from '../config/sections/build.js';

/**
 * One file of a build. Content always lives on disk (`absPath`) so that a 100k-file tree is streamed, never held in
 * memory: compiled outputs are written to the content-addressed compile cache and point there.
 */
export interface FileEntry {
  /** POSIX path inside the package, e.g. `application/web/js/app.js` (no leading slash, no `..`). */
  path: string;
  /** POSIX path of the source relative to the project root, e.g. `src/web/js/app.js`. */
  sourcePath: string;
  /** Absolute path of the bytes to pack (the source, or the compiled output in the cache). */
  absPath: string;
  size: number;
  /** Only two modes are ever packed, for reproducibility. */
  mode: 0o644 | 0o755;
  component: ComponentName;
  /** Hex SHA-256 of the bytes at absPath, once computed. */
  sha256?: string;
  /** Size of the source before compile (for the size report); equals size when untouched. */
  sourceSize?: number;
}

/** Files sorted by `path` in byte order (the archive order). */
export interface FileSet {
  rootDir: string;
  files: FileEntry[];
}

/** pass/warn/fail with a reason, for stage checks and compile findings. */
export interface CheckResult {
  name: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  reason: string;
  ms?: number;
}

/** Byte-order comparison (not locale) for archive ordering. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
