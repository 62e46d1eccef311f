import { Type, type Static } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type ModuleContext } from '../engine/module.ts';

/** A string enum as JSON Schema `enum`, so a wrong value is reported with the allowed ones. */

const Port = Type.String({ pattern: '^[0-9]+(-[0-9]+)?/(tcp|udp|sctp|dccp)$', description: "a port or range with protocol, e.g. '5432/tcp'" });
const Source = Type.String({ pattern: '^[0-9A-Za-z.:/_-]+$', description: 'an address, CIDR, MAC or ipset:name' });

export const FirewalldArgs = Type.Object(
  {
    /** Pigsty's node_firewall_mode: off stops and disables firewalld, none leaves it alone, zone runs it with the Pigsty zones. */
    mode: Type.Optional(Enum(['off', 'none', 'zone'])),
    /** With mode zone: Pigsty's node_firewall_intranet, sources trusted in zone "trusted". */
    intranet: Type.Optional(Type.Array(Source)),
    /** With mode zone: Pigsty's node_firewall_public_port, TCP ports opened in zone "public". */
    public_ports: Type.Optional(
      Type.Array(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String({ pattern: '^[0-9]+(-[0-9]+)?(/(tcp|udp|sctp|dccp))?$' })])),
    ),
    /** The zone the items below go to (default public). */
    zone: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$' })),
    services: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.+-]+$' }))),
    ports: Type.Optional(Type.Array(Port)),
    sources: Type.Optional(Type.Array(Source)),
    /** Rich rules; write them as firewalld prints them (quoted values) so they compare equal. */
    rich_rules: Type.Optional(Type.Array(Type.String({ pattern: '^rule [^\\n]+$' }))),
    /** Whether the items are wanted or not (default present); both the runtime and the permanent configuration follow. */
    state: Type.Optional(Enum(['present', 'absent'])),
  },
  { additionalProperties: false },
);

type Args = Static<typeof FirewalldArgs>;
type Kind = 'service' | 'port' | 'source' | 'rich-rule';

/** One zone's settings as firewall-cmd --list-all prints them. */
export interface ZoneConfig {
  services: string[];
  ports: string[];
  sources: string[];
  richRules: string[];
}

/** Parse `firewall-cmd --list-all` or `--list-all-zones` output into zones. */
export function parseListAll(output: string): Map<string, ZoneConfig> {
  const zones = new Map<string, ZoneConfig>();
  let zone: ZoneConfig | undefined;
  let inRich = false;
  for (const line of output.split('\n')) {
    const header = /^([A-Za-z0-9_-]+)(\s+\(.*\))?\s*$/.exec(line);
    if (header) {
      zone = { services: [], ports: [], sources: [], richRules: [] };
      zones.set(header[1] as string, zone);
      inRich = false;
      continue;
    }
    if (!zone) continue;
    if (inRich && /^\s+rule /.test(line)) {
      zone.richRules.push(normalizeRichRule(line));
      continue;
    }
    const field = /^\s+([a-z -]+):\s*(.*)$/.exec(line);
    if (!field) continue;
    const values = (field[2] ?? '').trim().split(/\s+/).filter(Boolean);
    inRich = field[1] === 'rich rules';
    if (field[1] === 'services') zone.services = values;
    else if (field[1] === 'ports') zone.ports = values;
    else if (field[1] === 'sources') zone.sources = values;
  }
  return zones;
}

