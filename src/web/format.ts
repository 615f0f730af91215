// Formatting for display. Numbers come from the API as measured; nothing is rounded away silently.

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal (SI) size as the manifest writes it: `1.02 MB`; bytes below 1000 as `512 B`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return 'n/a';
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${v.toFixed(2)} ${UNITS[i]}`;
}

/** `2026-11-24 20:41:05 UTC` from an ISO string; the input unchanged when it is not a date. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `3 d 4 h`, `5 min 2 s`, `12 s` from seconds. */
export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

/** A measured value for a table cell: sizes for *Bytes keys, ms for *Time/ms keys, percent for *Percent/*Rate. */
export function formatValue(key: string, value: unknown): string {
  if (value === null || value === undefined) return 'n/a';
  if (typeof value === 'number') {
    // Uptime is in seconds (API.md); checked before the *time → ms rule, which it would otherwise match.
    if (key === 'uptime') return formatDuration(value);
    if (/bytes$/i.test(key)) return formatBytes(value);
    if (/percent$/i.test(key)) return `${value.toFixed(1)} %`;
    if (/rate$/i.test(key)) return `${(value * 100).toFixed(2)} %`;
    if (/(time|ms)$/i.test(key)) return `${value} ms`;
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const ACRONYMS: Record<string, string> = { api: 'API', url: 'URL', rss: 'RSS', id: 'ID', sql: 'SQL' };

/** `camelCaseKey` → `Camel case key` (known acronyms in capitals: `rssBytes` → `RSS bytes`). */
export function labelOf(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(' ')
    .map((w) => ACRONYMS[w] ?? w)
    .join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** First 12 hex digits of a digest, for tables (the full one goes in the title/copy). */
export function shortDigest(sha: string): string {
  return sha.slice(0, 12);
}
