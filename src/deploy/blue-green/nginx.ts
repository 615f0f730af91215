/** Optional nginx front: an upstream include file pointing at the live slot, then a configured reload command. */
import { exec } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SlipwayError } from '../../errors.js';
import { writeFileAtomic } from './state.js';

const run = promisify(exec);

/** The upstream block for the live slot, for `include` in the nginx site config. Pure. */
export function renderNginxUpstream(name: string, slot: string, port: number): string {
  return [
    `# Written by slipway blue-green: live slot ${slot}. Do not edit; the next switch rewrites it.`,
    `upstream ${name} {`,
    `    server 127.0.0.1:${port};`,
    '    keepalive 16;',
    '}',
    '',
  ].join('\n');
}

/** Writes the upstream file atomically and runs the reload command (30 s limit); on failure restores the old file and throws E_DEPLOY with its stderr. */
export async function applyNginxUpstream(opts: {
  upstreamFile: string;
  upstreamName: string;
  reloadCommand: string;
  slot: string;
  port: number;
}): Promise<{ ms: number }> {
  const started = Date.now();
  const previous = await readFile(opts.upstreamFile, 'utf8').catch(() => null);
  await writeFileAtomic(opts.upstreamFile, renderNginxUpstream(opts.upstreamName, opts.slot, opts.port));
  try {
    await run(opts.reloadCommand, { timeout: 30_000 });
  } catch (e) {
    // Put the old upstream back: otherwise nginx's next reload (by anyone) would route to a slot we are stopping.
    if (previous !== null) await writeFileAtomic(opts.upstreamFile, previous);
    else await rm(opts.upstreamFile, { force: true });
    const err = e as { stderr?: string; message: string };
    throw new SlipwayError('E_DEPLOY', `nginx reload failed: ${opts.reloadCommand}`, {
      details: (err.stderr || err.message).trim().split('\n').slice(-5),
      hint: `Check the nginx config that includes ${opts.upstreamFile} (nginx -t).`,
    });
  }
  return { ms: Date.now() - started };
}
