// bin/slipway.js runs the commands that use libpg-query's WebAssembly SQL parser (compile, package, build) with V8's
// --liftoff-only: set at run time on Node 20 and 22, by starting itself again with the flag on Node 24 (which ignores
// v8.setFlagsFromString). A module preloaded with --import (passed on to a second process with the other Node
// options) records each process's flags and every v8.setFlagsFromString call. Runs on this Node and on the Node 22/24
// binaries npx has installed (test/helpers/node-lines.ts), as .ci/run's Node 22 and 24 steps run test/unit. The same
// record shows the young-generation flag the launcher sets for `db package` alone.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPidAlive } from '../../src/pid-alive.js';
import { BIN, ensureDist } from '../helpers/cli-bin.js';
import { nodesUnderTest } from '../helpers/node-lines.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { makeProject } from '../integration/package-fixture.js';

const dirs: string[] = [];
let record: string;
let hang: string;
let project: string;
let broken: string;
let changelog: string;

beforeAll(async () => {
  await ensureDist();
  const tools = await makeTree({}, 'slipway-liftoff-');
  dirs.push(tools);
  record = path.join(tools, 'record.mjs');
  writeFileSync(
    record,
    [
      "import { appendFileSync } from 'node:fs';",
      "import { createRequire } from 'node:module';",
      "const v8 = createRequire(import.meta.url)('node:v8');",
      'const set = v8.setFlagsFromString;',
      'v8.setFlagsFromString = (f) => { appendFileSync(process.env.RECORD_FILE, `set ${f}\\n`); set.call(v8, f); };',
      "appendFileSync(process.env.RECORD_FILE, `argv ${process.execArgv.includes('--liftoff-only')}\\n`);",
      '',
    ].join('\n'),
  );
  // preloaded into both processes: the second one (started with --liftoff-only) never reaches the CLI, so it is still
  // running whenever the test signals the launcher
  hang = path.join(tools, 'hang.mjs');
  writeFileSync(
    hang,
    "if (process.execArgv.includes('--liftoff-only')) { setInterval(() => {}, 1 << 30); await new Promise(() => {}); }\n",
  );
  changelog = await makeTree(
    {
      'changelog.sql':
        '--liquibase formatted sql\n--changeset a:1\ncreate table t (id int);\n--rollback drop table t;\n',
    },
    'slipway-young-',
  );
  dirs.push(changelog);
  project = (await makeProject()).dir;
  broken = (await makeProject({ 'src/broken.js': 'let x = ;\n' })).dir;
  dirs.push(project, broken);
}, 300_000);
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

// Each test runs the CLI up to twice per Node line, each run bounded by spawnSync's timeout; under a loaded CI machine a
// compile took 26 s here and ~80 s in a helper's full run, past vitest's 60 s default.
const RUN_TIMEOUT = 400_000;

let n = 0;
/** Runs the launcher on `bin` with the recording module; returns the run and the record's lines. */
function run(bin: string, args: string[], cwd: string) {
  const file = path.join(path.dirname(record), `${++n}.log`);
  writeFileSync(file, '');
  const r = spawnSync(bin, ['--import', pathToFileURL(record).href, BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', RECORD_FILE: file, SOURCE_DATE_EPOCH: '1' },
    timeout: 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, record: readFileSync(file, 'utf8').trim().split('\n') };
}

describe.each(nodesUnderTest())('the launcher and --liftoff-only on Node $version', ({ bin, version }) => {
  const major = Number(version.slice(1).split('.')[0]);
  // one process that sets the flag at run time, or a second process with the flag on its command line
  const withFlag = major <= 22 ? ['argv false', 'set --liftoff-only'] : ['argv false', 'argv true'];

  it(
    'compile runs with the flag; its stdout and exit code come through unchanged',
    () => {
      const r = run(bin, ['compile', '--json'], project);
      expect(r.record).toEqual(withFlag);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    },
    RUN_TIMEOUT,
  );

  it(
    "a failed compile's exit code and message are the launcher's",
    () => {
      const r = run(bin, ['compile'], broken);
      expect(r.record).toEqual(withFlag);
      expect(r.stderr).toContain('src/broken.js:1');
      expect(r.code).toBe(1);
    },
    RUN_TIMEOUT,
  );

  // On Node >= 23 the launcher is a second process's parent: a signal sent to it alone (a service manager's stop, a
  // CI timeout's kill) must end the process doing the work too, and the launcher must end by that signal. On Node 20
  // and 22 there is no second process, so the test exists only for the lines that have one (registered, not skipped:
  // .ci/run's Node 24 step runs it).
  if (major >= 23)
    it(
      'a SIGINT or SIGTERM sent to the launcher alone ends the second process, then the launcher',
      async () => {
        for (const sig of ['SIGTERM', 'SIGINT'] as const) {
          const launcher = spawn(bin, ['--import', pathToFileURL(hang).href, BIN, 'compile'], {
            cwd: project,
            stdio: 'ignore',
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
          });
          let ended: { by: NodeJS.Signals | number | null } | undefined;
          launcher.on('exit', (code, signal) => (ended = { by: signal ?? code }));
          let childPid = 0;
          try {
            // signalled as soon as the second process exists (forked, perhaps not yet running Node): a launcher that
            // set up its relay only after spawning lost such a signal's relay and left the second process running
            childPid = await waitFor(
              'the launcher to start its --liftoff-only process',
              () => Number(readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, 'utf8').trim()) || false,
              { intervalMs: 1 },
            );
            launcher.kill(sig);
            expect(await waitFor(`the launcher to end after ${sig}`, () => ended)).toEqual({ by: sig });
            await waitFor(`the --liftoff-only process to end after ${sig}`, () => !isPidAlive(childPid));
          } finally {
            if (!ended) launcher.kill('SIGKILL');
            if (childPid && isPidAlive(childPid)) process.kill(childPid, 'SIGKILL');
          }
        }
      },
      RUN_TIMEOUT,
    );

  // db package holds its parsed changelog to the end: the launcher keeps V8's young generation at its initial size
  // for it (a run-time flag on every line, as --max-semi-space-size is read only at start-up), and for it alone.
  it(
    'db package runs with a young generation that does not grow; other db commands without the flag',
    () => {
      const where = ['--root', changelog, '--changelog', 'changelog.sql'];
      const pkg = run(bin, ['db', 'package', ...where], changelog);
      expect(pkg.code).toBe(0);
      expect(pkg.stdout).toContain('create table t (id int)');
      // with the smaller inlining budget, and never V8's defaults back: its code cache is made under these flags too
      expect(pkg.record).toEqual([
        'argv false',
        'set --semi-space-growth-factor=1',
        'set --max-inlined-bytecode-size-cumulative=200',
      ]);
      const rollback = run(bin, ['db', 'rollback-sql', '--count', '1', ...where], changelog);
      expect(rollback.code).toBe(0);
      expect(rollback.record).toEqual(['argv false']);
    },
    RUN_TIMEOUT,
  );

  it(
    'commands that parse no SQL (a plan, --version) run in one process without it',
    () => {
      for (const args of [['build', '--dry-run'], ['--version']]) {
        const r = run(bin, args, project);
        expect(r.code).toBe(0);
        expect(r.record).toEqual(['argv false']);
      }
    },
    RUN_TIMEOUT,
  );
});