/** A rich rule as firewalld prints it: single spaces, every attribute value in double quotes. */
export function normalizeRichRule(rule: string): string {
  return rule
    .trim()
    .replace(/(\w+)=([^"\s]+)/g, '$1="$2"')
    .split(/\s+(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .join(' ');
}

/** What the read command found: the unit, whether firewalld runs, and the zones at runtime and in the permanent configuration. */
export interface FirewalldState {
  installed: boolean;
  active: boolean;
  enabled: boolean;
  running: boolean;
  runtime?: Map<string, ZoneConfig>;
  permanent?: Map<string, ZoneConfig>;
}

/** The one command that reads the unit and, when asked, every zone (from the daemon, or offline when it is stopped). */
export function readCommand(withZones: boolean): string {
  const lines = [
    'printf "@unit %s\\n" "$(systemctl show -p LoadState -p ActiveState -p UnitFileState firewalld.service 2>/dev/null | tr "\\n" " ")"',
    'command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1 && echo @running',
  ];
  if (withZones) {
    lines.push(
      'if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then',
      '  echo @runtime; firewall-cmd --list-all-zones; echo @permanent; firewall-cmd --permanent --list-all-zones',
      'elif command -v firewall-offline-cmd >/dev/null 2>&1; then',
      '  echo @permanent; firewall-offline-cmd --list-all-zones',
      'fi',
    );
  }
  lines.push('true');
  return lines.join('\n');
}

/** Parse what readCommand printed. */
export function parseState(output: string): FirewalldState {
  const unit = /^@unit (.*)$/m.exec(output)?.[1] ?? '';
  const prop = (name: string) => new RegExp(`${name}=(\\S*)`).exec(unit)?.[1] ?? '';
  const state: FirewalldState = {
    installed: prop('LoadState') === 'loaded',
    active: ['active', 'activating', 'reloading'].includes(prop('ActiveState')),
    enabled: prop('UnitFileState') === 'enabled',
    running: /^@running$/m.test(output),
  };
  const sections: Record<string, string[]> = {};
  let section: string[] | undefined;
  for (const line of output.split('\n')) {
    if (line === '@runtime' || line === '@permanent') section = sections[line.slice(1)] = [];
    else section?.push(line);
  }
  if (sections.runtime) state.runtime = parseListAll(sections.runtime.join('\n'));
  if (sections.permanent) state.permanent = parseListAll(sections.permanent.join('\n'));
  return state;
}

/** One wanted item in a zone. */
export interface ZoneItem {
  zone: string;
  kind: Kind;
  value: string;
  present: boolean;
}

/** The items the arguments ask for: Pigsty's zone setup for mode zone, then the explicit ones. */
export function wantedItems(args: Args): ZoneItem[] {
  const items: ZoneItem[] = [];
  if (args.mode === 'zone') {
    for (const cidr of args.intranet ?? []) items.push({ zone: 'trusted', kind: 'source', value: cidr, present: true });
    for (const port of args.public_ports ?? []) {
      items.push({ zone: 'public', kind: 'port', value: String(port).includes('/') ? String(port) : `${port}/tcp`, present: true });
    }
  }
  const zone = args.zone ?? 'public';
  const present = args.state !== 'absent';
  const add = (kind: Kind, values: string[] | undefined) => values?.forEach((value) => items.push({ zone, kind, value, present }));
  add('service', args.services);
  add('port', args.ports);
  add('source', args.sources);
  add('rich-rule', args.rich_rules?.map(normalizeRichRule));
  return items;
}

/** A batch of one option for one zone and scope: firewall-cmd takes repeats of one option, not mixed ones. */
export interface ZoneChange {
  scope: 'runtime' | 'permanent';
  zone: string;
  action: 'add' | 'remove';
  kind: Kind;
  values: string[];
}

const FIELD: Record<Kind, keyof ZoneConfig> = { service: 'services', port: 'ports', source: 'sources', 'rich-rule': 'richRules' };

/** The changes that bring each configuration (runtime when firewalld runs, and permanent) to the wanted items. */
export function planZones(items: ZoneItem[], configs: { runtime?: Map<string, ZoneConfig>; permanent: Map<string, ZoneConfig> }): ZoneChange[] {
  const changes: ZoneChange[] = [];
  for (const scope of ['runtime', 'permanent'] as const) {
    const zones = configs[scope];
    if (!zones) continue;
    for (const item of items) {
      const zone = zones.get(item.zone);
      if (!zone) throw new ModuleFailure(`firewalld has no zone named ${item.zone}`);
      if (zone[FIELD[item.kind]].includes(item.value) === item.present) continue;
      const action = item.present ? 'add' : 'remove';
      const batch = changes.find((c) => c.scope === scope && c.zone === item.zone && c.action === action && c.kind === item.kind);
      if (!batch) changes.push({ scope, zone: item.zone, action, kind: item.kind, values: [item.value] });
      else if (!batch.values.includes(item.value)) batch.values.push(item.value);
    }
  }
  return changes;
}

/** Summary words: one per zone change, saying when only one of runtime and permanent changes. */
export function describeChanges(changes: ZoneChange[], bothScopes: boolean): string[] {
  const key = (c: ZoneChange, v: string) => `${c.zone}: ${c.action} ${c.kind} ${v}`;
  const scopes = new Map<string, Set<string>>();
  for (const c of changes) for (const v of c.values) scopes.set(key(c, v), (scopes.get(key(c, v)) ?? new Set()).add(c.scope));
  return [...scopes].map(([words, s]) => (bothScopes && s.size === 1 ? `${words} (${[...s][0]} only)` : words));
}

function changeCommand(change: ZoneChange, offline: boolean): string {
  const tool = offline ? 'firewall-offline-cmd' : change.scope === 'permanent' ? 'firewall-cmd --permanent' : 'firewall-cmd';
  return `${tool} --zone=${shq(change.zone)} ${change.values.map((v) => shq(`--${change.action}-${change.kind}=${v}`)).join(' ')}`;
}

async function fail(ctx: ModuleContext, what: string, result: { code: number; stdout: string; stderr: string }, journal: boolean): Promise<never> {
  const lines = journal ? (await ctx.run('journalctl -u firewalld -n 20 --no-pager 2>&1')).stdout.trimEnd() : '';
  const reason = result.stderr.trim() || result.stdout.trim() || `exit code ${result.code}`;
  throw new ModuleFailure(`${what} failed: ${reason}${lines ? `\nlast journal lines:\n${lines}` : ''}`, {
    rc: result.code,
    stdout: result.stdout,
    stderr: result.stderr,
  });
}

function checkCombination(args: Args): void {
  const items = ['zone', 'services', 'ports', 'sources', 'rich_rules', 'state'] as const;
  const given = items.filter((k) => args[k] !== undefined);
  if (args.mode === 'none' || args.mode === 'off') {
    const extra = [...given, ...(['intranet', 'public_ports'] as const).filter((k) => args[k] !== undefined)];
    if (extra.length) throw new ModuleFailure(`mode ${args.mode} takes no zone settings (got ${extra.join(', ')})`);
  } else if (args.mode === undefined) {
    if (args.intranet !== undefined || args.public_ports !== undefined) throw new ModuleFailure('intranet and public_ports go with mode: zone');
    if (given.filter((k) => k !== 'zone' && k !== 'state').length === 0)
      throw new ModuleFailure('nothing to do: give mode, or services, ports, sources or rich_rules');
  }
}

/** Manage firewalld: Pigsty's node_firewall_mode (off, none, zone) and zone services, ports, sources and rich rules, runtime and permanent. */
export const firewalld = defineModule({
  name: 'firewalld',
  args: FirewalldArgs,
  async plan(ctx, args) {
    checkCombination(args);
    if (args.mode === 'none') return { changed: false, summary: 'firewalld left alone (mode none)' };

    const items = wantedItems(args);
    const state = parseState(mustSucceed(await ctx.run(readCommand(args.mode !== 'off')), 'reading firewalld state').stdout);
    const data = { installed: state.installed, running: state.running, enabled: state.enabled };

    if (args.mode === 'off') {
      const actions = [state.active ? 'stop' : '', state.enabled ? 'disable' : ''].filter(Boolean);
      if (actions.length === 0) return { changed: false, data };
      return {
        changed: true,
        summary: `firewalld: ${actions.join(', ')}`,
        data,
        apply: async () => {
          const result = await ctx.run(actions.map((a) => `systemctl ${a} firewalld.service`).join(' && '));
          if (result.code !== 0) await fail(ctx, `firewalld ${actions.join(', ')}`, result, false);
        },
      };
    }

    if (!state.installed || !state.permanent) {
      if (args.mode === 'zone')
        return { changed: false, data, warnings: ['firewalld is not installed: node_firewall_mode zone has nothing to configure'] };
      throw new ModuleFailure('firewalld is not installed');
    }
    const warnings: string[] = [];
    const startsIt = args.mode === 'zone' && !state.running;
    if (!state.running && !startsIt) warnings.push('firewalld is not running: only its permanent configuration is changed');
    const changes = planZones(items, { runtime: state.runtime, permanent: state.permanent });
    const unitActions = args.mode === 'zone' ? [startsIt ? 'start' : '', state.enabled ? '' : 'enable'].filter(Boolean) : [];
    const words = [...unitActions.map((a) => `${a} firewalld`), ...describeChanges(changes, state.running)];
    if (words.length === 0) return { changed: false, data, warnings };

    return {
      changed: true,
      summary: words.join('; '),
      data,
      warnings,
      apply: async () => {
        // Stopped: edit the permanent configuration offline; starting then loads it as the runtime one.
        if (changes.length) {
          const result = await ctx.run(['set -e', ...changes.map((c) => changeCommand(c, !state.running))].join('\n'));
          if (result.code !== 0) await fail(ctx, `firewalld ${describeChanges(changes, state.running).join('; ')}`, result, false);
        }
        if (startsIt) {
          // systemctl may report success for a daemon that gives up a moment later: ask again after a second.
          const started = await ctx.run(
            'systemctl start firewalld.service 2>&1; sleep 1; firewall-cmd --state 2>&1 && systemctl is-active firewalld.service',
          );
          if (started.code !== 0) await fail(ctx, 'starting firewalld', { ...started, stderr: started.stdout.trim() }, true);
        }
        if (unitActions.includes('enable')) mustSucceed(await ctx.run('systemctl enable firewalld.service'), 'enabling firewalld');
      },
    };
  },
});
