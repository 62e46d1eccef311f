import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
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

/** The shell that prints a PathState (see STAT_FN) for a path given as a shell word ("$s"), then a sha256 for regular files. */
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

/** Parse what statOf printed. */
export function parseStat(output: string): PathState {
  const end = output.indexOf('\0');
  if (end < 0) throw new ModuleFailure(`cannot read path state: ${output.trim()}`);
  const state = parseStatLine(output.slice(0, end), output);
  // sha256sum prints "<hash>  -".
  const hash = output
    .slice(end + 1)
    .trim()
    .split(/\s/)[0];
  if (state.kind === 'file' && hash) state.sha256 = hash;
  return state;
}

/**
 * Shell functions that keep root from being turned against itself by a user who owns a directory on a path (the
 * dbsu owns its home, pg_data and /etc/pgbouncer, and can plant symlinks there). A symlink is trusted only where
 * no one but root can have made it: in a directory root owns that is neither sticky (/tmp: anyone may add names
 * there) nor writable by its group or everyone (ut).
 * Links are resolved one hop at a time, and the directory holding each hop is judged again: a trusted link (/pg)
 * may point through a directory the dbsu owns, where the next link is the dbsu's.
 * - rs PATH [1] walks PATH and sets R to where it leads through trusted links (with 1, a link at PATH's last name
 *   too) and U to the first link that is not trusted (PATH itself when that is its last name), when acting as root;
 * - lk PATH is rs without following a link at PATH's last name: U says whether PATH may be acted on;
 * - go DIR [1] enters DIR from / one name at a time (with 1, making missing directories), refusing a link that is
 *   not trusted, following a trusted one a hop at a time and comparing the physical path after each step, so a name
 *   swapped for a symlink after the check is caught too; names in DIR are then used as ./NAME and resolve through
 *   nothing else;
 * - sm MODE NAME changes the mode of NAME in the current directory, never through a symlink (chmod follows one):
 *   a directory from inside it, anything else through a hard link in a private directory.
 */
export const SAFE_FN = [
  'unset CDPATH',
  // A directory others may add names to: not root's, sticky (/tmp), or writable by its group or everyone.
  `ut() { [ ! -O "$1" ] || [ -k "$1" ] || [ -n "$(find "$1" -maxdepth 0 -perm /022 -print)" ]; }`,
  // _r holds the names still to walk; a link's target is put in front of them, so the walk never lets the kernel
  // resolve more than the one name it is looking at.
  `rs() { U=; R=; _x=; [ -O / ] && _x=1; _r=$1; _p=; _n=0; while [ -n "$_r" ]; do ` +
    `case $_r in */*) _c=\${_r%%/*}; _r=\${_r#*/} ;; *) _c=$_r; _r= ;; esac; ` +
    `case $_c in ''|.) continue ;; ..) _p=\${_p%/*}; continue ;; esac; _q=$_p/$_c; ` +
    `if [ -L "$_q" ]; then if [ -n "$_x" ] && ut "\${_p:-/}"; then ` +
    `if [ -z "$_r" ] && [ "$2" != 1 ]; then U=$1; else U=$_q; fi; R=$_q; return 0; fi; ` +
    `if [ -z "$_r" ] && [ "$2" != 1 ]; then _p=$_q; break; fi; _n=$((_n + 1)); ` +
    `if [ $_n -gt 40 ] || ! _t=$(readlink -- "$_q"); then U=$_q; R=$_q; return 0; fi; ` +
    `case $_t in /*) _p= ;; esac; _r=$_t/$_r; continue; fi; _p=$_q; done; R=\${_p:-/}; }`,
  'lk() { rs "$1"; }',
  `go() { _m=$2; _n=0; cd / || return 1; _r=$1; while [ -n "$_r" ]; do ` +
    `case $_r in */*) _c=\${_r%%/*}; _r=\${_r#*/} ;; *) _c=$_r; _r= ;; esac; case $_c in ''|.) continue ;; esac; ` +
    `_w=\${PWD%/}/$_c; if [ "$_m" = 1 ] && [ ! -e "$_c" ] && [ ! -L "$_c" ] && ! mkdir -- "$_c"; then return 1; fi; ` +
    `if [ -L "$_c" ]; then if [ -O / ] && ut .; then echo "$_w is a symlink someone other than root could have put there: not following it" >&2; return 1; fi; ` +
    `_n=$((_n + 1)); if [ $_n -gt 40 ] || ! _t=$(readlink -- "$_c"); then echo "cannot follow the symlink $_w" >&2; return 1; fi; ` +
    `case $_t in /*) cd / || return 1 ;; esac; _r=$_t/$_r; continue; fi; ` +
    `if ! cd -P -- "$_c" 2>/dev/null; then if [ ! -e "$_c" ]; then echo "$_w does not exist" >&2; elif [ ! -d "$_c" ]; then echo "$_w is not a directory" >&2; ` +
    `else echo "cannot enter $_w" >&2; fi; return 1; fi; ` +
    `if [ "$_c" != .. ] && [ "$PWD" != "$_w" ]; then echo "$_w became a symlink while in use: not following it" >&2; return 1; fi; done; }`,
  `sm() { if [ ! -O / ] || [ "$2" = . ]; then chmod "$1" -- "$2"; return; fi; _w=\${PWD%/}/$2; ` +
    `if [ -L "$2" ]; then echo "$_w is a symlink: not changing the mode of what it points to" >&2; return 1; fi; ` +
    `if [ -d "$2" ]; then (cd -P -- "$2" && [ "$PWD" = "$_w" ] && chmod "$1" .) && return 0; ` +
    `else _s=$(mktemp -d .pgsty.XXXXXX) || return 1; _d=\${PWD%/}/$_s; ` +
    `_e=0; (cd -P -- "$_s" && [ "$PWD" = "$_d" ] && [ -O . ] && ln -P -- "../$2" x && [ ! -L x ] && chmod "$1" x; _e=$?; rm -f x; exit $_e) || _e=$?; ` +
    `rmdir -- "$_s"; [ $_e = 0 ] && return 0; fi; echo "$_w changed while in use: mode not changed" >&2; return 1; }`,
].join('\n');

