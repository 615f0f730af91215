import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/errors.js';
import { parsePrometheusText } from '../../src/health/prometheus.js';
import { matchesSelector, parseSelector, sumSelected } from '../../src/health/selector.js';

const SCRAPE = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",status="200"} 1027 1395066363000
http_requests_total{method="post",status="400"}    3 1395066363000
http_requests_total{method="get",status="503"} 7
http_requests_total{method="get",status="500",} 2

# a plain comment
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} NaN
weird_gauge -Inf
up +Inf
`;

describe('parsePrometheusText', () => {
  const exp = parsePrometheusText(SCRAPE);
  it('reads types and help', () => {
    expect(exp.types).toEqual({
      http_requests_total: 'counter',
      http_request_duration_seconds: 'histogram',
      rpc_duration_seconds: 'summary',
    });
    expect(exp.help.http_requests_total).toBe('The total number of HTTP requests.');
  });
  it('reads samples with labels, values and timestamps', () => {
    expect(exp.samples[0]).toEqual({
      name: 'http_requests_total',
      labels: { method: 'post', status: '200' },
      value: 1027,
      timestampMs: 1395066363000,
    });
    expect(exp.samples[3]).toEqual({ name: 'http_requests_total', labels: { method: 'get', status: '500' }, value: 2 });
    expect(exp.samples).toHaveLength(12);
  });
  it('unescapes label values', () => {
    expect(exp.samples[4]!.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(exp.samples[4]!.value).toBe(1458255915);
  });
  it('reads special floats', () => {
    expect(exp.samples[6]!.labels.le).toBe('+Inf');
    expect(exp.samples[9]!.value).toBeNaN();
    expect(exp.samples[10]!.value).toBe(-Infinity);
    expect(exp.samples[11]!.value).toBe(Infinity);
  });
  it('unescapes HELP text in one pass', () => {
    expect(parsePrometheusText('# HELP m a\\\\nb\\nc\n').help.m).toBe('a\\nb\nc');
  });
  it('reads what prom-client writes (CRLF tolerated too)', () => {
    expect(parsePrometheusText('a_total 1\r\nb{x="y"} 2.5\r\n').samples.map((s) => s.value)).toEqual([1, 2.5]);
  });
  it.each([
    ['http_requests_total{method="post" 3', 1, 35, 'expected "," or "}" after a label'],
    ['metric abc', 1, 8, '"abc" is not a number'],
    ['{a="b"} 1', 1, 1, 'expected a metric name'],
    ['ok 1\nm{a="b} 1', 2, 10, 'unterminated value of label a'],
    ['m 1 12.5', 1, 5, '"12.5" is not a timestamp in ms'],
    ['# TYPE m rainbow', 1, 10, 'unknown metric type "rainbow"'],
    ['m{a=b} 1', 1, 5, `expected '"' to open the value of label a`],
  ])('rejects %j at line %i col %i', (text, line, column, what) => {
    try {
      parsePrometheusText(text, 'scrape');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SlipwayError);
      expect((e as SlipwayError).message).toBe(`scrape:${line}:${column}: ${what}`);
      expect((e as SlipwayError).line).toBe(line);
    }
  });
});

describe('selectors', () => {
  const exp = parsePrometheusText(SCRAPE);
  it('parses matchers', () => {
    expect(parseSelector('http_requests_total{status=~"5..", method!="get"}')).toEqual({
      name: 'http_requests_total',
      matchers: [
        { label: 'status', op: '=~', value: '5..' },
        { label: 'method', op: '!=', value: 'get' },
      ],
    });
    expect(parseSelector('up')).toEqual({ name: 'up', matchers: [] });
  });
  it('sums matching samples with anchored regexes', () => {
    expect(sumSelected(exp, parseSelector('http_requests_total'))).toBe(1039);
    expect(sumSelected(exp, parseSelector('http_requests_total{status=~"5.."}'))).toBe(9);
    expect(sumSelected(exp, parseSelector('http_requests_total{status=~"5"}'))).toBe(0);
    expect(sumSelected(exp, parseSelector('http_requests_total{status!~"5..",method="post"}'))).toBe(1030);
    expect(sumSelected(exp, parseSelector('http_requests_total{code=""}'))).toBe(1039);
    expect(sumSelected(exp, parseSelector('no_such_metric'))).toBeNull();
  });
  it('treats a declared family without samples as zero', () => {
    const empty = parsePrometheusText(
      '# HELP http_requests_total x\n# TYPE http_requests_total counter\n# TYPE lat_seconds histogram\n',
    );
    expect(sumSelected(empty, parseSelector('http_requests_total{status=~"5.."}'))).toBe(0);
    expect(sumSelected(empty, parseSelector('lat_seconds_count'))).toBe(0);
    expect(sumSelected(empty, parseSelector('other_total'))).toBeNull();
  });
  it('matchesSelector compares names exactly', () => {
    expect(matchesSelector({ name: 'a_total', labels: {}, value: 1 }, parseSelector('a'))).toBe(false);
  });
  it('rejects bad selectors naming the field', () => {
    expect(() => parseSelector('http{status=5}', 'errorsSelector')).toThrow(
      /errorsSelector: "http\{status=5\}" has a malformed label matcher/,
    );
    expect(() => parseSelector('x{a=~"("}', 'f')).toThrow(/invalid regular expression/);
    expect(() => parseSelector('1abc', 'f')).toThrow(/is not a metric selector/);
  });
});
