/**
 * Loads an XML (or YAML/JSON, mapped to the same node shape) changelog: properties, includes and changesets in
 * document order, as liquibase.changelog.DatabaseChangeLog.load does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SlipwayError } from '../../errors.js';
import {
  addSqlChange,
  addTagChange,
  finishChangeSet,
  newDraft,
  splitRollback,
  trimmedRollback,
  V8_DEFAULT_STRIP,
  type ChangeSetDraft,
  type RollbackPlace,
  type SqlPiece,
} from './build-changeset.js';
import { normalizeLogicalPath } from './formatted-sql.js';
import { recordedLogicalFilePath, referencedPath } from './paths.js';
import { boolAttr, changelogXsdVersion, checkAttrs, xsdTakesAnyAttribute } from './node-attrs.js';
import { parseNodePreconditions } from './node-preconditions.js';
import type { ParseWarning, Preconditions, SourceLocation } from '../model.js';
import { bodyNeverRuns } from '../precondition-static.js';
import { parseModifySql } from './modify-sql.js';
import { readablePath, resolveInside, resolveReferenced } from './paths.js';
import { parseJavaProperties } from '../java-properties.js';
import { decodeSqlFile } from './sql-file-encoding.js';
import { matchesDbms, reusedChangeSets } from './select.js';
import { applyRemovals, readRemoval, REMOVABLE } from './remove-property.js';
import type { BuildContext, NameContext, QuotingStrategy } from '../changes/index.js';
import { javaTrim } from '../changes/identifiers.js';
import type { FileContext, WalkState } from './walk-state.js';
import type { ChangelogNode } from './xml-tree.js';
import { attrLine, sqlPlace, textLine } from './value-lines.js';

export interface IncludeRequest {
  kind: 'include' | 'includeAll';
  /** Root-relative path (file or directory). */
  target: string;
  /** The path as written, properties expanded (for messages, and for what Liquibase records). */
  written: string;
  /** relativeToChangelogFile. */
  relative: boolean;
  node: ChangelogNode;
  ctx: FileContext;
}

/**
 * The change-type module (src/db/changes: 21 modules of SQL generators), loaded by the first changeSet that has an
 * element the code below does not handle itself (OWN_ELEMENTS): a changelog of <sql>, <sqlFile> and formatted SQL
 * never loads it.
 */
let changeTypes: typeof import('../changes/index.js') | undefined;

/** changeSet children this file handles itself; any other is asked of the change-type module (which may refuse it). */
const OWN_ELEMENTS = new Set([
  'modifySql',
  'comment',
  'validCheckSum',
  'preConditions',
  'rollback',
  'sql',
  'sqlFile',
  'tagDatabase',
]);

/** Whether reading this changeSet asks the change-type module about one of its elements (or its rollback's). */
function needsChangeTypes(changeSet: ChangelogNode): boolean {
  return changeSet.children.some(
    (c) => !OWN_ELEMENTS.has(c.name) || (c.name === 'rollback' && c.children.some((r) => r.name !== 'sql')),
  );
}

/** The loaded change-type module; loadChangelogNodes loads it before a changeSet that needsChangeTypes. */
function changes(): typeof import('../changes/index.js') {
  if (!changeTypes) throw new Error('internal: the change types were not loaded before the changeSet that uses them');
  return changeTypes;
}

