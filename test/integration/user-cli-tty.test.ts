// `slipway user add|passwd` on a real terminal (a pseudo-terminal driven by Python's pty module): the password is
// prompted for twice and never echoed. Runs the built binary (rebuilt by ensureDist when any source is newer).
import { spawnSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUsersFile } from '../../src/server/users-file.js';
import { verifyPassword } from '../../src/server/password.js';
import { BIN, ensureDist } from '../helpers/cli-bin.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

// Spawns the command on a pty, answers each prompt (`answers`, in order, once its text appears), prints JSON.
const DRIVER = String.raw`
import json, os, pty, select, sys, time
args, prompts, answers = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[0], args)
out = b''
def read_some(deadline):
    global out
    r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
    if not r: return False
    try: chunk = os.read(fd, 4096)
    except OSError: return None
    if not chunk: return None
    out += chunk
    return True
for prompt, answer in zip(prompts, answers):
    deadline = time.time() + 60
    while prompt.encode() not in out and time.time() < deadline:
        if read_some(deadline) is None: break
    os.write(fd, answer.encode())
deadline = time.time() + 60
while time.time() < deadline and read_some(deadline) is not None: pass
_, status = os.waitpid(pid, 0)
print(json.dumps({'out': out.decode('utf8', 'replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;

function onTerminal(args: string[], prompts: string[], answers: string[], cwd: string) {
  const r = spawnSync('python3', ['-c', DRIVER, JSON.stringify([[process.execPath, BIN, ...args], prompts, answers])], {
    cwd,
    encoding: 'utf8',
    timeout: 150_000,
  });
  if (r.status !== 0) throw new Error(`pty driver failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout) as { out: string; code: number };
  // Colours are on for a terminal; the assertions are about the text.
  return { ...res, out: stripVTControlCharacters(res.out) };
}

let dir: string;
beforeAll(async () => {
  await ensureDist();
  dir = await makeTree({
    'slipway.config.yaml':
      'name: demo\nversion: 1.0.0\nbuild:\n  components:\n    application: { include: ["app/**"] }\n',
  });
});
afterAll(async () => removeTree(dir));

describe('password prompt on a terminal', () => {
  it('user add prompts twice without echo and stores the typed password', async () => {
    const secret = 'typed-on-a-tty-4711';
    const r = onTerminal(
      ['user', 'add', 'ann', '--groups', 'viewers', '--config', 'slipway.config.yaml'],
      ['New password for ann: ', 'Repeat it: '],
      [`${secret}\r`, `${secret}\r`],
      dir,
    );
    expect(r.out).toContain('New password for ann: ');
    expect(r.out).toContain('Repeat it: ');
    expect(r.out).toContain('user ann added');
    expect(r.out).not.toContain(secret); // no echo: the terminal transcript never shows it
    expect(r.code).toBe(0);
    const stored = (await readUsersFile(path.join(dir, '.slipway/users.json'))).users.ann!.password!;
    expect(await verifyPassword(secret, stored)).toBe(true);
  });

  it('user passwd refuses two different entries and changes nothing', async () => {
    const before = (await readUsersFile(path.join(dir, '.slipway/users.json'))).users.ann!.password;
    const r = onTerminal(
      ['user', 'passwd', 'ann', '--config', 'slipway.config.yaml'],
      ['New password for ann: ', 'Repeat it: '],
      ['first-entry-1234\r', 'other-entry-1234\r'],
      dir,
    );
    expect(r.out).toContain('error E_USAGE: the two passwords differ; nothing was changed');
    expect(r.out).not.toContain('entry-1234');
    expect(r.code).toBe(2);
    expect((await readUsersFile(path.join(dir, '.slipway/users.json'))).users.ann!.password).toBe(before);
  });
});
