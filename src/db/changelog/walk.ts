/**
 * Follows a master changelog through include / includeAll / nested masters, reading each file once per inclusion,
 * in Liquibase's order, with cycle, escape and missing-file errors that name the including file and line.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { SlipwayError } from '../../errors.js';
import { addSqlChange, finishChangeSet, newDraft } from './build-changeset.js';
import { loadChangelogNodes, type IncludeRequest } from './changelog-nodes.js';
import { isFormattedSql, parseFormattedSql } from './formatted-sql.js';
import { readablePath } from './paths.js';
import { attrLine } from './value-lines.js';
import type { FileContext, WalkState } from './walk-state.js';
import { parseXmlTree } from './xml-tree.js';

/** Extensions Liquibase 4.28 has changelog parsers for (includeAll picks only these). */
export const CHANGELOG_EXTENSIONS = ['.xml', '.sql', '.yaml', '.yml', '.json'];

interface From {
  file: string;
  /** The line of the include's path value (YAML/JSON: it may sit below its key; XML: the element's line). */
  line: number;
  /** The attribute that holds the path (`file`, `path`). */
  field?: string;
  /** The include's path as written, when it is not the root-relative path looked up. */
  written?: string;
}

/**
 * Reads and parses one changelog file (and, recursively, what it includes). Asynchronous only so the YAML parser and
 * the change types load when a file needs them (most changelogs are XML and formatted SQL).
 */
