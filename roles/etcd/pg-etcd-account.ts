// The etcd account of a PostgreSQL cluster, for the pgsql role ([pg_conf, pg_etcd]): a role and a user both named
// after the cluster, the user holding that role only, the role allowed to read and write the key prefix
// `<pg_namespace>/<cluster>/` only, where Patroni keeps the cluster's state.
//
// Idempotent without re-setting passwords: etcd cannot show a password, so the probe logs in as the user with the
// wanted one; only a refused login changes it. Passwords travel on standard input only.
import { shq } from '../../engine/shell-quote.ts';
import type { RoleVars } from '../vars.ts';
import { pgShardOf } from '../pg_id/pg-identity.ts';
import { etcdctlEnv, keyValues, READ_ROOT } from './etcdctl.ts';

/** What the account is for: the cluster (the Citus shard for Citus), its password and its key prefix. */
export interface PgEtcdAccount {
  name: string;
  password: string;
  prefix: string;
}

/** The account of the host's cluster, as Pigsty names it: pg_shard for Citus, else pg_cluster; password pg_etcd_password or the name. */
export function pgEtcdAccount(v: Pick<RoleVars, 'pg_cluster' | 'pg_shard' | 'pg_mode' | 'pg_etcd_password' | 'pg_namespace'>): PgEtcdAccount {
  const cluster = v.pg_cluster;
  if (cluster === undefined || cluster === '') throw new Error('pg_cluster is required for the etcd account of a PostgreSQL cluster');
  const name = v.pg_mode === 'citus' ? pgShardOf(v, cluster) : cluster;
  if (name === 'root') throw new Error('a PostgreSQL cluster cannot be named root: that is the etcd administrator');
  const namespace = v.pg_namespace.replace(/\/+$/, '');
  return { name, password: v.pg_etcd_password ? v.pg_etcd_password : name, prefix: `${namespace}/${name}/` };
}

/** etcd's end of a prefix range: the prefix with its last byte below 0xff incremented (what `--prefix` grants). */
export function prefixRangeEnd(prefix: string): Buffer {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if ((bytes[i] as number) < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = (bytes[i] as number) + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

/** A permission as `role get -w json` prints it: permType 0 READ, 1 WRITE, 2 READWRITE (absent when 0), keys in base64. */
export interface EtcdPermission {
  permType?: number;
  key?: string;
  range_end?: string;
}

/** What the probe found. */
export interface PgEtcdState {
  /** null: no such role. */
  permissions: EtcdPermission[] | null;
  /** null: no such user. */
  roles: string[] | null;
  /** The user logged in with the wanted password (false when there is no user). */
  passwordOk: boolean;
}

/** One etcdctl call; `password` feeds the user's password on stdin. */
export interface EtcdOp {
  argv: string[];
  password?: boolean;
}

const READWRITE = 2;

/** The etcdctl calls that take the account from `state` to what `account` wants, in a safe order. */
export function planPgEtcdAccount(account: PgEtcdAccount, state: PgEtcdState): EtcdOp[] {
  const { name, prefix } = account;
  const key = Buffer.from(prefix).toString('base64');
  const end = prefixRangeEnd(prefix).toString('base64');
  const ops: EtcdOp[] = [];
  if (state.permissions === null) ops.push({ argv: ['role', 'add', name] });
  const perms = state.permissions ?? [];
  for (const p of perms) {
    if (p.key === key && p.range_end === end) continue;
    const from = Buffer.from(p.key ?? '', 'base64').toString('utf8');
    const to = Buffer.from(p.range_end ?? '', 'base64').toString('utf8');
    ops.push({ argv: ['role', 'revoke-permission', name, from, ...(to === '' ? [] : [to])] });
  }
  if (!perms.some((p) => p.key === key && p.range_end === end && (p.permType ?? 0) === READWRITE)) {
    ops.push({ argv: ['role', 'grant-permission', name, '--prefix=true', 'readwrite', prefix] });
  }
  if (state.roles === null) ops.push({ argv: ['user', 'add', name, '--interactive=false'], password: true });
  else if (!state.passwordOk) ops.push({ argv: ['user', 'passwd', name, '--interactive=false'], password: true });
  for (const role of state.roles ?? []) if (role !== name) ops.push({ argv: ['user', 'revoke-role', name, role] });
  if (!(state.roles ?? []).includes(name)) ops.push({ argv: ['user', 'grant-role', name, name] });
  return ops;
}

/** Parse the probe's output (role=..., user=..., password=...). */
export function parsePgEtcdState(stdout: string | undefined): PgEtcdState {
  const kv = keyValues(stdout);
  const json = (text: string | undefined, field: string): unknown[] | null => {
    if (text === undefined || text === 'absent') return null;
    const parsed = JSON.parse(text.replace(/"(cluster_id|member_id|revision|raft_term)":[0-9]+/g, '"$1":0')) as Record<string, unknown>;
    return (parsed[field] as unknown[] | undefined) ?? [];
  };
  return {
    permissions: json(kv.role, 'perm') as EtcdPermission[] | null,
    roles: json(kv.user, 'roles') as string[] | null,
    passwordOk: kv.password === 'ok',
  };
}

/**
 * Read the account: the role's permissions, the user's roles, and whether the user logs in with the wanted
 * password (a refused read is still a login: the permission is fixed separately). Stdin: root password, user password.
 */
export function pgEtcdProbeScript(endpoints: string, account: PgEtcdAccount): string {
  const name = shq(account.name);
  return [
    ...etcdctlEnv(endpoints),
    ...READ_ROOT,
    'IFS= read -r user_pass || true',
    // "not found" is the answer for a missing role or user; any other failure stops here
    `if out=$(etcdctl role get ${name} -w json 2>&1); then echo "role=$out";`,
    'elif printf "%s" "$out" | grep -q "role name not found"; then echo role=absent; else echo "$out" >&2; exit 1; fi',
    `if out=$(etcdctl user get ${name} -w json 2>&1); then echo "user=$out";`,
    'elif printf "%s" "$out" | grep -q "user name not found"; then echo user=absent; echo password=none; exit 0; else echo "$out" >&2; exit 1; fi',
    `if out=$(ETCDCTL_USER=${shq(`${account.name}:`)}"$user_pass" etcdctl get ${shq(account.prefix)} --prefix --keys-only --limit=1 2>&1); then echo password=ok;`,
    'elif printf "%s" "$out" | grep -q "permission denied"; then echo password=ok;',
    'elif printf "%s" "$out" | grep -q "authentication failed"; then echo password=refused;',
    'else echo "$out" >&2; exit 1; fi',
  ].join('\n');
}

/** Shell running `ops` as root. Stdin: root password, user password. */
export function pgEtcdApplyScript(endpoints: string, ops: EtcdOp[]): string {
  return [
    'set -e',
    ...etcdctlEnv(endpoints),
    ...READ_ROOT,
    'IFS= read -r user_pass || true',
    ...ops.map((op) => `${op.password ? 'printf "%s\\n" "$user_pass" | ' : ''}etcdctl ${op.argv.map(shq).join(' ')}`),
  ].join('\n');
}
