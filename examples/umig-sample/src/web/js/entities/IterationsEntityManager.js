/**
 * IterationsEntityManager — iterations_ite of one migration (RUN rehearsals, DR tests, the final CUTOVER).
 *
 * NOTE: the iteration view is reached from the migration detail page that ships in 1.3; main.js does not import
 * it in 1.2, so the bundle leaves it out.
 */

import { BaseEntityManager } from './BaseEntityManager.js';
import { schemas } from '../utils/Validation.js';
import { formatDateTime, formatRelative } from '../utils/FormatUtils.js';
import { createStatusBadge } from '../components/StatusBadge.js';

const ITERATION_TYPES = [
  { value: 'RUN', label: 'Rehearsal (RUN)' },
  { value: 'DR', label: 'Disaster recovery (DR)' },
  { value: 'CUTOVER', label: 'Production cutover' },
];

export class IterationsEntityManager extends BaseEntityManager {
  constructor({ migrationId, ...options } = {}) {
    super({ entityType: 'iterations', endpoint: 'iterations', idField: 'ite_id', labels: { singular: 'iteration', plural: 'iterations' }, ...options });
    this.migrationId = migrationId;
  }

  buildQuery(state) {
    return { ...super.buildQuery(state), migrationId: this.migrationId };
  }

  get columns() {
    return [
      { key: 'ite_name', label: 'Iteration', sortable: true },
      { key: 'ite_type', label: 'Type', sortable: true, render: (i) => ITERATION_TYPES.find((t) => t.value === i.ite_type)?.label ?? i.ite_type },
      { key: 'ite_status', label: 'Status', sortable: true, render: (i) => createStatusBadge(i.ite_status) },
      {
        key: 'ite_static_cutover_date',
        label: 'Cutover',
        sortable: true,
        render: (i) => (i.ite_static_cutover_date ? `${formatDateTime(i.ite_static_cutover_date)} (${formatRelative(i.ite_static_cutover_date)})` : '—'),
      },
    ];
  }

  get filters() {
    return [{ name: 'type', label: 'Type', options: ITERATION_TYPES }];
  }

  get schema() {
    return schemas.iteration;
  }

  formFields() {
    return [
      { name: 'ite_name', label: 'Name', required: true, maxLength: 255, hint: 'e.g. "RUN2 - Weekend rehearsal"' },
      { name: 'ite_type', label: 'Type', type: 'select', required: true, options: ITERATION_TYPES },
      { name: 'ite_description', label: 'Description', type: 'textarea' },
      { name: 'ite_static_cutover_date', label: 'Planned cutover', type: 'datetime-local' },
    ];
  }

  toPayload(values) {
    const payload = { ...values, mgr_id: this.migrationId };
    // datetime-local has no zone; the runsheet times are agreed in UTC.
    if (payload.ite_static_cutover_date) payload.ite_static_cutover_date = new Date(`${payload.ite_static_cutover_date}Z`).toISOString();
    return payload;
  }

  displayName(iteration) {
    return iteration?.ite_name ?? super.displayName(iteration);
  }
}

export default IterationsEntityManager;
