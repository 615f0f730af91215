import { humanBytes } from '../manifest/schema.js';

/** Same shape as STAGE's SizeCategory (src/fileset/scan.ts). */
export interface SizeBucket {
  name: string;
  bytes: number;
  files: number;
}

export interface SizeReport {
  /** The whole project tree before the build (STAGE's scan inventory); null when no scan ran. */
  before: { totalBytes: number; totalFiles: number; categories: SizeBucket[] } | null;
  after: {
    /** Packed bytes per package component, plus `metadata` (manifest, deployment info, compatibility, SHA256SUMS). */
    categories: SizeBucket[];
    contentBytes: number;
    tarBytes: number;
    archiveBytes: number;
  };
  /** archive bytes / uncompressed tar bytes. */
  compressionRatio: number;
  /** 1 - archive bytes / tree bytes before: the seed's "84% size optimization", measured. */
  reduction: number | null;
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** Builds the size report from measured figures (pure). */
export function planSizeReport(input: {
  before: SizeReport['before'];
  files: { path: string; size: number }[];
  tarBytes: number;
  archiveBytes: number;
}): SizeReport {
  const buckets = new Map<string, SizeBucket>();
  for (const f of input.files) {
    const top = f.path.includes('/') ? f.path.slice(0, f.path.indexOf('/')) : 'metadata';
    const b = buckets.get(top) ?? { name: top, bytes: 0, files: 0 };
    b.bytes += f.size;
    b.files += 1;
    buckets.set(top, b);
  }
  const categories = [...buckets.values()].sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1));
  const contentBytes = categories.reduce((s, c) => s + c.bytes, 0);
  return {
    before: input.before,
    after: { categories, contentBytes, tarBytes: input.tarBytes, archiveBytes: input.archiveBytes },
    compressionRatio: input.tarBytes ? round4(input.archiveBytes / input.tarBytes) : 0,
    reduction: input.before?.totalBytes ? round4(1 - input.archiveBytes / input.before.totalBytes) : null,
  };
}

const pct = (part: number, whole: number) => (whole ? `${((part / whole) * 100).toFixed(0)}%` : '-');

/** The seed's "Analysis of Original Build" / "Optimized Deployment Build" tables, measured (pure). */
export function renderSizeReport(r: SizeReport): string {
  const lines: string[] = [];
  const row = (name: string, bytes: number, whole: number, files: number) =>
    `  ${name.padEnd(22)} ${humanBytes(bytes).padStart(10)} ${pct(bytes, whole).padStart(5)} ${String(files).padStart(8)} files`;
  if (r.before) {
    lines.push(`Before (project tree): ${humanBytes(r.before.totalBytes)} in ${r.before.totalFiles} files`);
    for (const c of r.before.categories)
      if (c.files > 0) lines.push(row(`${c.name}/`, c.bytes, r.before.totalBytes, c.files));
  } else {
    lines.push('Before: not measured (no stage scan)');
  }
  lines.push(`After (packed, uncompressed): ${humanBytes(r.after.contentBytes)}`);
  for (const c of r.after.categories)
    lines.push(row(c.name === 'metadata' ? 'metadata' : `${c.name}/`, c.bytes, r.after.contentBytes, c.files));
  lines.push(
    `Archive: ${humanBytes(r.after.archiveBytes)} (compression ratio ${r.compressionRatio.toFixed(3)} of ${humanBytes(r.after.tarBytes)} tar)`,
  );
  if (r.reduction !== null) lines.push(`Reduction vs project tree: ${(r.reduction * 100).toFixed(1)}%`);
  return lines.join('\n') + '\n';
}
