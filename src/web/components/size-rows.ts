export interface SizeRow {
  name: string;
  /** Bytes before the build (project tree); null when the manifest does not record it. */
  before: number | null;
  /** Bytes in the package; null when not recorded. */
  after: number | null;
}

/** The fields of build-manifest.json the page reads (src/manifest/schema.ts); the rest is shown as exported text. */
export interface ManifestView {
  name: string;
  version: string;
  buildId: string;
  buildTimestamp: string;
  components: { files: { name: string; files: number; bytes: number }[] };
  deployment: {
    packageName: string;
    packageSize: { bytes: number; human: string } | null;
    contentBytes: number;
    sourceBytes: number | null;
    compressionRatio: number | null;
    sizeReduction: number | null;
    /** Older packages only: the stage scan's per-category inventory (now in `<package>.report.json`). */
    sourceCategories?: { name: string; bytes: number }[];
  };
}

/** The project tree before the build, from `<package>.report.json` (GET /api/report; src/manifest/report.ts). */
export interface TreeView {
  totalBytes: number;
  categories: { name: string; bytes: number }[];
}

/**
 * Chart rows: the whole tree, then each package category. "Before" comes from the size report beside the package
 * (`tree`); manifests of older packages carried it themselves; without either it is null ("not recorded").
 */
export function sizeRows(m: ManifestView, tree: TreeView | null = null): SizeRow[] {
  const before = new Map((tree?.categories ?? m.deployment.sourceCategories ?? []).map((c) => [c.name, c.bytes]));
  const names = [...new Set([...m.components.files.map((c) => c.name), ...before.keys()])];
  const after = new Map(m.components.files.map((c) => [c.name, c.bytes]));
  return [
    {
      name: 'whole project',
      before: tree ? tree.totalBytes : m.deployment.sourceBytes,
      after: m.deployment.contentBytes,
    },
    ...names
      .map((n) => ({ name: n, before: before.get(n) ?? null, after: after.get(n) ?? (before.size ? 0 : null) }))
      // A category empty before and after (no logs/ in this project, say) is noise in the chart.
      .filter((r) => !(r.before === 0 && !r.after)),
  ];
}
