import { describe, expect, it } from 'vitest';
import { expandProperties, PropertyScope } from '../../../src/db/properties.js';

describe('${property} expansion (Liquibase ExpressionExpander)', () => {
  const props: Record<string, string> = { a: 'A', b: '${a}-B', name: 'a' };
  const lookup = (n: string): string | undefined => props[n];

  it('replaces known names, keeps unknown ones, expands values and nested names', () => {
    expect(expandProperties('x ${a} ${nope} y', lookup)).toBe('x A ${nope} y');
    expect(expandProperties('${b}', lookup)).toBe('A-B');
    expect(expandProperties('${${name}}', lookup)).toBe('A');
    expect(expandProperties('${ a }', lookup)).toBe('A');
    expect(expandProperties('unclosed ${a', lookup)).toBe('unclosed ${a');
  });

  it('${:name} escapes to the literal expression', () => {
    expect(expandProperties('${:a}', lookup)).toBe('${a}');
  });

  it('caller properties win, then the first definition; local properties stay in their file', () => {
    const s = new PropertyScope({ env: 'cli' });
    s.define({ name: 'env', value: 'file', context: null, labels: null, dbms: null, global: true, file: 'm.xml' });
    s.define({ name: 'x', value: 'first', context: null, labels: null, dbms: null, global: true, file: 'm.xml' });
    s.define({ name: 'x', value: 'second', context: null, labels: null, dbms: null, global: true, file: 'm.xml' });
    s.define({ name: 'loc', value: 'L', context: null, labels: null, dbms: null, global: false, file: 'a.sql' });
    expect(s.expand('${env} ${x} ${loc}', 'a.sql')).toBe('cli first L');
    expect(s.expand('${loc}', 'b.sql')).toBe('${loc}');
  });
});