/** Processes the root element of one changelog file. */
export async function loadChangelogNodes(
  root: ChangelogNode,
  ctx: FileContext,
  state: WalkState,
  include: (r: IncludeRequest) => Promise<void>,
): Promise<void> {
  const file = ctx.path;
  if (root.name !== 'databaseChangeLog') {
    throw new SlipwayError('E_CHANGELOG', `Expected <databaseChangeLog>, found <${root.name}>`, {
      file,
      line: root.line,
      hint: 'A Liquibase changelog has <databaseChangeLog> as its root element.',
    });
  }
  // XML is validated by Liquibase (unknown attributes fail); YAML/JSON unknown keys are ignored, with a warning.
  const ignored = /\.xml$/i.test(file) ? undefined : state.warnings;
  checkAttrs(root, file, ignored);
  const rootContext = root.attrs.contextFilter ?? root.attrs.context;
  const fileCtx: FileContext = {
    ...ctx,
    schemaLocation: root.schemaLocation,
    logicalFilePath: root.attrs.logicalFilePath ?? ctx.logicalFilePath,
    inheritedContexts: rootContext ? [...ctx.inheritedContexts, rootContext] : ctx.inheritedContexts,
    objectQuotingStrategy: quotingAttr(root, file) ?? ctx.objectQuotingStrategy,
    // removeChangeSetProperty applies to this file only (each file is its own DatabaseChangeLog in Liquibase).
    removals: [],
  };
  if (state.stack.length === 1) state.masterQuoting = fileCtx.objectQuotingStrategy ?? 'LEGACY';
  // YAML/JSON: YamlChangeLogParser (4.28) defines every `property` of the file, as written (nothing expanded, only
  // `context` read, not `contextFilter`), before it expands or loads anything, so a property defined later in the
  // file is visible to what comes before it; an included file's properties still arrive when it is loaded. XML is
  // read in document order. Measured: test/integration/db-property-order-oracle.test.ts.
  const yaml = ignored !== undefined;
  if (yaml) {
    for (const node of root.children)
      if (node.name === 'property') defineNodeProperty(node, fileCtx, state, 'as-written');
  }
  // Liquibase's XSD (validated when the file names it) orders the root's children: removeChangeSetProperty*,
  // property*, preConditions?, then changeSet/include/includeAll. Measured on 4.28: a <property> after a changeSet,
  // include or preConditions (or a <removeChangeSetProperty> after a <property>) fails validation
  // ("cvc-complex-type.2.4.a: Invalid content was found starting with element … property").
  const xsdRank: Record<string, number> = {
    removeChangeSetProperty: 0,
    property: 1,
    preConditions: 2,
    changeSet: 3,
    include: 3,
    includeAll: 3,
  };
  let rankSeen = 0;
  let rankName = '';
  for (const node of root.children) {
    checkAttrs(node, file, ignored);
    const rank = xsdRank[node.name];
    if (!yaml && root.schemaLocation !== undefined && rank !== undefined) {
      if (rank < rankSeen)
        state.warnings.push({
          code: 'W_LIQUIBASE_REJECTS',
          file,
          line: node.line,
          message: `<${node.name}> after <${rankName}>: Liquibase 4.28's XSD refuses it ("Invalid content was found starting with element ${node.name}") unless run with --validate-xml-changelog-files=false; Slipway reads the file in document order.`,
        });
      else if (rank > rankSeen) [rankSeen, rankName] = [rank, node.name];
    }
    switch (node.name) {
      case 'property':
        // DatabaseChangeLog.load then defines them again, expanded: the first definition of a name wins, so only a
        // `${…}` name adds anything (a property file is not read twice, except one whose path Liquibase could not read as written).
        if (!yaml || node.attrs.file === undefined || node.attrs.file.includes('${'))
          defineNodeProperty(node, fileCtx, state, 'expanded');
        break;
      case 'include':
      case 'includeAll': {
        const field = node.name === 'include' ? 'file' : 'path';
        const raw = node.attrs[field];
        if (!raw)
          throw new SlipwayError('E_CHANGELOG', `<${node.name}> needs a ${field} attribute`, {
            file,
            line: node.line,
            field,
          });
        const expanded = state.properties.expand(raw, file);
        const relative = boolAttr(node, 'relativeToChangelogFile', false, file);
        // The XSD the file names fills in the attributes it leaves out, as Liquibase's validating parser does:
        // dbchangelog-3.4 … 4.5 declare includeAll errorIfMissingOrEmpty default="false" (4.6 on: "true", the
        // code's default). Measured: a missing includeAll directory under dbchangelog-4.4.xsd is skipped.
        if (
          node.name === 'includeAll' &&
          node.attrs.errorIfMissingOrEmpty === undefined &&
          !yaml &&
          xsdSkipsMissingIncludeAll(root.schemaLocation)
        )
          node.attrs.errorIfMissingOrEmpty = 'false';
        // A path error names the value's line (YAML/JSON: it may sit below its key).
        const target = resolveReferenced(
          state.rootDir,
          expanded,
          file,
          () => attrLine(node, field),
          relative,
          true,
          field,
        );
        if (boolAttr(node, 'ignore', false, file)) break;
        await include({ kind: node.name, target, written: expanded, relative, node, ctx: fileCtx });
        break;
      }
      case 'changeSet':
        if (!changeTypes && needsChangeTypes(node)) changeTypes = await import('../changes/index.js');
        state.add(loadChangeSet(node, fileCtx, state));
        break;
      case 'preConditions':
        state.preconditions.push(changelogPreconditions(node, fileCtx, state));
        break;
      case 'removeChangeSetProperty': {
        const expanded = expandAttrs(node, (t) => state.properties.expand(t, file));
        const r = readRemoval(expanded, file, state.filter.dbms ?? 'postgresql', state.warnings);
        if (r) fileCtx.removals!.push(r);
        break;
      }
      default:
        // A YAML/JSON entry of the root whose value is text (`{"comment": "Initial tables", "include": {…}}`):
        // Liquibase 4.28 runs the changelog and says nothing of it; one whose value is a mapping stops it ("Unexpected
        // node found under databaseChangeLog: comment"), as it stops Slipway. Measured in db-yaml-shapes-oracle.test.ts.
        if (yaml && isTextEntry(node)) {
          state.warnings.push(
            ignoredTextEntry(node, file, 'W_IGNORED_ATTRIBUTE', 'in databaseChangeLog is no changelog entry'),
          );
          break;
        }
        throw new SlipwayError('E_CHANGELOG', `Unsupported element <${node.name}> in <databaseChangeLog>`, {
          file,
          line: node.line,
          hint: 'Slipway reads removeChangeSetProperty, property, preConditions, include, includeAll and changeSet.',
        });
    }
  }
  // An unknown `remove` no addColumn followed: Liquibase never applied it, so never failed on it.
  for (const r of fileCtx.removals!) {
    if (!REMOVABLE.includes(r.remove))
      state.warnings.push({
        code: 'W_REMOVE_PROPERTY_IGNORED',
        file,
        line: r.line,
        message: `removeChangeSetProperty remove="${r.remove}" is not one of ${REMOVABLE.join(', ')}: Liquibase 4.28 fails on it only when an addColumn follows in the same file (none does here), so it is ignored.`,
      });
  }
}

/** A YAML/JSON entry whose value is text (`- note: …`): no fields, no children. */
function isTextEntry(node: ChangelogNode): boolean {
  return node.text !== '' && !node.children.length && !Object.keys(node.attrs).length;
}

/** The warning for a text entry Liquibase 4.28 skips without a word: `what` says where it stood. */
function ignoredTextEntry(
  node: ChangelogNode,
  file: string,
  code: 'W_IGNORED_ATTRIBUTE' | 'W_IGNORED_CHANGE',
  what: string,
): ParseWarning {
  const text = node.text.length > 40 ? node.text.slice(0, 40) + '…' : node.text;
  return {
    code,
    file,
    line: node.line,
    message: `"${node.name}: ${text}" ${what}: Liquibase ignores it, and so does Slipway.`,
  };
}

/**
 * `<preConditions>` of a `<databaseChangeLog>`. Liquibase 4.28 ANDs every file's container into one checked before
 * anything runs (ValidatingVisitor.validate): WARN warns and goes on, anything else stops the update (CONTINUE and
 * MARK_RAN rethrow into the global HALT container). Its XSD allows only HALT and WARN here (measured: "Value
 * 'CONTINUE' is not facet-valid"), so XML with another action is an error as in Liquibase.
 */
