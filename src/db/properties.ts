/**
 * Liquibase changelog properties (`<property>`, `--property`, caller-supplied values) and `${name}` expansion.
 * Mirrors liquibase.changelog.ExpressionExpander (4.28): `${name}` is replaced when the property is defined, nested
 * expressions are expanded inside-out, the value itself is expanded again, `${:name}` is an escape that yields the
 * literal `${name}`, and an undefined `${name}` is left as written (MissingPropertyMode PRESERVE, the default).
 */

export interface PropertyDefinition {
  name: string;
  value: string;
  /** Context expression the property is limited to (null = any). */
  context: string | null;
  labels: string | null;
  dbms: string | null;
  /** `global:false` properties are visible only in the changelog file that defines them. */
  global: boolean;
  /** File (relative to the root) that defined it; null for caller-supplied properties. */
  file: string | null;
}

/** Property lookup for one changelog file: caller values win, then the first definition (Liquibase properties are immutable). */
export class PropertyScope {
  private readonly fixed: Map<string, string>;
  private readonly globals = new Map<string, string>();
  private readonly locals = new Map<string, Map<string, string>>();

  constructor(given: Record<string, string> = {}) {
    this.fixed = new Map(Object.entries(given));
  }

  /** Records a definition; a later definition of the same name is ignored, as in Liquibase. */
  define(def: PropertyDefinition): void {
    if (def.global || def.file === null) {
      if (!this.globals.has(def.name)) this.globals.set(def.name, def.value);
      return;
    }
    let m = this.locals.get(def.file);
    if (!m) this.locals.set(def.file, (m = new Map()));
    if (!m.has(def.name)) m.set(def.name, def.value);
  }

  /** Every property visible from any file (caller values win, then globals); for tools that check SQL outside a changeset. */
  visible(): Record<string, string> {
    return Object.fromEntries([...this.globals, ...this.fixed]);
  }

  /** Value of `name` as seen from `file`, or undefined. */
  lookup(name: string, file: string | null): string | undefined {
    return (
      this.fixed.get(name) ?? this.globals.get(name) ?? (file === null ? undefined : this.locals.get(file)?.get(name))
    );
  }

  /** Expands `${…}` in `text` as seen from `file`. */
  expand(text: string, file: string | null): string {
    return expandProperties(text, (n) => this.lookup(n, file));
  }
}

/** One top-level `${…}` expression of a text and what Liquibase writes in its place. */
export interface PropertyExpression {
  /** Offsets of `${` and just past the closing `}`. */
  start: number;
  end: number;
  /** The property name (inner expressions already expanded, trimmed). */
  name: string;
  /** The replacement; undefined when no such property is defined (Liquibase then keeps the expression as written). */
  value: string | undefined;
  /** The text kept when `value` is undefined. */
  kept: string;
}

/**
 * The one scanner for `${name}` (ExpressionExpander's rules): every top-level expression of `text` with its span
 * and value. `expandProperties` and compile's position-keeping substitution (src/builder/compile/sql-chunks.ts) both
 * read it, so they cannot disagree on nesting, escapes or unknown names.
 */
export function findPropertyExpressions(
  text: string,
  lookup: (name: string) => string | undefined,
  depth = 0,
): PropertyExpression[] {
  const found: PropertyExpression[] = [];
  if (!text.includes('${') || depth > 20) return found;
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) break;
    const end = findClose(text, start + 2);
    if (end < 0) break;
    // Inner expressions first, like ExpressionExpander's recursive reader.
    const inner = expandProperties(text.slice(start + 2, end), lookup, depth + 1);
    const kept = '${' + inner + '}';
    if (inner.startsWith(':')) {
      found.push({ start, end: end + 1, name: inner.slice(1).trim(), value: '${' + inner.slice(1).trim() + '}', kept });
    } else {
      const value = lookup(inner.trim());
      const expanded = value === undefined ? undefined : expandProperties(value, lookup, depth + 1);
      found.push({ start, end: end + 1, name: inner.trim(), value: expanded, kept });
    }
    i = end + 1;
  }
  return found;
}

/** Expands `${name}` expressions with `lookup`; unknown names are kept verbatim (Liquibase's default). */
export function expandProperties(text: string, lookup: (name: string) => string | undefined, depth = 0): string {
  if (!text.includes('${') || depth > 20) return text;
  let out = '';
  let i = 0;
  for (const e of findPropertyExpressions(text, lookup, depth)) {
    out += text.slice(i, e.start) + (e.value ?? e.kept);
    i = e.end;
  }
  return out + text.slice(i);
}

/** Index of the `}` closing an expression body starting at `from`, honouring nested `${…}`. */
function findClose(text: string, from: number): number {
  let nest = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      nest++;
      i++;
    } else if (text[i] === '}') {
      if (nest === 0) return i;
      nest--;
    }
  }
  return -1;
}
