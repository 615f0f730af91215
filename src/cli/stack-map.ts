import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../package-root.js';

/**
 * An internal error's stack with each frame in a bundled file (dist/bundle/*.js, db/main.cjs: esbuild writes a linked
 * `.map` beside it) pointed back at the TypeScript source line, e.g. `chunk-3SX.js:1156:9` becomes
 * `src/db/changelog/formatted-sql.ts:88:5` (relative to `root`, Slipway's package), so a bug report names real code. Only the internal-error path calls this:
 * Node's own `--enable-source-maps` would map every stack but costs every run ~20 ms of start-up (measured on
 * `db package`), for traces that almost never print. Frames without a readable map stay as they are; this never
 * throws. Node's module.SourceMap does the decoding; this only finds the frames and the maps.
 */
export function mapStack(stack: string, root: string = PACKAGE_ROOT): string {
  const maps = new Map<string, SourceMap | null>();
  const load = (file: string): SourceMap | null => {
    if (!maps.has(file)) {
      let map: SourceMap | null = null;
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapPayload);
      } catch {
        // no map (tsc's dist/, the sources themselves): the frame stays as it is
      }
      maps.set(file, map);
    }
    return maps.get(file)!;
  };
  return stack.replace(FRAME, (whole, loc: string, line: string, column: string) => {
    const file = loc.startsWith('file:') ? safePath(loc) : loc;
    const map = file && /\.c?js$/.test(file) ? load(file) : null;
    const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry) || !entry.originalSource) return whole;
    const source = entry.originalSource.startsWith('file:')
      ? (safePath(entry.originalSource) ?? entry.originalSource)
      : path.resolve(path.dirname(file!), entry.originalSource);
    return `${displayPath(source, root)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/** `<file or file URL>:<line>:<column>` as V8 prints it in a frame, inside parentheses or after "at ". */
const FRAME = /((?:file:\/\/)?\/[^\s():]+):(\d+):(\d+)/g;

function safePath(url: string): string | null {
  try {
    return fileURLToPath(url);
  } catch {
    return null;
  }
}

/** Relative to `root` when inside it (as the repository names it), else absolute. */
function displayPath(file: string, root: string): string {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