function changelogPreconditions(node: ChangelogNode, ctx: FileContext, state: WalkState): Preconditions {
  const file = ctx.path;
  const pre = parseNodePreconditions(node, file, {
    expand: (s) => state.properties.expand(s, file),
    lookup: (n) => state.properties.lookup(n, file),
    quoting: state.masterQuoting ?? 'LEGACY',
    names: { quoting: state.masterQuoting ?? 'LEGACY', defaultSchema: state.defaultSchema },
    warn: (w) => state.warnings.push(w),
  });
  if (/\.xml$/i.test(file)) {
    for (const which of ['onFail', 'onError'] as const) {
      if (pre[which] === 'HALT' || pre[which] === 'WARN') continue;
      throw new SlipwayError(
        'E_CHANGELOG',
        `${which}="${node.attrs[which]}" on a changelog's <preConditions>: Liquibase allows only HALT or WARN there`,
        {
          file,
          line: attrLine(node, which),
          field: which,
          hint: 'Use HALT or WARN (or move the preconditions into each changeSet).',
        },
      );
    }
  }
  return {
    ...pre,
    onFail: pre.onFail === 'WARN' ? 'WARN' : 'HALT',
    onError: pre.onError === 'WARN' ? 'WARN' : 'HALT',
  };
}

function defineNodeProperty(
  node: ChangelogNode,
  ctx: FileContext,
  state: WalkState,
  mode: 'expanded' | 'as-written',
): void {
  const file = ctx.path;
  const asWritten = mode === 'as-written';
  // Liquibase expands the whole node (DatabaseChangeLog.expandExpressions) before reading it; YAML's first pass not.
  const x = (v: string | undefined): string | undefined =>
    v === undefined || asWritten ? v : state.properties.expand(v, file);
  const p = {
    context: x(asWritten ? node.attrs.context : (node.attrs.contextFilter ?? node.attrs.context)) ?? null,
    labels: x(node.attrs.labels) ?? null,
    dbms: x(node.attrs.dbms) ?? null,
  };
  const global = boolAttr(node, 'global', true, file);
  if (node.attrs.file !== undefined) {
    if (asWritten && node.attrs.file.includes('${')) {
      // Measured: Liquibase 4.28 looks the unexpanded path up and fails ("URISyntaxException: Illegal character in
      // opaque part … resourceaccessor:${d}/p.properties"), even with errorIfMissing false.
      state.warnings.push({
        code: 'W_LIQUIBASE_REJECTS',
        file,
        line: attrLine(node, 'file'),
        message: `property file "${node.attrs.file}": Liquibase 4.28 does not expand \${…} in a YAML/JSON property file path and fails ("Illegal character in opaque part"); Slipway expands it.`,
      });
      return; // the expanded path is read in document order, by the second pass
    }
    for (const def of readPropertyFile(node, x(node.attrs.file)!, ctx, state)) {
      if (state.propertyApplies(p))
        state.properties.define({
          ...def,
          value: asWritten ? def.value : state.properties.expand(def.value, file),
          ...p,
          global,
          file,
        });
    }
    return;
  }
  const name = x(node.attrs.name);
  const value = node.attrs.value ?? node.text;
  if (!name) throw new SlipwayError('E_CHANGELOG', '<property> needs a name', { file, line: node.line });
  if (!state.propertyApplies(p)) return;
  state.properties.define({
    name,
    value: asWritten ? value : state.properties.expand(value, file),
    ...p,
    global,
    file,
  });
}

/**
 * The properties of `<property file="…">`, as DatabaseChangeLog (4.28) reads them: the path is looked up in the
 * search path, or beside the changelog with relativeToChangelogFile; a missing file is an error unless
 * errorIfMissing="false" (then a warning, as Liquibase logs one); the file is read by java.util.Properties.
 */
function readPropertyFile(
  node: ChangelogNode,
  written: string,
  ctx: FileContext,
  state: WalkState,
): { name: string; value: string }[] {
  const file = ctx.path;
  const relative = boolAttr(node, 'relativeToChangelogFile', false, file);
  const line = (): number => attrLine(node, 'file');
  const target = resolveReferenced(state.rootDir, written, file, line, relative, true, 'file');
  const readable = readablePath(state.rootDir, target, file, line, written, state.realDirs, 'file');
  let bytes: Buffer;
  try {
    bytes = readFileSync(readable);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') {
      throw new SlipwayError('E_CHANGELOG', `Cannot read property file ${target}: ${(e as Error).message}`, {
        file,
        line: attrLine(node, 'file'),
        field: 'file',
        cause: e,
      });
    }
    if (!boolAttr(node, 'errorIfMissing', true, file)) {
      state.warnings.push({
        code: 'W_PROPERTY_FILE_MISSING',
        file,
        line: attrLine(node, 'file'),
        message: `Property file not found: ${target} (errorIfMissing="false": Liquibase warns and goes on).`,
      });
      return [];
    }
    throw new SlipwayError('E_CHANGELOG', `Property file not found: ${target}`, {
      file,
      line: attrLine(node, 'file'),
      field: 'file',
      hint: relative
        ? 'relativeToChangelogFile="true": the path is resolved beside this changelog.'
        : 'The path is resolved from the root directory (the search path); set relativeToChangelogFile="true" to resolve it beside this changelog, or errorIfMissing="false".',
    });
  }
  if (!state.read.has(target)) state.files.push({ path: target });
  state.read.add(target);
  try {
    return parseJavaProperties(bytes).map((p) => ({ name: p.key, value: p.value }));
  } catch (e) {
    throw new SlipwayError('E_CHANGELOG', `Property file ${target}: ${(e as Error).message}`, {
      file,
      line: attrLine(node, 'file'),
      field: 'file',
      cause: e,
    });
  }
}

