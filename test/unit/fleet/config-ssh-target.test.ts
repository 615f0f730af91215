import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { hostHealthUrl, hostRoot, hostTargetView } from '../../../src/config/sections/ssh-view.js';
import { SlipwayError } from '../../../src/errors.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function load(target: string) {
  const text = `name: demo\nversion: 1.0.0\nbuild:\n  components:\n    application:\n      include: ["**"]\ndeploy:\n  targets:\n    fleet:\n${target
    .trim()
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n`;
  const dir = await makeTree({ 'slipway.config.yaml': text }, 'slipway-sshcfg-');
  dirs.push(dir);
  return loadConfig({ cwd: dir, env: {} });
}

async function problems(target: string): Promise<string[]> {
  try {
    await load(target);
  } catch (e) {
    expect(e).toBeInstanceOf(SlipwayError);
    return (e as SlipwayError).details;
  }
  throw new Error('expected the config to be refused');
}

describe('type: ssh targets', () => {
  it('accepts user@host:port strings and objects, with defaults', async () => {
    const { config } = await load(`
type: ssh
path: /srv/app
knownHosts: known_hosts
hosts:
  - deploy@app1.example.com:2222
  - app2.example.com
  - { host: 127.0.0.1, port: 2201, user: root, path: /tmp/h3, healthUrl: "http://127.0.0.1:9003/health", labels: [canary] }
health: { url: "http://placeholder:8080/health" }
rollout: { batch: "25%", canary: 1, pauseMs: 10 }
`);
    const t = config.deploy.targets.fleet!;
    expect(t.type).toBe('ssh');
    if (t.type !== 'ssh') throw new Error('narrowing');
    expect(t.hosts[0]).toEqual({ host: 'app1.example.com', port: 2222, user: 'deploy', labels: [] });
    expect(t.hosts[1]).toEqual({ host: 'app2.example.com', port: 22, labels: [] });
    expect(t.hosts[2]!.labels).toEqual(['canary']);
    expect(t.rollout).toEqual({ batch: '25%', canary: 1, pauseMs: 10 });
    expect(t.parallel).toBe(4);
    expect(t.connectTimeoutMs).toBe(10_000);
    expect(t.kexAlgorithms).toBeUndefined();
    expect(t.strategy).toBe('symlink');
    expect(hostRoot(t, t.hosts[0]!)).toBe('/srv/app');
    expect(hostRoot(t, t.hosts[2]!)).toBe('/tmp/h3');
    expect(hostHealthUrl(t, t.hosts[1]!)).toBe('http://app2.example.com:8080/health');
    expect(hostHealthUrl(t, t.hosts[2]!)).toBe('http://127.0.0.1:9003/health');
    const view = hostTargetView(t, t.hosts[2]!);
    expect(view).toMatchObject({ type: 'local', path: '/tmp/h3', health: { url: 'http://127.0.0.1:9003/health' } });
    expect(view).not.toHaveProperty('hosts');
  });

  it('passes kexAlgorithms to ssh only as one list of algorithm names (unset: OpenSSH default)', async () => {
    const { config } = await load(`
type: ssh
path: /srv/app
knownHosts: kh
hosts: [app1]
kexAlgorithms: curve25519-sha256,sntrup761x25519-sha512@openssh.com
`);
    const t = config.deploy.targets.fleet!;
    if (t.type !== 'ssh') throw new Error('narrowing');
    expect(t.kexAlgorithms).toBe('curve25519-sha256,sntrup761x25519-sha512@openssh.com');
    expect(hostTargetView(t, t.hosts[0]!)).not.toHaveProperty('kexAlgorithms');
    for (const bad of ['curve25519-sha256 -oProxyCommand=x', 'a,,b', '', '-oProxyCommand=x y'])
      expect(
        (
          await problems(`
type: ssh
path: /srv/app
knownHosts: kh
hosts: [app1]
kexAlgorithms: ${JSON.stringify(bad)}
`)
        ).join('\n'),
      ).toMatch(/deploy\.targets\.fleet\.kexAlgorithms: key exchange algorithm names/);
  });

  it('requires knownHosts and names the field', async () => {
    const p = await problems(`
type: ssh
path: /srv/app
hosts: [app1]
`);
    expect(p.join('\n')).toMatch(/deploy\.targets\.fleet\.knownHosts: /);
  });

  it('refuses hostile or malformed hosts, naming each one', async () => {
    const p = await problems(`
type: ssh
path: /srv/app
knownHosts: kh
hosts:
  - "-oProxyCommand=touch /tmp/pwned"
  - "root@host:99999"
  - "-x@host"
  - { host: "-evil", port: 22 }
  - { host: ok, port: 0 }
`);
    const text = p.join('\n');
    expect(text).toMatch(/deploy\.targets\.fleet\.hosts\.0\.host: a host name/);
    expect(text).toMatch(/deploy\.targets\.fleet\.hosts\.1\.port: /);
    expect(text).toMatch(/deploy\.targets\.fleet\.hosts\.2\.user: a user name/);
    expect(text).toMatch(/deploy\.targets\.fleet\.hosts\.3/);
    expect(text).toMatch(/deploy\.targets\.fleet\.hosts\.4/);
  });

  it('needs a root for every host, a valid batch, and refuses blue-green and unknown keys', async () => {
    const p = await problems(`
type: ssh
knownHosts: kh
hosts: [a, { host: b, path: /srv/b }]
rollout: { batch: "150%", canary: 0 }
strategy: blue-green
bogus: 1
`);
    const text = p.join('\n');
    expect(text).toMatch(/deploy\.targets\.fleet\.rollout\.batch: /);
    expect(text).toMatch(/deploy\.targets\.fleet\.strategy: .*blue-green is local only/);
    expect(text).toMatch(/deploy\.targets\.fleet\.bogus: /);
  });

  it('names a host without a root and a duplicate host', async () => {
    const p = await problems(`
type: ssh
knownHosts: kh
hosts: [a, "root@b:22", { host: b, user: root, path: /srv/b }, { host: b, user: root, path: /srv/b }]
`);
    const text = p.join('\n');
    expect(text).toMatch(/deploy\.targets\.fleet\.hosts\.0\.path: host a:22 has no path/);
    expect(text).toMatch(/deploy\.targets\.fleet\.hosts\.3: the same host and path as hosts\.2/);
  });

  it('refuses a relative or multi-line remote path', async () => {
    const p = await problems(`
type: ssh
knownHosts: kh
path: "srv/app"
hosts: [{ host: a, path: "/srv/x\\ny" }]
`);
    expect(p.join('\n')).toMatch(/deploy\.targets\.fleet\.path: an absolute path/);
    expect(p.join('\n')).toMatch(/deploy\.targets\.fleet\.hosts\.0\.path: an absolute path/);
  });
});
