import { Type, type Static } from '@sinclair/typebox';
import { shq } from '../engine/connection/shell.ts';
import { defineModule, ModuleFailure, mustSucceed, type Plan } from '../engine/module.ts';
import { octal, planContent } from './file-state.ts';
import { AccountName, PresentAbsent } from './group.ts';

export const AuthorizedKeyArgs = Type.Object(
  {
    user: AccountName,
    /** One or more public keys, one per line, each optionally preceded by options: what ssh-keygen prints into .pub. */
    key: Type.String({ minLength: 1, description: 'public key line(s) such as "ssh-ed25519 AAAA... comment"' }),
    state: Type.Optional(PresentAbsent),
    /** Keep only the given keys, dropping every other line of the file. */
    exclusive: Type.Optional(Type.Boolean({ default: false })),
    /** The file to manage instead of ~user/.ssh/authorized_keys. */
    path: Type.Optional(Type.String({ pattern: '^/', description: 'absolute path of the authorized_keys file' })),
    /** Create the file's directory (mode 0700, owned by the user) and fix its owner and mode. */
    manage_dir: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

type AuthorizedKey = Static<typeof AuthorizedKeyArgs>;

/** One public key line: sshd's optional options, then type, base64 blob and optional comment. */
export interface KeyLine {
  options?: string;
  type: string;
  blob: string;
  comment?: string;
}

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|ssh-(rsa|ed25519)-cert-v01@openssh\.com)$/;
const BLOB = /^[A-Za-z0-9+/]+={0,3}$/;

/** Parse a key line; undefined for blank lines, comments and anything that is not a key. */
export function parseKeyLine(line: string): KeyLine | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  let rest = text;
  let options: string | undefined;
  if (!KEY_TYPE.test(text.split(/\s+/)[0] ?? '')) {
    // Options are one word up to the first unquoted blank; quoted values may hold blanks.
    let quoted = false;
    let i = 0;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\\' && quoted) i++;
      else if (c === '"') quoted = !quoted;
      else if (!quoted && (c === ' ' || c === '\t')) break;
    }
    options = text.slice(0, i);
    rest = text.slice(i).trimStart();
  }
  const [type = '', blob = '', ...comment] = rest.split(/\s+/);
  if (!KEY_TYPE.test(type) || !BLOB.test(blob)) return undefined;
  return { ...(options ? { options } : {}), type, blob, ...(comment.length ? { comment: comment.join(' ') } : {}) };
}

/** The key lines of the argument, failing on any line that is not a key. */
export function wantedKeys(key: string): { line: string; blob: string }[] {
  const keys = key
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line, index) => {
      const parsed = parseKeyLine(line);
      if (!parsed) throw new ModuleFailure(`authorized_key: key line ${index + 1} is not an SSH public key: "${line.length > 40 ? `${line.slice(0, 40)}...` : line}"`);
      return { line, blob: parsed.blob };
    });
  if (!keys.length) throw new ModuleFailure('authorized_key: "key" holds no public key line');
  return keys;
}

/** Words for what the new content changes: keys added, replaced (same key, other options or comment) and dropped. */
export function describeChange(before: string, after: string): string {
  const index = (text: string): Map<string, string> => {
    const keys = new Map<string, string>();
    for (const line of text.split('\n')) {
      const key = parseKeyLine(line);
      if (key) keys.set(key.blob, line.trim());
    }
    return keys;
  };
  const old = index(before);
  const now = index(after);
  const added = [...now.keys()].filter((blob) => !old.has(blob)).length;
  const replaced = [...now].filter(([blob, line]) => old.has(blob) && old.get(blob) !== line).length;
  const dropped = [...old.keys()].filter((blob) => !now.has(blob)).length;
  const words = [added ? `add ${added} key(s)` : '', replaced ? `replace ${replaced}` : '', dropped ? `remove ${dropped} key(s)` : ''];
  return words.filter(Boolean).join(', ') || 'rewrite';
}

