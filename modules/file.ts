import { Type } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type FileDiff, type ModuleContext, type Plan } from '../engine/module.ts';
import {
  attributeArgs,
  baseOf,
  chownSpec,
  dirOf,
  followOf,
  idDiffers,
  octal,
  parseMode,
  requireTrusted,
  SAFE_FN,
  type Follow,
  type Ownership,
} from './file-state.ts';

export const FILE_STATES = ['directory', 'file', 'link', 'absent', 'touch', 'hard'] as const;
export type FileState = (typeof FILE_STATES)[number];

export const FileArgs = Type.Object(
  {
    path: Type.String({ pattern: '^/', description: 'absolute path to manage' }),
    state: Type.Optional(Enum(FILE_STATES, { description: 'omitted: change the attributes of what exists' })),
    ...attributeArgs,
    recurse: Type.Optional(Type.Boolean({ description: 'apply owner/group/mode to everything under the directory too' })),
    src: Type.Optional(Type.String({ minLength: 1, description: 'link: the target, as written (relative to the link); hard: the existing file' })),
    force: Type.Optional(Type.Boolean({ description: 'link/hard: replace a file or an empty directory, or link to a missing target' })),
    follow: Type.Optional(
      Type.Boolean({
        description:
          'directory/file/touch: act on the target of a symlink at path. Unset, a symlink is followed unless someone other than root could have planted it; false acts on the link itself',
      }),
    ),
  },
  {
    additionalProperties: false,
    allOf: [
      { if: { properties: { state: { enum: ['link', 'hard'] } }, required: ['state'] }, then: { required: ['src'] } },
      {
        if: { properties: { recurse: { const: true } }, required: ['recurse'] },
        then: { properties: { state: { enum: ['directory'] } }, required: ['state'] },
      },
    ],
  },
);

/** One path as `find -printf` describes it. */
export interface Entry {
  /** find's %y: f, d, l, p, s, c, b. */
  type: string;
  owner: string;
  group: string;
  uid: number;
  gid: number;
  mode: number;
  /** device:inode, to tell whether two paths are one file. */
  inode: string;
  nlink: number;
  /** Where a symlink points, as written. */
  target: string;
  path: string;
}

/** What one remote command found about the path, its nearest existing ancestor and the link source. */
export interface FileRead {
  /** A symlink on the path that someone other than root could have planted, when acting as root (see SAFE_FN). */
  untrusted?: string;
  /** The target of a followed symlink at path: where the changes go. */
  resolved?: string;
  /** The path and, with recurse, everything under it; empty when the path does not exist. */
  entries: Entry[];
  /** The nearest existing ancestor, when the path does not exist. */
  ancestor?: Entry;
  /** link: whether src exists (relative to the link's directory). */
  srcExists?: boolean;
  /** hard: the source file. */
  source?: Entry;
  /** link: whether the directory at path is empty. */
  emptyDir?: boolean;
}

const FIELDS = 10;
const FORMAT = '%y\\0%u\\0%g\\0%U\\0%G\\0%m\\0%D:%i\\0%n\\0%l\\0%p\\0';

/**
 * The one command that reads everything a file task needs. `trusted` reads through a symlink at path unless someone
 * other than root could have planted it, `always` through any; either prints where it points.
 */
