import type { BuildConfig } from '../../config/sections/build.js';
import type { CheckResult } from '../../fileset/types.js';

/**
 * Environment variables: set and non-empty passes; a missing required one fails. A missing optional one is a skip,
 * not a warning: it is allowed to be absent, and `--strict` must not fail a build over it.
 */
export function checkEnvVars(
  specs: BuildConfig['checks']['env'],
  env: Record<string, string | undefined>,
): CheckResult[] {
  return specs.map((spec) => {
    const name = `env:${spec.name}`;
    const about = spec.description ? ` (${spec.description})` : '';
    const value = env[spec.name];
    // The value is never echoed: environment variables often hold secrets.
    if (value !== undefined && value !== '') return { name, status: 'pass', reason: `${spec.name} is set${about}` };
    const what = value === '' ? 'is set but empty' : 'is not set';
    if (!spec.required) return { name, status: 'skip', reason: `${spec.name} ${what} (optional)${about}` };
    return { name, status: 'fail', reason: `${spec.name} ${what}${about}; export it before the build` };
  });
}
