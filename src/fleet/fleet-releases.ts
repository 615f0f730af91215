/** `slipway releases|history --target <fleet>`: the fleet's releases (controller journal) and each host's state. */
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { readJournal } from '../deploy/journal.js';
import { layoutOf } from '../deploy/layout.js';
import { listReleases } from '../deploy/release-store.js';
import { renderTable } from '../deploy/render.js';
import { deriveReleases, pickRollbackTarget, type ReleaseRecord } from '../deploy/release-store.js';
import type { FleetHostRecord } from '../deploy/release-record.js';
import type { JournalEntry } from '../deploy/types.js';
import { eachHost } from './fleet-connect.js';
import { resolveFleet } from './fleet-target.js';

/** A host's record plus what the CLI's listings also need (null when the host could not be read). */
export interface FleetHostState extends FleetHostRecord {
  releases: ReleaseRecord[] | null;
  journal: JournalEntry[] | null;
}

export interface FleetReleases {
  target: string;
  /** The fleet's releases from the controller's journal; `current` = the release the whole fleet last reached. */
  releases: ReleaseRecord[];
  hosts: FleetHostState[];
}

/** Reads the fleet journal on the controller and every host's current, releases and journal over ssh (read-only). */
export async function readFleetState(
  config: Config,
  target: string,
): Promise<FleetReleases & { history: JournalEntry[] }> {
  const fleet = resolveFleet(config, target);
  const releases = await listReleases(fleet.controllerRoot);
  const history = (await readJournal(layoutOf(fleet.controllerRoot).journal)).entries;
  const logDir = path.join(fleet.controllerRoot, '.slipway', 'logs', 'read');
  const hosts = await eachHost(fleet, logDir, async ({ host: h, target: tgt }) => {
    const [current, dirs, journal, lock] = [
      await tgt.readCurrent(),
      await tgt.listReleaseDirs(),
      await tgt.readJournal(),
      await tgt.readLock(),
    ];
    const releases = deriveReleases(journal, current, new Set(dirs));
    return {
      host: h.label,
      root: h.root,
      labels: h.spec.labels,
      reachable: true,
      current,
      previous: pickRollbackTarget(releases, current)?.id ?? null,
      lock: lock.held ? { owner: lock.owner } : null,
      releases,
      journal,
      error: null,
    };
  });
  return {
    target,
    releases,
    history,
    hosts: hosts.map((r, i) =>
      r.status === 'fulfilled'
        ? r.value
        : {
            host: fleet.hosts[i]!.label,
            root: fleet.hosts[i]!.root,
            labels: fleet.hosts[i]!.spec.labels,
            reachable: false,
            current: null,
            previous: null,
            lock: null,
            releases: null,
            journal: null,
            error: r.reason instanceof Error ? r.reason.message : String(r.reason),
          },
    ),
  };
}

/** The per-host part of `slipway releases --target <fleet>` (pure). */
export function renderFleetHosts(s: FleetReleases): string {
  const rows = [
    ['HOST', 'CURRENT', 'PREVIOUS', 'INSTALLED', 'LOCK', 'LAST RUN'],
    ...s.hosts.map((h) => {
      const last = h.journal?.filter((e) => e.step === 'run' && e.status !== 'begin').at(-1);
      return [
        h.host,
        h.error ? `unreachable: ${h.error}` : (h.current ?? '(none)'),
        h.previous ?? '-',
        h.releases ? String(h.releases.filter((r) => r.present).length) : '?',
        lockText(h.lock),
        last ? `${last.kind} ${last.release ?? ''} ${last.status}` : '-',
      ];
    }),
  ];
  return renderTable(rows);
}

/** A host lock for a table cell: `-` when free, else its holder. */
export function lockText(lock: FleetHostState['lock']): string {
  if (!lock) return '-';
  const o = lock.owner;
  return o ? `pid ${o.pid} on ${o.host} (${o.command}, since ${o.startedAt})` : 'held (owner unreadable)';
}