function loadChangeSet(node: ChangelogNode, ctx: FileContext, state: WalkState): ReturnType<typeof finishChangeSet> {
  const file = ctx.path;
  const x = (v: string | undefined): string | undefined =>
    v === undefined ? undefined : state.properties.expand(v, file);
  const id = x(node.attrs.id);
  const author = x(node.attrs.author);
  // An empty author is allowed and recorded as '' (Liquibase 4.28 validates only the id: "ChangeSet Id is empty").
  if (!id || author === undefined)
    throw new SlipwayError('E_CHANGELOG', '<changeSet> needs id and author', { file, line: node.line });
  // An empty logicalFilePath on the changeSet is none (the file's applies); on databaseChangeLog it is recorded as ''.
  const lfp = x(node.attrs.logicalFilePath) || ctx.logicalFilePath;
  const d: ChangeSetDraft = newDraft({
    id,
    author,
    filename: lfp !== null ? recordedLogicalFilePath(lfp) : normalizeLogicalPath(ctx.recordedPath || file),
    file,
    line: node.line,
  });
  d.contexts = x(node.attrs.contextFilter ?? node.attrs.context) || null;
  d.labels = x(node.attrs.labels) || null;
  d.dbms = x(node.attrs.dbms) || null;
  d.runOnChange = boolAttr(node, 'runOnChange', false, file);
  d.runAlways = boolAttr(node, 'runAlways', false, file);
  d.runInTransaction = boolAttr(node, 'runInTransaction', true, file);
  d.failOnError = boolAttr(node, 'failOnError', true, file);
  d.ignore = boolAttr(node, 'ignore', false, file);
  d.runWith = node.attrs.runWith ?? null;
  const names: NameContext = {
    quoting: quotingAttr(node, file) ?? ctx.objectQuotingStrategy ?? 'LEGACY',
    defaultSchema: state.defaultSchema,
  };
  const inverses: Inverse[] = [];
  // A changeSet for other databases only is never loaded by Liquibase 4.28 (DatabaseChangeLog.handleChildNode keeps
  // its id, author and dbms as a skipped changeset), so nothing inside it can fail: a <customChange> whose class is
  // not there, a change type it does not know (measured on cromwell's dbms="mysql,hsqldb" customChange). Selection
  // drops it by its dbms (select.ts).
  const otherDbms = d.dbms !== null && !matchesDbms(d.dbms, state.filter.dbms ?? 'postgresql');
  const runOrder = otherDbms ? null : runOrderAttr(x(node.attrs.runOrder), file, node);
  if (otherDbms) for (const child of node.children) noteNotRunSqlFile(d, child, file, x);
  for (const child of otherDbms ? [] : node.children) {
    // YAML/JSON, or an XML element the file's XSD leaves open: Liquibase ignores an unknown attribute, with a warning.
    const lenient = !/\.xml$/i.test(file) || xsdTakesAnyAttribute(child.name, ctx.schemaLocation);
    checkAttrs(child, file, lenient ? state.warnings : undefined);
    addChild(d, child, ctx, state, names, inverses);
  }
  // No <rollback>: the rollback Liquibase infers, the inverse of each change in reverse order (ChangeSet.rollback),
  // available only when every change has one (an <sql> change has none).
  if (d.rollback === null && !d.rollbackBroken && inverses.length > 0) {
    const without = inverses.find((i) => i.sql === null);
    if (without) d.noRollback = `<${without.change}> has no automatic rollback`;
    else d.rollback = [...inverses].reverse().flatMap((i) => i.sql!);
  }
  // No changes for PostgreSQL (none at all, or only other databases'): Liquibase 4.28 runs it as an empty changeset
  // and records it EXECUTED with the empty checksum and description "empty" (measured; see db-empty-oracle test).
  const cs = finishChangeSet(d, state.warnings);
  if (runOrder) state.runOrder.set(cs, runOrder);
  if (bodyNeverRuns(d.preconditions))
    (state.skippedBodies ??= new Map()).set(
      cs,
      () => finishChangeSet({ ...d, preconditions: null }, state.warnings).statements,
    );
  if (ctx.inheritedContexts.length) cs.inheritedContexts = ctx.inheritedContexts;
  if (d.notRunSqlFiles?.length) cs.notRunSqlFiles = d.notRunSqlFiles;
  if (ctx.inheritedLabels.length) cs.inheritedLabels = ctx.inheritedLabels;
  return cs;
}

/**
 * A changeSet's runOrder: "first", "last" or none. Liquibase 4.28 reads it as written (ChangeSet.load does not
 * lower-case it) and stops on any other value, "" included ("Unknown runOrder: LAST", measured).
 */
function runOrderAttr(value: string | undefined, file: string, node: ChangelogNode): 'first' | 'last' | null {
  if (value === undefined) return null;
  if (value === 'first' || value === 'last') return value;
  throw new SlipwayError('E_CHANGELOG', `Unknown runOrder: ${JSON.stringify(value)}`, {
    file,
    line: attrLine(node, 'runOrder'),
    field: 'runOrder',
    hint: 'Liquibase accepts runOrder="first" or runOrder="last" only, in lower case.',
  });
}

/**
 * `<rollback changeSetId="…" changeSetAuthor="…" changeSetPath="…"/>` (YAML/JSON `rollback: {changeSetId: …}`): the
 * changes of an earlier changeset are the rollback, as Liquibase 4.28's ChangeSet.handleRollbackNode reuses them. It
 * looks the changeset up among those loaded so far (this file's, then each includer's: every changeset read before
 * this one), by DatabaseChangeLog.getChangeSets: id and author ignoring case, a changeset for PostgreSQL, the path
 * (default: this changeset's own) compared with each one's recorded path, both normalized and ignoring case. Every
 * match counts; none is an error, as in Liquibase ("Change set … does not exist"). Children and text beside
 * changeSetId are ignored, as Liquibase returns before reading them.
 */
