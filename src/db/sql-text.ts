/** Small quoting helpers shared by the SQL generators (SQL is data: every generator returns text). */

/** What the package generator writes before each changeset so the runner (and a reader) knows which one runs. */
export const CHANGESET_MARKER = '@slipway ';

/** A standard-conforming SQL string literal, or NULL. */
export function quoteLiteral(value: string | null): string {
  if (value === null) return 'NULL';
  return value.includes("'") ? `'${value.replace(/'/g, "''")}'` : `'${value}'`;
}

const PSQL_ARG_SPECIAL = /[\\'\n]/;

/** A psql meta-command argument in single quotes (psql doubles quotes and reads backslash escapes there). */
export function quotePsqlArg(value: string): string {
  if (!PSQL_ARG_SPECIAL.test(value)) return `'${value}'`;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\n/g, '\\n')}'`;
}

/** A dollar-quoted literal whose tag does not occur in `body`. */
export function dollarQuote(body: string, base = 'slipway'): string {
  let tag = base;
  for (let i = 1; body.includes(`$${tag}$`); i++) tag = `${base}${i}`;
  return `$${tag}$${body}$${tag}$`;
}

/** `file::id::author`, Liquibase's own way of naming a changeset in messages. */
export function changeSetKey(cs: { id: string; author: string; filename: string }): string {
  return `${cs.filename}::${cs.id}::${cs.author}`;
}

/** Single-line text for `--` comments (a newline would end the comment and turn the rest into SQL). */
export function commentText(value: string): string {
  // Most values have no line break: two indexOf scans instead of a regex replace (measured per changeset).
  if (value.indexOf('\n') < 0 && value.indexOf('\r') < 0) return value;
  return value.replace(/[\r\n]+/g, ' ');
}