export async function loadFile(state: WalkState, ctx: FileContext, from: From | null): Promise<void> {
  const target = ctx.path;
  const loop = state.stack.findIndex((s) => s.path === target);
  if (loop >= 0) {
    const chain = [...state.stack.slice(loop).map((s) => s.path), target].join(' -> ');
    throw new SlipwayError('E_CHANGELOG', `Include cycle: ${chain}`, {
      file: from?.file,
      line: from?.line,
      field: from?.field,
      hint: 'Remove one of the includes so every file is reached once.',
    });
  }
  const readable = readablePath(
    state.rootDir,
    target,
    from?.file ?? target,
    () => from?.line ?? 0,
    from?.written ?? target,
    state.realDirs,
    from?.field,
  );
  let content: string;
  try {
    content = readFileSync(readable, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR';
    const named = from?.written ? `${from.written} (looked up as ${target} under the root)` : target;
    throw new SlipwayError(
      'E_CHANGELOG',
      from ? `Included file not found: ${named}` : `Changelog not found: ${target}`,
      {
        ...(from ? { file: from.file, line: from.line, field: from.field } : { file: target }),
        hint: missing
          ? from?.written?.startsWith('/')
            ? 'Liquibase looks paths up in its search path only, so does Slipway: a path starting with "/" is read from under the root directory, never from the file system (Liquibase: "not found in the configured search path"). Write it relative to the root.'
            : 'Check the path; non-relative include paths are resolved from the root directory (the search path).'
          : `Could not read it: ${(e as Error).message}`,
        cause: e,
      },
    );
  }
  state.read.add(target);
  state.files.push({ path: target });
  state.stack.push({ path: target });
  const ext = path.posix.extname(target).toLowerCase();
  if (ext === '.xml') {
    const root = parseXmlTree(content, target);
    if (root.schemaLocation === undefined) {
      // Measured: Liquibase 4.28 validates XML changelogs against its XSD by default and, without a schema location,
      // fails with "cvc-elt.1.a: Cannot find the declaration of element 'databaseChangeLog'".
      state.warnings.push({
        code: 'W_LIQUIBASE_REJECTS',
        file: target,
        line: root.line,
        message: `<${root.name}> has no xsi:schemaLocation: Liquibase 4.28 rejects this file ("Cannot find the declaration of element") unless run with --validate-xml-changelog-files=false; Slipway reads it.`,
      });
    } else {
      const problem = changelogXsdProblem(root.schemaLocation, state.rootDir);
      if (problem)
        state.warnings.push({ code: 'W_LIQUIBASE_REJECTS', file: target, line: root.line, message: problem });
    }
    await loadChangelogNodes(root, ctx, state, (r) => include(state, r));
  } else if (ext === '.yaml' || ext === '.yml' || ext === '.json') {
    const { parseYamlTree } = await import('./yaml-tree.js');
    await loadChangelogNodes(await parseYamlTree(content, target), ctx, state, (r) => include(state, r));
  } else if (ext === '.sql') loadSqlFile(state, ctx, content);
  else {
    throw new SlipwayError('E_CHANGELOG', `Unsupported changelog type: ${target}`, {
      file: from?.file ?? target,
      line: from?.line,
      field: from?.field,
      hint: `Use one of ${CHANGELOG_EXTENSIONS.join(', ')}.`,
    });
  }
  noteExpressionLines(state, target, content);
  state.stack.pop();
}

/** expressionLines' key of `${name}` asked for from `file`. */
export const expressionKey = (file: string, name: string): string => `${file}\0${name}`;

/**
 * Notes in state.expressionLines where each `${NAME}` this file asked for and Liquibase would answer from outside the
 * changelog (or from the server: W_PROPERTY_UNKNOWN_AT_BUILD) is first written in `content` (compared ignoring case and spaces in the braces); absent when it is not
 * there literally (built by a nested expression). Every lookup from a file happens while it is parsed, so at its end
 * the outside lookups name every expression of it that a warning will locate.
 */
function noteExpressionLines(state: WalkState, file: string, content: string): void {
  const { notTaken, overriding, jvm } = state.properties.outside;
  for (const lookups of [notTaken, overriding, jvm, state.properties.unknownAtBuild]) {
    for (const [name, asker] of lookups) {
      const key = expressionKey(file, name);
      if (asker !== file || state.expressionLines.has(key)) continue;
      const re = new RegExp(`\\$\\{\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\}`, 'i');
      const m = re.exec(content);
      if (m) state.expressionLines.set(key, content.slice(0, m.index).split('\n').length);
    }
  }
}

function loadSqlFile(state: WalkState, ctx: FileContext, content: string): void {
  if (isFormattedSql(content)) {
    const res = parseFormattedSql({
      file: ctx.path,
      content,
      logicalFilePath: ctx.logicalFilePath,
      properties: state.properties,
      propertyApplies: state.propertyApplies,
      earlier: state.earlier,
      emit: (cs) => {
        if (ctx.inheritedContexts.length) cs.inheritedContexts = ctx.inheritedContexts;
        if (ctx.inheritedLabels.length) cs.inheritedLabels = ctx.inheritedLabels;
        return state.add(cs);
      },
    });
    state.warnings.push(...res.warnings);
    return;
  }
  // A plain .sql file: Liquibase's SqlChangeLogParser makes one changeset, id "raw", author "includeAll".
  // Measured on 4.28: its `${…}` are neither expanded for execution nor for the checksum.
  const sql = content;
  const d = newDraft({
    id: 'raw',
    author: 'includeAll',
    filename: ctx.logicalFilePath || ctx.path,
    file: ctx.path,
    line: 1,
  });
  // SqlChangeLogParser turns statement splitting off (the V8 header Liquibase 4.28 validates against says so).
  d.pieces.push({
    sql,
    file: ctx.path,
    line: 1,
    splitStatements: false,
    stripComments: false,
    endDelimiter: null,
    native: true,
  });
  addSqlChange(d, sql, { endDelimiter: null, splitStatements: false, stripComments: false }, 'sql');
  state.add(finishChangeSet(d, state.warnings));
}

function childContext(r: IncludeRequest, target: string): FileContext {
  const ctxExpr = r.node.attrs.contextFilter ?? r.node.attrs.context;
  // Formatted SQL takes a second leading "/" off (it records getLogicalFilePath, normalised again): db/a.sql.
  const keepsSlash =
    r.kind === 'include' && !r.relative && /^\/\//.test(r.written.replace(/\\/g, '/')) && !/\.sql$/i.test(target);
  return {
    path: target,
    ...(keepsSlash ? { recordedPath: `/${target}` } : {}),
    // Liquibase 4.28 ignores logicalFilePath on include/includeAll (its XSD refuses it; YAML/JSON: measured).
    logicalFilePath: null,
    inheritedContexts: ctxExpr ? [...r.ctx.inheritedContexts, ctxExpr] : r.ctx.inheritedContexts,
    inheritedLabels: r.node.attrs.labels ? [...r.ctx.inheritedLabels, r.node.attrs.labels] : r.ctx.inheritedLabels,
  };
}

async function include(state: WalkState, r: IncludeRequest): Promise<void> {
  const field = r.kind === 'include' ? 'file' : 'path';
  // The line only when an error asks (a getter): most includes never need it.
  const from: From = {
    file: r.ctx.path,
    field,
    get line() {
      return attrLine(r.node, field);
    },
  };
  if (r.kind === 'include') {
    // A "/" path is looked up under the root (paths.ts): its error names both what was written and where it looked.
    if (/^[\\/]/.test(r.written)) from.written = r.written;
    if (/^false$/i.test(r.node.attrs.errorIfMissing ?? '') && !existsSync(path.join(state.rootDir, r.target))) return;
    state.includeDirs.add(path.posix.dirname(r.target));
    await loadFile(state, childContext(r, r.target), from);
    return;
  }
  for (const a of ['resourceComparator', 'filter'] as const) {
    if (r.node.attrs[a]) {
      throw new SlipwayError('E_CHANGELOG', `<includeAll ${a}="…"> names a Java class Slipway cannot run`, {
        file: from.file,
        line: attrLine(r.node, a),
        field: a,
        hint: 'Remove it; files are included in path order.',
      });
    }
  }
  for (const target of listIncludeAll(state, r, from)) await loadFile(state, childContext(r, target), from);
}

/**
 * Files includeAll picks, in Liquibase 4.28's order: recursive, changelog extensions only, sorted by full path in
 * UTF-16 code-unit order (Java String.compareTo). Measured: of two names differing only in case, Liquibase keeps
 * just the first in that order (`A.sql` before `a.sql`); we do the same and warn.
 */
export function listIncludeAll(state: WalkState, r: IncludeRequest, from: From): string[] {
  const dir = r.target;
  const abs = path.join(state.rootDir, dir);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = false;
  }
  const errorIfMissing = !/^false$/i.test(r.node.attrs.errorIfMissingOrEmpty ?? 'true');
  if (!isDir) {
    if (!errorIfMissing) return [];
    throw new SlipwayError('E_CHANGELOG', `includeAll directory not found: ${dir}`, {
      file: from.file,
      line: from.line,
      field: from.field,
      hint: 'Check the path (and relativeToChangelogFile).',
    });
  }
  const minDepth = Number(r.node.attrs.minDepth ?? 1);
  const maxDepth = Number(r.node.attrs.maxDepth ?? Number.MAX_SAFE_INTEGER);
  const endsWith = r.node.attrs.endsWithFilter?.toLowerCase();
  const found: string[] = [];
  const walk = (rel: string, depth: number): void => {
    for (const e of readdirSync(path.join(state.rootDir, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (depth < maxDepth) walk(p, depth + 1);
      } else if (depth >= minDepth && CHANGELOG_EXTENSIONS.includes(path.posix.extname(e.name).toLowerCase())) {
        if (!endsWith || e.name.toLowerCase().endsWith(endsWith)) found.push(p);
      }
    }
  };
  walk(dir, 1);
  found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const seen = new Map<string, string>();
  const result: string[] = [];
  for (const f of found) {
    const k = f.toLowerCase();
    const first = seen.get(k);
    if (first !== undefined) {
      state.warnings.push({
        code: 'W_CASE_DUPLICATE',
        file: f,
        line: 1,
        message: `Liquibase skips ${f} because ${first} differs only in case.`,
      });
      continue;
    }
    seen.set(k, f);
    result.push(f);
  }
  if (result.length === 0 && errorIfMissing) {
    throw new SlipwayError('E_CHANGELOG', `includeAll directory has no changelog files: ${dir}`, {
      file: from.file,
      line: from.line,
      field: from.field,
      hint: `It must hold ${CHANGELOG_EXTENSIONS.join(', ')} files, or set errorIfMissingOrEmpty="false".`,
    });
  }
  return result;
}

const DBCHANGELOG_NS = 'http://www.liquibase.org/xml/ns/dbchangelog';

/**
 * Why Liquibase 4.28 cannot read the dbchangelog XSD a schemaLocation names (so rejects the file), or null. Measured
 * (LiquibaseEntityResolver, liquibase.secureParsing on, the default): it resolves the dbchangelog XSDs it ships
 * (1.0 … 4.28, latest) from its jar, and any http(s) location as the path after the scheme on its search path
 * (`https://local.xsd/dbchangelog-4.4.xsd` is `<root>/local.xsd/dbchangelog-4.4.xsd`); it looks nothing up over the
 * network, and reads no location without a scheme. A schemaLocation without the dbchangelog namespace is not judged.
 */
function changelogXsdProblem(schemaLocation: string, rootDir: string): string | null {
  const words = schemaLocation.trim().split(/\s+/);
  const at = words.findIndex((w, i) => i % 2 === 0 && w === DBCHANGELOG_NS);
  const loc = at === -1 ? undefined : words[at + 1];
  if (loc === undefined) return null;
  const shipped =
    /^https?:\/\/www\.liquibase\.org\/xml\/ns\/dbchangelog\/dbchangelog-(?:latest|(\d+)\.(\d+))\.xsd$/.exec(loc);
  if (shipped) {
    const [major, minor] = [Number(shipped[1] ?? 4), Number(shipped[2] ?? 28)];
    if (
      (major === 1 && minor <= 9) ||
      (major === 2 && minor === 0) ||
      (major === 3 && minor <= 10) ||
      (major === 4 && minor <= 28)
    )
      return null;
  }
  const onSearchPath = /^https?:\/\//i.test(loc) ? loc.replace(/^https?:\/\//i, '') : null;
  if (onSearchPath !== null) {
    const file = path.join(rootDir, onSearchPath);
    if (!onSearchPath.split('/').includes('..') && existsSync(file) && statSync(file).isFile()) return null;
    return shipped
      ? `xsi:schemaLocation names ${path.posix.basename(loc)}, which Liquibase 4.28 does not ship: it rejects this file ("Unable to resolve xml entity … liquibase.secureParsing is set to 'true'") unless run with --secure-parsing=false and network access; Slipway reads it.`
      : `xsi:schemaLocation names ${loc}, which Liquibase 4.28 does not ship and does not find on its search path as ${onSearchPath}: it rejects this file ("Unable to resolve xml entity … liquibase.secureParsing is set to 'true'") unless that file is there, or it runs with --secure-parsing=false and network access; Slipway reads it.`;
  }
  return `xsi:schemaLocation names ${loc}, a location without http:// or https://, which Liquibase 4.28 does not read ("'file' access is not allowed due to restriction set by the accessExternalSchema property"): it rejects this file; Slipway reads it.`;
}
