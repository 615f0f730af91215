import { describe, expect, it } from 'vitest';
import {
  aggregateHealth,
  fromIetfStatus,
  httpCodeForStatus,
  parseHealthStatus,
  statusForHttpCode,
  toIetfStatus,
  worseStatus,
} from '../../src/health/aggregate.js';
import { readBodyStatus, readComponentStatus } from '../../src/health/read-body.js';

describe('aggregateHealth', () => {
  it('is HEALTHY with no components', () => {
    expect(aggregateHealth({})).toBe('HEALTHY');
  });
  it('takes the worst component', () => {
    expect(aggregateHealth({ a: { status: 'HEALTHY' }, b: { status: 'HEALTHY' } })).toBe('HEALTHY');
    expect(aggregateHealth({ a: { status: 'HEALTHY' }, b: { status: 'DEGRADED' } })).toBe('DEGRADED');
    expect(aggregateHealth({ a: { status: 'UNHEALTHY' }, b: { status: 'DEGRADED' }, c: { status: 'HEALTHY' } })).toBe(
      'UNHEALTHY',
    );
  });
  it('worseStatus is symmetric', () => {
    expect(worseStatus('DEGRADED', 'HEALTHY')).toBe('DEGRADED');
    expect(worseStatus('HEALTHY', 'DEGRADED')).toBe('DEGRADED');
    expect(worseStatus('UNHEALTHY', 'DEGRADED')).toBe('UNHEALTHY');
  });
});

describe('status mappings', () => {
  it('maps to and from IETF status, with the draft aliases', () => {
    expect(['HEALTHY', 'DEGRADED', 'UNHEALTHY'].map((s) => toIetfStatus(s as never))).toEqual(['pass', 'warn', 'fail']);
    expect(['pass', 'ok', 'up', 'warn', 'fail', 'error', 'down', 'PASS'].map(fromIetfStatus)).toEqual([
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'DEGRADED',
      'UNHEALTHY',
      'UNHEALTHY',
      'UNHEALTHY',
      'HEALTHY',
    ]);
    expect(fromIetfStatus('green')).toBeUndefined();
  });
  it('maps to HTTP codes: 200 / 206 (or 200) / 503', () => {
    expect(httpCodeForStatus('HEALTHY')).toBe(200);
    expect(httpCodeForStatus('DEGRADED')).toBe(206);
    expect(httpCodeForStatus('DEGRADED', { degradedCode: 200 })).toBe(200);
    expect(httpCodeForStatus('UNHEALTHY')).toBe(503);
    expect(httpCodeForStatus('UNHEALTHY', { degradedCode: 200 })).toBe(503);
  });
  it('reads HTTP codes as the best status they allow', () => {
    expect([200, 204, 206, 301, 401, 404, 500, 503].map(statusForHttpCode)).toEqual([
      'HEALTHY',
      'HEALTHY',
      'DEGRADED',
      'UNHEALTHY',
      'UNHEALTHY',
      'UNHEALTHY',
      'UNHEALTHY',
      'UNHEALTHY',
    ]);
  });
  it('parses seed statuses case-insensitively', () => {
    expect(parseHealthStatus('healthy')).toBe('HEALTHY');
    expect(parseHealthStatus('Degraded')).toBe('DEGRADED');
    expect(parseHealthStatus('OK')).toBeUndefined();
  });
});

describe('readBodyStatus', () => {
  it('prefers the seed overall.status over the IETF status', () => {
    expect(readBodyStatus({ overall: { status: 'DEGRADED' }, status: 'pass' })).toEqual({
      status: 'DEGRADED',
      reason: 'overall.status DEGRADED',
    });
  });
  it('reads the IETF status', () => {
    expect(readBodyStatus({ status: 'warn', checks: {} })).toEqual({ status: 'DEGRADED', reason: 'status "warn"' });
  });
  it('explains what it cannot read', () => {
    expect(readBodyStatus([1, 2])).toEqual({ status: undefined, reason: 'body is not a JSON object' });
    expect(readBodyStatus({ overall: { status: 'GREEN' } }).reason).toBe(
      'overall.status "GREEN" is not HEALTHY, DEGRADED or UNHEALTHY',
    );
    expect(readBodyStatus({ status: 'meh' }).reason).toBe('status "meh" is not pass, warn or fail');
    expect(readBodyStatus({ up: true }).reason).toBe(
      'body has neither overall.status (seed) nor status (IETF health check)',
    );
    expect(readBodyStatus(null).status).toBeUndefined();
  });
});

describe('readComponentStatus', () => {
  it('reads the seed components.<name>.status', () => {
    expect(
      readComponentStatus({ components: { database: { status: 'UNHEALTHY', responseTime: 3 } } }, 'database'),
    ).toBe('UNHEALTHY');
    expect(readComponentStatus({ components: { database: { status: 'HEALTHY' } } }, 'database')).toBe('HEALTHY');
  });
  it('reads IETF checks keyed name or name:measurement, worst wins', () => {
    const body = {
      status: 'fail',
      checks: { 'database:connection': [{ status: 'pass' }, { status: 'fail' }], 'cache:hits': [{ status: 'fail' }] },
    };
    expect(readComponentStatus(body, 'database')).toBe('UNHEALTHY');
    expect(readComponentStatus({ checks: { database: [{ status: 'warn' }] } }, 'database')).toBe('DEGRADED');
  });
  it('reads IETF words in the seed shape and ignores words it does not know', () => {
    expect(readComponentStatus({ components: { database: { status: 'down' } } }, 'database')).toBe('UNHEALTHY');
    expect(readComponentStatus({ components: { database: { status: 'UNKNOWN' } } }, 'database')).toBeUndefined();
    expect(readComponentStatus({ checks: { database: [{ status: 'maybe' }, { status: 'pass' }] } }, 'database')).toBe(
      'HEALTHY',
    );
    expect(readComponentStatus({ checks: { database: [{ nostatus: 1 }] } }, 'database')).toBeUndefined();
  });
  it('is undefined when the component is not reported', () => {
    expect(readComponentStatus({ overall: { status: 'HEALTHY' } }, 'database')).toBeUndefined();
    expect(readComponentStatus('nope', 'database')).toBeUndefined();
  });
});
