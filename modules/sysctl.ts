import { Type } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type Plan } from '../engine/module.ts';
import { planContent } from './file-state.ts';

/**
 * A sysctl key: levels separated by dots, each starting with a letter, digit or _ (a slash inside a level stands for
 * a dot, as in eth0/1), so no level becomes `..` or `.` on its way to /proc/sys.
 */
export const SYSCTL_KEY = '^[A-Za-z0-9_][A-Za-z0-9_/-]*(\\.[A-Za-z0-9_][A-Za-z0-9_/-]*)*$';
const Value = Type.Union([Type.String({ pattern: '^[^\\n]*$' }), Type.Number()]);

export const SysctlArgs = Type.Object(
  {
    /** One key (Ansible's form), with value and state. */
    name: Type.Optional(Type.String({ pattern: SYSCTL_KEY })),
    value: Type.Optional(Value),
    state: Type.Optional(Enum(['present', 'absent'])),
    /** Every key of the file (Pigsty's tuning profiles): the file is written with exactly these lines. */
    settings: Type.Optional(Type.Record(Type.String({ pattern: SYSCTL_KEY }), Value, { additionalProperties: false })),
    /** The file holding the keys; a symlink is followed (Debian's 99-sysctl.conf points at /etc/sysctl.conf). */
    sysctl_file: Type.Optional(Type.String({ pattern: '^/' })),
    /** Also set the live kernel value (default true). */
    reload: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const DEFAULT_FILE = '/etc/sysctl.d/99-sysctl.conf';

/** sysctl's key to /proc/sys path rule: dots separate levels, a slash stands for a dot inside a level (eth0.1). */
export const procPath = (key: string): string => `/proc/sys/${key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`;

/** Keys compare with either separator; values compare with whitespace collapsed (/proc separates fields by tabs). */
const normKey = (key: string): string => key.replace(/\//g, '.');
const normValue = (value: string | number): string => String(value).trim().split(/\s+/).join(' ');

/** The live state of one key. */
export interface LiveValue {
  access: 'rw' | 'ro' | 'missing';
  value: string;
}

/** The file (after following symlinks) and the live values, as read with one command. */
export interface SysctlState {
  path: string;
  kind: 'file' | 'absent' | 'other';
  content: string;
  live: Map<string, LiveValue>;
}

/** The shell that prints SysctlState for a file and keys. */
export function readCommand(file: string, keys: string[]): string {
  const lines = [
    `real=$(readlink -f -- ${shq(file)} || echo ${shq(file)})`,
    'printf "@path\\t%s\\n" "$real"',
    'if [ -f "$real" ]; then printf "@file\\t%s\\n" "$(base64 -w0 < "$real")"; elif [ -e "$real" ]; then echo "@other"; else echo "@absent"; fi',
  ];
  for (const key of keys) {
    const p = shq(procPath(key));
    lines.push(
      `if [ ! -e ${p} ]; then access=missing; elif [ -w ${p} ]; then access=rw; else access=ro; fi`,
      `printf "@live\\t%s\\t%s\\t%s\\n" ${shq(key)} "$access" "$(tr '\\t\\n' '  ' < ${p} 2>/dev/null)"`,
    );
  }
  return lines.join('\n');
}

/** Parse what readCommand printed. */
export function parseState(output: string): SysctlState {
  const state: SysctlState = { path: '', kind: 'absent', content: '', live: new Map() };
  for (const line of output.split('\n')) {
    const [tag, a = '', b = '', c = ''] = line.split('\t');
    if (tag === '@path') state.path = a;
    else if (tag === '@file') [state.kind, state.content] = ['file', Buffer.from(a, 'base64').toString('utf8')];
    else if (tag === '@other') state.kind = 'other';
    else if (tag === '@live') state.live.set(normKey(a), { access: b as LiveValue['access'], value: normValue(c) });
  }
  if (!state.path) throw new ModuleFailure(`cannot read sysctl state: ${output.trim()}`);
  return state;
}

/** A file's content with one key set (replacing its first line, dropping duplicates) or removed; other lines kept. */
export function editContent(content: string, key: string, value: string | number | undefined): string {
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let placed = false;
  for (const line of lines) {
    const m = /^\s*([^#;=\s][^=]*?)\s*=/.exec(line);
    if (!m || normKey(m[1] ?? '') !== normKey(key)) out.push(line);
    else if (value !== undefined && !placed) {
      out.push(`${key} = ${normValue(value)}`);
      placed = true;
    }
  }
  if (value !== undefined && !placed) out.push(`${key} = ${normValue(value)}`);
  return out.length ? `${out.join('\n')}\n` : '';
}

/** The whole file for a settings map, one `key = value` line per key in the given order. */
export const renderSettings = (settings: Record<string, string | number>): string =>
  Object.entries(settings)
    .map(([k, v]) => `${k} = ${normValue(v)}\n`)
    .join('');

/** Set kernel parameters: write them to a sysctl.d file and apply them live where /proc/sys is writable. */
export const sysctl = defineModule({
  name: 'sysctl',
  concurrentPlans: true,
  args: SysctlArgs,
  async plan(ctx, args) {
    const absent = args.state === 'absent';
    if ((args.name === undefined) === (args.settings === undefined))
      throw new ModuleFailure('give either name (one key) or settings (the whole file)');
    if (args.settings !== undefined && (args.value !== undefined || args.state !== undefined)) {
      throw new ModuleFailure('value and state go with name; settings holds the values of every key');
    }
    if (args.settings !== undefined && args.sysctl_file === undefined) throw new ModuleFailure('settings needs sysctl_file: the file it owns');
    if (args.name !== undefined && !absent && args.value === undefined) throw new ModuleFailure(`value is required to set ${args.name}`);

    const wanted: Record<string, string | number> = args.settings ?? (absent ? {} : { [args.name as string]: args.value as string | number });
    const file = args.sysctl_file ?? DEFAULT_FILE;
    const read = await ctx.run(readCommand(file, Object.keys(wanted)));
    const state = parseState(mustSucceed(read, `reading sysctl ${file}`).stdout);
    if (state.kind === 'other') throw new ModuleFailure(`${state.path} exists and is not a regular file`);

    const content = args.settings ? renderSettings(args.settings) : editContent(state.content, args.name as string, absent ? undefined : args.value);
    const fileChanged = state.kind === 'absent' ? content !== '' || args.settings !== undefined : content !== state.content;

    const warnings: string[] = [];
    const live: [string, string][] = [];
    if (args.reload !== false) {
      for (const [key, value] of Object.entries(wanted)) {
        const current = state.live.get(normKey(key));
        if (!current || current.value === normValue(value)) continue;
        if (current.access === 'missing') warnings.push(`${key} does not exist on this kernel: written to ${state.path}, not applied live`);
        else if (current.access === 'ro')
          warnings.push(`/proc/sys is read-only here: ${key} written to ${state.path}, not applied live (now ${current.value})`);
        else live.push([key, normValue(value)]);
      }
    }
    const data = { sysctl_file: state.path, live: Object.fromEntries([...state.live].map(([k, v]) => [k, v.value])) };
    if (!fileChanged && live.length === 0) return { changed: false, data, warnings };

    const filePlan: Plan | undefined = fileChanged ? await planContent(ctx, { dest: state.path, content }) : undefined;
    const words = [
      filePlan?.summary,
      live.length ? `set live ${live.map(([k, v]) => `${k} = ${v} (was ${state.live.get(normKey(k))?.value})`).join(', ')}` : '',
    ].filter(Boolean);
    return {
      changed: true,
      summary: words.join('; '),
      diff: filePlan?.diff,
      data,
      warnings,
      apply: async () => {
        await filePlan?.apply?.();
        if (live.length === 0) return;
        const set = await ctx.run(`sysctl -q -w ${live.map(([k, v]) => shq(`${k}=${v}`)).join(' ')}`);
        mustSucceed(set, `setting ${live.map(([k]) => k).join(', ')} live`);
      },
    };
  },
});
