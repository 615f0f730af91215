/**
 * SecurityUtils — client-side defences used by every UMIG component.
 *
 * The server is the authority (ScriptRunner group checks, SecurityUtils.groovy), but the front end still has to:
 *  - never put untrusted text into innerHTML unescaped (XSS),
 *  - send the CSRF token Confluence expects on every state-changing request,
 *  - validate input before it leaves the browser so users get immediate, precise feedback,
 *  - throttle itself so a stuck button cannot hammer the API (the server limits to 30 requests/minute/user).
 *
 * Everything here is a pure function or a small class without DOM access at import time, so it runs in Node tests.
 */

const HTML_ESCAPES = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '/': '&#x2F;',
  '`': '&#x60;',
  '=': '&#x3D;',
};

/** Characters that are never legitimate in a file name we generate or accept. */
const UNSAFE_FILENAME = /[\u0000-\u001f\u007f<>:"/\\|?*]/g;

/** Attribute names that can execute script or load remote content. */
const DANGEROUS_ATTRIBUTES = /^(on\w+|formaction|srcdoc|xlink:href)$/i;
const DANGEROUS_URL = /^\s*(javascript|vbscript|data(?!:image\/(png|gif|jpeg|webp);base64,)):/i;

export class SecurityError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = 'SecurityError';
    this.details = details;
  }
}