function referencedRollback(node: ChangelogNode, d: ChangeSetDraft, state: WalkState): string[] | null {
  const id = node.attrs.changeSetId!;
  const author = node.attrs.changeSetAuthor;
  const at = node.attrs.changeSetPath ?? d.filename;
  const found = reusedChangeSets(state.earlier, { id, author, path: at }, state.filter.dbms ?? 'postgresql');
  if (found.length === 0) {
    throw new SlipwayError(
      'E_CHANGELOG',
      `Rollback of changeset ${d.author}:${d.id} reuses changeset ${at}::${id}::${author ?? 'null'}, which does not exist before it (Liquibase 4.28: "Change set … does not exist")`,
      {
        file: d.file,
        line: attrLine(node, 'changeSetId'),
        field: 'changeSetId',
        hint: 'changeSetId, changeSetAuthor and changeSetPath (default: this file) must name a changeset read before this one.',
      },
    );
  }
  const statements: string[] = [];
  for (const c of found) {
    const skipped = state.skippedBodies?.get(c);
    if (!skipped) {
      statements.push(...c.statements);
      continue;
    }
    // Its preconditions fail on PostgreSQL, so the package leaves its body out of the update; Liquibase reuses its
    // changes all the same (ChangeSet.handleRollbackNode takes the changes, preconditions are an update's matter).
    // Measured: a rollback reusing a changeSet under <dbms type="mysql"/> onFail MARK_RAN runs that changeSet's SQL.
    try {
      statements.push(...skipped());
    } catch (e) {
      if (!(e instanceof SlipwayError)) throw e;
      // Another database's SQL that does not even split (an unterminated quote): Liquibase updates and fails only on
      // rollback, so the update is packaged and this changeset has no rollback, as for a broken endDelimiter.
      const why = `its rollback reuses changeset ${c.filename}::${c.id}::${c.author}, whose SQL cannot run on PostgreSQL (${e.message})`;
      state.warnings.push({
        code: 'W_LIQUIBASE_REJECTS',
        file: d.file,
        line: attrLine(node, 'changeSetId'),
        message: `Liquibase 4.28 fails when it rolls back ${d.author}:${d.id}: ${why}.`,
      });
      d.rollbackBroken = true;
      d.noRollback = why;
      return null;
    }
  }
  return statements;
}

/**
 * Adds a `<rollback>`'s statements (null: it has none Slipway can run) and where each was written to the draft; a
 * broken rollback leaves the changeset without one.
 */
function addRollback(d: ChangeSetDraft, statements: string[] | null, locations: SourceLocation[] | null): void {
  if (d.rollbackBroken || statements === null) {
    d.rollback = null;
    d.rollbackLocations = undefined;
    return;
  }
  d.rollback = [...(d.rollback ?? []), ...statements];
  d.rollbackLocations = [...(d.rollbackLocations ?? []), ...locations!];
}

/** A changeSet's `<rollback>`: its SQL (text, <sql>, <sqlFile>, change types) or a reused changeset's, with locations. */
function addRollbackNode(
  d: ChangeSetDraft,
  child: ChangelogNode,
  ctx: FileContext,
  state: WalkState,
  names: NameContext,
  expand: (t: string) => string,
): void {
  const file = ctx.path;
  if (child.attrs.changeSetId !== undefined) {
    const reused = referencedRollback(expandNode(child, expand), d, state);
    // Statements of another changeset: at the changeSetId that names it.
    const at = { file, line: attrLine(child, 'changeSetId') };
    addRollback(d, reused, reused && reused.map(() => at));
    return;
  }
  const statements: string[] = [];
  const locations: SourceLocation[] = [];
  let broken = false;
  const at = { file, changeSet: `${d.author}:${d.id}`, warnings: state.warnings };
  const raw = expand(child.text);
  const { text, place } = trimmedRollback(raw, file, sqlPlace(child, raw));
  if (text) {
    const part = splitRollback(text, null, true, { ...at, line: child.line, field: 'endDelimiter' }, place)!;
    statements.push(...part.statements);
    locations.push(...part.locations);
  }
  for (const c of child.children) {
    if (c.name === 'sql' || c.name === 'sqlFile') {
      const a = expandAttrs(c, expand);
      let text: string;
      let place: RollbackPlace;
      if (c.name === 'sql') {
        const raw = expand(c.attrs.sql ?? c.text);
        ({ text, place } = trimmedRollback(raw, file, sqlPlace(c, raw, 'sql')));
      } else {
        // SQLFileChange in a rollback runs its file's statements, split as the update splits them.
        const { target, content } = readSqlFile(a, c, file, state);
        ({ text, place } = trimmedRollback(expand(content), target, { line: 1 }));
      }
      const split = boolAttr(a, 'splitStatements', true, file);
      const part = text
        ? splitRollback(
            text,
            a.attrs.endDelimiter ?? null,
            split,
            { ...at, line: attrLine(c, 'endDelimiter'), field: 'endDelimiter' },
            place,
          )
        : { statements: [], locations: [] };
      if (part === null) broken = true;
      else {
        statements.push(...part.statements);
        locations.push(...part.locations);
      }
    } else if (changes().isChangeType(c.name)) {
      const { buildChange, changeSql } = changes();
      const rctx = { ...buildContext(d, ctx, state), model: undefined };
      const rnode = applyRemovals(expandNode(c, expand), ctx.removals ?? []);
      for (const sql of changeSql(buildChange(rnode, rctx), names)) {
        statements.push(sql);
        locations.push({ file, line: c.line });
      }
    } else if (c.name === 'comment') {
      // ChangeSet.handleRollbackNode asks ChangeFactory for each child: "comment" is no change type and has no
      // child elements, so it is dropped without a word; a rollback of comments only is an EmptyChange (measured
      // with Liquibase 4.28: update and rollback-count run, nothing is rolled back for it).
      continue;
    } else unsupportedRollback(c, file);
  }
  if (broken) d.rollbackBroken = true;
  addRollback(d, statements, locations);
}