/** How a module treats symlinks on the path it acts on. */
export type Follow =
  /** follow: true: resolve every link now (readlink -m) and act on the result, as the task asked. */
  | 'always'
  /** Follow a link at the path itself unless someone other than root may have planted it (lineinfile's default). */
  | 'trusted'
  /** A link at the path itself is what is acted on (replaced, or changed with chown -h), never its target. */
  | 'never';

/** The Follow for a task's `follow` argument, given what the module does without it. */
export const followOf = (follow: boolean | undefined, otherwise: Follow): Follow => (follow ? 'always' : otherwise);

/**
 * The shell that reads a path's state, then the sha256 (with `whole`, the base64) of a regular file, for a path given
 * as a shell word; SAFE_FN and STAT_FN must be defined. Prints U (an untrusted symlink on the path, see SAFE_FN), the
 * path acted on and STAT_FN's line. The file is opened once and read only if the name still is that file, so a name
 * swapped for a symlink after the check cannot show another file's content.
 */
export function readScript(word: string, follow: Follow, whole: boolean): string {
  const resolve =
    follow === 'always'
      ? `U=; r=$(readlink -m -- ${word})`
      : `lk ${word}; r=${word}${follow === 'trusted' ? '; if [ -z "$U" ] && [ -L "$r" ]; then rs "$r" 1; r=$R; fi' : ''}`;
  return [
    resolve,
    `printf '%s\\0%s\\0' "$U" "$r"`,
    'st "$r"',
    // Checked again once open: a directory on the path swapped for a symlink and back in between makes -ef fail.
    `if [ -z "$U" ] && [ -f "$r" ] && [ ! -L "$r" ]; then exec 3< "$r"; lk "$r"; [ -z "$U" ] && [ ! -L "$r" ] && [ "$r" -ef /proc/self/fd/3 ] || ` +
      `{ echo "$r changed while being read" >&2; exit 1; }; ${whole ? 'base64 -w0' : 'sha256sum'} <&3; fi`,
  ].join('\n');
}

/** A file read with its state: what planContent needs to plan without reading again. */
export interface FileRead {
  /** The path acted on: the link's final target when following links. */
  path: string;
  state: PathState;
  /** The bytes of a regular file (read whole). */
  content?: Buffer;
  /** A symlink on the path that someone other than root may have planted, when acting as root. */
  untrusted?: string;
}

/** Parse what readScript printed. */
export function parseRead(output: string, whole: boolean): FileRead {
  const [untrusted = '', real = '', line = '', data = ''] = output.split('\0');
  const state = parseStatLine(line, output);
  const read: FileRead = { path: real, state, ...(untrusted ? { untrusted } : {}) };
  if (state.kind !== 'file') return read;
  if (whole) {
    read.content = Buffer.from(data.trim(), 'base64');
    state.sha256 = sha256(read.content);
  } else {
    // sha256sum prints "<hash>  -".
    state.sha256 = data.trim().split(/\s/)[0];
  }
  return read;
}

