/**
 * Package signatures: `<package>.sig` beside the archive, an sshsig in namespace `slipway-package` over the archive
 * bytes, verifiable with plain `ssh-keygen -Y verify -f allowed_signers -I <identity> -n slipway-package -s pkg.sig`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { hashFile, sha256Hex, sha512File } from '../fileset/hash.js';
import { SlipwayError } from '../errors.js';
import { findSigners, parseAllowedSigners } from './allowed-signers.js';
import { parseOpenSshPrivateKey } from './openssh-key.js';
import { createSshSig, parseSshSig, verifySshSig } from './sshsig.js';
import { blobToAuthorizedKey } from './ssh-wire.js';

export const SIGNATURE_NAMESPACE = 'slipway-package';

/** `SHA256:…` fingerprint of a public key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${Buffer.from(sha256Hex(blob), 'hex').toString('base64').replace(/=+$/, '')}`;
}

export interface SignResult {
  signature: string;
  publicKey: string;
  fingerprint: string;
}

/** Signs the archive with an OpenSSH private key file and writes `<package>.sig`. */
export async function signPackage(packagePath: string, keyFile: string): Promise<SignResult> {
  const text = await readFile(keyFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new SlipwayError('E_SIGN', `cannot read signing key ${keyFile}: ${e.code ?? e.message}`, { file: keyFile });
  });
  const key = parseOpenSshPrivateKey(text, keyFile);
  const signature = `${packagePath}.sig`;
  await writeFile(signature, createSshSig(key, SIGNATURE_NAMESPACE, await sha512File(packagePath)), { mode: 0o644 });
  return { signature, publicKey: blobToAuthorizedKey(key.publicBlob), fingerprint: fingerprint(key.publicBlob) };
}

export interface SignatureProblem {
  code: 'SIGNATURE_MISSING' | 'SIGNATURE_INVALID' | 'SIGNATURE_NAMESPACE' | 'SIGNER_UNTRUSTED' | 'SIGNERS_FILE_INVALID';
  message: string;
}

export interface SignatureCheck {
  ok: boolean;
  problems: SignatureProblem[];
  /** Principals of the allowed_signers lines that trust the key (when ok). */
  principals: string[];
  fingerprint: string | null;
}

/**
 * Checks `<package>.sig` against an allowed_signers file: present, an sshsig in namespace slipway-package, by a
 * key the file trusts for that namespace now, and valid over the archive's bytes. Reads only the archive bytes.
 */
export async function verifyPackageSignature(
  packagePath: string,
  signersFile: string,
  now: Date = new Date(),
): Promise<SignatureCheck> {
  const result = (problems: SignatureProblem[], principals: string[] = [], fp: string | null = null) => ({
    ok: problems.length === 0,
    problems,
    principals,
    fingerprint: fp,
  });
  let signersText: string;
  try {
    signersText = await readFile(signersFile, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? String(e);
    return result([{ code: 'SIGNERS_FILE_INVALID', message: `cannot read trusted signers ${signersFile}: ${why}` }]);
  }
  const allowed = parseAllowedSigners(signersText);
  if (allowed.problems.length || allowed.signers.length === 0) {
    const why = allowed.problems.length ? allowed.problems.join('; ') : 'no signer in it';
    return result([{ code: 'SIGNERS_FILE_INVALID', message: `${signersFile}: ${why}` }]);
  }
  const sigFile = `${packagePath}.sig`;
  let sigText: string;
  try {
    sigText = await readFile(sigFile, 'utf8');
  } catch {
    return result([
      { code: 'SIGNATURE_MISSING', message: `the package is not signed: no ${sigFile} (trusted signers required)` },
    ]);
  }
  let sig;
  try {
    sig = parseSshSig(sigText);
  } catch (e) {
    return result([{ code: 'SIGNATURE_INVALID', message: `${sigFile}: ${(e as Error).message}` }]);
  }
  const fp = fingerprint(sig.publicBlob);
  if (sig.namespace !== SIGNATURE_NAMESPACE)
    return result(
      [
        {
          code: 'SIGNATURE_NAMESPACE',
          message: `${sigFile} is a signature for namespace "${sig.namespace}", not "${SIGNATURE_NAMESPACE}"`,
        },
      ],
      [],
      fp,
    );
  const trusted = findSigners(allowed.signers, sig.publicBlob, SIGNATURE_NAMESPACE, now);
  if (trusted.length === 0)
    return result(
      [{ code: 'SIGNER_UNTRUSTED', message: `signed by ${fp}, a key ${signersFile} does not trust for packages` }],
      [],
      fp,
    );
  const digest =
    sig.hash === 'sha512' ? await sha512File(packagePath) : Buffer.from(await hashFile(packagePath), 'hex');
  let valid = false;
  try {
    valid = verifySshSig(sig, SIGNATURE_NAMESPACE, digest);
  } catch (e) {
    return result([{ code: 'SIGNATURE_INVALID', message: `${sigFile}: ${(e as Error).message}` }], [], fp);
  }
  if (!valid)
    return result(
      [{ code: 'SIGNATURE_INVALID', message: `${sigFile} does not match the archive (changed after signing?)` }],
      [],
      fp,
    );
  return result([], [...new Set(trusted.flatMap((s) => s.principals))], fp);
}
