/**
 * Signed packages, interop both ways with the real `ssh-keygen -Y sign/verify` (OpenSSH is the oracle), and a
 * target with trustedSigners refusing unsigned, foreign-signed and tampered packages before anything is extracted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploy } from '../../src/deploy/deploy.js';
import { SlipwayError } from '../../src/errors.js';
import { validatePackage } from '../../src/manifest/validate.js';
import { signPackage, verifyPackageSignature } from '../../src/sign/package-signature.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { craftPackageEntries, craftTar, writeCrafted } from '../fixtures/deploy/craft.js';
import { ensureDist, runCli } from '../integration/cli-build-helpers.js';
import { makeProject } from '../integration/package-fixture.js';

let dir: string;
let n = 0;
const keys: Record<string, { key: string; pub: string }> = {};

function keygen(name: string, type: string, extra: string[] = []): { key: string; pub: string } {
  const key = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...extra, '-C', `${name}@test`, '-f', key]);
  return { key, pub: path.join(dir, `${name}.pub`) };
}

async function allowed(name: string, principal: string, pubFile: string, options = ''): Promise<string> {
  const file = path.join(dir, name);
  const [type, b64] = (await readFile(pubFile, 'utf8')).trim().split(' ');
  await writeFile(file, `# trusted builders\n${principal} ${options ? `${options} ` : ''}${type} ${b64}\n`);
  return file;
}

async function newPackage(): Promise<string> {
  await mkdir(path.join(dir, 'pkgs'), { recursive: true });
  return writeCrafted(path.join(dir, 'pkgs'), `demo-${n++}`, craftTar(craftPackageEntries()));
}

/** `ssh-keygen -Y verify` exactly as the docs tell an operator to run it. */
function sshVerify(signers: string, identity: string, pkg: string, namespace = 'slipway-package') {
  return spawnSync('ssh-keygen', ['-Y', 'verify', '-f', signers, '-I', identity, '-n', namespace, '-s', `${pkg}.sig`], {
    input: execFileSync('cat', [pkg]),
    encoding: 'utf8',
  });
}

