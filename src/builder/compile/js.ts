import path from 'node:path';
import * as esbuild from 'esbuild';
import type { SyntaxProblem } from './position.js';

export const ESBUILD_VERSION = esbuild.version;

// Top-level await cannot be lowered to an older target, and it is valid in the ES modules it appears in; without
// this, `target: es2020` would report it as an error.
const SUPPORTED = { 'top-level-await': true };

export interface JsOptions {
  minify: boolean;
  target: string;
  sourceMaps: boolean;
}

export interface JsOutput {
  code: string;
  map?: string;
  problems: SyntaxProblem[];
}

/** esbuild reports 0-based byte columns; callers want 1-based character columns. */
function toProblems(e: unknown, fallbackFile: string): SyntaxProblem[] {
  const errors = (e as { errors?: esbuild.Message[] }).errors;
  if (!Array.isArray(errors)) throw e;
  return errors.map((m) => {
    const loc = m.location;
    const column = loc ? Buffer.from(loc.lineText, 'utf8').subarray(0, loc.column).toString('utf8').length + 1 : 1;
    return { file: loc?.file || fallbackFile, line: loc?.line ?? 1, column, message: m.text };
  });
}

/** Minifies (or, with minify off, only parses) one JS file; the map is linked by a trailing comment. */
export async function transformJs(text: string, sourcePath: string, opts: JsOptions): Promise<JsOutput> {
  const base = path.posix.basename(sourcePath);
  try {
    const r = await esbuild.transform(text, {
      loader: 'js',
      minify: opts.minify,
      target: opts.target,
      sourcemap: opts.sourceMaps ? 'external' : false,
      sourcefile: base,
      supported: SUPPORTED,
      logLevel: 'silent',
    });
    const code = opts.sourceMaps ? `${r.code}//# sourceMappingURL=${base}.map\n` : r.code;
    return { code, ...(opts.sourceMaps ? { map: r.map } : {}), problems: [] };
  } catch (e) {
    // esbuild names the file by `sourcefile`; report the project-relative path instead.
    return { code: '', problems: toProblems(e, sourcePath).map((p) => ({ ...p, file: sourcePath })) };
  }
}

export interface BundleOutput extends JsOutput {
  /** Every input esbuild read, relative to the root (POSIX). */
  inputs: string[];
  warnings: string[];
}

/**
 * Bundles one entry point (ESM, tree shaking). The output path is the entry itself (nothing is written), so the
 * map's `sources` are relative to the entry's directory, as they will be inside the package.
 */
export async function bundleJs(rootDir: string, entry: string, opts: JsOptions): Promise<BundleOutput> {
  const abs = path.join(rootDir, entry);
  try {
    const r = await esbuild.build({
      entryPoints: [abs],
      absWorkingDir: rootDir,
      bundle: true,
      treeShaking: true,
      format: 'esm',
      target: opts.target,
      minify: opts.minify,
      sourcemap: opts.sourceMaps ? 'linked' : false,
      metafile: true,
      write: false,
      outfile: abs,
      allowOverwrite: true,
      supported: SUPPORTED,
      logLevel: 'silent',
    });
    const js = r.outputFiles.find((f) => f.path === abs);
    const map = r.outputFiles.find((f) => f.path === `${abs}.map`);
    const others = r.outputFiles.filter((f) => f !== js && f !== map).map((f) => path.relative(rootDir, f.path));
    const warnings = others.length
      ? [`${entry}: bundle also produced ${others.join(', ')}, which is not packaged (import CSS from HTML instead)`]
      : [];
    return {
      code: js?.text ?? '',
      ...(map ? { map: map.text } : {}),
      inputs: Object.keys(r.metafile.inputs).map((p) => p.split(path.sep).join('/')),
      problems: [],
      warnings,
    };
  } catch (e) {
    return { code: '', inputs: [], problems: toProblems(e, entry), warnings: [] };
  }
}
