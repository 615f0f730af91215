import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_GROUPS } from '../../src/cli/main.js';
import type { CommandContext } from '../../src/cli/context.js';
import { WRITE_DOCS_ENV } from '../helpers/doc-section.js';

// The README describes the CLI in prose and tables written for people; docs/cli.md is the complete reference,
// generated from the same commander tree `--help` prints. These tests keep both true: the reference must be exactly
// what the program defines (regenerate with SLIPWAY_WRITE_DOCS=1), and every `slipway <command> … --flag` the README
// shows must be a flag that command accepts, and every command must appear in the README.

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const REFERENCE = fileURLToPath(new URL('../../docs/cli.md', import.meta.url));
const THIS_FILE = 'test/unit/cli-reference.test.ts';

interface CommandInfo {
  path: string;
  usage: string;
  description: string;
  options: readonly Option[];
}

async function commandTree(): Promise<CommandInfo[]> {
  const program = new Command('slipway');
  const ctx: CommandContext = {
    io: { stdout: () => {}, stderr: () => {}, isTTY: false, env: {}, cwd: '/', readStdin: async () => '' },
    setExit: () => {},
    interrupts: () => new AbortController().signal,
  };
  for (const load of Object.values(COMMAND_GROUPS)) (await load())(program, ctx);
  const out: CommandInfo[] = [];
  const walk = (c: Command, prefix: string[]) => {
    for (const sub of c.commands) {
      const path = [...prefix, sub.name()];
      out.push({ path: path.join(' '), usage: sub.usage(), description: sub.description(), options: sub.options });
      walk(sub, path);
    }
  };
  walk(program, []);
  return out;
}

