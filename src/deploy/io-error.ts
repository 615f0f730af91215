import { SlipwayError } from '../errors.js';

/** errno codes that mean the disk or filesystem refused, not that slipway or the package is wrong. */
const IO_CODES = new Set(['ENOSPC', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EDQUOT', 'EMFILE', 'ENFILE', 'EXDEV', 'EBUSY']);

/** True when `e` is a filesystem refusal (disk full, read-only, permission, I/O error). */
export function isIoFailure(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && IO_CODES.has(code);
}

/** The filesystem-refusal errno a problem's message carries as Node words it (`EIO: i/o error, fsync`), if any. */
export function ioCodeIn(message: string): string | undefined {
  return Array.from(message.matchAll(/\b(E[A-Z]+): /g), (m) => m[1]!).find((c) => IO_CODES.has(c));
}

const WHY: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the filesystem is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error from the device',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this system',
  EXDEV: 'the rename crosses filesystems (a mount or an overlay in the way)',
  EBUSY: 'the path is busy (a mount point?)',
};

/** E_IO naming the path and what was being done; passes SlipwayErrors and non-I/O errors through unchanged. */
export function toIoError(e: unknown, file: string, doing: string): unknown {
  if (e instanceof SlipwayError || !isIoFailure(e)) return e;
  // symlink(2)'s `path` is the link's target text (e.g. releases/<id>); the path written is `dest`.
  const p = (e.syscall === 'symlink' ? (e as { dest?: string }).dest : undefined) ?? e.path ?? file;
  return new SlipwayError('E_IO', `cannot ${doing} ${p}: ${WHY[e.code!] ?? e.message} (${e.code})`, {
    file: p,
    hint:
      e.code === 'ENOSPC' || e.code === 'EDQUOT'
        ? 'Free space on that filesystem, then run the command again (it completes any unfinished recovery first).'
        : 'Make the path writable again, then run the command again (it completes any unfinished recovery first).',
    cause: e,
  });
}

/** Runs `fn`, turning a filesystem refusal into E_IO naming `file`. */
export async function withIo<T>(file: string, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toIoError(e, file, doing);
  }
}
