/**
 * ExportComponent — CSV and JSON export of table rows.
 *
 * NOTE: not wired into main.js (the export button was removed from 1.2 after the security review asked for a
 * server-side, audited export). Kept for the 1.3 work; tree shaking keeps it out of the bundle meanwhile.
 */

/** Quotes a CSV field per RFC 4180 and defuses spreadsheet formula injection (=, +, -, @ at the start). */
export function csvField(value) {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Builds CSV text from rows and column specs ({ key, label }); CRLF line ends as Excel expects. */
export function toCsv(rows, columns) {
  const header = columns.map((c) => csvField(c.label ?? c.key)).join(',');
  const lines = rows.map((row) => columns.map((c) => csvField(typeof c.value === 'function' ? c.value(row) : row[c.key])).join(','));
  return [header, ...lines].join('\r\n') + '\r\n';
}

export class ExportComponent {
  constructor({ filenamePrefix = 'umig-export', now = () => new Date() } = {}) {
    this.filenamePrefix = filenamePrefix;
    this.now = now;
  }

  filename(ext) {
    const stamp = this.now().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return `${this.filenamePrefix}-${stamp}.${ext}`;
  }

  exportCsv(rows, columns) {
    // A UTF-8 BOM makes Excel detect the encoding (names with umlauts otherwise break).
    return this.#download('\uFEFF' + toCsv(rows, columns), this.filename('csv'), 'text/csv');
  }

  exportJson(rows) {
    return this.#download(JSON.stringify(rows, null, 2), this.filename('json'), 'application/json');
  }

  #download(content, filename, type) {
    const url = URL.createObjectURL(new Blob([content], { type: `${type};charset=utf-8` }));
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
    return filename;
  }
}

export default ExportComponent;
