import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ioError } from './package-writer.js';

/** One output of a build: its final path and either its bytes or a finished temporary file to rename. */
export interface BuildOutput {
  final: string;
  content?: string | Buffer;
  tmpPath?: string;
}

/** The temporary name of `file` (a dot file beside it that `cleanOutDir` recognises as a leftover). */
export function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes every output under a temporary name first, then renames them into place in the given order, so a build
 * that fails at any point before the renames leaves the output directory as it found it (earlier packages, even one
 * with the same name, stay). If a rename fails, what this call already renamed is removed: a package without its
 * digest beside it is not a package.
 */
export async function commitOutputs(outputs: BuildOutput[]): Promise<void> {
  const staged: { final: string; tmp: string }[] = [];
  const renamed: string[] = [];
  let failedAt = '';
  try {
    for (const o of outputs) {
      failedAt = o.final;
      if (o.tmpPath) staged.push({ final: o.final, tmp: o.tmpPath });
      else {
        const tmp = tempNameFor(o.final);
        staged.push({ final: o.final, tmp });
        await writeFile(tmp, o.content ?? '');
      }
    }
    for (const s of staged) {
      failedAt = s.final;
      await rename(s.tmp, s.final);
      renamed.push(s.final);
    }
  } catch (error) {
    await Promise.all([
      ...staged.map((s) => rm(s.tmp, { force: true })),
      ...outputs.filter((o) => o.tmpPath).map((o) => rm(o.tmpPath!, { force: true })),
      ...renamed.map((f) => rm(f, { force: true })),
    ]);
    throw ioError(error, failedAt);
  }
}
