/**
 * StateStore — a minimal observable store for per-view UI state (filters, sort order, selected rows, page).
 *
 * State is replaced immutably; subscribers receive the new and previous state and can select a slice so they
 * only re-render when their part changed. Optional persistence keeps filters across page reloads (sessionStorage),
 * which runsheet users asked for during long cutover nights.
 */

export class StateStore {
  constructor(initialState = {}, { persistKey = null, storage = globalThis.sessionStorage } = {}) {
    this.persistKey = persistKey;
    this.storage = persistKey ? storage : null;
    this.state = Object.freeze({ ...initialState, ...this.#restore() });
    this.listeners = new Set();
  }

  getState() {
    return this.state;
  }

  /** Merges a partial state (or the result of an updater function) and notifies subscribers. */
  setState(partial) {
    const patch = typeof partial === 'function' ? partial(this.state) : partial;
    if (!patch || typeof patch !== 'object') return this.state;
    const next = Object.freeze({ ...this.state, ...patch });
    if (StateStore.shallowEqual(next, this.state)) return this.state;
    const previous = this.state;
    this.state = next;
    this.#persist();
    for (const listener of [...this.listeners]) listener(next, previous);
    return next;
  }

  /**
   * Subscribes to changes. With a selector, the listener only fires when the selected value changes
   * (compared shallowly), e.g. `store.subscribe(render, (s) => s.filters)`.
   */
  subscribe(listener, selector = null) {
    let last = selector ? selector(this.state) : undefined;
    const wrapped = selector
      ? (next) => {
          const value = selector(next);
          if (StateStore.shallowEqual(value, last)) return;
          last = value;
          listener(value, next);
        }
      : listener;
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  reset(initialState = {}) {
    this.state = Object.freeze({ ...initialState });
    this.#persist();
    for (const listener of [...this.listeners]) listener(this.state, {});
  }

  #restore() {
    if (!this.storage) return {};
    try {
      const raw = this.storage.getItem(this.persistKey);
      return raw ? JSON.parse(raw) : {};
    } catch {
      // Corrupt or foreign value: start clean rather than fail the page.
      return {};
    }
  }

  #persist() {
    if (!this.storage) return;
    try {
      this.storage.setItem(this.persistKey, JSON.stringify(this.state));
    } catch {
      // Quota exceeded or storage disabled: persistence is a convenience, not a requirement.
    }
  }

  /** Shallow equality for plain objects and arrays; identity for everything else. */
  static shallowEqual(a, b) {
    if (Object.is(a, b)) return true;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.length !== keysB.length) return false;
    return keysA.every((key) => Object.prototype.hasOwnProperty.call(b, key) && Object.is(a[key], b[key]));
  }
}

export default StateStore;