function sshSign(key: string, pkg: string, namespace = 'slipway-package'): void {
  execFileSync('ssh-keygen', ['-Y', 'sign', '-f', key, '-n', namespace, pkg], { stdio: 'pipe' });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-sig-'));
  keys.ed = keygen('ed', 'ed25519', ['-N', '']);
  keys.rsa = keygen('rsa', 'rsa', ['-b', '3072', '-N', '']);
  keys.other = keygen('other', 'ed25519', ['-N', '']);
  keys.locked = keygen('locked', 'ed25519', ['-N', 'secret passphrase']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('interop with ssh-keygen', () => {
  it.each(['ed', 'rsa'])('ours signs (%s key), ssh-keygen -Y verify accepts', async (k) => {
    const pkg = await newPackage();
    const signed = await signPackage(pkg, keys[k]!.key);
    expect(signed.signature).toBe(`${pkg}.sig`);
    const signers = await allowed(`allowed-${k}`, 'ci@example.com', keys[k]!.pub);
    const r = sshVerify(signers, 'ci@example.com', pkg);
    expect(r.stderr + r.stdout).toContain('Good "slipway-package" signature for ci@example.com');
    expect(r.status).toBe(0);
    // Same fingerprint as ssh-keygen -l prints.
    expect(execFileSync('ssh-keygen', ['-l', '-f', keys[k]!.pub], { encoding: 'utf8' })).toContain(signed.fingerprint);
    expect(await verifyPackageSignature(pkg, signers)).toMatchObject({
      ok: true,
      principals: ['ci@example.com'],
      fingerprint: signed.fingerprint,
    });
  });

  it.each(['ed', 'rsa'])('ssh-keygen -Y sign (%s key), ours verifies', async (k) => {
    const pkg = await newPackage();
    sshSign(keys[k]!.key, pkg);
    const signers = await allowed(`allowed2-${k}`, 'ci@example.com', keys[k]!.pub);
    expect(await verifyPackageSignature(pkg, signers)).toMatchObject({ ok: true, problems: [] });
    expect(codes(await validatePackage(pkg, { signers }))).toEqual([]);
  });

  it('refuses another key, a tampered archive and a wrong namespace; ssh-keygen agrees', async () => {
    const signers = await allowed('allowed-ed', 'ci@example.com', keys.ed!.pub);

    const foreign = await newPackage();
    await signPackage(foreign, keys.other!.key);
    expect(sshVerify(signers, 'ci@example.com', foreign).status).not.toBe(0);
    const f = await verifyPackageSignature(foreign, signers);
    expect(f.problems.map((p) => p.code)).toEqual(['SIGNER_UNTRUSTED']);
    expect(f.problems[0]!.message).toMatch(/^signed by SHA256:\S+, a key .*allowed-ed does not trust for packages$/);

    const tampered = await newPackage();
    await signPackage(tampered, keys.ed!.key);
    await appendFile(tampered, Buffer.alloc(1));
    expect(sshVerify(signers, 'ci@example.com', tampered).status).not.toBe(0);
    const t = await verifyPackageSignature(tampered, signers);
    expect(t.problems).toEqual([
      { code: 'SIGNATURE_INVALID', message: `${tampered}.sig does not match the archive (changed after signing?)` },
    ]);

    const otherNs = await newPackage();
    sshSign(keys.ed!.key, otherNs, 'file');
    expect(sshVerify(signers, 'ci@example.com', otherNs).status).not.toBe(0);
    expect((await verifyPackageSignature(otherNs, signers)).problems).toEqual([
      {
        code: 'SIGNATURE_NAMESPACE',
        message: `${otherNs}.sig is a signature for namespace "file", not "slipway-package"`,
      },
    ]);

    const unsigned = await newPackage();
    expect((await verifyPackageSignature(unsigned, signers)).problems.map((p) => p.code)).toEqual([
      'SIGNATURE_MISSING',
    ]);
  });

  it('honours the namespaces= option of allowed_signers, as ssh-keygen does', async () => {
    const pkg = await newPackage();
    await signPackage(pkg, keys.ed!.key);
    const onlyGit = await allowed('allowed-git', 'ci@example.com', keys.ed!.pub, 'namespaces="git"');
    expect(sshVerify(onlyGit, 'ci@example.com', pkg).status).not.toBe(0);
    expect((await verifyPackageSignature(pkg, onlyGit)).problems.map((p) => p.code)).toEqual(['SIGNER_UNTRUSTED']);
    const pkgs = await allowed('allowed-pkg', 'ci@example.com', keys.ed!.pub, 'namespaces="slipway-*"');
    expect(sshVerify(pkgs, 'ci@example.com', pkg).status).toBe(0);
    expect((await verifyPackageSignature(pkg, pkgs)).ok).toBe(true);
  });

  it('refuses a passphrase-protected key with a clear error', async () => {
    const pkg = await newPackage();
    const err = await signPackage(pkg, keys.locked!.key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('E_SIGN');
    expect((err as SlipwayError).message).toBe(
      `cannot use ${keys.locked!.key} as a signing key: the key is passphrase-protected (aes256-ctr)`,
    );
    expect((err as SlipwayError).hint).toContain('ssh-keygen -Y sign -f KEY -n slipway-package PACKAGE');
    const pub = await signPackage(pkg, keys.ed!.pub).catch((e: unknown) => e);
    expect((pub as SlipwayError).message).toMatch(/not an OpenSSH private key/);
  });
});

const codes = (r: { problems: { code: string }[] }) => r.problems.map((p) => p.code);

describe('a target with trustedSigners', () => {
  async function target() {
    const root = path.join(dir, `proj-${n++}`);
    await mkdir(root);
    await copyFile(path.join(dir, 'allowed-ed'), path.join(root, 'allowed_signers'));
    const config = await makeDeployConfig(root, { trustedSigners: 'allowed_signers' });
    return { config, releases: path.join(root, 'target', 'releases') };
  }

  it('refuses unsigned, foreign-signed and tampered packages before anything is extracted', async () => {
    await allowed('allowed-ed', 'ci@example.com', keys.ed!.pub);
    const cases: [string, () => Promise<string>][] = [
      ['SIGNATURE_MISSING', newPackage],
      [
        'SIGNER_UNTRUSTED',
        async () => {
          const p = await newPackage();
          await signPackage(p, keys.other!.key);
          return p;
        },
      ],
      [
        'SIGNATURE_INVALID',
        async () => {
          const p = await newPackage();
          await signPackage(p, keys.ed!.key);
          // Tampered with a consistent .sha256: only the signature can tell.
          await appendFile(p, Buffer.alloc(1));
          await writeFile(`${p}.sha256`, `${execFileSync('sha256sum', [p], { encoding: 'utf8' }).split(' ')[0]}  x\n`);
          return p;
        },
      ],
    ];
    for (const [code, make] of cases) {
      const { config, releases } = await target();
      const err = await deploy({ config, packagePath: await make(), target: 'prod' }).catch((e: unknown) => e);
      expect(err, code).toBeInstanceOf(SlipwayError);
      expect((err as SlipwayError).code).toBe('E_SIGNATURE');
      expect((err as SlipwayError).message).toContain(`[${code}]`);
      expect(await readdir(releases).catch(() => [])).toEqual([]);
    }
  });

  it('deploys a package signed by a trusted key (ours or ssh-keygen)', async () => {
    for (const sign of [(p: string) => signPackage(p, keys.ed!.key), async (p: string) => sshSign(keys.ed!.key, p)]) {
      const { config } = await target();
      const pkg = await newPackage();
      await sign(pkg);
      const r = await deploy({ config, packagePath: pkg, target: 'prod' });
      expect(r.ok, r.reason ?? '').toBe(true);
    }
  });
});

describe('CLI: build --sign and validate --signers (built binary)', () => {
  it(
    'signs at build time; validate --signers accepts it and refuses a foreign signature',
    { timeout: 300_000 },
    async () => {
      await ensureDist();
      const project = (await makeProject()).dir;
      try {
        const b = runCli(['build', '--json', '--sign', keys.ed!.key], project);
        expect(b.code, b.stderr).toBe(0);
        const out = JSON.parse(b.stdout) as { package: { path: string }; signature: { signature: string } };
        expect(out.signature.signature).toBe(`${out.package.path}.sig`);
        const signers = await allowed('allowed-cli', 'ci@example.com', keys.ed!.pub);
        expect(sshVerify(signers, 'ci@example.com', out.package.path).status).toBe(0);
        const ok = runCli(['validate', out.package.path, '--signers', signers], project);
        expect(ok.code, ok.stderr).toBe(0);
        const foreign = await allowed('allowed-cli-other', 'ci@example.com', keys.other!.pub);
        const bad = runCli(['validate', out.package.path, '--signers', foreign], project);
        expect(bad.code).toBe(1);
        expect(bad.stdout).toMatch(/^INVALID .*: 1 problem\(s\)\n {2}SIGNER_UNTRUSTED: signed by SHA256:\S+, a key /);
        const locked = runCli(['build', '--sign', keys.locked!.key], project);
        expect(locked.code).toBe(1);
        expect(locked.stderr).toContain('the key is passphrase-protected');
      } finally {
        await rm(project, { recursive: true, force: true });
      }
    },
  );
});
