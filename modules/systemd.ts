import { Type } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type ModuleContext } from '../engine/module.ts';

/** A string enum as JSON Schema `enum`, so a wrong value is reported with the allowed ones. */

export const SystemdArgs = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9:_.@\\\\-]*$', description: 'a unit name such as patroni or patroni.service' }),
    state: Type.Optional(Enum(['started', 'stopped', 'restarted', 'reloaded'])),
    enabled: Type.Optional(Type.Boolean()),
    masked: Type.Optional(Type.Boolean()),
    /** Reload systemd's unit files first, even when systemd does not report this unit's file as changed. */
    daemon_reload: Type.Optional(Type.Boolean()),
    /** After a start or restart, seconds to wait for the unit to become active (0: do not wait). */
    wait_timeout: Type.Optional(Type.Integer({ minimum: 0, default: 30 })),
  },
  { additionalProperties: false },
);

/** The unit properties the module reads with one `systemctl show`. */
export interface UnitStatus {
  Id: string;
  LoadState: string;
  ActiveState: string;
  SubState: string;
  UnitFileState: string;
  NeedDaemonReload: string;
}

const PROPERTIES = ['Id', 'LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'NeedDaemonReload'] as const;

/** Parse `systemctl show -p ...` output (Key=Value lines). */
export function parseShow(output: string): UnitStatus {
  const status = Object.fromEntries(PROPERTIES.map((p) => [p, ''])) as unknown as UnitStatus;
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=');
    const key = line.slice(0, eq) as keyof UnitStatus;
    if (eq > 0 && (PROPERTIES as readonly string[]).includes(key)) status[key] = line.slice(eq + 1).trim();
  }
  return status;
}

// Unit file states in which the unit starts at boot or cannot be enabled further (is-enabled exits 0 for these).
const ENABLED_LIKE = ['enabled', 'enabled-runtime', 'static', 'indirect', 'alias', 'generated', 'transient'];
const DISABLEABLE = ['enabled', 'enabled-runtime', 'linked', 'linked-runtime'];
const RUNNING = ['active', 'activating', 'reloading'];

/** One systemctl action the plan needs, in the order they run. */
export type UnitAction = 'daemon-reload' | 'unmask' | 'mask' | 'enable' | 'disable' | 'start' | 'stop' | 'restart' | 'reload';

/** The actions that take a unit from its status to the wanted one; throws when the wanted state is impossible. */
export function planUnit(
  status: UnitStatus,
  args: { name: string; state?: string; enabled?: boolean; masked?: boolean; daemon_reload?: boolean },
): UnitAction[] {
  const unit = status.Id || args.name;
  const masked = status.UnitFileState.startsWith('masked');
  if (args.masked === true && (args.enabled === true || (args.state !== undefined && args.state !== 'stopped'))) {
    throw new ModuleFailure(`${unit}: a masked unit cannot be ${args.enabled ? 'enabled' : args.state}`);
  }
  const actions: UnitAction[] = [];
  if (args.daemon_reload || status.NeedDaemonReload === 'yes') actions.push('daemon-reload');
  if (args.masked === false && masked) actions.push('unmask');
  const willBeMasked = args.masked === true || (masked && args.masked !== false);
  const activates = ['started', 'restarted', 'reloaded'].includes(args.state ?? '');
  // Stopping or disabling a unit that does not exist is already done; starting or enabling it cannot be.
  if (status.LoadState === 'not-found' && !willBeMasked && (args.enabled === true || activates)) throw new ModuleFailure(`unit ${unit} not found`);
  if (willBeMasked && (args.enabled === true || activates)) {
    throw new ModuleFailure(`${unit} is masked: unmask it (masked: false) before ${args.enabled ? 'enabling' : 'starting'} it`);
  }
  if (args.enabled === true && !ENABLED_LIKE.includes(status.UnitFileState)) actions.push('enable');
  if (args.enabled === false && DISABLEABLE.includes(status.UnitFileState)) actions.push('disable');
  if (args.masked === true && !masked) actions.push('mask');
  const running = RUNNING.includes(status.ActiveState);
  if (args.state === 'started' && !running) actions.push('start');
  if (args.state === 'stopped' && (running || status.ActiveState === 'deactivating')) actions.push('stop');
  if (args.state === 'restarted') actions.push('restart');
  if (args.state === 'reloaded') actions.push(running ? 'reload' : 'start');
  return actions;
}