/** The file content after adding, replacing or removing the keys; keys are matched by their blob. */
export function updatedContent(current: string, keys: { line: string; blob: string }[], state: 'present' | 'absent', exclusive: boolean): string {
  const blobs = new Set(keys.map((k) => k.blob));
  let lines = current === '' ? [] : current.replace(/\n$/, '').split('\n');
  if (state === 'absent') {
    lines = lines.filter((line) => !blobs.has(parseKeyLine(line)?.blob ?? ''));
  } else if (exclusive) {
    lines = keys.map((k) => k.line);
  } else {
    for (const key of keys) {
      const at = lines.findIndex((line) => parseKeyLine(line)?.blob === key.blob);
      if (at < 0) lines.push(key.line);
      else lines[at] = key.line;
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

interface KeyFileRead {
  file: string;
  group: string;
  dir: { owner: string; group: string; mode: number } | undefined;
  stat: { owner: string; group: string; mode: number } | undefined;
  content: string;
}

const CONTENT_MARK = '--pgsty-content--';

/** One command: the user's primary group, the file's path, its directory's and its own owner and mode, then its content. */
function readCommand(args: AuthorizedKey): string {
  const u = shq(args.user);
  return [
    `entry=$(getent passwd -- ${u}) || { echo nouser; exit 0; }`,
    args.path === undefined ? `file="$(printf %s "$entry" | cut -d: -f6)/.ssh/authorized_keys"` : `file=${shq(args.path)}`,
    `printf 'file %s\\n' "$file"`,
    `printf 'group %s\\n' "$(id -gn -- ${u})"`,
    `dir=$(dirname -- "$file")`,
    `if [ -d "$dir" ]; then printf 'dir %s\\n' "$(stat -c '%U|%G|%a' -- "$dir")"; fi`,
    `if [ -f "$file" ]; then printf 'stat %s\\n' "$(stat -c '%U|%G|%a' -- "$file")"; echo ${CONTENT_MARK}; cat -- "$file"; fi`,
  ].join('\n');
}

function parseOwnership(value: string | undefined): KeyFileRead['stat'] {
  if (value === undefined) return undefined;
  const [owner = '', group = '', mode = '0'] = value.split('|');
  return { owner, group, mode: parseInt(mode, 8) };
}

function parseRead(output: string, user: string): KeyFileRead {
  if (output.trim() === 'nouser') throw new ModuleFailure(`authorized_key: user ${user} does not exist`);
  const mark = output.indexOf(`\n${CONTENT_MARK}\n`);
  const head = mark < 0 ? output : output.slice(0, mark);
  const fields = new Map(head.split('\n').map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)] as const));
  return {
    file: fields.get('file') ?? '',
    group: fields.get('group') ?? '',
    dir: parseOwnership(fields.get('dir')),
    stat: parseOwnership(fields.get('stat')),
    content: mark < 0 ? '' : output.slice(mark + CONTENT_MARK.length + 2),
  };
}

/** Add or remove SSH public keys in a user's authorized_keys (or only keep the given ones), matching keys by their blob. */
export const authorizedKey = defineModule({
  name: 'authorized_key',
  args: AuthorizedKeyArgs,
  async plan(ctx, args) {
    const keys = wantedKeys(args.key);
    const state = args.state ?? 'present';
    const read = parseRead(mustSucceed(await ctx.run(readCommand(args)), `reading the authorized keys of ${args.user}`).stdout, args.user);
    const content = updatedContent(read.content, keys, state, Boolean(args.exclusive));
    const manageDir = args.manage_dir ?? true;
    const data = { user: args.user, path: read.file, keys: keys.length };

    const dirFixes: string[] = [];
    const dir = read.file.replace(/\/[^/]*$/, '') || '/';
    const owner = `${shq(args.user)}:${shq(read.group)}`;
    if (manageDir && state === 'present') {
      if (!read.dir) dirFixes.push(`install -d -m 700 -o ${shq(args.user)} -g ${shq(read.group)} -- ${shq(dir)}`);
      else if (read.dir.owner !== args.user || read.dir.group !== read.group || read.dir.mode !== 0o700) {
        dirFixes.push(`chown ${owner} -- ${shq(dir)}`, `chmod 700 -- ${shq(dir)}`);
      }
    }
    const same = read.content === content;
    // Removing keys leaves the file's owner and mode alone; adding them makes sure sshd accepts the file.
    const fileOk = !read.stat
      ? content === ''
      : state === 'absent'
        ? same
        : same && read.stat.owner === args.user && read.stat.group === read.group && read.stat.mode === 0o600;
    if (fileOk && !dirFixes.length) return { changed: false, data };

    const fixDir = async () => void (dirFixes.length && mustSucceed(await ctx.run(dirFixes.join(' && ')), `preparing ${dir}`));
    if (fileOk) {
      return { changed: true, summary: `${dir}: owner ${args.user}:${read.group}, mode ${octal(0o700)}`, data, apply: fixDir };
    }
    const file: Plan = await planContent(ctx, { dest: read.file, content, owner: args.user, group: read.group, mode: 0o600 });
    const what = same ? file.summary ?? read.file : `${read.file}: ${describeChange(read.content, content)}`;
    return {
      ...file,
      changed: true,
      summary: `${what}${dirFixes.length ? ` (and ${read.dir ? 'fix' : 'create'} ${dir})` : ''}`,
      data,
      apply: async () => {
        await fixDir();
        await file.apply?.();
      },
    };
  },
});
