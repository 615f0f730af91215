import path from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { CliIO } from '../output.js';
import { configFromFlags, withConfigOptions, type ConfigFlags } from '../config-flags.js';
import { printResult } from '../output.js';
import type { Config } from '../../config/schema.js';
import { SlipwayError } from '../../errors.js';
import {
  addUser,
  addUserToken,
  assertUserExists,
  checkGroups,
  checkUserName,
  listTokens,
  listUsers,
  removeUser,
  revokeToken,
  setUserGroups,
  setUserPassword,
  type CredentialChange,
} from '../../server/users-file.js';

const usersFileOf = (config: Config) => path.resolve(config.configDir, config.server.usersFile);
const configuredGroups = (config: Config) => [
  ...new Set([config.server.groups.read, config.server.groups.deploy, config.server.groups.admin]),
];
const splitGroups = (list: string) =>
  list
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);

/**
 * The new password: typed twice at a prompt without echo when stdin is a terminal, else one line from stdin (the
 * trailing newline from `echo` is not part of it).
 */
async function readNewPassword(io: CliIO, name: string): Promise<string> {
  if (io.promptSecret) {
    const first = await io.promptSecret(`New password for ${name}: `);
    const again = await io.promptSecret('Repeat it: ');
    if (first !== again)
      throw new SlipwayError('E_USAGE', 'the two passwords differ; nothing was changed', {
        field: 'password',
        hint: 'Run the command again.',
      });
    return first;
  }
  return (await io.readStdin()).replace(/\r?\n$/, '');
}

function revokedNote(c: CredentialChange): string {
  return `${c.tokensRevoked} API token${c.tokensRevoked === 1 ? '' : 's'} revoked; a running server ends the user's sessions at once`;
}

/** Registers `slipway user add|passwd|groups|remove|list|token` and `slipway token list|revoke`. */
export function registerUserCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const user = program.command('user').description('Manage the users of `slipway serve` (server.usersFile)');

  withConfigOptions(
    user
      .command('add <name>')
      .description('Add a user, or replace an existing user’s password and groups (prompted, or read from stdin)'),
  )
    .requiredOption('--groups <list>', 'comma-separated groups from server.groups, e.g. viewers,deployers')
    .action(async (name: string, flags: ConfigFlags & { groups: string }) => {
      const { config } = await configFromFlags(io, flags);
      const usersFile = usersFileOf(config);
      const groups = splitGroups(flags.groups);
      const allowedGroups = configuredGroups(config);
      // Checked before the prompt, so a typo does not cost a typed password.
      checkUserName(name);
      checkGroups(groups, allowedGroups);
      const password = await readNewPassword(io, name);
      const r = await addUser({ usersFile, name, password, groups, allowedGroups, now: new Date() });
      io.stdout(
        r.created
          ? `user ${name} added in ${usersFile} (groups: ${groups.join(', ')})\n`
          : `user ${name} updated in ${usersFile} (groups: ${groups.join(', ')}); ${revokedNote(r)}\n`,
      );
    });

  withConfigOptions(
    user.command('passwd <name>').description('Set a user’s password (prompted, or read from stdin)'),
  ).action(async (name: string, flags: ConfigFlags) => {
    const { config } = await configFromFlags(io, flags);
    const usersFile = usersFileOf(config);
    await assertUserExists(usersFile, name); // before the prompt
    const r = await setUserPassword({ usersFile, name, password: await readNewPassword(io, name) });
    io.stdout(`password of ${name} changed; ${revokedNote(r)}\n`);
  });

  withConfigOptions(user.command('groups <name>').description('Replace a user’s groups'))
    .requiredOption('--groups <list>', 'comma-separated groups from server.groups')
    .action(async (name: string, flags: ConfigFlags & { groups: string }) => {
      const { config } = await configFromFlags(io, flags);
      const groups = splitGroups(flags.groups);
      const r = await setUserGroups({
        usersFile: usersFileOf(config),
        name,
        groups,
        allowedGroups: configuredGroups(config),
      });
      io.stdout(
        r.changed
          ? `groups of ${name} set to ${groups.join(', ')}; ${revokedNote(r)}\n`
          : `groups of ${name} unchanged (${groups.join(', ')})\n`,
      );
    });

  withConfigOptions(user.command('remove <name>').description('Remove a user and their API tokens')).action(
    async (name: string, flags: ConfigFlags) => {
      const { config } = await configFromFlags(io, flags);
      const r = await removeUser({ usersFile: usersFileOf(config), name });
      io.stdout(`user ${name} removed; ${revokedNote(r)}\n`);
    },
  );

  withConfigOptions(user.command('list').description('List users, their groups and token counts (never hashes)'))
    .option('--json', 'print the list as JSON on stdout')
    .action(async (flags: ConfigFlags & { json?: boolean }) => {
      const { config } = await configFromFlags(io, flags);
      const users = await listUsers(usersFileOf(config));
      if (users.length === 0 && !flags.json) io.stderr(`no users in ${usersFileOf(config)}\n`);
      printResult(io, flags, { users }, () =>
        users
          .map(
            (u) => `${u.name}\t${u.groups.join(',')}\t${u.tokens} token${u.tokens === 1 ? '' : 's'}\t${u.createdAt}\n`,
          )
          .join(''),
      );
    });

  withConfigOptions(
    user.command('token <name>').description('Create an API token for a user and print it once on stdout'),
  ).action(async (name: string, flags: ConfigFlags) => {
    const { config } = await configFromFlags(io, flags);
    const r = await addUserToken({ usersFile: usersFileOf(config), name, now: new Date() });
    io.stdout(`${r.token}\n`);
    io.stderr(`token ${r.id} created for ${name}; it is shown only now (stored as a SHA-256 hash)\n`);
  });

  const token = program
    .command('token')
    .description('List and revoke API tokens (create one with `slipway user token NAME`)');
  withConfigOptions(token.command('list').description('List API tokens: id, user, creation time (never the token)'))
    .option('--user <name>', 'only this user’s tokens')
    .option('--json', 'print the list as JSON on stdout')
    .action(async (flags: ConfigFlags & { user?: string; json?: boolean }) => {
      const { config } = await configFromFlags(io, flags);
      const tokens = await listTokens(usersFileOf(config), flags.user);
      if (tokens.length === 0 && !flags.json) io.stderr('no API tokens\n');
      printResult(io, flags, { tokens }, () => tokens.map((t) => `${t.id}\t${t.user}\t${t.createdAt}\n`).join(''));
    });
  withConfigOptions(token.command('revoke <id>').description('Revoke an API token by id (see `slipway token list`)'))
    .option('--user <name>', 'the owner, when two users have a token with this id')
    .action(async (id: string, flags: ConfigFlags & { user?: string }) => {
      const { config } = await configFromFlags(io, flags);
      const t = await revokeToken({ usersFile: usersFileOf(config), id, ...(flags.user ? { user: flags.user } : {}) });
      io.stdout(`token ${t.id} of ${t.user} revoked; a running server refuses it at once\n`);
    });
}