/** Read a path's state and, for a regular file, its bytes (base64 on the wire) or with `whole: false` its hash, in one command. */
export async function readFile(ctx: ModuleContext, path: string, options: { follow: Follow; whole?: boolean }): Promise<FileRead> {
  const whole = options.whole ?? true;
  const command = `${STAT_FN}\n${SAFE_FN}\n${readScript(shq(path), options.follow, whole)}`;
  return parseRead(mustSucceed(await ctx.run(command), `reading ${path}`).stdout, whole);
}

/**
 * Fail unless every symlink on the path is one only root could have planted, or the task asked to follow links.
 * With `never`, a link at the path itself is fine: it is replaced or changed itself, not followed.
 */
export function requireTrusted(path: string, untrusted: string | undefined, follow: Follow): void {
  if (!untrusted || (follow === 'never' && untrusted === path)) return;
  const what = untrusted === path ? path : `${untrusted} (on the path to ${path})`;
  throw new ModuleFailure(
    `refusing to follow ${what}: a symlink someone other than root could have put there, pointing anywhere; set follow: true to follow it`,
  );
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

/**
 * Attribute changes needed on an existing path, as words for the summary and shell to apply them (SAFE_FN must be
 * defined): the path's directory is entered with go, so neither chown -h nor sm resolves anything but the name.
 */
export function attributeChanges(path: string, current: PathState, wanted: Ownership): { words: string[]; commands: string[] } {
  const words: string[] = [];
  const commands: string[] = [];
  const name = shq(baseOf(path) || '.');
  const owner = idDiffers(wanted.owner, current.owner, current.uid) ? wanted.owner : undefined;
  const group = idDiffers(wanted.group, current.group, current.gid) ? wanted.group : undefined;
  if (owner || group) {
    words.push(`owner ${current.owner}:${current.group} -> ${owner ?? current.owner}:${group ?? current.group}`);
    commands.push(`chown -h ${shq(chownSpec(owner, group))} -- ${name}`);
  }
  if (wanted.mode !== undefined && wanted.mode !== current.mode && current.kind !== 'link') {
    words.push(`mode ${octal(current.mode ?? 0)} -> ${octal(wanted.mode)}`);
    commands.push(`sm ${octal(wanted.mode)} ${name}`);
  }
  if (commands.length) commands.unshift(`go ${shq(dirOf(path))}`);
  return { words, commands };
}

/** Where and how a whole file is written. */
export interface WriteSpec extends Ownership {
  dest: string;
  /** Keep a timestamped copy of the file it replaces. */
  backup?: boolean;
  /** A command that must accept the new file before it replaces the old; %s is the staged file. */
  validate?: string;
  /** Create missing parent directories (lineinfile/blockinfile `create`). */
  makeParents?: boolean;
}

export interface ContentSpec extends WriteSpec {
  content: string | Buffer;
  /** What the change is, for the summary ("line added"). */
  what?: string;
  /** How a symlink at dest is treated when planContent reads it: replaced (never, the default) or followed (always). */
  follow?: Follow;
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
 * Plan writing a whole file: compare by hash, show a diff, write atomically through writeCommand. Pass `known` when
 * the caller already read the file (readFile) to spare the reads.
 */
export async function planContent(ctx: ModuleContext, spec: ContentSpec, known?: FileRead): Promise<Plan> {
  const follow = spec.follow ?? 'never';
  const read = known ?? (await readFile(ctx, spec.dest, { follow, whole: false }));
  requireTrusted(spec.dest, read.untrusted, follow);
  const dest = read.path || spec.dest;
  const current = read.state;
  if (current.kind === 'directory' || current.kind === 'other') throw new ModuleFailure(`${dest} exists and is not a regular file`);
  const contentChanged = current.kind !== 'file' || current.sha256 !== sha256(spec.content);
  const attrs = current.kind === 'file' ? attributeChanges(dest, current, spec) : { words: [], commands: [] };
  if (!contentChanged && attrs.commands.length === 0) return { changed: false };

  if (!contentChanged) return planAttributes(ctx, dest, attrs);
  const before = current.kind === 'file' ? (read.content ?? (await readBefore(ctx, dest, current))) : '';
  const { diff, note } = contentDiff(dest, before, spec.content);
  const verb = current.kind === 'absent' ? 'create' : 'update';
  const details = [...attrs.words, ...(note ? [note] : [])];
  const write = { ...spec, dest };
  return {
    changed: true,
    summary: `${verb} ${dest}${spec.what ? `: ${spec.what}` : ''}${details.length ? ` (${details.join(', ')})` : ''}`,
    ...(diff ? { diff: [diff] } : {}),
    apply: async () => void mustSucceed(await ctx.run(writeCommand(write, current), { stdin: spec.content }), `writing ${dest}`),
  };
}

/** Plan changing only the owner/group/mode of an existing path (commands from attributeChanges). */
export function planAttributes(ctx: ModuleContext, path: string, attrs: { words: string[]; commands: string[] }): Plan {
  return {
    changed: true,
    summary: `${path}: ${attrs.words.join(', ')}`,
    apply: async () => void mustSucceed(await ctx.run(`${SAFE_FN}\n${attrs.commands.join(' && ')}`), `changing attributes of ${path}`),
  };
}

/** The old content of a file for the diff, read as safely as the plan's read; a file too large to diff is not read. */
async function readBefore(ctx: ModuleContext, path: string, current: PathState): Promise<Buffer | undefined> {
  if ((current.size ?? 0) > MAX_DIFF_BYTES) return undefined;
  const read = await readFile(ctx, path, { follow: 'never' });
  return read.untrusted ? undefined : read.content;
}

/**
 * Shell that writes dest atomically and never through a symlink: it enters dest's directory with go (SAFE_FN), makes
 * a private directory there (mktemp -d: root's, mode 0700, so the directory's owner cannot swap what is staged in
 * it), fills `new` in it (from stdin unless `fill` says otherwise), gives it the old file's SELinux context, ACLs and
 * xattrs where they exist, then owner, group and mode, validates it, fsyncs it, renames it over dest (a symlink at
 * dest is replaced, never followed) and fsyncs the directory.
 */
export function writeCommand(spec: WriteSpec, current: PathState, fill = 'cat > new'): string {
  const name = shq(baseOf(spec.dest));
  const mode = spec.mode ?? (current.kind === 'file' ? current.mode : 0o644);
  const owner = spec.owner ?? (current.kind === 'file' ? current.owner : undefined);
  const group = spec.group ?? (current.kind === 'file' ? current.group : undefined);
  const lines = ['set -e', SAFE_FN, `go ${shq(dirOf(spec.dest))}${spec.makeParents ? ' 1' : ''} || exit 1`, `n=${name}`, 'd=${PWD%/}'];
  lines.push(
    's=$(mktemp -d ".$n.XXXXXX")',
    `trap 'rmdir -- "$s"' EXIT`,
    'cd -P -- "$s"',
    `[ "$PWD" = "$d/$s" ] && [ -O . ] || { echo "$d/$s changed while in use" >&2; exit 1; }`,
    `trap 'rm -f new old; cd .. && rmdir -- "$s"' EXIT`,
    fill,
  );
  // --preserve=all carries the context and xattrs (ACLs included) where the filesystem has them, and is silent where not.
  if (current.kind === 'file')
    lines.push('if [ -f "../$n" ] && [ ! -L "../$n" ]; then cp --attributes-only --preserve=all --no-preserve=timestamps -- "../$n" new; fi');
  // chown before chmod: chown clears setuid and setgid bits.
  if (owner || group) lines.push(`chown ${shq(chownSpec(owner, group))} new`);
  lines.push(`chmod ${octal(mode ?? 0o644)} new`);
  // Its own status decides, whatever its form: set -e does not stop on `! cmd` or `a || b`.
  if (spec.validate)
    lines.push(`( ${spec.validate.replace(/%s/g, '"$PWD/new"')}\n) || { echo 'validate command rejected the new content' >&2; exit 1; }`);
  lines.push('sync -- new');
  if (spec.backup && current.kind === 'file') lines.push('cp -P -p -- "../$n" old', 'mv -fT -- old "../$n.$(date +%Y%m%d%H%M%S)~"');
  lines.push('mv -fT -- new "../$n"', 'sync -- ..');
  return lines.join('\n');
}

/** The directory an absolute path is in: `/` for an entry of the root. */
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
  /** Follow a symlink on the path even where someone other than root may have planted it. */
  follow?: boolean;
}

/** The result of editing a file's text: the new text (undefined: leave a missing file missing) and what changed. */
export interface Edit {
  text: string | undefined;
  what: string;
  data?: Record<string, unknown>;
}

/**
 * Plan an in-place edit of a text file read once (following a symlink at the path, as Ansible edits the real file,
 * unless someone other than root may have planted it: then only with follow: true): the edit gets the current text
 * (undefined when the file is missing) and returns the new; the write goes through planContent.
 */
export async function planEdit(ctx: ModuleContext, spec: EditSpec, edit: (text: string | undefined) => Edit): Promise<Plan> {
  const follow = followOf(spec.follow, 'trusted');
  const read = await readFile(ctx, spec.path, { follow });
  requireTrusted(spec.path, read.untrusted, follow);
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
  const write = { owner, group, mode, backup, validate, follow, dest: read.path, content: result.text, makeParents: !exists, what: result.what };
  const plan = await planContent(ctx, write, read);
  return { ...plan, data };
}
