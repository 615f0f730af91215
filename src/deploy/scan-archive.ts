/**
 * The one archive inspector: `slipway validate` (src/manifest/validate.ts), deploy's verify step and extraction all
 * read packages through readArchive, so they see the same entries and report the same problem codes
 * (docs/errors.md, "Package problems").
 */
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import { sha256Hasher } from '../fileset/hash.js';
import { checkEntry, resolveLink, TreeTracker, type ArchiveProblem, type ExtractLimits } from './archive-rules.js';
import { compareSums, parseSums, SUMS_FILE } from './sums.js';
import { readTar, TarFormatError, type TarHeader } from './tar-reader.js';

/** An entry that passed the rules, with its normalised path. */
export interface CheckedEntry {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink';
  size: number;
  mode: number;
  linkpath: string;
}

/** Where an accepted entry's body goes (files only); may be async (extraction writes to disk). */
export interface EntrySink {
  write(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
  /** Called instead of end() when reading stops inside the entry. */
  abort?(): void | Promise<void>;
}

export interface ArchiveRead {
  problems: ArchiveProblem[];
  /** True when a problem stopped the reading (the entries after it were never seen). */
  stopped: boolean;
  entries: number;
  /** Sum of the declared sizes of the files. */
  totalBytes: number;
  /** SHA-256 and size of the archive file itself. */
  sha256: string;
  bytes: number;
}

/** Problems worth listing before the rest is noise. */
const MAX_PROBLEMS = 50;

class Stop extends Error {}
/** An error of the caller's sink (a disk write), not of the archive: rethrown as it is. */
class SinkFailure extends Error {
  constructor(readonly inner: unknown) {
    super('sink failed');
  }
}
const guard = async <T>(fn: () => T | Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (e) {
    throw e instanceof Stop ? e : new SinkFailure(e);
  }
};

/**
 * Reads a package (gzip or plain tar) once, streaming: decompresses, frames it exactly as GNU tar does
 * (tar-reader.ts), applies the entry rules and the tree rules, and enforces the limits on the sizes the headers
 * declare before any body is read (a bomb is refused at its header, not after inflating it). `onEntry` sees only
 * accepted entries; a fatal problem (framing, limits) stops the read with exactly one problem for it.
 */
export async function readArchive(
  file: string,
  limits: ExtractLimits,
  onEntry: (e: CheckedEntry) => EntrySink | null | Promise<EntrySink | null>,
  opts: { stopOnProblem?: boolean } = {},
): Promise<ArchiveRead> {
  const problems: ArchiveProblem[] = [];
  const tree = new TreeTracker();
  const archiveHash = sha256Hasher();
  let bytes = 0;
  let entries = 0;
  let totalBytes = 0;
  let stopped = false;
  let sawEnd = false;
  const fatal = (p: ArchiveProblem): never => {
    problems.push(p);
    stopped = true;
    throw new Stop();
  };
  const note = (p: ArchiveProblem) => {
    problems.push(p);
    if (opts.stopOnProblem) {
      stopped = true;
      throw new Stop();
    }
    if (problems.length >= MAX_PROBLEMS)
      fatal({ code: 'TOO_MANY_PROBLEMS', message: `more than ${MAX_PROBLEMS} problems; stopped reading` });
  };

  const consume = async (source: AsyncIterable<Buffer>) => {
    let sink: EntrySink | null = null;
    try {
      for await (const ev of readTar(source)) {
        if (ev.kind === 'entry') {
          sink = await accept(ev.header);
        } else if (ev.kind === 'data') {
          const s = sink;
          if (s) await guard(() => s.write(ev.chunk));
        } else if (ev.kind === 'entry-end') {
          const done = sink;
          sink = null;
          if (done) await guard(() => done.end());
        } else sawEnd = true;
      }
    } finally {
      if (sink) await sink.abort?.();
    }
  };

  const accept = async (h: TarHeader): Promise<EntrySink | null> => {
    entries++;
    if (entries > limits.maxEntries)
      fatal({ code: 'TOO_MANY_ENTRIES', message: `more than ${limits.maxEntries} entries (limits.maxEntries)` });
    if (h.sparse) {
      note({
        code: 'BAD_ENTRY_TYPE',
        message: `${h.path} is a sparse file; only plain files are allowed`,
        path: h.path,
      });
      return null;
    }
    const checked = checkEntry(h, limits);
    if ('code' in checked) {
      // A declared size over the limit ends the read: nothing after it is worth inflating.
      if (checked.code === 'FILE_TOO_LARGE' || checked.code === 'BAD_SIZE') fatal(checked);
      note(checked);
      return null;
    }
    if (h.type === 'File') {
      totalBytes += h.size;
      if (totalBytes > limits.maxTotalBytes)
        fatal({
          code: 'TOO_LARGE',
          message: `the files declare more than ${limits.maxTotalBytes} bytes in total (limits.maxTotalBytes)`,
          path: checked.path,
        });
    }
    const conflict = tree.add(checked.path, h.type);
    if (conflict) {
      note(conflict);
      return null;
    }
    return guard(() =>
      onEntry({
        path: checked.path,
        type: h.type as CheckedEntry['type'],
        size: h.size,
        mode: h.mode,
        linkpath: h.linkpath,
      }),
    );
  };

  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      archiveHash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const gzip = await isGzip(file);
  const gunzip: Gunzip | null = gzip ? createGunzip() : null;
  try {
    if (gunzip) await pipeline(createReadStream(file), tap, gunzip, consume);
    else await pipeline(createReadStream(file), tap, consume);
  } catch (e) {
    if (e instanceof SinkFailure) throw e.inner;
    if (e instanceof TarFormatError) problems.push({ code: e.code, message: e.message });
    else if (!(e instanceof Stop)) {
      const err = e as NodeJS.ErrnoException;
      if (gunzip && sawEnd && err.code === 'Z_DATA_ERROR')
        problems.push({ code: 'GZIP_TRAILING_DATA', message: 'data after the end of the gzip stream' });
      else if (gunzip && err.code?.startsWith('Z_'))
        problems.push({ code: 'GZIP_CORRUPT', message: `not a readable gzip stream: ${err.message}` });
      else problems.push({ code: 'TAR_CORRUPT', message: `cannot read the archive: ${err.message}` });
    }
    stopped = true;
  }
  // Reading stopped early: the archive's digest still covers the whole file (compressed bytes only, cheap).
  if (stopped) {
    for await (const chunk of createReadStream(file, { start: bytes })) {
      archiveHash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  }
  // zlib stops at the end of the last gzip member and silently ignores what follows; gzip -d warns about it.
  else if (gunzip && gunzip.bytesWritten < bytes)
    problems.push({
      code: 'GZIP_TRAILING_DATA',
      message: `${bytes - gunzip.bytesWritten} bytes after the end of the gzip stream`,
    });
  if (!stopped && entries === 0) problems.push({ code: 'EMPTY_ARCHIVE', message: 'archive has no entries' });
  return { problems, stopped, entries, totalBytes, sha256: archiveHash.hex(), bytes };
}

export interface ArchiveScan extends ArchiveRead {
  ok: boolean;
  /** sha256 of every regular file, by normalised path. */
  files: Map<string, string>;
  /** Every entry's kind, by normalised path. */
  kinds: Map<string, CheckedEntry['type']>;
  /** Symlink targets, by normalised path. */
  symlinks: Map<string, string>;
  /** SHA256SUMS as listed (empty when missing or unreadable). */
  sums: Map<string, string>;
  /** Contents of the metadata files (KEPT_FILES) found in the archive. */
  kept: Map<string, Buffer>;
}

/** Files read into memory during the scan (small metadata the later steps need). */
export const KEPT_FILES = new Set([
  'build-manifest.json',
  'deployment-info.json',
  'version-compatibility.json',
  'database/changesets.json',
  SUMS_FILE,
]);
const MAX_KEPT_BYTES = 16 * 1024 * 1024;

export interface ScanOptions {
  /** Shared paths the deploy links outside the release: a package link may enter one but never climb out. */
  shared?: string[];
  /**
   * Also keep these files' contents whole (database/package.sql for the SQL safety scan), up to the limits' file
   * size: the caller needs all of it, so the metadata cap does not apply.
   */
  keep?: string[];
}

/**
 * Reads the archive once without writing anything: every rule of readArchive, every file hashed, every symlink
 * resolved through the tree it would produce, and SHA256SUMS compared both ways. Nothing is extracted until this
 * passes.
 */
export async function scanArchive(file: string, limits: ExtractLimits, opts: ScanOptions = {}): Promise<ArchiveScan> {
  const files = new Map<string, string>();
  const kinds = new Map<string, CheckedEntry['type']>();
  const symlinks = new Map<string, string>();
  const kept = new Map<string, Buffer>();
  const asked = new Set(opts.keep ?? []);
  const read = await readArchive(file, limits, (e) => {
    kinds.set(e.path, e.type);
    if (e.type === 'SymbolicLink') symlinks.set(e.path, e.linkpath);
    if (e.type !== 'File') return null;
    const h = sha256Hasher();
    const keepIt = asked.has(e.path) || (KEPT_FILES.has(e.path) && e.size <= MAX_KEPT_BYTES);
    const chunks = keepIt ? ([] as Buffer[]) : null;
    return {
      write: (c) => {
        h.update(c);
        chunks?.push(c);
      },
      end: () => {
        files.set(e.path, h.hex());
        if (chunks) kept.set(e.path, Buffer.concat(chunks));
      },
    };
  });
  const problems = [...read.problems];
  const external = new Set(opts.shared ?? []);
  let sums = new Map<string, string>();
  if (!read.stopped) {
    for (const p of symlinks.keys()) {
      const bad = resolveLink(p, (q) => symlinks.get(q), external);
      if (bad) problems.push(bad);
    }
    const sumsText = kept.get(SUMS_FILE);
    if (!sumsText) problems.push({ code: 'SUMS_MISSING', message: 'package has no SHA256SUMS', path: SUMS_FILE });
    else {
      const parsed = parseSums(sumsText.toString('utf8'), limits);
      sums = parsed.sums;
      problems.push(...parsed.problems);
      if (parsed.problems.length === 0) problems.push(...compareSums(sums, files, new Set(symlinks.keys())));
    }
  }
  return { ...read, problems, ok: problems.length === 0, files, kinds, symlinks, sums, kept };
}

async function isGzip(file: string): Promise<boolean> {
  for await (const chunk of createReadStream(file, { start: 0, end: 1 })) {
    const b = chunk as Buffer;
    return b[0] === 0x1f && b[1] === 0x8b;
  }
  return false;
}
