/** PromQL-style instant-vector selectors (`name{label="v",code=~"5.."}`) over a parsed scrape. */
import { SlipwayError } from '../errors.js';
import type { PromExposition, PromSample } from './prometheus.js';

export interface LabelMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  name: string;
  matchers: LabelMatcher[];
}

/** Parses `name` or `name{label op "value", …}`; throws E_CONFIG naming the field on a bad selector. */
export function parseSelector(text: string, field = 'selector'): Selector {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$/.exec(text);
  const bad = (why: string): never => {
    throw new SlipwayError('E_CONFIG', `${field}: "${text}" ${why}`, {
      field,
      hint: 'Write a selector like http_requests_total{status=~"5.."}.',
    });
  };
  if (!m) bad('is not a metric selector');
  const matchers: LabelMatcher[] = [];
  const body = m![2] ?? '';
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let pos = 0;
  while (pos < body.length && body.slice(pos).trim() !== '') {
    re.lastIndex = pos;
    const mm = re.exec(body);
    if (!mm) bad(`has a malformed label matcher at "${body.slice(pos)}"`);
    const value = mm![3]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (mm![2]!.includes('~')) {
      try {
        new RegExp(value);
      } catch {
        bad(`has an invalid regular expression "${value}"`);
      }
    }
    matchers.push({ label: mm![1]!, op: mm![2] as LabelMatcher['op'], value });
    pos = re.lastIndex;
  }
  return { name: m![1]!, matchers };
}

/** True when the sample matches; regexes are anchored at both ends as in PromQL, a missing label is "". */
export function matchesSelector(sample: PromSample, selector: Selector): boolean {
  if (sample.name !== selector.name) return false;
  return selector.matchers.every(({ label, op, value }) => {
    const actual = sample.labels[label] ?? '';
    switch (op) {
      case '=':
        return actual === value;
      case '!=':
        return actual !== value;
      case '=~':
        return new RegExp(`^(?:${value})$`).test(actual);
      case '!~':
        return !new RegExp(`^(?:${value})$`).test(actual);
    }
  });
}

/** Sum of the values of matching samples; null when the scrape neither has nor declares that metric. */
export function sumSelected(exposition: PromExposition, selector: Selector): number | null {
  let seen = false;
  let sum = 0;
  for (const s of exposition.samples) {
    if (s.name !== selector.name) continue;
    seen = true;
    if (matchesSelector(s, selector)) sum += s.value;
  }
  // A family declared by `# TYPE` but without samples yet (a counter nobody has incremented since the
  // restart) is zero, not missing; a name the scrape never mentions stays null (likely a wrong selector).
  if (seen) return sum;
  const family = selector.name.replace(/_(total|sum|count|bucket)$/, '');
  return exposition.types[selector.name] !== undefined || exposition.types[family] !== undefined ? 0 : null;
}
