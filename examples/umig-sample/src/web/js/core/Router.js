/**
 * Router — hash-based navigation between the admin views (#/teams, #/users, #/migrations/:id …).
 *
 * Hash routing because the app lives inside a Confluence page whose path we do not own.
 */

import { eventBus, EVENTS } from './EventBus.js';

/** Compiles "/migrations/:id/iterations" into a regex and the list of parameter names. */
export function compileRoute(pattern) {
  const names = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { regex: new RegExp(`^${source}/?$`), names };
}

/** Splits "#/users?page=2" into path and query. */
export function parseHash(hash) {
  const raw = (hash ?? '').replace(/^#/, '') || '/';
  const [path, queryString = ''] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(queryString)) };
}

export class Router {
  constructor({ window: win = globalThis.window, notFound = '/' } = {}) {
    this.window = win;
    this.routes = [];
    this.notFound = notFound;
    this.current = null;
    this.onHashChange = () => this.resolve();
  }

  /** Registers a handler; handlers receive ({ params, query, path }). */
  add(pattern, handler, { title } = {}) {
    this.routes.push({ pattern, handler, title, ...compileRoute(pattern) });
    return this;
  }

  start() {
    this.window?.addEventListener('hashchange', this.onHashChange);
    return this.resolve();
  }

  stop() {
    this.window?.removeEventListener('hashchange', this.onHashChange);
  }

  navigate(path, query = {}) {
    const qs = new URLSearchParams(query).toString();
    const target = `#${path}${qs ? `?${qs}` : ''}`;
    if (this.window && this.window.location.hash !== target) this.window.location.hash = target;
    else return this.resolve();
    return undefined;
  }

  /** Finds the route for the current hash and runs it; unknown paths go to `notFound`. */
  resolve(hash = this.window?.location.hash) {
    const { path, query } = parseHash(hash);
    for (const route of this.routes) {
      const match = route.regex.exec(path);
      if (!match) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
      this.current = { pattern: route.pattern, path, params, query };
      if (route.title && this.window?.document) this.window.document.title = `${route.title} · UMIG`;
      eventBus.emit(EVENTS.ROUTE_CHANGED, this.current);
      return route.handler({ params, query, path });
    }
    if (path !== this.notFound) return this.navigate(this.notFound);
    return undefined;
  }
}

export default Router;
