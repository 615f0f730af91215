import type { ArchiveProblem, ExtractLimits } from './archive-rules.js';
import { normalizeEntryPath } from './archive-rules.js';

export const SUMS_FILE = 'SHA256SUMS';

/**
 * Parses a `sha256sum -c` compatible SHA256SUMS (`<64 hex><space><space|*><path>`). Every line must parse, every
 * path must be safe, none may repeat: a checksum file that lies in its format is as bad as one that lies in a digest.
 */
export function parseSums(
  text: string,
  limits: ExtractLimits,
): { sums: Map<string, string>; problems: ArchiveProblem[] } {
  const sums = new Map<string, string>();
  const problems: ArchiveProblem[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) {
      problems.push({ code: 'SUMS_FORMAT', message: `SHA256SUMS:${i + 1}: not "<sha256>  <path>"`, path: SUMS_FILE });
      return;
    }
    const norm = normalizeEntryPath(m[2]!, limits);
    if ('code' in norm) {
      problems.push({ code: 'SUMS_PATH', message: `SHA256SUMS:${i + 1}: ${norm.message}`, path: SUMS_FILE });
      return;
    }
    if (sums.has(norm.path))
      problems.push({
        code: 'SUMS_DUPLICATE',
        message: `SHA256SUMS:${i + 1}: ${norm.path} listed twice`,
        path: SUMS_FILE,
      });
    sums.set(norm.path, m[1]!);
  });
  if (lines.length === 0) problems.push({ code: 'SUMS_EMPTY', message: 'SHA256SUMS is empty', path: SUMS_FILE });
  return { sums, problems };
}

/** Compares actual file digests with SHA256SUMS: every file listed, every line matching, nothing extra. Pure. */
export function compareSums(
  sums: Map<string, string>,
  actual: Map<string, string>,
  symlinks: Set<string>,
): ArchiveProblem[] {
  const problems: ArchiveProblem[] = [];
  for (const [p, want] of sums) {
    if (symlinks.has(p)) continue; // sha256sum follows symlinks; their targets are checked as files in their own right
    const got = actual.get(p);
    if (got === undefined)
      problems.push({
        code: 'SUMS_MISSING_FILE',
        message: `SHA256SUMS lists ${p}, which is not in the package`,
        path: p,
      });
    else if (got !== want)
      problems.push({
        code: 'SUMS_MISMATCH',
        message: `${p}: sha256 ${got.slice(0, 12)}… but SHA256SUMS says ${want.slice(0, 12)}…`,
        path: p,
      });
  }
  for (const p of actual.keys()) {
    if (p !== SUMS_FILE && !sums.has(p))
      problems.push({ code: 'SUMS_UNLISTED', message: `${p} is not listed in SHA256SUMS`, path: p });
  }
  return problems;
}
