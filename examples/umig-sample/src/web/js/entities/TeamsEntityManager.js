/**
 * TeamsEntityManager — teams_tms administration: list, create, edit, delete, and membership management.
 *
 * Teams own steps (steps_stm.tms_id_owner) and instructions, so deleting a team that still owns steps is refused
 * by the database (FK without cascade); the UI explains that instead of offering a delete that will fail.
 */

import { BaseEntityManager } from './BaseEntityManager.js';
import { schemas } from '../utils/Validation.js';
import { formatNumber, formatUserName, truncate } from '../utils/FormatUtils.js';
import { modalManager } from '../components/ModalManager.js';
import { TableManager } from '../components/TableManager.js';

export class TeamsEntityManager extends BaseEntityManager {
  constructor(options = {}) {
    super({ entityType: 'teams', endpoint: 'teams', idField: 'tms_id', labels: { singular: 'team', plural: 'teams' }, ...options });
  }

  get columns() {
    return [
      { key: 'tms_id', label: 'ID', sortable: true, width: '5rem', align: 'right' },
      { key: 'tms_name', label: 'Name', sortable: true },
      {
        key: 'tms_email',
        label: 'E-mail',
        sortable: true,
        render: (row) => {
          if (!row.tms_email) return '—';
          const a = document.createElement('a');
          a.href = `mailto:${row.tms_email}`;
          a.textContent = row.tms_email;
          return a;
        },
      },
      { key: 'tms_description', label: 'Description', render: (row) => truncate(row.tms_description ?? '', 70) },
      { key: 'member_count', label: 'Members', sortable: true, align: 'right', render: (row) => formatNumber(row.member_count ?? 0) },
    ];
  }

  get filters() {
    return [
      {
        name: 'hasMembers',
        label: 'Membership',
        options: [
          { value: 'true', label: 'With members' },
          { value: 'false', label: 'Without members' },
        ],
      },
    ];
  }

  get actions() {
    return [{ id: 'members', label: 'Members', icon: '👥' }, ...super.actions];
  }

  get schema() {
    return schemas.team;
  }

  formFields(entity) {
    return [
      ...(entity ? [{ name: 'tms_id', label: 'ID', type: 'static', value: entity.tms_id }] : []),
      { name: 'tms_name', label: 'Name', required: true, maxLength: 64, hint: 'Unique; shown on runsheets and in notifications.' },
      { name: 'tms_email', label: 'Team e-mail', type: 'email', maxLength: 255, autocomplete: 'email' },
      { name: 'tms_description', label: 'Description', type: 'textarea', maxLength: 2000, rows: 3 },
    ];
  }

  displayName(team) {
    return team?.tms_name ?? super.displayName(team);
  }

  canDelete(team) {
    return !team.owned_steps;
  }

  deleteWarning(team) {
    const members = team.member_count ?? 0;
    return members > 0 ? `Its ${members} membership(s) will be removed; the users themselves are kept.` : 'This cannot be undone.';
  }

  onCustomAction(action, team) {
    if (action === 'members') return this.openMembersDialog(team);
    return undefined;
  }

  /** Lists the members of a team with a remove button each, plus an "add member" picker. */
  async openMembersDialog(team) {
    const host = document.createElement('div');
    host.className = 'umig-members';
    const status = document.createElement('p');
    status.className = 'umig-members__status';
    status.textContent = 'Loading members…';
    host.append(status);

    const dialog = modalManager.alert({ title: `Members of ${team.tms_name}`, message: '' });
    // The alert body is replaced once the dialog exists; alert() resolves only when closed.
    queueMicrotask(() => document.querySelector('.umig-modal .umig-modal__body')?.replaceChildren(host));

    try {
      const [members, users] = await Promise.all([
        this.api.get(`teams/${encodeURIComponent(team.tms_id)}/users`),
        this.api.get('users', { size: 100, active: true }),
      ]);
      const memberRows = BaseEntityManager.normalizeListResponse(members).rows;
      const allUsers = BaseEntityManager.normalizeListResponse(users).rows;
      status.textContent = `${memberRows.length} member(s)`;
      const tableHost = document.createElement('div');
      host.append(tableHost);
      const table = new TableManager(tableHost, {
        rowKey: 'usr_id',
        caption: 'Team members',
        dense: true,
        columns: [
          { key: 'usr_code', label: 'Code', sortable: true, width: '5rem' },
          { key: 'name', label: 'Name', sortable: true, render: (u) => formatUserName(u) },
          { key: 'usr_email', label: 'E-mail' },
        ],
        rows: memberRows,
        actions: [{ id: 'remove', label: 'Remove', icon: '✕', danger: true }],
        onAction: async (_action, user) => {
          await this.removeMember(team, user);
          table.setRows(table.options.rows.filter((u) => u.usr_id !== user.usr_id));
        },
      }).mount();

      const memberIds = new Set(memberRows.map((u) => u.usr_id));
      const picker = document.createElement('select');
      picker.className = 'umig-select';
      picker.setAttribute('aria-label', 'Add a member');
      picker.append(new Option('Add a member…', ''));
      for (const user of allUsers.filter((u) => !memberIds.has(u.usr_id))) picker.append(new Option(formatUserName(user), String(user.usr_id)));
      picker.addEventListener('change', async () => {
        const user = allUsers.find((u) => String(u.usr_id) === picker.value);
        if (!user) return;
        await this.addMember(team, user);
        table.setRows([...table.options.rows, user]);
        picker.selectedOptions[0]?.remove();
        picker.value = '';
      });
      host.append(picker);
    } catch (error) {
      status.textContent = 'Members could not be loaded.';
      this.handleError('Loading team members', error);
    }
    return dialog;
  }

  async addMember(team, user) {
    try {
      await this.api.put(`teams/${encodeURIComponent(team.tms_id)}/users/${encodeURIComponent(user.usr_id)}`, {});
      this.notify('success', `${formatUserName(user)} added to ${team.tms_name}`);
      this.refresh();
    } catch (error) {
      this.handleError('Adding member', error);
    }
  }

  async removeMember(team, user) {
    try {
      await this.api.delete(`teams/${encodeURIComponent(team.tms_id)}/users/${encodeURIComponent(user.usr_id)}`);
      this.notify('success', `${formatUserName(user)} removed from ${team.tms_name}`);
      this.refresh();
    } catch (error) {
      this.handleError('Removing member', error);
    }
  }
}

export default TeamsEntityManager;