function addChild(
  d: ChangeSetDraft,
  child: ChangelogNode,
  ctx: FileContext,
  state: WalkState,
  names: NameContext = { quoting: 'LEGACY', defaultSchema: 'public' },
  inverses: Inverse[] = [],
): void {
  const file = ctx.path;
  const expand = (t: string): string => state.properties.expand(t, file);
  if (
    (child.name === 'sql' || child.name === 'sqlFile') &&
    child.attrs.dbms &&
    !matchesDbms(expand(child.attrs.dbms), state.filter.dbms ?? 'postgresql')
  ) {
    // A DbmsTargetedChange for another database neither runs nor counts in the V9 checksum, but V8 counted it
    // (ChangeSet.generateCheckSum; both measured with Liquibase 4.28).
    noteNotRunSqlFile(d, child, file, (t) => (t === undefined ? undefined : expand(t)));
    const skipped = newDraft({ id: d.id, author: d.author, filename: d.filename, file, line: child.line });
    addChild(skipped, { ...child, attrs: { ...child.attrs, dbms: '' } }, ctx, state, names);
    d.changeChecksumsV8.push(...skipped.changeChecksumsV8);
    d.descriptions.push(...skipped.descriptions);
    // Still a change of the changeset when Liquibase infers its rollback (ChangeSet.rollback asks every change for
    // its inverse, without the dbms filter the update applies), and SQL has none (measured: "No inverse to
    // liquibase.change.core.RawSQLChange created" for a createTable + <sql dbms="mysql"> changeset).
    inverses.push({ change: child.name, sql: null });
    return;
  }
  switch (child.name) {
    case 'modifySql':
      d.sqlVisitors.push(...parseModifySql(expandNode(child, expand), file, state.filter));
      return;
    case 'comment':
      if (child.changesEntry) return ignoreCommentEntry(child, file, state);
      // ChangeSet.load joins every <comment> of the changeSet with "\n" and trims the whole to null: several
      // comments are one text, not the last one (adorsys/ledgers writes one before each change). An empty one adds
      // no line (measured: the XML parser keeps no node for it).
      if (child.text.trim() === '') return;
      (d.commentParts ??= []).push(expand(child.text.trim()));
      d.comment = javaTrim(d.commentParts.join('\n')) || null;
      return;
    case 'validCheckSum':
      d.validCheckSums.push(child.text.trim());
      return;
    case 'preConditions':
      d.preconditions = parseNodePreconditions(child, file, {
        expand,
        lookup: (n) => state.properties.lookup(n, file),
        quoting: state.masterQuoting ?? 'LEGACY',
        names,
        warn: (w) => state.warnings.push(w),
      });
      return;
    case 'rollback':
      // Kept out of addChild, which runs for every change.
      return addRollbackNode(d, child, ctx, state, names, expand);
    case 'sql': {
      // Every attribute was expanded with the node (DatabaseChangeLog.expandExpressions); the text is expanded here.
      const a = expandAttrs(child, expand);
      const sql = expand(child.attrs.sql ?? child.text);
      const piece: SqlPiece = {
        sql,
        file,
        // YAML/JSON: where the text is, not the `sql:` key (a block starts below it); XML: the element's line.
        ...sqlPlace(child, sql, 'sql'),
        splitStatements: boolAttr(a, 'splitStatements', true, file),
        stripComments: boolAttr(a, 'stripComments', false, file),
        endDelimiter: a.attrs.endDelimiter ?? null,
        native: true,
      };
      // YAML/JSON: an endDelimiter that is no regular expression is reported at its own line (XML: the element's).
      if (piece.endDelimiter !== null && child.yamlText !== undefined)
        piece.endDelimiterLine = attrLine(child, 'endDelimiter');
      d.pieces.push(piece);
      addSqlChange(d, sql, v8Options(a, piece), 'sql');
      inverses.push({ change: 'sql', sql: null });
      return;
    }
    case 'sqlFile': {
      const a = expandAttrs(child, expand);
      const { target, content } = readSqlFile(a, child, file, state);
      const p = a.attrs.path!;
      const piece = {
        sql: expand(content),
        file: target,
        line: 1,
        splitStatements: boolAttr(a, 'splitStatements', true, file),
        stripComments: boolAttr(a, 'stripComments', false, file),
        endDelimiter: a.attrs.endDelimiter ?? null,
        native: true,
      };
      d.pieces.push(piece);
      // Measured: Liquibase 4.28 hashes the file's text before property expansion (SQLFileChange.generateCheckSum:
      // decoded with `encoding`, re-encoded as UTF-8, the default liquibase.fileEncoding); the path is the expanded one.
      addSqlChange(d, Buffer.from(content, 'utf8'), v8Options(a, piece), `sqlFile path=${p}`);
      inverses.push({ change: 'sqlFile', sql: null });
      return;
    }
    case 'tagDatabase': {
      const tag = child.attrs.tag;
      // YAML/JSON `- tagDatabase:` with no tag (XML's XSD requires one): Liquibase 4.28 runs it and tags nothing —
      // the changeset's row keeps no tag, an earlier row keeps its own; its checksum hashes `tagDatabase:[]`.
      if (tag === undefined && !/\.xml$/i.test(file)) {
        state.warnings.push({
          code: 'W_IGNORED_CHANGE',
          file,
          line: child.line,
          message: 'tagDatabase has no tag: Liquibase runs it and tags nothing, and so does Slipway.',
        });
        addTagChange(d, null);
        inverses.push({ change: 'tagDatabase', sql: [] });
        return;
      }
      if (!tag) throw new SlipwayError('E_CHANGELOG', '<tagDatabase> needs a tag', { file, line: child.line });
      addTagChange(d, tag);
      inverses.push({ change: 'tagDatabase', sql: [] });
      return;
    }
    default:
      if (changes().isChangeType(child.name)) {
        addChangeType(d, applyRemovals(expandNode(child, expand), ctx.removals ?? []), ctx, state, names, inverses);
        return;
      }
      // A YAML/JSON `changes` entry whose value is text (`- tag: v1`) and whose key is no change type, or such a key
      // straight under the changeSet: Liquibase 4.28's ChangeSet.handleChildNode skips it without a word (a mapping
      // there is "Unknown change type").
      if (isTextEntry(child) && !/\.xml$/i.test(file) && !LIQUIBASE_ONLY_CHANGE_TYPES.has(child.name)) {
        if (child.changesEntry)
          state.warnings.push(ignoredTextEntry(child, file, 'W_IGNORED_CHANGE', 'among the changes is no change type'));
        // Straight under the changeSet (yaml-tree.ts keeps it in its place, in case it is a change): an attribute
        // Liquibase never reads, warned as any other unknown changeSet attribute, at its own line.
        else
          checkAttrs(
            {
              name: 'changeSet',
              attrs: { [child.name]: child.text },
              children: [],
              text: '',
              line: child.line,
              column: 0,
            },
            file,
            state.warnings,
          );
        return;
      }
      if (!LIQUIBASE_ONLY_CHANGE_TYPES.has(child.name)) {
        throw new SlipwayError('E_CHANGELOG', `Unknown change type <${child.name}>`, {
          file,
          line: child.line,
          column: child.column,
          hint: 'Liquibase 4.28 has no such change type either (it stops with "Unknown change type"): check spelling and capitalization; changes of Liquibase 1.x such as <modifyColumn> were removed.',
        });
      }
      throw new SlipwayError('E_CHANGELOG', `Change type <${child.name}> is not supported`, {
        file,
        line: child.line,
        column: child.column,
        hint: 'Slipway renders SQL itself: write the change as <sql>…</sql>, <sqlFile>, or a formatted SQL changelog.',
      });
  }
}

