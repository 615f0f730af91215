// A host's journal with a torn last line (a controller or host killed mid-write): every way the controller appends
// to it — the prelude of deferred lines, the `append` script, `finish` — ends the torn line before its own lines,
// whether the controller read the journal torn or it was torn after the controller read it.
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeControlDir, removeControlDir, SshSession, type SshSettings } from '../../../src/fleet/ssh.js';
import { SshTarget } from '../../../src/fleet/ssh-target.js';
import { parseJournal } from '../../../src/deploy/journal.js';
import type { JournalEntry } from '../../../src/deploy/types.js';
import { startSshFleet, type SshFleetFixture } from '../../helpers/sshd.js';

let fleet: SshFleetFixture;
let control: string;
let work: string;
let settings: SshSettings;
const opened: SshSession[] = [];

beforeAll(async () => {
  fleet = await startSshFleet(1);
  control = await makeControlDir();
  work = await mkdtemp(path.join(tmpdir(), 'slipway-sshj-'));
  settings = { knownHosts: fleet.knownHosts, identityFile: fleet.clientKey, connectTimeoutMs: 10_000 };
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await removeControlDir(control);
  await rm(work, { recursive: true, force: true });
  await fleet?.stop();
});

const WHOLE = '{"run":"r0","kind":"deploy","step":"run","status":"begin"}\n';
const TORN = '{"run":"r0","kind":"deploy","st';
const entry = (message: string): Omit<JournalEntry, 'at' | 'run' | 'kind'> => ({
  step: 'run',
  status: 'ok',
  message,
});

let n = 0;
/** A host root whose journal holds one whole line; a target with its lock taken and the state read under it. */
async function openHost(tornBeforeOpen: boolean) {
  const root = path.join(fleet.hosts[0]!.root, `torn-${n++}`);
  const journal = path.join(root, '.slipway', 'journal.jsonl');
  await mkdir(path.dirname(journal), { recursive: true });
  await writeFile(journal, tornBeforeOpen ? WHOLE + TORN : WHOLE);
  const s = new SshSession(
    { host: '127.0.0.1', port: fleet.hosts[0]!.port, user: fleet.user },
    settings,
    control,
    path.join(work, `${n}.log`),
  );
  opened.push(s);
  const t = new SshTarget(s, root, 30_000);
  const o = await t.open({ run: `r${n}`, command: 'test' });
  if (!o.acquired) throw new Error('the lock was not acquired');
  expect(o.state.journalEndsLine).toBe(!tornBeforeOpen);
  return { t, journal, run: `r${n}` };
}

/** The journal's lines after the whole one and the torn one: each must be whole and parse. */
async function linesAfterTorn(journal: string): Promise<string[]> {
  const text = await readFile(journal, 'utf8');
  expect(text.startsWith(`${WHOLE}${TORN}\n`), JSON.stringify(text)).toBe(true);
  expect(text.endsWith('\n')).toBe(true);
  const rest = text.slice(WHOLE.length + TORN.length + 1, -1).split('\n');
  expect(parseJournal(Buffer.from(rest.map((l) => `${l}\n`).join(''))).entries).toHaveLength(rest.length);
  return rest.map((l) => (JSON.parse(l) as JournalEntry).message ?? '');
}

describe("a torn last line of a host's journal is ended before the next append", () => {
  for (const when of ['read torn by the controller', 'torn after the controller read it'] as const) {
    const before = when === 'read torn by the controller';

    it(`the prelude of deferred lines (${when})`, async () => {
      const { t, journal, run } = await openHost(before);
      if (!before) await appendFile(journal, TORN);
      const j = t.journal(run, 'deploy', undefined, { defer: true });
      await j.write(entry('deferred 1'));
      await j.write(entry('deferred 2'));
      await t.flushJournal();
      expect(await linesAfterTorn(journal)).toEqual(['deferred 1', 'deferred 2']);
      await j.write(entry('deferred 3'));
      await t.flushJournal();
      expect(await linesAfterTorn(journal)).toEqual(['deferred 1', 'deferred 2', 'deferred 3']);
      // finish's size check: the target counted the newline that ended a torn line it read; bytes another process
      // wrote since it read the journal make it stale.
      expect(await t.finish([], [], run, 'deploy', [entry('closed')])).toBe(before);
    });

    it(`the append script (${when})`, async () => {
      const { t, journal, run } = await openHost(before);
      if (!before) await appendFile(journal, TORN);
      const j = t.journal(run, 'deploy');
      await j.write(entry('appended 1'));
      await j.write(entry('appended 2'));
      expect(await linesAfterTorn(journal)).toEqual(['appended 1', 'appended 2']);
      expect(await t.finish([], [], run, 'deploy', [entry('closed')])).toBe(before);
    });
  }

  it('finish, with the journal read torn by the controller', async () => {
    const { t, journal, run } = await openHost(true);
    expect(await t.finish([], [], run, 'deploy', [entry('retention'), entry('closed')])).toBe(true);
    expect(await linesAfterTorn(journal)).toEqual(['retention', 'closed']);
  });

  it('finish, with deferred lines, the journal read torn by the controller: the prelude ends it, finish appends after', async () => {
    const { t, journal, run } = await openHost(true);
    await t.journal(run, 'deploy', undefined, { defer: true }).write(entry('deferred'));
    expect(await t.finish([], [], run, 'deploy', [entry('closed')])).toBe(true);
    expect(await linesAfterTorn(journal)).toEqual(['deferred', 'closed']);
  });

  it('finish, with the journal torn after the controller read it: stale, nothing appended; after a fresh read it ends the line', async () => {
    const { t, journal, run } = await openHost(false);
    await appendFile(journal, TORN);
    expect(await t.finish([], [], run, 'deploy', [entry('closed')])).toBe(false);
    expect(await readFile(journal, 'utf8')).toBe(WHOLE + TORN);
    await t.readState();
    expect(await t.finish([], [], run, 'deploy', [entry('closed')])).toBe(true);
    expect(await linesAfterTorn(journal)).toEqual(['closed']);
  });
});
