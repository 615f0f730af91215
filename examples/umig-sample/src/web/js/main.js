/**
 * UMIG admin UI entry point.
 *
 * Wires the router to the entity managers and shows global notifications. Loaded as an ES module by index.html
 * in development; the build bundles this file (and only what it imports) with esbuild.
 */

import { apiClient } from './core/ApiClient.js';
import { Router } from './core/Router.js';
import { eventBus, EVENTS } from './core/EventBus.js';
import { NotificationManager } from './components/NotificationManager.js';
import { SecurityUtils } from './utils/SecurityUtils.js';
import { TeamsEntityManager } from './entities/TeamsEntityManager.js';
import { UsersEntityManager } from './entities/UsersEntityManager.js';
import { MigrationsEntityManager } from './entities/MigrationsEntityManager.js';
import { StepsEntityManager } from './entities/StepsEntityManager.js';
import { DatabaseVersionManager, HEALTH_ENDPOINT, summarizeHealth } from './entities/DatabaseVersionManager.js';

const VIEWS = {
  teams: { title: 'Teams', create: () => new TeamsEntityManager({ notifier }) },
  users: { title: 'Users', create: () => new UsersEntityManager({ notifier }) },
  migrations: { title: 'Migrations', create: () => new MigrationsEntityManager({ notifier, router }) },
  steps: { title: 'Runsheet', create: (params) => new StepsEntityManager({ notifier, planId: params.planId ?? null }) },
  'database-versions': { title: 'Database versions', create: () => new DatabaseVersionManager({ notifier }) },
};

const notifier = new NotificationManager();
const router = new Router({ notFound: '/migrations' });
let activeView = null;

/** Reads the runtime configuration rendered into the page (base path, polling), falling back to defaults. */
function readRuntimeConfig() {
  const node = document.getElementById('umig-config');
  if (!node) return {};
  try {
    return JSON.parse(node.textContent ?? '{}');
  } catch {
    console.warn('[umig] ignoring malformed #umig-config');
    return {};
  }
}

/** Polls the health endpoint for the header indicator; 206/503 answers carry a body too, so read it either way. */
async function pollHeaderHealth() {
  let body;
  try {
    const response = await apiClient.get(HEALTH_ENDPOINT, {}, { raw: true, retries: 0 });
    body = await response.json();
  } catch (error) {
    body = error?.body ?? { overall: { status: 'UNKNOWN' }, error: { message: 'Health endpoint unreachable' } };
  }
  eventBus.emit(EVENTS.HEALTH_CHANGED, summarizeHealth(body));
}

async function showView(name, params = {}) {
  const spec = VIEWS[name];
  const host = document.getElementById('umig-main');
  if (!spec || !host) return;
  activeView?.destroy();
  activeView = spec.create(params);
  document.querySelectorAll('[data-nav]').forEach((link) => {
    const current = link.dataset.nav === name;
    link.classList.toggle('is-active', current);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  });
  try {
    await activeView.initialize(host);
    host.focus({ preventScroll: true });
  } catch (error) {
    notifier.error(`The ${spec.title} view could not be opened: ${error.message ?? error}`);
  }
}

function bootstrap() {
  const config = readRuntimeConfig();
  // The shared client is created at import time; the page may move the API (e.g. a Confluence context path).
  if (typeof config.basePath === 'string' && config.basePath.startsWith('/')) apiClient.basePath = config.basePath.replace(/\/$/, '');
  SecurityUtils.setCSPHeader({
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'frame-ancestors': ["'none'"],
  });

  router
    .add('/teams', () => showView('teams'), { title: 'Teams' })
    .add('/users', () => showView('users'), { title: 'Users' })
    .add('/migrations', () => showView('migrations'), { title: 'Migrations' })
    .add('/migrations/:migrationId', ({ params }) => showView('steps', params), { title: 'Runsheet' })
    .add('/plans/:planId/steps', ({ params }) => showView('steps', params), { title: 'Runsheet' })
    .add('/database-versions', () => showView('database-versions'), { title: 'Database versions' });

  eventBus.on(EVENTS.HEALTH_CHANGED, (health) => {
    const indicator = document.getElementById('umig-health-indicator');
    if (!indicator) return;
    indicator.dataset.status = health.status.toLowerCase();
    indicator.textContent = health.status;
    indicator.title = health.problems.join('\n') || `Version ${health.version ?? 'unknown'}`;
  });
  window.addEventListener('unhandledrejection', (event) => {
    console.error('[umig] unhandled rejection', event.reason);
    notifier.error('Something went wrong. The error was logged; reload the page if the view looks wrong.');
  });

  router.start();
  pollHeaderHealth();
  setInterval(pollHeaderHealth, Number(config.healthPollMs) > 0 ? Number(config.healthPollMs) : 30_000);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', bootstrap, { once: true });
else bootstrap();
