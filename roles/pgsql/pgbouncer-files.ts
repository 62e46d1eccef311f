import { DB_NAME, ROLE_NAME, WORD, type PgDatabase } from '../params.ts';
import type { RoleVars } from '../vars.ts';
import { listenAddress } from './listen-address.ts';
import { required } from './required.ts';

/** The variables pgbouncer's files are computed from (a subset of RoleVars, so tests can build them by hand). */
export type PgbouncerVars = Pick<
  RoleVars,
  | 'inventory_hostname'
  | 'pg_listen'
  | 'pg_vip_enabled'
  | 'pg_vip_address'
  | 'pg_localhost'
  | 'pgbouncer_redirect_to'
  | 'pgbouncer_auth_query'
  | 'pg_dbsu'
  | 'pg_admin_username'
  | 'pg_monitor_username'
  | 'pg_default_roles'
  | 'pg_users'
  | 'pg_databases'
  | 'pg_instance'
  | 'pgbouncer_port'
  | 'pgbouncer_log_dir'
  | 'pgbouncer_poolmode'
  | 'pgbouncer_sslmode'
  | 'pgbouncer_ignore_param'
  | 'os_package'
>;

/** Where the pgsql role writes pgbouncer's unit: an admin unit that takes precedence over the package's /lib one. */
export const PGBOUNCER_UNIT = '/etc/systemd/system/pgbouncer.service';

/** Files pgbouncer rereads on SIGHUP, and those a restart applies (pgsql's unit and pgbouncer.ini). */
export const PGBOUNCER_RELOAD_FILES = [
  '/etc/pgbouncer/database.txt',
  '/etc/pgbouncer/useropts.txt',
  '/etc/pgbouncer/pgb_hba.conf',
  '/etc/pgbouncer/userlist.txt',
];
export const PGBOUNCER_RESTART_FILES = [PGBOUNCER_UNIT, '/etc/pgbouncer/pgbouncer.ini'];

/** The values the pgb-*.hbs templates print (under `pgb`), computed once from the host's variables. */
export function pgbouncerTemplateVars(v: PgbouncerVars) {
  const dbsu = v.pg_dbsu;
  return {
    instance: required(v, 'pg_instance'),
    listen_addr: listenAddress(v),
    listen_port: v.pgbouncer_port,
    log_dir: v.pgbouncer_log_dir,
    admin_users: [...new Set([dbsu, v.pg_admin_username])].join(', '),
    stats_users: [...new Set([dbsu, v.pg_monitor_username])].join(', '),
    auth_query: v.pgbouncer_auth_query,
    auth_user: dbsu,
    sslmode: v.pgbouncer_sslmode,
    pool_mode: v.pgbouncer_poolmode,
    ignore_param: v.pgbouncer_ignore_param.join(', '),
    databases: databaseLines(v),
    useropts: userOptionLines(v),
    unit_path: PGBOUNCER_UNIT,
    dbsu,
    // Debian ships the binary in /usr/sbin, EL in /usr/bin.
    bin: v.os_package === 'rpm' ? '/usr/bin/pgbouncer' : '/usr/sbin/pgbouncer',
  };
}

const pad = (name: string, width = 27): string => name.padEnd(width, ' ');

const DB_KEY = new RegExp(`^${DB_NAME}$`);
const ROLE_KEY = new RegExp(`^${ROLE_NAME}$`);
const ONE_WORD = new RegExp(WORD);

/** A name that starts a line of database.txt or useropts.txt, checked as the schema checks the inventory (defaults and -e values too). */
function lineKey(name: string, pattern: RegExp, what: string): string {
  if (!pattern.test(name))
    throw new Error(`pgbouncer: ${what} ${JSON.stringify(name)} cannot be written to its list file (pattern ${pattern.source})`);
  return name;
}

/** A value of a database.txt option: one word, or it would add options (or a line) of its own. */
function optionWord(value: string, what: string): string {
  if (value === '' || !ONE_WORD.test(value))
    throw new Error(`pgbouncer: ${what} ${JSON.stringify(value)} must be one word without spaces or control characters`);
  return value;
}

/** Whether a database is served by pgbouncer: listed unless pgbouncer: false or absent. */
export const pooledDatabase = (db: PgDatabase): boolean => db.pgbouncer !== false && db.state !== 'absent';