const command = (action: UnitAction, unit: string): string =>
  action === 'daemon-reload' ? 'systemctl daemon-reload' : `systemctl ${action} -- ${shq(unit)}`;

/** Shell that polls until the unit is active twice in a row (a unit that dies at once never counts), failed, or out of time. */
function waitCommand(unit: string, timeout: number): string {
  return [
    `end=$(( $(date +%s) + ${timeout} )); prev=`,
    'while :; do',
    `  show=$(systemctl show -p ActiveState -p Result -- ${shq(unit)})`,
    '  state=$(echo "$show" | sed -n "s/^ActiveState=//p"); result=$(echo "$show" | sed -n "s/^Result=//p")',
    '  case "$state" in',
    '    active) [ "$prev" = active ] && exit 0 ;;',
    '    failed) echo "ActiveState=failed (Result=$result)"; exit 1 ;;',
    '    inactive) [ "$result" = success ] && exit 0; echo "ActiveState=inactive (Result=$result)"; exit 1 ;;',
    '  esac',
    '  prev=$state',
    `  [ "$(date +%s)" -ge "$end" ] && { echo "still $state after ${timeout}s"; exit 1; }`,
    '  sleep 0.2',
    'done',
  ].join('\n');
}

async function failWithJournal(ctx: ModuleContext, unit: string, what: string, rc: number, output: string): Promise<never> {
  const journal = (await ctx.run(`journalctl -u ${shq(unit)} -n 20 --no-pager 2>&1`)).stdout.trimEnd();
  throw new ModuleFailure(`${unit} ${what}: ${output.trim()}\nlast journal lines:\n${journal}`, { rc, stdout: journal, stderr: output });
}

/** Start, stop, restart, reload, enable, disable, mask or unmask a systemd unit; reloads systemd when its unit file changed. */
export const systemd = defineModule({
  name: 'systemd',
  concurrentPlans: true,
  args: SystemdArgs,
  async plan(ctx, args) {
    const shown = await ctx.run(`systemctl show -p ${PROPERTIES.join(',')} -- ${shq(args.name)}`);
    const status = parseShow(mustSucceed(shown, `reading unit ${args.name}`).stdout);
    const unit = status.Id || args.name;
    const activates = args.enabled === true || ['started', 'restarted', 'reloaded'].includes(args.state ?? '');
    if (ctx.check && status.LoadState === 'not-found' && activates && args.masked !== true) {
      // In a dry run the package task before this one did not really run, so the unit cannot exist yet.
      const wanted = [args.enabled === true ? 'enable' : '', args.state === 'stopped' || !args.state ? '' : args.state.replace(/ed$/, '')].filter(
        Boolean,
      );
      return {
        changed: true,
        summary: `${unit}: ${wanted.join(', ')}`,
        warnings: [`unit ${unit} is not installed yet: assuming an earlier task of this run installs it`],
      };
    }
    const actions = planUnit(status, args);
    const data = { name: unit, status: { ...status } };
    if (actions.length === 0) return { changed: false, data };
    return {
      changed: true,
      summary: `${unit}: ${actions.join(', ')}`,
      data,
      apply: async () => {
        const result = await ctx.run(['set -e', ...actions.flatMap((a) => [`echo ${a}`, command(a, unit)])].join('\n'));
        const starts = actions.some((a) => a === 'start' || a === 'restart');
        if (result.code !== 0) {
          const failed = result.stdout.trim().split('\n').pop() as UnitAction;
          if (failed === 'start' || failed === 'restart') await failWithJournal(ctx, unit, `failed to ${failed}`, result.code, result.stderr);
          throw new ModuleFailure(`${unit}: ${failed} failed: ${result.stderr.trim()}`, {
            rc: result.code,
            stdout: result.stdout,
            stderr: result.stderr,
          });
        }
        const timeout = args.wait_timeout ?? 30;
        if (!starts || timeout === 0) return;
        const waited = await ctx.run(waitCommand(unit, timeout));
        if (waited.code !== 0) await failWithJournal(ctx, unit, 'did not become active', waited.code, waited.stdout);
      },
    };
  },
});
