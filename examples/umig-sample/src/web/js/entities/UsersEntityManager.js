/**
 * UsersEntityManager — users_usr administration.
 *
 * Users are identified by a three-letter trigram (usr_code) that appears in audit rows and on runsheets, so the
 * form upper-cases it as the user types and checks it against the same rule as the database constraint.
 * Deactivating is preferred over deleting: a deleted user's audit trail loses its name.
 */

import { BaseEntityManager } from './BaseEntityManager.js';
import { schemas } from '../utils/Validation.js';
import { formatDateTime, formatRelative, formatUserName } from '../utils/FormatUtils.js';
import { createStatusBadge } from '../components/StatusBadge.js';
import { modalManager } from '../components/ModalManager.js';

export class UsersEntityManager extends BaseEntityManager {
  constructor(options = {}) {
    super({ entityType: 'users', endpoint: 'users', idField: 'usr_id', labels: { singular: 'user', plural: 'users' }, ...options });
    this.teams = [];
  }

  async initialize(container) {
    // Team names are needed for the column and the form; load them once, failures only degrade the labels.
    try {
      const teams = await this.api.get('teams', { size: 100 });
      this.teams = BaseEntityManager.normalizeListResponse(teams).rows;
    } catch (error) {
      this.handleError('Loading teams for the user list', error);
    }
    return super.initialize(container);
  }

  teamName(tmsId) {
    return this.teams.find((t) => t.tms_id === tmsId)?.tms_name ?? (tmsId ? `Team ${tmsId}` : '—');
  }

  get columns() {
    return [
      { key: 'usr_code', label: 'Code', sortable: true, width: '5rem' },
      { key: 'display_name', label: 'Name', sortable: true },
      { key: 'usr_email', label: 'E-mail', sortable: true },
      { key: 'team_name', label: 'Team', sortable: true },
      { key: 'usr_is_admin', label: 'Role', sortable: true, render: (u) => (u.usr_is_admin ? 'Administrator' : 'User') },
      { key: 'usr_active', label: 'Status', sortable: true, render: (u) => createStatusBadge(u.usr_active ? 'ACTIVE' : 'INACTIVE', u.usr_active ? '#00875A' : '#6B778C') },
      {
        key: 'usr_last_login_at',
        label: 'Last login',
        sortable: true,
        render: (u) => {
          if (!u.usr_last_login_at) return 'Never';
          const time = document.createElement('time');
          time.dateTime = u.usr_last_login_at;
          time.title = formatDateTime(u.usr_last_login_at);
          time.textContent = formatRelative(u.usr_last_login_at);
          return time;
        },
      },
    ];
  }

  get filters() {
    return [
      { name: 'teamId', label: 'Team', options: this.teams.map((t) => ({ value: t.tms_id, label: t.tms_name })) },
      {
        name: 'active',
        label: 'Status',
        options: [
          { value: 'true', label: 'Active' },
          { value: 'false', label: 'Inactive' },
        ],
      },
      {
        name: 'admin',
        label: 'Role',
        options: [
          { value: 'true', label: 'Administrators' },
          { value: 'false', label: 'Users' },
        ],
      },
    ];
  }

  get actions() {
    return [
      { id: 'edit', label: 'Edit', icon: '✎' },
      { id: 'deactivate', label: 'Deactivate', icon: '⏸', visible: (u) => u.usr_active },
      { id: 'activate', label: 'Activate', icon: '▶', visible: (u) => !u.usr_active },
      { id: 'delete', label: 'Delete', icon: '🗑', danger: true, visible: (u) => !u.usr_active },
    ];
  }

  get schema() {
    return schemas.user;
  }

  formFields(entity) {
    return [
      {
        name: 'usr_code',
        label: 'Trigram',
        required: true,
        maxLength: 3,
        pattern: '[A-Z]{3}',
        hint: 'Three capital letters, unique (e.g. JDO). Shown in audit logs.',
        disabled: Boolean(entity),
      },
      { name: 'usr_first_name', label: 'First name', required: true, maxLength: 50, autocomplete: 'given-name' },
      { name: 'usr_last_name', label: 'Last name', required: true, maxLength: 50, autocomplete: 'family-name' },
      { name: 'usr_email', label: 'E-mail', type: 'email', required: true, maxLength: 255, autocomplete: 'email' },
      { name: 'tms_id', label: 'Primary team', type: 'select', numeric: true, options: this.teams.map((t) => ({ value: t.tms_id, label: t.tms_name })) },
      { name: 'usr_is_admin', label: 'UMIG administrator', type: 'checkbox', hint: 'Administrators can edit every migration and manage users.' },
    ];
  }

  transformRow(user) {
    return { ...user, display_name: formatUserName({ ...user, usr_code: null }), team_name: this.teamName(user.tms_id) };
  }

  toPayload(values, entity) {
    const payload = { ...values };
    if (payload.usr_code) payload.usr_code = payload.usr_code.toUpperCase();
    if (entity) delete payload.usr_code; // the trigram is immutable once audit rows reference it
    return payload;
  }

  displayName(user) {
    return formatUserName(user);
  }

  async openCreateDialog(initial) {
    const result = super.openCreateDialog(initial);
    // Upper-case the trigram while typing, keeping the caret where it was.
    queueMicrotask(() => {
      const input = document.querySelector('.umig-modal input[name="usr_code"]');
      input?.addEventListener('input', () => {
        const pos = input.selectionStart;
        input.value = input.value.toUpperCase().replace(/[^A-Z]/g, '');
        input.setSelectionRange(pos, pos);
      });
    });
    return result;
  }

  async onCustomAction(action, user) {
    if (action !== 'activate' && action !== 'deactivate') return undefined;
    const activate = action === 'activate';
    if (!activate) {
      const ok = await modalManager.confirm({
        title: 'Deactivate user?',
        message: `${formatUserName(user)} will no longer be able to sign off steps. Their history is kept.`,
        confirmLabel: 'Deactivate',
      });
      if (!ok) return false;
    }
    try {
      await this.update(user.usr_id, { usr_active: activate });
      return true;
    } catch (error) {
      this.handleError(activate ? 'Activating user' : 'Deactivating user', error);
      return false;
    }
  }

  deleteWarning(user) {
    return `Audit entries keep the trigram ${user.usr_code} but lose the name. Deactivating is usually the better choice.`;
  }
}

export default UsersEntityManager;
