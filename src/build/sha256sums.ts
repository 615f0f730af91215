import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';

/**
 * Files up to this size are read with one synchronous call: for 100k small files each async read costs four
 * thread-pool round trips (open, fstat, read, close), which made hashing several times slower than `sha256sum`.
 * Larger files are streamed so memory stays flat.
 */
export const SMALL_FILE = 1 << 20;

/** Hex SHA-256 of a file, streamed for large files so memory stays flat. */
export async function hashFile(absPath: string, size?: number): Promise<string> {
  if (size !== undefined && size <= SMALL_FILE) return createHash('sha256').update(readFileSync(absPath)).digest('hex');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(absPath, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function hashBytes(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `sha256sum -c` text: `<hex>  <path>` per line, in the order given (the caller sorts). */
export function renderSha256Sums(files: { path: string; sha256: string }[]): string {
  return files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
}

export interface Sha256SumLine {
  sha256: string;
  path: string;
  line: number;
}

/** Parses `sha256sum` output; lines that do not match are returned as errors with their line number. */
export function parseSha256Sums(text: string): { entries: Sha256SumLine[]; errors: { line: number; text: string }[] } {
  const entries: Sha256SumLine[] = [];
  const errors: { line: number; text: string }[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((t, i) => {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(t);
    if (m) entries.push({ sha256: m[1]!, path: m[2]!, line: i + 1 });
    else errors.push({ line: i + 1, text: t });
  });
  return { entries, errors };
}

/** `<hex>  <basename>\n`, the sidecar `<package>.sha256` that `sha256sum -c` accepts. */
export function renderSidecar(sha256: string, basename: string): string {
  return `${sha256}  ${basename}\n`;
}
