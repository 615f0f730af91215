/**
 * NotificationManager — transient flags (success, info, warning, error) in the corner of the page.
 *
 * Errors stay until dismissed (an operator may be looking away during a cutover); the rest fade after a delay.
 * Identical messages arriving in a burst are collapsed into one flag with a counter instead of a stack of copies.
 */

import { eventBus, EVENTS } from '../core/EventBus.js';

const DEFAULT_TIMEOUTS = { success: 4000, info: 6000, warning: 10_000, error: 0 };
const MAX_VISIBLE = 5;

export class NotificationManager {
  constructor({ root = globalThis.document?.body, timeouts = DEFAULT_TIMEOUTS } = {}) {
    this.root = root;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
    this.items = new Map(); // message key -> { element, count, timer }
    this.region = null;
    this.unsubscribe = eventBus.on(EVENTS.NOTIFY, ({ type = 'info', message, title }) => this.show(type, message, { title }));
  }

  #ensureRegion() {
    if (this.region?.isConnected) return this.region;
    this.region = document.createElement('div');
    this.region.className = 'umig-flags';
    // Polite for info/success; errors use role="alert" on the flag itself so they interrupt.
    this.region.setAttribute('aria-live', 'polite');
    this.root.append(this.region);
    return this.region;
  }

  success(message, options) {
    return this.show('success', message, options);
  }

  info(message, options) {
    return this.show('info', message, options);
  }

  warning(message, options) {
    return this.show('warning', message, options);
  }

  error(message, options) {
    return this.show('error', message, options);
  }

  /** Shows a flag; returns a function that dismisses it. */
  show(type, message, { title, timeoutMs } = {}) {
    const key = `${type}|${title ?? ''}|${message}`;
    const existing = this.items.get(key);
    if (existing) {
      existing.count += 1;
      existing.element.querySelector('.umig-flag__count').textContent = `×${existing.count}`;
      this.#schedule(key, type, timeoutMs);
      return () => this.dismiss(key);
    }

    const region = this.#ensureRegion();
    const flag = document.createElement('div');
    flag.className = `umig-flag umig-flag--${type}`;
    flag.setAttribute('role', type === 'error' ? 'alert' : 'status');
    if (title) {
      const strong = document.createElement('strong');
      strong.className = 'umig-flag__title';
      strong.textContent = title;
      flag.append(strong);
    }
    const text = document.createElement('span');
    text.className = 'umig-flag__message';
    text.textContent = message;
    const count = document.createElement('span');
    count.className = 'umig-flag__count';
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'umig-flag__close';
    close.setAttribute('aria-label', 'Dismiss notification');
    close.textContent = '×';
    close.addEventListener('click', () => this.dismiss(key));
    flag.append(text, count, close);
    region.prepend(flag);

    this.items.set(key, { element: flag, count: 1, timer: null });
    this.#schedule(key, type, timeoutMs);
    this.#trim();
    return () => this.dismiss(key);
  }

  dismiss(key) {
    const item = this.items.get(key);
    if (!item) return;
    clearTimeout(item.timer);
    item.element.classList.add('is-leaving');
    // Let the CSS transition run; remove even if transitions are disabled.
    setTimeout(() => item.element.remove(), 200);
    this.items.delete(key);
  }

  clear() {
    for (const key of [...this.items.keys()]) this.dismiss(key);
  }

  destroy() {
    this.clear();
    this.unsubscribe();
    this.region?.remove();
  }

  #schedule(key, type, timeoutMs) {
    const item = this.items.get(key);
    if (!item) return;
    clearTimeout(item.timer);
    const ms = timeoutMs ?? this.timeouts[type] ?? 0;
    if (ms > 0) item.timer = setTimeout(() => this.dismiss(key), ms);
  }

  #trim() {
    const keys = [...this.items.keys()];
    // Oldest non-error flags go first; errors are only dropped when nothing else is left to drop.
    while (keys.length > MAX_VISIBLE) {
      const victim = keys.find((k) => !k.startsWith('error|')) ?? keys[0];
      keys.splice(keys.indexOf(victim), 1);
      this.dismiss(victim);
    }
  }
}

export default NotificationManager;
