/**
 * Changeset selection by contexts, labels and dbms, ported from Liquibase 4.28 (liquibase.util.ExpressionMatcher,
 * ContextExpression, LabelExpression, DatabaseList.definitionMatches) so the same changesets run as with
 * `liquibase update --contexts … --labels …`.
 */
import type { ChangeSet } from '../model.js';
import { changeSetPathKey } from './paths.js';

export interface SelectFilter {
  /** Runtime contexts (`--contexts a,b`); none given = every changeset's context matches. */
  contexts?: string[];
  /** Runtime label expression (`--labels "a and !b"`); none = no label filtering. */
  labels?: string;
  /** Target database short name; default `postgresql`. */
  dbms?: string;
}

/** Liquibase ExpressionMatcher.matches: `!`/`not`, `and`, `or`, `,`, parentheses, `@` required; case-insensitive. */
export function matchesExpression(expression: string, items: string[]): boolean {
  let expr = expression.trim();
  if (expr === ':TRUE') return true;
  if (expr === ':FALSE') return false;
  while (expr.includes('(')) {
    const m = /\([^()]+\)/.exec(expr);
    if (!m) throw new Error(`Cannot parse expression ${expr}`);
    const nested = matchesExpression(m[0].slice(1, -1), items);
    expr = `${expr.slice(0, m.index)} :${String(nested).toUpperCase()} ${expr.slice(m.index + m[0].length)}`;
  }
  expr = expr.replace(/\s*,\s*/g, ' or ');
  const ors = expr.split(/\s+or\s+/);
  if (ors.length > 1) return ors.some((p) => matchesExpression(p, items));
  const ands = expr.split(/\s+and\s+/);
  if (ands.length > 1) return ands.every((p) => matchesExpression(p, items));
  let not = false;
  if (expr.startsWith('!')) {
    not = true;
    expr = expr.slice(1).trim();
  } else if (expr.toLowerCase().startsWith('not ')) {
    not = true;
    expr = expr.slice(4).trim();
  } else if (/^@\s*(!|not ).+/.test(expr)) {
    not = true;
    expr = expr.replace(/^@\s*(!|not )/, '').trim();
  }
  // `@x` (4.28 reads the `@` on the expression, not on the items): x must be among the items, so without items (no
  // --contexts; a changeset without labels under --label-filter '@x') it does not match, where a plain `x` does.
  let required = false;
  if (expr.startsWith('@')) {
    required = true;
    expr = expr.slice(1).trim();
  }
  if (!required && items.length === 0) return true;
  if (expr.trim() === ':TRUE') return !not;
  if (expr.trim() === ':FALSE') return not;
  return items.some((i) => i.toLowerCase() === expr.toLowerCase()) ? !not : not;
}

export function splitAndTrim(s: string | null | undefined, lowerCase = true): string[] {
  if (!s || !s.trim()) return [];
  return s
    .split(',')
    .map((p) => (lowerCase ? p.trim().toLowerCase() : p.trim()))
    .filter((p) => p !== '');
}

/** ContextExpression.matches: a changeset context expression against runtime contexts. */
export function matchesContexts(changeSetContexts: string | null, runtime: string[] | undefined): boolean {
  return contextsMatch(changeSetContexts, runtimeContexts(runtime));
}

/** The runtime contexts as ContextExpression compares them: each split at commas, trimmed, lower-cased. */
function runtimeContexts(runtime: string[] | undefined): string[] {
  return (runtime ?? []).flatMap((c) => splitAndTrim(c));
}

/**
 * matchesContexts with the runtime contexts already split (runtimeContexts). No runtime contexts match every
 * expression but a required one (`@prod`): 4.28's ContextExpression.matches asks ExpressionMatcher even then.
 */
function contextsMatch(changeSetContexts: string | null, rt: string[]): boolean {
  const parts = splitAndTrim(changeSetContexts);
  if (parts.length === 0) return true;
  return parts.some((p) => matchesExpression(p, rt));
}

/** LabelExpression.matches: the runtime label expression against a changeset's labels. */
export function matchesLabels(runtimeExpression: string | undefined, changeSetLabels: string | null): boolean {
  return labelsMatch(splitAndTrim(runtimeExpression), changeSetLabels);
}

