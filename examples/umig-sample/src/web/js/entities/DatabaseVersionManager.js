/**
 * DatabaseVersionManager — the "Database versions" admin view.
 *
 * Shows the Liquibase history (databasechangelog) as a table, the live health of the system (polling the
 * databaseVersions/health endpoint), and lets administrators download the self-contained SQL package generated
 * by the databaseVersionsPackageSQL endpoint.
 */

import { BaseEntityManager } from './BaseEntityManager.js';
import { ApiError } from '../core/ApiClient.js';
import { eventBus, EVENTS } from '../core/EventBus.js';
import { SecurityUtils } from '../utils/SecurityUtils.js';
import { formatBytes, formatDateTime, formatDuration, formatNumber } from '../utils/FormatUtils.js';
import { createStatusBadge } from '../components/StatusBadge.js';
import { ComponentVersionTracker } from './ComponentVersionTracker.js';

export const HEALTH_ENDPOINT = 'databaseVersions/health';
export const PACKAGE_ENDPOINT = 'databaseVersionsPackageSQL';

/**
 * Reduces a health response (seed shape: overall/components/metrics) to what the banner shows. Tolerates the
 * error shape ({ overall: { status }, error: { message } }) the endpoint returns with HTTP 503.
 */
export function summarizeHealth(body) {
  const overall = body?.overall ?? {};
  const components = body?.components ?? {};
  const problems = Object.entries(components)
    .filter(([, c]) => c && c.status && c.status !== 'HEALTHY')
    .map(([name, c]) => `${name}: ${c.status}${c.reason ? ` (${c.reason})` : ''}`);
  if (body?.error?.message) problems.push(body.error.message);
  return {
    status: overall.status ?? 'UNKNOWN',
    version: overall.version ?? null,
    uptimeSeconds: typeof overall.uptime === 'number' ? overall.uptime : null,
    migrationsCount: components.database?.migrationsCount ?? null,
    lastMigration: components.database?.lastMigration ?? null,
    databaseMs: components.database?.responseTime ?? null,
    memoryBytes: body?.metrics?.memoryUsage?.rssBytes ?? null,
    requestsPerMinute: body?.metrics?.requestsPerMinute ?? null,
    problems,
  };
}

export class DatabaseVersionManager extends BaseEntityManager {
  constructor({ healthPollMs = 30_000, ...options } = {}) {
    super({ entityType: 'databaseVersions', endpoint: 'databaseVersions', idField: 'id', labels: { singular: 'changeset', plural: 'database versions' }, pageSize: 50, ...options });
    this.healthPollMs = healthPollMs;
    this.healthTimer = null;
    this.lastHealth = null;
    this.tracker = new ComponentVersionTracker({ api: this.api });
  }

  async initialize(container) {
    await super.initialize(container);
    this.healthHost = document.createElement('section');
    this.healthHost.className = 'umig-health';
    this.healthHost.setAttribute('aria-label', 'System health');
    container.insertBefore(this.healthHost, container.children[1] ?? null);
    await this.refreshHealth();
    if (this.healthPollMs > 0) this.healthTimer = setInterval(() => this.refreshHealth(), this.healthPollMs);
    return this;
  }

  destroy() {
    clearInterval(this.healthTimer);
    super.destroy();
  }

  toolbarActions() {
    return [
      { label: 'Download SQL package', variant: 'primary', run: () => this.generateSelfContainedPackage() },
      { label: 'Export build manifest', variant: 'default', run: () => this.exportManifest('json') },
      { label: 'Refresh', variant: 'subtle', run: () => Promise.all([this.refresh(), this.refreshHealth()]) },
    ];
  }

