/** `slipway releases|history --target <fleet>`: the fleet's releases (controller journal) and each host's state. */
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { readJournal } from '../deploy/journal.js';
import { layoutOf } from '../deploy/layout.js';
import { listReleases } from '../deploy/release-store.js';
import { renderTable } from '../deploy/render.js';
import { deriveReleases, type ReleaseRecord } from '../deploy/release-store.js';
import type { JournalEntry } from '../deploy/types.js';
import { mapLimit } from './fleet-connect.js';
import { resolveFleet } from './fleet-target.js';
import { makeControlDir, removeControlDir, SshSession } from './ssh.js';
import { SshTarget } from './ssh-target.js';

export interface FleetHostState {
  host: string;
  root: string;
  labels: string[];
  /** null when the host could not be read (`error` says why). */
  current: string | null;
  releases: ReleaseRecord[] | null;
  journal: JournalEntry[] | null;
  error: string | null;
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
  const controlDir = await makeControlDir();
  const logDir = path.join(fleet.controllerRoot, '.slipway', 'logs', 'read');
  try {
    const hosts = await mapLimit(fleet.hosts, fleet.t.parallel, async (h) => {
      const safe = h.label.replace(/[^A-Za-z0-9._@-]+/g, '_');
      const session = new SshSession(h.spec, fleet.ssh, controlDir, path.join(logDir, `${safe}.log`));
      const tgt = new SshTarget(session, h.root, fleet.t.connectTimeoutMs + 60_000);
      try {
        const [current, dirs, journal] = [
          await tgt.readCurrent(),
          await tgt.listReleaseDirs(),
          await tgt.readJournal(),
        ];
        return {
          host: h.label,
          root: h.root,
          labels: h.spec.labels,
          current,
          releases: deriveReleases(journal, current, new Set(dirs)),
          journal,
          error: null,
        };
      } finally {
        await session.close();
      }
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
              current: null,
              releases: null,
              journal: null,
              error: r.reason instanceof Error ? r.reason.message : String(r.reason),
            },
      ),
    };
  } finally {
    await removeControlDir(controlDir);
  }
}

/** The per-host part of `slipway releases --target <fleet>` (pure). */
export function renderFleetHosts(s: FleetReleases): string {
  const rows = [
    ['HOST', 'CURRENT', 'INSTALLED', 'LAST RUN'],
    ...s.hosts.map((h) => {
      const last = h.journal?.filter((e) => e.step === 'run' && e.status !== 'begin').at(-1);
      return [
        h.host,
        h.error ? `unreachable: ${h.error}` : (h.current ?? '(none)'),
        h.releases ? String(h.releases.filter((r) => r.present).length) : '?',
        last ? `${last.kind} ${last.release ?? ''} ${last.status}` : '-',
      ];
    }),
  ];
  return renderTable(rows);
}
