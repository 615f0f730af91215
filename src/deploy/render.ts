/** Text renderings for the CLI (pure: strings in, strings out). */
import { SlipwayError } from '../errors.js';
import type { DeployPlan, JournalEntry, ReleaseRecord } from './index.js';

/** `10m`, `30s`, `1h`, `500ms`, or plain milliseconds → ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new SlipwayError('E_USAGE', `invalid duration "${text}"`, { hint: 'Use e.g. 10m, 30s, 1h or 500ms.' });
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** Rows of cells as left-aligned columns two spaces apart (the first row is the header). */
export function renderTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** The `slipway releases` table. */
export function renderReleases(releases: ReleaseRecord[]): string {
  if (!releases.length) return 'no releases on this target yet\n';
  return renderTable([
    ['', 'ID', 'VERSION', 'DIGEST', 'WHEN', 'WHO', 'RESULT', 'NOTE'],
    ...releases.map((r) => [
      r.current ? '*' : ' ',
      r.id,
      r.version || '?',
      r.sha256.slice(0, 12),
      r.deployedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      r.deployedBy,
      r.result,
      [
        r.pinned ? 'pinned' : '',
        r.present ? '' : 'removed',
        r.interrupted ? 'interrupted' : '',
        r.reason && r.result !== 'success' ? r.reason : '',
      ]
        .filter(Boolean)
        .join('; '),
    ]),
  ]);
}

/** The `slipway history` listing (one line per journal entry). */
export function renderHistory(entries: JournalEntry[]): string {
  if (!entries.length) return 'the journal is empty\n';
  return (
    entries
      .map(
        (e) =>
          `${e.at}  ${e.kind.padEnd(18)} ${e.step.padEnd(10)} ${e.status.padEnd(7)} ${e.release ?? ''}${e.message ? `  ${e.message}` : ''}`,
      )
      .join('\n') + '\n'
  );
}

/** The `--dry-run` plan. */
export function renderPlan(plan: DeployPlan, version: string | null): string {
  const lines = [
    `plan: deploy ${version ?? '?'} as ${plan.releaseId} to ${plan.root} (current: ${plan.previous ?? 'none'})`,
  ];
  plan.steps.forEach((s, i) =>
    lines.push(`  ${String(i + 1).padStart(2)}. ${s.step.padEnd(10)} ${s.skip ? `skip: ${s.skip}` : s.action}`),
  );
  lines.push('dry run: nothing was changed');
  return lines.join('\n') + '\n';
}
