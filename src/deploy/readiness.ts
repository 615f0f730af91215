import { SlipwayError } from '../errors.js';

/** What build-manifest.json says about deploying the package (deployment.readiness and its blockers). */
export interface PackageReadiness {
  ready: boolean;
  blockers: string[];
}

/**
 * Refuses a package its build marked not ready (e.g. its database verification failed) unless `force`; returns the
 * note a forced deploy journals, or null for a ready package.
 */
export function checkReadiness(packagePath: string, r: PackageReadiness, force: boolean): string | null {
  if (r.ready) return null;
  if (!force) {
    throw new SlipwayError(
      'E_NOT_READY',
      `the package is marked not ready to deploy by its build (${r.blockers.length} blocker(s), listed below)`,
      {
        file: packagePath,
        details: r.blockers,
        hint: 'No release was installed and the live release is untouched. Fix the cause and run `slipway build` again, or pass --force to deploy it anyway (the journal records the deploy as forced).',
      },
    );
  }
  return `NOT READY package deployed with --force (${r.blockers.length} blocker(s) in the journal)`;
}
