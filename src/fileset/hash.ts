import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { SlipwayError } from '../errors.js';
import type { FileSet } from './types.js';

/** Streams a file through SHA-256 (never holds it in memory); returns lowercase hex. */
export async function hashFile(absPath: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(absPath)) hash.update(chunk as Buffer);
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
      f.sha256 ??= await hashFile(f.absPath);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return fileSet;
}
