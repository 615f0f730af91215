// Ports for the servers tests start: one rule for the whole suite, so no two test files hand out the same port.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isPidAlive } from '../../src/pid-alive.js';

/**
 * A TCP port nothing listens on right now (an ephemeral one: any process on the machine may be given it next, by a
 * bind to port 0 or as an outgoing connection's local port) — reservedPort's fallback only.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether 127.0.0.1:port can be listened on right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

const RESERVATIONS = path.join(tmpdir(), 'slipway-test-ports');
/** Reservations this process holds (their dirs). */
const reservedHere: { port: number; dir: string }[] = [];
process.once('exit', () => {
  for (const r of reservedHere) rmSync(r.dir, { recursive: true, force: true });
});

/** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
export function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/** Whether this reservation's owner process is gone (or never wrote its pid: a reservation being made is not). */
function reservationStale(dir: string): boolean {
  try {
    return !isPidAlive(Number(readFileSync(path.join(dir, 'pid'), 'utf8')));
  } catch {
    return false;
  }
}

/**
 * A TCP port for a server that must keep it across restarts (a host's sshd, a fleet app's fixed health URL), which
 * nothing else on this machine can be given meanwhile: it lies below the kernel's ephemeral range
 * (ip_local_port_range), so no bind to port 0 and no outgoing connection is ever given it — freePort's ports are,
 * between the moment one is chosen and the server binding it, and between a restart's stop and start — and it is
 * reserved for this process (`<tmpdir>/slipway-test-ports/<port>`, mkdir; a reservation whose process is gone is
 * taken over), so concurrent test files and test runs of this suite never share one. Released when this process
 * exits, or by `releasePort`.
 */
export async function reservedPort(
  /** For the helper's own test: the ports to choose from and the reservations directory. */
  o: { candidates?: number[]; dir?: string } = {},
): Promise<number> {
  const low = ephemeralLow();
  const first = Math.max(1024, low - 8000);
  const candidates = o.candidates ?? Array.from({ length: Math.max(0, low - first) }, (_, i) => first + i);
  if (!o.candidates && candidates.length < 100) return freePort(); // no room below the ephemeral range: the old way
  const reservations = o.dir ?? RESERVATIONS;
  mkdirSync(reservations, { recursive: true });
  const start = Math.floor(Math.random() * candidates.length);
  for (let k = 0; k < candidates.length; k++) {
    const port = candidates[(start + k) % candidates.length]!;
    const dir = path.join(reservations, String(port));
    try {
      mkdirSync(dir);
    } catch {
      if (!reservationStale(dir)) continue;
      rmSync(dir, { recursive: true, force: true });
      try {
        mkdirSync(dir); // another process taking over the same stale reservation: one of us wins
      } catch {
        continue;
      }
    }
    writeFileSync(path.join(dir, 'pid'), String(process.pid));
    if (await canListen(port)) {
      reservedHere.push({ port, dir });
      return port;
    }
    rmSync(dir, { recursive: true, force: true }); // something outside this suite listens there
  }
  throw new Error(`no free port among ${candidates.length} candidates`);
}

/** Gives back a port `reservedPort` reserved (nothing when this process does not hold it). */
export function releasePort(port: number): void {
  for (let i = reservedHere.length - 1; i >= 0; i--)
    if (reservedHere[i]!.port === port) rmSync(reservedHere.splice(i, 1)[0]!.dir, { recursive: true, force: true });
}
