// Child-process entry of the database verification (see verify-run.ts): PGlite's WebAssembly heap lives and dies
// with this process, so it never stays in the build process, and the process's peak RSS is the measured cost.
import type { Config } from '../config/schema.js';
import type { VerifiablePackage } from '../db/verify.js';
import { isSlipwayError } from '../errors.js';
import { verifyDb } from './package-db.js';

process.once('message', (m: { config: Config; pkg: VerifiablePackage }) => {
  void verifyDb(m.config, m.pkg).then(
    (result) => finish({ result, maxRssKb: process.resourceUsage().maxRSS }),
    (e: unknown) =>
      finish({
        error: isSlipwayError(e)
          ? {
              code: e.code,
              message: e.message,
              hint: e.hint,
              details: e.details,
              file: e.file,
              line: e.line,
              column: e.column,
            }
          : { code: null, message: e instanceof Error ? (e.stack ?? e.message) : String(e) },
      }),
  );
});

function finish(msg: unknown): void {
  process.send!(msg, () => process.disconnect());
}
