/**
 * SSH signatures in OpenSSH's `sshsig` format (PROTOCOL.sshsig), the format `ssh-keygen -Y sign/verify` reads and
 * writes: an armored blob holding the public key, the namespace, the hash algorithm and the signature over
 * `"SSHSIG" || string(namespace) || string(reserved) || string(hash_alg) || string(H(message))`.
 * Pure functions over bytes; the message digest comes from the caller (src/fileset/hash.ts).
 */
import { sign, verify } from 'node:crypto';
import type { SigningKey } from './openssh-key.js';
import { publicKeyFromBlob, sshString, u32, WireError, WireReader } from './ssh-wire.js';

const MAGIC = Buffer.from('SSHSIG', 'latin1');
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';

export type SshSigHash = 'sha512' | 'sha256';

/** The bytes that get signed: what `ssh-keygen -Y sign` signs for this namespace and message digest. */
function signedData(namespace: string, hash: SshSigHash, digest: Buffer): Buffer {
  return Buffer.concat([MAGIC, sshString(namespace), sshString(''), sshString(hash), sshString(digest)]);
}

/** Signs a message digest (sha512 of the message) and returns the armored signature text. */
export function createSshSig(key: SigningKey, namespace: string, sha512Digest: Buffer): string {
  const data = signedData(namespace, 'sha512', sha512Digest);
  // ssh-keygen signs RSA with rsa-sha2-512 (never SHA-1 ssh-rsa) and ed25519 as is.
  const [alg, sig] =
    key.type === 'ssh-ed25519'
      ? ['ssh-ed25519', sign(null, data, key.privateKey)]
      : ['rsa-sha2-512', sign('sha512', data, key.privateKey)];
  const blob = Buffer.concat([
    MAGIC,
    u32(1),
    sshString(key.publicBlob),
    sshString(namespace),
    sshString(''),
    sshString('sha512'),
    sshString(Buffer.concat([sshString(alg), sshString(sig)])),
  ]);
  const b64 = blob
    .toString('base64')
    .match(/.{1,70}/g)!
    .join('\n');
  return `${BEGIN}\n${b64}\n${END}\n`;
}

export interface ParsedSshSig {
  publicBlob: Buffer;
  namespace: string;
  hash: SshSigHash;
  sigAlg: string;
  signature: Buffer;
}

/** Parses an armored sshsig; throws Error with a reason when it is not one. */
export function parseSshSig(text: string): ParsedSshSig {
  const m = new RegExp(`${BEGIN}([\\s\\S]*?)${END}`).exec(text);
  if (!m) throw new Error('not an SSH signature (no BEGIN SSH SIGNATURE block)');
  const raw = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  try {
    const r = new WireReader(raw);
    if (!r.bytes(6).equals(MAGIC)) throw new Error('not an SSHSIG blob');
    const version = r.uint32();
    if (version !== 1) throw new Error(`unsupported sshsig version ${version}`);
    const publicBlob = Buffer.from(r.string());
    const namespace = r.text();
    r.string(); // reserved
    const hash = r.text();
    if (hash !== 'sha512' && hash !== 'sha256') throw new Error(`unsupported hash algorithm ${hash}`);
    const sig = new WireReader(r.string());
    const sigAlg = sig.text();
    const signature = Buffer.from(sig.string());
    return { publicBlob, namespace, hash, sigAlg, signature };
  } catch (e) {
    if (e instanceof WireError) throw new Error(`truncated SSH signature (${e.message})`);
    throw e;
  }
}

/** True when `sig` is a valid signature of the message with this digest (sig.hash of the message) by its key. */
export function verifySshSig(sig: ParsedSshSig, namespace: string, messageDigest: Buffer): boolean {
  if (sig.namespace !== namespace) return false;
  const { type, key } = publicKeyFromBlob(sig.publicBlob);
  const data = signedData(namespace, sig.hash, messageDigest);
  if (type === 'ssh-ed25519') return sig.sigAlg === 'ssh-ed25519' && verify(null, data, key, sig.signature);
  // Like ssh-keygen, no SHA-1 (`ssh-rsa`) signatures.
  if (sig.sigAlg === 'rsa-sha2-512') return verify('sha512', data, key, sig.signature);
  if (sig.sigAlg === 'rsa-sha2-256') return verify('sha256', data, key, sig.signature);
  return false;
}
