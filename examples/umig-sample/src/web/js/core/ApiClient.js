/**
 * ApiClient — the one place UMIG talks HTTP.
 *
 * Wraps fetch with what every ScriptRunner call needs: the base path, JSON encoding, the CSRF header Confluence
 * checks on POST/PUT/DELETE, a timeout (AbortController), bounded retries with exponential back-off for idempotent
 * requests, a client-side rate limit, and errors that carry the HTTP status and the server's message.
 */

import { SecurityUtils, RateLimiter } from '../utils/SecurityUtils.js';

export const DEFAULT_BASE_PATH = '/rest/scriptrunner/latest/custom';

/** An HTTP failure with the status and the body the server sent (parsed when it was JSON). */
export class ApiError extends Error {
  constructor(message, { status = 0, endpoint = '', body = null, cause } = {}) {
    super(message, { cause });
    this.name = 'ApiError';
    this.status = status;
    this.endpoint = endpoint;
    this.body = body;
  }

  /** Network errors and 5xx are worth retrying for GETs; 4xx never are. */
  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }

  /** A message for a notification banner: the server's own words when it gave some. */
  get userMessage() {
    const serverMessage = this.body && typeof this.body === 'object' ? this.body.error ?? this.body.message : null;
    if (serverMessage) return String(serverMessage);
    if (this.status === 401 || this.status === 403) return 'You do not have permission for this action. Ask a UMIG administrator to add you to the right group.';
    if (this.status === 404) return 'The requested item no longer exists. Refresh the page.';
    if (this.status === 409) return 'Someone else changed this item. Reload it and apply your change again.';
    if (this.status === 429) return 'Too many requests. Wait a moment and try again.';
    if (this.status === 0) return 'The server could not be reached. Check your connection.';
    return `The server answered ${this.status}. Try again; if it persists, contact support.`;
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export class ApiClient {
  /**
   * @param {object} options
   * @param {string} [options.basePath] prefix for relative endpoints
   * @param {number} [options.timeoutMs] per attempt
   * @param {number} [options.retries] extra attempts for idempotent requests
   * @param {Function} [options.fetchImpl] injectable fetch (tests, server-side rendering)
   */
  constructor({ basePath = DEFAULT_BASE_PATH, timeoutMs = 15_000, retries = 2, fetchImpl, rateLimit = 30, onRequest } = {}) {
    this.basePath = basePath.replace(/\/$/, '');
    this.timeoutMs = timeoutMs;
    this.retries = retries;
    this.fetchImpl = fetchImpl ?? ((...args) => globalThis.fetch(...args));
    this.limiter = new RateLimiter({ limit: rateLimit, windowMs: 60_000 });
    this.onRequest = onRequest;
    this.inflight = new Map();
  }

  /** Builds the full URL for an endpoint plus query parameters (undefined/null/'' values are dropped). */
  buildUrl(endpoint, query = {}) {
    const path = /^https?:\/\//.test(endpoint) || endpoint.startsWith('/rest/') ? endpoint : `${this.basePath}/${endpoint.replace(/^\//, '')}`;
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === '') continue;
      if (Array.isArray(value)) value.forEach((v) => params.append(key, String(v)));
      else params.set(key, String(value));
    }
    const qs = params.toString();
    return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
  }

  get(endpoint, query, options) {
    return this.request('GET', endpoint, { query, ...options });
  }

  post(endpoint, body, options) {
    return this.request('POST', endpoint, { body, ...options });
  }

  put(endpoint, body, options) {
    return this.request('PUT', endpoint, { body, ...options });
  }

  delete(endpoint, options) {
    return this.request('DELETE', endpoint, options);
  }

  /**
   * Performs a request and returns the parsed body (JSON, or text for other content types).
   * Concurrent identical GETs share one network request.
   */
  async request(method, endpoint, { query, body, headers = {}, raw = false, signal, timeoutMs, retries } = {}) {
    const url = this.buildUrl(endpoint, query);
    const dedupeKey = method === 'GET' && !raw ? url : null;
    if (dedupeKey && this.inflight.has(dedupeKey)) return this.inflight.get(dedupeKey);

    const run = this.#withRetries(method, url, endpoint, { body, headers, raw, signal, timeoutMs, retries });
    if (!dedupeKey) return run;
    this.inflight.set(dedupeKey, run);
    try {
      return await run;
    } finally {
      this.inflight.delete(dedupeKey);
    }
  }

  async #withRetries(method, url, endpoint, opts) {
    // Per-request `retries` (e.g. 0 for health probes, whose 503 is an answer, not a glitch) overrides the default.
    const attempts = IDEMPOTENT.has(method) ? (opts.retries ?? this.retries) + 1 : 1;
    let lastError;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        return await this.#once(method, url, endpoint, opts);
      } catch (error) {
        lastError = error;
        const retry = error instanceof ApiError && error.retryable && attempt < attempts && !opts.signal?.aborted;
        if (!retry) throw error;
        // Exponential back-off with jitter: 250 ms, 500 ms, 1 s… so a recovering server is not stampeded.
        const delay = 250 * 2 ** (attempt - 1) + Math.floor(Math.random() * 100);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    throw lastError;
  }

  async #once(method, url, endpoint, { body, headers, raw, signal, timeoutMs }) {
    const gate = this.limiter.tryAcquire(endpoint);
    if (!gate.allowed) {
      throw new ApiError(`Rate limit reached for ${endpoint}; retry in ${Math.ceil(gate.retryAfterMs / 1000)} s`, { status: 429, endpoint });
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs ?? this.timeoutMs);
    const onAbort = () => controller.abort(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    const init = {
      method,
      credentials: 'same-origin',
      signal: controller.signal,
      headers: { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest', ...headers },
    };
    if (method !== 'GET' && method !== 'HEAD') {
      // Confluence rejects state-changing XHR without this header (XSRF protection).
      init.headers['X-Atlassian-Token'] = 'no-check';
      init.headers['X-CSRF-Token'] = SecurityUtils.getCSRFToken();
    }
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(SecurityUtils.sanitizeInput(body));
    }

    const started = typeof performance !== 'undefined' ? performance.now() : Date.now();
    let response;
    try {
      response = await this.fetchImpl(url, init);
    } catch (cause) {
      const timedOut = controller.signal.aborted && !signal?.aborted;
      throw new ApiError(timedOut ? `${method} ${endpoint} timed out` : `${method} ${endpoint} failed: network error`, { status: 0, endpoint, cause });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    const elapsed = (typeof performance !== 'undefined' ? performance.now() : Date.now()) - started;
    this.onRequest?.({ method, endpoint, status: response.status, ms: elapsed });

    if (raw) {
      if (!response.ok) {
        throw new ApiError(`${method} ${endpoint} answered ${response.status}`, { status: response.status, endpoint, body: await ApiClient.parseBody(response) });
      }
      return response;
    }
    const parsed = await ApiClient.parseBody(response);
    if (!response.ok) {
      throw new ApiError(`${method} ${endpoint} answered ${response.status}`, { status: response.status, endpoint, body: parsed });
    }
    return parsed;
  }

  /** JSON when the server says so (or the text looks like it), else text; empty bodies become null. */
  static async parseBody(response) {
    if (response.status === 204) return null;
    const text = await response.text();
    if (!text) return null;
    const type = response.headers?.get?.('content-type') ?? '';
    if (type.includes('json') || /^[[{]/.test(text.trim())) {
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
    return text;
  }
}

/** The shared instance the entity managers use. */
export const apiClient = new ApiClient();

export default ApiClient;
