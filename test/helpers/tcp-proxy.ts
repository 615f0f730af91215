/**
 * A TCP relay in front of a real server (PostgreSQL on 127.0.0.1:5432) that a test can take away and bring back on
 * the same port: `stop()` closes the listener and resets every relayed connection (clients then see ECONNREFUSED,
 * as when the server is down), `start()` listens again. Nothing in the protocol is touched.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** The database URL `url` rewritten to go through the relay. */
  via: (url: string) => string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  /** Connections relayed so far (a test can check the code under test really went through it). */
  connections: () => number;
}

/** Starts a relay on a free port of 127.0.0.1 to `host:port`. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((client) => {
    count++;
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    client.pipe(upstream).pipe(client);
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
    connections: () => count,
  };
}
