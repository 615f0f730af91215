/**
 * Finds SQL in a package that would run a shell or other OS commands on the database host or the machine running
 * psql, and refuses it (E_UNSAFE_SQL) unless allowed. One module for every place SQL enters: the build and
 * `slipway db package`/`verify` (each changeset at its changelog file:line), `slipway db apply FILE` and the deploy
 * (a package built elsewhere: its database/package.sql and the rollback SQL in database/changesets.json, read from
 * the archive before anything is extracted).
 *
 * What counts: `COPY … TO/FROM PROGRAM` (runs as the postgres OS user), functions or DO blocks in an untrusted
 * procedural language (plpython3u, plperlu, pltclu, plsh: OS access by design), `ALTER SYSTEM SET` of a setting
 * that is a shell command (archive_command…), psql's `\!`, backquoted arguments of meta-commands (psql runs them in a
 * shell), the editor commands (`\e`, `\ef`, `\ev`), and psql commands that pipe to or from a command (`\copy …
 * program`, `\o |cmd`, `\w |cmd`, `\g |cmd`). `\setenv` alone runs nothing and is not counted. Statements are split
 * by the psql lexer; the SQL checks also read inside string literals (`EXECUTE 'COPY … PROGRAM …'` in a DO block),
 * after comments are removed. SQL assembled at run time from pieces cannot be seen by any scan: the superuser
 * warning (role.ts) is the other half.
 */
import { SlipwayError } from '../errors.js';
import type { ChangeSet, ChangelogFile, Precondition, SourceLocation } from './model.js';
import { lexPsqlScript } from './psql-lexer.js';

const PACKAGE_SQL = 'database/package.sql';
const CHANGESETS_JSON = 'database/changesets.json';

export interface ShellEscape {
  line: number;
  kind: 'copy-program' | 'untrusted-language' | 'server-command' | 'psql-shell' | 'psql-pipe';
  text: string;
}

/** A shell escape at its place in a source file (a changelog file, or a package's database/package.sql). */
export interface LocatedShellEscape extends ShellEscape {
  file: string;
}

