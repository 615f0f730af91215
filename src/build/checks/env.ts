import type { BuildConfig } from '../../config/sections/build.js';
import type { CheckResult } from '../../fileset/types.js';

/** Required environment variables: set and non-empty passes; missing fails (or warns when `required: false`). */
export function checkEnvVars(specs: BuildConfig['checks']['env'], env: Record<string, string | undefined>): CheckResult[] {
  return specs.map((spec) => {
    const name = `env:${spec.name}`;
    const about = spec.description ? ` (${spec.description})` : '';
    const value = env[spec.name];
    // The value is never echoed: environment variables often hold secrets.
    if (value !== undefined && value !== '') return { name, status: 'pass', reason: `${spec.name} is set${about}` };
    const what = value === '' ? 'is set but empty' : 'is not set';
    return {
      name,
      status: spec.required ? 'fail' : 'warn',
      reason: `${spec.name} ${what}${about}; export it before the build`,
    };
  });
}
