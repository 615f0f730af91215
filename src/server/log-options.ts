import { chmodSync, statSync } from 'node:fs';
import { pino, type LoggerOptions } from 'pino';
import { maskSecrets, maskSecretsDeep } from '../errors.js';

/** Logs and the audit log may name users, hosts and addresses: owner-only, like the deploy journal. */
export const LOG_FILE_MODE = 0o600;

/**
 * Pino options that keep secrets out of every line of the server log and the audit log: the message and every plain
 * field go through maskSecrets, an error's message and stack too, a request's URL (`?token=`) too, and credential
 * headers are never written.
 */
export function secretSafeLogOptions(): Pick<LoggerOptions, 'redact' | 'formatters' | 'hooks' | 'serializers'> {
  return {
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
      ],
      censor: '***',
    },
    formatters: { log: (obj) => maskSecretsDeep(obj) },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskSecrets(a) : a)) as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (e: Error) => maskSecretsDeep({ ...pino.stdSerializers.err(e) }),
      req: (req: { method?: string; url?: string; ip?: string }) => ({
        method: req.method,
        url: maskSecrets(String(req.url ?? '')),
        remoteAddress: req.ip,
      }),
    },
  };
}

/** Makes an existing log file owner-only (one created by an older version, or by hand with the umask's mode). */
export function tightenLogFile(file: string): void {
  try {
    if ((statSync(file).mode & 0o777) !== LOG_FILE_MODE) chmodSync(file, LOG_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
