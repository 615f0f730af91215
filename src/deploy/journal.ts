/**
 * The deploy journal: `.slipway/journal.jsonl`, append-only, one JSON object per line, each line carrying a
 * checksum of its own bytes so a torn or corrupted line is told apart from history (never guessed at).
 */
import { open, readFile, mkdir, writeFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { maskSecretsDeep } from '../errors.js';
import { sha256Hex } from '../fileset/hash.js';
import { withIo } from './io-error.js';
import type { JournalEntry } from './types.js';

/** Journal, logs and torn-tail copies may hold hostnames, users and commands: owner-only. */
export const PRIVATE_FILE_MODE = 0o600;

const SUM_TAIL = /,"sum":"([0-9a-f]{16})"\}$/;

/** One journal line: the entry's JSON with `"sum"` (first 16 hex of SHA-256 of the JSON without it) appended. */
export function formatJournalLine(entry: JournalEntry): string {
  const body = JSON.stringify(entry);
  return `${body.slice(0, -1)},"sum":"${sha256Hex(body).slice(0, 16)}"}`;
}

/** Appends one entry and fsyncs it before returning. Filesystem refusals become E_IO naming the journal. */
export async function appendJournal(
  journalPath: string,
  entry: Omit<JournalEntry, 'at'> & { at?: string },
): Promise<JournalEntry> {
  // Messages and data may quote a database URL or a conninfo string: no secret is ever journaled.
  const full = maskSecretsDeep({ at: entry.at ?? new Date().toISOString(), ...entry } as JournalEntry);
  return withIo(journalPath, 'write the deploy journal', async () => {
    await mkdir(path.dirname(journalPath), { recursive: true });
    const fh = await open(journalPath, 'a+', PRIVATE_FILE_MODE);
    try {
      const st = await fh.stat();
      if ((st.mode & 0o777) !== PRIVATE_FILE_MODE) await fh.chmod(PRIVATE_FILE_MODE);
      // A torn last line (no newline) stays alone on its line; readJournal reports it.
      let lead = '';
      if (st.size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, st.size - 1);
        if (last[0] !== 0x0a) lead = '\n';
      }
      // One write of the whole line: O_APPEND keeps concurrent appends from interleaving within a line.
      await fh.write(lead + formatJournalLine(full) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    return full;
  });
}

/** A line that is not a valid journal entry: where it is and why. */
export interface JournalProblem {
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Bytes of the line (without its newline). */
  bytes: number;
  reason: 'checksum mismatch' | 'not JSON (torn?)' | 'not a journal entry';
}

export interface JournalRead {
  entries: JournalEntry[];
  /** Number of invalid lines (torn or corrupt), anywhere. */
  torn: number;
  problems: JournalProblem[];
  /**
   * Invalid bytes after the last valid entry (a write cut short by a crash, a full disk or a truncation):
   * where they start and how many there are. null when the journal ends with a valid entry.
   */
  tail: { offset: number; bytes: number; lines: number } | null;
  size: number;
}

/** Checks one line; returns the entry, or why it is not one. Lines without `sum` are accepted (older slipway). */
export function parseJournalLine(line: string): JournalEntry | JournalProblem['reason'] {
  const m = SUM_TAIL.exec(line);
  if (m && sha256Hex(line.slice(0, -m[0].length) + '}').slice(0, 16) !== m[1]) return 'checksum mismatch';
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON (torn?)';
  }
  const e = v as JournalEntry & { sum?: string };
  if (!e || typeof e !== 'object' || typeof e.run !== 'string' || typeof e.step !== 'string')
    return 'not a journal entry';
  delete e.sum;
  return e;
}

/** Parses journal bytes (pure): valid entries oldest first, every invalid line, and the invalid tail if any. */
export function parseJournal(buf: Buffer): JournalRead {
  const entries: JournalEntry[] = [];
  const problems: JournalProblem[] = [];
  let offset = 0;
  let lineNo = 0;
  let validEnd = 0;
  while (offset < buf.length) {
    const nl = buf.indexOf(0x0a, offset);
    const end = nl === -1 ? buf.length : nl;
    lineNo++;
    const raw = buf.subarray(offset, end);
    if (raw.toString('utf8').trim()) {
      const r = parseJournalLine(raw.toString('utf8'));
      if (typeof r === 'string') problems.push({ line: lineNo, offset, bytes: raw.length, reason: r });
      else {
        entries.push(r);
        validEnd = nl === -1 ? buf.length : nl + 1;
      }
    }
    offset = nl === -1 ? buf.length : nl + 1;
  }
  const after = problems.filter((p) => p.offset >= validEnd);
  const tail = after.length
    ? { offset: after[0]!.offset, bytes: buf.length - after[0]!.offset, lines: after.length }
    : null;
  return { entries, torn: problems.length, problems, tail, size: buf.length };
}

/** Reads and checks the journal (missing = empty). */
export async function readJournal(journalPath: string): Promise<JournalRead> {
  let buf: Buffer;
  try {
    buf = await readFile(journalPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return { entries: [], torn: 0, problems: [], tail: null, size: 0 };
    return withIo(journalPath, 'read the deploy journal', () => Promise.reject(e));
  }
  return parseJournal(buf);
}

/**
 * Moves an invalid tail out of the journal (call with the lock held): the bytes are kept in
 * `journal.torn-<offset>` beside it, then the journal is truncated to its last valid entry, so later appends
 * and readers see clean history. Returns the file the bytes went to.
 */
export async function setAsideTornTail(journalPath: string, tail: NonNullable<JournalRead['tail']>): Promise<string> {
  const aside = `${journalPath}.torn-${tail.offset}`;
  await withIo(journalPath, 'repair the deploy journal', async () => {
    const buf = await readFile(journalPath);
    await writeFile(aside, buf.subarray(tail.offset), { mode: PRIVATE_FILE_MODE });
    await truncate(journalPath, tail.offset);
    const fh = await open(journalPath, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
  return aside;
}

/** A journal writer bound to one run: every call appends and fsyncs, and echoes a progress event. */
export interface RunJournal {
  run: string;
  write: (e: Omit<JournalEntry, 'at' | 'run' | 'kind'> & { kind?: JournalEntry['kind'] }) => Promise<void>;
}

/** Binds a journal writer to a run id and kind. */
export function openRunJournal(
  journalPath: string,
  run: string,
  kind: JournalEntry['kind'],
  onEntry?: (e: JournalEntry) => void,
): RunJournal {
  return {
    run,
    write: async (e) => {
      const written = await appendJournal(journalPath, { kind, run, ...e });
      onEntry?.(written);
    },
  };
}
