import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { existsSync } from 'node:fs';
import { PACKAGE_ROOT } from '../package-root.js';
import { readToolVersion } from '../version.js';
import { userCacheDir } from '../cache-dir.js';
import { isPidAlive } from '../pid-alive.js';

/**
 * Where the initdb template of in-memory PGlite lives: one file per user and PGlite version, shared by every project
 * and command, in the user's cache directory (src/cache-dir.ts). Not under a build's
 * <out>/.cache: an empty cluster is the same for every project, and each clean build would pay initdb again.
 */
export function pgliteTemplateFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userCacheDir(env), templateName());
}

/**
 * The template Slipway ships in dist/pglite/, written when Slipway itself is built (tools/pglite-template.mjs, run by
 * `npm run build:ts` and so by `npm ci`'s prepare). initdb is the same on every machine (PGlite is WebAssembly), so
 * a user's first verification starts from it too instead of paying initdb (~7 s CPU, ~700 MB peak RSS) once.
 */
export function shippedPgliteTemplateFile(): string {
  return path.join(PACKAGE_ROOT, 'dist', 'pglite', templateName());
}

/** The template in-memory PGlite starts from by default: the shipped one when it is there, else the user's. */
export function defaultPgliteTemplateFile(env: NodeJS.ProcessEnv = process.env): string {
  const shipped = shippedPgliteTemplateFile();
  return existsSync(shipped) ? shipped : pgliteTemplateFile(env);
}

function templateName(): string {
  return `pglite-${readToolVersion('@electric-sql/pglite')}-initdb.tar.gz`;
}

/**
 * An in-memory PGlite started from `template`, a gzipped data directory that a fresh PGlite of this version dumped
 * right after its initdb (PGlite's own `dumpDataDir` / `loadDataDir`). initdb is most of what a fresh in-memory
 * PGlite costs — measured on this project's 2-core machine: ~7 s of CPU and ~700 MB peak RSS fresh, ~2.2 s and
 * ~430 MB from the template — so the first run writes the template and later runs load it. The caller names the
 * file, with the PGlite version in its name (a data directory belongs to one version). A template that cannot be
 * read or loaded is replaced by a fresh initdb; one that cannot be written only costs the next run its initdb.
 */
export async function createPgliteFromTemplate(
  create: (opts: PGliteOptions) => Promise<PGlite>,
  opts: PGliteOptions,
  template: string,
): Promise<PGlite> {
  const bytes = await readFile(template).catch(() => null);
  if (bytes) {
    try {
      return await create({ ...opts, loadDataDir: new Blob([bytes]) });
    } catch {
      // unreadable or from another build of PGlite: start over below and replace it
    }
  }
  const db = await create(opts);
  try {
    // Dumped before any statement runs, so the template is exactly initdb's result.
    const dump = await db.dumpDataDir('gzip');
    await mkdir(path.dirname(template), { recursive: true });
    await removeDeadWriters(template);
    const tmp = `${template}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, Buffer.from(await dump.arrayBuffer()));
      await rename(tmp, template);
    } finally {
      await rm(tmp, { force: true });
    }
  } catch {
    // a cache that cannot be written (read-only home, full disk) is not the verification's failure
  }
  return db;
}

/**
 * Removes `<template>.tmp-<pid>-<random>` files whose writer is gone: a process killed while it wrote the template
 * (the only way one stays behind) would otherwise leave a few MB in the user's cache for good. A file whose pid is
 * alive — another command writing now, or a reused pid — is left alone.
 */
async function removeDeadWriters(template: string): Promise<void> {
  const prefix = `${path.basename(template)}.tmp-`;
  for (const name of await readdir(path.dirname(template)).catch(() => [])) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !isPidAlive(pid))
      await rm(path.join(path.dirname(template), name), { force: true }).catch(() => undefined);
  }
}
