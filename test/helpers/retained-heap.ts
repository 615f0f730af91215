// The child-process shape of the tests that measure what a piece of the library keeps in memory
// (test/unit/db/changelog-stream-retained.test.ts, test/unit/db/package-retained.test.ts).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * Runs `script` (an ES module body) in a new Node process with --expose-gc, where vitest's own heap does not blur the
 * figures, and returns the one JSON value it writes to stdout. The script has `used()`: the V8 heap's used size after
 * two full collections. `modules` name source files (relative to the repository) the script imports by their key,
 * from process.env, as file: URLs.
 */
export async function measureInChild<T>(
  script: string,
  { modules = {}, env = {} }: { modules?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<T> {
  const child = `import v8 from 'node:v8';
const used = () => { gc(); gc(); return v8.getHeapStatistics().used_heap_size; };
${script}`;
  const urls = Object.fromEntries(
    Object.entries(modules).map(([k, rel]) => [k, pathToFileURL(path.resolve(rel)).href]),
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', child],
    { env: { ...process.env, ...env, ...urls }, timeout: 120_000 },
  );
  return JSON.parse(stdout) as T;
}
