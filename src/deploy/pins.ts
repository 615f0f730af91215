import { SlipwayError } from '../errors.js';
import { appendJournal } from './journal.js';
import { layoutOf } from './layout.js';
import { listReleases } from './release-store.js';

/** Pins (or unpins) a release so retention never deletes it; recorded in the journal. */
export async function pinRelease(targetRoot: string, id: string, pinned: boolean, actor: string): Promise<void> {
  const r = (await listReleases(targetRoot)).find((x) => x.id === id);
  if (!r)
    throw new SlipwayError('E_NOT_FOUND', `release ${id} is not in the journal of ${targetRoot}`, {
      hint: 'List them with `slipway releases`.',
    });
  await appendJournal(layoutOf(targetRoot).journal, {
    run: `pin-${Date.now()}`,
    kind: 'admin',
    step: 'pin',
    status: 'ok',
    release: id,
    data: { pinned, actor },
  });
}
