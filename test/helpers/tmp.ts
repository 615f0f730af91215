import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real temp dir with an inline file tree (STYLE.md §11: no fs mocks). */
export async function makeTree(files: Record<string, string | Buffer>, prefix = 'slipway-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await writeTree(dir, files);
  return dir;
}

export async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
}

export async function removeTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
