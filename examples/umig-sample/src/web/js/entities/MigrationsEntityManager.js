/**
 * MigrationsEntityManager — migrations_mgr: the top-level programmes, with their iterations underneath.
 *
 * A row click opens the migration's iterations (hash route #/migrations/:id); the status filter uses the
 * Migration vocabulary from status_sts.
 */

import { BaseEntityManager } from './BaseEntityManager.js';
import { schemas } from '../utils/Validation.js';
import { formatDate, formatRelative, toDate } from '../utils/FormatUtils.js';
import { createStatusBadge } from '../components/StatusBadge.js';

const MIGRATION_TYPES = [
  { value: 'EXTERNAL', label: 'External (customer-facing)' },
  { value: 'INTERNAL', label: 'Internal' },
  { value: 'MAINTENANCE', label: 'Maintenance window' },
];

/** Days until the business cutover (negative once it is past); null without a date. */
export function daysUntil(date, now = Date.now()) {
  const d = toDate(date);
  if (!d) return null;
  const startOfDay = (t) => {
    const x = new Date(t);
    x.setUTCHours(0, 0, 0, 0);
    return x.getTime();
  };
  return Math.round((startOfDay(d) - startOfDay(now)) / 86_400_000);
}

export class MigrationsEntityManager extends BaseEntityManager {
  constructor({ router = null, ...options } = {}) {
    super({ entityType: 'migrations', endpoint: 'migrations', idField: 'mgr_id', labels: { singular: 'migration', plural: 'migrations' }, ...options });
    this.router = router;
    this.statuses = [];
    this.users = [];
  }

  async initialize(container) {
    const [statuses, users] = await Promise.allSettled([this.api.get('status', { entityType: 'Migration' }), this.api.get('users', { size: 100, active: true })]);
    if (statuses.status === 'fulfilled') this.statuses = BaseEntityManager.normalizeListResponse(statuses.value).rows;
    if (users.status === 'fulfilled') this.users = BaseEntityManager.normalizeListResponse(users.value).rows;
    return super.initialize(container);
  }

  get columns() {
    return [
      { key: 'mgr_name', label: 'Migration', sortable: true },
      { key: 'mgr_type', label: 'Type', sortable: true, render: (m) => MIGRATION_TYPES.find((t) => t.value === m.mgr_type)?.label ?? m.mgr_type },
      { key: 'mgr_status', label: 'Status', sortable: true, render: (m) => createStatusBadge(m.mgr_status, this.statuses.find((s) => s.sts_name === m.mgr_status)?.sts_color) },
      { key: 'mgr_start_date', label: 'Start', sortable: true, render: (m) => formatDate(m.mgr_start_date) },
      { key: 'mgr_end_date', label: 'End', sortable: true, render: (m) => formatDate(m.mgr_end_date) },
      {
        key: 'mgr_business_cutover_date',
        label: 'Cutover',
        sortable: true,
        render: (m) => {
          const days = daysUntil(m.mgr_business_cutover_date);
          if (days === null) return '—';
          const span = document.createElement('span');
          span.textContent = formatDate(m.mgr_business_cutover_date);
          span.title = formatRelative(m.mgr_business_cutover_date);
          if (days >= 0 && days <= 14) span.className = 'umig-text--warning';
          return span;
        },
      },
      { key: 'usr_code_owner', label: 'Owner', sortable: true },
    ];
  }

  get filters() {
    return [
      { name: 'status', label: 'Status', options: this.statuses.map((s) => ({ value: s.sts_name, label: s.sts_name.replace(/_/g, ' ') })) },
      { name: 'type', label: 'Type', options: MIGRATION_TYPES },
    ];
  }

  get schema() {
    return schemas.migration;
  }

  formFields() {
    return [
      { name: 'mgr_name', label: 'Name', required: true, maxLength: 255 },
      { name: 'mgr_type', label: 'Type', type: 'select', required: true, options: MIGRATION_TYPES },
      { name: 'mgr_description', label: 'Description', type: 'textarea', rows: 4 },
      { name: 'mgr_start_date', label: 'Start date', type: 'date' },
      { name: 'mgr_end_date', label: 'End date', type: 'date', hint: 'Must not be before the start date.' },
      { name: 'mgr_business_cutover_date', label: 'Business cutover', type: 'date' },
      {
        name: 'usr_id_owner',
        label: 'Owner',
        type: 'select',
        numeric: true,
        options: this.users.map((u) => ({ value: u.usr_id, label: `${u.usr_first_name} ${u.usr_last_name} (${u.usr_code})` })),
      },
    ];
  }

  displayName(migration) {
    return migration?.mgr_name ?? super.displayName(migration);
  }

  deleteWarning(migration) {
    return `All iterations, plans, steps and instructions of "${migration.mgr_name}" are deleted with it.`;
  }

  onRowClick(migration) {
    this.router?.navigate(`/migrations/${encodeURIComponent(migration.mgr_id)}`);
  }
}

export default MigrationsEntityManager;
