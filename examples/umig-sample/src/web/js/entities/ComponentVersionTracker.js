/**
 * ComponentVersionTracker — what is deployed: the build manifest of the running release plus live figures.
 *
 * The build manifest (build-manifest.json, written by the build) is served next to the application. This class
 * fetches it, merges in the live health figures, and exports it in the formats operators asked for: JSON for
 * tools, YAML for ops repositories, a short summary for status mails and a Markdown deployment report.
 * Figures the manifest does not have are shown as "not measured", never guessed.
 */

import { apiClient } from '../core/ApiClient.js';
import { formatBytes, formatPercent } from '../utils/FormatUtils.js';

const MANIFEST_URL = './build-manifest.json';

/** Minimal YAML emitter for plain JSON data (objects, arrays, scalars); enough for a manifest, no dependency. */
export function toYaml(value, indent = 0) {
  const pad = '  '.repeat(indent);
  const scalar = (v) => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    const s = String(v);
    // Quote anything YAML could read as another type or that contains syntax characters.
    return /^[A-Za-z0-9_./-][A-Za-z0-9_ ./:-]*$/.test(s) && !/^(true|false|null|yes|no|on|off|~|-?\d+(\.\d+)?)$/i.test(s) && !s.includes(': ') ? s : JSON.stringify(s);
  };
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return value
      .map((item) => {
        if (item && typeof item === 'object') {
          const inner = toYaml(item, indent + 1).trimStart();
          return `${pad}- ${inner}`;
        }
        return `${pad}- ${scalar(item)}`;
      })
      .join('\n');
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (!entries.length) return '{}';
    return entries
      .map(([key, v]) => {
        const k = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
        if (v && typeof v === 'object' && (Array.isArray(v) ? v.length : Object.keys(v).length)) return `${pad}${k}:\n${toYaml(v, indent + 1)}`;
        return `${pad}${k}: ${v && typeof v === 'object' ? (Array.isArray(v) ? '[]' : '{}') : scalar(v)}`;
      })
      .join('\n');
  }
  return `${pad}${scalar(value)}`;
}

export class ComponentVersionTracker {
  constructor({ api = apiClient, fetchImpl = (...a) => globalThis.fetch(...a), manifestUrl = MANIFEST_URL } = {}) {
    this.api = api;
    this.fetchImpl = fetchImpl;
    this.manifestUrl = manifestUrl;
  }

  /** The build manifest of the running release, or null when the app runs from a source checkout. */
  async getBuildManifest() {
    try {
      const response = await this.fetchImpl(this.manifestUrl, { credentials: 'same-origin' });
      if (!response.ok) return null;
      return await response.json();
    } catch {
      return null;
    }
  }

  /** Manifest plus a `live` section from the health endpoint. */
  async getEnhancedBuildManifest() {
    const [manifest, health] = await Promise.all([
      this.getBuildManifest(),
      this.api.get('databaseVersions/health').catch((error) => error?.body ?? null),
    ]);
    return {
      ...(manifest ?? { buildId: null, version: health?.overall?.version ?? null, note: 'no build-manifest.json next to the application (source checkout?)' }),
      live: health
        ? {
            status: health.overall?.status ?? 'UNKNOWN',
            checkedAt: health.overall?.timestamp ?? null,
            uptimeSeconds: health.overall?.uptime ?? null,
            database: health.components?.database ?? null,
          }
        : null,
    };
  }

  async exportBuildManifest(format = 'json') {
    const manifest = await this.getEnhancedBuildManifest();
    switch (format) {
      case 'json':
        return JSON.stringify(manifest, null, 2) + '\n';
      case 'yaml':
        return toYaml(manifest) + '\n';
      case 'summary':
        return ComponentVersionTracker.renderSummary(manifest);
      case 'deployment-report':
        return ComponentVersionTracker.renderReport(manifest);
      default:
        throw new Error(`unknown manifest format "${format}" (json, yaml, summary, deployment-report)`);
    }
  }

  static renderSummary(m) {
    const size = m.deployment?.packageBytes ?? m.deployment?.packageSize ?? null;
    return [
      `UMIG ${m.version ?? '?'} (build ${m.buildId ?? 'unknown'})`,
      `Built: ${m.buildTimestamp ?? 'unknown'} for ${m.environment?.target ?? 'unknown environment'}`,
      `Package: ${typeof size === 'number' ? formatBytes(size) : size ?? 'not measured'}`,
      `Live status: ${m.live?.status ?? 'not checked'}`,
    ].join('\n') + '\n';
  }

  static renderReport(m) {
    const rows = [];
    const components = m.components ?? {};
    for (const [name, c] of Object.entries(components)) {
      rows.push(`| ${name} | ${c?.files ?? c?.migrationsCount ?? '—'} | ${typeof c?.bytes === 'number' ? formatBytes(c.bytes) : '—'} |`);
    }
    const ratio = m.deployment?.compressionRatio;
    return [
      `# Deployment report: UMIG ${m.version ?? '?'}`,
      '',
      `- Build: \`${m.buildId ?? 'unknown'}\` at ${m.buildTimestamp ?? 'unknown'}`,
      `- Ready: ${m.deployment?.readiness === true ? 'yes' : m.deployment?.readiness === false ? 'no' : 'unknown'}`,
      `- Compression: ${typeof ratio === 'number' ? formatPercent(ratio) : ratio ?? 'not measured'}`,
      `- Live status: ${m.live?.status ?? 'not checked'}`,
      '',
      '| Component | Files / changesets | Size |',
      '| --- | --- | --- |',
      ...(rows.length ? rows : ['| (none recorded) | — | — |']),
      '',
      ...(m.deployment?.blockers?.length ? ['## Blockers', '', ...m.deployment.blockers.map((b) => `- ${b}`), ''] : []),
    ].join('\n');
  }
}

export default ComponentVersionTracker;
