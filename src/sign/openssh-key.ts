/**
 * Reads an unencrypted OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`, PROTOCOL.key) into a Node
 * KeyObject: ed25519 and RSA. Node's crypto imports PEM/DER/JWK but not this format, so the few fields are read
 * here (see ssh-wire.ts for why no library). A passphrase-protected key is refused with a clear error.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import { mpintToB64u, sshMpint, sshString, WireError, WireReader } from './ssh-wire.js';

export interface SigningKey {
  type: 'ssh-ed25519' | 'ssh-rsa';
  privateKey: KeyObject;
  /** The public key blob (SSH wire format), as written into the signature. */
  publicBlob: Buffer;
}

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

/** Parses the text of an OpenSSH private key file; `file` is only for messages. */
export function parseOpenSshPrivateKey(text: string, file: string): SigningKey {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  const fail = (why: string, hint?: string) =>
    new SlipwayError('E_SIGN', `cannot use ${file} as a signing key: ${why}`, {
      file,
      hint: hint ?? 'Pass an OpenSSH private key (ssh-keygen -t ed25519 -f key), not the .pub file.',
    });
  if (!m) throw fail('not an OpenSSH private key (no BEGIN OPENSSH PRIVATE KEY block)');
  const raw = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  if (!raw.subarray(0, MAGIC.length).equals(MAGIC)) throw fail('not an openssh-key-v1 key');
  try {
    const r = new WireReader(raw.subarray(MAGIC.length));
    const cipher = r.text();
    r.text(); // kdfname
    r.string(); // kdfoptions
    if (cipher !== 'none')
      throw fail(
        `the key is passphrase-protected (${cipher})`,
        'Slipway does not prompt for passphrases. Sign with an unencrypted key kept by the CI secret store, or ' +
          'sign yourself: ssh-keygen -Y sign -f KEY -n slipway-package PACKAGE (it writes PACKAGE.sig).',
      );
    if (r.uint32() !== 1) throw fail('the file holds more than one key');
    const publicBlob = Buffer.from(r.string());
    const priv = new WireReader(r.string());
    if (priv.uint32() !== priv.uint32()) throw fail('corrupt private section (check integers differ)');
    const type = priv.text();
    if (type === 'ssh-ed25519') {
      const pub = priv.string();
      const secret = priv.string(); // 32-byte seed then the 32-byte public key
      if (pub.length !== 32 || secret.length !== 64) throw fail('corrupt ed25519 key');
      const privateKey = createPrivateKey({
        key: {
          kty: 'OKP',
          crv: 'Ed25519',
          d: secret.subarray(0, 32).toString('base64url'),
          x: pub.toString('base64url'),
        },
        format: 'jwk',
      });
      return { type, privateKey, publicBlob };
    }
    if (type === 'ssh-rsa') {
      const [n, e, d, iqmp, p, q] = [
        priv.string(),
        priv.string(),
        priv.string(),
        priv.string(),
        priv.string(),
        priv.string(),
      ];
      const big = (b: Buffer) => BigInt(`0x${b.toString('hex') || '0'}`);
      const toB64u = (v: bigint) => {
        const hex = v.toString(16);
        return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url');
      };
      const privateKey = createPrivateKey({
        key: {
          kty: 'RSA',
          n: mpintToB64u(n),
          e: mpintToB64u(e),
          d: mpintToB64u(d),
          p: mpintToB64u(p),
          q: mpintToB64u(q),
          dp: toB64u(big(d) % (big(p) - 1n)),
          dq: toB64u(big(d) % (big(q) - 1n)),
          qi: mpintToB64u(iqmp),
        },
        format: 'jwk',
      });
      // The blob in the file is authoritative, but rebuild it to be sure it matches the private half.
      const rebuilt = Buffer.concat([sshString('ssh-rsa'), sshMpint(e), sshMpint(n)]);
      if (!rebuilt.equals(publicBlob)) throw fail('the public key does not match the private key');
      return { type, privateKey, publicBlob };
    }
    throw fail(`unsupported key type ${type}`, 'Use an ed25519 (recommended) or RSA key.');
  } catch (e) {
    if (e instanceof SlipwayError) throw e;
    if (e instanceof WireError) throw fail(`corrupt key file (${e.message})`);
    throw fail((e as Error).message);
  }
}
