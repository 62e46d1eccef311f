import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { shq } from '../engine/connection/shell.ts';
import { ModuleFailure, mustSucceed, type FileDiff, type ModuleContext, type Plan } from '../engine/module.ts';

export const Mode = Type.Union([Type.String({ pattern: '^0?[0-7]{3,4}$' }), Type.Integer({ minimum: 0, maximum: 0o7777 })], {
  description: "octal mode such as '0644'",
});

/** The owner/group/mode arguments every file-writing module takes. */
export const attributeArgs = {
  owner: Type.Optional(Type.String({ minLength: 1 })),
  group: Type.Optional(Type.String({ minLength: 1 })),
  mode: Type.Optional(Mode),
};

/** A string enum as JSON Schema `enum`, so a wrong value gets one error naming every allowed value. */
export function Enum<const T extends string>(values: readonly T[], options: { default?: T; description?: string } = {}): ReturnType<typeof Type.Unsafe<T>> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

/** A path's current state, read with one remote command. */
export interface PathState {
  kind: 'absent' | 'file' | 'directory' | 'link' | 'other';
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  /** Permission bits as a number (0o644). */
  mode?: number;
  size?: number;
  sha256?: string;
  linkTarget?: string;
}

/**
 * A shell function printing one path's state as `kind|owner|group|mode|uid|gid|size|link target` and a NUL,
 * so a link target with any characters in it still parses.
 */
export const STAT_FN =
  `st() { if [ -L "$1" ]; then k=link; elif [ -d "$1" ]; then k=directory; elif [ -f "$1" ]; then k=file; ` +
  `elif [ -e "$1" ]; then k=other; else printf 'absent\\0'; return 0; fi; ` +
  `printf '%s|' "$k"; stat --printf '%U|%G|%a|%u|%g|%s|' -- "$1"; ` +
  `if [ "$k" = link ]; then readlink -n -- "$1"; fi; printf '\\0'; }`;

/** The shell that prints a PathState (see STAT_FN), then a sha256 for regular files. */
export function statCommand(path: string): string {
  return `${STAT_FN}; ${statOf(shq(path))}`;
}

/** statCommand for a path given as a shell word ("$s"), for scripts that define STAT_FN once. */
export function statOf(word: string): string {
  return `st ${word} && if [ -f ${word} ] && [ ! -L ${word} ]; then sha256sum < ${word}; fi`;
}

function parseStatLine(line: string, raw: string): PathState {
  const [kind, owner, group, mode, uid, gid, size, ...target] = line.split('|');
  if (kind === 'absent') return { kind };
  if (kind !== 'file' && kind !== 'directory' && kind !== 'link' && kind !== 'other') {
    throw new ModuleFailure(`cannot read path state: ${raw.trim()}`);
  }
  const state: PathState = { kind, owner, group, mode: parseInt(mode ?? '0', 8), uid: Number(uid), gid: Number(gid), size: Number(size) };
  if (kind === 'link') state.linkTarget = target.join('|');
  return state;
}

/** Parse what statCommand printed. */
export function parseStat(output: string): PathState {
  const end = output.indexOf('\0');
  if (end < 0) throw new ModuleFailure(`cannot read path state: ${output.trim()}`);
  const state = parseStatLine(output.slice(0, end), output);
  // sha256sum prints "<hash>  -".
  const hash = output.slice(end + 1).trim().split(/\s/)[0];
  if (state.kind === 'file' && hash) state.sha256 = hash;
  return state;
}

/** Read one path's state. */
export async function readPath(ctx: ModuleContext, path: string): Promise<PathState> {
  return parseStat(mustSucceed(await ctx.run(statCommand(path)), `reading ${path}`).stdout);
}

/** A file read whole with its state: what planContent needs to plan without reading again. */
export interface FileRead {
  /** The path read: the link's final target when following links. */
  path: string;
  state: PathState;
  /** The bytes of a regular file. */
  content?: Buffer;
}

