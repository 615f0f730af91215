// An internal error's stack, printed by the CLI from the esbuild bundle, names TypeScript source lines
// (src/cli/stack-map.ts); here against a real esbuild bundle with a linked source map, as tools/bundle.mjs writes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { mapStack } from '../../src/cli/stack-map.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

describe('mapStack', () => {
  it('points a bundled frame at the TypeScript line and leaves frames without a map as they are', async () => {
    const root = await makeTree({}, 'slipway-stack-map-');
    dirs.push(root);
    mkdirSync(path.join(root, 'src'));
    // the throw is on line 4, column 9 of the source
    writeFileSync(
      path.join(root, 'src', 'thrower.ts'),
      'export function fail(what: string): never {\n  const text: string = `failed: ${what}`;\n  // below\n  throw new Error(text);\n}\n',
    );
    await build({
      entryPoints: [path.join(root, 'src', 'thrower.ts')],
      outdir: path.join(root, 'dist', 'bundle'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'silent',
    });
    const bundled = path.join(root, 'dist', 'bundle', 'thrower.js');
    // a plain Node process (vitest maps stacks itself), as the CLI runs the bundle
    const stack = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `try { (await import(${JSON.stringify(pathToFileURL(bundled).href)})).fail('x'); } catch (e) { process.stdout.write(e.stack); }`,
      ],
      { encoding: 'utf8' },
    );
    expect(stack).toMatch(/thrower\.js:\d+:\d+/);

    const mapped = mapStack(stack, root);
    expect(mapped).toContain('src/thrower.ts:4:9');
    expect(mapped).not.toContain('thrower.js');
    expect(mapped.split('\n')[0]).toBe('Error: failed: x');
    // the [eval] frame has no file with a map: unchanged
    const own = stack.split('\n').find((l) => l.includes('[eval'));
    expect(own).toBeDefined();
    expect(mapped).toContain(own!);
  });

  it('maps a frame in a CommonJS bundle (.cjs: dist/bundle/db/main.cjs)', async () => {
    const root = await makeTree({}, 'slipway-stack-map-');
    dirs.push(root);
    mkdirSync(path.join(root, 'src'));
    writeFileSync(
      path.join(root, 'src', 'thrower.ts'),
      'export function fail(what: string): never {\n  const text: string = `failed: ${what}`;\n  // below\n  throw new Error(text);\n}\n',
    );
    await build({
      entryPoints: [path.join(root, 'src', 'thrower.ts')],
      outdir: path.join(root, 'dist', 'bundle'),
      outExtension: { '.js': '.cjs' },
      bundle: true,
      format: 'cjs',
      platform: 'node',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'silent',
    });
    const bundled = path.join(root, 'dist', 'bundle', 'thrower.cjs');
    const stack = execFileSync(
      process.execPath,
      ['-e', `try { require(${JSON.stringify(bundled)}).fail('x'); } catch (e) { process.stdout.write(e.stack); }`],
      { encoding: 'utf8' },
    );
    expect(stack).toMatch(/thrower\.cjs:\d+:\d+/);
    expect(mapStack(stack, root)).toContain('src/thrower.ts:4:9');
  });

  it('keeps a stack whose files are gone or not file paths', () => {
    const stack =
      'Error: boom\n    at f (/nowhere/chunk-X.js:10:5)\n    at node:internal/process:1:1\n    at <anonymous>';
    expect(mapStack(stack, '/nowhere')).toBe(stack);
  });
});
