import { type HealthStatus, worseStatus } from './status.js';

export {
  type HealthStatus,
  type IetfStatus,
  type HttpCodeOptions,
  worseStatus,
  toIetfStatus,
  fromIetfStatus,
  parseHealthStatus,
  httpCodeForStatus,
  statusForHttpCode,
} from './status.js';

/** Overall status of a set of components: the worst one wins; no components at all is HEALTHY. */
export function aggregateHealth(components: Record<string, { status: HealthStatus }>): HealthStatus {
  let overall: HealthStatus = 'HEALTHY';
  for (const component of Object.values(components)) overall = worseStatus(overall, component.status);
  return overall;
}
