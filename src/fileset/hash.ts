import { createHash, createHmac, hash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { SlipwayError } from '../errors.js';
import type { FileSet } from './types.js';
import { mapLimit } from '../map-limit.js';

/**
 * Files up to this size (by the caller's size hint) are read with one synchronous call: for 100k small files each
 * async read costs four thread-pool round trips (open, fstat, read, close), which made hashing several times slower
 * than `sha256sum`. Larger or unknown sizes are streamed, so memory stays bounded and a huge file is never held whole.
 */
export const SMALL_FILE = 1 << 20;

/** An incremental SHA-256; `update` returns the hasher, so parts can be chained. */
export interface Sha256Hasher {
  update(chunk: string | Uint8Array): Sha256Hasher;
  hex(): string;
}

/** An incremental SHA-256 (for bytes that arrive in chunks: archive entries, a stream being written, a cache key). */
export function sha256Hasher(): Sha256Hasher {
  const hash = createHash('sha256');
  const hasher: Sha256Hasher = {
    update: (chunk) => {
      hash.update(chunk);
      return hasher;
    },
    hex: () => hash.digest('hex'),
  };
  return hasher;
}

/** SHA-512 of a whole file, streamed, as raw bytes (the digest an SSH signature of the file covers). */
export async function sha512File(absPath: string): Promise<Buffer> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(absPath, { highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest();
}

/** SHA-256 of a file as lowercase hex; E_IO naming the file when it cannot be read. */
export async function hashFile(absPath: string, sizeHint?: number): Promise<string> {
  const hash = sha256Hasher();
  try {
    if (sizeHint !== undefined && sizeHint <= SMALL_FILE) hash.update(readFileSync(absPath));
    else for await (const chunk of createReadStream(absPath, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (cause) {
    throw new SlipwayError('E_IO', `cannot read ${absPath}: ${(cause as Error).message}`, { file: absPath, cause });
  }
  return hash.hex();
}

/** Fills `sha256` of every entry that lacks one, a few files at a time. Mutates and returns the FileSet. */
export async function hashFileSet(fileSet: FileSet, opts: { concurrency?: number } = {}): Promise<FileSet> {
  await mapLimit(fileSet.files, opts.concurrency ?? 8, async (f) => {
    f.sha256 ??= await hashFile(f.absPath, f.size);
  });
  return fileSet;
}

/** SHA-256 of in-memory bytes or text (UTF-8) as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  // One-shot: no Hash object per call (a token check on every authenticated request hashes the token).
  return hash('sha256', data, 'hex');
}

/** HMAC-SHA256 of `text` under `key`, lowercase hex (cache keys derived from secrets, never the secret itself). */
export function hmacSha256Hex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}
