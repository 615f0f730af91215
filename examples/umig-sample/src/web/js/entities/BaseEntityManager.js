/**
 * BaseEntityManager — the list/create/edit/delete screen every UMIG entity shares.
 *
 * A subclass declares:
 *   - entityType / endpoint / idField / labels
 *   - columns (TableManager), filters (FilterComponent), formFields (FormBuilder), schema (Validation.js)
 * and gets: loading with pagination and filters, sorting, create/edit dialogs with validation, delete with
 * confirmation, optimistic UI with rollback on failure, notifications, and a small cache so switching tabs does
 * not refetch unchanged pages.
 *
 * The layout inside the container is: toolbar (title + actions), filters, table, pagination.
 */

import { apiClient, ApiError } from '../core/ApiClient.js';
import { eventBus, EVENTS } from '../core/EventBus.js';
import { StateStore } from '../core/StateStore.js';
import { TableManager } from '../components/TableManager.js';
import { PaginationComponent } from '../components/PaginationComponent.js';
import { FilterComponent } from '../components/FilterComponent.js';
import { FormBuilder } from '../components/FormBuilder.js';
import { modalManager } from '../components/ModalManager.js';
import { SecurityUtils } from '../utils/SecurityUtils.js';
import { flattenErrors } from '../utils/Validation.js';

const CACHE_TTL_MS = 30_000;
const MAX_CACHE_ENTRIES = 20;

export class BaseEntityManager {
  /**
   * @param {object} config
   * @param {string} config.entityType  e.g. "teams" (used in events, storage keys and CSS classes)
   * @param {string} config.endpoint    ScriptRunner endpoint name, e.g. "teams"
   * @param {string} config.idField     primary key column, e.g. "tms_id"
   * @param {object} config.labels      { singular, plural }
   */
  constructor({ entityType, endpoint, idField, labels, api = apiClient, notifier = null, pageSize = 25 }) {
    if (!entityType || !endpoint || !idField) throw new Error('BaseEntityManager needs entityType, endpoint and idField');
    this.entityType = entityType;
    this.endpoint = endpoint;
    this.idField = idField;
    this.labels = { singular: entityType.replace(/s$/, ''), plural: entityType, ...labels };
    this.api = api;
    this.notifier = notifier;
    this.cache = new Map();
    this.container = null;
    this.components = {};
    this.abortController = null;
    this.store = new StateStore(
      { page: 1, size: pageSize, filters: {}, sort: null, rows: [], total: 0, loading: false, error: null },
      { persistKey: `umig.${entityType}.view` },
    );
  }

  // ---- what subclasses declare ----------------------------------------------------------------------------------

  /** TableManager column specs. */
  get columns() {
    return [];
  }

  /** FilterComponent select specs. */
  get filters() {
    return [];
  }

  /** FormBuilder field specs for create/edit; `entity` is null when creating. */
  formFields(_entity) {
    return [];
  }

  /** Validation.js schema used before submitting. */
  get schema() {
    return null;
  }

  /** Row actions; subclasses may add more (e.g. "members"). */
  get actions() {
    return [
      { id: 'edit', label: 'Edit', icon: '✎' },
      { id: 'delete', label: 'Delete', icon: '🗑', danger: true, visible: (row) => this.canDelete(row) },
    ];
  }

  canDelete(_row) {
    return true;
  }

  /** Hook to turn an API row into what the table shows (e.g. add display names). */
  transformRow(row) {
    return row;
  }

  /** Hook to turn form values into the API payload. */
  toPayload(values, _entity) {
    return values;
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------

  async initialize(container) {
    this.container = container;
    container.classList.add('umig-entity', `umig-entity--${this.entityType}`);
    container.replaceChildren();
    const toolbar = document.createElement('div');
    toolbar.className = 'umig-toolbar';
    const title = document.createElement('h2');
    title.className = 'umig-toolbar__title';
    title.textContent = this.labels.plural[0].toUpperCase() + this.labels.plural.slice(1);
    const count = document.createElement('span');
    count.className = 'umig-toolbar__count';
    title.append(' ', count);
    const actions = document.createElement('div');
    actions.className = 'umig-toolbar__actions';
    for (const action of this.toolbarActions()) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `umig-button umig-button--${action.variant ?? 'default'}`;
      button.textContent = action.label;
      button.addEventListener('click', () => action.run());
      actions.append(button);
    }
    toolbar.append(title, actions);

    const filterHost = document.createElement('div');
    const tableHost = document.createElement('div');
    const paginationHost = document.createElement('div');
    const errorHost = document.createElement('div');
    errorHost.className = 'umig-entity__error';
    errorHost.hidden = true;
    container.append(toolbar, errorHost, filterHost, tableHost, paginationHost);
    this.elements = { count, errorHost };

    const state = this.store.getState();
    this.components.filters = new FilterComponent(filterHost, {
      selects: this.filters,
      values: state.filters,
      source: this.entityType,
      onChange: (filters) => this.store.setState({ filters, page: 1 }),
    }).mount();
    this.components.table = new TableManager(tableHost, {
      columns: this.columns,
      rowKey: this.idField,
      caption: this.labels.plural,
      actions: this.actions,
      serverSort: true,
      sort: state.sort ?? { key: null, direction: 'asc' },
      emptyMessage: `No ${this.labels.plural} match the current filters.`,
      onAction: (action, row) => this.handleAction(action, row),
      onRowClick: (row) => this.onRowClick?.(row),
      onSortChange: (sort) => this.store.setState({ sort, page: 1 }),
    }).mount();
    this.components.pagination = new PaginationComponent(paginationHost, {
      page: state.page,
      size: state.size,
      source: this.entityType,
      label: `${this.labels.plural} pages`,
      onChange: ({ page, size }) => this.store.setState({ page, size }),
    }).mount();

    // Any change of the query inputs reloads; the render slice only re-renders.
    this.unsubscribers = [
      this.store.subscribe(() => this.load(), (s) => [s.page, s.size, s.filters, s.sort?.key, s.sort?.direction]),
      this.store.subscribe((slice) => this.renderState(slice), (s) => [s.rows, s.total, s.loading, s.error]),
      eventBus.on(`${this.entityType}:changed`, () => this.refresh()),
    ];
    await this.load();
    return this;
  }

