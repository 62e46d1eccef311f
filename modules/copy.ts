import { readFileSync, statSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type ModuleContext, type Plan } from '../engine/module.ts';
import {
  attributeArgs,
  attributeChanges,
  contentDiff,
  followOf,
  MAX_DIFF_BYTES,
  parseMode,
  parseRead,
  parseStat,
  planAttributes,
  planContent,
  readScript,
  requireTrusted,
  roleAsset,
  SAFE_FN,
  STAT_FN,
  statOf,
  writeCommand,
  type Follow,
  type PathState,
  type WriteSpec,
} from './file-state.ts';

export { Mode } from './file-state.ts';

export const CopyArgs = Type.Object(
  {
    dest: Type.String({ pattern: '^/', description: 'absolute path of the file to write' }),
    content: Type.Optional(Type.String()),
    src: Type.Optional(
      Type.String({ pattern: '^/', description: 'absolute path of the file to copy, on the controller (or on the host with remote_src)' }),
    ),
    remote_src: Type.Optional(Type.Boolean({ description: 'src is a file already on the host' })),
    ...attributeArgs,
    backup: Type.Optional(Type.Boolean()),
    validate: Type.Optional(Type.String({ pattern: '%s' })),
    follow: Type.Optional(Type.Boolean({ description: 'write to the target of a symlink at dest (or on its path) instead of replacing the link' })),
  },
  {
    additionalProperties: false,
    // Exactly one of content and src; remote_src needs src.
    oneOf: [{ required: ['content'] }, { required: ['src'] }],
    if: { properties: { remote_src: { const: true } }, required: ['remote_src'] },
    then: { required: ['src'] },
  },
);

/** A controller file's bytes; a directory or unreadable file fails naming it. */
function readLocal(path: string): Buffer {
  try {
    if (statSync(path).isDirectory()) throw new Error('is a directory (copying directories is not supported)');
    return readFileSync(path);
  } catch (error) {
    throw new ModuleFailure(`reading ${path} on the controller failed: ${(error as Error).message}`);
  }
}

/**
 * Shell that opens the remote source on descriptor 3, resolved as the plan resolved it, and checks that the name still
 * is that file through trusted links only: a source swapped for a link between plan and apply is refused, not read.
 * SAFE_FN must be defined.
 */
function openSource(src: string, follow: Follow): string {
  const word = shq(src);
  if (follow === 'always') return `exec 3< "$(readlink -m -- ${word})"`;
  const changed = `{ echo ${shq(`${src} changed while being read`)} >&2; exit 1; }`;
  return `rs ${word} 1; [ -z "$U" ] || ${changed}; exec 3< "$R"; lk "$R"; [ -z "$U" ] && [ -f "$R" ] && [ ! -L "$R" ] && [ "$R" -ef /proc/self/fd/3 ] || ${changed}`;
}

/** Copy a file that is already on the host: hashes of both compared in one command, the copy made atomically. */
async function planRemoteCopy(ctx: ModuleContext, src: string, spec: WriteSpec, follow: Follow): Promise<Plan> {
  // The source is read as root too: through a link someone else planted it could be any file root can read.
  const read = `${STAT_FN}\n${SAFE_FN}\n${follow === 'always' ? `U=; s=$(readlink -m -- ${shq(src)})` : `rs ${shq(src)} 1; s=$R`}; printf '%s\\1' "$U"; ${statOf('"$s"')} && printf '\\1'\n${readScript(shq(spec.dest), follow, false)}`;
  const [srcLink = '', srcOut = '', destOut = ''] = mustSucceed(await ctx.run(read), `reading ${src} and ${spec.dest}`).stdout.split('\x01');
  if (follow !== 'always') requireTrusted(src, srcLink || undefined, 'trusted');
  const source = parseStat(srcOut);
  const destRead = parseRead(destOut, false);
  requireTrusted(spec.dest, destRead.untrusted, follow);
  const dest = destRead.path;
  const current = destRead.state;
  if (source.kind === 'absent') throw new ModuleFailure(`remote src ${src} does not exist`);
  if (source.kind !== 'file') throw new ModuleFailure(`remote src ${src} is not a regular file (copying directories is not supported)`);
  if (current.kind === 'directory' || current.kind === 'other') throw new ModuleFailure(`${dest} exists and is not a regular file`);

  const contentChanged = current.kind !== 'file' || current.sha256 !== source.sha256;
  const attrs = current.kind === 'file' ? attributeChanges(dest, current, spec) : { words: [], commands: [] };
  if (!contentChanged && attrs.commands.length === 0) return { changed: false };
  if (!contentChanged) return planAttributes(ctx, dest, attrs);

  const { diff, note } = await remoteDiff(ctx, src, follow, source, dest, current);
  const details = [...attrs.words, ...(note ? [note] : [])];
  return {
    changed: true,
    summary: `${current.kind === 'absent' ? 'create' : 'update'} ${dest} from ${src}${details.length ? ` (${details.join(', ')})` : ''}`,
    ...(diff ? { diff: [diff] } : {}),
    apply: async () =>
      void mustSucceed(
        await ctx.run(writeCommand({ ...spec, dest }, current, `${openSource(src, follow)}\ncat <&3 > new`)),
        `copying ${src} to ${dest}`,
      ),
  };
}

/** Both files' content for the diff, in one command, unless either is too large to show; dest is read as the plan read it. */
async function remoteDiff(
  ctx: ModuleContext,
  src: string,
  follow: Follow,
  source: PathState,
  dest: string,
  current: PathState,
): Promise<ReturnType<typeof contentDiff>> {
  if ((source.size ?? 0) > MAX_DIFF_BYTES || (current.size ?? 0) > MAX_DIFF_BYTES) return contentDiff(dest, undefined, '');
  const destRead = current.kind === 'file' ? readScript(shq(dest), 'never', true) : 'true';
  const command = `${STAT_FN}\n${SAFE_FN}\n${openSource(src, follow)}\nbase64 -w0 <&3 && printf '\\1'\n${destRead}`;
  const [after = '', before = ''] = mustSucceed(await ctx.run(command), `reading ${src} and ${dest}`).stdout.split('\x01');
  const old = current.kind === 'file' ? parseRead(before, true) : undefined;
  if (old?.untrusted) return contentDiff(dest, undefined, '');
  return contentDiff(dest, old?.content ?? Buffer.alloc(0), Buffer.from(after, 'base64'));
}

/** Write a file from content, a controller file or a file on the host, with owner and mode; a second run changes nothing. */
export const copy = defineModule({
  name: 'copy',
  concurrentPlans: true,
  args: CopyArgs,
  plan: (ctx, args) => {
    const { content, src, remote_src, follow, ...rest } = args;
    const spec = { ...rest, mode: parseMode(args.mode) };
    // As Ansible's copy: a symlink at dest is replaced by the file unless follow is set.
    if (src !== undefined && remote_src) return planRemoteCopy(ctx, src, spec, followOf(follow, 'never'));
    return planContent(ctx, { ...spec, follow: followOf(follow, 'never'), content: src !== undefined ? readLocal(src) : (content ?? '') });
  },
});

/** The absolute path of roles/<role>/files/<name>, for `src`, given the role module's import.meta.url. */
export const filesPath = (importMetaUrl: string, name: string): string => roleAsset(importMetaUrl, 'files', name);
