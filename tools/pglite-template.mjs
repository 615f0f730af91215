#!/usr/bin/env node
// Writes the PGlite initdb template Slipway ships, dist/pglite/pglite-<version>-initdb.tar.gz (run by
// `npm run build:ts`, and so by `npm ci`'s prepare, after tsc). In-memory PGlite (a build's verification, `db verify`)
// starts from it instead of running initdb, which costs ~7 s of CPU and ~700 MB peak RSS: without it every user's
// first verification paid that once. It is written by Slipway's own code, the same openSession that writes the
// user's copy when there is none (src/db/session.ts, src/db/pglite-template.ts), so the two cannot differ. Nothing is
// done when it is already there; templates of other PGlite versions are removed.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { shippedPgliteTemplateFile } = await import(path.join(repo, 'dist/db/pglite-template.js'));
const file = shippedPgliteTemplateFile();
for (const name of existsSync(path.dirname(file)) ? readdirSync(path.dirname(file)) : [])
  if (name !== path.basename(file)) rmSync(path.join(path.dirname(file), name), { force: true });
if (!existsSync(file)) {
  const { openSession } = await import(path.join(repo, 'dist/db/session.js'));
  const session = await openSession('memory:', { pgliteTemplate: file });
  await session.close();
  if (!existsSync(file)) throw new Error(`PGlite's initdb template was not written to ${file}`);
  console.log(`${path.relative(repo, file)}: PGlite's initdb template written`);
}