  toolbarActions() {
    return [
      { label: `New ${this.labels.singular}`, variant: 'primary', run: () => this.openCreateDialog() },
      { label: 'Refresh', variant: 'subtle', run: () => this.refresh() },
    ];
  }

  destroy() {
    this.abortController?.abort();
    this.unsubscribers?.forEach((off) => off());
    Object.values(this.components).forEach((c) => c.destroy());
    this.components = {};
    this.container?.replaceChildren();
  }

  // ---- data -----------------------------------------------------------------------------------------------------

  /** Query parameters for the current state. */
  buildQuery(state = this.store.getState()) {
    const query = { page: state.page, size: state.size, ...state.filters };
    if (state.sort?.key) {
      query.sort = state.sort.key;
      query.direction = state.sort.direction;
    }
    return query;
  }

  async load({ useCache = true } = {}) {
    const query = this.buildQuery();
    const cacheKey = JSON.stringify(query);
    const cached = this.cache.get(cacheKey);
    if (useCache && cached && Date.now() - cached.at < CACHE_TTL_MS) {
      this.store.setState({ rows: cached.rows, total: cached.total, loading: false, error: null });
      return cached.rows;
    }
    // A newer load supersedes an older one still in flight (fast paging must not show stale pages).
    this.abortController?.abort();
    const controller = new AbortController();
    this.abortController = controller;
    this.store.setState({ loading: true, error: null });
    try {
      const response = await this.api.get(this.endpoint, query, { signal: controller.signal });
      const { rows, total } = BaseEntityManager.normalizeListResponse(response);
      const transformed = rows.map((row) => this.transformRow(row));
      this.#remember(cacheKey, transformed, total);
      if (controller === this.abortController) this.store.setState({ rows: transformed, total, loading: false });
      return transformed;
    } catch (error) {
      if (controller.signal.aborted) return [];
      this.store.setState({ loading: false, error: error instanceof ApiError ? error.userMessage : String(error.message ?? error) });
      return [];
    }
  }

  refresh() {
    this.cache.clear();
    return this.load({ useCache: false });
  }

  /** Accepts the shapes the UMIG endpoints return: plain arrays, { data, pagination } and { items, total }. */
  static normalizeListResponse(response) {
    if (Array.isArray(response)) return { rows: response, total: response.length };
    if (response && Array.isArray(response.data)) return { rows: response.data, total: response.pagination?.total ?? response.total ?? response.data.length };
    if (response && Array.isArray(response.items)) return { rows: response.items, total: response.total ?? response.items.length };
    return { rows: [], total: 0 };
  }

