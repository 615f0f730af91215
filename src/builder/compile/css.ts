import path from 'node:path';
import { readToolVersion } from '../../version.js';
import { transform } from 'lightningcss';
import type { SyntaxProblem } from './position.js';

export const LIGHTNINGCSS_VERSION = readToolVersion('lightningcss');

export interface CssOutput {
  code: Buffer;
  map?: string;
  problems: SyntaxProblem[];
}

/** Minifies (or only parses) one stylesheet with lightningcss; its error locations are already 1-based. */
export function transformCss(
  bytes: Buffer,
  sourcePath: string,
  opts: { minify: boolean; sourceMaps: boolean },
): CssOutput {
  const base = path.posix.basename(sourcePath);
  try {
    const r = transform({ filename: base, code: bytes, minify: opts.minify, sourceMap: opts.sourceMaps });
    if (!opts.sourceMaps || !r.map) return { code: Buffer.from(r.code), problems: [] };
    const code = Buffer.concat([Buffer.from(r.code), Buffer.from(`\n/*# sourceMappingURL=${base}.map */\n`)]);
    return { code, map: Buffer.from(r.map).toString('utf8'), problems: [] };
  } catch (e) {
    const err = e as Error & { loc?: { line: number; column: number } };
    if (!err.loc) throw e;
    return {
      code: Buffer.alloc(0),
      problems: [{ file: sourcePath, line: err.loc.line, column: err.loc.column, message: err.message }],
    };
  }
}
