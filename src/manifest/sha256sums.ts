/** The package's SHA256SUMS file and `<package>.sha256` sidecar: `sha256sum -c` compatible text, rendered and parsed. */

/** `sha256sum -c` text: `<hex>  <path>` per line, in the order given (the caller sorts). */
export function renderSha256Sums(files: { path: string; sha256: string }[]): string {
  return files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
}

export interface Sha256SumLine {
  sha256: string;
  path: string;
  line: number;
}

/** Parses `sha256sum` output; lines that do not match are returned as errors with their line number. */
export function parseSha256Sums(text: string): { entries: Sha256SumLine[]; errors: { line: number; text: string }[] } {
  const entries: Sha256SumLine[] = [];
  const errors: { line: number; text: string }[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((t, i) => {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(t);
    if (m) entries.push({ sha256: m[1]!, path: m[2]!, line: i + 1 });
    else errors.push({ line: i + 1, text: t });
  });
  return { entries, errors };
}

/** `<hex>  <basename>\n`, the sidecar `<package>.sha256` that `sha256sum -c` accepts. */
export function renderSidecar(sha256: string, basename: string): string {
  return `${sha256}  ${basename}\n`;
}
