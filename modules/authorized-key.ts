import { Type, type Static } from '@sinclair/typebox';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed, type Plan } from '../engine/module.ts';
import { attributeChanges, baseOf, dirOf, parseRead, parseStat, planContent, readScript, SAFE_FN, STAT_FN } from './file-state.ts';
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

const KEY_TYPE =
  /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|ssh-(rsa|ed25519)-cert-v01@openssh\.com)$/;
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
      if (!parsed)
        throw new ModuleFailure(
          `authorized_key: key line ${index + 1} is not an SSH public key: "${line.length > 40 ? `${line.slice(0, 40)}...` : line}"`,
        );
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

/** One command: the file's path and the user's primary group, the states of the directory and file, then the file's bytes. */
function readCommand(args: AuthorizedKey): string {
  const u = shq(args.user);
  return [
    STAT_FN,
    `entry=$(getent passwd -- ${u}) || { echo nouser; exit 0; }`,
    args.path === undefined ? `file="$(printf %s "$entry" | cut -d: -f6)/.ssh/authorized_keys"` : `file=${shq(args.path)}`,
    `printf '%s\\0%s\\0' "$file" "$(id -gn -- ${u})"`,
    `st "$(dirname -- "$file")"`,
    // The file sits in the user's own directory: read as safely as any file a module writes (a symlink there is replaced).
    SAFE_FN,
    readScript('"$file"', 'never', true),
  ].join('\n');
}

/** Add or remove SSH public keys in a user's authorized_keys (or only keep the given ones), matching keys by their blob. */
export const authorizedKey = defineModule({
  name: 'authorized_key',
  concurrentPlans: true,
  args: AuthorizedKeyArgs,
  async plan(ctx, args) {
    const keys = wantedKeys(args.key);
    const state = args.state ?? 'present';
    const out = mustSucceed(await ctx.run(readCommand(args)), `reading the authorized keys of ${args.user}`).stdout;
    if (out.trim() === 'nouser') {
      const problem = `authorized_key: user ${args.user} does not exist`;
      // In check mode the task that creates the user did not really run.
      if (!ctx.check) throw new ModuleFailure(problem);
      return { changed: state === 'present', summary: `would add ${keys.length} key(s) for ${args.user}`, warnings: [problem] };
    }
    const [path = '', group = '', dirLine = '', ...fileRead] = out.split('\0');
    const dirState = parseStat(`${dirLine}\0`);
    const known = parseRead(fileRead.join('\0'), true);
    const current = known.content?.toString('utf8') ?? '';
    const content = updatedContent(current, keys, state, Boolean(args.exclusive));
    const data = { user: args.user, path, keys: keys.length };

    const dir = dirOf(path);
    const dirFixes: string[] = [];
    if ((args.manage_dir ?? true) && state === 'present') {
      // Made in the parent entered with go, so a name planted there cannot make root change another directory.
      if (dirState.kind === 'absent')
        dirFixes.push(
          `go ${shq(dirOf(dir))}`,
          `mkdir -m 700 -- ${shq(baseOf(dir))}`,
          `chown -h ${shq(`${args.user}:${group}`)} -- ${shq(baseOf(dir))}`,
        );
      else dirFixes.push(...attributeChanges(dir, dirState, { owner: args.user, group, mode: 0o700 }).commands);
    }
    const file: Plan =
      known.state.kind === 'absent' && content === ''
        ? { changed: false }
        : await planContent(ctx, { dest: path, content, owner: args.user, group, mode: 0o600 }, known);
    if (!file.changed && !dirFixes.length) return { changed: false, data };

    const fixDir = async () => void (dirFixes.length && mustSucceed(await ctx.run(`${SAFE_FN}\n${dirFixes.join(' && ')}`), `preparing ${dir}`));
    const what = [
      ...(current === content ? (file.changed ? [file.summary ?? path] : []) : [`${path}: ${describeChange(current, content)}`]),
      ...(dirFixes.length ? [`${dirState.kind === 'absent' ? 'create' : 'fix'} ${dir}`] : []),
    ];
    return {
      ...file,
      changed: true,
      summary: what.join('; '),
      data,
      apply: async () => {
        await fixDir();
        if (file.changed) await file.apply?.();
      },
    };
  },
});
