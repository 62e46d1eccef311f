import { Type, type Static } from '@sinclair/typebox';
import { Enum } from '../engine/schema.ts';
import { shq } from '../engine/shell-quote.ts';
import { defineModule, ModuleFailure, mustSucceed } from '../engine/module.ts';
import { AccountName, parseGroupEntry, PresentAbsent } from './group.ts';

/** A group given by name or by number, as useradd -g takes it. */
const GroupRef = Type.String({ pattern: '^([A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?|[0-9]+)$', description: 'a group name or gid' });

export const UserArgs = Type.Object(
  {
    name: AccountName,
    uid: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967294 })),
    /** Primary group; it must exist. Without it a new user gets the group named after it (or a new one). */
    group: Type.Optional(GroupRef),
    /** Supplementary groups; they must exist. [] removes the user from all of them (unless append). */
    groups: Type.Optional(Type.Array(GroupRef)),
    /** Add the user to `groups` without removing it from others. */
    append: Type.Optional(Type.Boolean({ default: false })),
    home: Type.Optional(Type.String({ pattern: '^/[^:\\n]*$', description: 'absolute home directory' })),
    shell: Type.Optional(Type.String({ pattern: '^/[^:\\n]*$', description: 'absolute path of the login shell' })),
    comment: Type.Optional(Type.String({ pattern: '^[^:\\n]*$', description: 'GECOS field, without ":" or newlines' })),
    /** Create a system account (system uid range); an existing account's kind is left alone. */
    system: Type.Optional(Type.Boolean()),
    /** Create the home directory (from /etc/skel) when the user is created. */
    create_home: Type.Optional(Type.Boolean({ default: true })),
    /** A crypt(3) hash as /etc/shadow stores it ('$6$...', or '!' to lock), compared as is; never shown. */
    password: Type.Optional(Type.String({ pattern: '^[^:\\n]+$', description: 'a crypt hash such as $6$salt$...' })),
    /** always: set the password whenever it differs; on_create: only when creating the user. */
    update_password: Type.Optional(Enum(['always', 'on_create'], { default: 'always' })),
    /** Create a key pair for the user when the key file does not exist yet (an existing key is kept). */
    generate_ssh_key: Type.Optional(Type.Boolean({ default: false })),
    ssh_key_type: Type.Optional(Enum(['rsa', 'ed25519', 'ecdsa'], { default: 'rsa' })),
    ssh_key_bits: Type.Optional(Type.Integer({ minimum: 256, maximum: 16384 })),
    /** Key file relative to the home directory; .ssh/id_<type> by default. */
    ssh_key_file: Type.Optional(Type.String({ pattern: '^[^/\\n][^\\n]*$', description: 'path relative to the home directory' })),
    ssh_key_comment: Type.Optional(Type.String({ pattern: '^[^\\n]*$' })),
    state: Type.Optional(PresentAbsent),
    /** With state absent: remove the home directory and mail spool too. */
    remove: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

type UserSpec = Static<typeof UserArgs>;

/** A user as the host knows it. */
export interface UserState {
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
  /** Primary group name. */
  group: string;
  /** Supplementary group names (without the primary group). */
  groups: string[];
  /** The crypt hash, read only when a password is managed. */
  password?: string;
  /** The public key, when a key pair is managed and exists. */
  sshPublicKey?: string;
}

/** What one read found: the user (or undefined) and the groups the arguments name, keyed by how they were named. */
export interface UserRead {
  user?: UserState;
  groups: Map<string, { name: string; gid: number }>;
}

const keyFile = (args: UserSpec): string => args.ssh_key_file ?? `.ssh/id_${args.ssh_key_type ?? 'rsa'}`;

/** Groups the arguments refer to, plus the user's own name (useradd needs -g when that group already exists). */
function referencedGroups(args: UserSpec): string[] {
  return [...new Set([args.name, ...(args.group === undefined ? [] : [args.group]), ...(args.groups ?? [])])];
}

/** One shell command printing the user's passwd entry, groups, and (when managed) password hash and public key. */
export function readCommand(args: UserSpec): string {
  const n = shq(args.name);
  const parts = [
    `if entry=$(getent passwd -- ${n}); then`,
    `printf 'passwd %s\\n' "$entry"; printf 'primary %s\\n' "$(id -gn -- ${n})"; printf 'groups %s\\n' "$(id -Gn -- ${n})"`,
  ];
  if (args.password !== undefined) parts.push(`printf 'shadow %s\\n' "$(getent shadow -- ${n} | cut -d: -f2)"`);
  if (args.generate_ssh_key) {
    const pub = `"$(printf %s "$entry" | cut -d: -f6)"/${shq(`${keyFile(args)}.pub`)}`;
    parts.push(`if [ -f ${pub} ]; then printf 'sshkey %s\\n' "$(head -n1 ${pub})"; fi`);
  }
  parts.push('else echo absent; fi');
  const groups = referencedGroups(args).map(shq).join(' ');
  parts.push(`for g in ${groups}; do if line=$(getent group -- "$g"); then printf 'group %s %s\\n' "$g" "$line"; fi; done`);
  return parts.join('\n');
}

