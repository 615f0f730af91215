import type { ComponentChildren } from 'preact';

// Status is shown with a colour AND an icon AND a word, so it never depends on colour alone (WCAG 1.4.1).
const LOOK: Record<string, { icon: string; cls: string }> = {
  HEALTHY: { icon: '✔', cls: 'ok' },
  applied: { icon: '✔', cls: 'ok' },
  success: { icon: '✔', cls: 'ok' },
  live: { icon: '●', cls: 'ok' },
  DEGRADED: { icon: '▲', cls: 'warn' },
  pending: { icon: '◷', cls: 'info' },
  'in-progress': { icon: '◷', cls: 'info' },
  'rolled-back': { icon: '↺', cls: 'muted' },
  UNHEALTHY: { icon: '✖', cls: 'bad' },
  UNREACHABLE: { icon: '✖', cls: 'bad' },
  drift: { icon: '✖', cls: 'bad' },
  failed: { icon: '✖', cls: 'bad' },
};

/** A status pill: icon (hidden from screen readers) + text. */
export function StatusBadge(props: { status: string; label?: ComponentChildren }) {
  const look = LOOK[props.status] ?? { icon: '?', cls: 'muted' };
  return (
    <span class={`badge badge-${look.cls}`}>
      <span class="badge-icon" aria-hidden="true">
        {look.icon}
      </span>
      {props.label ?? props.status}
    </span>
  );
}
