import { Type } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, mustSucceed } from '../engine/module.ts';
import { octal } from './file-state.ts';

export const StatArgs = Type.Object(
  {
    path: Type.String({ pattern: '^/', description: 'absolute path to look at' }),
    follow: Type.Optional(Type.Boolean({ description: 'describe what a symlink points to instead of the link (default false)' })),
    get_checksum: Type.Optional(Type.Boolean({ description: 'sha256 of a regular file the user can read (default true)' })),
  },
  { additionalProperties: false },
);

const TYPES: Record<string, string> = {
  'regular file': 'file',
  'regular empty file': 'file',
  directory: 'directory',
  'symbolic link': 'link',
  fifo: 'fifo',
  socket: 'socket',
  'character special file': 'char',
  'block special file': 'block',
};

/** The one command stat runs: NUL-separated stat fields, link target and source, then the checksum. */
export function statScript(path: string, follow: boolean, checksum: boolean): string {
  const p = shq(path);
  return [
    'cd /',
    `p=${p}`,
    // A dangling link followed does not exist, as os.stat says.
    `if [ -e "$p" ] || { [ -L "$p" ] && [ ${follow ? 1 : 0} = 0 ]; }; then`,
    `  stat ${follow ? '-L ' : ''}--printf '%F\\0%U\\0%G\\0%u\\0%g\\0%a\\0%s\\0%Y\\0%X\\0%h\\0%i\\0%d\\0' -- "$p"`,
    `  if [ -L "$p" ]; then printf '%s\\0%s\\0' "$(readlink -- "$p")" "$(readlink -m -- "$p")"; else printf '\\0\\0'; fi`,
    `  if ${checksum ? 'true' : 'false'} && [ -f "$p" ] && [ -r "$p" ] && { [ ${follow ? 1 : 0} = 1 ] || [ ! -L "$p" ]; }; then sha256sum < "$p" | cut -d' ' -f1; fi`,
    // Missing is an answer; anything else (a directory we may not search) is a failure.
    `else err=$(stat ${follow ? '-L ' : ''}-- "$p" 2>&1 >/dev/null); case "$err" in *'No such file'*|*'Not a directory'*) printf absent ;; *) echo "$err" >&2; exit 1 ;; esac; fi`,
  ].join('\n');
}

/** Parse statScript's output into Ansible's stat result (its field names, plus owner/group/type/link_target). */
export function parseStatOutput(path: string, output: string): Record<string, unknown> {
  if (output === 'absent') return { exists: false, path };
  const [kind = '', owner, group, uid, gid, mode = '0', size, mtime, atime, nlink, inode, dev, target = '', source = '', checksum = ''] =
    output.split('\0');
  const type = TYPES[kind] ?? kind;
  const stat: Record<string, unknown> = {
    exists: true,
    path,
    type,
    isreg: type === 'file',
    isdir: type === 'directory',
    islnk: type === 'link',
    owner,
    group,
    pw_name: owner,
    gr_name: group,
    uid: Number(uid),
    gid: Number(gid),
    mode: octal(parseInt(mode, 8)),
    size: Number(size),
    mtime: Number(mtime),
    atime: Number(atime),
    nlink: Number(nlink),
    inode: Number(inode),
    dev: Number(dev),
  };
  if (type === 'link') Object.assign(stat, { link_target: target, lnk_target: target, lnk_source: source });
  if (checksum.trim()) stat.checksum = checksum.trim();
  return stat;
}

/** Describe a path (exists, type, owner, mode, size, mtime, sha256, link target) for `register`; never changes anything. */
export const stat = defineModule({
  name: 'stat',
  concurrentPlans: true,
  args: StatArgs,
  async plan(ctx, args) {
    const out = mustSucceed(await ctx.run(statScript(args.path, args.follow ?? false, args.get_checksum ?? true)), `stat ${args.path}`).stdout;
    return { changed: false, data: { stat: parseStatOutput(args.path, out) } };
  },
});
