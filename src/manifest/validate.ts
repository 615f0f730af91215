import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { Parser, type ReadEntry } from 'tar';
import type { z } from 'zod';
import { parseSha256Sums } from '../build/sha256sums.js';
import {
  buildManifestSchema,
  deploymentInfoSchema,
  versionCompatibilitySchema,
  type BuildManifest,
  type VersionCompatibility,
} from './schema.js';

export interface PackageProblem {
  code: string;
  message: string;
  path?: string;
}

export interface ValidationResult {
  ok: boolean;
  problems: PackageProblem[];
  sha256: string;
  bytes: number;
  manifest: BuildManifest | null;
  compatibility: VersionCompatibility | null;
  entries: number;
}

export interface ValidateOptions {
  expectedSha256?: string;
  /** Without a `.sha256` beside the package and without expectedSha256, report NO_DIGEST (default true). */
  requireDigest?: boolean;
}

const METADATA = ['build-manifest.json', 'deployment-info.json', 'version-compatibility.json', 'SHA256SUMS'];
const METADATA_LIMIT = 16 << 20; // metadata files are small; refuse to buffer a huge one

interface Seen {
  type: 'file' | 'dir' | 'other';
  sha256: string | null;
}

/** Reads the archive once, streaming: digest, entry types and paths, per-file SHA-256 and the metadata files. */
async function scanArchive(packagePath: string, problems: PackageProblem[]) {
  const entries = new Map<string, Seen>();
  const metadata = new Map<string, Buffer>();
  const pending: Promise<void>[] = [];
  const parser = new Parser({
    onwarn: (code: string, message: string | Error) => {
      problems.push({
        code: 'TAR_CORRUPT',
        message: `${code}: ${message instanceof Error ? message.message : message}`,
      });
    },
    onReadEntry: (entry: ReadEntry) => {
      const raw = entry.path;
      // `tar -C dir .` writes `./x`; accept that spelling of a relative path (and skip the `./` root entry).
      const p = raw.replace(/^(\.\/)+/, '').replace(/\/$/, '');
      if (p === '' && raw.startsWith('./') && entry.type === 'Directory') {
        entry.resume();
        return;
      }
      const type =
        entry.type === 'File' || entry.type === 'OldFile' ? 'file' : entry.type === 'Directory' ? 'dir' : null;
      if (!type)
        problems.push({
          code: 'BAD_ENTRY_TYPE',
          message: `${raw} is a ${entry.type}; only files and directories are allowed`,
          path: raw,
        });
      if (raw.startsWith('/') || p.split('/').some((s) => s === '..' || s === '.' || s === '') || raw.includes('\\')) {
        problems.push({
          code: 'UNSAFE_PATH',
          message: `unsafe entry path ${JSON.stringify(raw)} (absolute, empty or ..)`,
          path: raw,
        });
      }
      if (entries.has(p)) problems.push({ code: 'DUPLICATE_ENTRY', message: `${p} appears more than once`, path: p });
      if (type !== 'file') {
        entries.set(p, { type: type ?? 'other', sha256: null });
        entry.resume();
        return;
      }
      const seen: Seen = { type: 'file', sha256: null };
      entries.set(p, seen);
      const hash = createHash('sha256');
      const keep = METADATA.includes(p) && (entry.size ?? 0) <= METADATA_LIMIT;
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => {
        hash.update(c);
        if (keep) chunks.push(c);
      });
      pending.push(
        new Promise((resolve) => {
          entry.on('end', () => {
            seen.sha256 = hash.digest('hex');
            if (keep) metadata.set(p, Buffer.concat(chunks));
            resolve();
          });
        }),
      );
    },
  });
  const digest = createHash('sha256');
  let bytes = 0;
  let ended = false;
  parser.on('end', () => (ended = true));
  try {
    for await (const chunk of createReadStream(packagePath, { highWaterMark: 1 << 20 })) {
      digest.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      if (!parser.write(chunk as Buffer)) await once(parser, 'drain');
    }
    parser.end();
    if (!ended) await once(parser, 'end');
    await Promise.all(pending);
  } catch (e) {
    problems.push({ code: 'TAR_CORRUPT', message: `cannot read the archive: ${(e as Error).message}` });
  }
  return { entries, metadata, sha256: digest.digest('hex'), bytes };
}