/** matchesLabels with the runtime expression already split (splitAndTrim). */
function labelsMatch(parts: string[], changeSetLabels: string | null): boolean {
  if (parts.length === 0) return true;
  const labels = splitAndTrim(changeSetLabels);
  return parts.some((p) => matchesExpression(p, labels));
}

/**
 * DatabaseList.definitionMatches(definition, shortName, true). `caseSensitive`: the definition as written (split with
 * StringUtil.splitAndTrim, as removeChangeSetProperty's is), not lower-cased (DatabaseList.toDbmsSet, changeSet's).
 */
export function matchesDbms(definition: string | null, dbms: string, caseSensitive = false): boolean {
  const parts = splitAndTrim(definition, !caseSensitive);
  if (parts.length === 0) return true;
  if (parts.includes('all')) return true;
  if (parts.includes('none')) return false;
  const db = dbms.toLowerCase();
  if (parts.includes(`!${db}`)) return false;
  const positive = parts.filter((p) => !p.startsWith('!'));
  return positive.length === 0 || positive.includes(db);
}

/** The changesets `liquibase update` would run with these filters, in order (ignore:true ones dropped). */
export function selectChangeSets(changeSets: ChangeSet[], filter: SelectFilter): ChangeSet[] {
  return changeSets.filter(changeSetSelector(filter));
}

/** Whether `liquibase update` with these filters runs a changeset: selectChangeSets' test, for one at a time. */
export function changeSetSelector(filter: SelectFilter): (cs: ChangeSet) => boolean {
  const dbms = filter.dbms ?? 'postgresql';
  // The runtime contexts and labels are split once, not again for every changeset (and for each of its includers).
  const rt = runtimeContexts(filter.contexts);
  const labels = splitAndTrim(filter.labels);
  // A changelog repeats a few expressions on every changeset (fineract: 1,019 changesets, a handful of contexts):
  // each is matched once against these runtime contexts and labels (the matchers split and run regexes on it).
  const contextsSeen = new Map<string | null, boolean>();
  const labelsSeen = new Map<string | null, boolean>();
  const contextsOk = (c: string | null): boolean => {
    let ok = contextsSeen.get(c);
    if (ok === undefined) contextsSeen.set(c, (ok = contextsMatch(c, rt)));
    return ok;
  };
  const labelsOk = (l: string | null): boolean => {
    let ok = labelsSeen.get(l);
    if (ok === undefined) labelsSeen.set(l, (ok = labelsMatch(labels, l)));
    return ok;
  };
  return (cs) =>
    !cs.ignore &&
    contextsOk(cs.contexts) &&
    (!cs.inheritedContexts || cs.inheritedContexts.every(contextsOk)) &&
    labelsOk(cs.labels) &&
    (!cs.inheritedLabels || cs.inheritedLabels.every(labelsOk)) &&
    matchesDbms(cs.dbms, dbms);
}

/** What a reused rollback (reusedChangeSets) reads of an earlier changeset: a ChangeSet is one. */
export type ReusableChangeSet = Pick<ChangeSet, 'id' | 'author' | 'filename' | 'dbms' | 'location' | 'statements'>;

/**
 * The changesets a reused rollback names (`<rollback changeSetId=… changeSetAuthor=… changeSetPath=…>`, formatted SQL
 * `--rollback changesetId:… changesetAuthor:… changesetPath:…`), as Liquibase 4.28's DatabaseChangeLog.getChangeSets
 * matches them: id and author ignoring case, a changeset for `dbms`, the path against each one's recorded path, both
 * normalized (classpath: and one leading / dropped) and ignoring case. `candidates` in the order Liquibase searches.
 */
export function reusedChangeSets<C extends ReusableChangeSet>(
  candidates: readonly C[],
  ref: { id: string; author: string | undefined; path: string },
  dbms: string,
): C[] {
  const { id, author } = ref;
  if (author === undefined) return [];
  const want = changeSetPathKey(ref.path);
  return candidates.filter(
    (c) =>
      c.author.toLowerCase() === author.toLowerCase() &&
      c.id.toLowerCase() === id.toLowerCase() &&
      (c.dbms === null || matchesDbms(c.dbms, dbms)) &&
      changeSetPathKey(c.filename) === want,
  );
}
