import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SlipwayError } from '../errors.js';
import { createDeterministicGzip } from './package-gzip.js';
import { encodeHeader, END_OF_ARCHIVE, padding } from './package-tar.js';
import { SMALL_FILE, sha256Hasher } from '../fileset/hash.js';

/** One archive member. Directories have no content; files have their bytes on disk (`absPath`) or in memory. */
export interface ArchiveEntry {
  /** POSIX path without a trailing slash. */
  path: string;
  /** Missing means a file (so FileEntry objects can be packed without copying them). */
  type?: 'file' | 'dir';
  mode: 0o644 | 0o755;
  size: number;
  absPath?: string;
  bytes?: Buffer;
  /** Expected hex SHA-256 of the content; the writer checks it while streaming (files changed mid-build fail). */
  sha256?: string;
}

export interface WriteArchiveOptions {
  outPath: string;
  /** Sorted, with directories (see planArchiveEntries). */
  entries: ArchiveEntry[];
  /** Seconds since the epoch, written as every entry's mtime. */
  mtime: number;
  level: number;
  onEntry?: (done: number, total: number, entryPath: string) => void;
  /**
   * Leave the finished archive under its temporary name (returned as `tmpPath`) for the caller to rename together
   * with its sidecars; default false (renamed to `outPath` here).
   */
  keepTemp?: boolean;
}

export interface WriteArchiveResult {
  path: string;
  sha256: string;
  bytes: number;
  /** Uncompressed tar stream size. */
  tarBytes: number;
  /** Where the archive is when `keepTemp` was set (else equal to `path`). */
  tmpPath: string;
}

/**
 * UTF-8 byte order without allocating (comparePaths builds two Buffers per call, ~3.4M for 100k files): maps each
 * UTF-16 code unit so that surrogates (code points above U+FFFF) sort after U+E000-U+FFFF, as their UTF-8 bytes do.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca >= 0xd800) ca = ca <= 0xdfff ? ca + 0x2000 : ca - 0x800;
    if (cb >= 0xd800) cb = cb <= 0xdfff ? cb + 0x2000 : cb - 0x800;
    return ca - cb;
  }
  return a.length - b.length;
}

const isUnsafe = (p: string) =>
  p === '' ||
  p.startsWith('/') ||
  p.endsWith('/') ||
  /[\n\r\\]/.test(p) ||
  p.split('/').some((s) => s === '' || s === '.' || s === '..');

/**
 * Checks paths, adds every parent directory explicitly and sorts by byte order (pure). The file objects are reused,
 * not copied: with 100k files every per-file copy costs megabytes of the 300 MB budget.
 */
export function planArchiveEntries(files: ArchiveEntry[]): ArchiveEntry[] {
  const problems: string[] = [];
  const dirs = new Set<string>();
  const safe: ArchiveEntry[] = [];
  for (const f of files) {
    if (isUnsafe(f.path)) {
      problems.push(`unsafe archive path: ${JSON.stringify(f.path)}`);
      continue;
    }
    safe.push(f);
    for (let i = f.path.indexOf('/'); i !== -1; i = f.path.indexOf('/', i + 1)) dirs.add(f.path.slice(0, i));
  }
  for (const d of dirs) safe.push({ path: d, type: 'dir', mode: 0o755, size: 0 });
  safe.sort((a, b) => compareUtf8(a.path, b.path) || (a.type === b.type ? 0 : a.type === 'dir' ? -1 : 1));
  // After sorting, equal paths are neighbours: two files, or a file where a directory is needed.
  for (let i = 1; i < safe.length; i++) {
    const [a, b] = [safe[i - 1]!, safe[i]!];
    if (a.path !== b.path) continue;
    problems.push(
      a.type === 'dir' || b.type === 'dir' ? `${a.path} is both a file and a directory` : `two files map to ${a.path}`,
    );
  }
  if (problems.length) {
    throw new SlipwayError('E_PACKAGE', `cannot lay out the package (${problems.length} problem(s))`, {
      details: problems,
      hint: 'Adjust the component globs or `base` so every file maps to one safe path.',
    });
  }
  return safe;
}

