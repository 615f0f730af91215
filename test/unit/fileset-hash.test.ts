import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { hashFile, hashFileSet } from '../../src/fileset/hash.js';
import { SlipwayError } from '../../src/errors.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

let dir = '';
afterEach(async () => removeTree(dir));

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

describe('hashFile / hashFileSet', () => {
  it('streams files through SHA-256 and keeps existing digests', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // several stream chunks
    dir = await makeTree({ 'a.txt': 'hello\n', 'big.bin': big, empty: '' });
    expect(await hashFile(path.join(dir, 'a.txt'))).toBe(
      '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
    );
    // one-read path (small size hint) and streamed path agree
    expect(await hashFile(path.join(dir, 'a.txt'), 6)).toBe(
      '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
    );
    expect(await hashFile(path.join(dir, 'big.bin'), big.length)).toBe(sha(big));
    const entry = (p: string, sha256?: string) => ({
      path: `application/${p}`,
      sourcePath: p,
      absPath: path.join(dir, p),
      size: p === 'big.bin' ? big.length : 0,
      mode: 0o644 as const,
      component: 'application' as const,
      ...(sha256 ? { sha256 } : {}),
    });
    const fs = await hashFileSet(
      { rootDir: dir, files: [entry('a.txt', 'kept'), entry('big.bin'), entry('empty')] },
      { concurrency: 2 },
    );
    expect(fs.files.map((f) => f.sha256)).toEqual(['kept', sha(big), sha('')]);
  });

  it('names the file it cannot read', async () => {
    dir = await makeTree({});
    const err = (await hashFile(path.join(dir, 'nope')).catch((e: unknown) => e)) as SlipwayError;
    expect(err.code).toBe('E_IO');
    expect(err.message).toContain(path.join(dir, 'nope'));
  });
});
