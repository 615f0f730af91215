import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger, type DestinationStream } from 'pino';
import { LOG_FILE_MODE, secretSafeLogOptions, tightenLogFile } from './log-options.js';

export interface AuditEntry {
  user: string | null;
  method: string;
  route: string;
  outcome: number;
  ip: string;
  via?: string;
}

/**
 * The audit log: one JSON line per protected request (user, route, outcome, ip, time). Only these fields are
 * written — never headers, bodies, tokens or passwords — each masked by maskSecrets, in a file of mode 0600.
 */
export function createAuditLogger(dest: string | DestinationStream): Logger {
  let stream: DestinationStream;
  if (typeof dest === 'string') {
    mkdirSync(path.dirname(dest), { recursive: true });
    tightenLogFile(dest);
    stream = pino.destination({ dest, sync: false, mkdir: true, mode: LOG_FILE_MODE });
  } else {
    stream = dest;
  }
  // The masking parts of the secret-safe options only: an entry never holds headers, a request or an error, so the
  // redaction paths and serializers had nothing to do on any line but cost every protected request a redaction pass.
  const { formatters, hooks } = secretSafeLogOptions();
  return pino(
    {
      formatters: { ...formatters, level: () => ({ kind: 'audit' }) },
      hooks,
      base: null,
      messageKey: 'event',
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}

export function writeAudit(log: Logger, entry: AuditEntry): void {
  log.info(entry, 'request');
}
