import { SlipwayError } from '../errors.js';

/** A string value that came from an environment variable, remembered for `sources`. */
export interface Interpolation {
  path: string;
  vars: string[];
}

// ${VAR} or ${VAR:default}; `$${` escapes a literal `${`.
const PATTERN = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g;

/** Replaces `${VAR:default}` in every string of `value` (deep); collects every missing variable into one error. */
export function interpolateEnv(
  value: unknown,
  env: Record<string, string | undefined>,
  file: string,
): { value: unknown; interpolations: Interpolation[] } {
  const missing: string[] = [];
  const interpolations: Interpolation[] = [];
  const walk = (v: unknown, path: string[]): unknown => {
    if (typeof v === 'string') {
      const vars: string[] = [];
      const out = v.replace(PATTERN, (whole, escaped: string | undefined, name: string, def: string | undefined) => {
        if (escaped) return whole.slice(1);
        vars.push(name);
        const got = env[name];
        if (got !== undefined && got !== '') return got;
        if (def !== undefined) return def;
        missing.push(`${path.join('.') || '(root)'}: \${${name}} is not set and has no default`);
        return '';
      });
      if (vars.length) interpolations.push({ path: path.join('.'), vars });
      return out;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, String(i)]));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    }
    return v;
  };
  const out = walk(value, []);
  if (missing.length) {
    throw new SlipwayError('E_CONFIG', `${file}: ${missing.length} environment variable(s) missing`, {
      file,
      details: missing,
      hint: 'Export the variables, or give a default with ${VAR:default}.',
    });
  }
  return { value: out, interpolations };
}
