import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadUnits, type KnownGap, type UnitOutcome } from '../helpers/corpus-runner.js';
import { runUnit } from '../helpers/corpus-unit.js';

// Conformance against real Liquibase 4.28 on the shared corpus of public changelogs (../shared/corpus, read-only;
// each folder's SOURCE.md names the project and its license). Every unit of units.json runs here: a unit that does
// not conform yet is listed in corpus-known-gaps.json with the exact place it fails, and this test asserts it still
// fails exactly there — so a fix anywhere makes this test fail until the list shrinks. Nothing is skipped.
const gapsFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus-known-gaps.json');
const gaps = (JSON.parse(readFileSync(gapsFile, 'utf8')) as { gaps: KnownGap[] }).gaps;
const units = loadUnits();

function describeOutcome(o: UnitOutcome | null): string {
  if (!o) return 'conforms';
  return `stage ${o.stage}${o.changeset ? `, changeset ${o.changeset}` : ''}:\n${o.message}`;
}

describe('corpus conformance: slipway db package + psql vs liquibase update', () => {
  it('the known-gaps list names corpus units only, each once, each with a stage, a match and a reason', () => {
    const names = units.map((u) => u.unit);
    for (const g of gaps) {
      expect(names, `known gap for unknown unit ${g.unit}`).toContain(g.unit);
      expect(g.reason.length, `reason for ${g.unit}`).toBeGreaterThan(10);
      expect(g.match.length, `match for ${g.unit}`).toBeGreaterThan(5);
    }
    expect(new Set(gaps.map((g) => g.unit)).size).toBe(gaps.length);
  });

  for (const unit of units) {
    const gap = gaps.find((g) => g.unit === unit.unit);
    const title = gap ? `${unit.unit} still fails as listed (${gap.stage})` : `${unit.unit} conforms`;
    it(
      title,
      async () => {
        const outcome = await runUnit(unit);
        const seen = describeOutcome(outcome);
        if (!gap) {
          expect(outcome, `${unit.unit} should conform but departs from Liquibase at ${seen}`).toBeNull();
          return;
        }
        const hint = `${unit.unit} no longer fails as corpus-known-gaps.json says (stage ${gap.stage}${gap.changeset ? `, changeset ${gap.changeset}` : ''}, message containing ${JSON.stringify(gap.match)}); it now ${outcome ? `fails at ${seen}` : 'conforms: remove its entry'}. Update the list.`;
        expect(outcome?.stage, hint).toBe(gap.stage);
        if (gap.changeset !== undefined) expect(outcome?.changeset, hint).toBe(gap.changeset);
        expect(outcome?.message, hint).toContain(gap.match);
      },
      1_800_000, // fineract alone takes 12 minutes on a loaded 2-core machine
    );
  }
});