function renderReference(tree: CommandInfo[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    '# Command reference',
    '',
    `Generated from the program's own command definitions (what \`--help\` prints) by ${THIS_FILE}; regenerate with`,
    `\`${WRITE_DOCS_ENV}=1 npx vitest run ${THIS_FILE}\`. The README explains the commands; this lists every flag.`,
    'Every command also takes `-h, --help`; `slipway --version` prints the version.',
    '',
  ];
  for (const c of tree) {
    lines.push(`## \`slipway ${c.path} ${c.usage}\``.replace(/ +`$/, '`'), '', cell(c.description), '');
    const visible = c.options.filter((o) => !o.hidden);
    const hidden = c.options.filter((o) => o.hidden);
    if (visible.length) {
      lines.push('| flag | meaning |', '| --- | --- |');
      for (const o of visible) {
        const def = o.defaultValue === undefined ? '' : ` (default: \`${JSON.stringify(o.defaultValue)}\`)`;
        lines.push(`| \`${cell(o.flags)}\` | ${cell(o.description)}${def} |`);
      }
      lines.push('');
    }
    if (hidden.length) {
      lines.push(
        `Deprecated spellings, still accepted with a warning: ${hidden.map((o) => `\`${o.flags}\``).join(', ')}.`,
        '',
      );
    }
  }
  return lines.join('\n');
}

interface ReadmeMention {
  line: number;
  words: string[];
  flags: string[];
}

/**
 * Every `slipway …` in an inline code span or at the start of a code-block line, with the flags it shows; also inline
 * spans that start with a command's name and show a flag (`deploy --to DIR`).
 */
export function readmeMentions(text: string, commands: ReadonlySet<string> = new Set()): ReadmeMention[] {
  const found: ReadmeMention[] = [];
  let inBlock = false;
  text.split('\n').forEach((raw, i) => {
    if (raw.trimStart().startsWith('```')) {
      inBlock = !inBlock;
      return;
    }
    const snippets = inBlock
      ? /^\s*(?:npx )?slipway /.test(raw)
        ? [raw.replace(/\s#\s.*$/, '')]
        : []
      : [...raw.matchAll(/`([^`]+)`/g)]
          .map((m) => m[1]!)
          .flatMap((span) => {
            if (/^(?:npx )?slipway /.test(span)) return [span];
            const first = span.split(/\s/)[0]!;
            return first.split('|').every((w) => commands.has(w)) && / -/.test(span) ? [`slipway ${span}`] : [];
          });
    for (const s of snippets) {
      const tokens = s.trim().replace(/^npx /, '').split(/\s+/).slice(1);
      // `user passwd|groups|remove NAME` shows three commands.
      let variants: string[][] = [[]];
      for (const t of tokens) {
        if (!/^[a-z][a-z-]*(\|[a-z][a-z-]*)*$/.test(t)) break;
        variants = variants.flatMap((v) => t.split('|').map((w) => [...v, w]));
      }
      const flags = [...s.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])/g)].map((m) => m[1]!);
      for (const words of variants) found.push({ line: i + 1, words, flags });
    }
  });
  return found;
}

describe('the CLI reference and the README agree with the program', () => {
  it('docs/cli.md is exactly what the command definitions say', async () => {
    const body = renderReference(await commandTree());
    if (process.env[WRITE_DOCS_ENV] === '1') await writeFile(REFERENCE, body);
    const have = await readFile(REFERENCE, 'utf8').catch(() => '');
    expect(have, `docs/cli.md is stale: regenerate it with ${WRITE_DOCS_ENV}=1 npx vitest run ${THIS_FILE}`).toBe(body);
  });

  it('every flag the README shows for a command is one that command accepts, and every command is in the README', async () => {
    const tree = await commandTree();
    const byPath = new Map(tree.map((c) => [c.path, c]));
    const topLevel = new Set(tree.map((c) => c.path.split(' ')[0]!));
    const mentions = readmeMentions(await readFile(README, 'utf8'), topLevel);
    const problems: string[] = [];
    const mentioned = new Set<string>();
    for (const m of mentions) {
      // The longest run of leading words that names a command (`db package v1` → `db package`).
      let cmd: CommandInfo | undefined;
      for (let n = m.words.length; n > 0 && !cmd; n--) cmd = byPath.get(m.words.slice(0, n).join(' '));
      if (!cmd) {
        if (!m.flags.every((f) => f === '--version' || f === '--help' || f === '-h')) {
          problems.push(`README.md:${m.line}: \`slipway ${m.words.join(' ')}\` names no command`);
        }
        continue;
      }
      mentioned.add(cmd.path);
      const accepted = new Set(['--help', '-h']);
      for (const o of cmd.options) {
        if (o.long) accepted.add(o.long);
        if (o.short) accepted.add(o.short);
        if (o.negate && o.long) accepted.add(o.long);
      }
      for (const f of m.flags) {
        if (!accepted.has(f)) problems.push(`README.md:${m.line}: \`slipway ${cmd.path}\` has no flag ${f}`);
      }
    }
    for (const c of tree) {
      const parentOnly = tree.some((o) => o.path.startsWith(`${c.path} `));
      if (!mentioned.has(c.path) && !parentOnly) {
        problems.push(`README.md never shows \`slipway ${c.path}\``);
      }
    }
    expect(problems).toEqual([]);
    expect(mentions.length).toBeGreaterThan(20);
  });

  it('reads the flags of a README mention the way a reader would', () => {
    const m = readmeMentions(
      'run `slipway db package --since-tag v1.1 | --since <c>` or `slipway token list|revoke ID`\n```\nslipway rollback -t prod # --bogus\n```\n`deploy --to DIR` and `deployed --x` and `health.expect`',
      new Set(['deploy']),
    );
    expect(m).toEqual([
      { line: 1, words: ['db', 'package'], flags: ['--since-tag', '--since'] },
      { line: 1, words: ['token', 'list'], flags: [] },
      { line: 1, words: ['token', 'revoke'], flags: [] },
      { line: 3, words: ['rollback'], flags: ['-t'] },
      { line: 5, words: ['deploy'], flags: ['--to'] },
    ]);
  });
});
