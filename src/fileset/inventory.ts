import type { ComponentName } from '../config/sections/build.js';

/** Inventory categories, in report order (the seed's "Analysis of Original Build" rows, then packaged, then rest). */
export const CATEGORY_NAMES = [
  'node_modules',
  '.git',
  'docs/development',
  'tests/fixtures',
  'logs',
  'application',
  'database',
  'docs',
  'scripts',
  'tests',
  'other',
] as const;
export type CategoryName = (typeof CATEGORY_NAMES)[number];

export interface SizeCategory {
  name: string;
  bytes: number;
  files: number;
}

/**
 * Category of one file of the tree: clutter categories win over the component, so a packaged file under
 * `docs/development/` counts as docs/development (the seed's table is about where the bytes sit on disk).
 */
export function categorizeFile(sourcePath: string, component: ComponentName | null): CategoryName {
  const segments = sourcePath.split('/');
  if (segments.includes('node_modules')) return 'node_modules';
  if (segments.includes('.git')) return '.git';
  if (sourcePath.startsWith('docs/development/')) return 'docs/development';
  if (sourcePath.startsWith('tests/fixtures/')) return 'tests/fixtures';
  if (segments[0] === 'logs' || sourcePath.endsWith('.log')) return 'logs';
  return component ?? 'other';
}

/** Accumulates bytes/files per category while the tree is walked (O(categories) memory). */
export class InventoryCounter {
  private readonly bytes = new Map<CategoryName, number>();
  private readonly files = new Map<CategoryName, number>();

  add(category: CategoryName, size: number): void {
    this.bytes.set(category, (this.bytes.get(category) ?? 0) + size);
    this.files.set(category, (this.files.get(category) ?? 0) + 1);
  }

  /** Every category in report order, zeros included, plus totals. */
  result(): { totalBytes: number; totalFiles: number; categories: SizeCategory[] } {
    const categories = CATEGORY_NAMES.map((name) => ({
      name,
      bytes: this.bytes.get(name) ?? 0,
      files: this.files.get(name) ?? 0,
    }));
    return {
      totalBytes: categories.reduce((s, c) => s + c.bytes, 0),
      totalFiles: categories.reduce((s, c) => s + c.files, 0),
      categories,
    };
  }
}
