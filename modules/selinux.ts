import { Type, type Static } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type Plan } from '../engine/module.ts';
import { planContent } from './file-state.ts';

/** A string enum as JSON Schema `enum`, so a wrong value is reported with the allowed ones. */

const SeType = Type.String({ pattern: '^[a-z0-9_]+$', description: 'an SELinux type such as postgresql_db_t' });
const ItemState = Type.Optional(Enum(['present', 'absent']));

export const SelinuxArgs = Type.Object(
  {
    /** Pigsty's node_selinux_mode. */
    state: Type.Optional(Enum(['disabled', 'permissive', 'enforcing'])),
    /** SELINUXTYPE in /etc/selinux/config (targeted, mls, ...); takes effect after a reboot. */
    policy: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]+$' })),
    /** File context rules (semanage fcontext); the target is a path regex such as '/pg/data(/.*)?'. */
    fcontext: Type.Optional(
      Type.Array(Type.Object({ target: Type.String({ pattern: '^/[^\\n]*$' }), setype: SeType, state: ItemState }, { additionalProperties: false })),
    ),
    /** Port types (semanage port); a port is a number or a range such as '8000-8010'. */
    ports: Type.Optional(
      Type.Array(
        Type.Object(
          {
            port: Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String({ pattern: '^[0-9]+(-[0-9]+)?$' })]),
            proto: Enum(['tcp', 'udp', 'sctp', 'dccp']),
            setype: SeType,
            state: ItemState,
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

type Args = Static<typeof SelinuxArgs>;

/** What the read command found about SELinux on the host. */
export interface SelinuxState {
  /** /etc/selinux/config's content; undefined when the file does not exist. */
  config?: string;
  /** getenforce's answer (Enforcing, Permissive, Disabled); undefined without getenforce. */
  live?: string;
  semanage: boolean;
  /** File context rules: every rule, and the local customizations that can be deleted. */
  fcontexts: { target: string; setype: string }[];
  localFcontexts: { target: string; setype: string }[];
  /** Port types: every definition, and the local ones. */
  ports: { setype: string; proto: string; ports: string[] }[];
  localPorts: { setype: string; proto: string; ports: string[] }[];
}

const CONFIG = '/etc/selinux/config';

/** The one command that reads the config, the live mode and, when needed, the semanage tables. */
export function readCommand(withSemanage: boolean): string {
  const lines = [
    `[ -f ${CONFIG} ] && printf '@config\\t%s\\n' "$(base64 -w0 < ${CONFIG})"`,
    'command -v getenforce >/dev/null 2>&1 && printf "@live\\t%s\\n" "$(getenforce 2>&1)"',
  ];
  if (withSemanage) {
    lines.push(
      'if command -v semanage >/dev/null 2>&1; then',
      '  echo @semanage',
      '  echo @fcontext; semanage fcontext -l -n',
      '  echo @fcontext-local; semanage fcontext -l -C -n',
      '  echo @port; semanage port -l -n',
      '  echo @port-local; semanage port -l -C -n',
      'fi',
    );
  }
  lines.push('true');
  return lines.join('\n');
}

/** Parse what readCommand printed. */
export function parseState(output: string): SelinuxState {
  const state: SelinuxState = { semanage: false, fcontexts: [], localFcontexts: [], ports: [], localPorts: [] };
  let section = '';
  for (const line of output.split('\n')) {
    if (line.startsWith('@config\t')) state.config = Buffer.from(line.slice(8), 'base64').toString('utf8');
    else if (line.startsWith('@live\t')) state.live = line.slice(6).trim();
    else if (line === '@semanage') state.semanage = true;
    else if (/^@(fcontext|fcontext-local|port|port-local)$/.test(line)) section = line.slice(1);
    else if (section.startsWith('fcontext')) {
      // "<regex>   <file type>   system_u:object_r:<type>:s0" (or <<None>>)
      const m = /^(\S+)\s+.+?\s+(\S+)$/.exec(line.trim());
      if (m) (section === 'fcontext' ? state.fcontexts : state.localFcontexts).push({ target: m[1] as string, setype: m[2]?.split(':')[2] ?? '' });
    } else if (section.startsWith('port')) {
      // "<type>   <proto>   5432, 8000-8010"
      const m = /^(\S+)\s+(\S+)\s+(.+)$/.exec(line.trim());
      if (m)
        (section === 'port' ? state.ports : state.localPorts).push({
          setype: m[1] as string,
          proto: m[2] as string,
          ports: (m[3] as string).split(/,\s*/),
        });
    }
  }
  return state;
}

/** The value of a KEY= line in /etc/selinux/config. */
const configValue = (config: string, key: string): string | undefined => new RegExp(`^\\s*${key}\\s*=\\s*(\\S*)`, 'm').exec(config)?.[1];

/** The config with KEY set, replacing its line or appending one. */
function setConfig(config: string, key: string, value: string): string {
  const re = new RegExp(`^\\s*${key}\\s*=.*$`, 'm');
  if (re.test(config)) return config.replace(re, `${key}=${value}`);
  return `${config}${config === '' || config.endsWith('\n') ? '' : '\n'}${key}=${value}\n`;
}

/** What the module would change: the new config content, live commands and semanage commands, with words for the summary. */
export interface SelinuxChanges {
  config?: string;
  commands: string[];
  words: string[];
  warnings: string[];
}

/** Compare the host's SELinux state with the wanted one. */
export function planSelinux(state: SelinuxState, args: Args): SelinuxChanges {
  const changes: SelinuxChanges = { commands: [], words: [], warnings: [] };
  if (state.config === undefined && state.live === undefined) {
    changes.warnings.push('SELinux is not present on this host (no /etc/selinux/config, no getenforce): nothing to do');
    return changes;
  }
  if (state.config !== undefined) {
    let config = state.config;
    const mode = configValue(config, 'SELINUX');
    if (args.state && mode !== args.state) {
      config = setConfig(config, 'SELINUX', args.state);
      changes.words.push(`SELINUX ${mode ?? '(unset)'} -> ${args.state}`);
    }
    const policy = configValue(config, 'SELINUXTYPE');
    if (args.policy && policy !== args.policy) {
      config = setConfig(config, 'SELINUXTYPE', args.policy);
      changes.words.push(`SELINUXTYPE ${policy ?? '(unset)'} -> ${args.policy}`);
      changes.warnings.push(`the SELinux policy ${args.policy} takes effect after a reboot`);
    }
    if (config !== state.config) changes.config = config;
  }
  const live = state.live?.toLowerCase();
  if (args.state && live !== undefined && live !== args.state) {
    if (live === 'disabled') changes.warnings.push(`SELinux is disabled in the running kernel: ${args.state} takes effect after a reboot`);
    else if (args.state === 'disabled') {
      changes.warnings.push('SELinux can only be disabled by a reboot' + (live === 'enforcing' ? ': permissive until then' : ''));
      if (live === 'enforcing') changes.commands.push('setenforce 0');
    } else changes.commands.push(`setenforce ${args.state === 'enforcing' ? 1 : 0}`);
    if (changes.commands.length) changes.words.push(`live ${live} -> ${args.state === 'enforcing' ? 'enforcing' : 'permissive'}`);
  }
  planSemanage(state, args, changes);
  return changes;
}

function planSemanage(state: SelinuxState, args: Args, changes: SelinuxChanges): void {
  if (!args.fcontext?.length && !args.ports?.length) return;
  if (!state.semanage) throw new ModuleFailure('semanage is not installed (policycoreutils-python-utils): cannot manage file or port contexts');
  for (const fc of args.fcontext ?? []) {
    const target = shq(fc.target);
    if (fc.state === 'absent') {
      if (!state.localFcontexts.some((r) => r.target === fc.target)) continue;
      changes.commands.push(`semanage fcontext -d -- ${target}`);
      changes.words.push(`remove fcontext ${fc.target}`);
      continue;
    }
    const existing = state.fcontexts.filter((r) => r.target === fc.target);
    if (existing.some((r) => r.setype === fc.setype)) continue;
    changes.commands.push(`semanage fcontext ${existing.length ? '-m' : '-a'} -t ${fc.setype} -- ${target}`);
    changes.words.push(`fcontext ${fc.target} -> ${fc.setype}`);
  }
  for (const p of args.ports ?? []) {
    const port = String(p.port);
    const holders = (list: SelinuxState['ports']) => list.filter((r) => r.proto === p.proto && r.ports.includes(port));
    if (p.state === 'absent') {
      if (!holders(state.localPorts).some((r) => r.setype === p.setype)) continue;
      changes.commands.push(`semanage port -d -t ${p.setype} -p ${p.proto} ${port}`);
      changes.words.push(`remove port ${port}/${p.proto}`);
      continue;
    }
    const current = holders(state.ports);
    if (current.some((r) => r.setype === p.setype)) continue;
    changes.commands.push(`semanage port ${current.length ? '-m' : '-a'} -t ${p.setype} -p ${p.proto} ${port}`);
    changes.words.push(`port ${port}/${p.proto} -> ${p.setype}`);
  }
}

/** Set the SELinux mode (config and live), policy, file contexts and port types; a host without SELinux is ok with a warning. */
export const selinux = defineModule({
  name: 'selinux',
  args: SelinuxArgs,
  async plan(ctx, args) {
    const read = await ctx.run(readCommand(Boolean(args.fcontext?.length || args.ports?.length)));
    const state = parseState(mustSucceed(read, 'reading SELinux state').stdout);
    const changes = planSelinux(state, args);
    const data = {
      selinux: state.config !== undefined || state.live !== undefined,
      mode: state.live?.toLowerCase(),
      configured_mode: state.config === undefined ? undefined : configValue(state.config, 'SELINUX'),
    };
    if (changes.config === undefined && changes.commands.length === 0) return { changed: false, data, warnings: changes.warnings };
    const filePlan: Plan | undefined = changes.config === undefined ? undefined : await planContent(ctx, { dest: CONFIG, content: changes.config });
    return {
      changed: true,
      summary: `selinux: ${changes.words.join(', ')}`,
      diff: filePlan?.diff,
      data,
      warnings: changes.warnings,
      apply: async () => {
        await filePlan?.apply?.();
        if (changes.commands.length === 0) return;
        const result = await ctx.run(['set -e', ...changes.commands].join('\n'));
        if (result.code !== 0) {
          throw new ModuleFailure(`selinux: ${changes.words.join(', ')} failed: ${result.stderr.trim()}`, {
            rc: result.code,
            stdout: result.stdout,
            stderr: result.stderr,
          });
        }
      },
    };
  },
});
