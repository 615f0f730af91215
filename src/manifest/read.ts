import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import { buildManifestSchema, type BuildManifest } from './schema.js';
import { validatePackage } from './validate.js';

/** The newest `<name>-v*.tar.gz` in outDir (by the UTC build stamp in the name; a ready one wins a tie). */
export async function findLatestPackage(outDir: string, name: string): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(outDir);
  } catch {
    return null;
  }
  const ours = names.filter((n) => n.startsWith(`${name}-v`) && n.endsWith('.tar.gz')).sort();
  if (ours.length === 0) return null;
  // A not-ready package (`….not-ready.tar.gz`) counts at its build time: deploying "the newest" after a failed
  // build is refused (E_NOT_READY) rather than silently taking an older ready one.
  const stamp = (n: string) => /-(\d{8}\.\d{6})(?:\.not-ready)?\.tar\.gz$/.exec(n)?.[1] ?? '';
  ours.sort((a, b) => (stamp(a) < stamp(b) ? -1 : stamp(a) > stamp(b) ? 1 : a < b ? -1 : 1));
  return path.join(outDir, ours[ours.length - 1]!);
}

/** Parses a build-manifest.json file against the schema; every problem in one error. */
export async function readManifestFile(file: string): Promise<BuildManifest> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new SlipwayError('E_MANIFEST', `cannot read ${file}: ${(cause as Error).message}`, { file, cause });
  }
  const parsed = buildManifestSchema.safeParse(value);
  if (!parsed.success) {
    throw new SlipwayError('E_MANIFEST', `${file} is not a valid build manifest`, {
      file,
      details: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`),
    });
  }
  return parsed.data;
}

/** A package's manifest: the `<base>.manifest.json` beside it (has the archive size), else the copy inside. */
export async function readPackageManifest(packagePath: string): Promise<{ manifest: BuildManifest; source: string }> {
  const beside = packagePath.replace(/\.tar\.gz$/, '.manifest.json');
  if (beside !== packagePath && existsSync(beside)) return { manifest: await readManifestFile(beside), source: beside };
  const r = await validatePackage(packagePath, { requireDigest: false });
  if (!r.manifest) {
    throw new SlipwayError('E_MANIFEST', `no valid build-manifest.json in ${packagePath}`, {
      file: packagePath,
      details: r.problems.map((p) => `${p.code}: ${p.message}`),
      hint: `Run \`slipway validate ${packagePath}\` for details.`,
    });
  }
  return { manifest: r.manifest, source: `${packagePath}!build-manifest.json` };
}