export function readCommand(args: { path: string; state?: FileState; recurse?: boolean; src?: string }, follow: Follow): string {
  const p = shq(args.path);
  const lines = [
    SAFE_FN,
    // find fails when it cannot return to a working directory the become user may not enter (root's home).
    'cd /',
    'ok=0',
    `p=${p}`,
    follow === 'always' ? 'U=; h=; if [ -L "$p" ]; then h=-H; R=$(readlink -m -- "$p"); fi' : 'lk "$p"; h=',
    follow === 'trusted' ? 'if [ -z "$U" ] && [ -L "$p" ]; then rs "$p" 1; [ -n "$U" ] || h=-H; fi' : ':',
    `printf '%s\\1' "$U"`,
    `if [ -n "$h" ]; then printf '%s\\n' "$R"; fi`,
    `printf '\\1'`,
    `if [ -e "$p" ] || [ -L "$p" ]; then`,
    `  find $h "$p" ${args.recurse ? '' : '-maxdepth 0 '}-printf '${FORMAT}' || ok=$?`,
    'else',
    `  d=$(dirname -- "$p"); while [ ! -e "$d" ] && [ ! -L "$d" ]; do d=$(dirname -- "$d"); done`,
    `  printf 'A\\0'; find -H "$d" -maxdepth 0 -printf '${FORMAT}' || ok=$?`,
    'fi',
    `printf '\\1'`,
  ];
  if (args.src !== undefined && (args.state === 'link' || args.state === 'hard')) {
    const s = shq(args.src);
    // A relative source is relative to the link's directory, as the kernel resolves it.
    const inDir = `cd -- "$(dirname -- "$p")" 2>/dev/null`;
    if (args.state === 'link') lines.push(`if (${inDir} && [ -e ${s} ]); then printf S; else printf N; fi`);
    else lines.push(`(${inDir} && [ -e ${s} ] && find -H ${s} -maxdepth 0 -printf '${FORMAT}') || true`);
    lines.push(`printf '\\1'`, `if [ -d "$p" ] && [ ! -L "$p" ]; then if [ -z "$(ls -A -- "$p")" ]; then printf e; else printf f; fi; fi`);
  }
  lines.push('exit $ok');
  return lines.join('\n');
}

function parseEntries(text: string): Entry[] {
  const fields = text.split('\0');
  const entries: Entry[] = [];
  for (let i = 0; i + FIELDS <= fields.length; i += FIELDS) {
    const [type = '', owner = '', group = '', uid, gid, mode = '0', inode = '', nlink, target = '', path = ''] = fields.slice(i, i + FIELDS);
    entries.push({ type, owner, group, uid: Number(uid), gid: Number(gid), mode: parseInt(mode, 8), inode, nlink: Number(nlink), target, path });
  }
  return entries;
}

/** Parse what readCommand printed. */
export function parseRead(output: string): FileRead {
  const [untrusted = '', resolved = '', main = '', src = '', dir = ''] = output.split('\x01');
  const read: FileRead = { entries: [], ...(untrusted ? { untrusted } : {}), ...(resolved ? { resolved: resolved.trim() } : {}) };
  if (main.startsWith('A\0')) read.ancestor = parseEntries(main.slice(2))[0];
  else read.entries = parseEntries(main);
  if (src === 'S' || src === 'N') read.srcExists = src === 'S';
  else if (src) read.source = parseEntries(src)[0];
  if (dir) read.emptyDir = dir === 'e';
  return read;
}

const TYPE_NAMES: Record<string, string> = { f: 'file', d: 'directory', l: 'link', p: 'fifo', s: 'socket', c: 'character device', b: 'block device' };
const typeName = (entry: Entry): string => TYPE_NAMES[entry.type] ?? 'special file';

/** The attribute changes one existing entry needs. */
function needs(entry: Entry, wanted: Ownership, modeApplies: boolean): { chown: boolean; chmod: boolean } {
  return {
    chown: idDiffers(wanted.owner, entry.owner, entry.uid) || idDiffers(wanted.group, entry.group, entry.gid),
    chmod: modeApplies && wanted.mode !== undefined && entry.type !== 'l' && entry.mode !== wanted.mode,
  };
}

