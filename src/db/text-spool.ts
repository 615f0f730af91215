/**
 * Text kept in a temporary file instead of memory while the rest of what it belongs to is worked out: `db package`
 * writes each changeset's SQL here as it is read, and copies it out once the head of the package is known.
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { SlipwayError } from '../errors.js';

/** Bytes per write and per read (below V8's large-object size as a string: see WRITE_BATCH in the CLI). */
const BLOCK = 1 << 16;

/**
 * An append-only UTF-8 text file, read back from a given byte on (read) or a part at a time (slice); removed on close
 * (and unlinked at once where the OS allows).
 */
export class TextSpool {
  private fd: number;
  private readonly file: string;
  private unlinked = false;
  private readonly buf = Buffer.allocUnsafe(BLOCK);
  private used = 0;
  /** Bytes appended so far. */
  bytes = 0;

  constructor() {
    this.file = path.join(tmpdir(), `slipway-spool-${process.pid}-${randomBytes(6).toString('hex')}`);
    this.fd = this.io(() => openSync(this.file, 'wx+', 0o600));
    try {
      // Linux and macOS: the file lives on through the descriptor, and nothing is left behind if the process dies.
      unlinkSync(this.file);
      this.unlinked = true;
    } catch {
      // Windows: removed on close.
    }
  }

  /** Appends `text` as UTF-8. */
  append(text: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4): this bound always fits.
    const most = 3 * text.length;
    if (this.used + most > BLOCK && this.used > 0) this.flush();
    if (most > BLOCK) {
      const own = Buffer.from(text, 'utf8');
      this.writeAll(own, own.length);
      return;
    }
    const n = this.buf.write(text, this.used, 'utf8');
    this.used += n;
    this.bytes += n;
  }

  /** The text appended, from byte `from` on, in pieces of about 64 kB (a character is never cut in two). */
  *read(from = 0): Generator<string> {
    this.flush();
    const decoder = new StringDecoder('utf8');
    const block = Buffer.allocUnsafe(BLOCK);
    for (let at = from; at < this.bytes;) {
      const n = this.io(() => readSync(this.fd, block, 0, Math.min(BLOCK, this.bytes - at), at));
      if (n === 0) throw new SlipwayError('E_IO', `temporary file ${this.file} ended early at byte ${at}`);
      at += n;
      const text = decoder.write(block.subarray(0, n));
      if (text) yield text;
    }
    const rest = decoder.end();
    if (rest) yield rest;
  }

  /** The text appended between bytes `from` and `to` (offsets `bytes` had), in one piece. */
  slice(from: number, to: number): string {
    this.flush();
    const out = Buffer.allocUnsafe(to - from);
    for (let at = 0; at < out.length;) {
      const n = this.io(() => readSync(this.fd, out, at, out.length - at, from + at));
      if (n === 0) throw new SlipwayError('E_IO', `temporary file ${this.file} ended early at byte ${from + at}`);
      at += n;
    }
    return out.toString('utf8');
  }

  /** Closes and removes the file (again: a no-op). */
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    if (!this.unlinked) unlinkSync(this.file);
  }

  private flush(): void {
    if (this.used === 0) return;
    const used = this.used;
    this.used = 0;
    this.bytes -= used;
    this.writeAll(this.buf, used);
  }

  private writeAll(buf: Buffer, length: number): void {
    const start = this.bytes;
    for (let done = 0; done < length;)
      done += this.io(() => writeSync(this.fd, buf, done, length - done, start + done));
    this.bytes += length;
  }

  private io<T>(op: () => T): T {
    try {
      return op();
    } catch (cause) {
      throw new SlipwayError('E_IO', `cannot use the temporary file ${this.file}: ${(cause as Error).message}`, {
        hint: 'Check the free space and permissions of the temporary directory (TMPDIR).',
        cause,
      });
    }
  }
}
