import { Type } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed } from '../engine/module.ts';

/** state: present | absent, present by default. */
export const PresentAbsent = Enum(['present', 'absent'], { default: 'present' });

/** Names useradd/groupadd accept without --badname. */
export const AccountName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?$', description: 'a user or group name' });

export const GroupArgs = Type.Object(
  {
    name: AccountName,
    gid: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967294 })),
    /** Take the gid from the system range when creating; an existing group's kind is left alone. */
    system: Type.Optional(Type.Boolean()),
    state: Type.Optional(PresentAbsent),
  },
  { additionalProperties: false },
);

/** Parse a `getent group` line: name:password:gid:members. */
export function parseGroupEntry(line: string): { name: string; gid: number; members: string[] } | undefined {
  const [name, , gid, members = ''] = line.trim().split(':');
  if (!name || gid === undefined || !/^\d+$/.test(gid)) return undefined;
  return { name, gid: Number(gid), members: members ? members.split(',') : [] };
}

/** Create, change the gid of, or remove a local group. */
export const group = defineModule({
  name: 'group',
  concurrentPlans: true,
  args: GroupArgs,
  async plan(ctx, args) {
    const name = shq(args.name);
    const read = await ctx.run(`getent group -- ${name}`);
    if (read.code !== 0 && read.code !== 2) mustSucceed(read, `reading group ${args.name}`);
    const current = read.code === 0 ? parseGroupEntry(read.stdout) : undefined;
    if (read.code === 0 && !current) throw new ModuleFailure(`cannot parse group entry for ${args.name}: ${read.stdout.trim()}`);

    if (args.state === 'absent') {
      if (!current) return { changed: false, data: { name: args.name, state: 'absent' } };
      return {
        changed: true,
        summary: `remove group ${args.name} (gid ${current.gid})`,
        data: { name: args.name, state: 'absent' },
        apply: async () => void mustSucceed(await ctx.run(`groupdel -- ${name}`), `removing group ${args.name}`),
      };
    }
    if (!current) {
      const options = [args.gid === undefined ? '' : `-g ${args.gid}`, args.system ? '-r' : ''].filter(Boolean).join(' ');
      return {
        changed: true,
        summary: `create group ${args.name}${args.gid === undefined ? '' : ` (gid ${args.gid})`}`,
        data: { name: args.name, state: 'present', ...(args.gid === undefined ? {} : { gid: args.gid }) },
        apply: async () => {
          mustSucceed(await ctx.run(`groupadd ${options} -- ${name}`), `creating group ${args.name}`);
          const created = parseGroupEntry(mustSucceed(await ctx.run(`getent group -- ${name}`), `reading group ${args.name}`).stdout);
          return { data: { gid: created?.gid } };
        },
      };
    }
    if (args.gid !== undefined && args.gid !== current.gid) {
      return {
        changed: true,
        summary: `group ${args.name}: gid ${current.gid} -> ${args.gid}`,
        data: { name: args.name, state: 'present', gid: args.gid },
        apply: async () => void mustSucceed(await ctx.run(`groupmod -g ${args.gid} -- ${name}`), `changing the gid of group ${args.name}`),
      };
    }
    return { changed: false, data: { name: args.name, state: 'present', gid: current.gid } };
  },
});