/** Parse what readCommand printed. */
export function parseUserRead(output: string): UserRead {
  const read: UserRead = { groups: new Map() };
  const fields = new Map<string, string>();
  for (const line of output.split('\n')) {
    const space = line.indexOf(' ');
    const tag = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    if (tag === 'group') {
      const [ref = '', entry = ''] = [value.slice(0, value.indexOf(' ')), value.slice(value.indexOf(' ') + 1)];
      const parsed = parseGroupEntry(entry);
      if (parsed) read.groups.set(ref, { name: parsed.name, gid: parsed.gid });
    } else if (tag) fields.set(tag, value);
  }
  const passwd = fields.get('passwd');
  if (passwd === undefined) return read;
  const [, , uid, gid, comment = '', home = '', shell = ''] = passwd.split(':');
  const primary = fields.get('primary') ?? '';
  read.user = {
    uid: Number(uid),
    gid: Number(gid),
    comment,
    home,
    shell,
    group: primary,
    groups: (fields.get('groups') ?? '').split(' ').filter((g) => g && g !== primary),
    ...(fields.has('shadow') ? { password: fields.get('shadow') } : {}),
    ...(fields.has('sshkey') ? { sshPublicKey: fields.get('sshkey') } : {}),
  };
  return read;
}

/** The differences between an existing user and the arguments: summary words and usermod options. */
export function userChanges(args: UserSpec, user: UserState, read: UserRead): { words: string[]; options: string[]; password: boolean } {
  const words: string[] = [];
  const options: string[] = [];
  const nameOf = (ref: string): string => read.groups.get(ref)?.name ?? ref;
  if (args.uid !== undefined && args.uid !== user.uid) {
    words.push(`uid ${user.uid} -> ${args.uid}`);
    options.push(`-u ${args.uid}`);
  }
  const primary = args.group === undefined ? user.group : nameOf(args.group);
  if (primary !== user.group) {
    words.push(`group ${user.group} -> ${primary}`);
    options.push(`-g ${shq(primary)}`);
  }
  if (args.groups !== undefined) {
    const wanted = [...new Set(args.groups.map(nameOf))].filter((g) => g !== primary);
    const current = user.groups.filter((g) => g !== primary);
    const added = wanted.filter((g) => !current.includes(g));
    const removed = args.append ? [] : current.filter((g) => !wanted.includes(g));
    if (added.length || removed.length) {
      words.push(`groups ${[...added.map((g) => `+${g}`), ...removed.map((g) => `-${g}`)].join(' ')}`);
      options.push(args.append ? `-a -G ${shq(added.join(','))}` : `-G ${shq(wanted.join(','))}`);
    }
  }
  const fields: [keyof UserSpec & ('home' | 'shell' | 'comment'), string, string][] = [
    ['home', '-d', user.home],
    ['shell', '-s', user.shell],
    ['comment', '-c', user.comment],
  ];
  for (const [key, flag, now] of fields) {
    const want = args[key];
    if (want !== undefined && want !== now) {
      words.push(`${key} ${JSON.stringify(now)} -> ${JSON.stringify(want)}`);
      options.push(`${flag} ${shq(want)}`);
    }
  }
  const password = args.password !== undefined && (args.update_password ?? 'always') === 'always' && args.password !== user.password;
  if (password) words.push('password');
  return { words, options, password };
}

/**
 * Shell that creates the key pair when its file does not exist, owned by the user; it reads the home from passwd.
 * In a home the user owns, the directory and keys are made as the user (runuser): as root, a symlink the user put
 * there (~/.ssh -> /root/.ssh) would have root write and chown its keys wherever it points.
 */
function keygenCommand(args: UserSpec): string {
  const n = shq(args.name);
  const file = `"$home"/${shq(keyFile(args))}`;
  const bits = args.ssh_key_bits === undefined ? '' : ` -b ${args.ssh_key_bits}`;
  return [
    `home=$(getent passwd -- ${n} | cut -d: -f6)`,
    `comment=${args.ssh_key_comment === undefined ? `${n}@"$(hostname)"` : shq(args.ssh_key_comment)}`,
    `if [ ! -e ${file} ]; then`,
    `if [ "$(stat -c %U -- "$home")" = ${n} ]; then as="runuser -u ${n} --"; else as=; fi`,
    `dir=$(dirname -- ${file})`,
    `if [ -d "$dir" ]; then :; elif [ -n "$as" ]; then $as mkdir -m 700 -- "$dir"; else install -d -m 700 -o ${n} -g "$(id -g -- ${n})" -- "$dir"; fi`,
    `$as ssh-keygen -q -t ${args.ssh_key_type ?? 'rsa'}${bits} -N '' -C "$comment" -f ${file} </dev/null >/dev/null`,
    `[ -n "$as" ] || chown ${n}:"$(id -g -- ${n})" -- ${file} ${file}.pub`,
    'fi',
  ].join('\n');
}

