/**
 * FilterComponent — search box plus select filters above an entity table.
 *
 * Typing is debounced so the API sees one request per pause, not per keystroke; the current filters are emitted
 * as a plain object ({ search, status, team… }) that the entity manager passes straight to the API as query
 * parameters.
 */

import { BaseComponent } from './BaseComponent.js';
import { eventBus, EVENTS } from '../core/EventBus.js';

/** Returns a debounced function with .cancel() and .flush(). */
export function debounce(fn, waitMs = 300) {
  let timer = null;
  let lastArgs = null;
  const debounced = (...args) => {
    lastArgs = args;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...lastArgs);
    }, waitMs);
  };
  debounced.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  debounced.flush = () => {
    if (timer === null) return;
    clearTimeout(timer);
    timer = null;
    fn(...lastArgs);
  };
  return debounced;
}

/** Drops empty values so "" or "all" never reach the query string. */
export function normalizeFilters(filters) {
  const out = {};
  for (const [key, value] of Object.entries(filters ?? {})) {
    if (value === undefined || value === null) continue;
    const v = typeof value === 'string' ? value.trim() : value;
    if (v === '' || v === 'all') continue;
    out[key] = v;
  }
  return out;
}

export class FilterComponent extends BaseComponent {
  static get defaults() {
    return {
      searchPlaceholder: 'Search…',
      selects: [], // [{ name, label, options: [{ value, label }] }]
      values: {},
      debounceMs: 300,
      source: null,
    };
  }

  constructor(container, options) {
    super(container, options);
    this.values = { ...this.options.values };
    this.emitDebounced = debounce(() => this.#emit(), this.options.debounceMs);
  }

  afterMount() {
    this.delegate('input', 'input[name="search"]', (_event, input) => {
      this.values.search = input.value;
      this.emitDebounced();
    });
    this.delegate('change', 'select[data-filter]', (_event, select) => {
      this.values[select.name] = select.value;
      this.emitDebounced.cancel();
      this.#emit();
    });
    this.delegate('click', 'button[data-clear-filters]', () => this.clear());
    this.delegate('keydown', 'input[name="search"]', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.emitDebounced.flush();
      } else if (event.key === 'Escape') {
        this.clear();
      }
    });
    this.track(() => this.emitDebounced.cancel());
  }

  getValues() {
    return normalizeFilters(this.values);
  }

  clear() {
    this.values = {};
    this.render();
    this.#emit();
  }

  #emit() {
    const filters = this.getValues();
    this.options.onChange?.(filters);
    eventBus.emit(EVENTS.FILTER_CHANGED, { source: this.options.source, filters });
  }

  render() {
    const { searchPlaceholder, selects } = this.options;
    const form = this.el('form', { className: 'umig-filters', role: 'search', onsubmit: (e) => e.preventDefault() });
    const searchId = `${this.id}-search`;
    form.append(
      this.el('label', { className: 'umig-visually-hidden', for: searchId, text: 'Search' }),
      this.el('input', { id: searchId, type: 'search', name: 'search', className: 'umig-input umig-filters__search', placeholder: searchPlaceholder, value: this.values.search ?? '', autocomplete: 'off' }),
    );
    for (const spec of selects) {
      const id = `${this.id}-${spec.name}`;
      const select = this.el('select', { id, name: spec.name, className: 'umig-select', dataset: { filter: '' } }, this.el('option', { value: 'all', text: `All ${spec.label.toLowerCase()}` }));
      for (const option of spec.options) {
        select.append(this.el('option', { value: String(option.value), selected: String(this.values[spec.name] ?? '') === String(option.value), text: option.label }));
      }
      form.append(this.el('label', { className: 'umig-filters__label', for: id, text: spec.label }), select);
    }
    const active = Object.keys(this.getValues()).length;
    form.append(this.el('button', { type: 'button', className: 'umig-button umig-button--subtle', dataset: { clearFilters: '' }, disabled: active === 0, text: active ? `Clear filters (${active})` : 'Clear filters' }));
    this.replaceContent(form);
  }
}

export default FilterComponent;
