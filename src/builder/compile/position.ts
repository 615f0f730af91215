/** A syntax error located in a source file (1-based line and column). */
export interface SyntaxProblem {
  /** Source path relative to the project root. */
  file: string;
  line: number;
  column: number;
  message: string;
}

/** 1-based line/column of a 0-based character offset (columns count UTF-16 units, like most editors). */
export function lineColAt(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < clamped; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: clamped - lineStart + 1 };
}

/** `file:line:col: message`, the form every syntax error is listed in. */
export function formatProblem(p: SyntaxProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}

/** Sorts problems by file (byte order), then line, then column. */
export function sortProblems(problems: SyntaxProblem[]): SyntaxProblem[] {
  return [...problems].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column,
  );
}
