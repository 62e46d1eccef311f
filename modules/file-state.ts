import { createHash } from 'node:crypto';
import { shq } from '../engine/connection/shell.ts';
import { ModuleFailure, mustSucceed, type FileDiff, type ModuleContext, type Plan } from '../engine/module.ts';

/** A path's current state, read with one remote command. */
export interface PathState {
  kind: 'absent' | 'file' | 'directory' | 'link' | 'other';
  owner?: string;
  group?: string;
  /** Permission bits as a number (0o644). */
  mode?: number;
  sha256?: string;
  linkTarget?: string;
}

/** The shell that prints a PathState: type|owner|group|octal mode|link target, then a sha256 for regular files. */
export function statCommand(path: string): string {
  const p = shq(path);
  return (
    `if [ -L ${p} ]; then printf 'link|%s\\n' "$(stat -c '%U|%G|%a' -- ${p})|$(readlink -- ${p})"; ` +
    `elif [ -d ${p} ]; then printf 'directory|%s\\n' "$(stat -c '%U|%G|%a' -- ${p})"; ` +
    `elif [ -f ${p} ]; then printf 'file|%s\\n' "$(stat -c '%U|%G|%a' -- ${p})"; sha256sum < ${p} | cut -d' ' -f1; ` +
    `elif [ -e ${p} ]; then echo other; else echo absent; fi`
  );
}

/** Parse what statCommand printed. */
export function parseStat(output: string): PathState {
  const [head = '', hash] = output.trim().split('\n');
  const [kind, owner, group, mode, linkTarget] = head.split('|');
  if (kind === 'absent' || kind === 'other') return { kind };
  if (kind !== 'file' && kind !== 'directory' && kind !== 'link') throw new ModuleFailure(`cannot read path state: ${output.trim()}`);
  const state: PathState = { kind, owner, group, mode: parseInt(mode ?? '0', 8) };
  if (kind === 'file' && hash) state.sha256 = hash.trim();
  if (kind === 'link') state.linkTarget = linkTarget;
  return state;
}

/** Read one path's state. */
export async function readPath(ctx: ModuleContext, path: string): Promise<PathState> {
  return parseStat(mustSucceed(await ctx.run(statCommand(path)), `reading ${path}`).stdout);
}

/** A mode given as Ansible writes it ('0644', '644', 0o644 or the YAML 1.1 octal 420) as a number. */
export function parseMode(mode: string | number | undefined): number | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode === 'number') return mode;
  if (!/^0?[0-7]{3,4}$/.test(mode)) throw new ModuleFailure(`invalid mode "${mode}": expected an octal string such as '0644'`);
  return parseInt(mode, 8);
}

export const octal = (mode: number): string => `0${mode.toString(8).padStart(3, '0')}`;

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

export interface Ownership {
  owner?: string;
  group?: string;
  mode?: number;
}

/** Attribute changes needed on an existing path, as words for the summary and commands to apply them. */
export function attributeChanges(path: string, current: PathState, wanted: Ownership): { words: string[]; commands: string[] } {
  const words: string[] = [];
  const commands: string[] = [];
  const owner = wanted.owner !== undefined && wanted.owner !== current.owner ? wanted.owner : undefined;
  const group = wanted.group !== undefined && wanted.group !== current.group ? wanted.group : undefined;
  if (owner || group) {
    words.push(`owner ${current.owner}:${current.group} -> ${owner ?? current.owner}:${group ?? current.group}`);
    commands.push(`chown -h ${shq(`${owner ?? ''}${group ? `:${group}` : ''}`)} -- ${shq(path)}`);
  }
  if (wanted.mode !== undefined && wanted.mode !== current.mode && current.kind !== 'link') {
    words.push(`mode ${octal(current.mode ?? 0)} -> ${octal(wanted.mode)}`);
    commands.push(`chmod ${octal(wanted.mode)} -- ${shq(path)}`);
  }
  return { words, commands };
}

export interface ContentSpec extends Ownership {
  dest: string;
  content: string;
  /** Keep a timestamped copy of the file it replaces. */
  backup?: boolean;
  /** A command that must accept the new file before it replaces the old; %s is the temp file. */
  validate?: string;
}

/** Plan writing a whole file: compare by hash, show a diff, write atomically (temp file in the same directory, then rename). */
export async function planContent(ctx: ModuleContext, spec: ContentSpec): Promise<Plan> {
  const current = await readPath(ctx, spec.dest);
  if (current.kind === 'directory' || current.kind === 'other') throw new ModuleFailure(`${spec.dest} exists and is not a regular file`);
  const contentChanged = current.kind !== 'file' || current.sha256 !== sha256(spec.content);
  const attrs = current.kind === 'file' ? attributeChanges(spec.dest, current, spec) : { words: [], commands: [] };
  if (!contentChanged && attrs.commands.length === 0) return { changed: false };

  if (!contentChanged) {
    return {
      changed: true,
      summary: `${spec.dest}: ${attrs.words.join(', ')}`,
      apply: async () => void mustSucceed(await ctx.run(attrs.commands.join(' && ')), `changing attributes of ${spec.dest}`),
    };
  }
  const before = current.kind === 'file' ? mustSucceed(await ctx.run(`cat -- ${shq(spec.dest)}`), `reading ${spec.dest}`).stdout : '';
  const diff: FileDiff = { path: spec.dest, before, after: spec.content };
  const verb = current.kind === 'absent' ? 'create' : 'update';
  return {
    changed: true,
    summary: `${verb} ${spec.dest}${attrs.words.length ? ` (${attrs.words.join(', ')})` : ''}`,
    diff: [diff],
    apply: async () => void mustSucceed(await ctx.run(writeCommand(spec, current), { stdin: spec.content }), `writing ${spec.dest}`),
  };
}

/** Shell that writes stdin to dest atomically, keeping the old file's attributes unless new ones are given. */
function writeCommand(spec: ContentSpec, current: PathState): string {
  const dest = shq(spec.dest);
  const mode = spec.mode ?? (current.kind === 'file' ? current.mode : 0o644);
  const owner = spec.owner ?? (current.kind === 'file' ? current.owner : undefined);
  const group = spec.group ?? (current.kind === 'file' ? current.group : undefined);
  const lines = [
    'set -e',
    `tmp=$(mktemp ${shq(`${dirOf(spec.dest)}/.${baseOf(spec.dest)}.`)}XXXXXX)`,
    `trap 'rm -f "$tmp"' EXIT`,
    `cat > "$tmp"`,
    `chmod ${octal(mode ?? 0o644)} "$tmp"`,
  ];
  if (owner || group) lines.push(`chown ${shq(`${owner ?? ''}${group ? `:${group}` : ''}`)} "$tmp"`);
  if (spec.validate) lines.push(spec.validate.replace(/%s/g, '"$tmp"'));
  if (spec.backup && current.kind === 'file') lines.push(`cp -p -- ${dest} ${dest}.$(date +%Y%m%d%H%M%S)~`);
  lines.push(`mv -f -- "$tmp" ${dest}`, 'trap - EXIT');
  return lines.join('\n');
}

const dirOf = (path: string): string => path.replace(/\/[^/]*$/, '') || '/';
const baseOf = (path: string): string => path.replace(/^.*\//, '');
