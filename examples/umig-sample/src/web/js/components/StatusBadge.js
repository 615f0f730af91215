/**
 * StatusBadge — coloured lozenge for entity statuses (PLANNING, IN_PROGRESS, COMPLETED…).
 *
 * Colours come from status_sts.sts_color; the text colour is chosen for contrast (WCAG relative luminance) so a
 * white "TODO" badge stays readable.
 */

import { formatStatusLabel } from '../utils/FormatUtils.js';

const FALLBACK_COLORS = {
  PLANNING: '#FFA500',
  PENDING: '#DFE1E6',
  TODO: '#FFFFFF',
  IN_PROGRESS: '#0052CC',
  COMPLETED: '#00875A',
  FAILED: '#DE350B',
  BLOCKED: '#FF5630',
  CANCELLED: '#6B778C',
  HEALTHY: '#00875A',
  DEGRADED: '#FF991F',
  UNHEALTHY: '#DE350B',
  UNKNOWN: '#6B778C',
};

/** Relative luminance of a #RRGGBB colour (WCAG 2.1). */
export function relativeLuminance(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex ?? '');
  if (!m) return 0;
  const [r, g, b] = m.slice(1).map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Picks black or white text, whichever has the higher contrast ratio on `background`. */
export function textColorFor(background) {
  const l = relativeLuminance(background);
  const contrastWhite = 1.05 / (l + 0.05);
  const contrastBlack = (l + 0.05) / 0.05;
  return contrastBlack >= contrastWhite ? '#172B4D' : '#FFFFFF';
}

/** Builds the badge element. */
export function createStatusBadge(status, color) {
  const name = String(status ?? 'UNKNOWN').toUpperCase();
  const background = color ?? FALLBACK_COLORS[name] ?? FALLBACK_COLORS.UNKNOWN;
  const badge = document.createElement('span');
  badge.className = `umig-badge umig-badge--${name.toLowerCase().replace(/_/g, '-')}`;
  badge.style.backgroundColor = background;
  badge.style.color = textColorFor(background);
  if (background.toUpperCase() === '#FFFFFF') badge.classList.add('umig-badge--outlined');
  badge.textContent = formatStatusLabel(name);
  badge.title = name;
  return badge;
}

export default createStatusBadge;
