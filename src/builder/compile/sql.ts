import { readToolVersion } from '../../version.js';
import { hasSqlDetails, loadModule, parseSync } from 'libpg-query';
import { lineColAt, type SyntaxProblem } from './position.js';
import { mapColumn, planSqlChecks, swapPlaceholder } from './sql-chunks.js';

export const LIBPG_QUERY_VERSION = readToolVersion('libpg-query');

let loading: Promise<void> | null = null;

/**
 * Parses a SQL file with the real PostgreSQL parser (libpg_query, WASM). The parser stops at the first error of a
 * chunk, so a plain file reports one error and a Liquibase formatted file one per broken changeset (or the changelog
 * parser's error when the file is not a valid formatted SQL changelog).
 */
export async function validateSql(
  text: string,
  sourcePath: string,
  properties: Record<string, string>,
  skipped?: Record<number, string>,
): Promise<{ problems: SyntaxProblem[]; notes: string[] }> {
  loading ??= loadModule();
  await loading;
  const plan = planSqlChecks(text, sourcePath, properties, skipped);
  const problems: SyntaxProblem[] = [...plan.problems];
  for (const chunk of plan.chunks) {
    if (chunk.text.trim() === '') continue; // the parser rejects empty input; nothing to check
    for (;;) {
      try {
        parseSync(chunk.text);
        break;
      } catch (e) {
        if (!hasSqlDetails(e) || !e.sqlDetails) throw e;
        // cursorPosition is a 0-based character offset into the chunk
        const at = lineColAt(chunk.text, e.sqlDetails.cursorPosition);
        const swapped = swapPlaceholder(chunk, at.line - 1, at.column - 1);
        if (swapped !== null) {
          chunk.text = swapped;
          continue;
        }
        problems.push({
          file: sourcePath,
          line: chunk.lines[at.line - 1] ?? chunk.lines.at(-1) ?? 1,
          column: mapColumn(chunk.spans.get(at.line - 1), at.column - 1) + 1,
          message: chunk.label ? `${e.sqlDetails.message} (${chunk.label})` : e.sqlDetails.message,
        });
        break;
      }
    }
  }
  return { problems, notes: plan.notes };
}