/** Read a path's state and, for a regular file, its bytes (base64 on the wire), in one remote command. */
export async function readFile(ctx: ModuleContext, path: string, options: { follow?: boolean } = {}): Promise<FileRead> {
  const resolve = options.follow ? `r=$(readlink -m -- ${shq(path)})` : `r=${shq(path)}`;
  const command = `${STAT_FN}; ${resolve} && printf '%s\\0' "$r" && st "$r" && if [ -f "$r" ] && [ ! -L "$r" ]; then base64 -w0 < "$r"; fi`;
  const out = mustSucceed(await ctx.run(command), `reading ${path}`).stdout;
  const [real = path, line = '', data = ''] = out.split('\0');
  const state = parseStatLine(line, out);
  if (state.kind !== 'file') return { path: real, state };
  const content = Buffer.from(data.trim(), 'base64');
  state.sha256 = sha256(content);
  return { path: real, state, content };
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

/** Whether a wanted user or group (a name or a numeric id) differs from what the path has. */
export function idDiffers(wanted: string | undefined, name: string | undefined, id: number | undefined): boolean {
  return wanted !== undefined && wanted !== name && wanted !== String(id);
}

/** The argument chown takes for the parts of owner:group that are set. */
export const chownSpec = (owner: string | undefined, group: string | undefined): string => `${owner ?? ''}${group ? `:${group}` : ''}`;

/** Attribute changes needed on an existing path, as words for the summary and commands to apply them. */
export function attributeChanges(path: string, current: PathState, wanted: Ownership): { words: string[]; commands: string[] } {
  const words: string[] = [];
  const commands: string[] = [];
  const owner = idDiffers(wanted.owner, current.owner, current.uid) ? wanted.owner : undefined;
  const group = idDiffers(wanted.group, current.group, current.gid) ? wanted.group : undefined;
  if (owner || group) {
    words.push(`owner ${current.owner}:${current.group} -> ${owner ?? current.owner}:${group ?? current.group}`);
    commands.push(`chown -h ${shq(chownSpec(owner, group))} -- ${shq(path)}`);
  }
  if (wanted.mode !== undefined && wanted.mode !== current.mode && current.kind !== 'link') {
    words.push(`mode ${octal(current.mode ?? 0)} -> ${octal(wanted.mode)}`);
    commands.push(`chmod ${octal(wanted.mode)} -- ${shq(path)}`);
  }
  return { words, commands };
}

/** Where and how a whole file is written. */
export interface WriteSpec extends Ownership {
  dest: string;
  /** Keep a timestamped copy of the file it replaces. */
  backup?: boolean;
  /** A command that must accept the new file before it replaces the old; %s is the temp file. */
  validate?: string;
  /** Create missing parent directories (lineinfile/blockinfile `create`). */
  makeParents?: boolean;
}

export interface ContentSpec extends WriteSpec {
  content: string | Buffer;
  /** What the change is, for the summary ("line added"). */
  what?: string;
}

/** Ansible's max_diff_size: larger files are compared by hash only. */
export const MAX_DIFF_BYTES = 104_448;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of content that can be shown in a diff, or undefined for binary or oversized content. */
export function diffableText(content: string | Buffer): string | undefined {
  if (typeof content === 'string') return Buffer.byteLength(content) <= MAX_DIFF_BYTES ? content : undefined;
  if (content.length > MAX_DIFF_BYTES || content.includes(0)) return undefined;
  try {
    return utf8.decode(content);
  } catch {
    return undefined;
  }
}

/** A diff of a file's content, or a note saying why there is none. */
export function contentDiff(path: string, before: string | Buffer | undefined, after: string | Buffer): { diff?: FileDiff; note?: string } {
  const b = before === undefined ? undefined : diffableText(before);
  const a = diffableText(after);
  return b === undefined || a === undefined ? { note: 'binary or larger than 100 KiB, no diff' } : { diff: { path, before: b, after: a } };
}

/**
 * Plan writing a whole file: compare by hash, show a diff, write atomically (temp file in the same directory,
 * then rename). Pass `known` when the caller already read the file (readFile) to spare the reads.
 */
export async function planContent(ctx: ModuleContext, spec: ContentSpec, known?: FileRead): Promise<Plan> {
  const current = known?.state ?? (await readPath(ctx, spec.dest));
  if (current.kind === 'directory' || current.kind === 'other') throw new ModuleFailure(`${spec.dest} exists and is not a regular file`);
  const contentChanged = current.kind !== 'file' || current.sha256 !== sha256(spec.content);
  const attrs = current.kind === 'file' ? attributeChanges(spec.dest, current, spec) : { words: [], commands: [] };
  if (!contentChanged && attrs.commands.length === 0) return { changed: false };

  if (!contentChanged) return planAttributes(ctx, spec.dest, attrs);
  const before = current.kind === 'file' ? (known?.content ?? (await readBefore(ctx, spec.dest, current))) : '';
  const { diff, note } = contentDiff(spec.dest, before, spec.content);
  const verb = current.kind === 'absent' ? 'create' : 'update';
  const details = [...attrs.words, ...(note ? [note] : [])];
  return {
    changed: true,
    summary: `${verb} ${spec.dest}${spec.what ? `: ${spec.what}` : ''}${details.length ? ` (${details.join(', ')})` : ''}`,
    ...(diff ? { diff: [diff] } : {}),
    apply: async () => void mustSucceed(await ctx.run(writeCommand(spec, current), { stdin: spec.content }), `writing ${spec.dest}`),
  };
}

/** Plan changing only the owner/group/mode of an existing path. */
export function planAttributes(ctx: ModuleContext, path: string, attrs: { words: string[]; commands: string[] }): Plan {
  return {
    changed: true,
    summary: `${path}: ${attrs.words.join(', ')}`,
    apply: async () => void mustSucceed(await ctx.run(attrs.commands.join(' && ')), `changing attributes of ${path}`),
  };
}

/** The old content of a file for the diff; a file too large to diff is not read. */
async function readBefore(ctx: ModuleContext, path: string, current: PathState): Promise<Buffer | undefined> {
  if ((current.size ?? 0) > MAX_DIFF_BYTES) return undefined;
  const out = mustSucceed(await ctx.run(`base64 -w0 < ${shq(path)}`), `reading ${path}`).stdout;
  return Buffer.from(out.trim(), 'base64');
}

/**
 * Shell that fills a temp file next to dest (from stdin unless `fill` says otherwise), validates it and renames
 * it over dest, keeping the old file's attributes unless new ones are given.
 */
export function writeCommand(spec: WriteSpec, current: PathState, fill = 'cat > "$tmp"'): string {
  const dest = shq(spec.dest);
  const mode = spec.mode ?? (current.kind === 'file' ? current.mode : 0o644);
  const owner = spec.owner ?? (current.kind === 'file' ? current.owner : undefined);
  const group = spec.group ?? (current.kind === 'file' ? current.group : undefined);
  const lines = ['set -e'];
  if (spec.makeParents) lines.push(`mkdir -p -- ${shq(dirOf(spec.dest))}`);
  lines.push(`tmp=$(mktemp ${shq(`${dirOf(spec.dest)}/.${baseOf(spec.dest)}.`)}XXXXXX)`, `trap 'rm -f "$tmp"' EXIT`, fill);
  lines.push(`chmod ${octal(mode ?? 0o644)} "$tmp"`);
  if (owner || group) lines.push(`chown ${shq(chownSpec(owner, group))} "$tmp"`);
  // Its own status decides, whatever its form: set -e does not stop on `! cmd` or `a || b`.
  if (spec.validate) lines.push(`( ${spec.validate.replace(/%s/g, '"$tmp"')}\n) || { echo 'validate command rejected the new content' >&2; exit 1; }`);
  if (spec.backup && current.kind === 'file') lines.push(`cp -p -- ${dest} ${dest}.$(date +%Y%m%d%H%M%S)~`);
  lines.push(`mv -f -- "$tmp" ${dest}`, 'trap - EXIT');
  return lines.join('\n');
}

export const dirOf = (path: string): string => path.replace(/\/[^/]*$/, '') || '/';
export const baseOf = (path: string): string => path.replace(/^.*\//, '');

/** A file shipped with a role: roles/<role>/<kind>/<name>, found from the role module's import.meta.url. */
export function roleAsset(importMetaUrl: string, kind: 'templates' | 'files', name: string): string {
  const file = fileURLToPath(importMetaUrl);
  const role = /^(.*\/roles\/[^/]+)\//.exec(file);
  return join(role ? role[1]! : dirname(file), kind, name);
}

/** What lineinfile/blockinfile-style edits share: the file, whether to create it, and how to write it. */
export interface EditSpec extends Ownership {
  path: string;
  /** absent: a missing file needs no edit. */
  state?: 'present' | 'absent';
  create?: boolean;
  backup?: boolean;
  validate?: string;
}

/** The result of editing a file's text: the new text (undefined: leave a missing file missing) and what changed. */
export interface Edit {
  text: string | undefined;
  what: string;
  data?: Record<string, unknown>;
}

/**
 * Plan an in-place edit of a text file read once (following links, as Ansible edits the real file): the edit
 * gets the current text (undefined when the file is missing) and returns the new; the write goes through
 * planContent.
 */
export async function planEdit(ctx: ModuleContext, spec: EditSpec, edit: (text: string | undefined) => Edit): Promise<Plan> {
  const read = await readFile(ctx, spec.path, { follow: true });
  if (read.state.kind === 'directory') throw new ModuleFailure(`${spec.path} is a directory`);
  if (read.state.kind !== 'file' && read.state.kind !== 'absent') throw new ModuleFailure(`${spec.path} is not a regular file`);
  const exists = read.state.kind === 'file';
  if (!exists && spec.state === 'absent') return { changed: false, data: { msg: 'file not present' } };
  if (!exists && !spec.create) throw new ModuleFailure(`${spec.path} does not exist (set create to make it)`);
  let text: string | undefined;
  if (exists) {
    try {
      text = utf8.decode(read.content ?? Buffer.alloc(0));
    } catch {
      throw new ModuleFailure(`${spec.path} is not UTF-8 text`);
    }
  }
  const result = edit(text);
  const data = { msg: result.text === text ? '' : result.what, ...result.data };
  if (result.text === undefined) return { changed: false, data };
  const { owner, group, mode, backup, validate } = spec;
  const write = { owner, group, mode, backup, validate, dest: read.path, content: result.text, makeParents: !exists, what: result.what };
  const plan = await planContent(ctx, write, read);
  return { ...plan, data };
}
