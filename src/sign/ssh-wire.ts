/**
 * The SSH wire encoding (RFC 4251 §5: uint32, string, mpint) and OpenSSH public key blobs, for sshsig.ts and
 * openssh-key.ts. Hand-written: it is a few lines, and no well-kept npm library reads OpenSSH private keys AND
 * writes sshsig without pulling in a whole SSH client (ssh2) or native code (sshpk is unmaintained since 2021).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

/** Reads SSH wire fields from a buffer; throws WireError past its end. */
export class WireReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  uint32(): number {
    if (this.at + 4 > this.buf.length) throw new WireError('truncated');
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }

  bytes(n: number): Buffer {
    if (n < 0 || this.at + n > this.buf.length) throw new WireError('truncated');
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  get rest(): number {
    return this.buf.length - this.at;
  }
}

export class WireError extends Error {}

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** An SSH `string`: uint32 length, then the bytes. */
export const sshString = (v: Buffer | string): Buffer => {
  const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  return Buffer.concat([u32(b.length), b]);
};

/** An mpint from big-endian magnitude bytes (leading zeros stripped, a 0x00 added when the top bit is set). */
export const sshMpint = (magnitude: Buffer): Buffer => {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  let b = magnitude.subarray(i);
  if (b.length && b[0]! & 0x80) b = Buffer.concat([Buffer.alloc(1), b]);
  return sshString(b);
};

/** mpint bytes (as read) → base64url without a sign byte, for JWK. */
export const mpintToB64u = (b: Buffer): string => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i).toString('base64url');
};

/** A public key blob (`ssh-ed25519` or `ssh-rsa`) as a Node KeyObject, with its type. */
export function publicKeyFromBlob(blob: Buffer): { type: 'ssh-ed25519' | 'ssh-rsa'; key: KeyObject } {
  const r = new WireReader(blob);
  const type = r.text();
  if (type === 'ssh-ed25519') {
    const x = r.string();
    if (x.length !== 32) throw new WireError('ed25519 public key is not 32 bytes');
    return {
      type,
      key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url') }, format: 'jwk' }),
    };
  }
  if (type === 'ssh-rsa') {
    const e = r.string();
    const n = r.string();
    return { type, key: createPublicKey({ key: { kty: 'RSA', n: mpintToB64u(n), e: mpintToB64u(e) }, format: 'jwk' }) };
  }
  throw new WireError(`unsupported key type ${type} (ssh-ed25519 and ssh-rsa are supported)`);
}

/** `ssh-ed25519 AAAA…` text of a public key blob. */
export function blobToAuthorizedKey(blob: Buffer): string {
  return `${new WireReader(blob).text()} ${blob.toString('base64')}`;
}