/** Lines of /etc/pgbouncer/database.txt: `<db> = host=... [auth_user pool_mode pool_size min_pool_size reserve_pool max_db_connections]`. */
export function databaseLines(v: PgbouncerVars): string[] {
  const host = optionWord(v.pgbouncer_redirect_to ? v.pgbouncer_redirect_to : v.pg_localhost, 'host');
  return v.pg_databases.filter(pooledDatabase).map((db) => {
    const options = [`host=${host}`];
    if (db.pool_auth_user !== undefined) options.push(`auth_user=${lineKey(db.pool_auth_user, ROLE_KEY, 'pool_auth_user')}`);
    if (db.pool_mode !== undefined) options.push(`pool_mode=${db.pool_mode}`);
    if (db.pool_size !== undefined) options.push(`pool_size=${db.pool_size}`);
    if (db.pool_size_min !== undefined) options.push(`min_pool_size=${db.pool_size_min}`);
    if (db.pool_reserve !== undefined) options.push(`reserve_pool=${db.pool_reserve}`);
    if (db.pool_connlimit !== undefined) options.push(`max_db_connections=${db.pool_connlimit}`);
    return `${pad(lineKey(db.name, DB_KEY, 'database'))} = ${options.join(' ')}`;
  });
}

/** Lines of /etc/pgbouncer/useropts.txt: per-user pool_mode / max_user_connections from pg_default_roles and pg_users. */
export function userOptionLines(v: PgbouncerVars): string[] {
  const lines: string[] = [];
  for (const user of [...v.pg_default_roles, ...v.pg_users]) {
    if (user.state === 'absent' || (user.pool_mode === undefined && user.pool_connlimit === undefined)) continue;
    const options: string[] = [];
    if (user.pool_mode !== undefined) options.push(`pool_mode=${user.pool_mode}`);
    if (user.pool_connlimit !== undefined) options.push(`max_user_connections=${user.pool_connlimit}`);
    lines.push(`${pad(lineKey(user.name, ROLE_KEY, 'user'))} = ${options.join(' ')}`);
  }
  return lines;
}

/**
 * Users pgbouncer authenticates from its userlist: the dbsu (with an empty secret: it comes in by peer on the
 * socket), the monitor and admin users, and every pg_users entry with pgbouncer: true that is not absent
 * (those are left to auth_query when pgbouncer_auth_query is on).
 */
export function userlistNames(v: PgbouncerVars): { dbsu: string; users: string[] } {
  const dbsu = v.pg_dbsu;
  const users = [v.pg_monitor_username, v.pg_admin_username];
  if (!v.pgbouncer_auth_query) {
    for (const user of v.pg_users) if (user.pgbouncer === true && user.state !== 'absent') users.push(user.name);
  }
  return { dbsu, users: [...new Set(users.filter((u) => u !== dbsu))] };
}

/** The SQL reading the stored secrets of the userlist's users, as rows (rolname, rolpassword). */
export function userlistQuery(users: string[]): string {
  const names = users.map((u) => `'${u.replace(/'/g, "''")}'`).join(', ');
  return `SELECT rolname, coalesce(rolpassword, '') AS rolpassword FROM pg_authid WHERE rolname IN (${names || "''"}) ORDER BY rolname`;
}

/** One userlist.txt line: both fields double-quoted, a double quote inside doubled as pgbouncer reads it. */
const userlistLine = (name: string, secret: string): string => `"${name.replace(/"/g, '""')}" "${secret.replace(/"/g, '""')}"`;

/**
 * /etc/pgbouncer/userlist.txt from the secrets read in pg_authid: the dbsu first with an empty secret, then
 * the users found, by name. Users missing from pg_authid are left out (and reported by the caller).
 */
export function renderUserlist(dbsu: string, users: string[], rows: { rolname?: string | null; rolpassword?: string | null }[]): string {
  const found = new Map(rows.flatMap((r) => (r.rolname ? [[r.rolname, r.rolpassword ?? ''] as const] : [])));
  const lines = [userlistLine(dbsu, '')];
  for (const user of [...users].sort()) {
    const secret = found.get(user);
    if (secret !== undefined) lines.push(userlistLine(user, secret));
  }
  return `${lines.join('\n')}\n`;
}

/** Users of the userlist that pg_authid does not have (yet). */
export function missingUsers(users: string[], rows: { rolname?: string | null }[]): string[] {
  const found = new Set(rows.map((r) => r.rolname));
  return users.filter((u) => !found.has(u));
}
