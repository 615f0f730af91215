import { setFlagsFromString } from 'node:v8';

/**
 * Compiles WebAssembly with V8's baseline compiler only (no TurboFan tier-up), for processes that start PGlite once
 * and run a few hundred statements: PGlite's 9 MB postgres module is compiled twice otherwise, and the optimising
 * pass costs more than it saves. Measured on the 456-file bench tree's 50 changesets (`slipway db verify`, Node 20,
 * 2 cores at load ~25): CPU 5.4–5.7 s → 2.8–2.9 s, peak RSS 366–421 MB → 298–306 MB. Process-wide, so only the
 * build's verification child (verify-main.ts) calls it, before PGlite is loaded; `db verify` runs in the CLI's own
 * process (and in tests' workers) and does not. An unknown flag (a future V8) only prints a warning.
 */
export function preferBaselineWasm(): void {
  setFlagsFromString('--liftoff-only');
}
