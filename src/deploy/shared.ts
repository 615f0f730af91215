import { lstat, mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import { normalizeEntryPath, DEFAULT_LIMITS } from './archive-rules.js';

/** Validates the configured shared paths (relative, no `..`) and returns them normalised. */
export function normalizeSharedPaths(paths: string[]): string[] {
  return paths.map((p) => {
    const n = normalizeEntryPath(p, DEFAULT_LIMITS);
    if ('code' in n || n.path === '.') {
      throw new SlipwayError(
        'E_CONFIG',
        `shared path ${JSON.stringify(p)} must be a relative path inside the release`,
        { field: 'deploy.targets.*.shared' },
      );
    }
    return n.path;
  });
}

/**
 * Links each shared path into a release: `<release>/<p>` becomes a relative symlink to `<root>/shared/<p>`
 * (created as a directory on first use). What the package shipped at that path is replaced.
 */
export async function linkSharedPaths(opts: { releaseDir: string; sharedDir: string; paths: string[] }): Promise<void> {
  for (const p of opts.paths) {
    const shared = path.join(opts.sharedDir, p);
    await lstat(shared).catch(async () => mkdir(shared, { recursive: true }));
    const inRelease = path.join(opts.releaseDir, p);
    await rm(inRelease, { recursive: true, force: true });
    await mkdir(path.dirname(inRelease), { recursive: true });
    // The link is resolved from where it will live (releases/<id>/...), not from the staging dir; same depth.
    await symlink(path.relative(path.dirname(inRelease), shared), inRelease);
  }
}