// COPY where a statement starts: at the start, after `;`, a PL/pgSQL keyword or a dollar quote, or as the string an
// EXECUTE/format() runs; so data such as 'Copy of … from Program X' in an INSERT is not taken for one.
const COPY_PROGRAM =
  /(?:^|;|\$\w*\$|\b(?:begin|then|else|loop|execute|format)\s*\(?\s*(?:e?'|\$\w*\$)?)\s*copy\b[^;]*?\b(?:to|from)\s+program\b/i;
// The untrusted procedural languages with an extension of that name; plr is checked as a LANGUAGE only.
const UNTRUSTED_LANGUAGES = 'plpython[23]?u|plperlu|pltclu|plsh';
const UNTRUSTED = new RegExp(
  `\\blanguage\\s+["']?(?:${UNTRUSTED_LANGUAGES}|plr)\\b|\\bcreate\\s+extension\\s+(?:if\\s+not\\s+exists\\s+)?["']?(?:${UNTRUSTED_LANGUAGES})\\b`,
  'i',
);
const SERVER_COMMAND =
  /\balter\s+system\s+set\s+["']?(?:archive_command|restore_command|archive_cleanup_command|recovery_end_command|ssl_passphrase_command)\b/i;
const PSQL_PIPE = /\\(?:o|out|w|write|g|gx)\s*\|/;
const PSQL_EDITOR = /\\(?:e|edit|ef|ev)(?:\s|$)/;

/** `/* … *\/` and `-- …` removed, so `COPY t FROM /* x *\/ PROGRAM` reads as it runs. */
function withoutComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ');
}

// Each SQL check needs one of these words as written (removing comments cannot create one): COPY_PROGRAM `program`,
// UNTRUSTED the name of an untrusted language, SERVER_COMMAND a setting ending in `_command`. Text without any of them
// is passed by this one linear scan instead of three regular expressions over the text with comments removed. The
// language names, not the word LANGUAGE: every PL/pgSQL function has that, and was lexed and scanned for nothing.
const UNTRUSTED_NAMES = new RegExp(`${UNTRUSTED_LANGUAGES}|plr`, 'i');
const SQL_CHECK_WORDS = new RegExp(`program|${UNTRUSTED_NAMES.source}|_command`, 'i');

function sqlEscape(text: string): ShellEscape['kind'] | null {
  if (!SQL_CHECK_WORDS.test(text)) return null;
  const bare = withoutComments(text);
  // Each expression is tried only on text holding a word it cannot match without: COPY_PROGRAM tries its alternation
  // at every offset, ~5 % of packaging a changelog of PL/pgSQL functions.
  if (/program/i.test(bare) && COPY_PROGRAM.test(bare)) return 'copy-program';
  if (UNTRUSTED_NAMES.test(bare) && UNTRUSTED.test(bare)) return 'untrusted-language';
  if (/_command/i.test(bare) && SERVER_COMMAND.test(bare)) return 'server-command';
  return null;
}

/**
 * The kind of a meta-command line, read from its raw text: psql runs every backslash command on a line (`\echo x
 * \! id` runs `\! id`), so the whole line is judged, not only the first command.
 */
function metaEscape(raw: string): ShellEscape['kind'] | null {
  if (/\\!/.test(raw) || /`[^`]*`/.test(raw) || PSQL_EDITOR.test(raw)) return 'psql-shell';
  if (PSQL_PIPE.test(raw) || /\\copy\b[\s\S]*\bprogram\b/i.test(raw)) return 'psql-pipe';
  return null;
}

/** Every shell escape in a psql script, with its 1-based line in `sql`. */
export function findShellEscapes(sql: string): ShellEscape[] {
  // Every kind needs a backslash (a meta-command) or one of SQL_CHECK_WORDS in the text, and lexing adds neither:
  // text with none of them (most statements) is passed without lexing it.
  if (!sql.includes('\\') && !SQL_CHECK_WORDS.test(sql)) return [];
  const out: ShellEscape[] = [];
  let lines: string[] | undefined; // split only when a meta-command needs its raw line
  const excerpt = (t: string) => t.replace(/\s+/g, ' ').trim().slice(0, 80);
  for (const item of lexPsqlScript(sql, new Map())) {
    if (item.kind === 'sql') {
      const kind = sqlEscape(item.text);
      if (kind) out.push({ line: item.line, kind, text: excerpt(item.text) });
      continue;
    }
    if (item.kind === 'copy') {
      // psql sends these lines as data, unless the COPY fails: then, with ON_ERROR_STOP off, it reads them as
      // script lines and runs them. So they are judged as script too.
      for (const f of findShellEscapes(item.data)) out.push({ ...f, line: item.dataLine + f.line - 1 });
      continue;
    }
    const raw = (lines ??= sql.split('\n'))[item.line - 1] ?? '';
    const kind = metaEscape(raw);
    if (kind) out.push({ line: item.line, kind, text: excerpt(raw.slice(Math.max(0, raw.indexOf('\\')))) });
    const queryKind = item.query ? sqlEscape(item.query.text) : null;
    if (item.query && queryKind) out.push({ line: item.query.line, kind: queryKind, text: excerpt(item.query.text) });
  }
  return out;
}

/** `found` moved to `at` (where the scanned text starts in its file). */
function locate(found: ShellEscape[], at: SourceLocation): LocatedShellEscape[] {
  return found.map((f) => ({ ...f, file: at.file, line: at.line + f.line - 1 }));
}

/** The SQL of every sqlCheck among `checks` (nested ones too), with the line it starts on when known. */
function preconditionSql(checks: Precondition[], out: { sql: string; line?: number }[] = []): typeof out {
  for (const c of checks) {
    if (c.sql) out.push({ sql: c.sql, line: c.sqlLine });
    if (c.children) preconditionSql(c.children, out);
  }
  return out;
}

/** `found` in the SQL of `field` (rollback, sqlCheck), moved to `at`, its text saying which field it is in. */
function locateIn(found: ShellEscape[], at: SourceLocation, field: string): LocatedShellEscape[] {
  return found.map((f) => ({ ...f, file: at.file, line: at.line + f.line - 1, text: `${field}: ${f.text}` }));
}

/**
 * Every shell escape in the changesets (statements, rollback, precondition SQL) at its changelog file:line: each
 * statement, rollback statement and sqlCheck at the line it starts on (the changeset's when not known) plus its own
 * offset; one in a rollback or sqlCheck says so in its text.
 */
export function findChangeSetShellEscapes(changeSets: ChangeSet[]): LocatedShellEscape[] {
  // Runs over every statement of every changeset on each package: nothing is allocated for the (usual) text with
  // no finding.
  const out: LocatedShellEscape[] = [];
  for (const cs of changeSets) {
    for (let i = 0; i < cs.statements.length; i++) {
      const found = findShellEscapes(cs.statements[i]!);
      if (found.length > 0) out.push(...locate(found, cs.statementLocations?.[i] ?? cs.location));
    }
    const rollback = cs.rollback ?? [];
    for (let i = 0; i < rollback.length; i++) {
      const found = findShellEscapes(rollback[i]!);
      if (found.length > 0) out.push(...locateIn(found, cs.rollbackLocations?.[i] ?? cs.location, 'rollback'));
    }
    const pre = cs.preconditions;
    if (!pre) continue;
    for (const { sql, line } of preconditionSql(pre.checks)) {
      const found = findShellEscapes(sql);
      const at = line === undefined ? cs.location : { file: pre.location.file, line };
      if (found.length > 0) out.push(...locateIn(found, at, 'sqlCheck'));
    }
  }
  return out;
}

/** Every shell escape in psql script files (`--mode plain`), at its line (segments carry their start line). */
export function findScriptShellEscapes(files: ChangelogFile[]): LocatedShellEscape[] {
  return files.flatMap((f) => locate(findShellEscapes(f.content), { file: f.path, line: f.startLine ?? 1 }));
}

/** A built package's SQL as text: database/package.sql and database/changesets.json (null when not shipped). */
export interface PackageSql {
  packageSql: string | null;
  changesetsJson: string | null;
}

/** 1-based line of `offset` in `text`. */
const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/**
 * Every shell escape in the SQL a deploy of a package would run: database/package.sql at its line, and each
 * changeset's rollback SQL in database/changesets.json at the JSON line holding that string (the rollback a failed
 * deploy or `slipway rollback` runs). A changesets.json that is not an index refuses with E_PACKAGE: what it would
 * run cannot be judged.
 */
export function findPackageShellEscapes(pkg: PackageSql): LocatedShellEscape[] {
  const out: LocatedShellEscape[] = [];
  if (pkg.packageSql !== null) out.push(...findShellEscapes(pkg.packageSql).map((f) => ({ ...f, file: PACKAGE_SQL })));
  const json = pkg.changesetsJson;
  if (json === null) return out;
  let index: unknown;
  try {
    index = JSON.parse(json);
  } catch (e) {
    throw new SlipwayError('E_PACKAGE', `${CHANGESETS_JSON} is not valid JSON: ${(e as Error).message}`, {
      file: CHANGESETS_JSON,
      hint: 'Nothing was extracted. Rebuild the package with `slipway build`.',
    });
  }
  if (!Array.isArray(index))
    throw new SlipwayError('E_PACKAGE', `${CHANGESETS_JSON} is not a list of changesets`, { file: CHANGESETS_JSON });
  // Each string is looked for after the previous one; a hand-written index that escapes it differently (\u0043OPY)
  // is still scanned, at the line where the search stands.
  let cursor = 0;
  index.forEach((entry: unknown, i) => {
    const e = (entry ?? {}) as { id?: unknown; author?: unknown; rollback?: unknown };
    const rollback = e.rollback ?? null;
    if (rollback !== null && !(Array.isArray(rollback) && rollback.every((r) => typeof r === 'string')))
      throw new SlipwayError('E_PACKAGE', `${CHANGESETS_JSON}: entry ${i + 1}: rollback is not a list of SQL strings`, {
        file: CHANGESETS_JSON,
        hint: 'Nothing was extracted. Rebuild the package with `slipway build`.',
      });
    const name = `${String(e.id)}::${String(e.author)}`;
    for (const sql of (rollback ?? []) as string[]) {
      const found = findShellEscapes(sql);
      const at = json.indexOf(JSON.stringify(sql), cursor);
      if (at >= 0) cursor = at + 1;
      const line = lineAt(json, at >= 0 ? at : cursor);
      out.push(...found.map((f) => ({ ...f, file: CHANGESETS_JSON, line, text: `rollback of ${name}: ${f.text}` })));
    }
  });
  return out;
}

export interface RefuseShellEscapesOptions {
  /** The setting that allows them, named in the error (`database.allowShellInSql`, `deploy.targets.*.allowShellInSql`). */
  field: string;
  /** What did not happen because of the refusal ("Nothing was applied."). */
  consequence: string;
}

/** Throws E_UNSAFE_SQL naming the first escape's file:line and listing all of them; nothing when `found` is empty. */
export function refuseShellEscapes(found: LocatedShellEscape[], opts: RefuseShellEscapesOptions): void {
  const first = found[0];
  if (!first) return;
  throw new SlipwayError('E_UNSAFE_SQL', `${first.file}:${first.line} runs a shell (${first.kind}): ${first.text}`, {
    file: first.file,
    line: first.line,
    field: opts.field,
    details: found.map((f) => `${f.file}:${f.line}: [${f.kind}] ${f.text}`),
    hint: `${opts.consequence} Remove it from the changelog, or set ${opts.field.replace('*', '<name>')}: true if it is intended.`,
  });
}
