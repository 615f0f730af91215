/**
 * Where Liquibase 4.28's default statement splitting cuts a PostgreSQL dollar-quoted body. Its SimpleSqlGrammar has
 * no dollar-quote token, so StringUtil.processMultiLineSQL ends a statement at every `;` outside quotes and comments
 * unless a BEGIN…END count is open (BEGIN not followed by TRANSACTION/TRANS/TRAN/DIALOG/CONVERSATION/DISTRIBUTED
 * counts up; END not followed by TRANSACTION/TRANS/TRAN counts down, so `END IF;` closes it too). Measured with
 * `liquibase update`: `AS $$ SELECT 1; $$` and a plpgsql body with `DECLARE x int;` fail with "Unterminated dollar
 * quote"; `DO $$ BEGIN …; END $$` runs. Slipway splits such bodies correctly and warns that Liquibase fails there.
 */

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const WORD = /[A-Za-z_\u0080-\uffff$][A-Za-z0-9_\u0080-\uffff$#@]*/y;
const BEGIN_NOT = new Set(['transaction', 'trans', 'tran', 'dialog', 'conversation', 'distributed']);
const END_NOT = new Set(['transaction', 'trans', 'tran']);

/** Offset of the first `;` inside a dollar quote at which Liquibase's default splitting would cut, or null. */
export function liquibaseDollarSplit(sql: string): number | null {
  // Without a `$` there is no dollar quote to cut (most statements): skip tokenizing them.
  if (!sql.includes('$')) return null;
  let dollar: string | null = null;
  let i = 0;
  let open = 0;
  const n = sql.length;
  // Words and semicolons as Liquibase's tokens (quotes and comments skipped); `inDollar`: inside a dollar quote.
  const tokens: { kind: 'word' | 'semi'; text: string; at: number; inDollar: boolean }[] = [];
  while (i < n) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && sql[j] !== c) j += sql[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    if (c === '$') {
      DOLLAR_TAG.lastIndex = i;
      const m = DOLLAR_TAG.exec(sql);
      if (m && (dollar === null || m[0] === dollar)) {
        dollar = dollar === null ? m[0] : null;
        i += m[0].length;
        continue;
      }
    }
    if (c === ';') {
      tokens.push({ kind: 'semi', text: ';', at: i, inDollar: dollar !== null });
      i++;
      continue;
    }
    WORD.lastIndex = i;
    const w = WORD.exec(sql);
    if (w) {
      tokens.push({ kind: 'word', text: w[0].toLowerCase(), at: i, inDollar: dollar !== null });
      i += w[0].length;
      continue;
    }
    i++;
  }
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    // Liquibase's nextPiece is the next non-blank token, a `;` included.
    const next = tokens[k + 1]?.text ?? '';
    if (t.kind === 'word' && t.text === 'begin' && !BEGIN_NOT.has(next)) open++;
    else if (t.kind === 'word' && t.text === 'end' && open > 0 && !END_NOT.has(next)) open--;
    else if (t.kind === 'semi' && open === 0 && t.inDollar) return t.at;
  }
  return null;
}
