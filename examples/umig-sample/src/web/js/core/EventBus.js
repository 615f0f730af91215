/**
 * EventBus — decoupled notifications between components (entity saved, filter changed, health changed).
 *
 * Handlers are called synchronously in subscription order; a throwing handler is reported and does not stop
 * the others, because one broken widget must not break the page.
 */

export class EventBus {
  constructor({ onError } = {}) {
    this.handlers = new Map();
    this.onError = onError ?? ((event, error) => console.error(`[EventBus] handler for "${event}" failed`, error));
  }

  /** Subscribes; returns the unsubscribe function. */
  on(event, handler) {
    if (typeof handler !== 'function') throw new TypeError(`handler for "${event}" must be a function`);
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(handler);
    return () => this.off(event, handler);
  }

  /** Subscribes for the next emission only. */
  once(event, handler) {
    const off = this.on(event, (payload) => {
      off();
      handler(payload);
    });
    return off;
  }

  off(event, handler) {
    const set = this.handlers.get(event);
    if (!set) return;
    set.delete(handler);
    if (set.size === 0) this.handlers.delete(event);
  }

  /** Emits to exact subscribers and to wildcard ("entity:*") subscribers of the same namespace. */
  emit(event, payload) {
    const targets = [...(this.handlers.get(event) ?? [])];
    const colon = event.indexOf(':');
    if (colon > 0) targets.push(...(this.handlers.get(`${event.slice(0, colon)}:*`) ?? []));
    for (const handler of targets) {
      try {
        handler(payload, event);
      } catch (error) {
        this.onError(event, error);
      }
    }
    return targets.length;
  }

  /** Resolves with the payload of the next emission, or rejects after `timeoutMs`. */
  waitFor(event, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out waiting for "${event}"`));
      }, timeoutMs);
      const off = this.once(event, (payload) => {
        clearTimeout(timer);
        resolve(payload);
      });
    });
  }

  clear() {
    this.handlers.clear();
  }
}

/** The application-wide bus. */
export const eventBus = new EventBus();

export const EVENTS = Object.freeze({
  ENTITY_CREATED: 'entity:created',
  ENTITY_UPDATED: 'entity:updated',
  ENTITY_DELETED: 'entity:deleted',
  FILTER_CHANGED: 'filter:changed',
  PAGE_CHANGED: 'pagination:changed',
  HEALTH_CHANGED: 'health:changed',
  ROUTE_CHANGED: 'route:changed',
  NOTIFY: 'ui:notify',
});