/**
 * `- comment: text` among a YAML/JSON changeSet's changes: Liquibase 4.28's ChangeSet.handleChildNode finds no change
 * type `comment` and drops the entry without a word, and the changeSet's comment comes from its own `comment:` key
 * only (measured: the history row's COMMENTS stays empty, or keeps the changeSet's own comment). A mapping there is an
 * unknown change type, as for any other name.
 */
function ignoreCommentEntry(child: ChangelogNode, file: string, state: WalkState): void {
  if (child.children.length || Object.keys(child.attrs).length) {
    throw new SlipwayError('E_CHANGELOG', 'Unknown change type <comment>', {
      file,
      line: child.line,
      column: child.column,
      hint: "Liquibase 4.28 stops on it too. A changeSet's comment is its own key: changeSet: {id, author, comment: …, changes: […]}.",
    });
  }
  state.warnings.push({
    code: 'W_IGNORED_CHANGE',
    file,
    line: child.line,
    message:
      '"comment:" among the changes is neither a change nor the changeSet\'s comment: Liquibase ignores it, and so does Slipway (write comment: beside id and author).',
  });
}

/** Whether the dbchangelog XSD `schemaLocation` names (3.4 to 4.5) defaults includeAll errorIfMissingOrEmpty to false. */
function xsdSkipsMissingIncludeAll(schemaLocation: string | undefined): boolean {
  const v = changelogXsdVersion(schemaLocation);
  if (!v) return false;
  const n = v.major * 100 + v.minor;
  return n >= 304 && n <= 405;
}

/**
 * Change types of liquibase-core 4.28 (its META-INF/services/liquibase.change.Change) that Slipway does not render:
 * none since addLookupTable and mergeColumns (src/db/changes/composite.ts); a new Liquibase version's would go here.
 */
const LIQUIBASE_ONLY_CHANGE_TYPES = new Set<string>();

/** The node with `${…}` expanded in its attributes only (its text is expanded where it is read). */
function expandAttrs(node: ChangelogNode, expand: (t: string) => string): ChangelogNode {
  return { ...node, attrs: Object.fromEntries(Object.entries(node.attrs).map(([k, v]) => [k, expand(v)])) };
}

/**
 * A change element with `${…}` expanded in every attribute and text, as Liquibase expands them while parsing. What
 * expansion leaves as it was is not copied: a node (attributes, children) with no `${…}` is returned itself, so the
 * columns of a createTable whose table name alone is a property are not rebuilt (nothing changes the nodes read).
 */
function expandNode(node: ChangelogNode, expand: (t: string) => string): ChangelogNode {
  // Loops, not Object.fromEntries(Object.entries(…).map(…)): this runs on every element of every change (20,000
  // <column>s in fineract), and the entry arrays were a visible share of its CPU profile.
  let attrs = node.attrs;
  for (const k in node.attrs) {
    if (!node.attrs[k]!.includes('${')) continue;
    attrs = {};
    for (const k2 in node.attrs) attrs[k2] = expand(node.attrs[k2]!);
    break;
  }
  const text = node.text === '' ? '' : expand(node.text);
  let children = node.children;
  for (let i = 0; i < node.children.length; i++) {
    const c = expandNode(node.children[i]!, expand);
    if (c === node.children[i]) continue;
    if (children === node.children) children = node.children.slice();
    children[i] = c;
  }
  return attrs === node.attrs && text === node.text && children === node.children
    ? node
    : { ...node, attrs, text, children };
}

function buildContext(d: ChangeSetDraft, ctx: FileContext, state: WalkState): BuildContext {
  const file = ctx.path;
  return {
    file,
    rootDir: state.rootDir,
    changeSet: { id: d.id, author: d.author },
    expand: (t) => state.properties.expand(t, file),
    customChanges: state.customChanges,
    model: state.schemaModel,
    warn: (line, code, message) => state.warnings.push({ code, file, line, message }),
    readFile: (rel, from, field) => {
      // At the value of the attribute that names the file, when the caller says which (YAML/JSON: its own line).
      const line = (): number => (field === undefined ? from.line : attrLine(from, field));
      const target = resolveInside(state.rootDir, rel, file, line, rel, true, field);
      const readable = readablePath(state.rootDir, target, file, line, rel, state.realDirs, field);
      let bytes: Buffer;
      try {
        bytes = readFileSync(readable);
      } catch {
        throw new SlipwayError('E_CHANGELOG', `File not found: ${target} (from <${from.name}>)`, {
          file,
          line: line(),
          ...(field !== undefined ? { field } : {}),
          hint: 'Check the path (and relativeToChangelogFile).',
        });
      }
      if (!state.read.has(target)) state.files.push({ path: target });
      state.read.add(target);
      return bytes;
    },
  };
}

/** A change's inverse for the rollback Liquibase infers: its SQL, or null when the change type has none. */
interface Inverse {
  change: string;
  sql: string[] | null;
}

