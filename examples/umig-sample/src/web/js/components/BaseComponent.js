/**
 * BaseComponent — lifecycle shared by every UI component: mount, render, event delegation, teardown.
 *
 * Components render into a container they are given and clean up every listener they add on destroy(), because
 * Confluence keeps the page alive across macro re-renders and leaked listeners fire twice.
 */

import { SecurityUtils } from '../utils/SecurityUtils.js';

let nextId = 1;

export class BaseComponent {
  constructor(container, options = {}) {
    if (!container) throw new Error(`${new.target.name}: a container element is required`);
    this.container = container;
    this.options = { ...this.constructor.defaults, ...options };
    this.id = `umig-${this.constructor.name.toLowerCase()}-${nextId++}`;
    this.cleanups = [];
    this.mounted = false;
  }

  /** Default options; subclasses override this static getter. */
  static get defaults() {
    return {};
  }

  mount() {
    if (this.mounted) return this;
    this.mounted = true;
    this.render();
    this.afterMount?.();
    return this;
  }

  /** Subclasses implement render(); the base only guarantees it exists. */
  render() {
    throw new Error(`${this.constructor.name} must implement render()`);
  }

  /**
   * Delegated listener: one listener on the container handles events from matching descendants, so re-rendering
   * rows does not need re-binding.
   */
  delegate(eventName, selector, handler) {
    const listener = (event) => {
      const target = event.target instanceof Element ? event.target.closest(selector) : null;
      if (target && this.container.contains(target)) handler(event, target);
    };
    this.container.addEventListener(eventName, listener);
    this.cleanups.push(() => this.container.removeEventListener(eventName, listener));
  }

  /** Adds a listener to any target and remembers to remove it. */
  listen(target, eventName, handler, options) {
    target.addEventListener(eventName, handler, options);
    this.cleanups.push(() => target.removeEventListener(eventName, handler, options));
  }

  /** Remembers an unsubscribe function (event bus, store) for destroy(). */
  track(unsubscribe) {
    if (typeof unsubscribe === 'function') this.cleanups.push(unsubscribe);
    return unsubscribe;
  }

  /** Creates an element with attributes and children; strings become text nodes (never HTML). */
  el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      if (key === 'className') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2).toLowerCase(), value);
      else if ((key === 'href' || key === 'src') && !SecurityUtils.isSafeUrl(String(value))) continue;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Replaces the container content. */
  replaceContent(...nodes) {
    this.container.replaceChildren(...nodes);
  }

  setBusy(busy, label = 'Loading…') {
    this.container.setAttribute('aria-busy', busy ? 'true' : 'false');
    this.container.classList.toggle('umig-is-busy', busy);
    if (busy) this.container.dataset.busyLabel = label;
    else delete this.container.dataset.busyLabel;
  }

  destroy() {
    while (this.cleanups.length) {
      try {
        this.cleanups.pop()();
      } catch (error) {
        console.warn(`${this.constructor.name}: cleanup failed`, error);
      }
    }
    this.container.replaceChildren();
    this.mounted = false;
  }
}

export default BaseComponent;
