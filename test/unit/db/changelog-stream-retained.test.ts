// What a streamed parse (parseChangelog's onChangeSet, as `db package` reads a changelog) keeps of each changeset it
// has handed on: its key and location for the duplicate check and a later reused rollback, not its SQL; and of each
// file it has read, not its text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changelogXml } from '../../helpers/changelog-xml.js';
import { measureInChild } from '../../helpers/retained-heap.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

/**
 * Run in a child process (measureInChild): the heap's used size after full collections when the sink gets the
 * first changeset and when it gets the last, the sink keeping nothing.
 */
const CHILD = `
const { parseChangelog } = await import(process.env.CHANGELOG_MODULE);
const total = Number(process.env.TOTAL);
async function run() {
  let n = 0, first = 0, last = 0;
  await parseChangelog({
    rootDir: process.env.ROOT_DIR,
    changelog: 'master.xml',
    onChangeSet: () => {
      n++;
      if (n === 1) first = used();
      if (n === total) last = used();
    },
  });
  return { n, grown: last - first };
}
await run(); // modules loaded and optimised first
process.stdout.write(JSON.stringify(await run()));
`;

/**
 * A master including `files` formatted SQL files of `perFile` changesets each, every file starting with `padding`
 * comment lines (text the parser reads and no changeset holds).
 */
async function formattedTree(files: number, perFile: number, padding = 0): Promise<string> {
  const tree: Record<string, string> = {};
  for (let f = 0; f < files; f++) {
    const lines = ['--liquibase formatted sql'];
    for (let i = 0; i < padding; i++) lines.push(`-- padding line ${i} of text that no changeset keeps at all`);
    for (let k = f * perFile; k < (f + 1) * perFile; k++)
      lines.push(
        `--changeset mem:${k}`,
        `--comment: changeset ${k}`,
        `CREATE TABLE t_${k} (id int PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now());`,
        `INSERT INTO t_${k} (id, name) VALUES (1, 'x; y');`,
        `CREATE INDEX t_${k}_name ON t_${k} (name);`,
        `--rollback DROP TABLE t_${k};`,
      );
    tree[`changes/${f}.sql`] = lines.join('\n') + '\n';
  }
  const includes = Object.keys(tree).map((file) => `<include file="${file}"/>`);
  return makeTree({ ...tree, 'master.xml': changelogXml(includes.join('\n')) });
}

/** What the parse of the changelog under `root` kept between its first changeset and its last (see CHILD). */
function grownBy(root: string, total: number): Promise<{ n: number; grown: number }> {
  return measureInChild(CHILD, {
    modules: { CHANGELOG_MODULE: 'src/db/changelog/index.ts' },
    env: { ROOT_DIR: root, TOTAL: String(total) },
  });
}

/**
 * Run in a child process (measureInChild): how much more the heap holds (after full collections) when the sink gets
 * the first changeset of the file than before the parse began.
 */
const CHILD_FIRST = `
const { parseChangelog } = await import(process.env.CHANGELOG_MODULE);
async function run() {
  let n = 0, atFirst = 0;
  const before = used();
  await parseChangelog({
    rootDir: process.env.ROOT_DIR,
    changelog: 'master.sql',
    onChangeSet: () => {
      if (++n === 1) atFirst = used();
    },
  });
  return { n, held: atFirst - before };
}
await run(); // modules loaded and optimised first
process.stdout.write(JSON.stringify(await run()));
`;

describe('parseChangelog, streamed (onChangeSet)', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const r of roots) await removeTree(r);
  });

  describe('10 files of 500 changesets', () => {
    const FILES = 10;
    const PER_FILE = 500;
    let root: string;
    beforeAll(async () => roots.push((root = await formattedTree(FILES, PER_FILE))));

    it('keeps of each changeset read its key, not its statements', async () => {
      const { n, grown } = await grownBy(root, FILES * PER_FILE);
      expect(n).toBe(FILES * PER_FILE);
      // Measured: 790 bytes a changeset when the statements stayed in memory (each changeset's SQL, its statements'
      // slices of it and their array), 470 with them in the temporary file, 245 once the files' text went too.
      expect(grown / (n - 1)).toBeLessThan(600);
    }, 180_000);
  });

  describe('one formatted SQL file of 10,000 changesets', () => {
    const TOTAL = 10_000;
    let root: string;
    let textBytes = 0;
    beforeAll(async () => {
      const lines = ['--liquibase formatted sql'];
      for (let k = 0; k < TOTAL; k++)
        lines.push(
          `--changeset mem:${k}`,
          `--comment: changeset ${k}`,
          `CREATE TABLE t_${k} (id int PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now());`,
          `INSERT INTO t_${k} (id, name) VALUES (1, 'x; y');`,
          `CREATE INDEX t_${k}_name ON t_${k} (name);`,
          `--rollback DROP TABLE t_${k};`,
        );
      const text = lines.join('\n') + '\n';
      textBytes = Buffer.byteLength(text);
      roots.push((root = await makeTree({ 'master.sql': text })));
    });

    it("does not hold the file's lines while it reads them", async () => {
      const { n, held } = await measureInChild<{ n: number; held: number }>(CHILD_FIRST, {
        modules: { CHANGELOG_MODULE: 'src/db/changelog/index.ts' },
        env: { ROOT_DIR: root },
      });
      expect(n).toBe(TOTAL);
      // Besides the file's text (2.3 MB, one string), measured: 2.4-2.7 MB when the file was split into an array
      // of its 60,001 lines before the first one was read, 0.3 MB read line by line (LineCursor).
      expect(held - textBytes).toBeLessThan(1 << 20);
    }, 180_000);
  });

  describe('6 files of 0.5 MB that their 50 changesets each hardly use', () => {
    const FILES = 6;
    const PER_FILE = 50;
    let root: string;
    // Each file under 1 MB: Node keeps a longer file's text outside V8's heap, where used_heap_size does not see it.
    beforeAll(async () => roots.push((root = await formattedTree(FILES, PER_FILE, 10_000))));

    it("keeps no file's text once the file is read", async () => {
      const { n, grown } = await grownBy(root, FILES * PER_FILE);
      expect(n).toBe(FILES * PER_FILE);
      // Measured: 2.8 MB when the parse kept every file's text (for warnings that name a `${…}`'s line; now the
      // lines are found when each file's parse ends), -0.2 MB after; the 300 changesets' keys are < 0.1 MB.
      expect(grown).toBeLessThan(1 << 20);
    }, 180_000);
  });
});
