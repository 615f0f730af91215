import { useMemo, useState } from 'preact/hooks';
import { api, type ChangeSetState, type ChangeSetsBody } from '../api.js';
import { DataTable } from '../components/data-table.js';
import type { NoticeMessage } from '../components/notice.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatDate } from '../format.js';
import { errorText, useLoad } from '../use-load.js';
import { PackageForm } from './package-form.js';

const STATES: ChangeSetState[] = ['applied', 'pending', 'drift', 'unknown'];
const STATE_LABEL: Record<ChangeSetState, string> = {
  applied: 'applied',
  pending: 'pending',
  drift: 'checksum drift',
  unknown: 'unknown',
};

/** Changesets with applied / pending / drift state, filter + search, and the package generator. */
export function DatabasePage(props: { onMessage: (m: NoticeMessage) => void }) {
  const cs = useLoad<ChangeSetsBody>(api.changeSets);
  const [state, setState] = useState<'all' | ChangeSetState>('all');
  const [search, setSearch] = useState('');
  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (cs.data?.changeSets ?? []).filter(
      (c) =>
        (state === 'all' || c.state === state) &&
        (!needle || [c.id, c.author, c.filename].some((v) => v.toLowerCase().includes(needle))),
    );
  }, [cs.data, state, search]);
  const total = cs.data?.changeSets.length ?? 0;

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Database
      </h1>
      {cs.error && (
        <p class="error-text" role="alert">
          Could not read the changesets: {errorText(cs.error)}
        </p>
      )}
      {cs.data && (
        <p class="summary" data-testid="db-summary">
          {STATES.map((s) => (
            <span key={s} class="summary-item">
              <StatusBadge status={s} label={`${cs.data![s]} ${STATE_LABEL[s]}`} />
            </span>
          ))}
        </p>
      )}
      {/* Above the long table, so the button and its success/error message stay in view together. */}
      <PackageForm
        changeSetIds={(cs.data?.changeSets ?? []).map((c) => c.id)}
        tags={[...new Set((cs.data?.changeSets ?? []).flatMap((c) => (c.tag ? [c.tag] : [])))]}
        onMessage={props.onMessage}
      />
      <h2>Changesets</h2>
      <div class="filters" role="search" aria-label="Filter changesets">
        <label>
          Status
          <select value={state} onChange={(e) => setState(e.currentTarget.value as 'all' | ChangeSetState)}>
            <option value="all">All</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input
            type="search"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
            placeholder="id, author or file"
            autoComplete="off"
          />
        </label>
        <span class="meta" role="status" aria-live="polite" data-testid="db-count">
          {cs.loading && !cs.data ? 'Loading…' : `Showing ${rows.length} of ${total} changesets`}
        </span>
      </div>
      <DataTable
        label="Changesets table"
        testId="changesets"
        columns={['Status', 'ID', 'Author', 'File', 'Executed', 'Order', 'Checksum']}
        after={cs.data && rows.length === 0 && <p class="meta">No changeset matches the filter.</p>}
      >
        {rows.map((c) => (
          <tr key={`${c.filename}::${c.id}::${c.author}`} data-state={c.state}>
            <td>
              <StatusBadge status={c.state} label={STATE_LABEL[c.state]} />
            </td>
            <td class="mono">{c.id}</td>
            <td>{c.author}</td>
            <td class="mono">{c.filename}</td>
            <td>{formatDate(c.dateexecuted)}</td>
            <td>{c.orderexecuted ?? '—'}</td>
            <td class="mono">
              {c.checksum ?? '—'}
              {c.state === 'drift' && c.expectedChecksum && (
                <span class="meta"> (changelog now: {c.expectedChecksum})</span>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
