import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger, type DestinationStream } from 'pino';

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
 * written — never headers, bodies, tokens or passwords.
 */
export function createAuditLogger(dest: string | DestinationStream): Logger {
  let stream: DestinationStream;
  if (typeof dest === 'string') {
    mkdirSync(path.dirname(dest), { recursive: true });
    stream = pino.destination({ dest, sync: false, mkdir: true });
  } else {
    stream = dest;
  }
  return pino(
    {
      base: null,
      messageKey: 'event',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: () => ({ kind: 'audit' }) },
    },
    stream,
  );
}

export function writeAudit(log: Logger, entry: AuditEntry): void {
  log.info(entry, 'request');
}
