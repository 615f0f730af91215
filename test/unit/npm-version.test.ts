import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readNpmVersion } from '../../src/manifest/generate.js';

describe('readNpmVersion', () => {
  it('gives what `npm --version` prints', async () => {
    const printed = execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['--version'], {
      encoding: 'utf8',
    }).trim();
    expect(await readNpmVersion()).toEqual({ npmVersion: printed, npmVersionReason: null });
  });
});
