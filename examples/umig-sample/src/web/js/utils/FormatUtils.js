/**
 * FormatUtils — turning raw API values into the text the UI shows.
 *
 * All functions are pure and locale-aware through Intl, with the locale passed in (default: the browser's), so
 * unit tests pin a locale and get exact strings.
 */

const DEFAULT_LOCALE = typeof navigator !== 'undefined' && navigator.language ? navigator.language : 'en-GB';

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 -> "1.5 KB" (binary multiples, as operators read `du -h`). */
export function formatBytes(bytes, { decimals = 1 } = {}) {
  if (bytes === null || bytes === undefined || Number.isNaN(Number(bytes))) return '—';
  let value = Number(bytes);
  if (value < 0) return `-${formatBytes(-value, { decimals })}`;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(decimals)} ${BYTE_UNITS[unit]}`;
}

/** 5400 -> "1h 30m"; 45 -> "45s"; minutes are the unit steps use, so there is a minutes variant too. */
export function formatDuration(totalSeconds) {
  if (totalSeconds === null || totalSeconds === undefined || Number.isNaN(Number(totalSeconds))) return '—';
  const s = Math.max(0, Math.round(Number(totalSeconds)));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const parts = [];
  if (days) parts.push(`${days}d`);
  if (hours) parts.push(`${hours}h`);
  if (minutes) parts.push(`${minutes}m`);
  if (seconds && !days && !hours) parts.push(`${seconds}s`);
  return parts.length ? parts.join(' ') : '0s';
}

/** Step durations are stored in minutes. */
export function formatMinutes(minutes) {
  return formatDuration(Number(minutes) * 60);
}

/** 0.9876 -> "98.8%"; null stays a dash because a missing figure must not look like zero. */
export function formatPercent(ratio, { decimals = 1 } = {}) {
  if (ratio === null || ratio === undefined || Number.isNaN(Number(ratio))) return '—';
  return `${(Number(ratio) * 100).toFixed(decimals)}%`;
}

/** Formats a date (ISO string, Date or epoch ms) as a short local date. */
export function formatDate(value, { locale = DEFAULT_LOCALE, timeZone } = {}) {
  const date = toDate(value);
  if (!date) return '—';
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: '2-digit', timeZone }).format(date);
}

/** Formats a timestamp with minutes, the precision cutover runsheets need. */
export function formatDateTime(value, { locale = DEFAULT_LOCALE, timeZone } = {}) {
  const date = toDate(value);
  if (!date) return '—';
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
  }).format(date);
}

/** "3 hours ago", "in 2 days" relative to `now`. */
export function formatRelative(value, { now = Date.now(), locale = DEFAULT_LOCALE } = {}) {
  const date = toDate(value);
  if (!date) return '—';
  const diffSeconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(diffSeconds);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (abs < 60) return rtf.format(diffSeconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(diffSeconds / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(diffSeconds / 3600), 'hour');
  if (abs < 30 * 86_400) return rtf.format(Math.round(diffSeconds / 86_400), 'day');
  if (abs < 365 * 86_400) return rtf.format(Math.round(diffSeconds / (30 * 86_400)), 'month');
  return rtf.format(Math.round(diffSeconds / (365 * 86_400)), 'year');
}

/** Parses ISO strings, Dates and epoch numbers; returns null for anything unusable. */
export function toDate(value) {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "IN_PROGRESS" -> "In progress". */
export function formatStatusLabel(status) {
  if (!status) return '—';
  const words = String(status).toLowerCase().split(/[_\s]+/).filter(Boolean);
  if (!words.length) return '—';
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return words.join(' ');
}

/** "Ada", "Admin", "ADM" -> "Ada Admin (ADM)". */
export function formatUserName(user) {
  if (!user) return '—';
  const name = [user.usr_first_name, user.usr_last_name].filter(Boolean).join(' ');
  if (name && user.usr_code) return `${name} (${user.usr_code})`;
  return name || user.usr_code || '—';
}

/** Thousands separators for counts. */
export function formatNumber(value, { locale = DEFAULT_LOCALE, maximumFractionDigits = 0 } = {}) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  return new Intl.NumberFormat(locale, { maximumFractionDigits }).format(Number(value));
}

/** Shortens long text for table cells, keeping whole words where possible. */
export function truncate(text, max = 80) {
  if (text === null || text === undefined) return '';
  const s = String(text);
  if (s.length <= max) return s;
  const cut = s.slice(0, max - 1);
  // The cut already ends on a word boundary when the next character is a space.
  if (s[max - 1] === ' ') return `${cut.trimEnd()}…`;
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

/** Step numbers are shown as "STEP-030" in runsheets. */
export function formatStepCode(stepNumber, prefix = 'STEP') {
  if (!Number.isInteger(Number(stepNumber))) return '—';
  return `${prefix}-${String(stepNumber).padStart(3, '0')}`;
}

/** Pluralises a simple English noun with its count: (1, "step") -> "1 step". */
export function pluralize(count, singular, plural = `${singular}s`) {
  return `${formatNumber(count, { locale: 'en-GB' })} ${count === 1 ? singular : plural}`;
}
