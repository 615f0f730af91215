// The fleet watch window's report names the host whose own counters tripped, not the fleet's sum: when one host's
// failures are the whole of the fleet's traffic in the window, the sum trips on the same sample as that host. Two real
// HTTP servers on loopback serve /health and Prometheus /metrics (counters the test sets); a manual clock makes the
// ticks instant, so the windows are covered without waiting.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchClock } from '../../../src/deploy/watch.js';
import type { ConnectedHost } from '../../../src/fleet/fleet-connect.js';
import { watchFleet } from '../../../src/fleet/fleet-watch.js';

interface FakeHost {
  label: string;
  server: http.Server;
  scrapes: number;
  /** The /work counters /metrics reports at a given scrape. */
  counters: (scrape: number) => { ok: number; failed: number };
}

const hosts: FakeHost[] = [];

async function fakeHost(label: string, counters: FakeHost['counters']): Promise<FakeHost> {
  const h: FakeHost = { label, scrapes: 0, counters, server: http.createServer() };
  h.server.on('request', (req, res) => {
    if (req.url === '/metrics') {
      const c = h.counters(++h.scrapes);
      res.end(
        `http_requests_total{path="/work",status="200"} ${c.ok}\nhttp_requests_total{path="/work",status="500"} ${c.failed}\n`,
      );
    } else {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ overall: { status: 'HEALTHY' } }));
    }
  });
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', r));
  hosts.push(h);
  return h;
}

const connected = (h: FakeHost): ConnectedHost => {
  const base = `http://127.0.0.1:${(h.server.address() as AddressInfo).port}`;
  return {
    host: {
      label: h.label,
      view: {
        health: { url: `${base}/health` },
        watch: {
          metricsUrl: `${base}/metrics`,
          thresholds: {
            probeIntervalMs: 250,
            errorRate: 0.2,
            errorRateWindowMs: 4000,
            minRequests: 20,
            requestsSelector: 'http_requests_total{path="/work"}',
            errorsSelector: 'http_requests_total{path="/work",status=~"5.."}',
          },
        },
      },
    },
  } as unknown as ConnectedHost;
};

/** Time moves only when a watch loop sleeps. */
function manualClock(): WatchClock {
  let t = 0;
  return { now: () => t, sleep: async (ms) => void (t += ms) };
}

beforeAll(async () => {
  await fakeHost('host-a', () => ({ ok: 0, failed: 0 }));
  // no traffic for 60 scrapes (the 4 s window covered many times over), then 20 failed requests at once
  await fakeHost('host-b', (n) => ({ ok: 0, failed: n > 60 ? 20 : 0 }));
});
afterAll(async () => {
  for (const h of hosts) await new Promise((r) => h.server.close(r));
});

describe('watchFleet', () => {
  it('names the host whose own error rate tripped when the fleet sum trips on the same sample', async () => {
    const r = await watchFleet({ hosts: hosts.map(connected), durationMs: 600_000, clock: manualClock() });
    expect(r.ok).toBe(false);
    expect(r.trigger?.name).toBe('error-rate');
    expect(r.triggeredOn, r.trigger?.reason).toBe('host-b');
    expect(r.trigger?.reason).toMatch(/^error rate 100\.00 % \(20 of 20 requests\)/);
  }, 60_000);
});
