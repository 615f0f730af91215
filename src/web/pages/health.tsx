import { api, type HealthBody } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatDate, formatValue, labelOf } from '../format.js';
import { errorText, useLoad } from '../use-load.js';

export const HEALTH_POLL_MS = 5000;

function ValueTable(props: { values: Record<string, unknown>; caption: string }) {
  // A null reason means "nothing to explain": leave the row out rather than print n/a.
  const entries = Object.entries(props.values).filter(
    ([k, v]) => k !== 'status' && !(k === 'reason' && (v === null || v === '')),
  );
  return (
    <table class="kv">
      <caption class="sr-only">{props.caption}</caption>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{labelOf(k)}</th>
            <td>
              {v !== null && typeof v === 'object' && !Array.isArray(v) ? (
                <ValueList values={v as Record<string, unknown>} />
              ) : (
                formatValue(k, v)
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ValueList(props: { values: Record<string, unknown> }) {
  return (
    <ul class="plain">
      {Object.entries(props.values).map(([k, v]) => (
        <li key={k}>
          {labelOf(k)}: {formatValue(k, v)}
        </li>
      ))}
    </ul>
  );
}

/** Overall status and each component with its measured values, polled every HEALTH_POLL_MS. */
export function HealthPage() {
  const h = useLoad<HealthBody>(api.health, HEALTH_POLL_MS);
  const body = h.data;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Health
      </h1>
      <p class="meta" aria-live="off">
        Refreshes every {HEALTH_POLL_MS / 1000} s.{' '}
        {h.loadedAt ? `Last checked ${formatDate(h.loadedAt.toISOString())}.` : 'Checking…'}{' '}
        <button type="button" onClick={() => void h.reload()} disabled={h.loading}>
          Refresh now
        </button>
      </p>
      {h.error && (
        <p class="error-text" role="alert">
          Health check failed: {errorText(h.error)}
        </p>
      )}
      {body && (
        <>
          <div class={`overall overall-${body.overall.status}`} data-testid="overall">
            <span>Overall status</span> <StatusBadge status={body.overall.status} />
            <span class="meta">
              version {body.overall.version ?? 'n/a'} · up {formatValue('uptime', body.overall.uptime)} · measured{' '}
              {formatDate(body.overall.checkedAt ?? body.overall.timestamp)}
            </span>
          </div>
          <div class="cards">
            {Object.entries(body.components).map(([name, c]) => (
              <article class="card" key={name} aria-labelledby={`component-${name}`} data-testid={`component-${name}`}>
                <h2 id={`component-${name}`}>
                  {labelOf(name)} <StatusBadge status={String(c.status)} />
                </h2>
                <ValueTable values={c} caption={`${name} measurements`} />
              </article>
            ))}
            {body.metrics && (
              <article class="card" aria-labelledby="component-metrics">
                <h2 id="component-metrics">Metrics</h2>
                <ValueTable values={body.metrics} caption="server metrics" />
              </article>
            )}
          </div>
        </>
      )}
    </section>
  );
}
