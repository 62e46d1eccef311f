import { Type, type Static } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed } from '../engine/module.ts';
import { planContent } from './file-state.ts';
import { PresentAbsent } from './group.ts';

export const SudoersArgs = Type.Object(
  {
    /** File name under /etc/sudoers.d; sudo ignores names with dots or a trailing ~, so they are refused. */
    name: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'file name under /etc/sudoers.d (letters, digits, _ and -)' }),
    /** Who the rule is for: a user, or %group. */
    user: Type.Optional(Type.String({ pattern: '^%?[A-Za-z_][A-Za-z0-9_.-]*\\$?$', description: 'a user name or %group' })),
    /** Pigsty's node_admin_sudo / pg_dbsu_sudo: nopass (NOPASSWD: ALL), all (ALL with a password), limit (only `commands`), none (no file). */
    mode: Type.Optional(Enum(['nopass', 'all', 'limit', 'none'], { default: 'nopass' })),
    /** Commands allowed without a password in limit mode: absolute paths with their arguments. */
    commands: Type.Optional(Type.Array(Type.String({ pattern: '^/[^\\n]*$' }), { description: 'absolute command lines' })),
    /** The whole file instead of user/mode. */
    content: Type.Optional(Type.String({ minLength: 1 })),
    state: Type.Optional(PresentAbsent),
  },
  { additionalProperties: false },
);

type Sudoers = Static<typeof SudoersArgs>;

/** sudoers treats , : = and \ in a command's arguments as syntax unless escaped. */
const escapeCommand = (command: string): string => command.replace(/[\\,:=]/g, '\\$&');

/** The file's content for the arguments, or undefined when the rule should not exist. */
export function renderSudoers(args: Sudoers): string | undefined {
  if (args.state === 'absent' || args.mode === 'none') return undefined;
  if (args.content !== undefined) {
    if (args.user !== undefined || args.commands !== undefined)
      throw new ModuleFailure('sudoers: give either "content" or "user" (with mode/commands), not both');
    return args.content.endsWith('\n') ? args.content : `${args.content}\n`;
  }
  if (args.user === undefined) throw new ModuleFailure('sudoers: "user" (or "content") is required unless state is absent');
  const mode = args.mode ?? 'nopass';
  if (mode === 'limit') {
    if (!args.commands?.length) throw new ModuleFailure('sudoers: mode limit needs a non-empty "commands" list');
    return args.commands.map((command) => `${args.user} ALL=NOPASSWD: ${escapeCommand(command)}\n`).join('');
  }
  if (args.commands !== undefined) throw new ModuleFailure(`sudoers: "commands" only applies to mode limit, not ${mode}`);
  return mode === 'nopass' ? `${args.user} ALL=(ALL) NOPASSWD: ALL\n` : `${args.user} ALL=(ALL) ALL\n`;
}

/** Write or remove a rule file in /etc/sudoers.d, validated by visudo before it replaces the old one. */
export const sudoers = defineModule({
  name: 'sudoers',
  concurrentPlans: true,
  args: SudoersArgs,
  async plan(ctx, args) {
    const dest = `/etc/sudoers.d/${args.name}`;
    const content = renderSudoers(args);
    if (content !== undefined) {
      const plan = await planContent(ctx, { dest, content, owner: 'root', group: 'root', mode: 0o440, validate: 'visudo -cf %s' });
      return { ...plan, data: { path: dest, state: 'present' } };
    }
    const read = mustSucceed(await ctx.run(`if [ -e ${shq(dest)} ]; then echo present; cat -- ${shq(dest)}; fi`), `reading ${dest}`).stdout;
    if (!read.startsWith('present\n')) return { changed: false, data: { path: dest, state: 'absent' } };
    const before = read.slice('present\n'.length);
    return {
      changed: true,
      summary: `remove ${dest}`,
      diff: [{ path: dest, before, after: '' }],
      data: { path: dest, state: 'absent' },
      apply: async () => void mustSucceed(await ctx.run(`rm -f -- ${shq(dest)}`), `removing ${dest}`),
    };
  },
});
