import type { SshTargetConfig, TargetConfig } from './deploy.js';
import type { SshHost } from './ssh-target.js';

/** The remote root of one host of an ssh target: its own `path`, else the target's (validated to exist). */
export function hostRoot(t: SshTargetConfig, h: SshHost): string {
  return h.path ?? t.path ?? '';
}

/** The health URL of one host: its own `healthUrl`, else the target's health.url aimed at this host. */
export function hostHealthUrl(t: SshTargetConfig, h: SshHost): string | undefined {
  if (h.healthUrl) return h.healthUrl;
  if (!t.health.url) return undefined;
  const u = new URL(t.health.url);
  u.hostname = h.host;
  return u.toString();
}

/**
 * The metrics URL of one host's watch window: the target's watch.metricsUrl aimed at this host — on the origin of
 * the host's own `healthUrl` when it has one (hosts sharing a machine differ by port), else with the host name
 * replaced (as the health URL is).
 */
export function hostMetricsUrl(t: SshTargetConfig, h: SshHost): string | undefined {
  if (!t.watch.metricsUrl) return undefined;
  const u = new URL(t.watch.metricsUrl);
  if (h.healthUrl) {
    const own = new URL(h.healthUrl);
    u.protocol = own.protocol;
    u.host = own.host;
  } else u.hostname = h.host;
  return u.toString();
}

/**
 * One host of an ssh target seen as a local target's settings (its root, its health URL), so the per-host steps
 * (restart, health gate, settle) are the local deploy's own functions, not copies.
 */
export function hostTargetView(t: SshTargetConfig, h: SshHost): TargetConfig {
  const {
    hosts: _h,
    user: _u,
    identityFile: _i,
    knownHosts: _k,
    connectTimeoutMs: _c,
    kexAlgorithms: _kx,
    rollout: _r,
    parallel: _p,
    // Applied on the host by SshTarget (sudo), never looked up on the controller as a local runAs would be.
    runAs: _ra,
    // A controller user, for the smoke tests the controller runs (smokeFromController).
    smokeRunAs: _sra,
    ...common
  } = t;
  const url = hostHealthUrl(t, h);
  return {
    ...common,
    type: 'local',
    path: hostRoot(t, h),
    strategy: 'symlink',
    health: { ...t.health, url },
    watch: { ...t.watch, metricsUrl: hostMetricsUrl(t, h) },
  };
}
