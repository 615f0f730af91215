import { describe, expect, it } from 'vitest';
import { archivesToPrune, parseState } from '../../../src/fleet/ssh-target.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const ID_A = `20261205T120000Z-${A.slice(0, 12)}`;

describe('parseState', () => {
  it('reads current, releases, uploaded archives and the journal with its exact size and last byte', () => {
    const journal = '{"x":1}\n{"torn"';
    const s = parseState(
      Buffer.from(`C releases/${ID_A}\nR ${ID_A}\nR .staging-x\nI ${A}.tar.gz\nI ${B}.tar.gz\nJ\n${journal}`),
    );
    expect(s.current).toBe(ID_A);
    expect(s.releases).toEqual([ID_A]);
    expect(s.archives).toEqual([`${A}.tar.gz`, `${B}.tar.gz`]);
    expect(s.journalBytes).toBe(Buffer.byteLength(journal));
    expect(s.journalEndsLine).toBe(false);
    expect(parseState(Buffer.from('C \nJ\n')).journalEndsLine).toBe(true); // no journal yet
  });
});

describe('archivesToPrune', () => {
  it('keeps the archive of every kept release, prunes the others, never touches a file not named like an upload', () => {
    expect(archivesToPrune([`${A}.tar.gz`, `${B}.tar.gz`, 'notes.tar.gz'], [ID_A])).toEqual([`${B}.tar.gz`]);
    expect(archivesToPrune([`${A}.tar.gz`], [])).toEqual([`${A}.tar.gz`]);
  });
});