/** One Liquibase change type: its SQL as pieces that are not split again, its checksum, description and inverse. */
function addChangeType(
  d: ChangeSetDraft,
  node: ChangelogNode,
  ctx: FileContext,
  state: WalkState,
  names: NameContext,
  inverses: Inverse[],
): void {
  const { buildChange, changeChecksumOf, changeChecksumV8Of, changeDescription, changeSql, inverseSql } = changes();
  const built = buildChange(node, buildContext(d, ctx, state));
  if (built.dbms && !matchesDbms(built.dbms, state.filter.dbms ?? 'postgresql')) {
    // A DbmsTargetedChange for another database: not run, not in the V9 checksum, still in V8 (as for <sql>).
    d.changeChecksumsV8.push(changeChecksumV8Of(built));
    d.descriptions.push(changeDescription(built));
    // Its inverse still counts in an inferred rollback, as for <sql> above (measured on insert dbms="oracle": "No
    // inverse to liquibase.change.core.InsertDataChange created"); no DbmsTargetedChange type has one.
    inverses.push({ change: built.name, sql: inverseSql(built, names) });
    return;
  }
  // At the attribute Liquibase's validation refuses (YAML/JSON: its own line), as XML's element line.
  if (built.invalid && !d.invalid) {
    const line = built.invalid.field === undefined ? node.line : attrLine(node, built.invalid.field);
    d.invalid = { ...built.invalid, file: ctx.path, line };
  }
  // A createProcedure body written in the changelog runs from the line its text is on (value-lines.ts), as a <sql>.
  const line = node.name === 'createProcedure' ? procedureLine(node) : node.line;
  for (const sql of changeSql(built, names)) {
    d.pieces.push({
      sql,
      file: ctx.path,
      line,
      splitStatements: false,
      stripComments: false,
      endDelimiter: null,
    });
  }
  const v9 = changeChecksumOf(built);
  d.changeChecksums.push(v9);
  d.changeChecksumsV8.push(changeChecksumV8Of(built, v9));
  d.descriptions.push(changeDescription(built));
  inverses.push({ change: built.name, sql: inverseSql(built, names) });
}

/**
 * Where a createProcedure's body starts: its procedureText, else procedureBody (what procedures.ts runs, in that
 * order), else its text; a body read from `path` is at the element.
 */
function procedureLine(node: ChangelogNode): number {
  if (node.attrs.path !== undefined) return node.line;
  if (node.attrs.procedureText !== undefined) return attrLine(node, 'procedureText');
  if (node.attrs.procedureBody !== undefined) return attrLine(node, 'procedureBody');
  return textLine(node);
}

const QUOTING = ['LEGACY', 'QUOTE_ALL_OBJECTS', 'QUOTE_ONLY_RESERVED_WORDS'];

/** objectQuotingStrategy on <databaseChangeLog> or <changeSet>. */
function quotingAttr(node: ChangelogNode, file: string): QuotingStrategy | undefined {
  const v = node.attrs.objectQuotingStrategy;
  if (v === undefined) return undefined;
  if (!QUOTING.includes(v)) {
    throw new SlipwayError('E_CHANGELOG', `objectQuotingStrategy="${v}" is not one Liquibase knows`, {
      file,
      line: attrLine(node, 'objectQuotingStrategy'),
      field: 'objectQuotingStrategy',
      hint: `Use one of ${QUOTING.join(', ')}.`,
    });
  }
  return v as QuotingStrategy;
}

function v8Options(
  child: ChangelogNode,
  piece: { splitStatements: boolean; stripComments: boolean; endDelimiter: string | null },
): { endDelimiter: string | null; splitStatements: boolean; stripComments: boolean | null } {
  return {
    endDelimiter: piece.endDelimiter,
    splitStatements: piece.splitStatements,
    stripComments: child.attrs.stripComments === undefined ? V8_DEFAULT_STRIP.xml : piece.stripComments,
  };
}

/** The file a `<sqlFile>` names (attributes expanded), read as Liquibase reads it and kept among the package sources. */
function readSqlFile(
  a: ChangelogNode,
  child: ChangelogNode,
  file: string,
  state: WalkState,
): { target: string; content: string } {
  const p = a.attrs.path;
  if (!p) throw new SlipwayError('E_CHANGELOG', '<sqlFile> needs a path', { file, line: child.line, field: 'path' });
  const rel = boolAttr(a, 'relativeToChangelogFile', false, file);
  const line = (): number => attrLine(child, 'path');
  const target = resolveReferenced(state.rootDir, p, file, line, rel, true, 'path');
  const readable = readablePath(state.rootDir, target, file, line, p, state.realDirs, 'path');
  let bytes: Buffer;
  try {
    bytes = readFileSync(readable);
  } catch {
    const named = p === target ? target : `${p} (looked up as ${target} under the root)`;
    throw new SlipwayError('E_CHANGELOG', `sqlFile not found: ${named}`, {
      file,
      line: line(),
      field: 'path',
      hint: p.startsWith('/')
        ? 'Liquibase looks paths up in its search path only, so does Slipway: a path starting with "/" is read from under the root directory, never from the file system. Write it relative to the root.'
        : 'Check the path (and relativeToChangelogFile).',
    });
  }
  // StreamUtil.readStreamAsString: a BOM is dropped and decides the charset, else `encoding`, else UTF-8.
  const content = decodeSqlFile(bytes, a.attrs.encoding, file, child);
  if (!state.read.has(target)) state.files.push({ path: target });
  state.read.add(target);
  state.includeDirs.add(path.posix.dirname(target));
  return { target, content };
}

function unsupportedRollback(c: ChangelogNode, file: string): never {
  throw new SlipwayError('E_CHANGELOG', `<${c.name}> inside <rollback> is not supported`, {
    file,
    line: c.line,
    hint: 'Write the rollback as SQL text or <sql>.',
  });
}

/**
 * Records the file of a `<sqlFile>` that never runs (its changeset or change is for another dbms) on the draft, so
 * compile's syntax check passes over it (src/db/skipped-sql.ts). A path that does not resolve is left out: nothing
 * reads it.
 */
function noteNotRunSqlFile(
  d: ChangeSetDraft,
  child: ChangelogNode,
  file: string,
  expand: (t: string | undefined) => string | undefined,
): void {
  const written = child.name === 'sqlFile' ? expand(child.attrs.path) : undefined;
  if (!written) return;
  try {
    const relative = /^true$/i.test(expand(child.attrs.relativeToChangelogFile) ?? '');
    (d.notRunSqlFiles ??= []).push(referencedPath(file, written, relative));
  } catch {
    // an unresolvable path: Liquibase never reads it either
  }
}
