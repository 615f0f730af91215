/**
 * A TCP relay in front of a real server (PostgreSQL on 127.0.0.1:5432, an sshd) that a test can take away and bring
 * back on the same port: `stop()` closes the listener and resets every relayed connection (clients then see
 * ECONNREFUSED, as when the server is down), `start()` listens again; `cut()` resets the live connections only (new
 * ones are relayed, as after a dropped link). `limit` caps the client→server bytes per second (a slow link), so a
 * test can catch a transfer in flight; `unlimit()` lifts it. Nothing in the protocol is touched.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** The database URL `url` rewritten to go through the relay. */
  via: (url: string) => string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  /** Resets every relayed connection; the relay keeps listening. */
  cut: () => void;
  /** Ends the client→server bandwidth cap (connections relayed from now on, and the live ones). */
  unlimit: () => void;
  /** Connections relayed so far (a test can check the code under test really went through it). */
  connections: () => number;
}

/** Starts a relay on a free port of 127.0.0.1 to `host:port`; `limit.bytesPerSecond` caps client→server. */
export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
  limit: { bytesPerSecond?: number } = {},
): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let count = 0;
  let rate = limit.bytesPerSecond ?? 0;
  const server = net.createServer((client) => {
    count++;
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    upstream.pipe(client);
    // client → upstream by hand, so a bandwidth cap can hold the client back (backpressure reaches the sender).
    const t0 = performance.now();
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
      const ahead = rate > 0 ? (sent / rate) * 1000 - (performance.now() - t0) : 0;
      if (ahead > 0) {
        client.pause();
        setTimeout(() => client.resume(), ahead); // the link's pace, not a test wait
      }
    });
    client.on('end', () => upstream.end());
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(0);
  return {
    port,
    via: (url) => {
      const u = new URL(url);
      u.port = String(port);
      return u.toString();
    },
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of open) s.resetAndDestroy();
      await closed;
    },
    start: async () => {
      await listen(port);
    },
    cut: () => {
      for (const s of open) s.resetAndDestroy();
    },
    unlimit: () => {
      rate = 0;
    },
    connections: () => count,
  };
}
