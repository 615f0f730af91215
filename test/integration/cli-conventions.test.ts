// The CLI conventions every command shares, through the built binary (STYLE.md §9, §13): results on stdout,
// diagnostics on stderr, a closed pipe ends quietly, colours only when allowed, one meaning per flag.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDist, runBin, runShell } from '../helpers/cli-bin.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { makeFixturePackage, type FixturePackage } from '../fixtures/deploy/make-package.js';

let dir: string;
let p1: FixturePackage;
let p2: FixturePackage;
const env = { USER: 'tester' };

beforeAll(async () => {
  await ensureDist();
  // 300 small changesets: a SQL package far bigger than a pipe's 64 KiB buffer, so `| head` really closes early.
  const changesets = Array.from(
    { length: 300 },
    (_, i) => `--changeset ann:${i}\nCREATE TABLE t${i} (id int);\n--rollback DROP TABLE t${i};\n`,
  );
  dir = await makeTree({ 'db/big.sql': `--liquibase formatted sql\n${changesets.join('\n')}` });
  p1 = await makeFixturePackage({ version: '1.0.0', outDir: dir });
  p2 = await makeFixturePackage({ version: '1.1.0', outDir: dir });
  for (const p of [p1, p2]) expect(runBin(['deploy', p.path, '--to-dir', 'srv'], dir, { env }).code).toBe(0);
}, 300_000);
afterAll(async () => {
  await removeTree(dir);
});

describe('results on stdout, diagnostics on stderr', () => {
  it('releases and history print their tables on stdout, so grep sees them', () => {
    const rel = runShell('$SLIPWAY releases --to-dir srv | grep -c success', dir);
    expect(rel).toMatchObject({ code: 0, stdout: '2\n', stderr: '' });
    const hist = runBin(['history', '--to-dir', 'srv', '--limit', '2'], dir);
    expect(hist).toMatchObject({ code: 0, stderr: '' });
    expect(hist.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('deploy: step lines on stderr, the one-line summary on stdout', () => {
    const r = runBin(['deploy', p1.path, '--to-dir', 'srv2'], dir, { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^deployed 1\.0\.0 as \S+ to \S+\/srv2 in \d+ ms\n$/);
    expect(r.stderr).toMatch(/^ {2}✓ verify /m);
  });
});

describe('a closed pipe ends quietly', () => {
  it('history --json | head -1 and a large db package | head -c 100: exit 0, nothing on stderr', async () => {
    const h = runShell('{ $SLIPWAY history --to-dir srv --json 2>err.txt; echo $? >rc.txt; } | head -1', dir);
    expect(h.stdout).toBe('[\n');
    expect(await readFile(path.join(dir, 'err.txt'), 'utf8')).toBe('');
    expect(await readFile(path.join(dir, 'rc.txt'), 'utf8')).toBe('0\n');
    const big = runShell(
      '{ $SLIPWAY db package --changelog db/big.sql 2>err.txt; echo $? >rc.txt; } | head -c 100 >/dev/null',
      dir,
    );
    expect(big.code).toBe(0);
    expect(await readFile(path.join(dir, 'err.txt'), 'utf8')).toBe('300 changesets from 1 files\n'); // no EPIPE trace
    expect(await readFile(path.join(dir, 'rc.txt'), 'utf8')).toBe('0\n');
  });
});

describe('colours', () => {
  it('none when not a terminal or with NO_COLOR; FORCE_COLOR turns them on', () => {
    const plain = runBin(['releases', '--to-dir', 'srv', '--limit', 'x'], dir);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe('error E_USAGE: --limit must be a positive whole number, got "x"\n');
    const noColor = runBin(['releases', '--to-dir', 'srv', '--limit', 'x'], dir, { env: { NO_COLOR: '1' } });
    expect(noColor.stderr).not.toContain('\x1b[');
    const forced = runBin(['releases', '--to-dir', 'srv', '--limit', 'x'], dir, { env: { FORCE_COLOR: '1' } });
    expect(forced.stderr).toBe('\x1b[31merror E_USAGE:\x1b[39m --limit must be a positive whole number, got "x"\n');
  });
});

describe('one meaning per flag; old spellings warn', () => {
  it('rollback --release ID; rollback --to ID still works and says it is deprecated', () => {
    const releases = JSON.parse(runBin(['releases', '--to-dir', 'srv', '--json'], dir).stdout) as { id: string }[];
    const [newest, older] = releases.map((r) => r.id);
    const old = runBin(['rollback', '--to-dir', 'srv', '--to', older!], dir, { env });
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toMatch(/^warning: slipway rollback --to is deprecated; use --release\n/);
    expect(old.stdout).toBe(old.stdout.match(/^rolled back \S+ → \S+ in \d+ ms\n$/)?.[0]);
    const r = runBin(['rollback', '--to-dir', 'srv', '--release', newest!], dir, { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('deprecated');
    expect(r.stdout).toContain(`→ ${newest}`);
  });

  it('db package --out-file FILE; -o/--out FILE still works with a warning', async () => {
    const r = runBin(['db', 'package', '--changelog', 'db/big.sql', '--out-file', 'a.sql'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote a\.sql \(\d+ bytes\)\n$/);
    expect(r.stderr).toBe('300 changesets from 1 files\n');
    const old = runBin(['db', 'package', '--changelog', 'db/big.sql', '-o', 'b.sql'], dir);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toBe(
      'warning: slipway db package --out is deprecated; use --out-file\n300 changesets from 1 files\n',
    );
    expect(await readFile(path.join(dir, 'b.sql'))).toEqual(await readFile(path.join(dir, 'a.sql')));
  });

  it('--help shows the new names, not the deprecated ones', () => {
    const d = runBin(['deploy', '--help'], dir);
    expect(d.stdout).toContain('--to-dir <dir>');
    expect(d.stdout).not.toMatch(/--to </);
    const r = runBin(['rollback', '--help'], dir);
    expect(r.stdout).toContain('--release <id>');
    expect(r.stdout).not.toMatch(/--to </);
  });
});

describe('config without --env', () => {
  it('says which overlay it used instead of silently taking dev', async () => {
    await writeFile(
      path.join(dir, 'slipway.config.yaml'),
      [
        'name: demo',
        'version: 1.0.0',
        'build: { components: { application: { include: ["db/**"] } } }',
        'deploy: { targets: { only: { type: local, path: srv } } }',
        'environments: { prod: { database: { contexts: [prod] } } }',
        '',
      ].join('\n'),
    );
    const r = runBin(['releases', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('note: no --env given: using the base settings, no overlay (defined: prod)\n');
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(2); // the only target needs no --target
    const prod = runBin(['releases', '--env', 'prod', '--json'], dir);
    expect(prod.stderr).toBe('');
    expect(existsSync(path.join(dir, 'srv/current'))).toBe(true);
  });
});
