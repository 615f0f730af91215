/**
 * psql reference scripts: `\i`, `\ir`, `\include`, `\include_relative`, recursively, into the segments psql would
 * run, in order. Choice (documented): `\ir` resolves against the including file's folder, as psql does; `\i`
 * resolves against rootDir, which stands in for psql's working directory (deploys run psql from the package root).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../../errors.js';
import type { ChangelogFile, ParseWarning } from '../model.js';
import { readablePath, resolveInside, resolveReferenced } from './paths.js';

export interface PsqlScriptOptions {
  rootDir: string;
  /** Top-level script, relative to rootDir. */
  script: string;
}

export interface PsqlScriptResult {
  /**
   * Segments in execution order: each is the text of one file between include directives (the directive lines
   * themselves left out), so concatenating `content` gives exactly what psql executes. A file that includes
   * others therefore appears once per segment, each with its `startLine`.
   */
  files: ChangelogFile[];
  warnings: ParseWarning[];
}

const DIRECTIVE = /^\s*\\(i|ir|include|include_relative)(?:\s+(.*?))?\s*$/;

/**
 * `\copy <what> from '<file>' [options]` (or a bare file name): psql reads the file from its working directory when
 * it runs, which a package cannot count on. So the file's rows are inlined as the COPY psql would send, `COPY <what>
 * FROM STDIN [options];`, followed by the data and `\.`, which psql (and `slipway db apply`) read from the script
 * itself. The path resolves as `\i`'s does: against rootDir, psql's working directory here. Not `stdin`/`pstdin`
 * (data already in the script, or psql's own input) nor `program` (a shell command, refused by the package-safety
 * scan).
 */
const COPY_FROM_FILE = /^\s*\\copy\s+(.+?)\s+from\s+('(?:[^']|'')*'|[^\s']+)(.*?);?\s*$/i;

/** Parses a psql script and everything it includes; throws E_CHANGELOG on cycles, escapes and missing files. */
export async function parsePsqlScript(opts: PsqlScriptOptions): Promise<PsqlScriptResult> {
  const rootDir = path.resolve(opts.rootDir);
  const files: ChangelogFile[] = [];
  const warnings: ParseWarning[] = [];
  const top = resolveInside(rootDir, opts.script, opts.script, 0);
  await visit(rootDir, top, [], null, files, warnings);
  warnings.push(...(await findUnincludedScripts(rootDir, new Set(files.map((f) => f.path)), top)));
  return { files, warnings };
}

/** `.sql` files in the folders of included scripts that no `\i` reaches: usually a forgotten include. */
async function findUnincludedScripts(rootDir: string, read: Set<string>, top: string): Promise<ParseWarning[]> {
  read.add(top);
  const dirs = [...new Set([...read].map((p) => path.posix.dirname(p)))].sort();
  const out: ParseWarning[] = [];
  for (const dir of dirs) {
    const names = await readdir(path.join(rootDir, dir)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const rel = dir === '.' ? name : `${dir}/${name}`;
      if (name.toLowerCase().endsWith('.sql') && !read.has(rel)) {
        out.push({
          code: 'W_NOT_INCLUDED',
          file: rel,
          line: 1,
          message: `${rel} sits next to included scripts but no \\i/\\ir reaches it.`,
        });
      }
    }
  }
  return out;
}

