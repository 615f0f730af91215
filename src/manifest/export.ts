import { stringify } from 'yaml';
import { humanBytes, type BuildManifest, type Coverage, type Measured } from './schema.js';

export const EXPORT_FORMATS = ['json', 'yaml', 'summary', 'deployment-report'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const na = (reason: string | null) => `n/a (${reason ?? 'not measured'})`;

function coverageText(c: Measured<Coverage>): string {
  if (!c.value) return na(c.reason);
  const parts = (['lines', 'branches', 'functions'] as const)
    .filter((k) => c.value![k] !== null)
    .map((k) => `${c.value![k]}% ${k}`);
  return parts.length ? parts.join(', ') : na('the report has no totals');
}

function auditText(a: BuildManifest['quality']['securityScan']): string {
  if (!a.value) return na(a.reason);
  return `${a.value.critical} critical, ${a.value.high} high, ${a.value.moderate} moderate, ${a.value.low} low`;
}

function perfText(p: BuildManifest['quality']['performance']): string {
  return p.value ? `${Object.keys(p.value).length} result(s) from ${p.source}` : na(p.reason);
}

function sizeText(m: BuildManifest): string {
  const d = m.deployment;
  return d.packageSize ? `${d.packageSize.human} (${d.packageSize.bytes} bytes)` : na(d.packageSizeReason);
}

function dbText(m: BuildManifest): string {
  const db = m.components.database;
  if (db.migrationsCount === null) return na(db.reason);
  const health = db.healthStatus ?? na(db.reason);
  return `${db.migrationsCount} changesets, last ${db.lastMigration ?? 'none'}, verification ${health}`;
}

/** One line of where the package came from: commit (clean/dirty), builder, SOURCE_DATE_EPOCH, tools. */
export function provenanceText(m: BuildManifest): string {
  const p = m.provenance;
  if (!p) return 'n/a (built before Slipway recorded provenance)';
  const g = p.git;
  const commit = g.commit
    ? `commit ${g.commit}${g.dirty === null ? ` (dirty: ${na(g.reason)})` : g.dirty ? ' (dirty tree)' : ' (clean)'}`
    : `commit ${na(g.reason)}`;
  const sde = p.sourceDateEpoch !== null ? String(p.sourceDateEpoch) : na(p.sourceDateEpochReason);
  const t = p.tools;
  return (
    `${commit}; built by ${p.builder.identity} (${p.builder.source}); SOURCE_DATE_EPOCH ${sde}; ` +
    `slipway ${t.slipway}, node ${t.node}, liquibase-compat ${t.liquibaseCompat}`
  );
}

function renderSummary(m: BuildManifest): string {
  const d = m.deployment;
  const api = m.components.api;
  const fe = m.components.frontend;
  const lines = [
    `${m.name} ${m.version} — build ${m.buildId} at ${m.buildTimestamp} for ${m.environment.target}`,
    `Package: ${d.packageName}, ${sizeText(m)}` +
      (d.compressionRatio !== null ? `, compression ratio ${d.compressionRatio}` : '') +
      (d.sizeReduction !== null ? `, ${pct(d.sizeReduction)} smaller than the project tree` : ''),
    `Provenance: ${provenanceText(m)}`,
    `Database: ${dbText(m)}`,
    `API: ${api.endpointsCount !== null ? `${api.endpointsCount} endpoints in ${api.scriptsCount} scripts` : na(api.reason)}; ` +
      `frontend: ${fe.jsFiles} JS and ${fe.cssFiles} CSS files (${humanBytes(fe.bytes)})`,
    `Coverage: JavaScript ${coverageText(m.quality.testCoverage.javascript)}; Groovy ${coverageText(m.quality.testCoverage.groovy)}`,
    `Security: ${auditText(m.quality.securityScan)}`,
    d.readiness
      ? 'Ready to deploy: yes'
      : `Ready to deploy: NO — ${d.blockers.length} blocker(s): ${d.blockers.join('; ')}`,
  ];
  return lines.join('\n') + '\n';
}

// Why a manifest has no tree figures (src/builder/size-report.ts writes them beside the archive).
const TREE_REPORT = 'the project tree is described in <package>.report.json beside the package';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function renderDeploymentReport(m: BuildManifest): string {
  const d = m.deployment;
  const env = m.environment;
  const out: string[] = [];
  const table = (rows: [string, string][]) => {
    out.push('| Item | Value |', '| --- | --- |');
    for (const [k, v] of rows) out.push(`| ${cell(k)} | ${cell(v)} |`);
    out.push('');
  };
  out.push(`# Deployment report: ${m.name} ${m.version}`, '');
  out.push(
    d.readiness ? '**Status: READY to deploy.**' : `**Status: NOT READY — ${d.blockers.length} blocker(s).**`,
    '',
  );
  table([
    ['Build ID', m.buildId],
    ['Built at', `${m.buildTimestamp} (from ${m.buildTimeSource})`],
    ['Target environment', env.target],
    ['Build machine', `Node ${env.nodeVersion}, npm ${env.npmVersion ?? na(env.npmVersionReason)}, ${env.platform}`],
    ['Provenance', provenanceText(m)],
  ]);
  if (!d.readiness) {
    out.push('## Blockers', '');
    for (const b of d.blockers) out.push(`- ${b}`);
    out.push('');
  }
  out.push('## Package', '');
  table([
    ['File', d.packageName],
    ['Size', sizeText(m)],
    ['Packed content', `${humanBytes(d.contentBytes)} (${d.contentBytes} bytes, uncompressed)`],
    [
      'Project tree before build',
      d.sourceBytes !== null ? `${humanBytes(d.sourceBytes)} (${d.sourceBytes} bytes)` : `n/a (${TREE_REPORT})`,
    ],
    ['Compression ratio', d.compressionRatio !== null ? String(d.compressionRatio) : na(d.packageSizeReason)],
    ['Size reduction', d.sizeReduction !== null ? pct(d.sizeReduction) : `n/a (${TREE_REPORT})`],
  ]);
  out.push('## Components', '', '| Component | Files | Size |', '| --- | ---: | ---: |');
  for (const c of m.components.files) out.push(`| ${c.name} | ${c.files} | ${humanBytes(c.bytes)} |`);
  out.push('');
  out.push('## Database', '');
  const db = m.components.database;
  table([
    ['Changesets', db.migrationsCount !== null ? String(db.migrationsCount) : na(db.reason)],
    ['Last changeset', db.lastMigration ?? 'none'],
    ['Verification', db.healthStatus ?? na(db.reason)],
    ['Schema fingerprint', db.schemaFingerprint ?? 'n/a'],
  ]);
  out.push('## Quality', '');
  table([
    ['JavaScript coverage', coverageText(m.quality.testCoverage.javascript)],
    ['Groovy coverage', coverageText(m.quality.testCoverage.groovy)],
    ['Dependency audit', auditText(m.quality.securityScan)],
    ['Performance', perfText(m.quality.performance)],
  ]);
  out.push(
    '## Before deploying',
    '',
    '```sh',
    `slipway validate ${d.packageName}`,
    `sha256sum -c ${d.packageName}.sha256`,
    '```',
    '',
  );
  return out.join('\n');
}

/** Renders a manifest as json | yaml | summary (short text) | deployment-report (Markdown for operators). Pure. */
export function exportManifest(manifest: BuildManifest, format: ExportFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(manifest, null, 2) + '\n';
    case 'yaml':
      return stringify(manifest, { lineWidth: 0 });
    case 'summary':
      return renderSummary(manifest);
    case 'deployment-report':
      return renderDeploymentReport(manifest);
  }
}