  get columns() {
    return [
      { key: 'orderexecuted', label: '#', sortable: true, align: 'right', width: '4rem' },
      { key: 'id', label: 'Changeset', sortable: true },
      { key: 'author', label: 'Author', sortable: true, width: '8rem' },
      { key: 'filename', label: 'File', sortable: true, render: (c) => c.filename?.replace(/^db\/changelog\//, '') ?? '' },
      { key: 'dateexecuted', label: 'Executed', sortable: true, render: (c) => formatDateTime(c.dateexecuted) },
      { key: 'exectype', label: 'Result', sortable: true, render: (c) => createStatusBadge(c.exectype === 'EXECUTED' ? 'COMPLETED' : c.exectype, c.exectype === 'MARK_RAN' ? '#6B778C' : undefined) },
    ];
  }

  get filters() {
    return [
      {
        name: 'exectype',
        label: 'Result',
        options: [
          { value: 'EXECUTED', label: 'Executed' },
          { value: 'MARK_RAN', label: 'Marked as ran' },
          { value: 'RERAN', label: 'Re-ran' },
        ],
      },
    ];
  }

  /** Read-only view: the history is written by deployments, never edited by hand. */
  get actions() {
    return [];
  }

  async refreshHealth() {
    let body;
    let httpStatus = 0;
    try {
      const response = await this.api.get(HEALTH_ENDPOINT, {}, { raw: true, retries: 0 });
      httpStatus = response.status;
      body = await response.json();
    } catch (error) {
      // 503 and 206 are answers, not failures: read the body the endpoint sent with them.
      if (error instanceof ApiError && error.status) {
        httpStatus = error.status;
        body = error.body ?? { overall: { status: 'UNHEALTHY' }, error: { message: `HTTP ${error.status}` } };
      } else {
        body = { overall: { status: 'UNKNOWN' }, error: { message: 'Health endpoint unreachable' } };
      }
    }
    const summary = summarizeHealth(body);
    const changed = this.lastHealth?.status !== summary.status;
    this.lastHealth = { ...summary, httpStatus, checkedAt: Date.now() };
    this.renderHealth();
    if (changed) eventBus.emit(EVENTS.HEALTH_CHANGED, this.lastHealth);
    return this.lastHealth;
  }

  renderHealth() {
    if (!this.healthHost || !this.lastHealth) return;
    const h = this.lastHealth;
    const heading = document.createElement('h3');
    heading.className = 'umig-health__title';
    heading.append('System health ', createStatusBadge(h.status));
    const list = document.createElement('dl');
    list.className = 'umig-health__facts';
    const fact = (label, value) => {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.textContent = value;
      list.append(dt, dd);
    };
    fact('Version', h.version ?? '—');
    fact('Uptime', h.uptimeSeconds === null ? '—' : formatDuration(h.uptimeSeconds));
    fact('Changesets applied', h.migrationsCount === null ? 'not measured' : formatNumber(h.migrationsCount));
    fact('Last changeset', h.lastMigration ?? '—');
    fact('Database round trip', h.databaseMs === null ? '—' : `${h.databaseMs} ms`);
    fact('Memory (RSS)', h.memoryBytes === null ? '—' : formatBytes(h.memoryBytes));
    fact('Requests / minute', h.requestsPerMinute === null ? '—' : formatNumber(h.requestsPerMinute));
    const nodes = [heading, list];
    if (h.problems.length) {
      const ul = document.createElement('ul');
      ul.className = 'umig-health__problems';
      for (const problem of h.problems) {
        const li = document.createElement('li');
        li.textContent = problem;
        ul.append(li);
      }
      nodes.push(ul);
    }
    this.healthHost.dataset.status = h.status.toLowerCase();
    this.healthHost.replaceChildren(...nodes);
  }

  /**
   * Downloads the self-contained SQL package (every changeset with its Liquibase bookkeeping, one file).
   * Returns the SQL text, or undefined when generation failed (the error is shown to the user).
   */
  async generateSelfContainedPackage() {
    try {
      const response = await this.api.get(PACKAGE_ENDPOINT, {}, { raw: true, headers: { Accept: 'text/plain', 'X-CSRF-Token': SecurityUtils.getCSRFToken() }, timeoutMs: 60_000 });
      const sqlContent = await response.text();
      const disposition = response.headers.get('content-disposition') ?? '';
      const suggested = /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? 'umig-database-package.sql';
      this.downloadFile(sqlContent, suggested, 'text/plain');
      this.showSuccess(`Self-contained SQL package generated (${formatBytes(new Blob([sqlContent]).size)})`);
      return sqlContent;
    } catch (error) {
      this.handleError('Package generation failed', error);
      return undefined;
    }
  }

  async exportManifest(format = 'json') {
    try {
      const text = await this.tracker.exportBuildManifest(format);
      const ext = { json: 'json', yaml: 'yaml', summary: 'txt', 'deployment-report': 'md' }[format] ?? 'txt';
      this.downloadFile(text, `umig-build-manifest.${ext}`, format === 'json' ? 'application/json' : 'text/plain');
    } catch (error) {
      this.handleError('Exporting the build manifest', error);
    }
  }
}

export default DatabaseVersionManager;
