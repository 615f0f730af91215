import { describe, expect, it } from 'vitest';
import { commandGroupsFor, main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/output.js';

function io(): CliIO & { out: string; err: string } {
  const sink = { out: '', err: '' };
  return Object.assign(sink, {
    stdout: (t: string) => void (sink.out += t),
    stderr: (t: string) => void (sink.err += t),
    isTTY: false,
    env: {},
    cwd: process.cwd(),
    readStdin: async () => '',
  });
}

describe('CLI main', () => {
  it('loads only the command group the first word names', () => {
    expect(commandGroupsFor(['db', 'package', '--changelog', 'x.xml'])).toEqual(['db']);
    expect(commandGroupsFor(['rollback', '--emergency'])).toEqual(['deploy']);
    expect(commandGroupsFor(['validate', 'p.tar.gz'])).toEqual(['build']);
    expect(commandGroupsFor(['user', 'add', 'ann'])).toEqual(['serve']);
    expect(commandGroupsFor(['--version'])).toEqual([]);
    expect(commandGroupsFor(['--help'])).toEqual(['build', 'db', 'deploy', 'serve']);
    expect(commandGroupsFor(['bogus'])).toEqual(['build', 'db', 'deploy', 'serve']);
  });

  it('exits 2 for an unknown command and 0 for --help listing every command', async () => {
    const a = io();
    expect(await main(['bogus'], a)).toBe(2);
    const b = io();
    expect(await main(['--help'], b)).toBe(0);
    for (const c of ['build', 'validate', 'db', 'deploy', 'rollback', 'releases', 'serve', 'health', 'user'])
      expect(b.out).toContain(c);
  });

  it('maps a config error to exit 2 with the message and hint on stderr, nothing on stdout', async () => {
    const a = io();
    expect(await main(['stage', '--config', '/nonexistent/slipway.config.yaml'], a)).toBe(2);
    expect(a.err).toContain('E_CONFIG_NOT_FOUND');
    expect(a.err).toContain('hint:');
    expect(a.out).toBe('');
  });
});
