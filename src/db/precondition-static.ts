/**
 * What a changeset's preconditions decide before any database is asked: the leaves whose answer is known when the
 * package is built (dbms, changeLogPropertyDefined, expectedQuotingStrategy, customPrecondition), combined in
 * Liquibase 4.28's order. The renderer writes these leaves as TRUE/FALSE from here, and the changelog parser leaves out the body of a
 * changeset whose preconditions are false here, as Liquibase never runs (nor splits) it.
 */
import type { Precondition, Preconditions } from './model.js';
import { matchesDbms } from './changelog/select.js';

/** The database a package runs on: what DBMSPrecondition compares with (Database.getShortName()). */
const TARGET_DBMS = 'postgresql';

/** A leaf's answer known at build time, or null when only the database can answer (and the check might error). */
export function staticLeaf(c: Precondition): boolean | null {
  switch (c.type) {
    case 'dbms':
      // DBMSPrecondition: DatabaseList.definitionMatches(type, database, false), so an empty type fails; `!mysql`,
      // `all` and `none` as in a changeSet's dbms (measured: `!mysql` runs, `!postgresql` and "" mark ran).
      return (c.attrs.type ?? '').trim() !== '' && matchesDbms(c.attrs.type ?? '', TARGET_DBMS);
    case 'changelog-property-defined':
      // Decided while parsing (node-preconditions.ts), as Liquibase reads the changelog parameters.
      return c.attrs.defined === 'true';
    case 'expected-quoting-strategy':
      return c.attrs.matches === 'true';
    case 'custom':
      // Slipway runs no Java class: it fails, as Liquibase fails a class it cannot load (node-preconditions.ts).
      return false;
    default:
      return null;
  }
}

/**
 * A check's outcome from its static leaves: true (passes), false (fails) or null (depends on the database). Nested
 * checks go in Liquibase's order and stop where it stops (AndPrecondition at the first failure, OrPrecondition at
 * the first pass, NotPrecondition at the first nested pass), so a check that could error is null unless an earlier
 * one already decided: `and(dbms mysql, sqlCheck …)` fails without running the sqlCheck.
 */
function staticCheck(c: Precondition): boolean | null {
  let r: boolean | null;
  if (c.type === 'and' || c.type === 'or') r = staticAll(c.children ?? [], c.type);
  else if (c.type === 'not') {
    const any = staticAll(c.children ?? [], 'or');
    r = any === null ? null : !any;
  } else r = staticLeaf(c);
  return c.negate && r !== null ? !r : r;
}

function staticAll(checks: Precondition[], operator: 'and' | 'or'): boolean | null {
  // `and` stops at the first failure, `or` at the first pass: that outcome decides.
  const decisive = operator === 'or';
  for (const c of checks) {
    const r = staticCheck(c);
    if (r === null) return null;
    if (r === decisive) return decisive;
  }
  return !decisive;
}

/** The outcome of a `<preConditions>` when the build alone decides it, else null. */
export function staticPreconditions(pre: Preconditions): boolean | null {
  return staticAll(pre.checks, pre.operator);
}

/**
 * Whether a changeset's body can never run: its preconditions fail whatever the database holds and onFail is HALT,
 * CONTINUE or MARK_RAN (only WARN runs a changeset whose preconditions failed). A static check cannot error, so
 * onError never applies. Liquibase 4.28 (ChangeSet.execute) checks preconditions before it generates any statement,
 * so such a body is never split or sent — it may be another database's SQL (measured: `<sql>` with MySQL's `"\""`
 * under `<dbms type="mysql"/>` onFail MARK_RAN is recorded MARK_RAN on PostgreSQL).
 */
export function bodyNeverRuns(pre: Preconditions | null): boolean {
  return pre !== null && pre.onFail !== 'WARN' && staticPreconditions(pre) === false;
}
