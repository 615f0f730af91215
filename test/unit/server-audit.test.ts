import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLine, createAuditLogger, writeAudit, type AuditEntry } from '../../src/server/audit.js';
import { waitFor } from '../helpers/wait.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'slipway-audit-unit-'));
  dirs.push(d);
  return d;
}

const entry = (i: number): AuditEntry => ({
  user: 'ci',
  method: 'GET',
  route: '/api/health',
  outcome: 200,
  ip: `10.0.0.${i % 250}`,
  via: 'bearer',
});
const lines = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('auditLine', () => {
  it('has the shape pino gave the line: kind, time, the entry, event', () => {
    const at = Date.parse('2026-03-01T12:00:00.042Z');
    expect(auditLine(entry(1), at)).toBe(
      '{"kind":"audit","time":"2026-03-01T12:00:00.042Z","user":"ci","method":"GET","route":"/api/health",' +
        '"outcome":200,"ip":"10.0.0.1","via":"bearer","event":"request"}\n',
    );
    expect(JSON.parse(auditLine({ ...entry(1), user: null, via: undefined }, at))).toEqual({
      kind: 'audit',
      time: '2026-03-01T12:00:00.042Z',
      user: null,
      method: 'GET',
      route: '/api/health',
      outcome: 200,
      ip: '10.0.0.1',
      event: 'request',
    });
  });

  it('escapes what needs escaping and masks secrets in every string', () => {
    const user = 'é"\\\n\u2028 password=hunter2';
    const line = auditLine({ ...entry(1), user, ip: '::1' }, 0);
    expect(line.endsWith('}\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const parsed = JSON.parse(line);
    expect(parsed.user).toBe('é"\\\n\u2028 password=***');
    expect(parsed.ip).toBe('::1');
    expect(line).not.toContain('hunter2');
  });
});

describe('createAuditLogger (batched file writes)', () => {
  it('writes a queued line out on its own within a moment, without a close', async () => {
    const file = path.join(await tempDir(), 'a.log');
    const log = createAuditLogger(file);
    writeAudit(log, entry(1));
    writeAudit(log, entry(2));
    const got = await waitFor('the two queued lines in the file', async () => {
      const ls = await lines(file);
      return ls.length === 2 && ls;
    });
    expect(got.map((l) => l.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    await log.close();
  });

  it("writes each line's time byte for byte as auditLine does (milliseconds padded, a new second, after close)", async () => {
    const file = path.join(await tempDir(), 'a.log');
    const times = ['2026-03-01T12:00:00.007Z', '2026-03-01T12:00:00.042Z', '2026-03-01T12:00:00.999Z']
      .concat(['2026-03-01T12:00:01.000Z', '2026-03-01T12:00:01.100Z', '1969-12-31T23:59:59.950Z'])
      .map((t) => Date.parse(t));
    let i = 0;
    const log = createAuditLogger(file, () => times[i++]!);
    const late = Date.parse('2026-03-01T12:00:02.005Z');
    for (let k = 0; k < times.length; k++) writeAudit(log, entry(k));
    await log.close();
    times.push(late);
    writeAudit(log, entry(9));
    const expected = [...times.slice(0, -1).map((t, k) => auditLine(entry(k), t)), auditLine(entry(9), late)];
    await waitFor('every line', async () => (await readFile(file, 'utf8')).split('\n').length === expected.length + 1);
    expect(await readFile(file, 'utf8')).toBe(expected.join(''));
  });

  it('close() resolves with every line in the file, in order; lines after it still arrive', async () => {
    const file = path.join(await tempDir(), 'nested', 'a.log');
    const log = createAuditLogger(file);
    for (let i = 0; i < 1000; i++) writeAudit(log, { ...entry(i), route: `/r/${i}` });
    await log.close();
    const got = await lines(file);
    expect(got.map((l) => l.route)).toEqual(Array.from({ length: 1000 }, (_, i) => `/r/${i}`));
    writeAudit(log, { ...entry(1), route: '/late' });
    await waitFor('the line written after close', async () => (await lines(file)).at(-1)?.route === '/late');
  });

  // The process's exit writes what is still queued: process.exit() right after the writes, and a natural end while the
  // flush timer (unref'd) still waits.
  it.each([
    ['process.exit()', 'process.exit(0);'],
    ['the natural end of the process', ''],
  ])(
    'loses no line at %s',
    async (_name, ending) => {
      const dir = await tempDir();
      const file = path.join(dir, 'a.log');
      const script = [
        `import { createAuditLogger, writeAudit } from ${JSON.stringify(path.resolve('src/server/audit.ts'))};`,
        `const log = createAuditLogger(${JSON.stringify(file)});`,
        `for (let i = 0; i < 300; i++) writeAudit(log, { user: 'ci', method: 'GET', route: '/r/' + i, outcome: 200, ip: '127.0.0.1' });`,
        ending,
      ].join('\n');
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: path.resolve('.'),
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect((await lines(file)).map((l) => l.route)).toEqual(Array.from({ length: 300 }, (_, i) => `/r/${i}`));
    },
    60_000,
  );
});
