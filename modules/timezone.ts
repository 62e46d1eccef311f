import { Type } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type Plan } from '../engine/module.ts';
import { planContent } from './file-state.ts';

export const TimezoneArgs = Type.Object(
  {
    /** An IANA zone name as found under /usr/share/zoneinfo. */
    name: Type.String({
      pattern: '^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$',
      maxLength: 64,
      description: 'IANA time zone such as Asia/Shanghai or Etc/UTC',
    }),
  },
  { additionalProperties: false },
);

const ZONEINFO = '/usr/share/zoneinfo';

/** What the one read found about the zone: /etc/localtime's link, /etc/timezone, Debian or not, and whether the zone exists. */
export interface TimezoneState {
  /** The zone /etc/localtime links to; undefined when it is missing, a copy, or points outside zoneinfo. */
  link: string | undefined;
  /** /etc/timezone's zone, on systems that have the file. */
  file: string | undefined;
  debian: boolean;
  known: boolean;
}

/** Parse the read: `link TARGET`, `file ZONE`, `debian`, `known`. */
export function parseTimezone(output: string): TimezoneState {
  const state: TimezoneState = { link: undefined, file: undefined, debian: false, known: false };
  for (const line of output.split('\n')) {
    if (line.startsWith('link ')) {
      const at = line.indexOf('zoneinfo/');
      if (at >= 0) state.link = line.slice(at + 'zoneinfo/'.length).trim();
    } else if (line.startsWith('file ')) state.file = line.slice(5).trim();
    else if (line === 'debian') state.debian = true;
    else if (line === 'known') state.known = true;
  }
  return state;
}

/** Set the time zone: /etc/localtime links to the zone, and /etc/timezone names it on Debian. */
export const timezone = defineModule({
  name: 'timezone',
  args: TimezoneArgs,
  async plan(ctx, args) {
    const zone = shq(`${ZONEINFO}/${args.name}`);
    const read = [
      `if [ -L /etc/localtime ]; then printf 'link %s\\n' "$(readlink /etc/localtime)"; fi`,
      `if [ -f /etc/timezone ]; then printf 'file %s\\n' "$(head -n1 /etc/timezone)"; fi`,
      'if [ -f /etc/debian_version ]; then echo debian; fi',
      `if [ -f ${zone} ]; then echo known; fi`,
    ].join('\n');
    const current = parseTimezone(mustSucceed(await ctx.run(read), 'reading the time zone').stdout);
    if (!current.known) throw new ModuleFailure(`unknown time zone ${args.name}: ${ZONEINFO}/${args.name} does not exist (is tzdata installed?)`);
    const linkOk = current.link === args.name;
    const fileWanted = current.debian || current.file !== undefined;
    const fileOk = !fileWanted || current.file === args.name;
    const data = { timezone: args.name };
    if (linkOk && fileOk) return { changed: false, data };

    const file: Plan = fileOk
      ? { changed: false }
      : await planContent(ctx, { dest: '/etc/timezone', content: `${args.name}\n`, owner: 'root', group: 'root', mode: 0o644 });
    return {
      changed: true,
      summary: `timezone ${current.link ?? current.file ?? 'unknown'} -> ${args.name}`,
      ...(file.diff ? { diff: file.diff } : {}),
      data,
      apply: async () => {
        if (!linkOk) {
          // A new link renamed over the old one: /etc/localtime never goes missing.
          const swap = `tmp=/etc/.localtime.$$; ln -sfn ${zone} "$tmp" && mv -Tf "$tmp" /etc/localtime || { rm -f "$tmp"; exit 1; }`;
          mustSucceed(await ctx.run(swap), `linking /etc/localtime to ${args.name}`);
        }
        if (file.changed) await file.apply?.();
      },
    };
  },
});
