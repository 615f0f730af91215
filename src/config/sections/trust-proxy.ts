import { isIP } from 'node:net';
import { z } from 'zod';

/** The named ranges Fastify's trustProxy (proxy-addr) expands: 127.0.0.1/8 and ::1; 169.254/16 and fe80::/10; private. */
export const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const;

/**
 * Why `entry` is not a proxy address Fastify's trustProxy list takes (an IPv4 or IPv6 address, a CIDR range such as
 * 10.0.0.0/8, or a named range), or undefined when it is. A /0 range is refused: it trusts every address, so the
 * client would be the leftmost X-Forwarded-For entry, the one it writes itself.
 */
export function proxyAddressProblem(entry: string): string | undefined {
  if ((PROXY_RANGE_NAMES as readonly string[]).includes(entry)) return undefined;
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = entry.includes('%') ? 0 : isIP(address); // a zone id (fe80::1%eth0) is not in a forwarded address
  if (family === 0)
    return `"${entry}" is not an IP address, a CIDR range (10.0.0.0/8, fd00::/8) or one of ${PROXY_RANGE_NAMES.join(', ')}`;
  if (slash < 0) return undefined;
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max)
    return `"${entry}": the prefix length after "/" must be a number from 1 to ${max}`;
  if (Number(bits) === 0)
    return `"${entry}" trusts every address, so a client could name its own; list the proxies' addresses`;
  return undefined;
}

const proxyAddress = z.string().superRefine((entry, ctx) => {
  const problem = proxyAddressProblem(entry);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * server.trustProxy: `false`; `true` (one proxy) or a number (a chain of that many), whatever their addresses; or the
 * proxies' addresses, so X-Forwarded-* count only when the peer is one of them.
 */
export const trustProxySchema = z
  .union([z.boolean(), z.number().int().min(1).max(16), z.array(proxyAddress).min(1).max(64)], {
    error: 'expected true, false, a number of proxies (1-16) or a list of proxy addresses and CIDR ranges',
  })
  .default(false);

export type TrustProxySetting = z.infer<typeof trustProxySchema>;
