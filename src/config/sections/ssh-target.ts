/**
 * `type: ssh` deploy targets (issue 13): one package to several hosts over the system OpenSSH client. Everything a
 * local target has (restart, health, databaseUrl, keep, shared, limits…) applies per host; the fields below say how
 * to reach the hosts and how to roll out across them. Host names, users and ports are validated strictly here,
 * because they end up as ssh arguments: a host that begins with `-` would be read as an option.
 */
import { z } from 'zod';

/** A DNS name or IPv4 address (letters, digits, `.`, `-`, `_`; never a leading `-`), or `[IPv6]`. */
const HOST = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\])$/;
/** A POSIX user name (what `useradd` accepts, never a leading `-`). */
const USER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** `user@host:port`, user and port optional. */
const HOST_STRING = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/;

const portSchema = z.number().int().min(1).max(65_535);
/** A remote root: absolute, no NUL or newline (quoted as one argument; a newline would break the remote script). */
const remotePath = z
  .string()
  .min(2)
  .regex(/^\/[^\0\n]*$/, 'an absolute path on the host (starts with "/", no newline)');

const hostObjectSchema = z
  .object({
    host: z.string().regex(HOST, 'a host name, IPv4 address or [IPv6] address (never starting with "-")'),
    port: portSchema.default(22),
    user: z.string().regex(USER, 'a user name (letters, digits, ".", "_", "-"; not starting with "-")').optional(),
    /** This host's root (overrides the target's `path`, so several hosts can share one machine). */
    path: remotePath.optional(),
    /** This host's health URL; default: the target's health.url with its host name replaced by this host's. */
    healthUrl: z.url().optional(),
    labels: z.array(z.string().min(1)).default([]),
  })
  .strict();

/** One host of an ssh target, as validated (both spellings give this shape). */
export interface SshHost {
  host: string;
  port: number;
  user?: string | undefined;
  path?: string | undefined;
  healthUrl?: string | undefined;
  labels: string[];
}

/**
 * `user@host:port` → the object form, which then validates each part (so an issue names `hosts.N.host`, `.port` or
 * `.user`). A string that does not split is passed on whole as the host, which the host rule then refuses.
 */
function splitHostString(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const m = HOST_STRING.exec(v);
  if (!m) return { host: v };
  return {
    host: m[2],
    ...(m[3] !== undefined ? { port: Number(m[3]) } : {}),
    ...(m[1] !== undefined ? { user: m[1] } : {}),
  };
}

export const sshHostSchema = z.preprocess(splitHostString, hostObjectSchema) as unknown as z.ZodType<SshHost, unknown>;

/** `batch: 2` hosts per batch, or `batch: "25%"` of the hosts (rounded up, at least 1). */
const batchSchema = z.union([
  z.number().int().min(1),
  z.string().regex(/^(?:100|[1-9][0-9]?)%$/, 'a number of hosts, or a percentage like "25%" (1%-100%)'),
]);

export const rolloutSchema = z
  .object({
    batch: batchSchema.default(1),
    /** Hosts that may be out of service at once; caps the batch size (each batch restarts its hosts together). */
    maxUnavailable: z.number().int().min(1).optional(),
    /** The first N hosts form a batch of their own, switched and gated before any other. */
    canary: z.number().int().min(0).default(0),
    /** Pause between batches (ms), after a batch passed its gates. */
    pauseMs: z.number().int().min(0).default(0),
  })
  .strict();

/** The fields an ssh target adds to (or changes from) a local target; `strategy` is symlink only. */
export const sshTargetFields = {
  type: z.literal('ssh'),
  /** Default remote root of every host (a host's own `path` overrides it). */
  path: remotePath.optional(),
  hosts: z.array(sshHostSchema).min(1, 'list at least one host'),
  /** Default login user of hosts that name none. */
  user: z.string().regex(USER, 'a user name').optional(),
  /** Private key (relative to the config file); without it, ssh-agent or the default keys. */
  identityFile: z.string().min(1).optional(),
  /** known_hosts file (relative to the config file) with every host's key: keys are pinned, never learned. */
  knownHosts: z.string().min(1, 'a known_hosts file is required (host keys are never accepted on first use)'),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  /**
   * ssh's `KexAlgorithms` (unset: OpenSSH's default). A list of names separated by commas, optionally starting with
   * `+`, `-` or `^` as in ssh_config. OpenSSH 9.0–9.9 put the post-quantum `sntrup761x25519-sha512@openssh.com` first,
   * whose key generation cost the controller ~120 ms of CPU per host and run (measured: OpenSSH 9.2, 2-core Xeon VM);
   * `curve25519-sha256` took ~10 ms but gives up protection against a recorded session being decrypted later by a
   * quantum computer.
   */
  kexAlgorithms: z
    .string()
    .regex(
      /^[+^-]?[A-Za-z0-9@._-]+(?:,[A-Za-z0-9@._-]+)*$/,
      'key exchange algorithm names separated by commas (optionally starting with "+", "-" or "^")',
    )
    .optional(),
  rollout: rolloutSchema.prefault({}),
  /** Hosts uploaded to and installed on at once. */
  parallel: z.number().int().min(1).max(64).default(4),
  /**
   * Run restart/stop commands on the hosts as this user (`sudo -n -u USER`, checked on every host before anything
   * changes): a user name on the hosts, not looked up on the controller. Smoke tests run on the controller.
   */
  runAs: z
    .string()
    .regex(USER, 'a user name on the hosts (letters, digits, ".", "_", "-"; not starting with "-")')
    .optional(),
  /**
   * Run the package's smoke tests (on the controller, against each host) as this controller user: name, uid or
   * uid:gid, as a local target's runAs; the deploy must then run as root. Unset: the deploying user (always with the
   * allowlisted environment only).
   */
  smokeRunAs: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
  strategy: z
    .literal('symlink', { message: 'ssh targets use strategy symlink (blue-green is local only)' })
    .default('symlink'),
};

export type SshHostInput = z.input<typeof sshHostSchema>;
export type RolloutConfig = z.output<typeof rolloutSchema>;
