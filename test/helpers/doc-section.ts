import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { waitFor } from './wait.js';

/** Set to 1 to let a test rewrite the generated sections of docs/ (e.g. the fault matrices) from its run. */
export const WRITE_DOCS_ENV = 'SLIPWAY_WRITE_DOCS';

/**
 * Keeps a generated section of a document (what lies between `<!-- <marker>:start -->` and `<!-- <marker>:end -->`,
 * `body` starting with the start marker) true to a test run. With SLIPWAY_WRITE_DOCS=1 the section is replaced by
 * `body`. Otherwise nothing is written (a test run must not dirty the checkout: the cells carry the run's seed and
 * offsets): the section's table must have the same header and the same first column (the boundaries) as `body`, so a
 * boundary added or removed without regenerating the document fails the test, naming the command that regenerates it.
 * Test files that run in parallel write sections of one document: the read-modify-write is done under a lock
 * directory beside it, so one never overwrites another's section. Throws when the markers are missing.
 */
export async function syncDocSection(file: string, marker: string, body: string, testFile: string): Promise<void> {
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
    if (start < 0 || end < 0) throw new Error(`${file} has no <!-- ${marker}:start/end --> markers`);
    if (process.env[WRITE_DOCS_ENV] === '1') {
      await writeFile(file, text.slice(0, start) + body + text.slice(end));
      return;
    }
    const want = tableShape(body);
    const have = tableShape(text.slice(start, end));
    if (want !== have) {
      throw new Error(
        `${file} (${marker}) lists other rows or columns than this run measured; regenerate it with ` +
          `${WRITE_DOCS_ENV}=1 npx vitest run ${testFile}\nthis run:\n${want}\nthe document:\n${have}`,
      );
    }
  } finally {
    await rmdir(lock);
  }
}

/** The header row and the first cell of every row of the Markdown tables in `section`. */
export function tableShape(section: string): string {
  return section
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l, i) => (i === 0 ? l.trim() : (l.split('|')[1] ?? '').trim()))
    .join('\n');
}
