import { Type } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, mustSucceed } from '../engine/module.ts';
import { planContent } from './file-state.ts';

const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

export const HostnameArgs = Type.Object(
  {
    /** RFC 1123 host name; the kernel keeps at most 64 characters. */
    name: Type.String({ pattern: `^${LABEL}(\\.${LABEL})*$`, maxLength: 64, description: 'host name such as pg-test-1' }),
    /** systemd: hostnamectl (the default where systemd runs); file: write /etc/hostname and call hostname. */
    use: Type.Optional(Enum(['systemd', 'file'])),
  },
  { additionalProperties: false },
);

/** What the one read found: the running (kernel) name, /etc/hostname's name, and whether systemd manages the host. */
export interface HostnameState {
  kernel: string;
  file: string | undefined;
  systemd: boolean;
}

/** Parse the read: `kernel NAME`, `file NAME` (absent when there is no /etc/hostname), and `systemd`. */
export function parseHostname(output: string): HostnameState {
  const state: HostnameState = { kernel: '', file: undefined, systemd: false };
  for (const line of output.split('\n')) {
    if (line.startsWith('kernel ')) state.kernel = line.slice(7).trim();
    else if (line.startsWith('file ')) state.file = line.slice(5).trim();
    else if (line === 'systemd') state.systemd = true;
  }
  return state;
}

const READ = [
  `printf 'kernel %s\\n' "$(uname -n)"`,
  `if [ -f /etc/hostname ]; then printf 'file %s\\n' "$(grep -v '^[[:space:]]*#' /etc/hostname | head -n1)"; fi`,
  'if [ -d /run/systemd/system ] && command -v hostnamectl >/dev/null; then echo systemd; fi',
].join('\n');

/** Set the host name, both the running one and /etc/hostname. */
export const hostname = defineModule({
  name: 'hostname',
  args: HostnameArgs,
  async plan(ctx, args) {
    const current = parseHostname(mustSucceed(await ctx.run(READ), 'reading the hostname').stdout);
    const facts = { node_hostname: args.name };
    if (current.kernel === args.name && current.file === args.name) return { changed: false, data: { hostname: args.name }, facts };

    const systemd = (args.use ?? (current.systemd ? 'systemd' : 'file')) === 'systemd';
    const name = shq(args.name);
    const diff =
      current.file === args.name
        ? []
        : [{ path: '/etc/hostname', before: current.file === undefined ? '' : `${current.file}\n`, after: `${args.name}\n` }];
    const summary = `hostname ${current.kernel}${current.file !== undefined && current.file !== current.kernel ? ` (/etc/hostname ${current.file})` : ''} -> ${args.name}`;
    const failed = `setting the hostname to ${args.name}`;
    if (systemd) {
      return {
        changed: true,
        summary,
        diff,
        data: { hostname: args.name },
        facts,
        apply: async () => void mustSucceed(await ctx.run(`hostnamectl set-hostname ${name}`), failed),
      };
    }
    const file = await planContent(ctx, { dest: '/etc/hostname', content: `${args.name}\n`, owner: 'root', group: 'root', mode: 0o644 });
    return {
      changed: true,
      summary,
      diff,
      data: { hostname: args.name },
      facts,
      apply: async () => {
        if (file.changed) await file.apply?.();
        if (current.kernel !== args.name) mustSucceed(await ctx.run(`hostname ${name}`), failed);
      },
    };
  },
});
