import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { waitFor } from './wait.js';

/**
 * Replaces what lies between `<!-- <marker>:start -->` and `<!-- <marker>:end -->` in `file` with `body` (which
 * starts with the start marker). Test files that run in parallel write sections of one document: the
 * read-modify-write is done under a lock directory beside it, so one never overwrites another's section.
 * Returns false when the markers are missing.
 */
export async function writeDocSection(file: string, marker: string, body: string): Promise<boolean> {
  const lock = `${file}.lock`;
  await waitFor(
    `the lock ${lock}`,
    () =>
      mkdir(lock).then(
        () => true,
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'EEXIST') return false;
          throw e;
        },
      ),
    { timeoutMs: 60_000 },
  );
  try {
    const text = await readFile(file, 'utf8');
    const start = text.indexOf(`<!-- ${marker}:start -->`);
    const end = text.indexOf(`<!-- ${marker}:end -->`);
    if (start < 0 || end < 0) return false;
    await writeFile(file, text.slice(0, start) + body + text.slice(end));
    return true;
  } finally {
    await rmdir(lock);
  }
}