export class SecurityUtils {
  /**
   * Escapes a value for safe interpolation into HTML text or a quoted attribute.
   * null/undefined become the empty string so templates do not print "null".
   */
  static escapeHtml(value) {
    if (value === null || value === undefined) return '';
    return String(value).replace(/[&<>"'`=/]/g, (ch) => HTML_ESCAPES[ch]);
  }

  /** Alias kept for code ported from the Groovy side, where the helper has this name. */
  static sanitizeForOutput(value) {
    return SecurityUtils.escapeHtml(value);
  }

  /**
   * Sanitises user input recursively: trims strings, strips control characters, removes markup.
   * Objects and arrays are copied, never mutated; numbers and booleans pass through.
   */
  static sanitizeInput(input, { maxLength = 10_000, allowNewlines = true } = {}) {
    if (input === null || input === undefined) return input;
    if (Array.isArray(input)) return input.map((v) => SecurityUtils.sanitizeInput(v, { maxLength, allowNewlines }));
    if (typeof input === 'object') {
      const out = {};
      for (const [key, value] of Object.entries(input)) {
        // Prototype pollution guard: these keys never come from a legitimate form.
        if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
        out[key] = SecurityUtils.sanitizeInput(value, { maxLength, allowNewlines });
      }
      return out;
    }
    if (typeof input !== 'string') return input;
    let text = input.replace(/<[^>]*>/g, '');
    text = allowNewlines ? text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '') : text.replace(/[\u0000-\u001f\u007f]/g, ' ');
    text = text.trim();
    if (text.length > maxLength) text = text.slice(0, maxLength);
    return text;
  }

  /**
   * Makes a string safe to use as a download file name (mirrors validateFilenameInput in SecurityUtils.groovy:
   * separators and dots become "_", length is capped).
   */
  static sanitizeFilename(name, { maxLength = 100, fallback = 'download' } = {}) {
    if (typeof name !== 'string') return fallback;
    // An extension only counts in the last path segment ("../../etc/passwd" has none).
    const lastSeparator = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
    const dot = name.lastIndexOf('.');
    const hasExt = dot > lastSeparator + 1 && /^[a-z0-9]{1,10}$/i.test(name.slice(dot + 1));
    const ext = hasExt ? name.slice(dot + 1) : '';
    const stem = (hasExt ? name.slice(0, dot) : name).replace(UNSAFE_FILENAME, '_').replace(/\.+/g, '_').replace(/\s+/g, '-');
    const trimmed = stem.replace(/^[-_]+|[-_]+$/g, '').slice(0, Math.max(1, maxLength - ext.length - 1));
    if (!trimmed) return fallback + (ext ? `.${ext}` : '');
    return ext ? `${trimmed}.${ext}` : trimmed;
  }

  /** True for http(s) URLs and same-origin relative paths; false for javascript:, data: (non-image) and the like. */
  static isSafeUrl(url) {
    if (typeof url !== 'string' || url.trim() === '') return false;
    if (DANGEROUS_URL.test(url)) return false;
    if (url.startsWith('/') && !url.startsWith('//')) return true;
    try {
      const parsed = new URL(url);
      return parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'mailto:';
    } catch {
      return false;
    }
  }

  /**
   * Removes script-capable attributes and elements from a DOM subtree. Used on the few places that render
   * server-provided rich text (instruction bodies); everything else uses textContent.
   */
  static sanitizeElement(root) {
    if (!root || typeof root.querySelectorAll !== 'function') return root;
    root.querySelectorAll('script, iframe, object, embed, link, meta, style, base, form').forEach((el) => el.remove());
    root.querySelectorAll('*').forEach((el) => {
      for (const attr of Array.from(el.attributes)) {
        if (DANGEROUS_ATTRIBUTES.test(attr.name)) el.removeAttribute(attr.name);
        else if ((attr.name === 'href' || attr.name === 'src') && !SecurityUtils.isSafeUrl(attr.value)) el.removeAttribute(attr.name);
      }
      if (el.tagName === 'A') el.setAttribute('rel', 'noopener noreferrer');
    });
    return root;
  }

  /**
   * Reads the CSRF token Confluence renders into the page (meta tag "ajs-atl-token"), falling back to a
   * per-session random token kept in sessionStorage so local runs still send a header.
   */
  static getCSRFToken(doc = globalThis.document, storage = globalThis.sessionStorage) {
    const meta = doc?.querySelector?.('meta[name="ajs-atl-token"], meta[name="csrf-token"]');
    const fromMeta = meta?.getAttribute('content');
    if (fromMeta) return fromMeta;
    const existing = storage?.getItem?.('umig.csrf');
    if (existing) return existing;
    const token = SecurityUtils.randomToken(32);
    storage?.setItem?.('umig.csrf', token);
    return token;
  }

  /** A hex token from the platform CSPRNG. */
  static randomToken(bytes = 16) {
    const buf = new Uint8Array(bytes);
    globalThis.crypto.getRandomValues(buf);
    return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** Stable session id for correlating front-end metrics with server logs (not an authentication secret). */
  static getSessionId(storage = globalThis.sessionStorage) {
    const existing = storage?.getItem?.('umig.session');
    if (existing) return existing;
    const id = `s-${SecurityUtils.randomToken(8)}`;
    storage?.setItem?.('umig.session', id);
    return id;
  }

  /** Validates a user trigram (three upper-case letters, as the database CHECK constraint requires). */
  static isValidUserCode(code) {
    return typeof code === 'string' && /^[A-Z]{3}$/.test(code);
  }

  /** Validates a UUID (any version) as produced by gen_random_uuid(). */
  static isValidUuid(value) {
    return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
  }

  /** Throws SecurityError unless the id is a positive integer or a UUID. */
  static assertEntityId(id, label = 'id') {
    if (Number.isInteger(id) && id > 0) return id;
    if (typeof id === 'string' && /^\d+$/.test(id) && Number(id) > 0) return Number(id);
    if (SecurityUtils.isValidUuid(id)) return id;
    throw new SecurityError(`Invalid ${label}`, { value: String(id).slice(0, 40) });
  }

  /**
   * Builds a Content-Security-Policy header value from a directive map, the format the seed documents:
   * { "default-src": ["'self'"], ... } -> "default-src 'self'; ..."
   */
  static buildCSP(directives) {
    return Object.entries(directives)
      .filter(([, sources]) => Array.isArray(sources) && sources.length > 0)
      .map(([name, sources]) => `${name} ${sources.join(' ')}`)
      .join('; ');
  }

  /**
   * Adds a CSP meta tag when the page has none. A meta CSP cannot set frame-ancestors, so that directive is
   * dropped here; the server sends it as a header.
   */
  static setCSPHeader(directives, doc = globalThis.document) {
    if (!doc?.head || doc.querySelector('meta[http-equiv="Content-Security-Policy"]')) return false;
    const { ['frame-ancestors']: _ignored, ...allowed } = directives;
    const meta = doc.createElement('meta');
    meta.httpEquiv = 'Content-Security-Policy';
    meta.content = SecurityUtils.buildCSP(allowed);
    doc.head.appendChild(meta);
    return true;
  }
}

/**
 * Sliding-window rate limiter: at most `limit` calls per `windowMs`. The clock is injectable so tests can
 * drive it without waiting.
 */
export class RateLimiter {
  constructor({ limit = 30, windowMs = 60_000, now = () => Date.now() } = {}) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.now = now;
    this.calls = new Map();
  }

  /** Records a call for `key` if allowed; returns { allowed, remaining, retryAfterMs }. */
  tryAcquire(key = 'default') {
    const t = this.now();
    const recent = (this.calls.get(key) ?? []).filter((at) => at > t - this.windowMs);
    if (recent.length >= this.limit) {
      this.calls.set(key, recent);
      return { allowed: false, remaining: 0, retryAfterMs: recent[0] + this.windowMs - t };
    }
    recent.push(t);
    this.calls.set(key, recent);
    return { allowed: true, remaining: this.limit - recent.length, retryAfterMs: 0 };
  }

  reset(key) {
    if (key === undefined) this.calls.clear();
    else this.calls.delete(key);
  }
}

export default SecurityUtils;
