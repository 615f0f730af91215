import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs tool without type declarations
import { checkCoverageDoc, DOC, readXsd, xsdInventory } from '../../tools/change-type-inventory.mjs';

// docs/change-type-coverage.md lists every attribute of the change elements of Liquibase 4.28's XSD; the tool reads
// the XSD out of the installed liquibase-core.jar and this test keeps the document in sync with it.
type Check = (markdown: string, xsd: string) => string[];
type Inventory = (xsd: string) => { changes: string[]; inventory: Map<string, string[]> };

describe('docs/change-type-coverage.md against dbchangelog-4.28.xsd', () => {
  let xsd = '';
  beforeAll(async () => {
    xsd = await (readXsd as () => Promise<string>)();
  });

  it('names every attribute the XSD defines on each row, and no covered attribute the XSD lacks', async () => {
    expect((checkCoverageDoc as Check)(await readFile(DOC as string, 'utf8'), xsd)).toEqual([]);
  });

  it('reads the XSD: change elements, attribute groups, extensions and shared elements', () => {
    const { changes, inventory } = (xsdInventory as Inventory)(xsd);
    expect(changes).toHaveLength(47);
    expect(changes).toContain('stop');
    expect(inventory.get('addColumn/column')).toEqual(
      expect.arrayContaining(['defaultValueSequenceCurrent', 'position']),
    );
    expect(inventory.get('column/constraints')).toContain('validateForeignKey');
    expect(inventory.get('customChange/param')).toEqual(['name', 'value']);
  });

  it('reports a row that misses an attribute, names one the XSD lacks, or is missing', () => {
    const check = (doc: string): string[] =>
      (checkCoverageDoc as Check)(doc, xsd).filter((p) => /^(stop|output)\b/.test(p));
    const rows = '| `stop` | x | |\n| `output` | attrs: `target`, `level` | |\n';
    expect(check(rows)).toEqual(['output: the covered cell names level, not in the XSD here']);
    expect(check('| `stop` | x | |\n| `output` | — | |\n')).toEqual(['output: the row does not name target']);
    expect(check('| `output` | `target` | |\n')).toEqual(['stop: a change element of the XSD has no row']);
  });
});