/** A path's state as diff text: what `--diff` shows for a file task. */
function describe(state: { type: string; owner?: string; group?: string; mode?: number; target?: string } | undefined): string {
  if (!state) return 'state: absent\n';
  const lines = [`state: ${TYPE_NAMES[state.type] ?? state.type}`];
  if (state.target) lines.push(`src: ${state.target}`);
  if (state.owner !== undefined) lines.push(`owner: ${state.owner}`);
  if (state.group !== undefined) lines.push(`group: ${state.group}`);
  if (state.mode !== undefined && state.type !== 'l') lines.push(`mode: ${octal(state.mode)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Shell that sets the wanted attributes on an entry of the current directory (entered with go), never through a
 * symlink: chown -h, and sm for the mode (a link has none).
 */
function setAttributes(name: string, wanted: Ownership, link: boolean): string[] {
  const commands: string[] = [];
  if (wanted.owner || wanted.group) commands.push(`chown -h ${shq(chownSpec(wanted.owner, wanted.group))} -- ${name}`);
  if (wanted.mode !== undefined && !link) commands.push(`sm ${octal(wanted.mode)} ${name}`);
  return commands;
}

/** A path's directory entered with go, and the path's name in it as a shell word. */
const inDir = (path: string): { enter: string; name: string } => ({ enter: `go ${shq(dirOf(path))}`, name: shq(baseOf(path) || '.') });

interface Args {
  path: string;
  state?: FileState;
  recurse?: boolean;
  src?: string;
  force?: boolean;
}

/**
 * Plan owner/group/mode changes on an existing path (and with recurse, the tree under it): at `read.resolved` when a
 * symlink at path was followed, else on the path itself (a link there is changed itself).
 */
function planAttributes(ctx: ModuleContext, args: Args, read: FileRead, wanted: Ownership): Plan {
  const [root, ...inner] = read.entries as [Entry, ...Entry[]];
  const isLink = root.type === 'l';
  const top = needs(root, wanted, !isLink);
  // Under a followed link, paths are changed where they are, not through the link.
  const real = (path: string): string => (read.resolved ? `${read.resolved}${path.slice(args.path.length)}` : path);
  const chownInner = inner.filter((e) => needs(e, wanted, true).chown).map((e) => real(e.path));
  const chmodInner = inner.filter((e) => needs(e, wanted, true).chmod).map((e) => real(e.path));
  if (!top.chown && !top.chmod && chownInner.length === 0 && chmodInner.length === 0) return { changed: false };

  const owner = chownSpec(wanted.owner, wanted.group);
  const words: string[] = [];
  // A followed link's target has no links left on its path (resolved a hop at a time): its changes go there.
  const { enter, name } = inDir(read.resolved ?? args.path);
  const commands = [enter];
  if (top.chown) {
    words.push(`owner ${root.owner}:${root.group} -> ${wanted.owner ?? root.owner}:${wanted.group ?? root.group}`);
    commands.push(`chown -h ${shq(owner)} -- ${name}`);
  }
  if (top.chmod) {
    words.push(`mode ${octal(root.mode)} -> ${octal(wanted.mode!)}`);
    commands.push(`sm ${octal(wanted.mode!)} ${name}`);
  }
  if (chownInner.length) words.push(`owner of ${chownInner.length} path(s) below -> ${owner}`);
  if (chmodInner.length) words.push(`mode of ${chmodInner.length} path(s) below -> ${octal(wanted.mode!)}`);
  const after = { ...root, owner: wanted.owner ?? root.owner, group: wanted.group ?? root.group, mode: top.chmod ? wanted.mode! : root.mode };
  // Paths under the tree go on stdin, NUL-separated (any name is data, no command line gets too long), and each
  // is changed from its own directory entered with go, so a directory swapped for a symlink is never gone through.
  const each = (command: string) => `xargs -0 -r sh -c ${shq(`${SAFE_FN}\nfor e; do go "\${e%/*}" && ${command} "\${e##*/}" || exit 1; done`)} sh`;
  return {
    changed: true,
    summary: `${args.path}: ${words.join(', ')}`,
    diff: [{ path: args.path, before: describe(root), after: describe(after) }],
    apply: async () => {
      if (commands.length > 1) mustSucceed(await ctx.run(`${SAFE_FN}\n${commands.join(' && ')}`), `changing attributes of ${args.path}`);
      if (chownInner.length) {
        const r = await ctx.run(each(`chown -h ${shq(owner)} --`), { stdin: `${chownInner.join('\0')}\0` });
        mustSucceed(r, `changing owner under ${args.path}`);
      }
      if (chmodInner.length) {
        const r = await ctx.run(each(`sm ${octal(wanted.mode!)}`), { stdin: `${chmodInner.join('\0')}\0` });
        mustSucceed(r, `changing mode under ${args.path}`);
      }
    },
  };
}

/** A plan that runs one script to make the change. */
function scripted(ctx: ModuleContext, path: string, summary: string, diff: FileDiff, script: string[], what: string, warnings?: string[]): Plan {
  return {
    changed: true,
    summary,
    diff: [diff],
    ...(warnings?.length ? { warnings } : {}),
    apply: async () => void mustSucceed(await ctx.run(['set -e', SAFE_FN, ...script].join('\n')), `${what} ${path}`),
  };
}

/** The parent must be an existing directory to create a path in it. */
function requireParent(path: string, read: FileRead): void {
  const parent = dirOf(path);
  if (read.ancestor && (read.ancestor.path !== parent || read.ancestor.type !== 'd')) {
    throw new ModuleFailure(
      `cannot create ${path}: ${read.ancestor.path === parent ? `${parent} is not a directory` : `directory ${parent} does not exist`}`,
    );
  }
}

function planDirectory(ctx: ModuleContext, args: Args, read: FileRead, wanted: Ownership): Plan {
  const root = read.entries[0];
  if (root) {
    if (root.type !== 'd') throw new ModuleFailure(`${args.path} exists and is a ${typeName(root)}, not a directory`);
    return planAttributes(ctx, args, read, wanted);
  }
  const ancestor = read.ancestor!;
  if (ancestor.type !== 'd') throw new ModuleFailure(`cannot create ${args.path}: ${ancestor.path} is a ${typeName(ancestor)}, not a directory`);
  // Every directory created gets the attributes, parents included, as Ansible does.
  const created: string[] = [];
  for (let dir = args.path; dir !== ancestor.path && dir !== '/'; dir = dirOf(dir)) created.unshift(dir);
  const script = created.flatMap((dir) => {
    const { enter, name } = inDir(dir);
    return [enter, `mkdir -- ${name}`, ...setAttributes(name, wanted, false)];
  });
  const extra = created.length > 1 ? ` (and ${created.length - 1} parent(s))` : '';
  const after = describe({ type: 'd', owner: wanted.owner, group: wanted.group, mode: wanted.mode });
  return scripted(
    ctx,
    args.path,
    `create directory ${args.path}${extra}`,
    { path: args.path, before: describe(undefined), after },
    script,
    'creating',
  );
}

function planLink(ctx: ModuleContext, args: Args & { src: string }, read: FileRead, wanted: Ownership): Plan {
  const root = read.entries[0];
  const warnings = wanted.mode !== undefined ? ['mode is ignored for a symlink'] : undefined;
  if (!read.srcExists && !args.force) throw new ModuleFailure(`link target ${args.src} does not exist (set force to link to it anyway)`);
  if (root?.type === 'l' && root.target === args.src) {
    const plan = planAttributes(ctx, args, read, { owner: wanted.owner, group: wanted.group });
    return warnings ? { ...plan, warnings } : plan;
  }
  if (root && root.type !== 'l' && !args.force) {
    throw new ModuleFailure(`${args.path} exists and is a ${typeName(root)}; set force to replace it with a link`);
  }
  if (root?.type === 'd' && !read.emptyDir)
    throw new ModuleFailure(`${args.path} is a directory that is not empty; refusing to replace it with a link`);
  if (!root) requireParent(args.path, read);
  const { enter, name } = inDir(args.path);
  // -T everywhere: a name someone made a directory meanwhile is an error, not a place to put the link into.
  const script = [
    enter,
    `tmp=$(mktemp -u ${shq(`.${baseOf(args.path)}.`)}XXXXXX)`,
    `ln -sT -- ${shq(args.src)} "$tmp"`,
    ...setAttributes('"$tmp"', wanted, true),
    ...(root?.type === 'd' ? [`rmdir -- ${name}`] : []),
    `mv -fT -- "$tmp" ${name}`,
  ];
  const was = root ? (root.type === 'l' ? ` (was -> ${root.target})` : ` (replacing a ${typeName(root)})`) : '';
  const after = describe({ type: 'l', target: args.src, owner: wanted.owner, group: wanted.group });
  return scripted(
    ctx,
    args.path,
    `link ${args.path} -> ${args.src}${was}`,
    { path: args.path, before: describe(root), after },
    script,
    'linking',
    warnings,
  );
}

function planHard(ctx: ModuleContext, args: Args & { src: string }, read: FileRead, wanted: Ownership): Plan {
  const root = read.entries[0];
  const source = read.source;
  if (!source) throw new ModuleFailure(`hard link source ${args.src} does not exist`);
  if (source.type === 'd') throw new ModuleFailure(`hard link source ${args.src} is a directory`);
  if (root?.inode === source.inode) return planAttributes(ctx, args, read, wanted);
  if (root?.type === 'd') throw new ModuleFailure(`${args.path} is a directory; cannot replace it with a hard link`);
  // A file that is its only name holds data nothing else has: replace it only when forced.
  if (root && root.type !== 'l' && root.nlink < 2 && !args.force) {
    throw new ModuleFailure(`${args.path} exists and is a ${typeName(root)}; set force to replace it with a hard link`);
  }
  if (!root) requireParent(args.path, read);
  const { enter, name } = inDir(args.path);
  // A relative src is relative to the link's directory, the one entered.
  const script = [
    enter,
    `tmp=$(mktemp -u ${shq(`.${baseOf(args.path)}.`)}XXXXXX)`,
    `ln -T -- ${shq(args.src)} "$tmp"`,
    `mv -fT -- "$tmp" ${name}`,
    ...setAttributes(name, wanted, false),
  ];
  const after = describe({ ...source, owner: wanted.owner ?? source.owner, group: wanted.group ?? source.group, mode: wanted.mode ?? source.mode });
  return scripted(ctx, args.path, `hard link ${args.path} to ${args.src}`, { path: args.path, before: describe(root), after }, script, 'linking');
}

/**
 * Manage a path: a directory (with parents), a file's attributes, a symlink, a hard link, absence, or touch.
 * touch creates a missing file and otherwise only fixes attributes, keeping timestamps (Ansible's
 * access_time/modification_time: preserve), so it is idempotent.
 */
export const file = defineModule({
  name: 'file',
  concurrentPlans: true,
  args: FileArgs,
  async plan(ctx, given) {
    const args = { ...given, path: given.path.replace(/\/+/g, '/').replace(/(.)\/$/, '$1') };
    const wanted: Ownership = { owner: args.owner, group: args.group, mode: parseMode(args.mode) };
    // link, hard and absent act on the path itself, as Ansible does; the others follow a link at path (Ansible's
    // follow: true) unless someone other than root could have planted it.
    const acted = args.state === 'link' || args.state === 'hard' || args.state === 'absent' || args.follow === false;
    const follow: Follow = acted ? 'never' : followOf(args.follow, 'trusted');
    const read = parseRead(mustSucceed(await ctx.run(readCommand(args, follow)), `reading ${args.path}`).stdout);
    requireTrusted(args.path, read.untrusted, follow);
    const root = read.entries[0];
    const { enter, name } = inDir(args.path);
    switch (args.state) {
      case 'absent':
        if (!root) return { changed: false };
        return scripted(
          ctx,
          args.path,
          `remove ${typeName(root)} ${args.path}`,
          { path: args.path, before: describe(root), after: describe(undefined) },
          [enter, `rm -rf -- ${name}`],
          'removing',
        );
      case 'directory':
        return planDirectory(ctx, args, read, wanted);
      case 'link':
        return planLink(ctx, { ...args, src: args.src! }, read, wanted);
      case 'hard':
        return planHard(ctx, { ...args, src: args.src! }, read, wanted);
      case 'touch':
        if (root) return planAttributes(ctx, args, read, wanted);
        requireParent(args.path, read);
        return scripted(
          ctx,
          args.path,
          `create ${args.path}`,
          {
            path: args.path,
            before: describe(undefined),
            after: describe({ type: 'f', owner: wanted.owner, group: wanted.group, mode: wanted.mode }),
          },
          // touch would create the target of a symlink planted at path meanwhile: a hard link never follows one.
          [
            enter,
            `s=$(mktemp ${shq(`.${baseOf(args.path)}.`)}XXXXXX)`,
            `trap 'rm -f -- "$s"' EXIT`,
            `ln -T -- "$s" ${name}`,
            ...setAttributes(name, { ...wanted, mode: wanted.mode ?? 0o644 }, false),
          ],
          'creating',
        );
      default:
        if (!root)
          throw new ModuleFailure(`${args.path} does not exist (state: file only changes attributes; use touch, copy or template to create it)`);
        if (args.state === 'file' && root.type === 'd') throw new ModuleFailure(`${args.path} is a directory, not a file`);
        return planAttributes(ctx, args, read, wanted);
    }
  },
});
