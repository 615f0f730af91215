import { fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import { maskSecrets } from '../errors.js';
import { LOG_FILE_MODE, tightenLogFile } from './log-options.js';
import { isoTime } from './iso-time.js';

export interface AuditEntry {
  user: string | null;
  method: string;
  route: string;
  outcome: number;
  ip: string;
  via?: string;
}

/** The audit log of one server: `write` queues a line, `close` writes out what is queued. */
export interface AuditLog {
  write(entry: AuditEntry): void;
  /** Writes out every queued line (fsynced); server close calls it. Lines written after it go out one by one. */
  close(): Promise<void>;
}

// Lines collect here up to BATCH_CHARS (~50 lines) and go to the file in one synchronous write (a page-cache append of
// a few kB): a write per request, each a thread-pool round trip, was most of an audited request's cost. A queued line
// is written at most FLUSH_MS later, so the file is never more than that behind. Closing the server writes everything
// out, and so does the process's exit (the normal end, SIGTERM through `slipway serve`, process.exit, an uncaught
// exception); only a killed process (SIGKILL, OOM) can lose the last FLUSH_MS. Synchronous writes leave no write in
// flight that an exit could cut off or overtake.
const BATCH_CHARS = 8192;
const FLUSH_MS = 100;

// Audit logs with queued lines, written out when the process exits.
const queuedLogs = new Set<() => void>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const writeOut of queuedLogs) {
      try {
        writeOut();
      } catch {
        // A file that cannot take the lines now (disk full, removed mount) has no later chance; exit goes on.
      }
    }
  });
}

/**
 * The audit log: one JSON line per protected request (kind, time, user, method, route, outcome, ip, via, event). Only
 * these fields are written — never headers, bodies, tokens or passwords — each string masked by maskSecrets, in a
 * file of mode 0600.
 */
export function createAuditLogger(dest: string | DestinationStream): AuditLog {
  if (typeof dest !== 'string') {
    return { write: (entry) => void dest.write(auditLine(entry, Date.now())), close: () => Promise.resolve() };
  }
  mkdirSync(path.dirname(dest), { recursive: true });
  tightenLogFile(dest);
  const fd = openSync(dest, 'a', LOG_FILE_MODE);
  const append = (text: string) => {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
  };
  let queued: string[] = [];
  let chars = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const writeOut = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    queuedLogs.delete(writeOut);
    if (queued.length === 0) return;
    const text = queued.join('');
    queued = [];
    chars = 0;
    append(text);
  };
  hookExit();
  return {
    write(e) {
      const line = auditLine(e, Date.now());
      if (closed) {
        append(line); // a request that outlived the close: straight to the file, no timer left behind
        return;
      }
      queued.push(line);
      chars += line.length;
      if (chars >= BATCH_CHARS) {
        writeOut();
      } else if (!timer) {
        queuedLogs.add(writeOut);
        timer = setTimeout(writeOut, FLUSH_MS);
        timer.unref(); // the exit hook writes the lines out
      }
    },
    close() {
      closed = true;
      writeOut();
      fsyncSync(fd); // the lines are on disk when the server says it stopped
      return Promise.resolve();
    },
  };
}

/** Queues the audit line of one request. */
export function writeAudit(log: AuditLog, entry: AuditEntry): void {
  log.write(entry);
}

/** One audit line, the shape pino gave it: `{"kind":"audit","time":…,<entry>,"event":"request"}` and a newline. */
export function auditLine(e: AuditEntry, timeMs: number): string {
  return (
    `{"kind":"audit","time":"${isoTime(timeMs)}","user":${e.user === null ? 'null' : str(e.user)}` +
    `,"method":${str(e.method)},"route":${str(e.route)},"outcome":${JSON.stringify(e.outcome)},"ip":${str(e.ip)}` +
    `${e.via === undefined ? '' : `,"via":${str(e.via)}`},"event":"request"}\n`
  );
}

// Printable ASCII without `"` or `\` needs no escaping: most fields (method, route, ip, via, user names) are that.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function str(s: string): string {
  const masked = maskSecrets(s);
  return PLAIN.test(masked) ? `"${masked}"` : JSON.stringify(masked);
}
