import { useEffect, useState } from 'preact/hooks';
import { api, type ReportBody } from '../api.js';
import { SizeChart } from '../components/size-chart.js';
import { sizeRows, type ManifestView } from '../components/size-rows.js';
import { Tabs } from '../components/tabs.js';
import { formatBytes } from '../format.js';
import { errorText, useLoad } from '../use-load.js';

const FORMATS = [
  { id: 'json', label: 'JSON' },
  { id: 'yaml', label: 'YAML' },
  { id: 'summary', label: 'Summary' },
  { id: 'deployment-report', label: 'Deployment report' },
];

// Module-level so useLoad gets the same function on every render (a new one would reload in a loop).
const loadJson = () => api.manifestText('json');
const loadReport = () => api.report();

const manifest0 = (text: string | null) => (text ? (JSON.parse(text) as ManifestView) : null);

/** The live release's manifest in the four export formats, with the size breakdown (its "before" from the report). */
export function ManifestPage() {
  const json = useLoad<string>(loadJson);
  // The project tree is described beside the package, not in it: a host with only the release has no report.
  const report = useLoad<ReportBody>(loadReport);
  const tree = report.data?.sizes.before ?? null;
  const reduction = report.data
    ? report.data.sizes.reduction
    : (manifest0(json.data)?.deployment.sizeReduction ?? null);
  const [format, setFormat] = useState('json');
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [tabError, setTabError] = useState<string | null>(null);
  useEffect(() => {
    if (format === 'json' || texts[format] !== undefined) return;
    setTabError(null);
    api.manifestText(format).then(
      (t) => setTexts((prev) => ({ ...prev, [format]: t })),
      (e: unknown) => setTabError(errorText(e)),
    );
  }, [format, texts]);
  let manifest: ManifestView | null = null;
  let pretty = '';
  if (json.data) {
    manifest = JSON.parse(json.data) as ManifestView;
    pretty = JSON.stringify(manifest, null, 2);
  }
  const shown = format === 'json' ? pretty : texts[format];
  const d = manifest?.deployment;

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Build manifest
      </h1>
      {json.error && (
        <p class="error-text" role="alert">
          Could not read the manifest: {errorText(json.error)}
        </p>
      )}
      {manifest && d && (
        <>
          <p class="lead" data-testid="manifest-summary">
            <strong>
              {manifest.name} {manifest.version}
            </strong>{' '}
            — build <span class="mono">{manifest.buildId}</span> at {manifest.buildTimestamp}; package {d.packageName}
            {d.packageSize ? `, ${d.packageSize.human}` : ''}
            {reduction !== null ? `; ${(reduction * 100).toFixed(1)} % smaller than the project tree` : ''}
            {d.compressionRatio !== null ? `; compression ratio ${d.compressionRatio}` : ''}.
          </p>
          <SizeChart
            title="Size breakdown: before and after the build"
            rows={sizeRows(manifest, tree)}
            caption={`Project tree ${formatBytes(tree ? tree.totalBytes : d.sourceBytes)} before, package content ${formatBytes(d.contentBytes)} after.`}
          />
          {report.error && !tree && d.sourceBytes === null && (
            <p class="hint" data-testid="report-missing">
              Sizes before the build are not shown: {errorText(report.error)}.
            </p>
          )}
        </>
      )}
      <h2>Export formats</h2>
      <Tabs label="Manifest export format" idPrefix="manifest" tabs={FORMATS} selected={format} onSelect={setFormat}>
        {tabError && format !== 'json' && texts[format] === undefined ? (
          <p class="error-text" role="alert">
            {tabError}
          </p>
        ) : (
          <pre class="code" data-testid="manifest-text">
            {shown ?? 'Loading…'}
          </pre>
        )}
      </Tabs>
    </section>
  );
}