async function visit(
  rootDir: string,
  rel: string,
  chain: string[],
  from: { file: string; line: number } | null,
  files: ChangelogFile[],
  warnings: ParseWarning[],
): Promise<void> {
  if (chain.includes(rel)) {
    throw new SlipwayError(
      'E_CHANGELOG',
      `psql include cycle: ${[...chain.slice(chain.indexOf(rel)), rel].join(' -> ')}`,
      {
        file: from?.file,
        line: from?.line,
        hint: 'Remove one of the \\i/\\ir lines so no script includes itself.',
      },
    );
  }
  const readable = readablePath(rootDir, rel, from?.file ?? rel, from?.line ?? 0);
  let content: string;
  try {
    content = await readFile(readable, 'utf8');
  } catch (e) {
    throw new SlipwayError('E_CHANGELOG', from ? `Included script not found: ${rel}` : `Script not found: ${rel}`, {
      ...(from ? { file: from.file, line: from.line } : { file: rel }),
      hint: '\\ir paths are relative to the including file, \\i paths to the project root.',
      cause: e,
    });
  }
  const lines = content.split('\n');
  let segment: string[] = [];
  let segmentStart = 1;
  const flush = (): void => {
    // An empty tail (the newline after a file's last directive) adds nothing psql would run.
    if (segment.length && segment.join('\n') !== '')
      files.push({ path: rel, content: segment.join('\n'), startLine: segmentStart });
    segment = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const copy = COPY_FROM_FILE.exec(lines[i]!.replace(/\r$/, ''));
    if (copy && !/^(stdin|pstdin|program)$/i.test(copy[2]!)) {
      if (!segment.length) segmentStart = i + 1;
      segment.push(...(await inlineCopy(rootDir, rel, i + 1, copy)));
      // What follows starts a segment of its own, so that its line numbers stay those of the file.
      flush();
      segmentStart = i + 2;
      continue;
    }
    const m = DIRECTIVE.exec(lines[i]!.replace(/\r$/, ''));
    if (!m) {
      if (!segment.length) segmentStart = i + 1;
      segment.push(lines[i]!);
      continue;
    }
    const no = i + 1;
    const arg = unquote(m[2] ?? '');
    if (!arg)
      throw new SlipwayError('E_CHANGELOG', `\\${m[1]} needs a file name`, {
        file: rel,
        line: no,
        hint: `Write it as \\${m[1]} path/to/file.sql`,
      });
    const relative = m[1] === 'ir' || m[1] === 'include_relative';
    const target = resolveReferenced(rootDir, arg, rel, no, relative);
    flush();
    await visit(rootDir, target, [...chain, rel], { file: rel, line: no }, files, warnings);
    segmentStart = no + 1;
  }
  flush();
}

/** psql file argument: bare word, or '…' / "…" with doubled quotes as escapes. */
function unquote(arg: string): string {
  const a = arg.trim();
  const q = a[0];
  if ((q === "'" || q === '"') && a.length >= 2 && a.endsWith(q)) return a.slice(1, -1).replaceAll(q + q, q);
  return a.split(/\s+/)[0] ?? '';
}

/** The lines that stand for a `\copy … from '<file>'` line: the COPY statement, the file's lines, and `\.`. */
async function inlineCopy(rootDir: string, rel: string, no: number, m: RegExpExecArray): Promise<string[]> {
  const written = unquote(m[2]!);
  const target = resolveReferenced(rootDir, written, rel, no, false);
  const readable = readablePath(rootDir, target, rel, no, written);
  let data: string;
  try {
    data = await readFile(readable, 'utf8');
  } catch (e) {
    throw new SlipwayError('E_CHANGELOG', `\\copy data file not found: ${target}`, {
      file: rel,
      line: no,
      hint: "\\copy … from 'file' paths are relative to the project root, as psql's working directory.",
      cause: e,
    });
  }
  const rows = data.endsWith('\n') ? data.slice(0, -1).split('\n') : data === '' ? [] : data.split('\n');
  const end = rows.findIndex((r) => r.replace(/\r$/, '') === '\\.');
  if (end !== -1) {
    throw new SlipwayError(
      'E_CHANGELOG',
      `${target}:${end + 1}: a line that is only \\. would end the copied data early`,
      {
        file: rel,
        line: no,
        hint: 'psql ends COPY data at such a line: quote the value (CSV) or escape it (text format) in the data file',
      },
    );
  }
  return [`COPY ${m[1]} FROM STDIN${m[3]};`, ...rows, '\\.'];
}
