/**
 * PaginationComponent — page links with ellipses, page-size selector and "x–y of z" summary.
 *
 * The page arithmetic is a pure exported function (computePageItems) so it is unit-tested without a DOM.
 */

import { BaseComponent } from './BaseComponent.js';
import { eventBus, EVENTS } from '../core/EventBus.js';

/**
 * Returns the page buttons to show: numbers and "…" markers. Always shows the first and last page and
 * `siblings` pages on each side of the current one; the list never changes length while paging through the
 * middle, so buttons do not jump under the mouse.
 */
export function computePageItems(current, totalPages, siblings = 1) {
  if (totalPages <= 0) return [];
  const page = Math.min(Math.max(1, current), totalPages);
  const slots = siblings * 2 + 5; // first, last, current, two ellipses, siblings
  if (totalPages <= slots) return Array.from({ length: totalPages }, (_, i) => i + 1);

  const leftSibling = Math.max(page - siblings, 1);
  const rightSibling = Math.min(page + siblings, totalPages);
  const showLeftDots = leftSibling > 3;
  const showRightDots = rightSibling < totalPages - 2;
  const edgeCount = 3 + 2 * siblings;

  if (!showLeftDots && showRightDots) {
    return [...Array.from({ length: edgeCount }, (_, i) => i + 1), '…', totalPages];
  }
  if (showLeftDots && !showRightDots) {
    return [1, '…', ...Array.from({ length: edgeCount }, (_, i) => totalPages - edgeCount + i + 1)];
  }
  const middle = Array.from({ length: rightSibling - leftSibling + 1 }, (_, i) => leftSibling + i);
  return [1, '…', ...middle, '…', totalPages];
}

/** "21–40 of 95" (1-based, inclusive), or "0 of 0" for an empty list. */
export function describeRange(page, size, total) {
  if (!total) return '0 of 0';
  const start = (page - 1) * size + 1;
  const end = Math.min(page * size, total);
  return `${start}–${end} of ${total}`;
}

export class PaginationComponent extends BaseComponent {
  static get defaults() {
    return { page: 1, size: 25, total: 0, sizes: [10, 25, 50, 100], siblings: 1, label: 'Pagination', source: null };
  }

  get totalPages() {
    return Math.max(1, Math.ceil(this.options.total / this.options.size));
  }

  /** Updates the numbers (e.g. after a reload) without emitting a change. */
  update({ page, size, total }) {
    if (page !== undefined) this.options.page = page;
    if (size !== undefined) this.options.size = size;
    if (total !== undefined) this.options.total = total;
    if (this.mounted) this.render();
  }

  afterMount() {
    this.delegate('click', 'button[data-page]', (event, button) => {
      event.preventDefault();
      this.goTo(Number(button.dataset.page));
    });
    this.delegate('change', 'select[data-page-size]', (_event, select) => {
      this.options.size = Number(select.value);
      this.goTo(1, true);
    });
  }

  goTo(page, force = false) {
    const target = Math.min(Math.max(1, page), this.totalPages);
    if (target === this.options.page && !force) return;
    this.options.page = target;
    this.render();
    this.options.onChange?.({ page: target, size: this.options.size });
    eventBus.emit(EVENTS.PAGE_CHANGED, { source: this.options.source, page: target, size: this.options.size });
  }

  render() {
    const { page, size, total, sizes, siblings, label } = this.options;
    const nav = this.el('nav', { className: 'umig-pagination', 'aria-label': label });
    const list = this.el('ul', { className: 'umig-pagination__list' });
    const button = (text, target, { disabled = false, current = false, ariaLabel } = {}) =>
      this.el(
        'li',
        {},
        this.el('button', {
          type: 'button',
          className: `umig-pagination__button${current ? ' is-current' : ''}`,
          dataset: { page: String(target) },
          disabled,
          'aria-current': current ? 'page' : null,
          'aria-label': ariaLabel ?? `Page ${target}`,
          text,
        }),
      );

    list.append(button('‹', page - 1, { disabled: page <= 1, ariaLabel: 'Previous page' }));
    for (const item of computePageItems(page, this.totalPages, siblings)) {
      if (item === '…') list.append(this.el('li', { className: 'umig-pagination__gap', 'aria-hidden': 'true', text: '…' }));
      else list.append(button(String(item), item, { current: item === page }));
    }
    list.append(button('›', page + 1, { disabled: page >= this.totalPages, ariaLabel: 'Next page' }));

    const select = this.el(
      'select',
      { className: 'umig-select', dataset: { pageSize: '' }, 'aria-label': 'Rows per page' },
      sizes.map((s) => this.el('option', { value: String(s), selected: s === size, text: `${s} / page` })),
    );
    const summary = this.el('span', { className: 'umig-pagination__summary', 'aria-live': 'polite', text: describeRange(page, size, total) });
    nav.append(list, summary, select);
    this.replaceContent(nav);
  }
}

export default PaginationComponent;
