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

// Lines collect here up to BATCH_BYTES (~50 lines) and go to the file in one synchronous write (a page-cache append of
// a few kB): a write per request, each a thread-pool round trip, was most of an audited request's cost. A queued line
// is written at most FLUSH_MS later, so the file is never more than that behind. Closing the server writes everything
// out, and so does the process's exit (the normal end, SIGTERM through `slipway serve`, process.exit, an uncaught
// exception); only a killed process (SIGKILL, OOM) can lose the last FLUSH_MS. Synchronous writes leave no write in
// flight that an exit could cut off or overtake.
const BATCH_BYTES = 8192;
const FLUSH_MS = 100;
// The queue's buffer: a batch, and room for the line that crosses BATCH_BYTES (a line is a few hundred bytes; a longer
// one goes to the file by itself).
const QUEUE_BYTES = BATCH_BYTES + 3 * 4096;

const AUDIT_HEAD = '{"kind":"audit","time":"';
const HEAD_BYTES = Buffer.from(AUDIT_HEAD);
// The end of a line's time: three digits of milliseconds and the Z.
const MILLI_BYTES = 4;
const DIGIT_0 = 0x30;
const LETTER_Z = 0x5a;

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
export function createAuditLogger(dest: string | DestinationStream, now: () => number = Date.now): AuditLog {
  if (typeof dest !== 'string') {
    return { write: (entry) => void dest.write(auditLine(entry, now())), close: () => Promise.resolve() };
  }
  mkdirSync(path.dirname(dest), { recursive: true });
  tightenLogFile(dest);
  const fd = openSync(dest, 'a', LOG_FILE_MODE);
  const append = (bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
  };
  // Queued lines are copied straight into one buffer, which goes to the file in one write: no array of lines to join
  // and encode again.
  const queue = Buffer.allocUnsafe(QUEUE_BYTES);
  let used = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const writeOut = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    queuedLogs.delete(writeOut);
    if (used === 0) return;
    const bytes = queue.subarray(0, used);
    used = 0;
    append(bytes);
  };
  hookExit();
  // The text after the time is the same for a run of requests from one client to one route (a monitor polling
  // /api/health): kept, encoded, for the last entry, it is built again only when a field differs. A line goes into the
  // queue as three pieces (the fixed head, the time, that tail): no line string to join and encode.
  let last: AuditEntry | null = null;
  let tail: Buffer = Buffer.alloc(0);
  // The fixed head and the time up to its milliseconds ("YYYY-MM-DDTHH:MM:SS."), encoded once per second; each line
  // adds its three digits and the Z as bytes. Formatting the time as a string and encoding it into the queue was a
  // call into C++ per line.
  let second = NaN;
  let head: Buffer = HEAD_BYTES;
  return {
    write(e) {
      if (
        last === null ||
        e.user !== last.user ||
        e.method !== last.method ||
        e.route !== last.route ||
        e.outcome !== last.outcome ||
        e.ip !== last.ip ||
        e.via !== last.via
      ) {
        tail = Buffer.from(auditTail(e));
        last = { ...e }; // a copy: the caller's object is not ours to keep
      }
      const ms = now();
      const sec = Math.floor(ms / 1000);
      const milli = ms - sec * 1000;
      if (!Number.isInteger(milli)) {
        // A clock with fractions (never Date.now): the line as auditLine makes it.
        writeOut();
        append(Buffer.from(auditLine(e, ms)));
        return;
      }
      if (sec !== second) {
        // ASCII only: one byte a character. isoTime's text without its "mmmZ".
        head = Buffer.from(AUDIT_HEAD + isoTime(sec * 1000).slice(0, -4), 'latin1');
        second = sec;
      }
      const size = head.length + MILLI_BYTES + tail.length;
      if (closed || size > queue.length) {
        // A request that outlived the close (no timer left behind), or a line longer than the buffer: the queued
        // lines first, then this one, straight to the file.
        writeOut();
        append(Buffer.from(auditLine(e, ms)));
        return;
      }
      if (used + size > queue.length) writeOut();
      queue.set(head, used);
      used += head.length;
      queue[used++] = DIGIT_0 + Math.floor(milli / 100);
      queue[used++] = DIGIT_0 + (Math.floor(milli / 10) % 10);
      queue[used++] = DIGIT_0 + (milli % 10);
      queue[used++] = LETTER_Z;
      queue.set(tail, used);
      used += tail.length;
      if (used >= BATCH_BYTES) {
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
  return `${AUDIT_HEAD}${isoTime(timeMs)}${auditTail(e)}`;
}

/** An audit line after its time: `","user":…,"event":"request"}` and the newline. */
function auditTail(e: AuditEntry): string {
  return (
    `","user":${e.user === null ? 'null' : str(e.user)}` +
    `,"method":${str(e.method)},"route":${str(e.route)},"outcome":${JSON.stringify(e.outcome)},"ip":${str(e.ip)}` +
    `${e.via === undefined ? '' : `,"via":${str(e.via)}`},"event":"request"}\n`
  );
}

// Printable ASCII without `"` or `\` needs no escaping: most fields (method, route, ip, via, user names) are that.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
// What JSON.stringify leaves raw but a reader of the file could take for a line break or a terminal command: DEL, the
// C1 controls (U+0085 NEL is a line break to Python's splitlines and Java's regex `\R`, U+009B CSI starts an escape
// sequence in terminals that honour 8-bit controls), U+2028/U+2029, and the bidirectional controls that make a line
// display as something else. A client can put them in the audit IP through X-Forwarded-For (Node passes header bytes
// 0x80-0xFF as Latin-1 characters). Written as \uXXXX, so JSON.parse still gives back the value received.
const UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
const escapeUnsafe = (json: string) =>
  json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

// The JSON text of recent field values: a server's lines repeat the same few users, methods, routes and addresses.
// Bounded (values such as attempted user names come from clients): emptied when full.
const encoded = new Map<string, string>();
const ENCODED_MAX = 1024;

function str(s: string): string {
  let json = encoded.get(s);
  if (json === undefined) {
    const masked = maskSecrets(s);
    json = PLAIN.test(masked) ? `"${masked}"` : escapeUnsafe(JSON.stringify(masked));
    if (encoded.size >= ENCODED_MAX) encoded.clear();
    encoded.set(s, json);
  }
  return json;
}
