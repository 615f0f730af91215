import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syncDocSection, tableShape, WRITE_DOCS_ENV } from '../helpers/doc-section.js';

const section = (seed: number, rows: string[]): string =>
  `<!-- m:start -->\n_seed ${seed}_\n\n| boundary | SIGKILL |\n| --- | --- |\n${rows.map((r) => `| ${r} | ✓ @${seed} |`).join('\n')}\n`;

async function doc(body: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'doc-section-')), 'doc.md');
  await writeFile(file, `# title\n\n${body}<!-- m:end -->\n\nafter\n`);
  return file;
}

describe('syncDocSection (generated sections of docs/ kept true without dirtying the checkout)', () => {
  afterEach(() => {
    delete process.env[WRITE_DOCS_ENV];
  });

  it('reads the header and the first cell of each row, not the separator or the cells', () => {
    expect(tableShape(section(1, ['a', 'b']))).toBe('| boundary | SIGKILL |\na\nb');
  });

  it('leaves the document alone when the run has the same boundaries (other seed, other cells)', async () => {
    const file = await doc(section(1, ['a', 'b']));
    const before = await readFile(file, 'utf8');
    await syncDocSection(file, 'm', section(2, ['a', 'b']), 't.test.ts');
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('fails naming the regenerate command when a boundary was added', async () => {
    const file = await doc(section(1, ['a', 'b']));
    await expect(syncDocSection(file, 'm', section(2, ['a', 'b', 'c']), 't.test.ts')).rejects.toThrow(
      `regenerate it with ${WRITE_DOCS_ENV}=1 npx vitest run t.test.ts`,
    );
  });

  it('rewrites only its section with SLIPWAY_WRITE_DOCS=1', async () => {
    const file = await doc(section(1, ['a']));
    process.env[WRITE_DOCS_ENV] = '1';
    await syncDocSection(file, 'm', section(2, ['a', 'c']), 't.test.ts');
    expect(await readFile(file, 'utf8')).toBe(`# title\n\n${section(2, ['a', 'c'])}<!-- m:end -->\n\nafter\n`);
  });

  it('fails when the markers are missing', async () => {
    const file = await doc('');
    await expect(syncDocSection(file, 'other', section(1, ['a']), 't.test.ts')).rejects.toThrow('no <!-- other:');
  });
});
