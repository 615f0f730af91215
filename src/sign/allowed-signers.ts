/**
 * OpenSSH `allowed_signers` files (ssh-keygen(1), "ALLOWED SIGNERS"): one key per line,
 * `principals [options] keytype base64-key [comment]`, options `namespaces="…"`, `valid-after=`, `valid-before=`,
 * `cert-authority`. The same file works with `ssh-keygen -Y verify -f`. Pure.
 */
import { WireReader } from './ssh-wire.js';

export interface AllowedSigner {
  line: number;
  principals: string[];
  namespaces: string[] | null;
  validAfter: Date | null;
  validBefore: Date | null;
  certAuthority: boolean;
  publicBlob: Buffer;
}

const KEY_TYPES = new Set(['ssh-ed25519', 'ssh-rsa']);
const ALL_KEY_TYPES = /^(ssh-|ecdsa-|sk-)/;

/** Splits on whitespace outside double quotes. */
function tokens(line: string): string[] {
  const out: string[] = [];
  const re = /(?:"[^"]*"|[^\s"])+/g;
  for (const m of line.matchAll(re)) out.push(m[0]);
  return out;
}

/** `YYYYMMDD[HHMM[SS]][Z]` as ssh-keygen reads it (local time unless Z; UTC here for a deterministic reading). */
function parseTime(v: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?Z?$/.exec(v);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

/** Parses the file's text; unusable lines are returned as problems with their line number. */
export function parseAllowedSigners(text: string): { signers: AllowedSigner[]; problems: string[] } {
  const signers: AllowedSigner[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const t = tokens(line);
    const principals = t.shift()!.replace(/^"|"$/g, '').split(',');
    let options: string[] = [];
    if (t[0] && !ALL_KEY_TYPES.test(t[0])) options = t.shift()!.match(/(?:"[^"]*"|[^,])+/g) ?? [];
    const [type, b64] = t;
    if (!type || !b64) return void problems.push(`line ${i + 1}: expected "principals [options] keytype key"`);
    if (!KEY_TYPES.has(type))
      return void problems.push(`line ${i + 1}: key type ${type} is not supported (ssh-ed25519, ssh-rsa)`);
    const publicBlob = Buffer.from(b64, 'base64');
    try {
      if (new WireReader(publicBlob).text() !== type) throw new Error();
    } catch {
      return void problems.push(`line ${i + 1}: the ${type} key is not valid base64 of a ${type} key`);
    }
    const signer: AllowedSigner = {
      line: i + 1,
      principals,
      namespaces: null,
      validAfter: null,
      validBefore: null,
      certAuthority: false,
      publicBlob,
    };
    for (const o of options) {
      const [k, ...rest] = o.split('=');
      const v = rest.join('=').replace(/^"|"$/g, '');
      const key = k!.toLowerCase();
      if (key === 'cert-authority') signer.certAuthority = true;
      else if (key === 'namespaces') signer.namespaces = v.split(',');
      else if (key === 'valid-after' || key === 'valid-before') {
        const d = parseTime(v);
        if (!d) return void problems.push(`line ${i + 1}: cannot read ${key}="${v}"`);
        if (key === 'valid-after') signer.validAfter = d;
        else signer.validBefore = d;
      } else return void problems.push(`line ${i + 1}: unknown option ${k}`);
    }
    signers.push(signer);
  });
  return { signers, problems };
}

/** Glob of ssh principals (`*`, `?`), as in ssh's match_pattern. */
function matches(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

/** The signers that trust this key for this namespace at `now` (certificate authorities never match a plain key). */
export function findSigners(
  signers: AllowedSigner[],
  publicBlob: Buffer,
  namespace: string,
  now: Date,
): AllowedSigner[] {
  return signers.filter(
    (s) =>
      !s.certAuthority &&
      s.publicBlob.equals(publicBlob) &&
      (s.namespaces === null || s.namespaces.some((n) => matches(n, namespace))) &&
      (s.validAfter === null || now >= s.validAfter) &&
      (s.validBefore === null || now <= s.validBefore),
  );
}
