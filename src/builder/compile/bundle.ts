import path from 'node:path';
import type { FileEntry } from '../../fileset/types.js';
import { hashFile, sha256Hasher } from '../../fileset/hash.js';
import { CompileCache } from './cache.js';
import { bundleJs, ESBUILD_VERSION, type JsOptions } from './js.js';
import type { SyntaxProblem } from './position.js';
import { mapEntry, withoutHash } from './file-task.js';

interface BundleManifest {
  /** input path (relative to root) → sha256 when bundled */
  inputs: Record<string, string>;
  output: string;
}

export interface BundleResult {
  entries: FileEntry[];
  /** Every input esbuild read (root-relative); FileSet files among them (other than entry points) are dropped. */
  inputs: string[];
  problems: SyntaxProblem[];
  warnings: string[];
  hit: boolean;
}

async function inputsUnchanged(rootDir: string, inputs: Record<string, string>): Promise<boolean> {
  for (const [rel, sha] of Object.entries(inputs)) {
    const now = await hashFile(path.join(rootDir, rel)).catch(() => null);
    if (now !== sha) return false;
  }
  return true;
}

/**
 * Bundles one entry point through the cache. The output depends on every module the bundle read, which is only
 * known after bundling, so a small manifest keyed by (entry, options, esbuild version) records the inputs and
 * their digests; the cached output is reused when all of them are unchanged.
 */
export async function runBundleTask(
  rootDir: string,
  entry: FileEntry,
  opts: JsOptions,
  cache: CompileCache,
): Promise<BundleResult> {
  const recipeKey = CompileCache.key({ tool: 'esbuild-bundle', v: ESBUILD_VERSION, ...opts }, entry.sourcePath, '');
  const manifestName = `${recipeKey}.bundle.json`;
  const sourceSize = entry.sourceSize ?? entry.size;
  const outEntries = (output: string, size: number, mapSize: number | null): FileEntry[] => {
    const main: FileEntry = { ...withoutHash(entry), absPath: cache.pathOf(output), size, sourceSize };
    return mapSize === null ? [main] : [main, mapEntry(entry, cache.pathOf(`${output}.map`), mapSize)];
  };

  const text = await cache.readText(manifestName);
  if (text !== null) {
    const m = JSON.parse(text) as BundleManifest;
    const size = await cache.sizeOf(m.output);
    const mapSize = opts.sourceMaps ? await cache.sizeOf(`${m.output}.map`) : null;
    if (size !== null && (!opts.sourceMaps || mapSize !== null) && (await inputsUnchanged(rootDir, m.inputs))) {
      cache.count(true);
      return {
        entries: outEntries(m.output, size, mapSize),
        inputs: Object.keys(m.inputs),
        problems: [],
        warnings: [],
        hit: true,
      };
    }
  }
  cache.count(false);
  const r = await bundleJs(rootDir, entry.sourcePath, opts);
  if (r.problems.length)
    return { entries: [entry], inputs: [], problems: r.problems, warnings: r.warnings, hit: false };
  const inputs: Record<string, string> = {};
  for (const rel of r.inputs) inputs[rel] = await hashFile(path.join(rootDir, rel));
  const output = sha256Hasher().update(recipeKey).update(JSON.stringify(inputs)).hex();
  const code = Buffer.from(r.code);
  await cache.write(output, code);
  let mapSize: number | null = null;
  if (opts.sourceMaps && r.map !== undefined) {
    await cache.write(`${output}.map`, r.map);
    mapSize = Buffer.byteLength(r.map);
  }
  await cache.write(manifestName, JSON.stringify({ inputs, output } satisfies BundleManifest));
  return {
    entries: outEntries(output, code.length, mapSize),
    inputs: r.inputs,
    problems: [],
    warnings: r.warnings,
    hit: false,
  };
}
