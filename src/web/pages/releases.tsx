import { useState } from 'preact/hooks';
import { api, type FleetHostRow, type Permissions, type ReleaseRow, type ReleasesBody } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { DataTable } from '../components/data-table.js';
import type { NoticeMessage } from '../components/notice.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatDate, shortDigest } from '../format.js';
import { errorText, useLoad } from '../use-load.js';

/** DEPLOY's rule (chooseRollbackTarget): still on disk, not live, and it once completed a deploy. The server decides. */
const canRollBackTo = (r: ReleaseRow) => !r.current && r.present !== false && (r.completed ?? r.result === 'success');

/** Release history from the target's journal; deployers can roll back to a chosen release after confirming. */
export function ReleasesPage(props: { permissions: Permissions; onMessage: (m: NoticeMessage) => void }) {
  const rel = useLoad<ReleasesBody>(api.releases);
  const [chosen, setChosen] = useState<ReleaseRow | null>(null);
  const [busy, setBusy] = useState(false);
  const live = rel.data?.releases.find((r) => r.current);
  // A fleet rolls back as one (every host, then the database), as `slipway rollback --target` does.
  const fleet = rel.data?.type === 'ssh';
  const canDeploy = props.permissions.deploy;

  const confirm = async () => {
    if (!chosen) return;
    setBusy(true);
    try {
      await api.rollback(chosen.id, false);
      props.onMessage({
        kind: 'success',
        text: `Rolled back to ${chosen.version}`,
        detail: `Release ${chosen.id} is live on ${fleet ? 'every host of ' : ''}${rel.data?.target ?? 'the target'}.`,
      });
      await rel.reload();
    } catch (e) {
      props.onMessage({ kind: 'error', text: 'Rollback failed', detail: errorText(e) });
    } finally {
      setBusy(false);
      setChosen(null);
    }
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Releases
      </h1>
      {rel.error && (
        <p class="error-text" role="alert">
          Could not read the releases: {errorText(rel.error)}
        </p>
      )}
      {rel.data && (
        <p class="lead" data-testid="live-release">
          Target <strong>{rel.data.target}</strong>:{' '}
          {live ? (
            <>
              live release <strong>{live.version}</strong> (<span class="mono">{live.id}</span>)
            </>
          ) : (
            'no live release'
          )}
        </p>
      )}
      {rel.data?.hosts && <FleetHosts hosts={rel.data.hosts} target={rel.data.target} />}
      <DataTable
        label="Release history"
        testId="releases"
        columns={[
          'State',
          'Version',
          'Release',
          'Digest (SHA-256)',
          'Deployed by',
          'Deployed at',
          'Result',
          canDeploy && 'Action',
        ]}
      >
        {(rel.data?.releases ?? []).map((r) => (
          <tr key={r.id} class={r.current ? 'row-live' : ''} data-release={r.id} data-current={String(r.current)}>
            <td>
              {r.current ? (
                <StatusBadge status="live" label="live" />
              ) : (
                <span class="meta">{r.pinned ? 'pinned' : 'previous'}</span>
              )}
            </td>
            <td>{r.version}</td>
            <td class="mono">{r.id}</td>
            <td class="mono" title={r.sha256}>
              {shortDigest(r.sha256)}…
            </td>
            <td>{r.deployedBy}</td>
            <td>{formatDate(r.deployedAt)}</td>
            <td>
              <StatusBadge status={r.result} />
              {r.reason && <div class="meta cell-note">{r.reason}</div>}
            </td>
            {canDeploy && (
              <td>
                {canRollBackTo(r) && (
                  <button type="button" class="danger" onClick={() => setChosen(r)}>
                    Roll back to {r.version}
                    {/* The id tells apart two releases of one version; visible text stays the start of the name. */}
                    <span class="sr-only"> ({r.id})</span>
                  </button>
                )}
              </td>
            )}
          </tr>
        ))}
      </DataTable>
      {canDeploy && (
        <ConfirmDialog
          open={chosen !== null}
          title="Roll back the live release?"
          confirmLabel={chosen ? `Roll back to ${chosen.version}` : 'Roll back'}
          danger
          busy={busy}
          onConfirm={() => void confirm()}
          onCancel={() => setChosen(null)}
        >
          {chosen && (
            <p>
              Release <strong>{chosen.version}</strong> (<span class="mono">{chosen.id}</span>, digest{' '}
              <span class="mono">{shortDigest(chosen.sha256)}…</span>) becomes live on{' '}
              <strong>{rel.data?.target}</strong>
              {live ? (
                <>
                  , replacing <strong>{live.version}</strong>
                </>
              ) : null}
              . The target's restart command, health gate and smoke tests run as in a deploy (where configured).
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

const holderText = (lock: FleetHostRow['lock']) =>
  !lock
    ? 'free'
    : lock.owner
      ? `pid ${lock.owner.pid} on ${lock.owner.host} (${lock.owner.command}, since ${formatDate(lock.owner.startedAt)})`
      : 'held (owner unreadable)';

/** Each host of an ssh target: what it runs, what a rollback returns it to, who holds its lock, whether it answered. */
function FleetHosts(props: { hosts: FleetHostRow[]; target: string }) {
  return (
    <>
      <h2>Hosts</h2>
      <p class="meta">
        A rollback returns every host to the chosen release, then the database, as{' '}
        <code>slipway rollback --target {props.target}</code> does.
      </p>
      <DataTable
        label="Hosts of the fleet"
        testId="fleet-hosts"
        columns={['Host', 'Reachable', 'Current release', 'Previous', 'Lock holder']}
      >
        {props.hosts.map((h) => (
          <tr key={h.host} data-host={h.host} data-reachable={String(h.reachable)}>
            <td class="mono">{h.host}</td>
            <td>
              {h.reachable ? 'yes' : 'no'}
              {h.error && <div class="meta cell-note">{h.error}</div>}
            </td>
            <td class="mono">{h.current ?? (h.reachable ? 'none' : '?')}</td>
            <td class="mono">{h.previous ?? '-'}</td>
            <td>{holderText(h.lock)}</td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}
