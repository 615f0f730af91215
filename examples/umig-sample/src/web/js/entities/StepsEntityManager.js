/**
 * StepsEntityManager — the runsheet: steps of one plan in execution order, with status changes.
 *
 * During a cutover many operators watch the same runsheet, so the list polls for changes (every 15 s while the
 * tab is visible) and a status change is sent as a small PUT of just the status, not the whole step.
 */

import { BaseEntityManager } from './BaseEntityManager.js';
import { schemas } from '../utils/Validation.js';
import { formatMinutes, formatStepCode } from '../utils/FormatUtils.js';
import { createStatusBadge } from '../components/StatusBadge.js';

export const STEP_TRANSITIONS = Object.freeze({
  PENDING: ['TODO', 'CANCELLED'],
  TODO: ['IN_PROGRESS', 'BLOCKED', 'CANCELLED'],
  IN_PROGRESS: ['COMPLETED', 'FAILED', 'BLOCKED'],
  BLOCKED: ['IN_PROGRESS', 'CANCELLED'],
  FAILED: ['IN_PROGRESS', 'CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
});

/** True when the runsheet allows moving a step from `from` to `to`. */
export function canTransition(from, to) {
  return (STEP_TRANSITIONS[from] ?? []).includes(to);
}

/** Total planned minutes and completion ratio of a list of steps (cancelled steps do not count). */
export function summarizeSteps(steps) {
  const relevant = steps.filter((s) => s.stm_status !== 'CANCELLED');
  const completed = relevant.filter((s) => s.stm_status === 'COMPLETED');
  const minutes = relevant.reduce((sum, s) => sum + (Number(s.stm_duration_minutes) || 0), 0);
  const remaining = relevant.filter((s) => s.stm_status !== 'COMPLETED').reduce((sum, s) => sum + (Number(s.stm_duration_minutes) || 0), 0);
  return {
    total: relevant.length,
    completed: completed.length,
    ratio: relevant.length ? completed.length / relevant.length : null,
    plannedMinutes: minutes,
    remainingMinutes: remaining,
    attention: relevant.filter((s) => s.stm_status === 'FAILED' || s.stm_status === 'BLOCKED').length,
  };
}

export class StepsEntityManager extends BaseEntityManager {
  constructor({ planId = null, pollMs = 15_000, ...options } = {}) {
    super({ entityType: 'steps', endpoint: 'steps', idField: 'stm_id', labels: { singular: 'step', plural: 'steps' }, pageSize: 100, ...options });
    this.planId = planId;
    this.pollMs = pollMs;
    this.pollTimer = null;
    this.onVisibility = () => (document.hidden ? this.stopPolling() : this.startPolling());
  }

  async initialize(container) {
    await super.initialize(container);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.startPolling();
    return this;
  }

  destroy() {
    this.stopPolling();
    document.removeEventListener('visibilitychange', this.onVisibility);
    super.destroy();
  }

  startPolling() {
    this.stopPolling();
    if (this.pollMs > 0) this.pollTimer = setInterval(() => this.load({ useCache: false }), this.pollMs);
  }

  stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  buildQuery(state) {
    const query = super.buildQuery(state);
    if (this.planId) query.planId = this.planId;
    if (!query.sort) {
      query.sort = 'stm_number';
      query.direction = 'asc';
    }
    return query;
  }

  get columns() {
    return [
      { key: 'stm_number', label: 'Step', sortable: true, width: '7rem', render: (s) => formatStepCode(s.stm_number) },
      { key: 'stm_name', label: 'Name', sortable: true },
      { key: 'team_name', label: 'Owner', sortable: true, render: (s) => s.team_name ?? `Team ${s.tms_id_owner}` },
      { key: 'stm_duration_minutes', label: 'Duration', sortable: true, align: 'right', render: (s) => formatMinutes(s.stm_duration_minutes) },
      { key: 'stm_status', label: 'Status', sortable: true, render: (s) => createStatusBadge(s.stm_status, s.stm_status_color) },
    ];
  }

  get filters() {
    return [{ name: 'status', label: 'Status', options: Object.keys(STEP_TRANSITIONS).map((s) => ({ value: s, label: s.replace(/_/g, ' ') })) }];
  }

  get actions() {
    return [
      { id: 'start', label: 'Start', icon: '▶', visible: (s) => canTransition(s.stm_status, 'IN_PROGRESS') },
      { id: 'complete', label: 'Complete', icon: '✔', visible: (s) => canTransition(s.stm_status, 'COMPLETED') },
      { id: 'block', label: 'Block', icon: '⛔', visible: (s) => canTransition(s.stm_status, 'BLOCKED') },
      { id: 'edit', label: 'Edit', icon: '✎' },
    ];
  }

  get schema() {
    return schemas.step;
  }

  formFields() {
    return [
      { name: 'stm_number', label: 'Step number', type: 'number', required: true, min: 1, max: 99_999, hint: 'Steps run in ascending order; leave gaps of 10.' },
      { name: 'stm_name', label: 'Name', required: true, maxLength: 255 },
      { name: 'stm_description', label: 'Description', type: 'textarea', rows: 4 },
      { name: 'stm_duration_minutes', label: 'Planned duration (minutes)', type: 'number', min: 0, max: 10_080 },
    ];
  }

  displayName(step) {
    return step ? `${formatStepCode(step.stm_number)} ${step.stm_name}` : '';
  }

  async onCustomAction(action, step) {
    const target = { start: 'IN_PROGRESS', complete: 'COMPLETED', block: 'BLOCKED' }[action];
    if (!target) return undefined;
    return this.changeStatus(step, target);
  }

  /** Sends only the status; refuses transitions the runsheet does not allow before calling the server. */
  async changeStatus(step, status) {
    if (!canTransition(step.stm_status, status)) {
      this.notify('warning', `${formatStepCode(step.stm_number)} cannot go from ${step.stm_status} to ${status}`);
      return false;
    }
    try {
      await this.update(step.stm_id, { stm_status: status });
      return true;
    } catch (error) {
      this.handleError(`Changing the status of ${formatStepCode(step.stm_number)}`, error);
      return false;
    }
  }

  renderState(slice) {
    super.renderState(slice);
    const [rows] = slice;
    const summary = summarizeSteps(rows);
    if (this.elements?.count && summary.total) {
      this.elements.count.textContent = `(${summary.completed}/${summary.total} done, ${formatMinutes(summary.remainingMinutes)} left${summary.attention ? `, ${summary.attention} need attention` : ''})`;
    }
  }
}

export default StepsEntityManager;