/** Create, change or remove a local user: uid, groups, home, shell, comment, password hash and an optional key pair. */
export const user = defineModule({
  name: 'user',
  concurrentPlans: true,
  args: UserArgs,
  async plan(ctx, args) {
    const n = shq(args.name);
    const read = parseUserRead(mustSucceed(await ctx.run(readCommand(args)), `reading user ${args.name}`).stdout);
    const current = read.user;

    if (args.state === 'absent') {
      if (!current) return { changed: false, data: { name: args.name, state: 'absent' } };
      return {
        changed: true,
        summary: `remove user ${args.name} (uid ${current.uid})${args.remove ? ` and ${current.home}` : ''}`,
        data: { name: args.name, state: 'absent' },
        apply: async () => void mustSucceed(await ctx.run(`userdel ${args.remove ? '-r ' : ''}-- ${n}`), `removing user ${args.name}`),
      };
    }

    const warnings: string[] = [];
    const missing = [...(args.group === undefined ? [] : [args.group]), ...(args.groups ?? [])].filter((g) => !read.groups.has(g));
    if (missing.length) {
      const message = `user ${args.name}: group${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist`;
      // In check mode a group task before this one did not really run: warn, and let the real run fail.
      if (!ctx.check) throw new ModuleFailure(message);
      warnings.push(message);
    }

    const password = args.password;
    const stdin = password === undefined ? undefined : `${args.name}:${password}\n`;
    const wantKey = Boolean(args.generate_ssh_key) && current?.sshPublicKey === undefined;
    const words: string[] = [];
    const steps: string[] = [];
    let setPassword = false;
    if (!current) {
      const nameOf = (ref: string): string => read.groups.get(ref)?.name ?? ref;
      const primary = args.group ?? (read.groups.has(args.name) ? args.name : undefined);
      const options = [
        args.uid === undefined ? '' : `-u ${args.uid}`,
        primary === undefined ? '' : `-g ${shq(nameOf(primary))}`,
        args.groups?.length ? `-G ${shq([...new Set(args.groups.map(nameOf))].join(','))}` : '',
        args.home === undefined ? '' : `-d ${shq(args.home)}`,
        args.shell === undefined ? '' : `-s ${shq(args.shell)}`,
        args.comment === undefined ? '' : `-c ${shq(args.comment)}`,
        args.system ? '-r' : '',
        args.create_home === false ? '-M' : '-m',
      ].filter(Boolean);
      steps.push(`useradd ${options.join(' ')} -- ${n}`);
      setPassword = password !== undefined;
      words.push(`create user ${args.name}${args.uid === undefined ? '' : ` (uid ${args.uid})`}`);
    } else {
      const changes = userChanges(args, current, read);
      if (changes.options.length) steps.push(`usermod ${changes.options.join(' ')} -- ${n}`);
      setPassword = changes.password;
      if (changes.words.length) words.push(`user ${args.name}: ${changes.words.join(', ')}`);
    }
    if (setPassword) steps.push('chpasswd -e');
    if (wantKey) {
      steps.push(keygenCommand(args));
      words.push(`generate ssh key ~${args.name}/${keyFile(args)}`);
    }

    const data = (state?: UserState): Record<string, unknown> => ({
      name: args.name,
      state: 'present',
      ...(state ? { uid: state.uid, group: state.group, groups: state.groups, home: state.home, shell: state.shell } : {}),
      ...(state?.sshPublicKey ? { ssh_public_key: state.sshPublicKey } : {}),
    });
    if (!words.length) return { changed: false, data: data(current), ...(warnings.length ? { warnings } : {}) };
    return {
      changed: true,
      summary: words.join('; '),
      data: data(current),
      ...(warnings.length ? { warnings } : {}),
      apply: async () => {
        const script = ['set -e', ...steps, readCommand({ ...args, password: undefined })].join('\n');
        const result = await ctx.run(script, stdin === undefined || !setPassword ? {} : { stdin });
        const after = parseUserRead(mustSucceed(result, `${current ? 'changing' : 'creating'} user ${args.name}`).stdout).user;
        return { data: data(after) };
      },
    };
  },
});
