import { describe, expect, it } from 'vitest';
import { matchesExpression, selectChangeSets } from '../../../src/db/changelog/index.js';
import { matchesContexts, matchesDbms, matchesLabels } from '../../../src/db/changelog/select.js';
import type { ChangeSet } from '../../../src/db/model.js';
import { makeChangeSet } from './make-changeset.js';

/** A changeset with the fields selection reads; the rest from the shared test factory. */
function cs(id: string, over: Partial<ChangeSet> = {}): ChangeSet {
  const sql = 'select 1;';
  return makeChangeSet({
    id,
    author: 'a',
    filename: 'f.sql',
    location: { file: 'f.sql', line: 1 },
    sql,
    checksum: '9:x',
    ...over,
  });
}

describe('context expressions (Liquibase 4.28 ExpressionMatcher)', () => {
  it('handles !, not, and, or, comma and parentheses case-insensitively', () => {
    expect(matchesExpression('dev', ['dev'])).toBe(true);
    expect(matchesExpression('DEV', ['dev'])).toBe(true);
    expect(matchesExpression('!prod', ['dev'])).toBe(true);
    expect(matchesExpression('!prod', ['prod'])).toBe(false);
    expect(matchesExpression('not prod', ['prod'])).toBe(false);
    expect(matchesExpression('dev and test', ['dev'])).toBe(false);
    expect(matchesExpression('dev and test', ['dev', 'test'])).toBe(true);
    expect(matchesExpression('dev or test', ['test'])).toBe(true);
    expect(matchesExpression('dev, test', ['test'])).toBe(true);
    expect(matchesExpression('(dev or test) and !prod', ['test', 'prod'])).toBe(false);
    expect(matchesExpression('(dev or test) and !prod', ['test'])).toBe(true);
    expect(matchesExpression('!(dev or test)', ['qa'])).toBe(true);
  });

  it('a changeset without context always runs; no runtime contexts runs everything', () => {
    expect(matchesContexts(null, ['prod'])).toBe(true);
    expect(matchesContexts('dev', [])).toBe(true);
    expect(matchesContexts('dev', undefined)).toBe(true);
    expect(matchesContexts('dev', ['prod'])).toBe(false);
    expect(matchesContexts('dev, qa', ['qa'])).toBe(true);
    expect(matchesContexts('dev', ['prod,dev'])).toBe(true);
  });

  it('labels: the runtime expression is matched against the changeset labels; unlabelled changesets run', () => {
    expect(matchesLabels('core and !slow', 'core')).toBe(true);
    expect(matchesLabels('core and !slow', 'core, slow')).toBe(false);
    expect(matchesLabels('core', null)).toBe(true);
    expect(matchesLabels(undefined, 'x')).toBe(true);
    expect(matchesLabels('a or b', 'c')).toBe(false);
  });

  it('dbms lists, negations, all and none', () => {
    expect(matchesDbms(null, 'postgresql')).toBe(true);
    expect(matchesDbms('postgresql,h2', 'postgresql')).toBe(true);
    expect(matchesDbms('oracle', 'postgresql')).toBe(false);
    expect(matchesDbms('!oracle', 'postgresql')).toBe(true);
    expect(matchesDbms('!postgresql', 'postgresql')).toBe(false);
    expect(matchesDbms('all', 'postgresql')).toBe(true);
    expect(matchesDbms('none', 'postgresql')).toBe(false);
  });

  it('selectChangeSets applies contexts, inherited include contexts, labels, dbms and ignore in order', () => {
    const list = [
      cs('1'),
      cs('2', { contexts: 'dev' }),
      cs('3', { contexts: 'prod' }),
      cs('4', { labels: 'slow' }),
      cs('5', { dbms: 'oracle' }),
      cs('6', { ignore: true }),
      cs('7', { inheritedContexts: ['prod'] }),
    ];
    expect(selectChangeSets(list, { contexts: ['dev'], labels: '!slow' }).map((c) => c.id)).toEqual(['1', '2']);
    expect(selectChangeSets(list, {}).map((c) => c.id)).toEqual(['1', '2', '3', '4', '7']);
    expect(selectChangeSets(list, { dbms: 'oracle' }).map((c) => c.id)).toEqual(['1', '2', '3', '4', '5', '7']);
  });
});
