/**
 * Finds SQL in a package that would run a shell on the database host or the deploying machine:
 * `COPY … TO/FROM PROGRAM` (runs as the postgres OS user when the role may), psql's `\!` shell escape, and psql
 * commands that pipe to or from a command (`\copy … program`, `\o |cmd`, `\w |cmd`, `\g |cmd`). Statements are
 * split by the psql lexer; the COPY check also reads inside string literals, so `EXECUTE 'COPY … PROGRAM …'` in a
 * DO block is found too. Pure.
 */
import { lexPsqlScript } from './psql-lexer.js';

export interface ShellEscape {
  line: number;
  kind: 'copy-program' | 'psql-shell' | 'psql-pipe';
  text: string;
}

const COPY_PROGRAM = /\bcopy\b[\s\S]*?\b(?:to|from)\s+program\b/i;

/** Every shell escape in a psql script, with its line. */
export function findShellEscapes(sql: string): ShellEscape[] {
  const out: ShellEscape[] = [];
  const excerpt = (t: string) => t.replace(/\s+/g, ' ').trim().slice(0, 80);
  for (const item of lexPsqlScript(sql, new Map())) {
    if (item.kind === 'sql') {
      if (COPY_PROGRAM.test(item.text)) out.push({ line: item.line, kind: 'copy-program', text: excerpt(item.text) });
      continue;
    }
    const cmd = item.command.toLowerCase();
    const args = item.args.join(' ');
    if (cmd === '!') out.push({ line: item.line, kind: 'psql-shell', text: excerpt(`\\! ${args}`) });
    else if (cmd === 'copy' && /\bprogram\b/i.test(args))
      out.push({ line: item.line, kind: 'psql-pipe', text: excerpt(`\\copy ${args}`) });
    else if (['o', 'out', 'w', 'write', 'g', 'gx'].includes(cmd) && /^\s*\|/.test(args))
      out.push({ line: item.line, kind: 'psql-pipe', text: excerpt(`\\${cmd} ${args}`) });
    if (item.query && COPY_PROGRAM.test(item.query.text))
      out.push({ line: item.query.line, kind: 'copy-program', text: excerpt(item.query.text) });
  }
  return out;
}
