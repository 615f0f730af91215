/**
 * TableManager — sortable, selectable data table with row actions and keyboard support.
 *
 * Columns are declared as data: { key, label, sortable, width, render(row) -> Node|string, align }. Cell values are
 * always inserted as text unless a column's render() returns a Node it built itself, so API data never reaches
 * innerHTML. Sorting can be client-side (small lists) or delegated to the server via onSortChange.
 */

import { BaseComponent } from './BaseComponent.js';

/** Compares two cell values for sorting: numbers numerically, dates chronologically, text with locale collation. */
export function compareValues(a, b, collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })) {
  if (a === b) return 0;
  if (a === null || a === undefined || a === '') return 1; // empty values sort last in both directions
  if (b === null || b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? -1 : 1;
  const isoDate = /^\d{4}-\d{2}-\d{2}/;
  if (typeof a === 'string' && typeof b === 'string' && isoDate.test(a) && isoDate.test(b)) {
    return new Date(a).getTime() - new Date(b).getTime();
  }
  return collator.compare(String(a), String(b));
}

/** Returns a new array sorted by `key` (stable; the input is not modified). */
export function sortRows(rows, key, direction = 'asc') {
  const factor = direction === 'desc' ? -1 : 1;
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  return rows
    .map((row, index) => ({ row, index }))
    .sort((x, y) => {
      const a = x.row[key];
      const b = y.row[key];
      const emptyA = a === null || a === undefined || a === '';
      const emptyB = b === null || b === undefined || b === '';
      if (emptyA !== emptyB) return emptyA ? 1 : -1; // empties stay last even when descending
      return factor * compareValues(a, b, collator) || x.index - y.index;
    })
    .map(({ row }) => row);
}

export class TableManager extends BaseComponent {
  static get defaults() {
    return {
      columns: [],
      rows: [],
      rowKey: 'id',
      caption: '',
      selectable: false,
      actions: [], // [{ id, label, icon, danger, visible(row) }]
      emptyMessage: 'Nothing to show yet.',
      sort: { key: null, direction: 'asc' },
      serverSort: false,
      dense: false,
    };
  }

  constructor(container, options) {
    super(container, options);
    this.selected = new Set();
    this.sort = { ...this.options.sort };
  }

  /** Replaces the rows (keeps the sort and the selection of rows that still exist). */
  setRows(rows) {
    this.options.rows = Array.isArray(rows) ? rows : [];
    const keys = new Set(this.options.rows.map((r) => String(r[this.options.rowKey])));
    for (const key of [...this.selected]) if (!keys.has(key)) this.selected.delete(key);
    if (this.mounted) this.render();
  }

  getSelectedRows() {
    return this.options.rows.filter((row) => this.selected.has(String(row[this.options.rowKey])));
  }

  clearSelection() {
    this.selected.clear();
    if (this.mounted) this.render();
  }

  afterMount() {
    this.delegate('click', 'th[data-sort-key] button', (_event, button) => {
      const key = button.closest('th').dataset.sortKey;
      this.toggleSort(key);
    });
    this.delegate('change', 'input[data-select-row]', (_event, input) => {
      const key = input.dataset.selectRow;
      if (input.checked) this.selected.add(key);
      else this.selected.delete(key);
      input.closest('tr')?.classList.toggle('is-selected', input.checked);
      this.#syncSelectAll();
      this.options.onSelectionChange?.(this.getSelectedRows());
    });
    this.delegate('change', 'input[data-select-all]', (_event, input) => {
      for (const row of this.options.rows) {
        const key = String(row[this.options.rowKey]);
        if (input.checked) this.selected.add(key);
        else this.selected.delete(key);
      }
      this.render();
      this.options.onSelectionChange?.(this.getSelectedRows());
    });
    this.delegate('click', 'button[data-row-action]', (event, button) => {
      event.stopPropagation();
      const row = this.#rowByKey(button.dataset.rowKey);
      if (row) this.options.onAction?.(button.dataset.rowAction, row);
    });
    this.delegate('click', 'tbody tr[data-row-key]', (event, tr) => {
      if (event.target instanceof Element && event.target.closest('button, input, a')) return;
      const row = this.#rowByKey(tr.dataset.rowKey);
      if (row) this.options.onRowClick?.(row);
    });
    this.delegate('keydown', 'tbody tr[data-row-key]', (event, tr) => {
      // Arrow keys move between rows; Enter opens, as in Confluence's own tables.
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const sibling = event.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
        sibling?.focus();
      } else if (event.key === 'Enter') {
        const row = this.#rowByKey(tr.dataset.rowKey);
        if (row) this.options.onRowClick?.(row);
      }
    });
  }

  toggleSort(key) {
    const direction = this.sort.key === key && this.sort.direction === 'asc' ? 'desc' : 'asc';
    this.sort = { key, direction };
    if (this.options.serverSort) this.options.onSortChange?.(this.sort);
    this.render();
  }

  /** Rows in display order. */
  visibleRows() {
    const { rows, serverSort } = this.options;
    if (serverSort || !this.sort.key) return rows;
    return sortRows(rows, this.sort.key, this.sort.direction);
  }

  render() {
    const { columns, caption, selectable, actions, emptyMessage, dense } = this.options;
    const table = this.el('table', { className: `umig-table${dense ? ' umig-table--dense' : ''}` });
    if (caption) table.append(this.el('caption', { className: 'umig-visually-hidden', text: caption }));

    const headRow = this.el('tr');
    if (selectable) {
      const allSelected = this.options.rows.length > 0 && this.options.rows.every((r) => this.selected.has(String(r[this.options.rowKey])));
      headRow.append(
        this.el('th', { scope: 'col', className: 'umig-table__select' }, this.el('input', { type: 'checkbox', dataset: { selectAll: '' }, checked: allSelected, 'aria-label': 'Select all rows' })),
      );
    }
    for (const column of columns) {
      const sorted = this.sort.key === column.key;
      const th = this.el('th', {
        scope: 'col',
        style: column.width ? `width:${column.width}` : null,
        className: column.align ? `is-${column.align}` : null,
        'aria-sort': sorted ? (this.sort.direction === 'asc' ? 'ascending' : 'descending') : column.sortable ? 'none' : null,
      });
      if (column.sortable) {
        th.dataset.sortKey = column.key;
        th.append(this.el('button', { type: 'button', className: 'umig-table__sort' }, column.label, this.el('span', { className: 'umig-table__sort-icon', 'aria-hidden': 'true', text: sorted ? (this.sort.direction === 'asc' ? '▲' : '▼') : '↕' })));
      } else {
        th.textContent = column.label;
      }
      headRow.append(th);
    }
    if (actions.length) headRow.append(this.el('th', { scope: 'col', className: 'umig-table__actions' }, this.el('span', { className: 'umig-visually-hidden', text: 'Actions' })));
    table.append(this.el('thead', {}, headRow));

    const tbody = this.el('tbody');
    const rows = this.visibleRows();
    if (!rows.length) {
      const span = columns.length + (selectable ? 1 : 0) + (actions.length ? 1 : 0);
      tbody.append(this.el('tr', { className: 'umig-table__empty' }, this.el('td', { colspan: String(span), text: emptyMessage })));
    }
    for (const row of rows) tbody.append(this.#renderRow(row));
    table.append(tbody);

    const wrapper = this.el('div', { className: 'umig-table-wrapper', role: 'region', tabindex: '0', 'aria-label': caption || 'Data table' }, table);
    this.replaceContent(wrapper);
  }

  #renderRow(row) {
    const { columns, selectable, actions, rowKey } = this.options;
    const key = String(row[rowKey]);
    const tr = this.el('tr', { dataset: { rowKey: key }, tabindex: this.options.onRowClick ? '0' : null, className: this.selected.has(key) ? 'is-selected' : null });
    if (selectable) {
      tr.append(this.el('td', { className: 'umig-table__select' }, this.el('input', { type: 'checkbox', dataset: { selectRow: key }, checked: this.selected.has(key), 'aria-label': `Select row ${key}` })));
    }
    for (const column of columns) {
      const td = this.el('td', { className: column.align ? `is-${column.align}` : null, 'data-label': column.label });
      const value = column.render ? column.render(row) : row[column.key];
      if (value instanceof Node) td.append(value);
      else td.textContent = value === null || value === undefined ? '' : String(value);
      tr.append(td);
    }
    if (actions.length) {
      const cell = this.el('td', { className: 'umig-table__actions' });
      for (const action of actions) {
        if (action.visible && !action.visible(row)) continue;
        cell.append(
          this.el('button', {
            type: 'button',
            className: `umig-icon-button${action.danger ? ' umig-icon-button--danger' : ''}`,
            dataset: { rowAction: action.id, rowKey: key },
            title: action.label,
            'aria-label': `${action.label} ${row.name ?? key}`,
            text: action.icon ?? action.label,
          }),
        );
      }
      tr.append(cell);
    }
    return tr;
  }

  #rowByKey(key) {
    return this.options.rows.find((row) => String(row[this.options.rowKey]) === key);
  }

  #syncSelectAll() {
    const all = this.container.querySelector('input[data-select-all]');
    if (!all) return;
    const total = this.options.rows.length;
    const count = this.getSelectedRows().length;
    all.checked = total > 0 && count === total;
    all.indeterminate = count > 0 && count < total;
  }
}

export default TableManager;
