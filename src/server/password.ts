import { scrypt, randomBytes, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { sha256Hex } from '../fileset/hash.js';

// OWASP suggests N=2^17 (128 MiB per hash); 2^15, r=8, p=1 (32 MiB) keeps a login affordable on a shared 2-core box.
// Stored hashes carry their parameters, so raising N later still verifies old hashes.
const PARAMS = { N: 32768, r: 8, p: 1, keylen: 32 } as const;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { ...opts, maxmem: 128 * opts.N! * opts.r! * 2 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (base64url), with a fresh 16-byte salt per user. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, PARAMS.keylen, { N: PARAMS.N, r: PARAMS.r, p: PARAMS.p });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Checks a password against a stored hash with a timing-safe compare; false for malformed hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length === 0) return false;
  const key = await scryptAsync(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(key, expected);
}

/** API tokens are 32 random bytes, so one SHA-256 suffices to store them (no slow hash needed for high entropy). */
export function generateToken(): string {
  return `slw_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return sha256Hex(token);
}

/**
 * Constant-time string equality for secrets (CSRF tokens, session ids, an API token against the one a connection was
 * admitted with): the time depends on the lengths only, never on where the texts differ. Compares UTF-16 code units
 * with no branch on their values (OR of XORs), so no Buffers are made (two per call were ~4x the cost, and UTF-8
 * encoding made two different lone surrogates equal).
 */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