function parseJson<T>(
  name: string,
  buf: Buffer | undefined,
  schema: z.ZodType<T>,
  problems: PackageProblem[],
  code: string,
): T | null {
  if (!buf) return null;
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    problems.push({ code, message: `${name} is not valid JSON: ${(e as Error).message}`, path: name });
    return null;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    problems.push({
      code,
      message: `${name}: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
      path: name,
    });
  }
  return null;
}

async function expectedDigest(
  packagePath: string,
  opts: ValidateOptions,
  problems: PackageProblem[],
): Promise<string | null> {
  if (opts.expectedSha256) return opts.expectedSha256.toLowerCase();
  let text: string;
  try {
    text = await readFile(`${packagePath}.sha256`, 'utf8');
  } catch {
    if (opts.requireDigest !== false)
      problems.push({
        code: 'NO_DIGEST',
        message: `no ${packagePath}.sha256 beside the package and no expected digest given`,
      });
    return null;
  }
  const m = /^([0-9a-fA-F]{64})\s/.exec(text);
  if (!m) {
    problems.push({
      code: 'DIGEST_FILE_INVALID',
      message: `${packagePath}.sha256 does not start with a SHA-256 hex digest`,
    });
    return null;
  }
  return m[1]!.toLowerCase();
}

/** Checks a package completely and returns every problem found (never stops at the first). */
export async function validatePackage(packagePath: string, opts: ValidateOptions = {}): Promise<ValidationResult> {
  const problems: PackageProblem[] = [];
  try {
    await stat(packagePath);
  } catch (e) {
    problems.push({
      code: 'NOT_FOUND',
      message: `cannot read ${packagePath}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    });
    return { ok: false, problems, sha256: '', bytes: 0, manifest: null, compatibility: null, entries: 0 };
  }
  const expected = await expectedDigest(packagePath, opts, problems);
  const { entries, metadata, sha256, bytes } = await scanArchive(packagePath, problems);
  if (expected && expected !== sha256)
    problems.push({ code: 'DIGEST_MISMATCH', message: `archive SHA-256 is ${sha256}, expected ${expected}` });

  for (const name of METADATA) {
    if (entries.get(name)?.type !== 'file')
      problems.push({ code: 'MISSING_REQUIRED', message: `required file ${name} is missing`, path: name });
  }
  if (entries.get('application')?.type !== 'dir')
    problems.push({
      code: 'MISSING_REQUIRED',
      message: 'required directory application/ is missing',
      path: 'application/',
    });

  const sumsText = metadata.get('SHA256SUMS');
  if (sumsText) {
    const { entries: lines, errors } = parseSha256Sums(sumsText.toString('utf8'));
    for (const e of errors)
      problems.push({
        code: 'SUMS_FORMAT',
        message: `SHA256SUMS line ${e.line} is not "<sha256>  <path>": ${JSON.stringify(e.text.slice(0, 80))}`,
        path: 'SHA256SUMS',
      });
    const listed = new Set<string>();
    for (const l of lines) {
      if (listed.has(l.path))
        problems.push({
          code: 'SUMS_DUPLICATE',
          message: `SHA256SUMS lists ${l.path} twice (line ${l.line})`,
          path: l.path,
        });
      listed.add(l.path);
      const got = entries.get(l.path);
      if (!got || got.type !== 'file')
        problems.push({
          code: 'SUMS_MISSING_FILE',
          message: `SHA256SUMS line ${l.line} lists ${l.path}, which is not in the archive`,
          path: l.path,
        });
      else if (got.sha256 !== l.sha256)
        problems.push({
          code: 'SUMS_MISMATCH',
          message: `${l.path}: SHA-256 is ${got.sha256}, SHA256SUMS says ${l.sha256}`,
          path: l.path,
        });
    }
    for (const [p, e] of entries) {
      if (e.type === 'file' && p !== 'SHA256SUMS' && !listed.has(p))
        problems.push({ code: 'SUMS_UNLISTED', message: `${p} is in the archive but not in SHA256SUMS`, path: p });
    }
  }

  const manifest = parseJson(
    'build-manifest.json',
    metadata.get('build-manifest.json'),
    buildManifestSchema,
    problems,
    'MANIFEST_INVALID',
  );
  const compatibility = parseJson(
    'version-compatibility.json',
    metadata.get('version-compatibility.json'),
    versionCompatibilitySchema,
    problems,
    'COMPAT_INVALID',
  );
  parseJson(
    'deployment-info.json',
    metadata.get('deployment-info.json'),
    deploymentInfoSchema,
    problems,
    'DEPLOYMENT_INFO_INVALID',
  );
  if (manifest && compatibility && manifest.version !== compatibility.version) {
    problems.push({
      code: 'COMPAT_INVALID',
      message: `version-compatibility.json says ${compatibility.version}, build-manifest.json says ${manifest.version}`,
    });
  }
  return { ok: problems.length === 0, problems, sha256, bytes, manifest, compatibility, entries: entries.size };
}