  #remember(key, rows, total) {
    this.cache.set(key, { rows, total, at: Date.now() });
    while (this.cache.size > MAX_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value);
  }

  renderState([rows, total, loading, error]) {
    this.components.table?.setRows(rows);
    this.components.pagination?.update({ total, page: this.store.getState().page, size: this.store.getState().size });
    if (this.elements) {
      this.elements.count.textContent = loading ? '' : `(${total})`;
      this.elements.errorHost.hidden = !error;
      this.elements.errorHost.textContent = error ?? '';
    }
    this.container?.setAttribute('aria-busy', loading ? 'true' : 'false');
  }

  // ---- actions --------------------------------------------------------------------------------------------------

  handleAction(action, row) {
    if (action === 'edit') return this.openEditDialog(row);
    if (action === 'delete') return this.confirmDelete(row);
    return this.onCustomAction?.(action, row);
  }

  displayName(entity) {
    return entity?.name ?? entity?.[`${this.idField.split('_')[0]}_name`] ?? String(entity?.[this.idField] ?? '');
  }

  async openCreateDialog(initial = {}) {
    return this.#openForm(null, initial);
  }

  async openEditDialog(entity) {
    return this.#openForm(entity, entity);
  }

  async #openForm(entity, values) {
    const builder = new FormBuilder(this.formFields(entity), { schema: this.schema, values });
    const form = builder.build();
    const isNew = entity === null;
    return modalManager.form({
      title: isNew ? `New ${this.labels.singular}` : `Edit ${this.labels.singular}: ${this.displayName(entity)}`,
      form,
      submitLabel: isNew ? 'Create' : 'Save changes',
      onSubmit: async (raw) => {
        const { values: typed, valid, errors } = builder.read(raw);
        if (!valid) return { fieldErrors: errors };
        try {
          const saved = isNew ? await this.create(this.toPayload(typed, null)) : await this.update(entity[this.idField], this.toPayload(typed, entity));
          return saved;
        } catch (error) {
          const fieldErrors = error instanceof ApiError ? error.body?.fieldErrors : null;
          if (fieldErrors) return { fieldErrors };
          this.notify('error', error instanceof ApiError ? error.userMessage : String(error));
          return { fieldErrors: {} };
        }
      },
    });
  }

  async create(payload) {
    const clean = SecurityUtils.sanitizeInput(payload);
    const created = await this.api.post(this.endpoint, clean);
    this.cache.clear();
    this.notify('success', `${this.labels.singular[0].toUpperCase()}${this.labels.singular.slice(1)} created`);
    eventBus.emit(EVENTS.ENTITY_CREATED, { entityType: this.entityType, entity: created });
    await this.load({ useCache: false });
    return created;
  }

  /** Optimistic update: the row changes immediately and is restored if the server refuses. */
  async update(id, payload) {
    SecurityUtils.assertEntityId(id, `${this.labels.singular} id`);
    const clean = SecurityUtils.sanitizeInput(payload);
    const before = this.store.getState().rows;
    this.store.setState({ rows: before.map((row) => (row[this.idField] === id ? this.transformRow({ ...row, ...clean }) : row)) });
    try {
      const updated = await this.api.put(`${this.endpoint}/${encodeURIComponent(id)}`, clean);
      this.cache.clear();
      this.notify('success', 'Changes saved');
      eventBus.emit(EVENTS.ENTITY_UPDATED, { entityType: this.entityType, entity: updated ?? { ...clean, [this.idField]: id } });
      return updated;
    } catch (error) {
      this.store.setState({ rows: before });
      throw error;
    }
  }

  async confirmDelete(entity) {
    const name = this.displayName(entity);
    const ok = await modalManager.confirm({
      title: `Delete ${this.labels.singular}?`,
      message: `"${name}" will be deleted. ${this.deleteWarning(entity)}`.trim(),
      confirmLabel: 'Delete',
      destructive: true,
    });
    if (!ok) return false;
    return this.remove(entity[this.idField]);
  }

  deleteWarning(_entity) {
    return 'This cannot be undone.';
  }

  async remove(id) {
    SecurityUtils.assertEntityId(id, `${this.labels.singular} id`);
    const before = this.store.getState();
    this.store.setState({ rows: before.rows.filter((row) => row[this.idField] !== id), total: Math.max(0, before.total - 1) });
    try {
      await this.api.delete(`${this.endpoint}/${encodeURIComponent(id)}`);
      this.cache.clear();
      this.notify('success', `${this.labels.singular[0].toUpperCase()}${this.labels.singular.slice(1)} deleted`);
      eventBus.emit(EVENTS.ENTITY_DELETED, { entityType: this.entityType, id });
      return true;
    } catch (error) {
      this.store.setState({ rows: before.rows, total: before.total });
      this.notify('error', error instanceof ApiError ? error.userMessage : `Delete failed: ${error.message}`);
      return false;
    }
  }

  notify(type, message) {
    if (this.notifier) this.notifier.show(type, message);
    else eventBus.emit(EVENTS.NOTIFY, { type, message });
  }

  /** Formats validation errors for a summary (used by bulk import). */
  describeErrors(errors) {
    const labels = Object.fromEntries(this.formFields(null).map((f) => [f.name, f.label]));
    return flattenErrors(errors, labels);
  }

  /** Triggers a browser download of text content (SQL packages, CSV exports). */
  downloadFile(content, filename, mimeType = 'text/plain') {
    const safeName = SecurityUtils.sanitizeFilename(filename);
    const blob = new Blob([content], { type: `${mimeType};charset=utf-8` });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = safeName;
    link.rel = 'noopener';
    document.body.append(link);
    link.click();
    link.remove();
    // Revoke on the next tick: some browsers start the download asynchronously.
    setTimeout(() => URL.revokeObjectURL(url), 0);
    return safeName;
  }

  showSuccess(message) {
    this.notify('success', message);
  }

  handleError(context, error) {
    const message = error instanceof ApiError ? error.userMessage : error?.message ?? String(error);
    console.error(`[${this.entityType}] ${context}`, error);
    this.notify('error', `${context}: ${message}`);
  }
}

export default BaseEntityManager;
