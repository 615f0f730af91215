import type { ProgressEvent, ProgressListener } from '../progress.js';
import type { CliIO } from './output.js';

export interface ProgressRenderer {
  onProgress: ProgressListener;
  /** Clears the live line (TTY) before other output is written. */
  clear: () => void;
}

const REDRAW_MS = 80;

function describe(e: ProgressEvent): string {
  const count = e.done !== undefined ? (e.total !== undefined ? ` ${e.done}/${e.total}` : ` ${e.done}`) : '';
  return `${e.phase}: ${e.step}${count}`;
}

/**
 * Live progress on stderr: on a TTY one line redrawn in place (at most every 80 ms); otherwise a plain line whenever
 * the phase or step changes (never one per file, so CI logs stay short). Silent when `quiet` (e.g. --json).
 */
export function createProgressRenderer(
  io: CliIO,
  opts: { quiet?: boolean; now?: () => number } = {},
): ProgressRenderer {
  const now = opts.now ?? Date.now;
  let last = 0;
  let lastKey = '';
  let live = false;
  if (opts.quiet) return { onProgress: () => {}, clear: () => {} };
  if (!io.isTTY) {
    return {
      onProgress: (e) => {
        // Counted events (one per file, `done/total`) share one key per phase, so a phase that names each file as
        // its step still prints two lines, its first and its last, not one per file.
        const counted = e.total !== undefined;
        const key = counted ? `${e.phase}:#counted` : `${e.phase}:${e.step}`;
        const final = counted && e.done === e.total;
        if (key === lastKey && !final) return;
        lastKey = key;
        io.stderr(`${describe(e)}\n`);
      },
      clear: () => {},
    };
  }
  return {
    onProgress: (e) => {
      const key = `${e.phase}:${e.step}`;
      const t = now();
      const final = e.total !== undefined && e.done === e.total;
      if (key === lastKey && t - last < REDRAW_MS && !final) return;
      last = t;
      lastKey = key;
      live = true;
      const width = Number(io.env.COLUMNS) || 100;
      io.stderr(`\r\x1b[2K${describe(e).slice(0, width - 1)}`);
    },
    clear: () => {
      if (live) io.stderr('\r\x1b[2K');
      live = false;
    },
  };
}
