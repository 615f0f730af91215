import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256Hasher } from '../../fileset/hash.js';

/**
 * Content-addressed store of compile outputs: `<dir>/<key>` holds an output, `<dir>/<key>.map` its source map,
 * `<dir>/<key>.ok` a validation verdict (JSON notes). Writes go to a temp name first, so a crash never leaves a
 * truncated entry under a real key.
 */
export class CompileCache {
  hits = 0;
  misses = 0;

  constructor(
    readonly dir: string,
    /** false: never reuse (outputs are still written, for the packager to read). */
    private readonly reuse: boolean,
  ) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** sha256 over the tool identity/options, the source path and the input bytes. */
  static key(recipe: unknown, sourcePath: string, input: Buffer | string): string {
    return sha256Hasher()
      .update(JSON.stringify(recipe))
      .update('\0')
      .update(sourcePath)
      .update('\0')
      .update(input)
      .hex();
  }

  pathOf(name: string): string {
    return path.join(this.dir, name);
  }

  /** Size of a cached file, or null when absent (or reuse is off). */
  async sizeOf(name: string): Promise<number | null> {
    if (!this.reuse) return null;
    try {
      return (await stat(this.pathOf(name))).size;
    } catch {
      return null;
    }
  }

  async readText(name: string): Promise<string | null> {
    if (!this.reuse) return null;
    try {
      return await readFile(this.pathOf(name), 'utf8');
    } catch {
      return null;
    }
  }

  async write(name: string, data: string | Buffer): Promise<string> {
    const final = this.pathOf(name);
    const tmp = `${final}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, data);
    await rename(tmp, final);
    return final;
  }

  count(hit: boolean): void {
    if (hit) this.hits++;
    else this.misses++;
  }
}
