import { useState } from 'preact/hooks';
import { fetchPackage, type PackageQuery } from '../api.js';
import type { NoticeMessage } from '../components/notice.js';
import { errorText } from '../use-load.js';

type Scope = 'all' | 'since' | 'sinceTag';

/** Saves text as a file through a temporary object URL (no inline script, no navigation). */
function downloadText(text: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke later: Chromium reads the blob asynchronously after the click.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * "Generate package": the self-contained SQL (whole, since a changeset or tag, for chosen contexts), with the seed's
 * DatabaseVersionManager messages: showSuccess("Self-contained SQL package generated successfully") and
 * handleError("Package generation failed", error).
 */
export function PackageForm(props: { changeSetIds: string[]; tags: string[]; onMessage: (m: NoticeMessage) => void }) {
  const [scope, setScope] = useState<Scope>('all');
  const [since, setSince] = useState('');
  const [sinceTag, setSinceTag] = useState('');
  const [contexts, setContexts] = useState('');
  const [filename, setFilename] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const q: PackageQuery = {};
    if (filename.trim()) q.filename = filename.trim();
    if (scope === 'since' && since) q.since = since;
    if (scope === 'sinceTag' && sinceTag.trim()) q.sinceTag = sinceTag.trim();
    const ctx = contexts
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    if (ctx.length) q.contexts = ctx;
    setBusy(true);
    try {
      const pkg = await fetchPackage(q);
      downloadText(pkg.sql, pkg.filename);
      props.onMessage({
        kind: 'success',
        text: 'Self-contained SQL package generated successfully',
        detail: `${pkg.filename}${pkg.changeSets !== null ? ` — ${pkg.changeSets} changeset(s)` : ''}, ${new Blob([pkg.sql]).size} bytes`,
      });
    } catch (err) {
      props.onMessage({ kind: 'error', text: 'Package generation failed', detail: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="package-form" onSubmit={submit} aria-labelledby="package-title">
      <h2 id="package-title">Generate package</h2>
      <fieldset>
        <legend>Changesets to include</legend>
        <label class="inline">
          <input type="radio" name="scope" value="all" checked={scope === 'all'} onChange={() => setScope('all')} />{' '}
          Whole changelog
        </label>
        <label class="inline">
          <input
            type="radio"
            name="scope"
            value="since"
            checked={scope === 'since'}
            onChange={() => setScope('since')}
          />{' '}
          Since a changeset
        </label>
        <label class="inline">
          <input
            type="radio"
            name="scope"
            value="sinceTag"
            checked={scope === 'sinceTag'}
            onChange={() => setScope('sinceTag')}
          />{' '}
          Since a tag
        </label>
      </fieldset>
      {scope === 'since' && (
        <label>
          Changeset (the package starts after it)
          <select value={since} onChange={(e) => setSince(e.currentTarget.value)} required>
            <option value="">Choose a changeset…</option>
            {props.changeSetIds.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
      )}
      {scope === 'sinceTag' && (
        <label>
          Tag
          <input
            type="text"
            list="known-tags"
            value={sinceTag}
            onInput={(e) => setSinceTag(e.currentTarget.value)}
            required
            maxLength={200}
            autoComplete="off"
          />
          {/* Suggestions once the changesets API reports tags (see ChangeSetRow.tag); free text works either way. */}
          <datalist id="known-tags">
            {props.tags.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
      )}
      <label>
        Contexts <span class="hint">(comma-separated, empty = the server's default)</span>
        <input
          type="text"
          value={contexts}
          onInput={(e) => setContexts(e.currentTarget.value)}
          placeholder="prod,uat"
          maxLength={500}
          autoComplete="off"
        />
      </label>
      <label>
        File name <span class="hint">(optional; . / \ : become _)</span>
        <input
          type="text"
          value={filename}
          onInput={(e) => setFilename(e.currentTarget.value)}
          placeholder="umig-database-package"
          maxLength={100}
          autoComplete="off"
        />
      </label>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Generating…' : 'Generate package'}
      </button>
    </form>
  );
}
