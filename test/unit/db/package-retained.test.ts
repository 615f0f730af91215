// What a prepared package keeps in memory while its SQL is written: its changesets, not the changelog files' text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changelogXml } from '../../helpers/changelog-xml.js';
import { measureInChild } from '../../helpers/retained-heap.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

const FILES = 5;
const CHANGESETS = 100;
/**
 * Comment lines before each file's first changeset: text the parser reads and no changeset holds, ~0.5 MB a file
 * (below 1 MB: Node keeps a longer file's text outside V8's heap, where used_heap_size does not see it).
 */
const PADDING_LINES = 14_000;

/**
 * Run in a child process (measureInChild): what a prepared package keeps (as the CLI holds it while it writes the
 * SQL), the heap's used size after full collections with it and without it.
 */
const CHILD = `
const { prepareDatabasePackage } = await import(process.env.PACKAGE_MODULE);
const opts = { rootDir: process.env.ROOT_DIR, changelog: 'master.xml', application: 'a', version: '1', sourceDateEpoch: 0, ...JSON.parse(process.env.OPTIONS ?? '{}') };
// Measured while the package is referenced from this function's frame, then again once it has returned.
async function held() {
  const r = await prepareDatabasePackage(opts);
  return { used: used(), changeSets: r.changeSets };
}
await held(); // modules loaded and optimised first
const { used: withPackage, changeSets } = await held();
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(JSON.stringify({ retained: withPackage - used(), changeSets }));
`;

/** What a prepared package of the changelog under `root` keeps, in bytes of V8 heap (see CHILD). */
async function retainedBy(root: string, options: object = {}): Promise<{ retained: number; changeSets: number }> {
  return measureInChild(CHILD, {
    modules: { PACKAGE_MODULE: 'src/db/package.ts' },
    env: { ROOT_DIR: root, OPTIONS: JSON.stringify(options) },
  });
}

describe('prepareDatabasePackage memory', () => {
  let root: string;
  beforeAll(async () => {
    const files: Record<string, string> = {};
    for (let f = 0; f < FILES; f++) {
      const lines = ['--liquibase formatted sql'];
      for (let i = 0; i < PADDING_LINES; i++) lines.push(`-- padding line ${i} of text that no changeset keeps at all`);
      for (let k = f * CHANGESETS; k < (f + 1) * CHANGESETS; k++)
        lines.push(
          `--changeset mem:${k}`,
          `--comment: a comment long enough to be a slice of the file ${k}`,
          `CREATE TABLE t_${k} (id int);`,
          `--rollback DROP TABLE t_${k};`,
        );
      files[`changes/${f}.sql`] = lines.join('\n') + '\n';
    }
    const includes = Object.keys(files).map((file) => `<include file="${file}"/>`);
    root = await makeTree({ ...files, 'master.xml': changelogXml(includes.join('\n')) });
  });
  afterAll(() => removeTree(root));

  it("does not keep the changelog files' text alive through its changesets' comments, rollbacks and bodies", async () => {
    const { retained, changeSets } = await retainedBy(root);
    expect(changeSets).toBe(FILES * CHANGESETS);
    // The files are ~4.5 MB; their 500 changesets hold ~0.7 MB (1.4 kB each, measured on 10,000). Before, the text
    // stayed, through the package's file list and the slices its comments, rollbacks and one-line bodies were.
    expect(retained).toBeLessThan(2 << 20);
  }, 180_000);
});

describe('prepareDatabasePackage memory, 10,000 changesets', () => {
  const SMALL_FILES = 10;
  const PER_FILE = 1000;
  let root: string;
  beforeAll(async () => {
    const files: Record<string, string> = {};
    for (let f = 0; f < SMALL_FILES; f++) {
      const lines = ['--liquibase formatted sql'];
      for (let k = f * PER_FILE; k < (f + 1) * PER_FILE; k++)
        lines.push(
          `--changeset mem:${k}`,
          `--comment: changeset ${k}`,
          `CREATE TABLE t_${k} (id int PRIMARY KEY, name text);`,
          `INSERT INTO t_${k} VALUES (1, 'x; y');`,
          `--rollback DROP TABLE t_${k};`,
        );
      files[`changes/${f}.sql`] = lines.join('\n') + '\n';
    }
    const includes = Object.keys(files).map((file) => `<include file="${file}"/>`);
    root = await makeTree({ ...files, 'master.xml': changelogXml(includes.join('\n')) });
  });
  afterAll(() => removeTree(root));

  it('keeps no changeset while its SQL waits to be written (the CLI asks for no index)', async () => {
    const { retained, changeSets } = await retainedBy(root, { index: false });
    expect(changeSets).toBe(SMALL_FILES * PER_FILE);
    // Their SQL went to a temporary file as they were read (StreamedChangeSets): what stays is the package's head.
    // Before, the prepared package held every parsed changeset: 10.6 MB for these (~1.1 kB each, measured).
    expect(retained).toBeLessThan(2 << 20);
  }, 180_000);
});
