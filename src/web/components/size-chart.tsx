import { formatBytes } from '../format.js';
import type { SizeRow } from './size-rows.js';

export type { SizeRow } from './size-rows.js';

const W = 760;
const LABEL_W = 170;
const VALUE_W = 110;
const BAR_H = 16;
const ROW_GAP = 14;
const BAR_W = W - LABEL_W - VALUE_W;

/**
 * Before/after bars per category as SVG (no inline styles: fills come from CSS classes). Every bar carries its
 * number as text, missing figures say "not recorded", and the same figures follow in a table for screen readers.
 */
export function SizeChart(props: { title: string; rows: SizeRow[]; caption?: string }) {
  const max = Math.max(1, ...props.rows.flatMap((r) => [r.before ?? 0, r.after ?? 0]));
  const rowH = BAR_H * 2 + ROW_GAP + 4;
  const h = props.rows.length * rowH + 28;
  const scale = (b: number) => Math.max(b > 0 ? 2 : 0, Math.round((b / max) * BAR_W));
  const bar = (kind: 'before' | 'after', bytes: number | null, y: number) => (
    <g>
      <text x={LABEL_W - 8} y={y + BAR_H - 4} class="chart-kind" text-anchor="end">
        {kind}
      </text>
      {bytes === null ? (
        <text x={LABEL_W} y={y + BAR_H - 4} class="chart-missing">
          not recorded
        </text>
      ) : (
        <>
          <rect x={LABEL_W} y={y} width={scale(bytes)} height={BAR_H} class={`chart-bar chart-${kind}`} />
          <text x={LABEL_W + scale(bytes) + 6} y={y + BAR_H - 4} class="chart-value">
            {formatBytes(bytes)}
          </text>
        </>
      )}
    </g>
  );
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${h}`}
        width="100%"
        role="img"
        aria-label={`${props.title}: bar chart, figures in the table below`}
        class="chart-svg"
      >
        <g class="chart-legend">
          <rect x={LABEL_W} y={4} width={14} height={12} class="chart-bar chart-before" />
          <text x={LABEL_W + 20} y={14}>
            before (project tree)
          </text>
          <rect x={LABEL_W + 200} y={4} width={14} height={12} class="chart-bar chart-after" />
          <text x={LABEL_W + 220} y={14}>
            after (package)
          </text>
        </g>
        {props.rows.map((r, i) => {
          const y = 28 + i * rowH;
          return (
            <g key={r.name}>
              <text x={0} y={y + BAR_H + 4} class="chart-label">
                {r.name}
              </text>
              {bar('before', r.before, y)}
              {bar('after', r.after, y + BAR_H + 2)}
            </g>
          );
        })}
      </svg>
      <table class="chart-table">
        {props.caption && <caption>{props.caption}</caption>}
        <thead>
          <tr>
            <th scope="col">Category</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.name}>
              <th scope="row">{r.name}</th>
              <td>{r.before === null ? 'not recorded' : `${formatBytes(r.before)} (${r.before} B)`}</td>
              <td>{r.after === null ? 'not recorded' : `${formatBytes(r.after)} (${r.after} B)`}</td>
              <td>
                {r.before && r.after !== null ? `${(((r.after - r.before) / r.before) * 100).toFixed(1)} %` : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
