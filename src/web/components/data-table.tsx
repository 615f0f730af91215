import type { ComponentChildren } from 'preact';

/**
 * One listing table in a scrollable region that keyboard users can reach and screen readers name (the markup the
 * Releases and Database pages share). `columns` are the header cells (false leaves a column out); `children` are the
 * body rows; `after` is shown below the table inside the region (e.g. "nothing matches").
 */
export function DataTable(props: {
  label: string;
  testId: string;
  columns: (string | false)[];
  children: ComponentChildren;
  after?: ComponentChildren;
}) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={props.label}>
      <table class="data" data-testid={props.testId}>
        <thead>
          <tr>
            {props.columns
              .filter((c): c is string => c !== false)
              .map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
      {props.after}
    </div>
  );
}
