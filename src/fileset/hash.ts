import { createHash, createHmac } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SlipwayError } from '../errors.js';
import type { FileSet } from './types.js';

// Below this size one read beats a stream (open + several async chunk hops per file); above it, stream so memory
// stays bounded by concurrency × this size.
const WHOLE_READ_MAX = 1024 * 1024;

/** An incremental SHA-256 (for bytes that arrive in chunks: archive entries, a stream being written). */
export function sha256Hasher(): { update(chunk: Buffer): void; hex(): string } {
  const hash = createHash('sha256');
  return {
    update: (chunk) => void hash.update(chunk),
    hex: () => hash.digest('hex'),
  };
}

/** SHA-512 of a whole file, streamed, as raw bytes (the digest an SSH signature of the file covers). */
export async function sha512File(absPath: string): Promise<Buffer> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(absPath, { highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest();
}

/**
 * SHA-256 of a file as lowercase hex. Files up to 1 MiB (by `sizeHint`) are read in one go; larger or unknown
 * sizes are streamed, so a huge file is never held in memory.
 */
export async function hashFile(absPath: string, sizeHint?: number): Promise<string> {
  const hash = createHash('sha256');
  try {
    if (sizeHint !== undefined && sizeHint <= WHOLE_READ_MAX) hash.update(await readFile(absPath));
    else
      for await (const chunk of createReadStream(absPath, { highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
  } catch (cause) {
    throw new SlipwayError('E_IO', `cannot read ${absPath}: ${(cause as Error).message}`, { file: absPath, cause });
  }
  return hash.digest('hex');
}

/** Fills `sha256` of every entry that lacks one, a few files at a time. Mutates and returns the FileSet. */
export async function hashFileSet(fileSet: FileSet, opts: { concurrency?: number } = {}): Promise<FileSet> {
  const concurrency = opts.concurrency ?? 8;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < fileSet.files.length) {
      const f = fileSet.files[next++]!;
      f.sha256 ??= await hashFile(f.absPath, f.size);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return fileSet;
}

/** SHA-256 of in-memory bytes or text (UTF-8) as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** HMAC-SHA256 of `text` under `key`, lowercase hex (cache keys derived from secrets, never the secret itself). */
export function hmacSha256Hex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}
