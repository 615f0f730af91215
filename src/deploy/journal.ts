import { open, readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { JournalEntry } from './types.js';

/** Appends one entry to the journal and fsyncs it before returning (append-only, one JSON object per line). */
export async function appendJournal(
  journalPath: string,
  entry: Omit<JournalEntry, 'at'> & { at?: string },
): Promise<JournalEntry> {
  const full: JournalEntry = { at: entry.at ?? new Date().toISOString(), ...entry } as JournalEntry;
  await mkdir(path.dirname(journalPath), { recursive: true });
  const fh = await open(journalPath, 'a+');
  try {
    // A crash mid-write can leave a torn last line without its newline; start on a fresh line so it stays alone.
    const { size } = await fh.stat();
    let lead = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) lead = '\n';
    }
    // One write of the whole line: O_APPEND keeps concurrent appends from interleaving within a line.
    await fh.write(lead + JSON.stringify(full) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  return full;
}

/** Reads the journal, oldest first. A torn last line (a crash mid-write) is skipped, not fatal. */
export async function readJournal(journalPath: string): Promise<{ entries: JournalEntry[]; torn: number }> {
  let text: string;
  try {
    text = await readFile(journalPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], torn: 0 };
    throw e;
  }
  const entries: JournalEntry[] = [];
  let torn = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as JournalEntry;
      if (v && typeof v === 'object' && typeof v.run === 'string' && typeof v.step === 'string') entries.push(v);
      else torn++;
    } catch {
      torn++;
    }
  }
  return { entries, torn };
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
