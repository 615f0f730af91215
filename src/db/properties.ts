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

/** Expands `${name}` expressions with `lookup`; unknown names are kept verbatim (Liquibase's default). */
export function expandProperties(text: string, lookup: (name: string) => string | undefined, depth = 0): string {
  if (!text.includes('${') || depth > 20) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, start);
    const end = findClose(text, start + 2);
    if (end < 0) {
      out += text.slice(start);
      break;
    }
    // Inner expressions first, like ExpressionExpander's recursive reader.
    const inner = expandProperties(text.slice(start + 2, end), lookup, depth + 1);
    if (inner.startsWith(':')) {
      out += '${' + inner.slice(1).trim() + '}';
    } else {
      const value = lookup(inner.trim());
      out += value === undefined ? '${' + inner + '}' : expandProperties(value, lookup, depth + 1);
    }
    i = end + 1;
  }
  return out;
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