/**
 * Groups the many small pieces of a tar stream (512-byte headers, small files, padding) into ~1 MiB chunks: each chunk
 * is one round trip to zlib's thread pool, so 3 writes per file made 100k-file trees several times slower than `tar`.
 */
async function* coalesce(source: AsyncIterable<Buffer>, target = 1 << 20): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for await (const b of source) {
    if (b.length >= target && size === 0) {
      yield b;
      continue;
    }
    parts.push(b);
    size += b.length;
    if (size >= target) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size) yield Buffer.concat(parts, size);
}

async function* tarStream(opts: WriteArchiveOptions, counter: { tarBytes: number }): AsyncGenerator<Buffer> {
  const total = opts.entries.length;
  let done = 0;
  const emit = (b: Buffer) => {
    counter.tarBytes += b.length;
    return b;
  };
  for (const e of opts.entries) {
    const type = e.type ?? 'file';
    yield emit(
      encodeHeader({
        path: type === 'dir' ? `${e.path}/` : e.path,
        type,
        mode: e.mode,
        size: e.size,
        mtime: opts.mtime,
      }),
    );
    if (type === 'file') {
      const hash = sha256Hasher();
      let got = 0;
      if (e.bytes) {
        hash.update(e.bytes);
        got = e.bytes.length;
        yield emit(e.bytes);
      } else if (e.size <= SMALL_FILE) {
        const b = readFileSync(e.absPath!); // synchronous on purpose: see SMALL_FILE in fileset/hash.ts
        hash.update(b);
        got = b.length;
        yield emit(b);
      } else {
        for await (const chunk of createReadStream(e.absPath!, { highWaterMark: 1 << 20 })) {
          hash.update(chunk as Buffer);
          got += (chunk as Buffer).length;
          if (got > e.size) break;
          yield emit(chunk as Buffer);
        }
      }
      const digest = hash.hex();
      if (got !== e.size || (e.sha256 && digest !== e.sha256)) {
        throw new SlipwayError('E_PACKAGE', `${e.absPath ?? e.path} changed while the package was being written`, {
          file: e.absPath,
          hint: 'Do not edit the project during a build; run the build again.',
        });
      }
      yield emit(padding(e.size));
    }
    opts.onEntry?.(++done, total, e.path);
  }
  yield emit(END_OF_ARCHIVE);
}

class HashCount extends Transform {
  readonly hash = sha256Hasher();
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/** Maps a write failure to a clear E_IO error (disk full, unwritable directory…). */
export function ioError(error: unknown, target: string): SlipwayError {
  if (error instanceof SlipwayError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOSPC'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : code === 'ENOTDIR'
            ? 'a parent of the output path is a file, not a directory'
            : code === 'ENOENT'
              ? 'a file or directory does not exist'
              : String((error as Error)?.message ?? error);
  return new SlipwayError('E_IO', `${target}: cannot write: ${why}${code ? ` (${code})` : ''}`, {
    file: target,
    cause: error,
    hint:
      code === 'ENOSPC' ? 'Free disk space or choose another --out directory.' : 'Choose a writable --out directory.',
  });
}

/**
 * Streams the entries as a deterministic .tar.gz to a temporary name beside `outPath` and renames it into place (unless
 * `keepTemp`), so a half-written archive never carries the final name; on any error the temporary file is removed.
 */
export async function writeArchive(opts: WriteArchiveOptions): Promise<WriteArchiveResult> {
  const dir = path.dirname(opts.outPath);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw ioError(error, dir);
  }
  const tmp = path.join(dir, `.${path.basename(opts.outPath)}.${randomBytes(4).toString('hex')}.tmp`);
  const counter = { tarBytes: 0 };
  const sink = new HashCount();
  try {
    await pipeline(
      Readable.from(coalesce(tarStream(opts, counter))),
      ...createDeterministicGzip(opts.level),
      sink,
      createWriteStream(tmp, { flags: 'wx' }),
    );
    if (!opts.keepTemp) await rename(tmp, opts.outPath);
  } catch (error) {
    await rm(tmp, { force: true });
    throw ioError(error, opts.outPath);
  }
  return {
    path: opts.outPath,
    sha256: sink.hash.hex(),
    bytes: sink.bytes,
    tarBytes: counter.tarBytes,
    tmpPath: opts.keepTemp ? tmp : opts.outPath,
  };
}
