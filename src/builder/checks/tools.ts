import which from 'which';
import type { CheckResult } from '../../fileset/types.js';

/** Each tool must be an executable on PATH (looked up directly, no shell). */
export async function checkTools(tools: string[], pathEnv: string | undefined): Promise<CheckResult[]> {
  return Promise.all(
    tools.map(async (tool): Promise<CheckResult> => {
      const found = await which(tool, { nothrow: true, path: pathEnv ?? '' });
      return found
        ? { name: `tool:${tool}`, status: 'pass', reason: `${tool} found at ${found}` }
        : {
            name: `tool:${tool}`,
            status: 'fail',
            reason: `${tool} not found on PATH; install it or remove it from build.checks.tools`,
          };
    }),
  );
}
